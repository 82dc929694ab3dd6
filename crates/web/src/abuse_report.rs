//! The abuse report behind the page's download button, written by the takedown crate.
//!
//! The same steps as `relayhunt report MESSAGE`: the relay the analysis named, the
//! `Received:` line that proves it, medium-and-worse findings as observations, the owner
//! when it was looked up, the original attached byte for byte. Only the recipient comes
//! from the form (prefilled with the owner's abuse contact).

use crate::analysis::Analysis;
use relayhunt_analyze::report::Severity;
use relayhunt_takedown::config::Reporter;
use relayhunt_takedown::report::{self, evidence, Built, Format, ReportInput, Source};

/// Format by its command-line name (`eml`, `arf`, `xarf`).
pub fn format_named(name: &str) -> Option<Format> {
    [Format::Eml, Format::Arf, Format::Xarf]
        .into_iter()
        .find(|f| f.name() == name)
}

/// Why no report could be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The analysis named no relay.
    #[error("the analysis found no untrusted relay to report")]
    NoRelay,
    /// The relay address is not a public one.
    #[error("{ip} is a {kind} address; an abuse report needs the relay's public IP")]
    NotPublic { ip: std::net::IpAddr, kind: String },
    /// No header proves the relay handed the message on.
    #[error("no Received header records a connection from {0}; the report would have no evidence")]
    NoEvidence(std::net::IpAddr),
    /// The takedown writer refused the input: an address that cannot go into a header, or
    /// a message without the envelope sender XARF requires.
    #[error("{0}")]
    Refused(String),
}

/// Write the report on `a` for `to`, from `reporter`, dated `now_unix`.
pub fn build(
    a: &Analysis,
    reporter: &Reporter,
    to: &str,
    format: Format,
    now_unix: i64,
) -> Result<Built, ReportError> {
    let relay = a.report.relay_ip.ok_or(ReportError::NoRelay)?;
    if let Some(kind) = relayhunt_takedown::lookup::special_kind(relay) {
        return Err(ReportError::NotPublic {
            ip: relay,
            kind: kind.to_string(),
        });
    }
    let raw = evidence::message_bytes(&a.raw);
    let mut ev = evidence::gather(raw, Some(relay));
    if ev.proving.is_none() {
        return Err(ReportError::NoEvidence(relay));
    }
    ev.observations = a
        .report
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Medium)
        .take(5)
        .map(|f| format!("{} [{}]", f.title, f.id))
        .collect();
    let owner = a.owner_of(relay);
    let input = ReportInput {
        relay,
        source: Source::Message,
        original: Some(raw),
        evidence: ev,
        owner: owner.as_ref(),
        to: to.trim().to_string(),
        reporter,
        now_unix,
    };
    report::build(&input, format).map_err(|e| ReportError::Refused(e.to_string()))
}

/// The download file name: `abuse-report-198.51.100.25.eml`.
pub fn file_name(a: &Analysis, format: Format) -> String {
    let ip = a
        .report
        .relay_ip
        .map(|ip| ip.to_string().replace(':', "_"))
        .unwrap_or_default();
    format!("abuse-report-{ip}.{}", format.extension())
}
