//! Reading IP addresses in the shapes MTAs write them.
//!
//! Seen in the wild: `1.2.3.4`, `[1.2.3.4]`, `[1.2.3.4]:port`, `[1.2.3.4:port]`,
//! `[IPv6:2001:db8::1]`, `[IPv6:::ffff:1.2.3.4]`, `fe80::1%11` (zone index), Exim 3's
//! `1.2.3.4.port`, `(1.2.3.4)` and doubled brackets (`[[1.2.3.4:1]`). IPv4-mapped IPv6 is
//! reported as the IPv4 address it stands for, so the same peer compares equal whichever way
//! a hop wrote it.

use crate::ci::strip_prefix_ci;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An address and the TCP port written next to it, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IpPort {
    pub ip: IpAddr,
    pub port: Option<u16>,
}

/// Parse one IP literal, tolerating the decorations listed in the module docs.
/// Returns `None` for anything that is not an address (host names, `unknown`, `?.?.?.?`).
///
/// Inlined first-byte test: most words asked are host names and keywords starting with a
/// letter no address, tag, bracket or blank starts with, answered here without the call.
#[inline]
pub(crate) fn parse_ip_literal(text: &str) -> Option<IpPort> {
    match text.as_bytes().first() {
        Some(&b) if MAY_START[usize::from(b)] => parse_ip_literal_full(text),
        _ => None,
    }
}

/// The first bytes of a text [`parse_ip_literal_full`] may read as an address: what an
/// address or the `IPv6:` tag starts with (hex digits, `:`, `.`, `i`), what
/// [`strip_enclosing`] removes first (`[`, `(`, ASCII blanks) and any non-ASCII byte (the
/// start of Unicode whitespace, which the `char` path trims). Any other first byte stays
/// first after the stripping and is rejected there.
const MAY_START: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_hexdigit()
            || matches!(
                c,
                b':' | b'.'
                    | b'i'
                    | b'I'
                    | b'['
                    | b'('
                    | b' '
                    | b'\t'
                    | b'\n'
                    | b'\r'
                    | 0x0b
                    | 0x0c
            )
            || !c.is_ascii();
        b += 1;
    }
    t
};

#[inline(never)]
fn parse_ip_literal_full(text: &str) -> Option<IpPort> {
    let mut s = strip_enclosing(text);
    // Every address (and the `IPv6:` tag) starts with a hex digit, `:` or `.`, or `i`:
    // most words are host names and stop here.
    match s.as_bytes().first() {
        Some(b) if b.is_ascii_hexdigit() || matches!(b, b':' | b'.' | b'i' | b'I') => {}
        _ => return None,
    }
    // The common case, a plain dotted quad, needs none of the steps below: no tag, port,
    // zone or other spelling can be part of it.
    if let Some(v4) = dotted_quad(s.as_bytes()) {
        return Some(IpPort {
            ip: IpAddr::V4(v4),
            port: None,
        });
    }
    // Below, only hex digits, dots and colons can remain of the text, after the `IPv6:` tag
    // or before a `%` zone or a `]` (of `]:port`); a host name (`debian.org`) shows another
    // byte first and stops here without the searches.
    if !matches!(s.as_bytes()[0], b'i' | b'I')
        && s.bytes()
            .find(|b| !(b.is_ascii_hexdigit() || matches!(b, b'.' | b':')))
            .is_some_and(|b| b != b'%' && b != b']')
    {
        return None;
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
    let s = s.bytes().position(|b| b == b'%').map_or(s, |i| &s[..i]);
    // Only hex digits, dots and colons spell an address (or `v4:port`): host names and
    // words stop here instead of going through two failed address parses.
    if !s
        .bytes()
        .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':')
    {
        return None;
    }
    if let Some(ip) = plain_ipv6(s.as_bytes())
        .map(IpAddr::V6)
        .or_else(|| s.parse::<IpAddr>().ok())
    {
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

/// `text` without any number of enclosing brackets, parentheses and whitespace (`[[a]`,
/// `( [a] )`): leading `[`/`(`, trailing `]`/`)` and whitespace at either end.
///
/// Works on bytes: the trimming through `str` patterns decoded every character and cost
/// more than the address parse. A non-ASCII byte at an end may start Unicode whitespace,
/// which only the `char` path knows, so that rare case goes through it.
fn strip_enclosing(text: &str) -> &str {
    let b = text.as_bytes();
    let (mut start, mut end) = (0, b.len());
    while start < end
        && matches!(
            b[start],
            b'[' | b'(' | b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c
        )
    {
        start += 1;
    }
    while end > start
        && matches!(
            b[end - 1],
            b']' | b')' | b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c
        )
    {
        end -= 1;
    }
    if start < end && !(b[start].is_ascii() && b[end - 1].is_ascii()) {
        return strip_enclosing_chars(text);
    }
    text.get(start..end).unwrap_or("")
}

/// [`strip_enclosing`] through `char` patterns (Unicode whitespace included).
fn strip_enclosing_chars(text: &str) -> &str {
    let mut s = text.trim();
    loop {
        let before = s.len();
        s = s
            .trim_start_matches(['[', '('])
            .trim_end_matches([']', ')']);
        s = s.trim();
        if s.len() == before {
            return s;
        }
    }
}

/// A dotted quad exactly as `Ipv4Addr::from_str` accepts it (four decimal octets of one
/// to three digits, no leading zero, each at most 255), or `None` for anything else
/// (which then goes the long way).
fn dotted_quad(s: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut i = 0;
    for (k, o) in octets.iter_mut().enumerate() {
        if k > 0 {
            if s.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let start = i;
        let mut v: u32 = 0;
        while i < s.len() && i - start < 3 && s[i].is_ascii_digit() {
            v = v * 10 + u32::from(s[i] - b'0');
            i += 1;
        }
        if i == start || (s[start] == b'0' && i - start > 1) {
            return None;
        }
        *o = u8::try_from(v).ok()?;
    }
    (i == s.len()).then_some(Ipv4Addr::from(octets))
}

/// An IPv6 address of hex groups only (`2001:db8::1`, `::`), read the way
/// `Ipv6Addr::from_str` reads it, or `None` for anything else, embedded IPv4 included
/// (which then goes through the standard parser). The standard parser tries an IPv4 group
/// at every position and costs about a thousand instructions per address.
fn plain_ipv6(s: &[u8]) -> Option<Ipv6Addr> {
    if s.len() < 2 || s.len() > 39 {
        return None;
    }
    let mut head = [0u16; 8];
    let mut tail = [0u16; 8];
    let (mut n_head, mut n_tail) = (0, 0);
    let mut compressed = false;
    let mut i = 0;
    if s.starts_with(b"::") {
        compressed = true;
        i = 2;
    }
    while i < s.len() {
        let start = i;
        let mut v: u16 = 0;
        while i < s.len() && i - start < 4 {
            let d = match s[i] {
                b @ b'0'..=b'9' => b - b'0',
                b @ b'a'..=b'f' => b - b'a' + 10,
                b @ b'A'..=b'F' => b - b'A' + 10,
                _ => break,
            };
            v = v * 16 + u16::from(d);
            i += 1;
        }
        if i == start || n_head + n_tail == 8 {
            return None;
        }
        if compressed {
            tail[n_tail] = v;
            n_tail += 1;
        } else {
            head[n_head] = v;
            n_head += 1;
        }
        if i == s.len() {
            break;
        }
        if s[i] != b':' {
            return None;
        }
        i += 1;
        if s.get(i) == Some(&b':') {
            if compressed {
                return None;
            }
            compressed = true;
            i += 1;
        } else if i == s.len() {
            return None;
        }
    }
    if (compressed && n_head + n_tail > 7) || (!compressed && n_head != 8) {
        return None;
    }
    let mut groups = head;
    groups[8 - n_tail..].copy_from_slice(&tail[..n_tail]);
    Some(Ipv6Addr::from(groups))
}

/// Offset of the last `]:` in `s` (a bracketed address followed by a port).
fn rfind_bracket_colon(s: &str) -> Option<usize> {
    // Address texts are short: a backwards loop costs less than setting up `memrchr`.
    let b = s.as_bytes();
    (1..b.len())
        .rev()
        .find(|&i| b[i] == b':' && b[i - 1] == b']')
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

    /// The inlined first-byte test never turns away a text the full reader accepts: every
    /// first byte, before texts that make addresses of every shape.
    #[test]
    fn first_byte_test_rejects_no_address() {
        let rests = [
            "",
            "1.2.3.4",
            "1.2.3.4]",
            "[1.2.3.4]",
            "Pv6:::1]",
            "::1",
            "2001:db8::1",
            ".2.3.4",
            "\u{a0}1.2.3.4",
            " 1.2.3.4 ",
            "1.2.3.4.25",
            "(1.2.3.4)",
            "e80::1%11",
            "]",
        ];
        for b in 0..=255u8 {
            for rest in rests {
                let mut v = vec![b];
                v.extend_from_slice(rest.as_bytes());
                let text = String::from_utf8_lossy(&v).into_owned();
                assert_eq!(
                    parse_ip_literal(&text),
                    parse_ip_literal_full(&text),
                    "{text:?}"
                );
            }
        }
        for text in ["\u{a0}1.2.3.4", "\u{2028}[1.2.3.4]", "é1.2.3.4", ""] {
            assert_eq!(
                parse_ip_literal(text),
                parse_ip_literal_full(text),
                "{text:?}"
            );
        }
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
    fn byte_paths_agree_with_the_std_and_char_paths() {
        for s in [
            "1.2.3.4",
            "255.255.255.255",
            "256.1.1.1",
            "01.2.3.4",
            "0.0.0.0",
            "1.2.3",
            "1.2.3.4.",
            "1.2.3.4.5",
            "1..2.3",
            "1.2.3.04",
            "1234.1.1.1",
            "1.2.3.4 ",
            "+1.2.3.4",
            "",
        ] {
            assert_eq!(
                dotted_quad(s.as_bytes()),
                s.parse::<Ipv4Addr>().ok(),
                "{s:?}"
            );
        }
        for s in [
            "::",
            "::1",
            "1::",
            "1::2",
            "2001:db8::1",
            "2001:DB8:0:0:0:0:0:1",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7:8:9",
            "1:2:3:4:5:6:7::8",
            "::1:2:3:4:5:6:7",
            "1:2:3:4:5:6:7::",
            "1::2::3",
            ":::",
            ":1::2",
            "1::2:",
            "1:::2",
            "12345::1",
            "fe80::1",
            "::ffff:0:1",
            ":",
            "1:2",
            "g::1",
            "::1.2.3.4",
            "1:2:3:4:5:6:7:8::",
            "::0:0:0:0:0:0:0",
            "::0:0:0:0:0:0:0:0",
            "0:0:0:0:0:0:0::",
        ] {
            let ours = plain_ipv6(s.as_bytes());
            assert!(ours.is_none() || ours == s.parse().ok(), "{s:?}");
        }
        for s in [
            " [(1.2.3.4)] ",
            "[[1.2.3.4:1]",
            "((",
            "])",
            "(]",
            "\u{a0}[1.2.3.4]",
            "[x]\u{2003}",
            "é[1]",
            "[ ( a ) ]",
            "",
            " ",
            "\t[a]\n",
        ] {
            assert_eq!(strip_enclosing(s), strip_enclosing_chars(s), "{s:?}");
        }
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
