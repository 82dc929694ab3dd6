//! Case-insensitive ASCII matching on header text without allocating.
//!
//! MTAs write their keywords in any case (`with ESMTPS`, `with esmtps`, `Authenticated
//! sender`), so the parser compares case-insensitively everywhere. Lower-casing a copy of
//! every comment cost more than the parse itself; these helpers compare in place, and the
//! substring search rejects eight start positions at a time.

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
///
/// Tests eight start positions at a time: a position is a candidate when both the
/// needle's first and last bytes match there (compared with the `0x20` bit set, which
/// every case pair of a letter shares), and only candidates are compared in full. The
/// parser searches most comments of a line for a few phrases that are rarely there, so
/// nearly every block is rejected in a dozen instructions instead of one loop step per
/// byte, and no `memchr` setup is paid on the short texts comments are.
pub(crate) fn find_ci(haystack: &str, needle: &str) -> Option<usize> {
    let h = haystack.as_bytes();
    let n = needle.as_bytes();
    let (&first, &last) = match (n.first(), n.last()) {
        (Some(f), Some(l)) => (f, l),
        _ => return Some(0),
    };
    if n.len() > h.len() {
        return None;
    }
    let last_start = h.len() - n.len();
    let hit = |i: usize| h[i..i + n.len()].eq_ignore_ascii_case(n);
    let (f, l) = (
        ONES * u64::from(first | 0x20),
        ONES * u64::from(last | 0x20),
    );
    let mut i = 0;
    // A block covers start positions `i..i + 8`; the bytes it reads at the needle's end
    // (`i + n.len() - 1 .. i + n.len() + 7`) are inside the haystack exactly when all
    // eight positions are possible starts.
    while i + 8 <= last_start + 1 {
        let a = load8(h, i) | (ONES * 0x20);
        let b = load8(h, i + n.len() - 1) | (ONES * 0x20);
        let x = (a ^ f) | (b ^ l);
        // High bit set on every zero byte of `x` (and possibly on some bytes above one):
        // every candidate, in order, plus false ones the full comparison rejects.
        let mut zero = x.wrapping_sub(ONES) & !x & HIGH;
        while zero != 0 {
            let at = i + (zero.trailing_zeros() / 8) as usize;
            if hit(at) {
                return Some(at);
            }
            zero &= zero - 1;
        }
        i += 8;
    }
    (i..=last_start).find(|&i| (h[i] | 0x20) == (first | 0x20) && hit(i))
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The eight bytes of `b` from `at` as a little-endian word (the caller checks the bound).
#[inline]
fn load8(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
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

    /// The block search finds what a naive search finds on every generated haystack and
    /// needle, over bytes chosen to trip it: case pairs, bytes that differ from a letter
    /// only in the `0x20` bit (`@`/`` ` ``, `:`/`\x1a`), `0x01` (a false zero candidate above
    /// a true one) and multi-byte characters.
    #[test]
    fn block_search_agrees_with_a_naive_search() {
        let naive = |h: &[u8], n: &[u8]| {
            (0..=h.len().saturating_sub(n.len()))
                .find(|&i| n.len() <= h.len() && h[i..i + n.len()].eq_ignore_ascii_case(n))
        };
        let alphabet: [&str; 14] = [
            "t", "T", "l", "L", "s", ":", "\u{1a}", "\u{1}", "@", "`", " ", "=", "é", "S",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |m: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % m as u64) as usize
        };
        for _ in 0..100_000 {
            let h: String = (0..next(90))
                .map(|_| alphabet[next(alphabet.len())])
                .collect();
            let n: String = (0..1 + next(6))
                .map(|_| alphabet[next(alphabet.len())])
                .collect();
            assert_eq!(
                find_ci(&h, &n),
                naive(h.as_bytes(), n.as_bytes()),
                "{h:?} / {n:?}"
            );
        }
    }
}
