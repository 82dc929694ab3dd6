//! One uploaded message, analysed: the bytes, the analyzer's report, the owners looked up.
//!
//! The id is derived from the message bytes, so uploading the same message twice gives the
//! same URL. Analysis is CPU work and an owner lookup is blocking network I/O, so handlers
//! call [`analyse`] on the blocking pool.

use crate::state::AppState;
use relayhunt_analyze::owner::{owners_of, OwnerNote};
use relayhunt_analyze::{Config, Limits, Report};
use relayhunt_takedown::owner::Owner;
use serde::Serialize;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

/// An analysed message as the server keeps it.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    /// 16 hex digits derived from the message bytes.
    pub id: String,
    /// The uploaded file name, when the message came as a file.
    pub file_name: Option<String>,
    /// Size of the message in bytes.
    pub size: usize,
    /// When it was analysed (seconds since the Unix epoch).
    pub analysed_unix: i64,
    /// The analyzer's report (the `relayhunt analyze --json` document).
    pub report: Report,
    /// Owners of the relay and origin IPs, when the server looks them up (`--owner`).
    pub owners: Vec<OwnerNote>,
    /// Where it was kept in the store, when recording was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored: Option<crate::stored::Recorded>,
    /// Why recording it in the store failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_error: Option<String>,
    /// The message itself, for the abuse report's attachment.
    #[serde(skip)]
    pub raw: Vec<u8>,
}

/// Why a message could not be analysed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AnalysisError {
    /// Nothing was pasted or uploaded.
    #[error("no message: paste the raw headers or choose an .eml file")]
    Empty,
    /// The `--trusted` list is invalid.
    #[error("trusted receivers: {0}")]
    Config(String),
    /// The analyzer refused the bytes.
    #[error("cannot analyse the message: {0}")]
    Message(String),
}

/// The id of a message: a 64-bit SipHash of its bytes, in hex.
pub fn id_of(raw: &[u8]) -> String {
    #[allow(deprecated)]
    let mut h = std::hash::SipHasher::new();
    raw.hash(&mut h);
    format!("{:016x}", h.finish())
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Analyse `raw` with the server's options (and owner lookup), blocking.
pub fn analyse(
    state: &AppState,
    raw: Vec<u8>,
    file_name: Option<String>,
) -> Result<Analysis, AnalysisError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(AnalysisError::Empty);
    }
    let now = state.options.now.unwrap_or_else(now_unix);
    let cfg = Config {
        trusted: state.options.trusted.clone(),
        now: Some(now),
        ..Config::default()
    };
    cfg.check()
        .map_err(|e| AnalysisError::Config(e.to_string()))?;
    let report = relayhunt_analyze::analyze_bytes_with(&raw, &cfg, &Limits::default())
        .map_err(|e| AnalysisError::Message(e.to_string()))?;
    let owners = match &state.owner {
        Some(l) => owners_of(&report, l.as_ref()),
        None => Vec::new(),
    };
    Ok(Analysis {
        id: id_of(&raw),
        file_name: file_name.filter(|n| !n.is_empty()),
        size: raw.len(),
        analysed_unix: now,
        report,
        owners,
        stored: None,
        store_error: None,
        raw,
    })
}

impl Analysis {
    /// The owner record of `ip`, when it was looked up and the answer is readable.
    pub fn owner_of(&self, ip: IpAddr) -> Option<Owner> {
        self.owners
            .iter()
            .find(|n| n.ip == ip)
            .and_then(|n| n.answer.as_ref())
            .and_then(|a| serde_json::from_value(a.owner.clone()).ok())
    }

    /// The best abuse address for the relay, when its owner is known.
    pub fn relay_abuse(&self) -> Option<String> {
        let ip = self.report.relay_ip?;
        self.owner_of(ip)?.best_abuse().map(|c| c.email.clone())
    }

    /// Subject for lists, `(no subject)` when absent.
    pub fn title(&self) -> String {
        self.report
            .summary
            .subject
            .clone()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| "(no subject)".to_string())
    }
}
