//! The `--verify` flags of `relayhunt analyze`, and the verifier they build.

use crate::check::Checker;
use crate::dns::cache::CachedDns;
use crate::dns::hickory::{HickoryDns, Servers};
use crate::run::BatchVerifier;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Flags of `analyze --verify`.
#[derive(Debug, Default, Clone, clap::Args)]
pub struct VerifyArgs {
    /// Re-check SPF, DKIM, ARC and DMARC, FCrDNS and DNS blocklists over live DNS (off by
    /// default: plain analyze never touches the network).
    #[arg(long)]
    pub verify: bool,
    /// DNS server to ask instead of the system's (ADDR or ADDR:PORT, `[v6]:PORT`);
    /// repeatable.
    #[arg(long = "dns-server", value_name = "ADDR[:PORT]", requires = "verify")]
    pub dns_servers: Vec<String>,
    /// Give up on one DNS lookup after this many seconds [default: 3].
    #[arg(long, value_name = "SECONDS", requires = "verify")]
    pub dns_timeout: Option<f64>,
    /// DNS blocklist zone to query (replaces the defaults: zen.spamhaus.org,
    /// bl.spamcop.net, psbl.surriel.com); repeatable.
    #[arg(long = "dnsbl", value_name = "ZONE", requires = "verify")]
    pub dnsbl: Vec<String>,
    /// Query no DNS blocklist.
    #[arg(long, requires = "verify", conflicts_with = "dnsbl")]
    pub no_dnsbl: bool,
    /// Messages verified at once [default: 16].
    #[arg(long, value_name = "N", requires = "verify")]
    pub verify_jobs: Option<usize>,
}

/// The verifier `--verify` uses.
pub type LiveVerifier = BatchVerifier<CachedDns<HickoryDns>>;

/// A `--verify` flag value that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyArgsError {
    /// `--dns-server` is not an address.
    #[error("--dns-server {0:?}: expected an IP address with an optional port (192.0.2.53, 192.0.2.53:5353, [2001:db8::53]:53)")]
    Server(String),
    /// `--dns-timeout` out of range.
    #[error("--dns-timeout {0}: expected a number of seconds between 0.05 and 60")]
    Timeout(f64),
    /// `--dnsbl` zone is not a domain.
    #[error("--dnsbl {0:?}: expected a DNS zone such as zen.spamhaus.org")]
    Zone(String),
    /// The resolver could not start.
    #[error(transparent)]
    Setup(#[from] crate::dns::hickory::SetupError),
    /// The runtime could not start.
    #[error("cannot start the verification runtime: {0}")]
    Runtime(#[from] std::io::Error),
}

/// Parse `ADDR`, `ADDR:PORT` or `[V6]:PORT` (port 53 by default).
pub fn parse_server(s: &str) -> Option<SocketAddr> {
    let s = s.trim();
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Some(a);
    }
    s.trim_matches(|c| c == '[' || c == ']')
        .parse::<IpAddr>()
        .ok()
        .map(|ip| SocketAddr::new(ip, 53))
}

impl VerifyArgs {
    /// The servers to ask.
    pub fn servers(&self) -> Result<Servers, VerifyArgsError> {
        if self.dns_servers.is_empty() {
            return Ok(Servers::System);
        }
        self.dns_servers
            .iter()
            .map(|s| parse_server(s).ok_or_else(|| VerifyArgsError::Server(s.clone())))
            .collect::<Result<Vec<_>, _>>()
            .map(Servers::Given)
    }

    /// The per-lookup timeout.
    pub fn timeout(&self) -> Result<Duration, VerifyArgsError> {
        let secs = self.dns_timeout.unwrap_or(3.0);
        if !(0.05..=60.0).contains(&secs) {
            return Err(VerifyArgsError::Timeout(secs));
        }
        Ok(Duration::from_secs_f64(secs))
    }

    /// The blocklist zones.
    pub fn zones(&self) -> Result<Vec<String>, VerifyArgsError> {
        if self.no_dnsbl {
            return Ok(Vec::new());
        }
        if self.dnsbl.is_empty() {
            return Ok(crate::dnsbl::DEFAULT_ZONES
                .iter()
                .map(|z| z.to_string())
                .collect());
        }
        self.dnsbl
            .iter()
            .map(|z| {
                let n = z.trim().trim_end_matches('.').to_ascii_lowercase();
                let ok = n.contains('.')
                    && n.len() <= 200
                    && n.split('.').all(|l| {
                        !l.is_empty()
                            && l.bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                    });
                if ok {
                    Ok(n)
                } else {
                    Err(VerifyArgsError::Zone(z.clone()))
                }
            })
            .collect()
    }

    /// The verifier these flags ask for; `None` without `--verify`.
    pub fn build(&self) -> Result<Option<LiveVerifier>, VerifyArgsError> {
        if !self.verify {
            return Ok(None);
        }
        let servers = self.servers()?;
        let timeout = self.timeout()?;
        let zones = self.zones()?;
        let resolver = match &servers {
            Servers::System => "system".to_string(),
            Servers::Given(a) => a
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        };
        // hickory needs a runtime to exist while it is built.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let dns = {
            let _guard = rt.enter();
            HickoryDns::new(&servers, timeout)?
        };
        let auth = crate::signatures::offline_authenticator().ok_or_else(|| {
            VerifyArgsError::Runtime(std::io::Error::other(
                "mail-auth's offline authenticator could not be built",
            ))
        })?;
        let checker = Checker {
            dns: CachedDns::new(dns, CachedDns::<HickoryDns>::DEFAULT_MAX_ENTRIES),
            zones,
            auth,
            resolver,
        };
        Ok(Some(BatchVerifier::new(
            checker,
            self.verify_jobs.unwrap_or(LiveVerifier::DEFAULT_JOBS),
        )?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses() {
        assert_eq!(
            parse_server("192.0.2.53"),
            Some("192.0.2.53:53".parse().unwrap())
        );
        assert_eq!(
            parse_server("127.0.0.1:5353"),
            Some("127.0.0.1:5353".parse().unwrap())
        );
        assert_eq!(
            parse_server("[::1]:5353"),
            Some("[::1]:5353".parse().unwrap())
        );
        assert_eq!(parse_server("::1"), Some("[::1]:53".parse().unwrap()));
        assert_eq!(parse_server("dns.example"), None);
    }

    #[test]
    fn zones_and_timeouts_are_checked() {
        let a = VerifyArgs {
            verify: true,
            dnsbl: vec!["Zen.Spamhaus.org.".into()],
            ..VerifyArgs::default()
        };
        assert_eq!(a.zones().unwrap(), ["zen.spamhaus.org"]);
        let bad = VerifyArgs {
            dnsbl: vec!["not a zone".into()],
            ..a.clone()
        };
        assert!(bad.zones().is_err());
        let none = VerifyArgs {
            no_dnsbl: true,
            ..VerifyArgs::default()
        };
        assert!(none.zones().unwrap().is_empty());
        assert_eq!(VerifyArgs::default().zones().unwrap().len(), 3);
        let slow = VerifyArgs {
            dns_timeout: Some(600.0),
            ..VerifyArgs::default()
        };
        assert!(slow.timeout().is_err());
    }
}
