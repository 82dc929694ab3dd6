//! Forensics: read raw mail, rebuild the hop chain, find the relay and explain it.
//!
//! Data flows one way: `input` (files, mbox, maildir, stdin → raw message bytes) →
//! `message` (bounded header split) → `engine` (chain, trust boundary, auth, findings) →
//! `report` (the versioned result) → `output` (human, JSON, NDJSON) and `record` (the
//! hook that keeps results in a store). `batch` drives that
//! flow over many messages on all cores with bounded memory; `cli` is the command line.
//! `owner` and `verification` are hooks through which the binary joins network lookups
//! (owner records, `--verify`) that live in other crates.

pub mod batch;
pub mod cli;
pub mod config;
pub mod engine;
pub mod eval;
pub mod input;
pub mod measure;
pub mod message;
pub mod output;
pub mod owner;
pub mod record;
pub mod report;
pub mod verification;

pub use config::Config;
pub use message::{HeaderField, Limits, Message, MessageError};
pub use report::Report;

/// Split a raw message with the default [`Limits`] and analyse it.
pub fn analyze_bytes(raw: &[u8], cfg: &Config) -> Result<Report, MessageError> {
    analyze_bytes_with(raw, cfg, &Limits::default())
}

/// Split a raw message within `limits` and analyse it.
pub fn analyze_bytes_with(
    raw: &[u8],
    cfg: &Config,
    limits: &Limits,
) -> Result<Report, MessageError> {
    let msg = Message::parse(raw, limits)?;
    Ok(engine::analyze(&msg, cfg))
}
