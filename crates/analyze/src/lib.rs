//! Forensics: read raw mail, rebuild the hop chain, find the relay and explain it.
//!
//! Data flows one way: `input` (files, mbox, maildir, stdin → raw message bytes) →
//! `message` (bounded header split) → `engine` (chain, trust boundary, auth, findings) →
//! `report` (the versioned result) → `output` (human, JSON, NDJSON).

pub mod cli;
pub mod config;
pub mod engine;
pub mod message;
pub mod report;

pub use config::Config;
pub use message::{HeaderField, Message, MessageError};
pub use report::Report;
