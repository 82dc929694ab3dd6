//! whois (RFC 3912, TCP port 43): the network boundary (trait [`WhoisQuery`]), a bounded
//! client, and the reading of registry output.
//!
//! whois is the fallback when RDAP has no abuse role or fails. Its output is free text in
//! each registry's dialect; `extract` knows the fields that matter for abuse handling.

pub mod client;
pub mod extract;

use std::future::Future;

/// Why a whois query failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WhoisError {
    /// TCP connect failed.
    #[error("whois server {server} unreachable: {reason}")]
    Connect { server: String, reason: String },
    /// No complete answer within the time limit.
    #[error("whois server {server} did not finish answering within {secs:.1}s")]
    Timeout { server: String, secs: f64 },
    /// The answer exceeded the size cap.
    #[error("whois answer from {server} exceeds {limit} bytes; refused")]
    TooLarge { server: String, limit: usize },
    /// Read or write failure mid-answer.
    #[error("whois exchange with {server} failed: {reason}")]
    Io { server: String, reason: String },
    /// The referral chain is longer than allowed or loops.
    #[error("whois referral chain too long or looping: {chain}")]
    ReferralLoop { chain: String },
    /// The query would contain characters that end a whois request line.
    #[error("refusing whois query {0:?}: it contains control characters")]
    BadQuery(String),
}

/// Something that answers whois queries.
pub trait WhoisQuery {
    /// Send `query` to `server` (a host name as registries refer to it, e.g.
    /// `whois.ripe.net`) and return the whole answer as text.
    fn query(
        &self,
        server: &str,
        query: &str,
    ) -> impl Future<Output = Result<String, WhoisError>> + Send;
}

/// How to phrase a query per server, where the plain address is not enough.
/// (server suffix, format with `{q}` as the query, reason)
pub const QUERY_FORMATS: &[(&str, &str, &str)] = &[
    (
        "whois.arin.net",
        "n + {q}",
        "ARIN: `n` limits to networks, `+` adds the full org and POC records incl. OrgAbuseEmail",
    ),
    (
        "whois.ripe.net",
        "-r -B {q}",
        "RIPE: without personal data (-r) but unfiltered (-B) so abuse-mailbox is shown",
    ),
];

/// The query text to send to `server` for `q`.
pub fn phrase(server: &str, q: &str) -> String {
    let host = server
        .split(':')
        .next()
        .unwrap_or(server)
        .to_ascii_lowercase();
    QUERY_FORMATS
        .iter()
        .find(|(s, _, _)| host == *s)
        .map(|(_, f, _)| f.replace("{q}", q))
        .unwrap_or_else(|| q.to_string())
}
