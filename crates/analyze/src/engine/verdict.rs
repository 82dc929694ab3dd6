//! Grading an unexplained relay, and one headline from many findings.
//!
//! The walk down the chain (`relay`, `roles`) stops at the first hop no rule explains: a
//! server that relayed for an unrelated client with no login recorded. That shape alone is
//! not proof of an open relay (a smarthost whose customers the headers do not reveal looks
//! the same), so the hop is weighed against a list of named signals, computed in one place
//! ([`signals`]) from the [`SIGNALS`] table: each has an id, a weight and a reason. Their
//! sum, clamped to 0..=1, is the `confidence`. At [`OPEN_RELAY_THRESHOLD`] or above the
//! verdict is `open_relay_suspected`, with a severity that grows with the confidence;
//! below it the hop is reported as a low-severity "relayed without recorded authentication"
//! and does not become the headline.
//!
//! Evidence from outside the headers (DNS checks of the relay's SPF, forward-confirmed
//! reverse DNS, blocklists, network owners) joins through [`corroborate`]: it appends
//! [`Signal`]s to a finished report's `relay` assessment and grades it again, rewriting the
//! finding and the verdict. A negative weight is evidence of authorised relaying.
//!
//! Headline order after that: the relay conclusion (open relay, compromised account, forged
//! chain), then an impossible chain, then anything of medium severity or worse; otherwise
//! the message is clean.

use super::findings::{self as f, finding};
use super::identity::{addr_domain, is_ip_literal, is_public_name, org_cow, same_brand};
use super::relay::{self, Candidate};
use super::{freemail, providers, residential, roles, Ctx};
use crate::report::{
    AuthReport, Finding, MessageSummary, RelayAssessment, Report, Severity, Signal, Verdict,
    VerdictKind,
};
use std::borrow::Cow;

/// One kind of corroborating evidence.
#[derive(Debug)]
pub struct SignalKind {
    /// Stable id.
    pub id: &'static str,
    /// Contribution to the confidence.
    pub weight: f32,
    /// Signals of one family describe the same fact from different sides (an end-user
    /// machine has no rDNS *and* greets with an IP); only the strongest of a family counts.
    pub family: &'static str,
    /// Why it makes an open relay more (or less) likely.
    pub reason: &'static str,
}

/// Confidence at or above which an unexplained relay is reported as `open_relay_suspected`.
pub const OPEN_RELAY_THRESHOLD: f32 = 0.5;

/// The signals the engine computes from headers. Weights were chosen on the labelled
/// evaluation set (`tests/data/verdict/labels.tsv`) and the corpus ham so that no ham
/// folder is called an open relay more than rarely: an end-user client or a HELO-only
/// session alone is common in legitimate submissions (2002-era mail clients said HELO),
/// while a forged large-provider greeting, a freemail sender carried by an unrelated
/// server and a harvested recipient list are not.
pub const SIGNALS: &[SignalKind] = &[
    SignalKind {
        id: "spf.fail_for_relay",
        family: "auth",
        weight: 0.35,
        reason: "the sender's domain does not authorise the relay's address (SPF fail/softfail): the relay sent mail for a domain it has nothing to do with",
    },
    SignalKind {
        id: "dmarc.fail",
        family: "auth",
        weight: 0.2,
        reason: "the From domain's owner does not vouch for this path (DMARC fail)",
    },
    SignalKind {
        id: "dmarc.pass",
        family: "vouched",
        weight: -0.3,
        reason: "the From domain's owner vouches for this path (DMARC pass): the relay is one the domain uses",
    },
    SignalKind {
        id: "session.helo_only",
        family: "session",
        weight: 0.05,
        reason: "the client only said HELO (`with SMTP`), so no login was possible: the relay accepted a stranger by design",
    },
    SignalKind {
        id: "client.dynamic",
        family: "client",
        weight: 0.25,
        reason: "the client is an end-user access line of another network (dial-up, DSL, cable, pool): a PC or bot, not a mail server the relay serves",
    },
    SignalKind {
        id: "client.no_rdns",
        family: "client",
        weight: 0.1,
        reason: "the client's address has no reverse DNS, which mail servers have",
    },
    SignalKind {
        id: "client.ip_literal_helo",
        family: "client",
        weight: 0.2,
        reason: "the client greeted with a bare IP address, as spam tools do",
    },
    SignalKind {
        id: "client.helo_forged",
        family: "disguise",
        weight: 0.35,
        reason: "the client introduced itself as a large mailbox provider's or free mail service's server, and its address or reverse DNS says otherwise",
    },
    SignalKind {
        id: "recipient.foreign",
        family: "recipient",
        weight: 0.1,
        reason: "the recipient is outside the relay's domain, so the relay had no reason to accept the message",
    },
    SignalKind {
        id: "sender.unrelated",
        family: "sender",
        weight: 0.05,
        reason: "the sender's domain is neither the relay's nor the client's: the relay carried a third party's name",
    },
    SignalKind {
        id: "sender.provider_elsewhere",
        family: "sender",
        weight: 0.3,
        reason: "the sender claims an address at a large mailbox provider, yet neither the relay nor its client belongs to that provider: the provider's own servers would have carried it",
    },
    SignalKind {
        id: "recipient.many_domains",
        family: "recipient",
        weight: 0.2,
        reason: "the visible recipients span three or more unrelated domains: a blast to a harvested list, not correspondence",
    },
    SignalKind {
        id: "bec.signals",
        family: "bec",
        weight: 0.15,
        reason: "the message redirects replies or disguises its sender (business email compromise signals)",
    },
    SignalKind {
        id: "chain.forged_below",
        family: "chain",
        weight: 0.2,
        reason: "headers below the relay do not connect or run backwards in time: the sender fabricated a history to hide behind the relay",
    },
];

fn kind(id: &str) -> &'static SignalKind {
    SIGNALS.iter().find(|k| k.id == id).unwrap_or(&SIGNALS[0])
}

fn signal(id: &'static str, detail: String, evidence: Vec<crate::report::Evidence>) -> Signal {
    let k = kind(id);
    Signal {
        id: Cow::Borrowed(k.id),
        weight: k.weight,
        reason: detail,
        evidence,
    }
}

/// Compute the header signals for an unexplained relay candidate.
pub fn signals(
    ctx: &Ctx<'_>,
    cand: &Candidate,
    auth: &AuthReport,
    summary: &MessageSummary,
    findings: &[Finding],
    entry: usize,
) -> Vec<Signal> {
    let hops = &ctx.hops;
    let hop = &hops[cand.hop];
    let c = &hop.from;
    let ev = || vec![ctx.ev(cand.hop)];
    let mut out = Vec::new();
    let relay_is_entry_client = cand.hop + 1 == entry;
    if let Some(ip) = cand.relay_ip {
        if let Some(r) = roles::spf_fail_for(auth, ip, relay_is_entry_client) {
            out.push(signal(
                "spf.fail_for_relay",
                format!("SPF {r} for the relay's address {ip}"),
                Vec::new(),
            ));
        }
    }
    // DMARC is about the whole message: a pass means the From domain's owner signed it or
    // authorised the server that handed it to you, wherever the relay sits; a failure only
    // speaks about the relay when the relay is that server and no list re-sent it.
    let listed = findings.iter().any(|x| x.id == f::MAILING_LIST.id);
    match (&auth.dmarc, auth.alignment.dmarc_pass_relaxed) {
        (Some(d), _) if d == "fail" && relay_is_entry_client && !listed => {
            out.push(signal("dmarc.fail", "DMARC fail".into(), Vec::new()))
        }
        (Some(d), _) if d == "pass" => {
            out.push(signal("dmarc.pass", "DMARC pass".into(), Vec::new()))
        }
        (None, Some(true)) => out.push(signal(
            "dmarc.pass",
            "DMARC-aligned pass computed from the trusted results".into(),
            Vec::new(),
        )),
        _ => {}
    }
    if roles::helo_only(hop) {
        out.push(signal(
            "session.helo_only",
            format!(
                "the relay recorded `with {}`",
                hop.protocol_raw.as_deref().unwrap_or("SMTP")
            ),
            ev(),
        ));
    }
    if let Some(d) = c
        .rdns
        .as_deref()
        .and_then(|r| residential::classify(r, c.ip))
    {
        out.push(signal(
            "client.dynamic",
            format!("{} ({}, rule {})", relay::describe(c), d.reason, d.id),
            ev(),
        ));
    } else if c.rdns.is_none() && c.ip.is_some() && super::trust::records_rdns(hop) {
        out.push(signal(
            "client.no_rdns",
            format!("{} has no reverse DNS", relay::describe(c)),
            ev(),
        ));
    }
    if c.helo.as_deref().is_some_and(is_ip_literal) {
        out.push(signal(
            "client.ip_literal_helo",
            format!("HELO {}", c.helo.as_deref().unwrap_or_default()),
            ev(),
        ));
    }
    let forged_helo = c
        .helo
        .as_deref()
        .filter(|h| is_public_name(h))
        .and_then(|h| {
            // Only a large mailbox provider's name is a disguise by itself: people name
            // their own machines in their organisation's domain, and forwarding services'
            // users name theirs after the service.
            let p = providers::by_host(h).filter(|p| p.kind == providers::ProviderKind::Mailbox)?;
            let rdns_p = c.rdns.as_deref().and_then(providers::by_host).map(|q| q.id);
            let ip_p = c.ip.and_then(providers::by_ip).map(|q| q.id);
            (rdns_p != Some(p.id) && ip_p != Some(p.id)).then(|| {
                format!(
                    "HELO {h} claims to be {} but the address is not theirs",
                    p.name
                )
            })
        })
        .or_else(|| {
            // A free webmail service's name, from a client whose verified name is not the
            // service's (the table holds no address ranges, so reverse DNS decides). Mail
            // programs (Netscape, Mozilla) greet with the bare domain of the user's own
            // address, so a HELO that is exactly the sender's domain is that habit.
            let h = c.helo.as_deref().filter(|h| is_public_name(h))?;
            let svc = freemail::service(h)?;
            let sender_domain = summary.from.as_ref().and_then(|m| m.domain.as_deref());
            if sender_domain.is_some_and(|d| d.eq_ignore_ascii_case(h.trim_end_matches('.'))) {
                return None;
            }
            let rdns_org = c.rdns.as_deref().and_then(org_cow);
            (rdns_org.as_deref() != Some(svc))
                .then(|| format!("HELO {h} claims to be the free mail service {svc}, but the client's reverse DNS is not theirs"))
        });
    if let Some(d) = forged_helo {
        out.push(signal("client.helo_forged", d, ev()));
    }
    let rcpt = (cand.hop..=entry)
        .find_map(|k| hops[k].for_addr.as_deref().and_then(addr_domain))
        .or_else(|| summary.to.first().and_then(|m| m.domain.clone()));
    let foreign = match (rcpt.as_deref().and_then(org_cow), cand.relay_org.as_deref()) {
        (Some(r), Some(o)) => !same_brand(&r, o),
        _ => true,
    };
    if foreign {
        out.push(signal(
            "recipient.foreign",
            match rcpt {
                Some(r) => format!("recipient domain {r}"),
                None => "no recipient in the relay's domain".into(),
            },
            Vec::new(),
        ));
    }
    let sender = summary
        .from
        .as_ref()
        .and_then(|m| m.domain.clone())
        .or_else(|| summary.return_path.as_deref().and_then(addr_domain));
    if let Some(p) = sender.as_deref().and_then(providers::by_host) {
        let relay_p = cand
            .relay_ip
            .and_then(providers::by_ip)
            .or_else(|| {
                hops.get(cand.hop + 1)
                    .and_then(super::trust::client_provider)
            })
            .map(|q| q.id);
        let client_p = super::trust::client_provider(hop).map(|q| q.id);
        if p.kind == providers::ProviderKind::Mailbox
            && relay_p != Some(p.id)
            && client_p != Some(p.id)
        {
            out.push(signal(
                "sender.provider_elsewhere",
                format!(
                    "sender {} is a {} address",
                    sender.as_deref().unwrap_or_default(),
                    p.name
                ),
                Vec::new(),
            ));
        }
    }
    let mut rcpt_orgs: Vec<_> = summary
        .to
        .iter()
        .filter_map(|m| m.domain.as_deref().and_then(org_cow))
        .collect();
    rcpt_orgs.sort_unstable();
    rcpt_orgs.dedup();
    if rcpt_orgs.len() >= 3 {
        out.push(signal(
            "recipient.many_domains",
            format!("To: spans {} domains", rcpt_orgs.len()),
            Vec::new(),
        ));
    }
    let client_org = roles::verified_org(c);
    if let Some(sd) = sender {
        let so = org_cow(&sd);
        let related = so.as_deref().is_some_and(|s| {
            cand.relay_org.as_deref().is_some_and(|o| same_brand(s, o))
                || client_org.as_deref().is_some_and(|o| same_brand(s, o))
        });
        if !related {
            out.push(signal(
                "sender.unrelated",
                format!("sender domain {sd}"),
                Vec::new(),
            ));
        }
    }
    // A bounce address elsewhere is ordinary (lists, ESPs); redirected replies and
    // disguised display names are not.
    let bec: Vec<&str> = findings
        .iter()
        .filter(|x| x.id == f::BEC_REPLY_TO.id || x.id == f::BEC_DISPLAY_NAME.id)
        .map(|x| x.id)
        .collect();
    if !bec.is_empty() {
        out.push(signal("bec.signals", bec.join(", "), Vec::new()));
    }
    let backwards = findings
        .iter()
        .any(|x| x.id == f::IMPOSSIBLE_ORDER.id && x.hop.is_some_and(|h| h <= cand.hop));
    if cand.forged_below || backwards {
        out.push(signal(
            "chain.forged_below",
            "the headers below the relay do not connect or run backwards".into(),
            Vec::new(),
        ));
    }
    out
}

/// The family of a signal id: the table's, or the id's first dotted part for signals from
/// outside the engine.
fn family_of(id: &str) -> &str {
    SIGNALS
        .iter()
        .find(|k| k.id == id)
        .map_or_else(|| id.split('.').next().unwrap_or(id), |k| k.family)
}

/// The strongest weight of each family (for negative weights, the most negative), summed
/// and clamped to 0..=1.
pub fn confidence(signals: &[Signal]) -> f32 {
    let mut best: Vec<(&str, f32)> = Vec::with_capacity(signals.len());
    for s in signals {
        let fam = family_of(&s.id);
        match best.iter_mut().find(|b| b.0 == fam) {
            Some(b) if s.weight.abs() > b.1.abs() => b.1 = s.weight,
            Some(_) => {}
            None => best.push((fam, s.weight)),
        }
    }
    best.iter().map(|b| b.1).sum::<f32>().clamp(0.0, 1.0)
}

/// Severity of an open-relay finding at this confidence (`None` below the threshold).
pub fn severity_for(confidence: f32) -> Option<Severity> {
    if confidence >= 0.8 {
        Some(Severity::Critical)
    } else if confidence >= 0.65 {
        Some(Severity::High)
    } else if confidence >= OPEN_RELAY_THRESHOLD {
        Some(Severity::Medium)
    } else {
        None
    }
}

/// The assessment for a candidate with its signals.
pub fn assessment(cand: Candidate, signals: Vec<Signal>) -> RelayAssessment {
    RelayAssessment {
        hop: cand.hop,
        relay_ip: cand.relay_ip,
        relay: cand.relay,
        source: cand.source,
        explained_above: cand.explained_above,
        confidence: confidence(&signals),
        signals,
        unrelated: cand.unrelated.into_iter().map(|u| u.0).collect(),
        evidence: cand.evidence,
    }
}

/// The finding an assessment stands for: open relay at or above the threshold, otherwise
/// "relayed without recorded authentication".
pub fn relay_finding(a: &RelayAssessment) -> Finding {
    let relay = &a.relay;
    let src = &a.source;
    let why = if a.unrelated.is_empty() {
        String::new()
    } else {
        format!(" — {} —", a.unrelated.join("; "))
    };
    let mut pro: Vec<String> = Vec::new();
    let mut con: Vec<String> = Vec::new();
    for s in &a.signals {
        let line = format!("{} ({:+.2}): {}", s.id, s.weight, s.reason);
        if s.weight >= 0.0 {
            pro.push(line);
        } else {
            con.push(line);
        }
    }
    let above = if a.explained_above.is_empty() {
        "It is the client of your own entry hop.".to_string()
    } else {
        format!(
            "The hops above it were explained by rules: {}.",
            a.explained_above.join("; ")
        )
    };
    let weighed = format!(
        "Evidence for an open relay: {}.{} Confidence {:.2}.",
        if pro.is_empty() {
            "none".to_string()
        } else {
            pro.join("; ")
        },
        if con.is_empty() {
            String::new()
        } else {
            format!(" Against: {}.", con.join("; "))
        },
        a.confidence
    );
    let relay_ip = a
        .relay_ip
        .map(|i| i.to_string())
        .unwrap_or_else(|| relay.clone());
    match severity_for(a.confidence) {
        Some(sev) => finding(
            &f::OPEN_RELAY,
            sev,
            Some(a.hop + 1),
            format!(
                "{relay} accepted this message from {src}{why} with no login recorded and relayed it on; no rule (own organisation, network block, provider, list, forwarder, sender domain, SPF authorisation) explains why it would. {above} {weighed} That is what an open relay does: it lends its address to whoever connects. Report {relay_ip} to its network owner."
            ),
            a.evidence.clone(),
        ),
        None => finding(
            &f::UNAUTH_RELAY,
            Severity::Low,
            Some(a.hop + 1),
            format!(
                "{relay} accepted this message from {src}{why} with no login recorded and relayed it on, and no rule explains the relationship; but too little corroborates abuse to call it an open relay (it may relay for customers the headers do not reveal). {above} {weighed}"
            ),
            a.evidence.clone(),
        ),
    }
}

/// Add signals from outside the headers (DNS, blocklists, network owners) to a finished
/// report's relay assessment and grade it again: the relay finding and the verdict are
/// rewritten to match the new confidence. Does nothing when the report has no unexplained
/// relay.
pub fn corroborate(report: &mut Report, extra: impl IntoIterator<Item = Signal>) {
    let Some(a) = report.relay.as_mut() else {
        return;
    };
    a.signals.extend(extra);
    a.confidence = confidence(&a.signals);
    let fresh = relay_finding(a);
    report
        .findings
        .retain(|x| x.id != f::OPEN_RELAY.id && x.id != f::UNAUTH_RELAY.id);
    report.findings.push(fresh);
    report
        .findings
        .sort_by_key(|x| std::cmp::Reverse(x.severity));
    let (kind, sev, summary) = headline_of(report.relay.as_ref());
    let relay = report.boundary.as_ref().map(|b| {
        relay::describe(&relayhunt_received::FromPart {
            ip: b.relay_ip,
            rdns: b.relay_rdns.clone(),
            helo: b.relay_helo.clone(),
            ..Default::default()
        })
    });
    // A report with a relay candidate got its headline from the grading (or from the
    // general rules below it), never from an account or chain conclusion: decide again.
    report.verdict = decide(
        !report.hops.is_empty(),
        relay,
        kind,
        sev,
        summary,
        &report.findings,
    );
    if let Some(ip) = report.relay.as_ref().and_then(|a| a.relay_ip) {
        report.relay_ip = Some(ip);
    }
}

/// The headline an assessment gives, if it is an open relay.
pub fn headline_of(
    a: Option<&RelayAssessment>,
) -> (Option<VerdictKind>, Option<Severity>, Option<String>) {
    let Some(a) = a else {
        return (None, None, None);
    };
    match severity_for(a.confidence) {
        Some(sev) => (
            Some(VerdictKind::OpenRelaySuspected),
            Some(sev),
            Some(format!(
                "Open relay suspected: {} accepted this message from {} without authentication and relayed it (confidence {:.2}).",
                a.relay, a.source, a.confidence
            )),
        ),
        None => (None, None, None),
    }
}

/// Decide the verdict.
pub fn decide(
    has_hops: bool,
    relay: Option<String>,
    kind: Option<VerdictKind>,
    severity: Option<Severity>,
    summary: Option<String>,
    findings: &[Finding],
) -> Verdict {
    let worst = findings
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(Severity::Info);
    if !has_hops {
        return Verdict {
            kind: VerdictKind::NoChain,
            severity: worst,
            summary: "No Received headers: the message carries no delivery path to trace.".into(),
        };
    }
    if let (Some(kind), Some(sev), Some(summary)) = (kind, severity, summary) {
        return Verdict {
            kind,
            severity: sev.max(worst),
            summary,
        };
    }
    if findings.iter().any(|x| x.id == f::IMPOSSIBLE_ORDER.id) {
        return Verdict {
            kind: VerdictKind::ForgedChain,
            severity: worst.max(Severity::Medium),
            summary: format!(
                "Forged chain: hop dates below the trust boundary run backwards; {} is where the message really entered.",
                relay.as_deref().unwrap_or("the entry hop's client")
            ),
        };
    }
    if worst >= Severity::Medium {
        let top = findings.iter().find(|x| x.severity == worst);
        return Verdict {
            kind: VerdictKind::Suspicious,
            severity: worst,
            summary: format!(
                "Suspicious: {}{}.",
                top.map(|t| t.title.to_lowercase()).unwrap_or_default(),
                relay
                    .map(|r| ["; entered your infrastructure from ", &r].concat())
                    .unwrap_or_default()
            ),
        };
    }
    Verdict {
        kind: VerdictKind::Clean,
        severity: worst,
        summary: match relay {
            Some(r) => [
                "Nothing suspicious: entered your infrastructure from ",
                &r,
                ".",
            ]
            .concat(),
            None => "Nothing suspicious: the message never left trusted infrastructure.".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_table_is_well_formed() {
        let mut ids: Vec<&str> = SIGNALS.iter().map(|s| s.id).collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n);
        for s in SIGNALS {
            assert!(s.id.contains('.') && s.reason.len() > 30, "{}", s.id);
            assert!(s.weight.abs() > 0.0 && s.weight.abs() <= 1.0, "{}", s.id);
        }
    }

    #[test]
    fn severity_grows_with_confidence() {
        assert_eq!(severity_for(0.49), None);
        assert_eq!(severity_for(0.5), Some(Severity::Medium));
        assert_eq!(severity_for(0.7), Some(Severity::High));
        assert_eq!(severity_for(1.0), Some(Severity::Critical));
    }
}
