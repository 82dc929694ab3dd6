//! The human report for one message: headline verdict, hop table, findings, authentication.
//!
//! Laid out the way an analyst reads headers: the verdict first, then the chain from the
//! oldest hop (the bottom `Received:` header) to the newest, with a rule where trusted
//! infrastructure begins, so everything above the rule reads as a claim. Colours are
//! plain ANSI escapes and only used when the caller says so (terminal, no `NO_COLOR`).

use crate::input::Location;
use crate::report::{
    ChainEntry, Finding, HopFlag, HopKind, HopRole, Report, Severity, VerdictKind,
};
use relayhunt_received::{Hop, ParseNote, Protocol};
use std::fmt::Write;

/// Longest cell in the hop table before it is cut with `…`.
const MAX_FROM: usize = 56;
const MAX_BY: usize = 40;
const MAX_WITH: usize = 10;

/// ANSI styling switched on or off.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Emit escapes.
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    /// Bold text.
    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }

    fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }

    fn severity(&self, sev: Severity, s: &str) -> String {
        let code = match sev {
            Severity::Critical => "1;35",
            Severity::High => "1;31",
            Severity::Medium => "1;33",
            Severity::Low => "36",
            Severity::Info => "32",
        };
        self.paint(code, s)
    }
}

/// The `--owner` section: who owns the relay and origin IPs, and where to report abuse.
pub fn owners(notes: &[crate::owner::OwnerNote]) -> String {
    let mut out = String::new();
    if notes.is_empty() {
        return out;
    }
    let _ = writeln!(out, "\nNetwork owners:");
    for n in notes {
        let text = match (&n.answer, &n.error) {
            (Some(a), _) => a.summary.clone(),
            (None, Some(e)) => format!("lookup failed: {e}"),
            (None, None) => "no answer".to_string(),
        };
        let _ = writeln!(out, "  {:<6} {:<15} {}", n.role, n.ip, text);
    }
    out
}

/// The `--verify` section: what live DNS says about the claims and the hops.
pub fn verification(note: &crate::verification::VerificationNote) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\nVerified over DNS now:");
    for line in &note.lines {
        let _ = writeln!(out, "  {line}");
    }
    out
}

/// Render one message's report.
pub fn render(location: &Location, report: &Report, color: bool) -> String {
    let st = Style { color };
    let mut out = String::new();
    let _ = writeln!(out, "{}", st.bold(&format!("== {location} ==")));
    headline(&mut out, report, st);
    identity(&mut out, report);
    if report.truncated {
        let _ = writeln!(
            out,
            "  {}",
            st.severity(
                Severity::Medium,
                "header block cut by input limits: conclusions may be incomplete"
            )
        );
    }
    if !report.hops.is_empty() {
        let _ = writeln!(out);
        hop_table(&mut out, report, st);
    }
    if !report.findings.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", st.bold("Findings:"));
        for f in &report.findings {
            finding(&mut out, f, st);
        }
    }
    auth(&mut out, report);
    out
}

fn verdict_label(kind: VerdictKind) -> String {
    kind.as_str().replace('_', " ").to_uppercase()
}

fn headline(out: &mut String, report: &Report, st: Style) {
    let v = &report.verdict;
    let label = format!("{} [{}]", verdict_label(v.kind), v.severity);
    let _ = writeln!(out, "{}  {}", st.severity(v.severity, &label), v.summary);
    let mut parts = Vec::new();
    if let Some(a) = &report.relay {
        parts.push(format!(
            "relay {} (unexplained, confidence {:.2})",
            a.relay, a.confidence
        ));
    } else if let Some(b) = &report.boundary {
        let name = b
            .relay_rdns
            .as_deref()
            .or(b.relay_helo.as_deref())
            .unwrap_or("no name");
        match b.relay_ip {
            Some(ip) => parts.push(format!("relay {ip} ({name})")),
            None => parts.push(format!("relay {name} (no IP recorded)")),
        }
    } else if let Some(ip) = report.relay_ip {
        parts.push(format!("relay {ip}"));
    }
    if let Some(ip) = report.origin_ip {
        parts.push(format!("claimed origin {ip}"));
    }
    if !parts.is_empty() {
        let _ = writeln!(out, "  {}", parts.join("   "));
    }
}

fn identity(out: &mut String, report: &Report) {
    let s = &report.summary;
    let mailbox = |m: &crate::report::Mailbox| match (&m.name, &m.address) {
        (Some(n), Some(a)) => format!("\"{n}\" <{a}>"),
        (None, Some(a)) => format!("<{a}>"),
        (Some(n), None) => format!("\"{n}\""),
        (None, None) => String::new(),
    };
    if let Some(from) = &s.from {
        let _ = writeln!(out, "  From:     {}", clip(&mailbox(from), 100));
    }
    if let Some(rt) = &s.reply_to {
        let _ = writeln!(out, "  Reply-To: {}", clip(&mailbox(rt), 100));
    }
    if let Some(subject) = &s.subject {
        let _ = writeln!(out, "  Subject:  {}", clip(subject, 100));
    }
    if let Some(date) = &s.date {
        let _ = writeln!(out, "  Date:     {}", clip(date, 100));
    }
}

/// Cut to `max` characters with an ellipsis; control characters become spaces so hostile
/// headers cannot move the cursor or recolour the terminal.
fn clip(s: &str, max: usize) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect();
    if s.chars().count() > max {
        out.pop();
        out.push('…');
    }
    out
}

fn from_cell(hop: &Hop) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if let Some(h) = &hop.from.helo {
        parts.push(h);
    }
    if let Some(r) = &hop.from.rdns {
        if hop.from.helo.as_deref() != Some(r.as_str()) {
            parts.push(r);
        }
    }
    if parts.is_empty() {
        "-".into()
    } else {
        clip(&parts.join(" / "), MAX_FROM)
    }
}

fn ip_cell(hop: &Hop) -> String {
    hop.from.ip.map_or_else(|| "-".into(), |ip| ip.to_string())
}

fn by_cell(hop: &Hop) -> String {
    match (&hop.by.host, hop.by.ip) {
        (Some(h), _) => clip(h, MAX_BY),
        (None, Some(ip)) => format!("[{ip}]"),
        (None, None) => "-".into(),
    }
}

/// The normalised protocol (`ESMTPS`, `HTTPS`); Exchange's `Microsoft SMTP Server` shows
/// as `MS-SMTP` rather than a cut-off phrase.
fn with_cell(hop: &Hop) -> String {
    let raw = hop.protocol_raw.as_deref().unwrap_or_default();
    if raw.starts_with("Microsoft SMTP") {
        return "MS-SMTP".into();
    }
    match &hop.protocol {
        Some(Protocol::Other(s)) => clip(s, MAX_WITH),
        Some(p) => serde_json::to_value(p)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| clip(raw, MAX_WITH)),
        None if !raw.is_empty() => clip(raw, MAX_WITH),
        None => "-".into(),
    }
}

fn date_cell(hop: &Hop) -> String {
    match (&hop.date, &hop.date_raw) {
        (Some(d), _) => utc(d.unix),
        (None, Some(_)) => "bad date".into(),
        (None, None) => "-".into(),
    }
}

/// `+2m05s`, `-1h02m`, `+3d04h`.
pub fn delay(secs: i64) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    match a {
        0..=59 => format!("{sign}{a}s"),
        60..=3599 => format!("{sign}{}m{:02}s", a / 60, a % 60),
        3600..=86_399 => format!("{sign}{}h{:02}m", a / 3600, a % 3600 / 60),
        _ => format!("{sign}{}d{:02}h", a / 86_400, a % 86_400 / 3600),
    }
}

fn flag_name(f: HopFlag) -> &'static str {
    match f {
        HopFlag::NegativeDelay => "negative delay",
        HopFlag::HugeDelay => "huge delay",
        HopFlag::FutureDate => "future date",
        HopFlag::MissingDate => "no date",
        HopFlag::BadDate => "bad date",
        HopFlag::DynamicClient => "dynamic client",
        HopFlag::MissingRdns => "no rDNS",
        HopFlag::IpLiteralHelo => "IP-literal HELO",
        HopFlag::HeloMismatch => "HELO mismatch",
        HopFlag::PrivateClient => "private client",
        HopFlag::Discontinuity => "chain break",
        HopFlag::Authenticated => "authenticated",
    }
}

fn hop_table(out: &mut String, report: &Report, st: Style) {
    let _ = writeln!(
        out,
        "{}",
        st.bold("Hops, oldest first (the bottom Received: header is #0):")
    );
    let header = [
        "#",
        "role",
        "client IP",
        "from (helo / rdns)",
        "by",
        "with",
        "date (UTC)",
        "delay",
        "notes",
    ];
    let rows: Vec<[String; 9]> = report
        .hops
        .iter()
        .enumerate()
        .map(|(i, hop)| {
            let entry: Option<&ChainEntry> = report.chain.get(i);
            let role = entry.map_or("", |e| role_cell(e.hop_role.kind));
            let delay_cell = entry
                .and_then(|e| e.delay_secs)
                .map_or_else(|| "-".into(), delay);
            let mut notes: Vec<&str> = entry
                .map(|e| e.flags.iter().map(|f| flag_name(*f)).collect())
                .unwrap_or_default();
            // The line's structure hid which address the receiver recorded: say so, since
            // the client IP cell then shows `-` for a reason.
            if hop
                .notes
                .iter()
                .any(|n| matches!(n, ParseNote::AmbiguousClientIp { .. }))
            {
                notes.push("ambiguous client IP");
            }
            let notes = notes.join(", ");
            [
                i.to_string(),
                role.to_string(),
                ip_cell(hop),
                from_cell(hop),
                by_cell(hop),
                with_cell(hop),
                date_cell(hop),
                delay_cell,
                notes,
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| -> String {
        let mut s = String::from(" ");
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                let pad = w.saturating_sub(cell.chars().count());
                s.push_str(cell);
                s.push_str(&" ".repeat(pad + 2));
            }
        }
        s.trim_end().to_string()
    };
    let header: Vec<String> = header.iter().map(|s| s.to_string()).collect();
    let _ = writeln!(out, "{}", st.dim(&line(&header)));
    let entry_hop = report.boundary.as_ref().map(|b| b.entry_hop);
    for (i, row) in rows.iter().enumerate() {
        if Some(i) == entry_hop {
            let trusted_by = report
                .boundary
                .as_ref()
                .map(|b| b.trusted_by.as_str())
                .unwrap_or_default();
            let rule = format!(
                " ---- trust boundary: above = claims by untrusted servers, below = written by trusted infrastructure ({}) ----",
                clip(trusted_by, 60)
            );
            let _ = writeln!(out, "{}", st.bold(&rule));
        }
        let text = line(row);
        let painted = match report.chain.get(i).map(|e| e.role) {
            Some(HopRole::Entry) => st.bold(&text),
            Some(HopRole::Claimed) => text,
            _ => st.dim(&text),
        };
        let _ = writeln!(out, "{painted}");
    }
    if entry_hop.is_none() && !report.hops.is_empty() {
        let _ = writeln!(
            out,
            " (no trust boundary: no hop was written by trusted infrastructure with an outside client)"
        );
    }
    // Why each hop has its role, newest first (the order the walk took): an analyst who
    // disagrees with a rule sees which one it was.
    let _ = writeln!(
        out,
        "{}",
        st.dim(" roles, newest first (rule: what matched):")
    );
    for e in report.chain.iter().rev() {
        if e.hop_role.kind == HopKind::Claimed {
            continue;
        }
        let _ = writeln!(
            out,
            "  #{:<2} {:<17} {}: {}",
            e.index,
            role_cell(e.hop_role.kind),
            e.hop_role.rule,
            clip(&e.hop_role.why, 150)
        );
    }
}

/// Short name of a hop role for the table.
fn role_cell(kind: HopKind) -> &'static str {
    match kind {
        HopKind::Trusted => "trusted",
        HopKind::Inbound => "ENTRY",
        HopKind::Retrieval => "retrieval",
        HopKind::Forwarder => "forwarder",
        HopKind::List => "list",
        HopKind::ProviderInternal => "internal",
        HopKind::AuthenticatedSubmission => "auth submission",
        HopKind::CustomerSmarthost => "smarthost",
        HopKind::UnexplainedRelay => "UNEXPLAINED RELAY",
        HopKind::Origin => "origin",
        HopKind::Claimed => "claimed",
    }
}

fn finding(out: &mut String, f: &Finding, st: Style) {
    let sev = format!("{:<8}", f.severity.as_str().to_uppercase());
    let _ = writeln!(
        out,
        " {} {}  {}",
        st.severity(f.severity, &sev),
        st.bold(&clip(&f.title, 120)),
        st.dim(f.id)
    );
    for line in wrap(&f.explanation, 90) {
        let _ = writeln!(out, "          {line}");
    }
    for ev in &f.evidence {
        let first = ev.text.lines().next().unwrap_or_default();
        let more = ev.text.lines().count() > 1;
        let _ = writeln!(
            out,
            "          {} {}{}",
            st.dim(&format!("line {}:", ev.line)),
            clip(first, 140),
            if more { " …" } else { "" }
        );
    }
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        let word = clip(word, width);
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(&word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

fn auth(out: &mut String, report: &Report) {
    let a = &report.auth;
    let dkim = if a.dkim.is_empty() {
        "none seen".to_string()
    } else {
        a.dkim
            .iter()
            .map(|d| match &d.domain {
                Some(dom) => format!("{} ({dom})", d.result),
                None => d.result.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let who = if a.trusted_authserv_ids.is_empty() {
        "no trusted authserv-id".to_string()
    } else {
        let ids: Vec<&str> = a
            .trusted_authserv_ids
            .iter()
            .map(|s| {
                if s.is_empty() {
                    "results without an authserv-id (Exchange Online style)"
                } else {
                    s.as_str()
                }
            })
            .collect();
        format!("trusted: {}", ids.join(", "))
    };
    let al = &a.alignment;
    let yes = |b: bool| if b { "aligned" } else { "not aligned" };
    // DMARC needs a *passing* identifier that is also aligned: say both, so "aligned" is
    // never read as "passed".
    let dkim_line = if al.dkim_pass_domains.is_empty() {
        "no passing DKIM signature".to_string()
    } else {
        format!(
            "DKIM d={} {} with From",
            al.dkim_pass_domains.join(","),
            yes(al.dkim_aligned_relaxed)
        )
    };
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Authentication ({who}): spf={} dkim={} dmarc={}",
        a.spf.as_deref().unwrap_or("none seen"),
        dkim,
        a.dmarc.as_deref().unwrap_or("none seen"),
    );
    if al.from_domain.is_some() {
        let _ = writeln!(
            out,
            "  From {} / MAIL FROM {}: domains {} (SPF {}); {}",
            al.from_domain.as_deref().unwrap_or("-"),
            al.mail_from_domain.as_deref().unwrap_or("-"),
            yes(al.spf_aligned_relaxed),
            a.spf.as_deref().unwrap_or("none seen"),
            dkim_line,
        );
    }
}

/// `2026-05-14 21:20:01` for a Unix time (UTC), without a date library.
pub fn utc(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates_and_delays() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(utc(1_778_793_601), "2026-05-14 21:20:01");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00");
        assert_eq!(utc(-1), "1969-12-31 23:59:59");
        assert_eq!(delay(5), "+5s");
        assert_eq!(delay(125), "+2m05s");
        assert_eq!(delay(-3720), "-1h02m");
        assert_eq!(delay(90_000), "+1d01h");
    }

    #[test]
    fn clip_neutralises_control_characters() {
        assert_eq!(clip("a\x1b[31mb", 20), "a [31mb");
        assert_eq!(clip("abcdef", 4), "abc…");
    }
}
