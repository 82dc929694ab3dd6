//! RDAP: the network boundary (trait [`RdapFetch`]), the real client, and the JSON reading.
//!
//! The trait keeps lookups testable offline: tests run the real [`fetch::IcannRdap`] against
//! loopback servers with an injected IANA bootstrap registry.

pub mod extract;
pub mod fetch;

use std::future::Future;
use std::net::IpAddr;

/// One RDAP answer: the URL that finally answered (after redirects) and its JSON.
#[derive(Debug, Clone)]
pub struct RdapAnswer {
    pub url: String,
    pub body: serde_json::Value,
}

/// Why an RDAP query failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RdapError {
    /// No RDAP service in the bootstrap registry covers the query.
    #[error("no RDAP server in the IANA bootstrap covers {query}")]
    NoService { query: String },
    /// The bootstrap registry could not be loaded or fetched.
    #[error("RDAP bootstrap unavailable: {0}")]
    Bootstrap(String),
    /// The server answered with an HTTP error.
    #[error("RDAP server {url} answered HTTP {status}{}", match *.status {
        404 => " (no such object: the registry has no record)",
        429 => " (rate limited: wait, or raise --interval-ms)",
        _ => "",
    })]
    Status { url: String, status: u16 },
    /// No complete answer within the time limit.
    #[error("RDAP server {url} did not answer within {secs:.1}s (try --timeout)")]
    Timeout { url: String, secs: f64 },
    /// The answer exceeded the size cap.
    #[error("RDAP answer from {url} exceeds {limit} bytes; refused")]
    TooLarge { url: String, limit: usize },
    /// Connection, TLS or redirect failure.
    #[error("RDAP request to {url} failed: {reason}")]
    Transport { url: String, reason: String },
    /// The body is not JSON.
    #[error("RDAP answer from {url} is not JSON: {reason}")]
    NotJson { url: String, reason: String },
    /// The query text is not an IP or domain.
    #[error("{0:?} is not a valid RDAP query")]
    BadQuery(String),
}

/// Something that answers RDAP queries.
pub trait RdapFetch {
    /// Look up the network holding `ip`.
    fn ip(&self, ip: IpAddr) -> impl Future<Output = Result<RdapAnswer, RdapError>> + Send;
    /// Look up a domain name.
    fn domain(&self, name: &str) -> impl Future<Output = Result<RdapAnswer, RdapError>> + Send;
}
