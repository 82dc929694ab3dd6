//! `analyze --verify`: re-checking a message over the network, joined to the analysis.
//!
//! The checks themselves (DNS, SPF, DKIM, ARC, DMARC, FCrDNS, blocklists) live in the
//! verify crate, which builds on this one; this crate stays offline and only defines the
//! hook and where its answers go: a `verification` section next to the report, findings
//! merged into the report's, and corroboration for the relay verdict. The batch hands
//! each chunk of analysed messages, with their raw bytes, to the hook at once so the
//! network work for a chunk can run concurrently.

use crate::engine::verdict::SignalKind;
use crate::report::{Finding, Report, Signal};
use serde::Serialize;
use std::net::IpAddr;

/// Something that can verify analysed messages over the network.
pub trait Verifier: Sync {
    /// Verify each `(raw message, report)` pair; returns one note per pair, same order.
    fn verify(&self, items: &[(&[u8], &Report)]) -> Vec<VerificationNote>;

    /// Word for the progress line (`verified`).
    fn progress_word(&self) -> &'static str {
        "verified"
    }
}

/// A live check that backs the relay verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Corroboration {
    /// Stable signal id, one of [`SIGNALS`] (`auth.spf_recheck_fail`, …).
    pub id: &'static str,
    /// The address it is about.
    pub ip: IpAddr,
    /// One sentence for the analyst.
    pub detail: String,
}

/// What verification concluded for one message.
#[derive(Debug, Clone, Default)]
pub struct VerificationNote {
    /// The `verification` section of the JSON document (shape in docs/analyze-json.md).
    pub section: serde_json::Value,
    /// The human report's verification section, one line each.
    pub lines: Vec<String>,
    /// Findings to add to the report.
    pub findings: Vec<Finding>,
    /// Live checks that corroborate the relay verdict (about the relay IP).
    pub corroboration: Vec<Corroboration>,
}

/// How much each live check adds to the relay verdict's confidence, in the same form as the
/// header signals (`engine::verdict::SIGNALS`). Families follow the id's first part, so the
/// SPF re-check shares the `auth` family with the header signal `spf.fail_for_relay` and the
/// same fact is never counted twice.
pub const SIGNALS: &[SignalKind] = &[
    SignalKind {
        id: "auth.spf_recheck_fail",
        family: "auth",
        weight: 0.35,
        reason: "checked over DNS, the sender's domain does not authorise the relay's address (SPF fail/softfail): the relay sent mail for a domain it has nothing to do with",
    },
    SignalKind {
        id: "reputation.dnsbl_listed",
        family: "reputation",
        weight: 0.2,
        reason: "the relay's address is on a DNS blocklist: it is known to send spam or to be hijacked",
    },
    SignalKind {
        id: "rdns.no_fcrdns",
        family: "rdns",
        weight: 0.1,
        reason: "the relay's address has no forward-confirmed reverse DNS, which mail servers keep",
    },
];

/// Merge a note's findings into `report` and hand its corroboration to the relay verdict
/// (`engine::verdict::corroborate`), which grades the relay again and rewrites the verdict.
///
/// Only corroboration about the assessed relay's address counts. Findings keep the
/// report's order (most severe first, stable).
pub fn apply(report: &mut Report, note: &VerificationNote) {
    report.findings.extend(note.findings.iter().cloned());
    report
        .findings
        .sort_by_key(|f| std::cmp::Reverse(f.severity));
    let relay_ip = report
        .relay
        .as_ref()
        .and_then(|a| a.relay_ip)
        .or(report.relay_ip);
    let present: Vec<String> = report
        .relay
        .as_ref()
        .map(|a| a.signals.iter().map(|s| s.id.to_string()).collect())
        .unwrap_or_default();
    let signals: Vec<Signal> = note
        .corroboration
        .iter()
        .filter(|c| Some(c.ip) == relay_ip)
        .filter(|c| !present.iter().any(|p| p == c.id))
        .filter_map(|c| {
            let k = SIGNALS.iter().find(|k| k.id == c.id)?;
            Some(Signal {
                id: std::borrow::Cow::Borrowed(k.id),
                weight: k.weight,
                reason: c.detail.clone(),
                evidence: Vec::new(),
            })
        })
        .collect();
    if report.relay.is_some() && !signals.is_empty() {
        crate::engine::verdict::corroborate(report, signals);
    } else if let Some(worst) = note.findings.iter().map(|f| f.severity).max() {
        if worst > report.verdict.severity
            && report.verdict.kind != crate::report::VerdictKind::Clean
        {
            report.verdict.severity = worst;
        }
    }
}
