//! Case-insensitive ASCII matching on header text without allocating.
//!
//! MTAs write their keywords in any case (`with ESMTPS`, `with esmtps`, `Authenticated
//! sender`), so the parser compares case-insensitively everywhere. Lower-casing a copy of
//! every comment cost more than the parse itself; these helpers compare in place, and the
//! substring search jumps between candidate first bytes with `memchr2`.

/// `s` without `prefix` when it starts with it, ignoring ASCII case.
///
/// Inlined with a first-byte test: the parser asks this of every comment for a dozen
/// prefixes, and nearly every answer is "no" from the first byte on.
#[inline]
pub(crate) fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    match (s.as_bytes().first(), prefix.as_bytes().first()) {
        (Some(a), Some(b)) if !a.eq_ignore_ascii_case(b) => None,
        _ => strip_prefix_ci_full(s, prefix),
    }
}

#[inline(never)]
fn strip_prefix_ci_full<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    if s.len() >= prefix.len()
        && s.is_char_boundary(prefix.len())
        && s[..prefix.len()].eq_ignore_ascii_case(prefix)
    {
        Some(&s[prefix.len()..])
    } else {
        None
    }
}

/// Haystacks shorter than this are searched byte by byte: a `memchr` call costs a few
/// dozen instructions of dispatch and setup before it looks at the first byte, more than a
/// plain loop spends on a typical comment or word.
const SHORT: usize = 64;

/// True when `s` holds the byte `b`. Header tokens are short (most under 40 bytes), so a
/// loop is cheaper here than `memchr`'s setup; with no early exit the compiler vectorises
/// it, which on host-name-sized words beats stopping at the first hit.
pub(crate) fn has_byte(s: &str, b: u8) -> bool {
    s.bytes().fold(false, |found, x| found | (x == b))
}

/// Whether `s` holds a `:` and whether it holds a `=`, in one pass over it. The pass
/// has no early exit, so the compiler vectorises it over long comments.
pub(crate) fn has_colon_equals(s: &str) -> (bool, bool) {
    s.bytes().fold((false, false), |(c, e), b| {
        (c | (b == b':'), e | (b == b'='))
    })
}

/// Byte offset of the first occurrence of `needle` in `haystack`, ignoring ASCII case.
pub(crate) fn find_ci(haystack: &str, needle: &str) -> Option<usize> {
    let h = haystack.as_bytes();
    let n = needle.as_bytes();
    let (&first, rest) = match n.split_first() {
        Some(x) => x,
        None => return Some(0),
    };
    if n.len() > h.len() {
        return None;
    }
    let last_start = h.len() - n.len();
    let (lo, up) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    if h.len() < SHORT {
        // `to_ascii_lowercase` maps only `A-Z`, so a byte lower-cases to `lo` exactly when
        // it is `lo` or `up`.
        return (0..=last_start).find(|&i| {
            h[i].to_ascii_lowercase() == lo && h[i + 1..i + n.len()].eq_ignore_ascii_case(rest)
        });
    }
    let mut at = 0;
    while at <= last_start {
        let i = at + memchr::memchr2(lo, up, &h[at..=last_start])?;
        if h[i + 1..i + n.len()].eq_ignore_ascii_case(rest) {
            return Some(i);
        }
        at = i + 1;
    }
    None
}

/// True when `needle` occurs in `haystack`, ignoring ASCII case.
pub(crate) fn contains_ci(haystack: &str, needle: &str) -> bool {
    find_ci(haystack, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_like_a_naive_search() {
        let naive = |h: &str, n: &str| {
            (0..=h.len().saturating_sub(n.len())).find(|&i| {
                n.len() <= h.len()
                    && h.as_bytes()[i..i + n.len()].eq_ignore_ascii_case(n.as_bytes())
            })
        };
        let hays = [
            "",
            "a",
            "TLS:",
            "xx tls: yy",
            "version=TLSv1.3 cipher=X",
            "ttls",
            "Tt",
            "é tls é",
        ];
        let needles = ["tls:", "t", "TLS", "cipher=", "é", "ttls", "x"];
        for h in hays {
            for n in needles {
                assert_eq!(find_ci(h, n), naive(h, n), "{h:?} / {n:?}");
            }
        }
        assert_eq!(find_ci("abc", ""), Some(0));
        let long = format!("{}TLS: x", "a t ".repeat(30));
        assert_eq!(find_ci(&long, "tls:"), naive(&long, "tls:"));
        assert!(has_byte("a:b", b':') && !has_byte("ab", b':'));
        assert_eq!(has_colon_equals("a=b"), (false, true));
        assert_eq!(has_colon_equals("TLS: x"), (true, false));
        assert!(contains_ci(
            "(Authenticated Sender: x)",
            "authenticated sender"
        ));
        assert_eq!(strip_prefix_ci("IPv6:::1", "ipv6:"), Some("::1"));
        assert_eq!(strip_prefix_ci("é", "e"), None);
    }
}
