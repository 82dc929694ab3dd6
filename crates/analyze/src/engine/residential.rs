//! Is a client an end-user access line (dial-up, DSL, cable, pool) rather than a mail server?
//!
//! ISPs name customer addresses generically (`adsl-1-2-3-4.isp.net`, `pool-71-…`,
//! `cpe-…`, `c-73-22-…`). Mail servers are not expected there, so mail arriving from such a
//! host was sent by a PC or a bot (or the device was abused as a relay). The keyword rules
//! are a data table with ids and reasons; the embedded-address rule is code because it
//! needs the IP. Only the labels left of the organisational domain are inspected, so
//! `mail.dslreports.com` does not match `dsl`.

use super::identity::{is_fqdn, norm_host, org_domain};
use std::net::IpAddr;

/// How a keyword is matched against one token of the host (tokens split on `.` and `-`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// The token is the keyword with only digits around it (`host86`); these generic
    /// words count only when the name also spells out the address.
    Token,
    /// The token starts with the keyword (leading digits skipped: `1Cust249`).
    Prefix,
}

/// One rDNS naming rule.
#[derive(Debug)]
pub struct RdnsRule {
    /// Stable id.
    pub id: &'static str,
    /// Keyword.
    pub keyword: &'static str,
    /// How it matches.
    pub how: Match,
    /// Why it marks an access line.
    pub reason: &'static str,
}

/// The keyword rules.
pub const RDNS_RULES: &[RdnsRule] = &[
    RdnsRule {
        id: "rdns.adsl",
        keyword: "adsl",
        how: Match::Prefix,
        reason: "ADSL subscriber line",
    },
    RdnsRule {
        id: "rdns.dsl",
        keyword: "dsl",
        how: Match::Prefix,
        reason: "DSL subscriber line",
    },
    RdnsRule {
        id: "rdns.xdsl",
        keyword: "xdsl",
        how: Match::Prefix,
        reason: "xDSL subscriber line",
    },
    RdnsRule {
        id: "rdns.dyn",
        keyword: "dyn",
        how: Match::Prefix,
        reason: "dynamically assigned address (dyn, dynamic, dynip)",
    },
    RdnsRule {
        id: "rdns.dhcp",
        keyword: "dhcp",
        how: Match::Prefix,
        reason: "DHCP-assigned customer address",
    },
    RdnsRule {
        id: "rdns.pool",
        keyword: "pool",
        how: Match::Prefix,
        reason: "address pool for subscribers (e.g. Verizon pool-…)",
    },
    RdnsRule {
        id: "rdns.cable",
        keyword: "cable",
        how: Match::Prefix,
        reason: "cable-modem subscriber",
    },
    RdnsRule {
        id: "rdns.cpe",
        keyword: "cpe",
        how: Match::Prefix,
        reason: "customer premises equipment (e.g. Charter cpe-…)",
    },
    RdnsRule {
        id: "rdns.ppp",
        keyword: "ppp",
        how: Match::Prefix,
        reason: "PPP / PPPoE dial-in session",
    },
    RdnsRule {
        id: "rdns.dial",
        keyword: "dial",
        how: Match::Prefix,
        reason: "dial-up line (dial, dialup, dialin)",
    },
    RdnsRule {
        id: "rdns.modem",
        keyword: "modem",
        how: Match::Prefix,
        reason: "modem line",
    },
    RdnsRule {
        id: "rdns.broadband",
        keyword: "broadband",
        how: Match::Prefix,
        reason: "broadband subscriber",
    },
    RdnsRule {
        id: "rdns.client",
        keyword: "client",
        how: Match::Token,
        reason: "generic client address",
    },
    RdnsRule {
        id: "rdns.customer",
        keyword: "customer",
        how: Match::Token,
        reason: "generic customer address",
    },
    RdnsRule {
        id: "rdns.cust",
        keyword: "cust",
        how: Match::Prefix,
        reason: "generic customer address",
    },
    RdnsRule {
        id: "rdns.user",
        keyword: "user",
        how: Match::Token,
        reason: "generic end-user address",
    },
    RdnsRule {
        id: "rdns.host",
        keyword: "host",
        how: Match::Token,
        reason: "generic host-N-N-N-N address",
    },
    RdnsRule {
        id: "rdns.ip",
        keyword: "ip",
        how: Match::Token,
        reason: "generic ip-N-N-N-N address",
    },
    RdnsRule {
        id: "rdns.fios",
        keyword: "fios",
        how: Match::Prefix,
        reason: "Verizon FiOS residential fibre",
    },
    RdnsRule {
        id: "rdns.ftth",
        keyword: "ftth",
        how: Match::Prefix,
        reason: "fibre-to-the-home subscriber",
    },
    RdnsRule {
        id: "rdns.res",
        keyword: "res",
        how: Match::Token,
        reason: "residential address",
    },
    RdnsRule {
        id: "rdns.residential",
        keyword: "residential",
        how: Match::Prefix,
        reason: "residential address",
    },
    RdnsRule {
        id: "rdns.catv",
        keyword: "catv",
        how: Match::Prefix,
        reason: "cable TV network subscriber",
    },
    RdnsRule {
        id: "rdns.wireless",
        keyword: "wireless",
        how: Match::Prefix,
        reason: "wireless access subscriber",
    },
    RdnsRule {
        id: "rdns.mobile",
        keyword: "mobile",
        how: Match::Prefix,
        reason: "mobile access network",
    },
];

/// Leading words that mark a mail server even when its name spells out its address
/// (`relay-177.153.28.21.ig.com.br`, `smtp-1-2-3-4.example.net`): operators name outbound
/// hosts that way too.
pub const SERVER_WORDS: &[&str] = &[
    "mail", "smtp", "mx", "relay", "mta", "out", "mo", "outbound", "mailout", "postfix", "exim",
    "mailer",
];

/// Why a client looks like an access line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dynamic {
    /// Rule id (`rdns.adsl`, …, or `rdns.embedded_ip`).
    pub id: &'static str,
    /// Plain-language reason.
    pub reason: String,
}

/// Classify a client by its receiver-recorded reverse DNS name (never by HELO).
pub fn classify(rdns: &str, ip: Option<IpAddr>) -> Option<Dynamic> {
    let host = norm_host(rdns);
    if !is_fqdn(&host) {
        return None;
    }
    let local = match org_domain(&host) {
        Some(org) if host.len() > org.len() => host[..host.len() - org.len() - 1].to_string(),
        Some(_) => return None,
        None => host.clone(),
    };
    let tokens: Vec<&str> = local
        .split(['.', '-', '_'])
        .filter(|t| !t.is_empty())
        .collect();
    let server = tokens.first().is_some_and(|t| {
        let word = t.trim_end_matches(|c: char| c.is_ascii_digit());
        SERVER_WORDS.contains(&word)
    });
    if server {
        return None;
    }
    for rule in RDNS_RULES {
        let hit = tokens.iter().any(|t| match rule.how {
            Match::Prefix => t
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .starts_with(rule.keyword),
            Match::Token => t
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .strip_prefix(rule.keyword)
                .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit())),
        });
        // Generic words (host, ip, user, cust) only count next to the spelled-out address.
        if hit && (rule.how == Match::Prefix || embeds_ip(&tokens, ip) || rule.keyword.len() > 4) {
            return Some(Dynamic {
                id: rule.id,
                reason: format!("{} (`{}` in {})", rule.reason, rule.keyword, host),
            });
        }
    }
    if embeds_ip(&tokens, ip) {
        return Some(Dynamic {
            id: "rdns.embedded_ip",
            reason: format!(
                "the name {host} spells out the address it points to, as ISPs name customer lines"
            ),
        });
    }
    None
}

/// True when three or more octets of the IPv4 address appear as separate tokens (in either
/// order), or the address appears as 8 hex digits.
fn embeds_ip(tokens: &[&str], ip: Option<IpAddr>) -> bool {
    let Some(IpAddr::V4(v4)) = ip else {
        return false;
    };
    let o = v4.octets();
    let hex = format!("{:02x}{:02x}{:02x}{:02x}", o[0], o[1], o[2], o[3]);
    if tokens.iter().any(|t| t.contains(&hex)) {
        return true;
    }
    // Split further on digit/letter boundaries: "c-73-22-1-5", "d1-2-3-4", "ip68-1-2-3".
    let mut nums: Vec<u16> = Vec::new();
    for t in tokens {
        let mut cur = String::new();
        for ch in t.chars().chain(std::iter::once(' ')) {
            if ch.is_ascii_digit() {
                cur.push(ch);
            } else if !cur.is_empty() {
                if cur.len() <= 3 {
                    if let Ok(n) = cur.parse() {
                        nums.push(n);
                    }
                }
                cur.clear();
            }
        }
    }
    let fwd = o.iter().map(|&x| u16::from(x)).collect::<Vec<_>>();
    let rev: Vec<u16> = fwd.iter().rev().copied().collect();
    let contains_run = |needle: &[u16]| nums.windows(needle.len()).any(|w| w == needle);
    contains_run(&fwd[1..])
        || contains_run(&fwd[..3])
        || contains_run(&rev[..3])
        || contains_run(&rev[1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn access_lines_are_recognised() {
        let cases = [
            ("adsl-1-2-3-4.someisp.net", "1.2.3.4", "rdns.adsl"),
            (
                "pool-71-105-2-9.nycmny.fios.verizon.net",
                "71.105.2.9",
                "rdns.pool",
            ),
            ("cpe-66-68-1-2.austin.res.rr.com", "66.68.1.2", "rdns.cpe"),
            (
                "c-73-22-9-10.hsd1.ca.comcast.net",
                "73.22.9.10",
                "rdns.embedded_ip",
            ),
            ("dsl093-1-2.example.net", "93.1.2.3", "rdns.dsl"),
            ("ppp-4-3-2-1.dialup.example.org", "1.2.3.4", "rdns.ppp"),
            (
                "host86-1-2-3.range86-1.btcentralplus.com",
                "86.1.2.3",
                "rdns.host",
            ),
            (
                "1Cust249.tnt15.det3.da.uu.net",
                "67.217.14.249",
                "rdns.cust",
            ),
        ];
        for (name, addr, id) in cases {
            assert_eq!(classify(name, ip(addr)).map(|d| d.id), Some(id), "{name}");
        }
    }

    #[test]
    fn mail_servers_are_not_access_lines() {
        for (name, addr) in [
            ("host66.insuranceiq.com", "65.217.159.66"),
            ("relay-177.153.28.21.ig.com.br", "177.153.28.21"),
            ("mail.dslreports.com", "64.91.255.98"),
            ("mail-relay.somecloud.com", "198.51.100.25"),
            ("mx.google.com", "209.85.1.1"),
            ("smtp.easydns.com", "205.210.42.30"),
            ("lists.sourceforge.net", "216.105.38.1"),
        ] {
            assert_eq!(classify(name, ip(addr)), None, "{name}");
        }
    }
}
