//! Who `permit_mynetworks` trusts: the entries of `mynetworks` (addresses, CIDR blocks,
//! `cidr:`/`pcre:` tables, `/file/name` includes, host names), or — when it is unset — the
//! networks `mynetworks_style` computes from the server's own interface addresses.
//!
//! Tables and files are read from the audited directory; one that is not there is reported
//! as unseen (the caller turns that into a CONDITIONAL finding naming it). Postfix computes
//! `subnet` and `class` from `inet_interfaces`: loopback-only listeners trust loopback only,
//! and a `class` network is known from the address alone; for `subnet` the prefix length
//! comes from the interface addresses given to the audit (`--interface ADDR/LEN`).

use super::domains::{is_public_suffix, Unseen};
use super::main_cf::split_list;
use super::tables::{read, Table};
use crate::finding::{Location, Warning};
use crate::netrange::{classify, parse_net, NetClass};
use crate::source::Bundle;
use ipnet::{IpNet, Ipv4Net};
use std::net::IpAddr;

/// The widest entry of a network list.
#[derive(Debug, Clone)]
pub struct Widest {
    /// Its class.
    pub class: NetClass,
    /// The entry as written.
    pub entry: String,
    /// Where (the parameter, or a table line).
    pub location: Location,
}

/// Rank of a class by how many strangers it admits.
fn rank(c: NetClass) -> u8 {
    match c {
        NetClass::Everyone => 3,
        NetClass::HugePublic => 2,
        NetClass::Private => 1,
        _ => 0,
    }
}

/// The widest entry of the network list `value` (expanded).
pub fn widest(
    value: &str,
    location: &Location,
    bundle: &Bundle,
    warnings: &mut Vec<Warning>,
    unseen: &mut Vec<Unseen>,
) -> Option<Widest> {
    let mut worst: Option<Widest> = None;
    collect(value, location, bundle, warnings, unseen, &mut worst, 0);
    worst
}

fn consider(worst: &mut Option<Widest>, w: Widest) {
    if rank(w.class) > 0 && worst.as_ref().is_none_or(|o| rank(w.class) > rank(o.class)) {
        *worst = Some(w);
    }
}

fn collect(
    value: &str,
    location: &Location,
    bundle: &Bundle,
    warnings: &mut Vec<Warning>,
    unseen: &mut Vec<Unseen>,
    worst: &mut Option<Widest>,
    depth: usize,
) {
    for entry in split_list(value) {
        if entry.starts_with('!') {
            continue;
        }
        if let Some(net) = parse_net(&entry) {
            consider(
                worst,
                Widest {
                    class: classify(&net),
                    entry,
                    location: location.clone(),
                },
            );
            continue;
        }
        if entry.starts_with('/') {
            if depth > 2 {
                continue;
            }
            match bundle.resolve(&entry) {
                Some(f) => {
                    let file = f.path.display().to_string();
                    for (i, line) in f.text.lines().enumerate() {
                        let l = line.split('#').next().unwrap_or("");
                        let loc = Location {
                            file: file.clone(),
                            line: i + 1,
                        };
                        collect(l, &loc, bundle, warnings, unseen, worst, depth + 1);
                    }
                }
                None => unseen.push(Unseen { table: entry }),
            }
            continue;
        }
        if let Some((kind, _)) = entry.split_once(':') {
            match read(&entry, bundle, location, warnings) {
                Table::Read(es) => {
                    for e in es {
                        let class = if e.catch_all {
                            Some(NetClass::Everyone)
                        } else if kind == "cidr" {
                            parse_net(&e.key).map(|n| classify(&n))
                        } else {
                            None
                        };
                        if let Some(class) = class {
                            consider(
                                worst,
                                Widest {
                                    class,
                                    entry: format!("{} {}", e.key, e.value).trim().to_string(),
                                    location: e.location,
                                },
                            );
                        }
                    }
                }
                Table::Unreadable(_) => unseen.push(Unseen { table: entry }),
            }
            continue;
        }
        // A host name pattern: with parent-domain matching (the default for mynetworks) a
        // public suffix trusts every client whose verified name ends in it.
        if is_public_suffix(&entry) && !entry.starts_with('.') {
            consider(
                worst,
                Widest {
                    class: NetClass::HugePublic,
                    entry,
                    location: location.clone(),
                },
            );
        }
    }
}

/// The networks `mynetworks_style` trusts, as far as the interface addresses are known.
#[derive(Debug, Clone)]
pub enum StyleNets {
    /// Every listening address is loopback: only loopback is trusted.
    LoopbackOnly,
    /// The computed networks (each from an interface address).
    Known(Vec<IpNet>),
    /// Unknown: the server listens on `all` (or names) and no addresses were given.
    Unknown,
}

/// Compute the networks `style` (`subnet` or `class`) trusts on a server listening on
/// `inet_interfaces` (expanded), given the host's interface addresses with prefix lengths.
pub fn style_networks(style: &str, inet_interfaces: &str, given: &[IpNet]) -> StyleNets {
    let items = split_list(inet_interfaces);
    let loopback_names = ["localhost", "loopback-only", "127.0.0.1", "[::1]", "::1"];
    if !items.is_empty()
        && items.iter().all(|i| {
            loopback_names.contains(&i.as_str())
                || i.parse::<IpAddr>().is_ok_and(|a| a.is_loopback())
        })
    {
        return StyleNets::LoopbackOnly;
    }
    // The addresses Postfix listens on: explicit ones, or every given interface for `all`.
    let listening: Vec<IpNet> = if items.iter().any(|i| i == "all") || items.is_empty() {
        given.to_vec()
    } else {
        items
            .iter()
            .filter_map(|i| i.trim_matches(['[', ']']).parse::<IpAddr>().ok())
            .map(|a| {
                given
                    .iter()
                    .find(|g| g.addr() == a)
                    .copied()
                    .unwrap_or_else(|| IpNet::from(a))
            })
            .collect()
    };
    if listening.is_empty() {
        return StyleNets::Unknown;
    }
    let mut nets = Vec::new();
    for n in listening {
        let a = n.addr();
        if a.is_loopback() {
            continue;
        }
        let net = match (style, a) {
            ("class", IpAddr::V4(v4)) => {
                let first = v4.octets()[0];
                let len = if first < 128 {
                    8
                } else if first < 192 {
                    16
                } else {
                    24
                };
                Ipv4Net::new(v4, len).map(|n| IpNet::V4(n.trunc())).ok()
            }
            // `subnet` (and `class` on IPv6, which Postfix treats as subnet): the interface
            // prefix, known only when given.
            _ => (n.prefix_len() < n.max_prefix_len()).then(|| n.trunc()),
        };
        match net {
            Some(net) => nets.push(net),
            None => return StyleNets::Unknown,
        }
    }
    if nets.is_empty() {
        StyleNets::LoopbackOnly
    } else {
        StyleNets::Known(nets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn style_networks_from_interfaces() {
        let given: Vec<IpNet> = vec!["52.14.7.9/20".parse().unwrap()];
        assert!(matches!(
            style_networks("subnet", "127.0.0.1", &given),
            StyleNets::LoopbackOnly
        ));
        match style_networks("subnet", "all", &given) {
            StyleNets::Known(n) => assert_eq!(n[0].to_string(), "52.14.0.0/20"),
            other => panic!("{other:?}"),
        }
        match style_networks("class", "52.14.7.9", &[]) {
            StyleNets::Known(n) => assert_eq!(n[0].to_string(), "52.0.0.0/8"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            style_networks("subnet", "52.14.7.9", &[]),
            StyleNets::Unknown
        ));
        assert!(matches!(
            style_networks("subnet", "all", &[]),
            StyleNets::Unknown
        ));
    }
}
