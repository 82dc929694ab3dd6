//! The abuse report: evidence from the message (or a probe), the owner's abuse contact,
//! rendered as .eml, ARF or XARF.
//!
//! `evidence` reads the message, `text` writes the human explanation, `compose` assembles
//! the documents (mail-builder for MIME, mail-auth for the ARF fields), and every header
//! value passes `header_value` first.

pub mod compose;
pub mod evidence;
pub mod header_value;
pub mod probe_result;
pub mod text;
pub mod xarf;

use crate::config::Reporter;
use crate::owner::Owner;
use std::net::IpAddr;

pub use compose::{build, BuildError, Built, Format};

/// What the report is about.
#[derive(Debug, Clone)]
pub enum Source {
    /// A message that came through the relay (evidence in its Received lines).
    Message,
    /// An active probe that showed the relay open.
    Probe(probe_result::ProbeEvidence),
}

/// Everything a report is made from.
#[derive(Debug, Clone)]
pub struct ReportInput<'a> {
    pub relay: IpAddr,
    pub source: Source,
    /// The original message, attached byte for byte.
    pub original: Option<&'a [u8]>,
    pub evidence: evidence::Evidence,
    pub owner: Option<&'a Owner>,
    /// Recipient (the abuse contact).
    pub to: String,
    pub reporter: &'a Reporter,
    /// Time the report is written (Date header).
    pub now_unix: i64,
}

impl ReportInput<'_> {
    /// When the abuse happened, in Unix seconds: the relayed message's arrival at our
    /// server, or the start of the probe that found the relay open. ARF's Arrival-Date and
    /// XARF's timestamp both state it, so they must agree.
    pub fn incident_unix(&self) -> Option<i64> {
        match &self.source {
            Source::Message => self.evidence.when_unix,
            Source::Probe(p) => p
                .started_at
                .as_deref()
                .and_then(crate::rdap::extract::rfc3339_unix),
        }
    }
}
