//! The analysis proper: header fields in, a [`Report`] out. Sans-I/O and deterministic.

use crate::{Config, Message, Report};

/// Analyse one split message.
pub fn analyze(msg: &Message, _cfg: &Config) -> Report {
    let mut hops: Vec<_> = msg
        .all("Received")
        .map(|h| relayhunt_received::parse(&h.value))
        .collect();
    hops.reverse();
    Report {
        schema_version: crate::report::SCHEMA_VERSION,
        hops,
    }
}
