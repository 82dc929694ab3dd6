//! DNS behind a small trait: one question (name, record type) in, records or a failure out.
//!
//! Every check in this crate asks its questions through [`Dns`], so the checks never know
//! whether the answers came from the system resolver, a server the user named, or the
//! loopback server the tests start. The real implementation is [`hickory::HickoryDns`];
//! [`cache::CachedDns`] wraps any implementation with a per-run answer cache and counts
//! lookups. "No such name" and "no records of that type" are answers (the SPF void-lookup
//! limit needs them told apart from records); timeouts, SERVFAIL and network errors are
//! [`DnsFailure`]s, which every check turns into `temperror`, never into pass or fail.

pub mod cache;
pub mod hickory;

use std::fmt;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The record types the checks ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// IPv4 addresses.
    A,
    /// IPv6 addresses.
    Aaaa,
    /// Text records (SPF, DKIM keys, DMARC policies).
    Txt,
    /// Reverse-DNS names.
    Ptr,
    /// Mail exchangers.
    Mx,
}

impl Kind {
    /// The record type's name as written in zone files.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::A => "A",
            Kind::Aaaa => "AAAA",
            Kind::Txt => "TXT",
            Kind::Ptr => "PTR",
            Kind::Mx => "MX",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One record of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// An IPv4 address.
    A(Ipv4Addr),
    /// An IPv6 address.
    Aaaa(Ipv6Addr),
    /// A text record, its character-strings joined.
    Txt(Vec<u8>),
    /// A host name, lower-cased, without the trailing dot.
    Ptr(String),
    /// A mail exchanger (exchange lower-cased, without the trailing dot).
    Mx {
        /// Lower is preferred.
        preference: u16,
        /// The exchange host.
        exchange: String,
    },
}

/// A successful answer: the records of the asked type (possibly none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    /// The records, in the order the server gave them.
    pub records: Vec<Record>,
    /// The name does not exist at all (NXDOMAIN), as opposed to existing without records
    /// of this type (NODATA); `records` is empty in both cases.
    pub nxdomain: bool,
}

impl Answer {
    /// An NXDOMAIN answer.
    pub fn nxdomain() -> Answer {
        Answer {
            records: Vec::new(),
            nxdomain: true,
        }
    }

    /// True for NXDOMAIN and NODATA: a "void lookup" in SPF's terms (RFC 7208 §4.6.4).
    pub fn is_void(&self) -> bool {
        self.records.is_empty()
    }

    /// The addresses in an A or AAAA answer.
    pub fn ips(&self) -> Vec<IpAddr> {
        self.records
            .iter()
            .filter_map(|r| match r {
                Record::A(a) => Some(IpAddr::V4(*a)),
                Record::Aaaa(a) => Some(IpAddr::V6(*a)),
                _ => None,
            })
            .collect()
    }

    /// The texts of a TXT answer.
    pub fn texts(&self) -> Vec<&[u8]> {
        self.records
            .iter()
            .filter_map(|r| match r {
                Record::Txt(t) => Some(t.as_slice()),
                _ => None,
            })
            .collect()
    }

    /// The names of a PTR answer.
    pub fn names(&self) -> Vec<&str> {
        self.records
            .iter()
            .filter_map(|r| match r {
                Record::Ptr(n) => Some(n.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The exchanges of an MX answer, most preferred first.
    pub fn exchanges(&self) -> Vec<&str> {
        let mut mx: Vec<(u16, &str)> = self
            .records
            .iter()
            .filter_map(|r| match r {
                Record::Mx {
                    preference,
                    exchange,
                } => Some((*preference, exchange.as_str())),
                _ => None,
            })
            .collect();
        mx.sort();
        mx.into_iter().map(|(_, e)| e).collect()
    }
}

/// Why a lookup produced no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// No reply within the per-lookup timeout.
    Timeout,
    /// The server answered with an error code (SERVFAIL, REFUSED, …).
    ServerError(String),
    /// The name is not a valid DNS name (too long, empty label, bad characters).
    InvalidName,
    /// Anything else (network unreachable, no server configured, malformed reply).
    Other(String),
}

/// A lookup that failed: the checks report `temperror` for it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("DNS lookup of {name} {kind} failed: {reason}")]
pub struct DnsFailure {
    /// The name asked for (fully qualified, with its trailing dot).
    pub name: String,
    /// The record type asked for.
    pub kind: Kind,
    /// What went wrong.
    pub reason: FailureKind,
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureKind::Timeout => f.write_str("no reply within the timeout"),
            FailureKind::ServerError(code) => write!(f, "the server answered {code}"),
            FailureKind::InvalidName => f.write_str("not a valid DNS name"),
            FailureKind::Other(why) => f.write_str(why),
        }
    }
}

/// The result of one lookup.
pub type Lookup = Result<Answer, DnsFailure>;

/// Something that answers DNS questions.
pub trait Dns: Send + Sync {
    /// Ask for the `kind` records of `name` (with or without the trailing dot).
    fn query(&self, name: &str, kind: Kind) -> impl Future<Output = Lookup> + Send;
}

impl<T: Dns> Dns for std::sync::Arc<T> {
    fn query(&self, name: &str, kind: Kind) -> impl Future<Output = Lookup> + Send {
        (**self).query(name, kind)
    }
}

/// `name` lower-cased with exactly one trailing dot.
pub fn fqdn(name: &str) -> String {
    let mut n = name.trim().trim_end_matches('.').to_ascii_lowercase();
    n.push('.');
    n
}

/// The reverse-DNS name of an address: `4.3.2.1.in-addr.arpa.` or the nibble form under
/// `ip6.arpa.` (RFC 1035 §3.5, RFC 3596 §2.5).
pub fn reverse_name(ip: IpAddr) -> String {
    reversed(
        ip,
        if ip.is_ipv4() {
            "in-addr.arpa"
        } else {
            "ip6.arpa"
        },
    )
}

/// The address reversed in front of `zone`, the way DNS blocklists are queried
/// (RFC 5782 §2.1 and §2.4): `4.3.2.1.zen.spamhaus.org.`.
pub fn reversed(ip: IpAddr, zone: &str) -> String {
    let zone = zone.trim_end_matches('.');
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.{zone}.", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => {
            let mut s = String::with_capacity(64 + zone.len() + 2);
            for byte in v6.octets().iter().rev() {
                s.push(char::from_digit(u32::from(byte & 0x0f), 16).unwrap_or('0'));
                s.push('.');
                s.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
                s.push('.');
            }
            s.push_str(zone);
            s.push('.');
            s
        }
    }
}

/// `ip` itself, or the IPv4 address an IPv4-mapped IPv6 address stands for.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_names() {
        assert_eq!(
            reverse_name("198.51.100.25".parse().unwrap()),
            "25.100.51.198.in-addr.arpa."
        );
        assert_eq!(
            reversed("2001:db8::1".parse().unwrap(), "zen.spamhaus.org."),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.spamhaus.org."
        );
        assert_eq!(fqdn("Example.ORG"), "example.org.");
        assert_eq!(fqdn("example.org."), "example.org.");
        assert_eq!(
            canonical_ip("::ffff:192.0.2.1".parse().unwrap()),
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
    }
}
