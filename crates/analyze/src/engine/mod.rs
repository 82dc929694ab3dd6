//! The analysis proper: header fields in, a [`Report`] out. Sans-I/O and deterministic.
//!
//! Steps, in the order an analyst reads headers: parse every `Received:` header and order
//! the hops oldest → newest (`chain`), find where trusted infrastructure begins (`trust`),
//! judge what the first untrusted relay did (`relay`, `continuity`, `residential`), weigh
//! the authentication results the trusted side wrote (`auth`), look for impersonation
//! (`bec`), and pick one headline (`verdict`).

pub mod auth;
pub mod bec;
pub mod chain;
pub mod continuity;
pub mod findings;
pub mod freemail;
pub mod identity;
pub mod memo;
pub mod providers;
pub mod relay;
pub mod residential;
pub mod roles;
pub mod summary;
pub mod trust;
pub mod verdict;

use crate::report::{ChainEntry, Evidence, HopFlag, HopRole, Severity, TrustBoundary};
use crate::{Config, HeaderField, Message, Report};
use findings::{finding, quote};
use relayhunt_received::Hop;

/// Per-message working state shared by the steps.
pub struct Ctx<'a> {
    /// The message.
    pub msg: &'a Message<'a>,
    /// The options.
    pub cfg: &'a Config,
    /// Parsed hops, oldest first.
    pub hops: Vec<Hop>,
    /// The `Received:` field of each hop (parallel to `hops`).
    pub fields: Vec<&'a HeaderField<'a>>,
}

impl Ctx<'_> {
    /// Evidence quoting hop `i`'s header.
    pub fn ev(&self, i: usize) -> Evidence {
        quote(self.fields[i])
    }
}

/// Analyse one split message.
pub fn analyze(msg: &Message, cfg: &Config) -> Report {
    let mut fields: Vec<&HeaderField> = msg.all("Received").collect();
    fields.reverse();
    let hops: Vec<Hop> = fields
        .iter()
        .map(|h| relayhunt_received::parse(h.value()))
        .collect();
    let ctx = Ctx {
        msg,
        cfg,
        hops,
        fields,
    };

    let summary = summary::summarize(msg);
    let entries = cfg.trusted_entries();
    let walk = trust::walk(
        &ctx.hops,
        &trust::Scope {
            entries: &entries,
            builtin: cfg.builtin_providers,
        },
    );
    let (delays, mut flags) = chain::timing(&ctx.hops, cfg);
    let limit_line = walk
        .entry
        .and_then(|e| e.checked_sub(1))
        .map(|below| ctx.fields[below].line);
    let auth = auth::evaluate(
        msg,
        &cfg.trusted_authserv_ids,
        limit_line,
        summary.from.as_ref().and_then(|m| m.domain.as_deref()),
        summary.return_path.as_deref(),
    );

    let mut walk = walk;
    let mut outcome = relay::assess(&ctx, &walk, &auth, &summary, &mut flags);
    let mut all = std::mem::take(&mut outcome.findings);
    // Mailing lists and forwarders just below the boundary are trusted to have recorded
    // their sender truthfully: the boundary moves below them.
    if let (Some(a), Some(e)) = (outcome.resent_from, walk.entry) {
        if a < e {
            for i in a..e {
                let why = [
                    "trusted.resender: written by ",
                    &relay::describe(&ctx.hops[i + 1].from),
                    ", a mailing list or forwarder that re-sent the message",
                ]
                .concat();
                walk.trusted[i] = Some(why);
            }
            walk.entry = Some(a);
            walk.private_crossing = false;
        }
    }
    let below_list = outcome.below_list;
    // Forwarders and list servers the trust walk recognised (configured, or a forwarder
    // that accepted mail for its own domain and re-sent it to you) are reported as such.
    for i in 0..ctx.hops.len().saturating_sub(1) {
        let Some(t) = walk.trusted[i].as_deref() else {
            continue;
        };
        let kind = if t.starts_with("trusted.forwarder") {
            &findings::FORWARDER
        } else if t.starts_with("trusted.list") {
            &findings::MAILING_LIST
        } else {
            continue;
        };
        all.push(finding(
            kind,
            Severity::Info,
            Some(i + 1),
            [
                relay::describe(&ctx.hops[i + 1].from).as_str(),
                " re-sent the message to you; its own header below is trusted to name its sender truthfully (",
                t,
                "). Not an open relay.",
            ]
            .concat(),
            vec![ctx.ev(i + 1), ctx.ev(i)],
        ));
    }
    all.extend(time_findings(&ctx, &walk, &flags));
    let forwarded = all
        .iter()
        .any(|f| f.id == findings::MAILING_LIST.id || f.id == findings::FORWARDER.id);
    all.extend(auth_findings(msg, &auth, limit_line, forwarded));
    all.extend(bec::check(msg, &summary));
    let grade = |cand: relay::Candidate| {
        let entry = outcome_entry(&ctx, &walk, &cand);
        let signals = verdict::signals(&ctx, &cand, &auth, &summary, &all, entry);
        verdict::assessment(cand, signals)
    };
    let mut relay_assessment = outcome.candidate.take().map(grade);
    // In a connected run of unexplained relays the deepest one that is at least as well
    // corroborated as every server above it took the message from the stranger; the
    // servers above relayed for it (its smarthosts).
    let lowers: Vec<_> = std::mem::take(&mut outcome.lower_candidates)
        .into_iter()
        .map(grade)
        .collect();
    if let Some(upper) = relay_assessment.as_ref() {
        let mut best = upper.confidence;
        let mut pick: Option<usize> = None;
        for (i, l) in lowers.iter().enumerate() {
            if l.confidence >= best && verdict::severity_for(l.confidence).is_some() {
                best = l.confidence;
                pick = Some(i);
            }
        }
        if let Some(i) = pick {
            let lower = lowers.into_iter().nth(i);
            if let Some(lower) = lower {
                for h in lower.hop + 1..=upper.hop {
                    if let Some(r) = outcome.roles.get_mut(h) {
                        *r = Some(crate::report::HopRoleInfo {
                            kind: crate::report::HopKind::CustomerSmarthost,
                            rule: "smarthost.relay_client",
                            why: format!(
                                "relayed for the mail server below it; {} accepted the message from {} (confidence {:.2} against {:.2} here)",
                                lower.relay, lower.source, lower.confidence, upper.confidence
                            ),
                        });
                    }
                }
                if let Some(r) = outcome.roles.get_mut(lower.hop) {
                    *r = Some(crate::report::HopRoleInfo {
                        kind: crate::report::HopKind::UnexplainedRelay,
                        rule: roles::UNEXPLAINED,
                        why: format!(
                            "accepted from {} without a recorded login, and no rule relates the client to it",
                            lower.source
                        ),
                    });
                }
                relay_assessment = Some(lower);
            }
        }
    }
    if let Some(a) = &relay_assessment {
        all.push(verdict::relay_finding(a));
        if let (None, (Some(k), Some(s), Some(t))) = (outcome.kind, verdict::headline_of(Some(a))) {
            outcome.kind = Some(k);
            outcome.severity = Some(s);
            outcome.summary = Some(t);
        }
    }
    if msg.truncated {
        all.push(finding(
            &findings::TRUNCATED,
            Severity::Low,
            None,
            "The header block was longer than the input limit and was cut; hops or results beyond the cut are missing from this analysis.".into(),
            Vec::new(),
        ));
    }
    // A poster's own machine talking straight to a list server is ordinary; what it looks
    // like matters less once a list vouched for passing the message on.
    if let Some(list_entry) = below_list {
        for f in &mut all {
            if f.id.starts_with("origin.")
                && f.hop.is_some_and(|h| h < list_entry)
                && f.severity > Severity::Low
            {
                f.severity = Severity::Low;
            }
        }
    }
    // Later passes (below a list) can repeat a conclusion about the same hop.
    let mut seen: Vec<(&'static str, Option<usize>, Option<usize>)> = Vec::with_capacity(all.len());
    all.retain(|f| {
        let key = (f.id, f.hop, f.evidence.first().map(|e| e.line));
        let new = !seen.contains(&key);
        seen.push(key);
        new
    });
    // Most severe first; stable so equal severities keep their discovery order.
    all.sort_by_key(|f| std::cmp::Reverse(f.severity));

    let boundary = walk.entry.map(|e| TrustBoundary {
        entry_hop: e,
        entry_line: ctx.fields[e].line,
        relay_ip: ctx.hops[e].from.ip,
        relay_rdns: ctx.hops[e]
            .from
            .rdns
            .as_deref()
            .map(|r| r.trim_end_matches('.').to_string()),
        relay_helo: ctx.hops[e].from.helo.clone(),
        trusted_by: walk.trusted[e].clone().unwrap_or_default(),
    });
    // The walk's reasons are not read after this: each moves into its chain entry.
    let mut chain = Vec::with_capacity(ctx.hops.len());
    for i in 0..ctx.hops.len() {
        let trusted = walk.trusted[i].is_some();
        let hop_role = hop_role(&walk, &mut outcome.roles, i);
        chain.push(ChainEntry {
            index: i,
            line: ctx.fields[i].line,
            delay_secs: delays[i],
            role: match walk.entry {
                Some(e) if i == e => HopRole::Entry,
                _ if trusted => HopRole::Trusted,
                _ => HopRole::Claimed,
            },
            trusted,
            trust_reason: walk.trusted[i].take(),
            hop_role,
            flags: dedup(std::mem::take(&mut flags[i])),
        });
    }
    let relay_ip = relay_assessment
        .as_ref()
        .and_then(|a| a.relay_ip)
        .or_else(|| boundary.as_ref().and_then(|b| b.relay_ip))
        .filter(|ip| !identity::is_private(*ip));
    let verdict = verdict::decide(
        !ctx.hops.is_empty(),
        walk.entry.map(|e| relay::describe(&ctx.hops[e].from)),
        outcome.kind,
        outcome.severity,
        outcome.summary,
        &all,
    );
    Report {
        schema_version: crate::report::SCHEMA_VERSION,
        summary,
        hops: ctx.hops,
        chain,
        boundary,
        verdict,
        findings: all,
        auth,
        relay_ip,
        origin_ip: outcome.origin_ip.filter(|ip| !identity::is_private(*ip)),
        truncated: msg.truncated,
        relay: relay_assessment,
    }
}

/// The original entry hop for grading: the boundary may have moved below a list, but the
/// SPF/DMARC results were about the client of the hop your own server wrote.
fn outcome_entry(ctx: &Ctx<'_>, walk: &trust::Walk, cand: &relay::Candidate) -> usize {
    let e = walk.entry.unwrap_or(cand.hop + 1);
    // The first hop above the candidate whose receiver is trusted by the walk proper.
    (cand.hop + 1..ctx.hops.len())
        .find(|&i| {
            walk.trusted[i]
                .as_deref()
                .is_some_and(|t| !t.starts_with("trusted.resender"))
        })
        .unwrap_or(e)
}

/// The role of hop `i` for the chain table: what the walk down decided below the entry
/// hop, `inbound` at it, and the trust reason above it.
fn hop_role(
    walk: &trust::Walk,
    roles: &mut [Option<crate::report::HopRoleInfo>],
    i: usize,
) -> crate::report::HopRoleInfo {
    use crate::report::{HopKind, HopRoleInfo};
    if let Some(r) = roles.get_mut(i).and_then(Option::take) {
        return r;
    }
    match (walk.entry, &walk.trusted[i]) {
        (Some(e), Some(t)) if e == i => HopRoleInfo {
            kind: HopKind::Inbound,
            rule: "trusted.entry",
            why: [
                "your infrastructure accepted the message from outside (",
                t,
                ")",
            ]
            .concat(),
        },
        (_, Some(t)) if t.starts_with("trusted.fetch") => HopRoleInfo {
            kind: HopKind::Retrieval,
            rule: "trusted.fetch",
            why: t.clone(),
        },
        (_, Some(t)) => HopRoleInfo {
            kind: HopKind::Trusted,
            rule: "trusted.walk",
            why: t.clone(),
        },
        _ => HopRoleInfo {
            kind: HopKind::Claimed,
            rule: "claimed.below",
            why: "below the trust boundary and not judged: written by untrusted servers".into(),
        },
    }
}

/// `v` without repeats, first occurrences kept in order. The flags seen so far are one
/// bit each (there are a dozen kinds), so no second vector is allocated per hop.
fn dedup(mut v: Vec<HopFlag>) -> Vec<HopFlag> {
    let mut seen = 0u32;
    v.retain(|f| {
        let bit = 1u32 << (*f as u32);
        let new = seen & bit == 0;
        seen |= bit;
        new
    });
    v
}

/// Time anomalies not already explained as an impossible order below the boundary.
fn time_findings(
    ctx: &Ctx<'_>,
    walk: &trust::Walk,
    flags: &[Vec<HopFlag>],
) -> Vec<crate::report::Finding> {
    let mut out = Vec::new();
    let entry = walk.entry.unwrap_or(0);
    // Below the entry hop dates are claims; only their impossible order is reported (by
    // the relay analysis), not every odd delay between invented headers.
    for (i, fl) in flags.iter().enumerate().skip(entry) {
        let trusted_pair = walk.trusted[i].is_some() && i > entry;
        for flag in fl {
            let f = match flag {
                HopFlag::NegativeDelay
                    if trusted_pair
                        || walk.entry.is_none()
                        || ctx.hops[i].date.zip(ctx.hops[i - 1].date).is_some_and(|(u, l)| {
                            u.unix.saturating_sub(l.unix) >= -ctx.cfg.impossible_order_secs
                        }) =>
                {
                    finding(
                    &findings::NEGATIVE_DELAY,
                    Severity::Low,
                    Some(i),
                    format!(
                        "This hop is dated {} s before the hop that handed the message to it; one of the two servers has a wrong clock.",
                        -ctx.hops[i].date.map(|d| d.unix).unwrap_or(0)
                            + ctx.hops[i - 1].date.map(|d| d.unix).unwrap_or(0)
                    ),
                    vec![ctx.ev(i), ctx.ev(i - 1)],
                )
                }
                HopFlag::HugeDelay => finding(
                    &findings::HUGE_DELAY,
                    Severity::Info,
                    Some(i),
                    "More than a day passed between this hop and the one before it: the message sat in a queue, was held, or one of the dates is false.".into(),
                    vec![ctx.ev(i), ctx.ev(i.saturating_sub(1))],
                ),
                HopFlag::FutureDate => finding(
                    &findings::FUTURE_DATE,
                    if walk.trusted[i].is_some() { Severity::Low } else { Severity::Medium },
                    Some(i),
                    "This hop is dated in the future relative to the analysis time; a server clock is wrong or the header was written by hand.".into(),
                    vec![ctx.ev(i)],
                ),
                HopFlag::MissingDate | HopFlag::BadDate => finding(
                    &findings::MISSING_DATE,
                    Severity::Info,
                    Some(i),
                    "This hop carries no date the analyzer could read, so its place in time cannot be checked.".into(),
                    vec![ctx.ev(i)],
                ),
                _ => continue,
            };
            out.push(f);
        }
    }
    out
}

/// Failed authentication, planted results, and ignored untrusted results.
fn auth_findings(
    msg: &Message,
    auth: &crate::report::AuthReport,
    limit_line: Option<usize>,
    forwarded: bool,
) -> Vec<crate::report::Finding> {
    let mut out = Vec::new();
    let ar_fields: Vec<&HeaderField> = msg.all("Authentication-Results").collect();
    let ev_for = |line: usize| ar_fields.iter().find(|h| h.line == line).map(|h| quote(h));
    if relay::auth_failed(auth) {
        let mut ev: Vec<Evidence> = auth
            .results
            .iter()
            .filter(|r| r.trusted)
            .filter_map(|r| ev_for(r.line))
            .collect();
        ev.extend(
            msg.all("Received-SPF")
                .filter(|h| {
                    auth.received_spf
                        .iter()
                        .any(|s| s.trusted && s.line == h.line)
                })
                .map(quote),
        );
        ev.sort_by_key(|e| e.line);
        let from = auth
            .alignment
            .from_domain
            .as_deref()
            .unwrap_or("the From domain");
        let (severity, why) = if forwarded {
            (
                Severity::Low,
                format!("The message was re-sent by a mailing list or forwarder, which is not allowed to send for {from} and often alters the message so signatures break; failure is expected here and not by itself a sign of forgery."),
            )
        } else {
            (
                Severity::Medium,
                format!("The server that delivered the message is not allowed to send for {from}, and no valid signature from {from} vouches for it."),
            )
        };
        out.push(finding(
            &findings::AUTH_FAILED,
            severity,
            None,
            format!(
                "Your receiving side checked the sender and it failed: {}. {why}",
                relay::auth_phrase(auth)
            ),
            ev,
        ));
    }
    let trusted_ids = &auth.trusted_authserv_ids;
    for r in &auth.results {
        let id = r.authserv_id.as_deref().unwrap_or_default();
        let below = limit_line.is_some_and(|e| r.line > e);
        if below && !id.is_empty() && trusted_ids.iter().any(|t| t == id) {
            out.push(finding(
                &findings::AUTH_FORGED,
                Severity::Medium,
                None,
                format!(
                    "An Authentication-Results header in the name of your checker ({id}) sits below the hop where the message entered your infrastructure: it was in the message before your server saw it. The sender planted it to look verified."
                ),
                ev_for(r.line).into_iter().collect(),
            ));
        } else if !r.trusted && r.methods.iter().any(|m| m.result == "pass") {
            out.push(finding(
                &findings::AUTH_UNTRUSTED,
                Severity::Info,
                None,
                format!(
                    "Authentication results from {} were ignored: that checker is not one you trust, so its \"pass\" proves nothing.",
                    if id.is_empty() { "an unnamed checker" } else { id }
                ),
                ev_for(r.line).into_iter().collect(),
            ));
        }
    }
    out
}
