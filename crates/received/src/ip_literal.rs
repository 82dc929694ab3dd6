//! Reading IP addresses in the shapes MTAs write them.
//!
//! Seen in the wild: `1.2.3.4`, `[1.2.3.4]`, `[1.2.3.4]:port`, `[1.2.3.4:port]`,
//! `[IPv6:2001:db8::1]`, `[IPv6:::ffff:1.2.3.4]`, `fe80::1%11` (zone index), Exim 3's
//! `1.2.3.4.port`, `(1.2.3.4)` and doubled brackets (`[[1.2.3.4:1]`). IPv4-mapped IPv6 is
//! reported as the IPv4 address it stands for, so the same peer compares equal whichever way
//! a hop wrote it.

use crate::ci::strip_prefix_ci;
use std::net::{IpAddr, Ipv4Addr};

/// An address and the TCP port written next to it, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IpPort {
    pub ip: IpAddr,
    pub port: Option<u16>,
}

/// Parse one IP literal, tolerating the decorations listed in the module docs.
/// Returns `None` for anything that is not an address (host names, `unknown`, `?.?.?.?`).
pub(crate) fn parse_ip_literal(text: &str) -> Option<IpPort> {
    let mut s = text.trim();
    // Strip any number of enclosing brackets / parentheses.
    loop {
        let before = s.len();
        s = s
            .trim_start_matches(['[', '('])
            .trim_end_matches([']', ')']);
        s = s.trim();
        if s.len() == before {
            break;
        }
    }
    // Every address (and the `IPv6:` tag) starts with a hex digit, `:` or `.`, or `i`:
    // most words are host names and stop here.
    match s.as_bytes().first() {
        Some(b) if b.is_ascii_hexdigit() || matches!(b, b':' | b'.' | b'i' | b'I') => {}
        _ => return None,
    }
    let mut port = None;
    if let Some(rest) = strip_prefix_ci(s, "ipv6:") {
        s = rest;
    } else if let Some(at) = rfind_bracket_colon(s) {
        port = s[at + 2..].parse().ok();
        s = s[..at].trim_end_matches(']');
    }
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    // Zone index (`fe80::1%11`) is local to the writer and dropped.
    let s = memchr::memchr(b'%', s.as_bytes()).map_or(s, |i| &s[..i]);
    // Only hex digits, dots and colons spell an address (or `v4:port`): host names and
    // words stop here instead of going through two failed address parses.
    if !s
        .bytes()
        .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':')
    {
        return None;
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(IpPort {
            ip: canonical(ip),
            port,
        });
    }
    // `1.2.3.4:port` (one colon, dotted quad before it).
    if let Some((addr, p)) = s.split_once(':') {
        if !p.contains(':') {
            if let Ok(v4) = addr.parse::<Ipv4Addr>() {
                return Some(IpPort {
                    ip: IpAddr::V4(v4),
                    port: p.parse().ok(),
                });
            }
        }
    }
    // Exim 3 wrote `a.b.c.d.port`.
    if s.bytes().filter(|&b| b == b'.').count() == 4
        && s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    {
        if let Some((addr, p)) = s.rsplit_once('.') {
            if let Ok(v4) = addr.parse::<Ipv4Addr>() {
                return Some(IpPort {
                    ip: IpAddr::V4(v4),
                    port: p.parse().ok(),
                });
            }
        }
    }
    None
}

/// Offset of the last `]:` in `s` (a bracketed address followed by a port).
fn rfind_bracket_colon(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    memchr::memrchr_iter(b':', b)
        .find(|&i| i > 0 && b[i - 1] == b']')
        .map(|i| i - 1)
}

/// Like [`parse_ip_literal`] but accepts trailing junk after the address
/// (`1.2.3.4_trustedrelay`), as long as the junk does not continue a host name.
pub(crate) fn parse_ip_prefix(text: &str) -> Option<IpPort> {
    if let Some(ip) = parse_ip_literal(text) {
        return Some(ip);
    }
    let t = text.trim_start_matches(['[', '(']);
    let end = t
        .find(|c: char| !(c.is_ascii_hexdigit() || c == '.' || c == ':'))
        .unwrap_or(t.len());
    let rest = &t[end..];
    if end == 0 || rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-') {
        return None;
    }
    parse_ip_literal(&t[..end])
}

/// IPv4-mapped IPv6 (`::ffff:1.2.3.4`) becomes the IPv4 address.
pub(crate) fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<(String, Option<u16>)> {
        parse_ip_literal(s).map(|p| (p.ip.to_string(), p.port))
    }

    #[test]
    fn decorated_forms() {
        assert_eq!(ip("[1.2.3.4]"), Some(("1.2.3.4".into(), None)));
        assert_eq!(ip("[1.2.3.4]:25"), Some(("1.2.3.4".into(), Some(25))));
        assert_eq!(ip("1.2.3.4:33672"), Some(("1.2.3.4".into(), Some(33672))));
        assert_eq!(
            ip("[[1.2.3.4:12140]"),
            Some(("1.2.3.4".into(), Some(12140)))
        );
        assert_eq!(ip("IPv6:2001:db8::1"), Some(("2001:db8::1".into(), None)));
        assert_eq!(
            ip("IPv6:::ffff:10.0.21.133"),
            Some(("10.0.21.133".into(), None))
        );
        assert_eq!(ip("fe80::1%11"), Some(("fe80::1".into(), None)));
        assert_eq!(ip("10.0.8.6.13219"), Some(("10.0.8.6".into(), Some(13219))));
        assert_eq!(ip("(134.97.4.21)"), Some(("134.97.4.21".into(), None)));
        assert_eq!(ip("?.?.?.?"), None);
        assert_eq!(ip("unknown"), None);
        assert_eq!(ip("cafe"), None);
        assert_eq!(ip(""), None);
    }

    #[test]
    fn prefix_with_junk() {
        assert_eq!(
            parse_ip_prefix("1.2.3.4_trustedrelay").map(|p| p.ip.to_string()),
            Some("1.2.3.4".into())
        );
        assert!(parse_ip_prefix("1.2.3.4-host.example").is_none());
        assert!(parse_ip_prefix("deadbeef.example").is_none());
    }
}
