//! Target syntax and expansion: addresses, `host:port`, `[v6]:port`, CIDR ranges, bare domains
//! (MX lookup), and the range-size guard.
//!
//! Parsing is pure; expansion of names goes through [`Resolve`]. Ranges are expanded lazily so
//! a large (explicitly allowed) range does not sit in memory.

use super::dns::{DnsError, Resolve};
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

/// Largest range accepted without `--i-own-this-range`: a /16 (IPv4) or /112 (IPv6).
pub const MAX_UNOWNED_HOSTS: u128 = 1 << 16;

/// A target as written by the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    /// One address, with a port or the default ports.
    Addr {
        /// The address.
        ip: IpAddr,
        /// Explicit port.
        port: Option<u16>,
    },
    /// A CIDR range, each host on the default ports.
    Range(IpNet),
    /// A host name with an explicit port: its A/AAAA addresses.
    Host {
        /// The name.
        name: String,
        /// The port.
        port: u16,
    },
    /// A bare name: its MX hosts (or itself if it has no MX, RFC 5321 §5.1).
    Domain(String),
}

/// Why a target cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// Not an address, range or host name.
    #[error(
        "{input:?} is not a target: {why} (expected host, host:port, IP, [IPv6]:port or CIDR)"
    )]
    Syntax {
        /// What was given.
        input: String,
        /// What is wrong.
        why: &'static str,
    },
    /// A range larger than a /16 without the explicit flag.
    #[error("{range} has {hosts} addresses, more than a /16: pass --i-own-this-range if you are allowed to scan it")]
    RangeTooLarge {
        /// The range.
        range: IpNet,
        /// How many addresses it has.
        hosts: u128,
    },
    /// Reading the targets file failed.
    #[error("cannot read targets file {path}: {message}")]
    File {
        /// The file.
        path: String,
        /// The error.
        message: String,
    },
}

/// Parse one target.
pub fn parse_target(input: &str) -> Result<TargetSpec, TargetError> {
    let s = input.trim();
    let err = |why| TargetError::Syntax {
        input: input.to_string(),
        why,
    };
    if s.is_empty() {
        return Err(err("empty"));
    }
    if s.contains('/') {
        let net: IpNet = s.parse().map_err(|_| err("bad CIDR range"))?;
        return Ok(TargetSpec::Range(net.trunc()));
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(TargetSpec::Addr { ip, port: None });
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Ok(TargetSpec::Addr {
            ip: sa.ip(),
            port: Some(sa.port()),
        });
    }
    let (name, port) = match s.rsplit_once(':') {
        Some((n, p)) => (n, Some(p.parse::<u16>().map_err(|_| err("bad port"))?)),
        None => (s, None),
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let valid = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if !valid {
        return Err(err("bad host name"));
    }
    Ok(match port {
        Some(port) => TargetSpec::Host { name, port },
        None => TargetSpec::Domain(name),
    })
}

/// Parse a targets file: one target per line, `#` comments and blank lines ignored.
pub fn parse_targets_file(path: &std::path::Path) -> Result<Vec<TargetSpec>, TargetError> {
    let text = std::fs::read_to_string(path).map_err(|e| TargetError::File {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        out.push(parse_target(line).map_err(|e| TargetError::File {
            path: format!("{}:{}", path.display(), n + 1),
            message: e.to_string(),
        })?);
    }
    Ok(out)
}

/// Number of addresses in a range.
pub fn range_size(net: &IpNet) -> u128 {
    let bits = u32::from(net.max_prefix_len() - net.prefix_len());
    1u128.checked_shl(bits).unwrap_or(u128::MAX)
}

/// Refuse ranges larger than a /16 unless allowed.
pub fn check_ranges(specs: &[TargetSpec], allow_large: bool) -> Result<(), TargetError> {
    for s in specs {
        if let TargetSpec::Range(net) = s {
            let hosts = range_size(net);
            if hosts > MAX_UNOWNED_HOSTS && !allow_large {
                return Err(TargetError::RangeTooLarge { range: *net, hosts });
            }
        }
    }
    Ok(())
}

/// A concrete address to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// How it is reported (`example.org MX mx1.example.org [192.0.2.1]:25`).
    pub label: String,
    /// Where to connect.
    pub addr: SocketAddr,
    /// Host name for TLS SNI, if the target was named.
    pub host_name: Option<String>,
}

/// Every address of a range (network and broadcast included for /31, /32 and IPv6).
pub fn range_addrs(net: IpNet) -> Box<dyn Iterator<Item = IpAddr> + Send> {
    if net.prefix_len() == net.max_prefix_len() {
        return Box::new(std::iter::once(net.addr()));
    }
    Box::new(net.hosts())
}

/// Resolve a named spec into targets on `ports` (ports ignored for `Host`, which has its own).
pub async fn resolve_named<R: Resolve>(
    spec: &TargetSpec,
    ports: &[u16],
    resolver: &R,
) -> Result<Vec<Target>, DnsError> {
    let mut out = Vec::new();
    match spec {
        TargetSpec::Host { name, port } => {
            for ip in resolver.addrs(name).await? {
                out.push(Target {
                    label: format!("{name}:{port}"),
                    addr: SocketAddr::new(ip, *port),
                    host_name: Some(name.clone()),
                });
            }
            if out.is_empty() {
                return Err(DnsError {
                    name: name.clone(),
                    kind: "A/AAAA",
                    message: "no addresses".into(),
                });
            }
        }
        TargetSpec::Domain(domain) => {
            let mxs = resolver.mx(domain).await?;
            if mxs.len() == 1 && mxs[0].exchange.is_empty() {
                return Err(DnsError {
                    name: domain.clone(),
                    kind: "MX",
                    message: "null MX (RFC 7505): the domain accepts no mail".into(),
                });
            }
            let hosts: Vec<(String, String)> = if mxs.is_empty() {
                vec![(domain.clone(), domain.clone())]
            } else {
                mxs.iter()
                    .filter(|m| !m.exchange.is_empty())
                    .map(|m| (m.exchange.clone(), format!("{domain} MX {}", m.exchange)))
                    .collect()
            };
            for (host, label) in hosts {
                for ip in resolver.addrs(&host).await? {
                    for port in ports {
                        out.push(Target {
                            label: format!("{label} {}", SocketAddr::new(ip, *port)),
                            addr: SocketAddr::new(ip, *port),
                            host_name: Some(host.clone()),
                        });
                    }
                }
            }
            if out.is_empty() {
                return Err(DnsError {
                    name: domain.clone(),
                    kind: "MX",
                    message: "no MX host has an address".into(),
                });
            }
        }
        TargetSpec::Addr { .. } | TargetSpec::Range(_) => {}
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::dns::{Mx, StaticResolver};

    #[test]
    fn syntax() {
        assert_eq!(
            parse_target("127.0.0.1").unwrap(),
            TargetSpec::Addr {
                ip: "127.0.0.1".parse().unwrap(),
                port: None
            }
        );
        assert_eq!(
            parse_target("[::1]:2525").unwrap(),
            TargetSpec::Addr {
                ip: "::1".parse().unwrap(),
                port: Some(2525)
            }
        );
        assert_eq!(
            parse_target("::1").unwrap(),
            TargetSpec::Addr {
                ip: "::1".parse().unwrap(),
                port: None
            }
        );
        assert_eq!(
            parse_target("Mail.Example.ORG:587").unwrap(),
            TargetSpec::Host {
                name: "mail.example.org".into(),
                port: 587
            }
        );
        assert_eq!(
            parse_target("example.org.").unwrap(),
            TargetSpec::Domain("example.org".into())
        );
        assert_eq!(
            parse_target("127.0.0.5/30").unwrap(),
            TargetSpec::Range("127.0.0.4/30".parse().unwrap())
        );
        assert!(parse_target("exa mple.org").is_err());
        assert!(parse_target("host:99999").is_err());
        assert!(parse_target("10.0.0.0/33").is_err());
    }

    #[test]
    fn range_guard() {
        let ok = [parse_target("127.0.0.0/16").unwrap()];
        assert!(check_ranges(&ok, false).is_ok());
        let big = [parse_target("127.0.0.0/15").unwrap()];
        assert!(matches!(
            check_ranges(&big, false),
            Err(TargetError::RangeTooLarge { hosts: 131_072, .. })
        ));
        assert!(check_ranges(&big, true).is_ok());
        let v6 = [parse_target("::1/64").unwrap()];
        assert!(check_ranges(&v6, false).is_err());
    }

    #[test]
    fn range_iteration() {
        let v: Vec<IpAddr> = range_addrs("127.0.0.0/30".parse().unwrap()).collect();
        assert_eq!(v.len(), 2);
        let v: Vec<IpAddr> = range_addrs("127.0.0.9/32".parse().unwrap()).collect();
        assert_eq!(v, ["127.0.0.9".parse::<IpAddr>().unwrap()]);
    }

    #[tokio::test]
    async fn mx_expansion_and_implicit_mx() {
        let mut r = StaticResolver::default();
        r.mx.insert(
            "victim.test".into(),
            vec![
                Mx {
                    preference: 10,
                    exchange: "mx1.victim.test".into(),
                },
                Mx {
                    preference: 20,
                    exchange: "mx2.victim.test".into(),
                },
            ],
        );
        r.addrs
            .insert("mx1.victim.test".into(), vec!["127.0.0.2".parse().unwrap()]);
        r.addrs
            .insert("mx2.victim.test".into(), vec!["127.0.0.3".parse().unwrap()]);
        r.addrs
            .insert("nomx.test".into(), vec!["127.0.0.4".parse().unwrap()]);
        r.mx.insert(
            "null.test".into(),
            vec![Mx {
                preference: 0,
                exchange: String::new(),
            }],
        );
        let t = resolve_named(&TargetSpec::Domain("victim.test".into()), &[25, 587], &r)
            .await
            .unwrap();
        assert_eq!(t.len(), 4);
        assert_eq!(t[0].label, "victim.test MX mx1.victim.test 127.0.0.2:25");
        assert_eq!(t[0].host_name.as_deref(), Some("mx1.victim.test"));
        let t = resolve_named(&TargetSpec::Domain("nomx.test".into()), &[25], &r)
            .await
            .unwrap();
        assert_eq!(t[0].addr, "127.0.0.4:25".parse().unwrap());
        let e = resolve_named(&TargetSpec::Domain("null.test".into()), &[25], &r)
            .await
            .unwrap_err();
        assert!(e.message.contains("null MX"));
    }
}
