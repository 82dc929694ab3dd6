//! The real [`Dns`]: hickory-resolver, on the system's configuration or on servers the user
//! names (`--dns-server`), with a hard timeout per lookup.
//!
//! Air-gapped users point it at their own resolver; the tests point it at the loopback
//! server they start. hickory's own cache is kept small: the per-run cache that matters
//! sits above this ([`super::cache::CachedDns`]), so failures are cached too and a dead
//! server costs one timeout per question, not one per message.

use super::{fqdn, Answer, Dns, DnsFailure, FailureKind, Kind, Lookup, Record};
use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use hickory_resolver::TokioResolver;
use std::net::SocketAddr;
use std::time::Duration;

/// Which servers to ask.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Servers {
    /// The system's configuration (`/etc/resolv.conf`).
    #[default]
    System,
    /// These servers (address and port), in order, over UDP with TCP fallback.
    Given(Vec<SocketAddr>),
}

/// hickory-resolver behind [`Dns`].
pub struct HickoryDns {
    inner: TokioResolver,
    timeout: Duration,
}

/// The resolver could not be set up (unreadable system configuration).
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the DNS resolver: {0}; name a server with --dns-server ADDR[:PORT]")]
pub struct SetupError(String);

impl HickoryDns {
    /// A resolver over `servers`, giving up on each lookup after `timeout`.
    pub fn new(servers: &Servers, timeout: Duration) -> Result<HickoryDns, SetupError> {
        let (config, mut opts) = match servers {
            Servers::System => hickory_resolver::system_conf::read_system_conf()
                .map_err(|e| SetupError(e.to_string()))?,
            Servers::Given(addrs) => {
                let servers = addrs
                    .iter()
                    .map(|a| {
                        let mut udp = ConnectionConfig::udp();
                        udp.port = a.port();
                        let mut tcp = ConnectionConfig::tcp();
                        tcp.port = a.port();
                        NameServerConfig::new(a.ip(), true, vec![udp, tcp])
                    })
                    .collect();
                (
                    ResolverConfig::from_name_servers(servers),
                    ResolverOpts::default(),
                )
            }
        };
        opts.timeout = timeout;
        opts.attempts = 1;
        opts.cache_size = 256;
        opts.use_hosts_file = ResolveHosts::Never;
        opts.ndots = 0;
        let inner = TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
            .with_options(opts)
            .build()
            .map_err(|e| SetupError(e.to_string()))?;
        Ok(HickoryDns { inner, timeout })
    }
}

fn record_type(kind: Kind) -> RecordType {
    match kind {
        Kind::A => RecordType::A,
        Kind::Aaaa => RecordType::AAAA,
        Kind::Txt => RecordType::TXT,
        Kind::Ptr => RecordType::PTR,
        Kind::Mx => RecordType::MX,
    }
}

fn host(name: &Name) -> String {
    name.to_ascii().trim_end_matches('.').to_ascii_lowercase()
}

impl Dns for HickoryDns {
    async fn query(&self, name: &str, kind: Kind) -> Lookup {
        let fq = fqdn(name);
        let fail = |reason| DnsFailure {
            name: fq.clone(),
            kind,
            reason,
        };
        let Ok(parsed) = Name::from_ascii(&fq) else {
            return Err(fail(FailureKind::InvalidName));
        };
        let asked = record_type(kind);
        let lookup = tokio::time::timeout(self.timeout, self.inner.lookup(parsed, asked)).await;
        let lookup = match lookup {
            Err(_) => return Err(fail(FailureKind::Timeout)),
            Ok(Err(e)) => return no_answer(e).map_err(fail),
            Ok(Ok(l)) => l,
        };
        let records = lookup
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::A(a) if kind == Kind::A => Some(Record::A(a.0)),
                RData::AAAA(a) if kind == Kind::Aaaa => Some(Record::Aaaa(a.0)),
                RData::TXT(t) if kind == Kind::Txt => Some(Record::Txt(
                    t.txt_data.iter().flat_map(|s| s.iter()).copied().collect(),
                )),
                RData::PTR(p) if kind == Kind::Ptr => Some(Record::Ptr(host(&p.0))),
                RData::MX(m) if kind == Kind::Mx => Some(Record::Mx {
                    preference: m.preference,
                    exchange: host(&m.exchange),
                }),
                _ => None,
            })
            .collect();
        Ok(Answer {
            records,
            nxdomain: false,
        })
    }
}

/// Sort a hickory error into an empty answer (NXDOMAIN, NODATA) or a failure.
fn no_answer(e: NetError) -> Result<Answer, FailureKind> {
    match &e {
        NetError::Dns(DnsError::NoRecordsFound(nr)) => Ok(Answer {
            records: Vec::new(),
            nxdomain: nr.response_code == ResponseCode::NXDomain,
        }),
        NetError::Dns(DnsError::ResponseCode(ResponseCode::NXDomain)) => Ok(Answer::nxdomain()),
        NetError::Dns(DnsError::ResponseCode(code)) => {
            Err(FailureKind::ServerError(code.to_string()))
        }
        NetError::Timeout => Err(FailureKind::Timeout),
        _ => Err(FailureKind::Other(e.to_string())),
    }
}
