//! `analyze --owner`: who owns the relay and origin IPs a report names.
//!
//! The lookup itself (RDAP, whois, cache) lives in the takedown crate, which builds on this
//! one; so this crate only defines the hook and where its answers go. The binary passes an
//! implementation in, and the answers ride along with each analysed message.

use serde::Serialize;
use std::net::IpAddr;

/// Something that can name the owner of an IP address.
pub trait OwnerLookup {
    /// Look up `ip`. `Ok` carries the owner as JSON plus a one-line summary for people;
    /// `Err` says why this IP could not be looked up (shown per IP, the run goes on).
    fn lookup(&self, ip: IpAddr) -> Result<OwnerAnswer, String>;
}

/// A successful lookup.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerAnswer {
    /// One line: network, organisation, country, best abuse address.
    pub summary: String,
    /// The full owner record (shape documented with `relayhunt whois --json`).
    pub owner: serde_json::Value,
}

/// The owner of one IP a report names.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerNote {
    /// `relay` (the first untrusted relay) or `origin` (the claimed origin below it).
    pub role: &'static str,
    /// The address looked up.
    pub ip: IpAddr,
    /// The answer, when the lookup worked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<OwnerAnswer>,
    /// Why the lookup failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Look up the relay and origin IPs of a report (each once).
pub fn owners_of(report: &crate::Report, lookup: &dyn OwnerLookup) -> Vec<OwnerNote> {
    let mut notes: Vec<OwnerNote> = Vec::new();
    for (role, ip) in [("relay", report.relay_ip), ("origin", report.origin_ip)] {
        let Some(ip) = ip else { continue };
        if notes.iter().any(|n| n.ip == ip) {
            continue;
        }
        let (answer, error) = match lookup.lookup(ip) {
            Ok(a) => (Some(a), None),
            Err(e) => (None, Some(e)),
        };
        notes.push(OwnerNote {
            role,
            ip,
            answer,
            error,
        });
    }
    notes
}
