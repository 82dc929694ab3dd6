//! DNS behind a small trait: MX and address lookups for bare domains and host names.
//!
//! The scanner needs only two questions answered, so the trait is two methods; the real
//! implementation wraps hickory-resolver with the system configuration, tests use a map.

use hickory_resolver::proto::rr::RData;
use hickory_resolver::TokioResolver;
use std::future::Future;
use std::net::IpAddr;

/// A DNS failure (other than "no such records", which is an empty answer).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("DNS lookup of {name} ({kind}) failed: {message}")]
pub struct DnsError {
    /// The name looked up.
    pub name: String,
    /// `MX` or `A/AAAA`.
    pub kind: &'static str,
    /// What went wrong.
    pub message: String,
}

/// One MX record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mx {
    /// Lower is preferred (RFC 5321 §5.1).
    pub preference: u16,
    /// Exchange host name without trailing dot; `""` for a null MX (RFC 7505).
    pub exchange: String,
}

/// The lookups the scanner makes.
pub trait Resolve: Send + Sync {
    /// MX records of `domain`; empty when it has none.
    fn mx(&self, domain: &str) -> impl Future<Output = Result<Vec<Mx>, DnsError>> + Send;
    /// IPv4 and IPv6 addresses of `host`; empty when it has none.
    fn addrs(&self, host: &str) -> impl Future<Output = Result<Vec<IpAddr>, DnsError>> + Send;
}

/// hickory-resolver over the system's resolver configuration.
pub struct SystemResolver {
    inner: TokioResolver,
}

impl SystemResolver {
    /// Read `/etc/resolv.conf` (or the platform equivalent).
    pub fn new() -> Result<Self, DnsError> {
        let inner = TokioResolver::builder_tokio()
            .and_then(|b| b.build())
            .map_err(|e| DnsError {
                name: "(system configuration)".into(),
                kind: "setup",
                message: e.to_string(),
            })?;
        Ok(Self { inner })
    }
}

fn fqdn(name: &str) -> String {
    if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    }
}

impl Resolve for SystemResolver {
    async fn mx(&self, domain: &str) -> Result<Vec<Mx>, DnsError> {
        match self.inner.mx_lookup(fqdn(domain)).await {
            Ok(lookup) => {
                let mut out: Vec<Mx> = lookup
                    .answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::MX(mx) => Some(Mx {
                            preference: mx.preference,
                            exchange: mx.exchange.to_utf8().trim_end_matches('.').to_string(),
                        }),
                        _ => None,
                    })
                    .collect();
                out.sort_by(|a, b| {
                    a.preference
                        .cmp(&b.preference)
                        .then(a.exchange.cmp(&b.exchange))
                });
                Ok(out)
            }
            Err(e) if e.is_no_records_found() || e.is_nx_domain() => Ok(Vec::new()),
            Err(e) => Err(DnsError {
                name: domain.to_string(),
                kind: "MX",
                message: e.to_string(),
            }),
        }
    }

    async fn addrs(&self, host: &str) -> Result<Vec<IpAddr>, DnsError> {
        match self.inner.lookup_ip(fqdn(host)).await {
            Ok(ips) => Ok(ips.iter().collect()),
            Err(e) if e.is_no_records_found() || e.is_nx_domain() => Ok(Vec::new()),
            Err(e) => Err(DnsError {
                name: host.to_string(),
                kind: "A/AAAA",
                message: e.to_string(),
            }),
        }
    }
}

/// A fixed table of answers, for tests and for `--resolve`-style overrides.
#[derive(Debug, Clone, Default)]
pub struct StaticResolver {
    /// domain → MX records.
    pub mx: std::collections::HashMap<String, Vec<Mx>>,
    /// host → addresses.
    pub addrs: std::collections::HashMap<String, Vec<IpAddr>>,
}

impl Resolve for StaticResolver {
    async fn mx(&self, domain: &str) -> Result<Vec<Mx>, DnsError> {
        Ok(self
            .mx
            .get(&domain.to_ascii_lowercase())
            .cloned()
            .unwrap_or_default())
    }

    async fn addrs(&self, host: &str) -> Result<Vec<IpAddr>, DnsError> {
        Ok(self
            .addrs
            .get(&host.to_ascii_lowercase())
            .cloned()
            .unwrap_or_default())
    }
}
