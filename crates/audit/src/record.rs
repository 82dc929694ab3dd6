//! `audit --store`: the hook through which audit reports are kept.
//!
//! The store crate builds on this one, so this crate only says what is handed over; the
//! binary passes the store's implementation in.

use crate::finding::Report;

/// Somewhere audits are kept.
pub trait AuditRecorder {
    /// Keep one audit; `json` is the document `audit --json` prints. Returns one line for
    /// stderr saying what was kept.
    fn record(&mut self, report: &Report, json: &str) -> Result<String, String>;
}
