//! From a [`Verification`] to findings, corroboration for the relay verdict, and the
//! human section.
//!
//! Findings quote the headers they concern (the entry hop's `Received:`, the receiver's
//! `Authentication-Results:`); the DNS side of the evidence (the record read, the term
//! that matched) is in the explanation and the `verification` section. Every explanation
//! says "now": DNS answers today may differ from those the receiver saw at delivery.

use crate::check::Verification;
use crate::dnsbl::Status;
use crate::findings as f;
use crate::hop::{Fcrdns, Helo};
use crate::spf::SpfResult;
use relayhunt_analyze::engine::findings::{finding, quote};
use relayhunt_analyze::report::{Evidence, Finding, Report, Severity};
use relayhunt_analyze::verification::{Corroboration, VerificationNote};
use relayhunt_analyze::{Limits, Message};

/// Header quotes by line, from the raw message (the fields borrow from it).
struct Quotes<'a> {
    msg: Option<Message<'a>>,
}

impl<'a> Quotes<'a> {
    fn new(raw: &'a [u8]) -> Quotes<'a> {
        Quotes {
            msg: Message::parse(raw, &Limits::default()).ok(),
        }
    }

    fn line(&self, line: usize) -> Option<Evidence> {
        self.msg
            .as_ref()?
            .headers
            .iter()
            .find(|h| h.line == line)
            .map(quote)
    }

    /// The trusted Authentication-Results headers that carry `method`.
    fn results(&self, report: &Report, method: &str) -> Vec<Evidence> {
        report
            .auth
            .results
            .iter()
            .filter(|r| r.trusted && r.methods.iter().any(|m| m.method == method))
            .filter_map(|r| self.line(r.line))
            .collect()
    }
}

/// A finding that the receiver's recorded result and today's check differ: worth more
/// attention when the receiver recorded a pass (the message got the benefit of it).
fn disagreement(
    kind: &relayhunt_analyze::engine::findings::Kind,
    claimed: &str,
    hop: Option<usize>,
    explanation: String,
    evidence: Vec<Evidence>,
) -> Finding {
    let severity = if claimed == "pass" {
        Severity::Medium
    } else {
        Severity::Low
    };
    finding(kind, severity, hop, explanation, evidence)
}

/// Findings, corroboration and human lines for one verified message.
pub fn note(raw: &[u8], report: &Report, v: &Verification) -> VerificationNote {
    let q = Quotes::new(raw);
    // The hop whose client is the relay (the entry hop's, unless the relay is further down).
    let entry_hop = report
        .hops
        .iter()
        .rposition(|h| h.from.ip.is_some() && h.from.ip == report.relay_ip)
        .or(report.boundary.as_ref().map(|b| b.entry_hop));
    let entry_ev: Vec<Evidence> = entry_hop
        .and_then(|i| report.chain.get(i))
        .and_then(|c| q.line(c.line))
        .into_iter()
        .collect();
    let mut findings: Vec<Finding> = Vec::new();
    let mut corroboration = Vec::new();

    for e in &v.spf {
        let c = &e.check;
        if e.role == "relay"
            && e.identity == "mail_from"
            && matches!(c.result, SpfResult::Fail | SpfResult::SoftFail)
        {
            let detail = format!(
                "SPF for {} checked now: {} ({}); the record reads {:?}",
                c.domain,
                c.result,
                c.reason,
                c.record.as_deref().unwrap_or("")
            );
            findings.push(finding(
                &f::RELAY_NOT_IN_SPF,
                if c.result == SpfResult::Fail {
                    Severity::Medium
                } else {
                    Severity::Low
                },
                entry_hop,
                format!(
                    "The relay {} handed the message to your server, but {} does not allow it to send for the domain. {detail}.",
                    c.ip, c.domain
                ),
                entry_ev.clone(),
            ));
            corroboration.push(Corroboration {
                id: "auth.spf_recheck_fail",
                ip: c.ip,
                detail,
            });
        }
        if let Some(claimed) = &e.claimed {
            if c.result != SpfResult::TempError && claimed != c.result.as_str() {
                let mut ev = q.results(report, "spf");
                ev.extend(entry_ev.iter().cloned());
                findings.push(disagreement(
                    &f::SPF_DISAGREES,
                    claimed,
                    entry_hop,
                    format!(
                        "Your receiver recorded spf={claimed} for {}; checked again now for {}, SPF gives {}: {}. Either the domain's DNS changed since delivery or the recorded result is not about this relay.",
                        c.domain, c.ip, c.result, c.reason
                    ),
                    ev,
                ));
            }
        }
    }

    for d in &v.dkim {
        let c = &d.check;
        if c.result != "pass" && c.result != "temperror" {
            let why = dkim_reason(c.reason.as_deref().unwrap_or(""));
            findings.push(finding(
                &f::DKIM_INVALID,
                Severity::Low,
                None,
                format!(
                    "The DKIM signature of {} (selector {}) does not verify now: {} — {why}",
                    if c.domain.is_empty() {
                        "an unreadable signature"
                    } else {
                        &c.domain
                    },
                    if c.selector.is_empty() {
                        "?"
                    } else {
                        &c.selector
                    },
                    c.result,
                ),
                Vec::new(),
            ));
        }
        if let Some(claimed) = &d.claimed {
            let ours_pass = c.result == "pass";
            if c.result != "temperror" && (claimed == "pass") != ours_pass {
                findings.push(disagreement(
                    &f::DKIM_DISAGREES,
                    claimed,
                    None,
                    format!(
                        "Your receiver recorded dkim={claimed} for {}; verified again now the signature gives {}{}. A key rotated or revoked since delivery also explains a failure now.",
                        c.domain,
                        c.result,
                        c.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
                    ),
                    q.results(report, "dkim"),
                ));
            }
        }
    }

    // A pass the receiver recorded for a domain that signs nothing in the message now: the
    // signature was removed after delivery, or the header was not written by a receiver that
    // checked. Only when the message could be read (its ARC state is known).
    if v.arc.is_some() {
        for o in report.auth.dkim.iter().filter(|o| o.result == "pass") {
            let Some(domain) = o.domain.as_deref() else {
                continue;
            };
            if v.dkim
                .iter()
                .any(|d| d.check.domain.eq_ignore_ascii_case(domain))
            {
                continue;
            }
            findings.push(finding(
                &f::DKIM_DISAGREES,
                Severity::Medium,
                None,
                format!(
                    "Your receiver recorded dkim=pass for {domain}, but the message carries no DKIM signature by {domain}: it was removed after delivery, or the Authentication-Results header was not written by a receiver that checked it."
                ),
                q.results(report, "dkim"),
            ));
        }
    }

    if let Some(a) = &v.arc {
        if matches!(a.result, "fail" | "permerror" | "neutral") {
            findings.push(finding(
                &f::ARC_BROKEN,
                Severity::Low,
                None,
                format!(
                    "The ARC chain ({} set{}, sealed by {}) does not verify now: {}. A forwarder's vouching for the original authentication cannot be relied on.",
                    a.sets,
                    if a.sets == 1 { "" } else { "s" },
                    if a.sealers.is_empty() { "nobody readable".to_string() } else { a.sealers.join(", ") },
                    a.reason.as_deref().unwrap_or(a.result)
                ),
                Vec::new(),
            ));
        }
    }

    if let Some(d) = &v.dmarc {
        let c = &d.check;
        if let Some(claimed) = &d.claimed {
            if c.result != "temperror" && claimed != c.result {
                findings.push(disagreement(
                    &f::DMARC_DISAGREES,
                    claimed,
                    None,
                    format!(
                        "Your receiver recorded dmarc={claimed} for {}; checked again now DMARC gives {}.",
                        c.domain, c.result
                    ),
                    q.results(report, "dmarc"),
                ));
            }
        }
        if c.result == "fail" && matches!(c.policy, Some("reject" | "quarantine")) {
            let applied = match d.claimed_action.as_deref() {
                Some(a) => format!(" Your receiver recorded action={a}."),
                None => String::new(),
            };
            findings.push(finding(
                &f::DMARC_POLICY,
                Severity::Medium,
                None,
                format!(
                    "{} publishes p={} and this message fails DMARC (neither SPF nor DKIM aligned with the From domain); a receiver should {}.{applied}",
                    c.domain,
                    c.policy.unwrap_or("none"),
                    // The action alone: its reason is the sentence's first half.
                    c.receiver_should
                        .split_once(": ")
                        .map_or(c.receiver_should.as_str(), |(action, _)| action)
                ),
                q.results(report, "dmarc"),
            ));
        }
    }

    for h in &v.hops {
        let is_relay = h.role == "relay";
        let ev: Vec<Evidence> = report
            .chain
            .get(h.hop)
            .and_then(|c| q.line(c.line))
            .into_iter()
            .collect();
        if matches!(h.fcrdns, Fcrdns::Fail | Fcrdns::None) {
            let detail = match h.fcrdns {
                Fcrdns::None => format!("{} has no PTR record now", h.ip),
                _ => format!(
                    "{}'s PTR names ({}) do not resolve back to it",
                    h.ip,
                    h.ptr.join(", ")
                ),
            };
            findings.push(finding(
                &f::NO_FCRDNS,
                if is_relay { Severity::Low } else { Severity::Info },
                Some(h.hop),
                format!("{detail}: legitimate mail servers keep forward-confirmed reverse DNS (RFC 8601 iprev); its absence is common for hijacked hosts and access lines."),
                ev.clone(),
            ));
            if is_relay {
                corroboration.push(Corroboration {
                    id: "rdns.no_fcrdns",
                    ip: h.ip,
                    detail,
                });
            }
        }
        if matches!(
            h.helo_check,
            Helo::ResolvesElsewhere | Helo::DoesNotResolve | Helo::LiteralMismatch | Helo::NotFqdn
        ) {
            findings.push(finding(
                &f::HELO_UNCONFIRMED,
                if is_relay {
                    Severity::Low
                } else {
                    Severity::Info
                },
                Some(h.hop),
                format!(
                    "{} greeted as {:?}, which {} now.",
                    h.ip,
                    h.helo.as_deref().unwrap_or(""),
                    match h.helo_check {
                        Helo::DoesNotResolve => "does not resolve at all",
                        Helo::LiteralMismatch => "is the address of another host",
                        Helo::NotFqdn => "is not a fully qualified name (RFC 5321 §4.1.1.1), as end-user machines greet",
                        _ => "resolves to other addresses and is not the host's confirmed name",
                    }
                ),
                ev.clone(),
            ));
        }
        if h.recorded_rdns_current == Some(false) {
            findings.push(finding(
                &f::RDNS_CHANGED,
                Severity::Info,
                Some(h.hop),
                format!(
                    "The header records {} as {}, but its PTR names now are {}: the address changed hands, or (below the trust boundary) the header was written by hand.",
                    h.ip,
                    h.recorded_rdns.as_deref().unwrap_or(""),
                    if h.ptr.is_empty() { "none".to_string() } else { h.ptr.join(", ") }
                ),
                ev.clone(),
            ));
        }
        let listed: Vec<String> = h
            .listed_in()
            .map(|l| {
                let codes: Vec<String> = l
                    .codes
                    .iter()
                    .map(|c| format!("{} {}", c.code, c.meaning))
                    .collect();
                format!("{} ({})", l.zone, codes.join("; "))
            })
            .collect();
        if !listed.is_empty() {
            let detail = format!("{} is listed now in {}", h.ip, listed.join(", "));
            findings.push(finding(
                &f::DNSBL_LISTED,
                if is_relay {
                    Severity::Medium
                } else {
                    Severity::Low
                },
                Some(h.hop),
                format!("{detail}."),
                ev,
            ));
            if is_relay {
                corroboration.push(Corroboration {
                    id: "reputation.dnsbl_listed",
                    ip: h.ip,
                    detail,
                });
            }
        }
    }

    if !v.dns_failures.is_empty() {
        findings.push(finding(
            &f::DNS_INCOMPLETE,
            Severity::Info,
            None,
            format!(
                "{} DNS lookup{} failed, so the checks that needed {} are temperror (never pass or fail): {}",
                v.dns_failures.len(),
                if v.dns_failures.len() == 1 { "" } else { "s" },
                if v.dns_failures.len() == 1 { "it" } else { "them" },
                v.dns_failures.iter().take(3).cloned().collect::<Vec<_>>().join("; ")
            ),
            Vec::new(),
        ));
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let mut section = serde_json::to_value(v).unwrap_or(serde_json::Value::Null);
    if let Some(obj) = section.as_object_mut() {
        obj.insert(
            "corroboration".into(),
            serde_json::to_value(&corroboration).unwrap_or_default(),
        );
    }
    VerificationNote {
        section,
        lines: lines(v),
        findings,
        corroboration,
    }
}

/// A DKIM failure reason in the analyst's words.
fn dkim_reason(reason: &str) -> String {
    let r = reason.to_ascii_lowercase();
    if r.contains("body hash") {
        "the body was changed after signing (a footer added, re-encoding, or tampering)".into()
    } else if r.contains("expired") {
        "the signature's x= expiry has passed (checked at analysis time, not delivery time)".into()
    } else if r.contains("revoked") {
        "the signer has revoked the key (empty p=); old mail loses its signatures this way".into()
    } else if r.contains("not found") || r.contains("nxdomain") || r.contains("invalid record") {
        "no key is published under that selector and domain (wrong d=, or a retired selector)"
            .into()
    } else if r.contains("verif") || r.contains("signature") {
        "the signature does not match the signed headers with the published key (headers changed, or d=/s= altered)".into()
    } else if reason.is_empty() {
        "no detail".into()
    } else {
        reason.to_string()
    }
}

/// The human section.
pub fn lines(v: &Verification) -> Vec<String> {
    let mut out = vec![format!("resolver: {}", v.resolver)];
    for e in &v.spf {
        let c = &e.check;
        let mut l = format!(
            "SPF  {:<6} {:<15} {:<9} {:<28} {}",
            e.role,
            c.ip.to_string(),
            e.identity,
            c.domain,
            c.result
        );
        if let Some(claimed) = &e.claimed {
            l.push_str(&format!(" (receiver said {claimed})"));
        }
        l.push_str(&format!(" — {}", c.reason));
        out.push(l);
    }
    for d in &v.dkim {
        let c = &d.check;
        let mut l = format!("DKIM d={} s={}: {}", c.domain, c.selector, c.result);
        if let Some(r) = &c.reason {
            l.push_str(&format!(" ({r})"));
        }
        if let Some(claimed) = &d.claimed {
            l.push_str(&format!(" (receiver said {claimed})"));
        }
        out.push(l);
    }
    if v.dkim.is_empty() {
        out.push("DKIM none: the message carries no DKIM signature".into());
    }
    if let Some(a) = &v.arc {
        if a.result != "none" {
            out.push(format!(
                "ARC  {} set(s), sealed by {}: {}{}",
                a.sets,
                a.sealers.join(", "),
                a.result,
                a.reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ));
        }
    }
    if let Some(d) = &v.dmarc {
        let c = &d.check;
        let mut l = format!(
            "DMARC {}: {} (policy {}; SPF aligned {}, DKIM aligned {})",
            c.domain,
            c.result,
            c.policy.unwrap_or(if c.result == "temperror" {
                "unknown: the lookup failed"
            } else {
                "none published"
            }),
            yes(c.spf_aligned),
            yes(c.dkim_aligned)
        );
        if let Some(claimed) = &d.claimed {
            l.push_str(&format!("; receiver said {claimed}"));
            if let Some(a) = &d.claimed_action {
                l.push_str(&format!(" action={a}"));
            }
        }
        out.push(l);
        if let Some(r) = &c.record {
            out.push(format!("      record: {r}"));
        }
        out.push(format!("      a receiver should {}", c.receiver_should));
    }
    for h in &v.hops {
        let listed: Vec<&str> = h.listed_in().map(|l| l.zone.as_str()).collect();
        let checked = h
            .dnsbl
            .iter()
            .filter(|l| l.status != Status::TempError)
            .count();
        out.push(format!(
            "hop {} {:<7} {:<15} FCrDNS {}{}; HELO {}; blocklists: {}",
            h.hop,
            h.role,
            h.ip.to_string(),
            serde_name(&h.fcrdns),
            h.confirmed_name
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default(),
            serde_name(&h.helo_check),
            if !listed.is_empty() {
                format!("LISTED in {}", listed.join(", "))
            } else if h.dnsbl.is_empty() {
                "not checked".to_string()
            } else {
                format!("not listed ({checked}/{} answered)", h.dnsbl.len())
            }
        ));
    }
    if !v.dns_failures.is_empty() {
        out.push(format!(
            "{} DNS lookup(s) failed: checks that needed them are temperror",
            v.dns_failures.len()
        ));
    }
    out
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn serde_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
