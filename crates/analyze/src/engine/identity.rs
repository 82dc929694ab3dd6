//! Who a host is: address classes, organisational domains (Public Suffix List) and the
//! name comparisons the chain checks rely on.
//!
//! Comparing "the same organisation" by organisational domain (RFC 7489 §3.2) rather than
//! by exact host is what lets `mx1.example.co.uk` and `smtp.example.co.uk` count as one
//! sender while `example.co.uk` and `other.co.uk` do not.

use std::borrow::Cow;
use std::net::IpAddr;

/// True for addresses that never appear on the public internet: RFC 1918, loopback,
/// link-local, CGNAT (RFC 6598), unspecified, IPv6 ULA/link-local, and IPv4-mapped forms.
/// Documentation ranges (TEST-NET, 2001:db8::/32) count as public on purpose: examples
/// and test fixtures use them for "some internet host".
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || o[0] == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
        }
    }
}

/// Lower-case a host name, drop a trailing dot and surrounding brackets.
pub fn norm_host(h: &str) -> String {
    norm(h).into_owned()
}

/// [`norm_host`] without the allocation when the name is already lower-case, as nearly
/// every host name in a `Received:` header is: the name checks run several times per hop.
pub fn norm(h: &str) -> Cow<'_, str> {
    lower(bare(h))
}

/// `t` in ASCII lower case, borrowed when it already is.
fn lower(t: &str) -> Cow<'_, str> {
    if t.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(t.to_ascii_lowercase())
    } else {
        Cow::Borrowed(t)
    }
}

/// The name [`norm`] lower-cases, as a slice of `h`: surrounding white space and brackets
/// and a trailing dot dropped, case kept.
fn bare(h: &str) -> &str {
    // Fast path: a name that starts and ends with a letter or digit has nothing to trim.
    let plain = |b: Option<&u8>| b.is_some_and(u8::is_ascii_alphanumeric);
    if plain(h.as_bytes().first()) && plain(h.as_bytes().last()) {
        return h;
    }
    h.trim()
        .trim_matches(|c| c == '[' || c == ']')
        .trim_end_matches('.')
}

/// True when the name is an IP literal (`1.2.3.4`, `[1.2.3.4]`, `[IPv6:…]`).
pub fn is_ip_literal(name: &str) -> bool {
    let n = name.trim().trim_matches(|c| c == '[' || c == ']');
    let n = n
        .strip_prefix("IPv6:")
        .or_else(|| n.strip_prefix("ipv6:"))
        .unwrap_or(n);
    n.parse::<IpAddr>().is_ok()
}

/// The IP an IP-literal name spells, if it is one.
pub fn literal_ip(name: &str) -> Option<IpAddr> {
    let n = name.trim().trim_matches(|c| c == '[' || c == ']');
    let n = n
        .strip_prefix("IPv6:")
        .or_else(|| n.strip_prefix("ipv6:"))
        .unwrap_or(n);
    n.parse().ok()
}

/// True for a fully qualified name (has a dot, is not an IP literal).
pub fn is_fqdn(name: &str) -> bool {
    // Same normalisation as `norm_host` without allocating: case does not matter here.
    let n = bare(name);
    let n = match n.get(..5) {
        Some(p) if p.eq_ignore_ascii_case("ipv6:") => &n[5..],
        _ => n,
    };
    // Only hex digits, dots and colons can spell an address: skip the parse otherwise.
    let ip_like = n
        .bytes()
        .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':');
    n.contains('.') && n.bytes().any(|c| c.is_ascii_alphabetic()) && !(ip_like && is_ip_literal(n))
}

/// True when the name ends in a real public suffix (not `.local`, `.lan`, `.internal`):
/// only such names can be compared across organisations.
pub fn is_public_name(name: &str) -> bool {
    facts(name).public
}

/// The two questions the engine asks of nearly every host name it looks at, answered
/// together.
#[derive(Clone, Copy, Default)]
struct NameFacts {
    /// [`public_name`].
    public: bool,
    /// [`org_range`], as `u16` offsets (host names are far shorter).
    org: Option<(u16, u16)>,
}

/// [`NameFacts`] of `name`, memoised per thread (see [`super::memo`]): the callers that
/// ask whether a name is public go on to ask its organisation, so one table and one
/// lookup serve both.
fn facts(name: &str) -> NameFacts {
    thread_local! {
        static MEMO: std::cell::RefCell<super::memo::Memo<NameFacts>> = Default::default();
    }
    MEMO.with_borrow_mut(|m| {
        m.get_or(name.as_bytes(), || NameFacts {
            public: public_name(name),
            org: org_offsets(name),
        })
    })
}

/// [`is_public_name`] without the memo.
fn public_name(name: &str) -> bool {
    let n = norm(name);
    is_fqdn(&n)
        && (psl::suffix(n.as_bytes()).is_some_and(|s| s.typ().is_some())
            // RFC 2606 names stand for public ones in examples and fixtures.
            || n.ends_with(".example")
            || n.ends_with(".test"))
}

/// Organisational domain of a host name from the Public Suffix List
/// (`mail.example.co.uk` → `example.co.uk`). Falls back to the last two labels for names
/// the list does not know; `None` for IP literals and single labels.
pub fn org_domain(host: &str) -> Option<String> {
    org_cow(host).map(Cow::into_owned)
}

/// [`org_cow`] of a name [`is_public_name`] accepts, `None` for any other: one memo
/// lookup for the two questions.
pub fn public_org(name: &str) -> Option<Cow<'_, str>> {
    let f = facts(name);
    let (a, b) = f.org.filter(|_| f.public)?;
    Some(lower(&name[usize::from(a)..usize::from(b)]))
}

/// [`org_domain`] borrowed from `host` when that part of it is already lower-case, as the
/// names in `Received:` headers and the decoded address domains nearly always are: the
/// engine compares organisations of the same few names many times per message and keeps
/// few of the answers.
pub fn org_cow(host: &str) -> Option<Cow<'_, str>> {
    org_range(host).map(|r| lower(&host[r]))
}

/// Where [`org_domain`] of `host` sits in `host` itself (before lower-casing): the answer
/// is memoised per thread (see [`super::memo`]), since the engine asks it of the same
/// few names many times per message and the Public Suffix List walk is the costly part.
pub fn org_range(host: &str) -> Option<std::ops::Range<usize>> {
    facts(host).org.map(|(a, b)| usize::from(a)..usize::from(b))
}

/// [`org_range`] without the memo; `None` also for names too long for `u16` offsets.
fn org_offsets(host: &str) -> Option<(u16, u16)> {
    // `norm(host)`, keeping where the bare name starts: lower-casing ASCII keeps byte
    // offsets.
    let t = bare(host);
    let n = lower(t);
    let org = org_of(&n)?;
    let trimmed = t.as_ptr() as usize - host.as_ptr() as usize;
    let start = trimmed + (org.as_ptr() as usize - n.as_ptr() as usize);
    Some((
        u16::try_from(start).ok()?,
        u16::try_from(start + org.len()).ok()?,
    ))
}

/// [`org_domain`] of a name already in [`norm`] form, as a slice of it: the registrable
/// domain is always a suffix of the name, so comparing organisations needs no allocation.
pub fn org_of(h: &str) -> Option<&str> {
    if !is_fqdn(h) {
        return None;
    }
    if let Some(d) = psl::domain_str(h) {
        return Some(d);
    }
    let mut labels = h.rsplitn(3, '.');
    let (last, second) = (labels.next()?, labels.next()?);
    if last.is_empty() || second.is_empty() {
        return None;
    }
    Some(&h[h.len() - last.len() - 1 - second.len()..])
}

/// [`org_of`] of a name already in [`norm`] form, through the memo.
pub fn org_in(n: &str) -> Option<&str> {
    org_range(n).map(|r| &n[r])
}

/// `org_domain(a) == org_domain(b)` without building either string (`None == None`).
pub fn org_eq(a: &str, b: &str) -> bool {
    match (org_range(a), org_range(b)) {
        (Some(x), Some(y)) => a[x].eq_ignore_ascii_case(&b[y]),
        (None, None) => true,
        _ => false,
    }
}

/// Domain part of an address (`a@b.example` → `b.example`), lower-cased.
pub fn addr_domain(addr: &str) -> Option<String> {
    let a = addr.trim().trim_matches(|c| c == '<' || c == '>');
    let (_, d) = a.rsplit_once('@')?;
    let d = norm_host(d);
    (!d.is_empty()).then_some(d)
}

/// True when both names share an organisational domain.
pub fn same_org(a: &str, b: &str) -> bool {
    org_range(a).is_some() && org_eq(a, b)
}

/// Two organisational domains of the same brand (`sourceforge.net` / `sourceforge.com`):
/// large operators spread one service over several registrable domains.
pub fn same_brand(a: &str, b: &str) -> bool {
    let la = a.split('.').next().unwrap_or("");
    a == b || (la.len() > 3 && Some(la) == b.split('.').next())
}

/// First label of a host (`mx1.example.org` → `mx1`).
pub fn first_label(host: &str) -> String {
    norm_host(host).split('.').next().unwrap_or("").to_string()
}

/// [`first_label`] of a name already in [`norm`] form, borrowed.
pub fn first_label_of(h: &str) -> &str {
    h.split('.').next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_domains_follow_the_public_suffix_list() {
        assert_eq!(
            org_domain("mail.example.co.uk").as_deref(),
            Some("example.co.uk")
        );
        assert_eq!(
            org_domain("a.b.mail.protection.outlook.com").as_deref(),
            Some("outlook.com")
        );
        assert_eq!(org_domain("MX.Google.COM.").as_deref(), Some("google.com"));
        assert_eq!(org_domain("1.2.3.4"), None);
        assert_eq!(org_domain("localhost"), None);
        assert!(same_org("smtp.example.co.uk", "mx.example.co.uk"));
        assert!(!same_org("example.co.uk", "other.co.uk"));
    }

    #[test]
    fn address_classes() {
        for p in [
            "10.1.2.3",
            "192.168.0.1",
            "127.0.0.1",
            "100.64.1.1",
            "::1",
            "fd00::1",
        ] {
            assert!(is_private(p.parse().unwrap()), "{p}");
        }
        for p in ["198.51.100.25", "8.8.8.8", "2001:db8::1", "2a00:1450::1"] {
            assert!(!is_private(p.parse().unwrap()), "{p}");
        }
        assert!(is_ip_literal("[IPv6:2001:db8::1]"));
        assert!(is_ip_literal("[192.0.2.1]"));
        assert!(!is_ip_literal("mail.example.org"));
        assert_eq!(
            addr_domain("<Bob@Example.ORG>").as_deref(),
            Some("example.org")
        );
    }
}
