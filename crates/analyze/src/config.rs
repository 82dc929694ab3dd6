//! What the analyst trusts: receivers, authserv-ids, the clock, and tolerances.
//!
//! Kept as plain strings so the CLI and config file can fill it directly; [`Config::check`]
//! validates the entries once up front so the engine can skip bad ones silently.

use ipnet::IpNet;
use std::net::IpAddr;

/// Analysis options. Built by the CLI from flags and the config file.
#[derive(Debug, Clone)]
pub struct Config {
    /// Receivers the user trusts: CIDRs (`203.0.113.0/24`), single IPs, or host patterns
    /// (`*.example.org` = any subdomain, `mx.example.org` = that host exactly,
    /// `.example.org` = the domain and its subdomains).
    pub trusted: Vec<String>,
    /// Your own inbound MX hosts and gateways (same patterns as `trusted`): trusted, and
    /// shown as "trusted because it is one of your MX hosts".
    pub mx_hosts: Vec<String>,
    /// Forwarders that re-send your mail to you (an alumni alias, a domain forwarder, a
    /// mailbox that forwards to another): trusted to have recorded their sender truthfully,
    /// so the analysis continues below them.
    pub forwarders: Vec<String>,
    /// Mailing list servers you subscribe to: trusted like forwarders.
    pub list_servers: Vec<String>,
    /// authserv-ids whose Authentication-Results are believed. Empty: the topmost one.
    pub trusted_authserv_ids: Vec<String>,
    /// Analysis time (seconds since the Unix epoch) for future-date checks. `None` skips
    /// them; the CLI sets the current time, tests a fixed one so results are reproducible.
    pub now: Option<i64>,
    /// Hops dated more than this many seconds before the hop below them are flagged
    /// (clock skew between servers is normal up to a few minutes).
    pub skew_tolerance_secs: i64,
    /// A delay larger than this (seconds) between two hops is flagged.
    pub huge_delay_secs: i64,
    /// A hop at or below the trust boundary dated this many seconds before the hop below
    /// it is taken as an invented date (a forged chain), not clock skew.
    pub impossible_order_secs: i64,
    /// Use the built-in provider table (Exchange Online, Google, …) as trusted
    /// infrastructure when walking down from the top.
    pub builtin_providers: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            trusted: Vec::new(),
            mx_hosts: Vec::new(),
            forwarders: Vec::new(),
            list_servers: Vec::new(),
            trusted_authserv_ids: Vec::new(),
            now: None,
            skew_tolerance_secs: 300,
            huge_delay_secs: 24 * 3600,
            impossible_order_secs: 2 * 3600,
            builtin_providers: true,
        }
    }
}

/// A `--trusted` entry that is neither a CIDR, an IP nor a host pattern.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The entry could not be understood.
    #[error("trusted entry {entry:?} is not a CIDR (203.0.113.0/24), an IP, or a host pattern (*.example.org)")]
    BadTrusted {
        /// The offending entry.
        entry: String,
    },
}

/// Why a configured entry is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustKind {
    /// `--trusted` / `trusted`.
    Trusted,
    /// `mx_hosts`.
    Mx,
    /// `forwarders`.
    Forwarder,
    /// `list_servers`.
    List,
}

impl TrustKind {
    /// The rule id and the phrase used in trust reasons.
    pub fn describe(self) -> (&'static str, &'static str) {
        match self {
            TrustKind::Trusted => ("trusted.config", "a --trusted entry"),
            TrustKind::Mx => ("trusted.mx", "one of your MX hosts (mx_hosts)"),
            TrustKind::Forwarder => ("trusted.forwarder", "a forwarder you use (forwarders)"),
            TrustKind::List => (
                "trusted.list",
                "a mailing list server you read (list_servers)",
            ),
        }
    }
}

/// One parsed trusted entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustedEntry {
    /// An address range.
    Net(IpNet),
    /// A host name: exactly this host.
    Host(String),
    /// A domain: any host under it (and the domain itself).
    Domain(String),
}

impl TrustedEntry {
    /// Parse `203.0.113.0/24`, `203.0.113.7`, `*.example.org`, `.example.org`, `mx.example.org`.
    pub fn parse(entry: &str) -> Result<TrustedEntry, ConfigError> {
        let e = entry.trim();
        let bad = || ConfigError::BadTrusted {
            entry: entry.to_string(),
        };
        if e.is_empty() {
            return Err(bad());
        }
        if let Ok(net) = e.parse::<IpNet>() {
            return Ok(TrustedEntry::Net(net));
        }
        if let Ok(ip) = e.parse::<IpAddr>() {
            return Ok(TrustedEntry::Net(IpNet::from(ip)));
        }
        let (domain, name) = if let Some(rest) = e.strip_prefix("*.") {
            (true, rest)
        } else if let Some(rest) = e.strip_prefix('.') {
            (true, rest)
        } else {
            (false, e)
        };
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_');
        if !valid {
            return Err(bad());
        }
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        Ok(if domain {
            TrustedEntry::Domain(name)
        } else {
            TrustedEntry::Host(name)
        })
    }

    /// Does this entry cover the host name (lower-cased, no trailing dot)?
    pub fn matches_host(&self, host: &str) -> bool {
        match self {
            TrustedEntry::Net(_) => false,
            TrustedEntry::Host(h) => host == h,
            TrustedEntry::Domain(d) => {
                host == d
                    || (host.len() > d.len() && host.ends_with(d.as_str()) && {
                        let cut = host.len() - d.len();
                        host.as_bytes()[cut - 1] == b'.'
                    })
            }
        }
    }

    /// Does this entry cover the address?
    pub fn matches_ip(&self, ip: IpAddr) -> bool {
        match self {
            TrustedEntry::Net(n) => n.contains(&ip),
            _ => false,
        }
    }
}

impl Config {
    /// Validate every trusted entry; call once before a batch so typos are reported.
    pub fn check(&self) -> Result<(), ConfigError> {
        for (_, list) in self.lists() {
            for e in list {
                TrustedEntry::parse(e)?;
            }
        }
        Ok(())
    }

    fn lists(&self) -> [(TrustKind, &Vec<String>); 4] {
        [
            (TrustKind::Trusted, &self.trusted),
            (TrustKind::Mx, &self.mx_hosts),
            (TrustKind::Forwarder, &self.forwarders),
            (TrustKind::List, &self.list_servers),
        ]
    }

    /// Every configured trusted entry that parses, with why it is trusted (invalid ones
    /// are reported by [`Config::check`]).
    pub fn trusted_entries(&self) -> Vec<(TrustKind, TrustedEntry)> {
        self.lists()
            .into_iter()
            .flat_map(|(k, list)| {
                list.iter()
                    .filter_map(move |e| TrustedEntry::parse(e).ok().map(|t| (k, t)))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_entries_parse_and_match() {
        let net = TrustedEntry::parse("203.0.113.0/24").unwrap();
        assert!(net.matches_ip("203.0.113.9".parse().unwrap()));
        assert!(!net.matches_ip("203.0.114.9".parse().unwrap()));
        let ip = TrustedEntry::parse("2001:db8::25").unwrap();
        assert!(ip.matches_ip("2001:db8::25".parse().unwrap()));
        let dom = TrustedEntry::parse("*.Example.org").unwrap();
        assert!(dom.matches_host("mx1.example.org"));
        assert!(dom.matches_host("example.org"));
        assert!(!dom.matches_host("badexample.org"));
        let host = TrustedEntry::parse("mx.example.org").unwrap();
        assert!(host.matches_host("mx.example.org"));
        assert!(!host.matches_host("a.mx.example.org"));
        assert!(TrustedEntry::parse("not a host").is_err());
        let cfg = Config {
            trusted: vec!["10.0.0.0/8".into(), "bad entry!".into()],
            ..Config::default()
        };
        assert_eq!(
            cfg.check(),
            Err(ConfigError::BadTrusted {
                entry: "bad entry!".into()
            })
        );
        assert_eq!(cfg.trusted_entries().len(), 1);
        let cfg = Config {
            mx_hosts: vec!["mx.example.org".into()],
            forwarders: vec!["*.alumni.example".into()],
            list_servers: vec!["lists.example.net".into()],
            ..Config::default()
        };
        let kinds: Vec<TrustKind> = cfg.trusted_entries().iter().map(|e| e.0).collect();
        assert_eq!(
            kinds,
            [TrustKind::Mx, TrustKind::Forwarder, TrustKind::List]
        );
    }
}
