//! Human output of `whois`: one block per target, aligned labels.

use crate::owner::{DomainAge, Owner};

/// Human rendering of an owner.
pub fn render_owner(o: &Owner) -> String {
    let mut s = format!("{}{}\n", o.query, if o.cached { " (cached)" } else { "" });
    let mut net = o
        .cidrs
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if let Some(r) = &o.range {
        net.push_str(&format!(" ({r})"));
    }
    if let Some(n) = &o.name {
        net.push_str(&format!(" {n}"));
    }
    if let Some(h) = o.handle.as_ref().filter(|h| Some(*h) != o.range.as_ref()) {
        net.push_str(&format!(" [{h}]"));
    }
    let line = |s: &mut String, k: &str, v: &str| s.push_str(&format!("  {k:<11}{v}\n"));
    line(&mut s, "network", net.trim());
    if o.org.is_some() || o.country.is_some() {
        let org = o.org.clone().unwrap_or_else(|| "-".into());
        let cc = o
            .country
            .as_ref()
            .map(|c| format!(" ({c})"))
            .unwrap_or_default();
        line(&mut s, "org", &format!("{org}{cc}"));
    }
    if !o.asns.is_empty() {
        line(
            &mut s,
            "asn",
            &o.asns
                .iter()
                .map(|a| format!("AS{a}"))
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    if let Some(r) = &o.registered {
        let ch = o
            .last_changed
            .as_ref()
            .map(|c| format!(", changed {c}"))
            .unwrap_or_default();
        line(&mut s, "registered", &format!("{r}{ch}"));
    }
    if o.abuse.is_empty() {
        line(&mut s, "abuse", "(none found)");
    }
    for c in &o.abuse {
        let conf = match c.confidence {
            crate::owner::Confidence::High => "high",
            crate::owner::Confidence::Medium => "medium",
            crate::owner::Confidence::Low => "low",
        };
        line(
            &mut s,
            "abuse",
            &format!(
                "{}  [{conf}, {}: {}]",
                c.email,
                c.source.label(),
                c.found_at
            ),
        );
    }
    for src in &o.sources {
        line(&mut s, "source", src);
    }
    for n in &o.notes {
        line(&mut s, "note", n);
    }
    s
}

pub(super) fn render_domain(d: &DomainAge) -> String {
    let mut s = format!("{}\n", d.domain);
    s.push_str(&format!(
        "  registered {}\n",
        d.registered.as_deref().unwrap_or("(not published)")
    ));
    if let Some(a) = d.age_days {
        s.push_str(&format!(
            "  age        {a} days{}\n",
            if d.newly_registered {
                "  NEWLY REGISTERED"
            } else {
                ""
            }
        ));
    }
    if let Some(r) = &d.registrar {
        s.push_str(&format!("  registrar  {r}\n"));
    }
    if let Some(src) = &d.source {
        s.push_str(&format!("  source     {src}\n"));
    }
    s
}
