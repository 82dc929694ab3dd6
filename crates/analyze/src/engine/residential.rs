//! Is a client an end-user access line (dial-up, DSL, cable, pool) rather than a mail server?
//!
//! ISPs name customer addresses generically (`adsl-1-2-3-4.isp.net`, `pool-71-…`,
//! `cpe-…`, `c-73-22-…`). Mail servers are not expected there, so mail arriving from such a
//! host was sent by a PC or a bot (or the device was abused as a relay). The keyword rules
//! are a data table with ids and reasons; the embedded-address rule is code because it
//! needs the IP. Only the labels left of the organisational domain are inspected, so
//! `mail.dslreports.com` does not match `dsl`.

use super::identity::{is_fqdn, norm, org_in};
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
    let hit = rule_for(rdns, ip)?;
    let host = norm(rdns);
    Some(match RDNS_RULES.get(hit) {
        Some(rule) => Dynamic {
            id: rule.id,
            reason: format!("{} (`{}` in {})", rule.reason, rule.keyword, host),
        },
        None => Dynamic {
            id: "rdns.embedded_ip",
            reason: format!(
                "the name {host} spells out the address it points to, as ISPs name customer lines"
            ),
        },
    })
}

/// `classify(rdns, ip).is_some()`, without building the reason.
pub fn is_dynamic(rdns: &str, ip: Option<IpAddr>) -> bool {
    rule_for(rdns, ip).is_some()
}

/// The index in [`RDNS_RULES`] of the rule that marks the name (one past the end for the
/// embedded-address rule). The engine asks this of every client name several times per
/// message, so answers are memoised per thread (see [`super::memo`]), keyed by the name
/// and the address.
fn rule_for(rdns: &str, ip: Option<IpAddr>) -> Option<usize> {
    thread_local! {
        static MEMO: std::cell::RefCell<super::memo::Memo<Option<usize>>> = Default::default();
    }
    let (v4, v6);
    let addr: &[u8] = match ip {
        None => &[],
        Some(IpAddr::V4(a)) => {
            v4 = a.octets();
            &v4
        }
        Some(IpAddr::V6(a)) => {
            v6 = a.octets();
            &v6
        }
    };
    // Key: the address length (0, 4 or 16), the address, then the name.
    let mut key = [0u8; 128];
    let len = 1 + addr.len() + rdns.len();
    if len > key.len() {
        return scan(rdns, ip);
    }
    key[0] = addr.len() as u8;
    key[1..=addr.len()].copy_from_slice(addr);
    key[1 + addr.len()..len].copy_from_slice(rdns.as_bytes());
    MEMO.with_borrow_mut(|m| m.get_or(&key[..len], || scan(rdns, ip)))
}

/// [`rule_for`] without the memo. It borrows: the name is normalised without copying
/// when already lower-case, tokens are slices of it, and the embedded-address test (the
/// costliest) runs at most once.
fn scan(rdns: &str, ip: Option<IpAddr>) -> Option<usize> {
    let host = norm(rdns);
    let host = host.as_ref();
    if !is_fqdn(host) {
        return None;
    }
    let local = match org_in(host) {
        Some(org) if host.len() > org.len() => &host[..host.len() - org.len() - 1],
        Some(_) => return None,
        None => host,
    };
    let tokens = || local.split(['.', '-', '_']).filter(|t| !t.is_empty());
    let server = tokens().next().is_some_and(|t| {
        let word = t.trim_end_matches(|c: char| c.is_ascii_digit());
        SERVER_WORDS.contains(&word)
    });
    if server {
        return None;
    }
    let mut embedded: Option<bool> = None;
    let mut embeds = || *embedded.get_or_insert_with(|| embeds_ip(tokens(), ip));
    for (i, rule) in RDNS_RULES.iter().enumerate() {
        let hit = tokens().any(|t| match rule.how {
            Match::Prefix => t
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .starts_with(rule.keyword),
            Match::Token => t
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .strip_prefix(rule.keyword)
                .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit())),
        });
        // Generic words (host, ip, user, cust) only count next to the spelled-out address.
        if hit && (rule.how == Match::Prefix || embeds() || rule.keyword.len() > 4) {
            return Some(i);
        }
    }
    if embeds() {
        return Some(RDNS_RULES.len());
    }
    None
}

/// True when three or more octets of the IPv4 address appear as separate tokens (in either
/// order), or the address appears as 8 hex digits.
fn embeds_ip<'t>(tokens: impl Iterator<Item = &'t str> + Clone, ip: Option<IpAddr>) -> bool {
    let Some(IpAddr::V4(v4)) = ip else {
        return false;
    };
    let o = v4.octets();
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = [0u8; 8];
    for (i, b) in o.iter().enumerate() {
        hex[2 * i] = HEX[usize::from(b >> 4)];
        hex[2 * i + 1] = HEX[usize::from(b & 0xf)];
    }
    let hex = std::str::from_utf8(&hex).unwrap_or_default();
    if tokens.clone().any(|t| t.contains(hex)) {
        return true;
    }
    // Split further on digit/letter boundaries: "c-73-22-1-5", "d1-2-3-4", "ip68-1-2-3".
    // A host name has at most 255 bytes, so at most 128 numbers: a stack array holds them.
    let mut nums = [0u16; 128];
    let mut count = 0;
    for t in tokens {
        let (mut value, mut digits) = (0u16, 0usize);
        for b in t.bytes().chain(std::iter::once(b' ')) {
            if b.is_ascii_digit() {
                digits += 1;
                if digits <= 3 {
                    value = value * 10 + u16::from(b - b'0');
                }
            } else if digits > 0 {
                if digits <= 3 && count < nums.len() {
                    nums[count] = value;
                    count += 1;
                }
                (value, digits) = (0, 0);
            }
        }
    }
    let nums = &nums[..count];
    let fwd = o.map(u16::from);
    let rev = [fwd[3], fwd[2], fwd[1], fwd[0]];
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
