//! `report --store`: the hook through which written and sent abuse reports are kept.
//!
//! The store crate builds on this one, so this crate only says what is handed over; the
//! binary passes the store's implementation in. A report is recorded once written, then
//! its status changes when it is sent (or fails to be).

use crate::owner::Owner;
use std::net::IpAddr;
use std::path::Path;

/// A report just written to a file.
#[derive(Debug, Clone, Copy)]
pub struct WrittenReport<'a> {
    /// The relay reported.
    pub relay: IpAddr,
    /// The message it is about, as read (identifies the stored message by content).
    pub message: Option<&'a [u8]>,
    /// `eml`, `arf`, `xarf`.
    pub format: &'a str,
    /// The addressee.
    pub recipient: &'a str,
    /// The file written.
    pub path: &'a Path,
    /// The report as written.
    pub bytes: &'a [u8],
    /// The relay's owner, when it was looked up.
    pub owner: Option<&'a Owner>,
}

/// Somewhere abuse reports are kept.
pub trait ReportRecorder {
    /// A report was written; returns its id for [`ReportRecorder::status`].
    fn written(&mut self, report: &WrittenReport<'_>) -> Result<i64, String>;
    /// The report `id` was sent (`sent`) or could not be (`failed`); `detail` is the
    /// server's reply or the error.
    fn status(&mut self, id: i64, status: &str, detail: &str) -> Result<(), String>;
}
