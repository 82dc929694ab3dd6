//! Takedown: find who owns a relay IP (RDAP, whois) and write the abuse report.
//!
//! Flow: `lookup` answers special-purpose addresses (documentation, private, loopback …)
//! from a table without asking anyone (`special`), asks RDAP (`rdap`), falls back to whois
//! (`whois`) and RFC 2142, caches the answer per network (`cache`) and yields an
//! [`owner::Owner`]; `report` turns a message (or a probe transcript) plus that owner into
//! an .eml, ARF or XARF document; `submit` sends it over SMTP submission when the user
//! asks; `record` hands what was written and sent to a store.

pub mod cache;
pub mod cli;
pub mod config;
pub mod lookup;
pub mod owner;
pub mod pacing;
pub mod rdap;
pub mod record;
pub mod report;
pub mod special;
pub mod submit;
pub mod whois;
