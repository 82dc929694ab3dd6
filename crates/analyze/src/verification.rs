//! `analyze --verify`: re-checking a message over the network, joined to the analysis.
//!
//! The checks themselves (DNS, SPF, DKIM, ARC, DMARC, FCrDNS, blocklists) live in the
//! verify crate, which builds on this one; this crate stays offline and only defines the
//! hook and where its answers go: a `verification` section next to the report, findings
//! merged into the report's, and corroboration for the relay verdict. The batch hands
//! each chunk of analysed messages, with their raw bytes, to the hook at once so the
//! network work for a chunk can run concurrently.

use crate::report::{Finding, Report};
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
    /// Stable signal id, e.g. `verify.relay_not_in_spf`.
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

/// Merge a note's findings and corroboration into `report`.
///
/// Findings keep the report's order (most severe first, stable); the verdict's severity
/// rises to the worst finding as it does for the engine's own findings.
pub fn apply(report: &mut Report, note: &VerificationNote) {
    report.findings.extend(note.findings.iter().cloned());
    report
        .findings
        .sort_by_key(|f| std::cmp::Reverse(f.severity));
    if let Some(worst) = note.findings.iter().map(|f| f.severity).max() {
        if worst > report.verdict.severity
            && report.verdict.kind != crate::report::VerdictKind::Clean
        {
            report.verdict.severity = worst;
        }
    }
}
