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
        && eq_ci(&s.as_bytes()[..prefix.len()], prefix.as_bytes())
    {
        Some(&s[prefix.len()..])
    } else {
        None
    }
}

/// `a` equals `b` ignoring ASCII case: as `eq_ignore_ascii_case`, without lower-casing
/// both sides of every byte pair (two bytes are equal, or differ only in the `0x20` bit and
/// are the two cases of a letter).
#[inline]
pub(crate) fn eq_ci(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(&x, &y)| x == y || (x ^ y == 0x20 && (x | 0x20).is_ascii_lowercase()))
}

/// [`eq_ci`] on two texts: `str::eq_ignore_ascii_case`, in fewer instructions.
#[inline]
pub(crate) fn eq_ci_str(a: &str, b: &str) -> bool {
    eq_ci(a.as_bytes(), b.as_bytes())
}

/// `w` equals the keyword `lower` ignoring ASCII case, where `lower` is made of lower-case
/// ASCII letters only (`by`, `from`, `tls`).
///
/// Each byte is compared with its `0x20` bit set, which makes only the two cases of a
/// letter equal to it: the same answer as `eq_ignore_ascii_case` for such keywords, in a
/// few instructions per byte where that lower-cases both sides. The clause split and the
/// recognisers ask it of every word of a line.
#[inline]
pub(crate) fn eq_keyword(w: &str, lower: &str) -> bool {
    debug_assert!(lower.bytes().all(|b| b.is_ascii_lowercase()));
    let (a, b) = (w.as_bytes(), lower.as_bytes());
    a.len() == b.len() && a.iter().zip(b).all(|(&x, &y)| x | 0x20 == y)
}

/// True when `s` holds the byte `b`.
///
/// Header tokens are short (most under 40 bytes): eight bytes are tested at a time, the
/// last block overlapping the one before it, with no `memchr` setup and no byte loop but
/// for texts under eight bytes.
#[inline]
pub(crate) fn has_byte(s: &str, b: u8) -> bool {
    let s = s.as_bytes();
    if s.len() < 8 {
        return s.iter().fold(false, |found, &x| found | (x == b));
    }
    let pat = ONES * u64::from(b);
    let mut i = 0;
    while i + 8 < s.len() {
        if zero_byte(load8(s, i) ^ pat) != 0 {
            return true;
        }
        i += 8;
    }
    zero_byte(load8(s, s.len() - 8) ^ pat) != 0
}

/// Whether `s` holds a `:` and whether it holds a `=`, in one pass over it, eight bytes
/// at a time (the last block overlapping the one before it).
pub(crate) fn has_colon_equals(s: &str) -> (bool, bool) {
    let s = s.as_bytes();
    if s.len() < 8 {
        return s.iter().fold((false, false), |(c, e), &b| {
            (c | (b == b':'), e | (b == b'='))
        });
    }
    let (colon, equals) = (ONES * u64::from(b':'), ONES * u64::from(b'='));
    let (mut c, mut e) = (0, 0);
    let mut i = 0;
    while i + 8 < s.len() {
        let w = load8(s, i);
        c |= zero_byte(w ^ colon);
        e |= zero_byte(w ^ equals);
        i += 8;
    }
    let w = load8(s, s.len() - 8);
    c |= zero_byte(w ^ colon);
    e |= zero_byte(w ^ equals);
    (c != 0, e != 0)
}

/// Non-zero exactly when some byte of `v` is zero (the high bit of the first zero byte is
/// set; bytes above it may be flagged falsely, which a yes/no answer does not mind).
#[inline]
fn zero_byte(v: u64) -> u64 {
    v.wrapping_sub(ONES) & !v & HIGH
}

/// Byte offset of the first occurrence of `needle` in `haystack`, ignoring ASCII case.
///
/// Tests eight start positions at a time: a position is a candidate when both the
/// needle's first and last bytes match there (compared with the `0x20` bit set, which
/// every case pair of a letter shares), and only candidates are compared in full. The
/// parser searches most comments of a line for a few phrases that are rarely there, so
/// nearly every block is rejected in a dozen instructions instead of one loop step per
/// byte, and no `memchr` setup is paid on the short texts comments are.
///
/// Inlined length test: most comments asked are shorter than the phrase, answered without
/// the call.
#[inline]
pub(crate) fn find_ci(haystack: &str, needle: &str) -> Option<usize> {
    if needle.len() > haystack.len() {
        return None;
    }
    find_ci_full(haystack, needle)
}

#[inline(never)]
fn find_ci_full(haystack: &str, needle: &str) -> Option<usize> {
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
    let hit = |i: usize| eq_ci(&h[i..i + n.len()], n);
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

    /// The block tests answer as a byte loop does, for every length up to 40 and every
    /// position of the byte (or of both bytes).
    #[test]
    fn byte_tests_agree_with_a_loop() {
        for len in 0..40 {
            for at in 0..=len {
                for other in [b'=', b':', b'a', 0x80, 0x3b, 0x39] {
                    let mut v = vec![b'x'; len];
                    if at < len {
                        v[at] = b':';
                    }
                    if len > 0 {
                        v[(at * 7 + 3) % len] = other;
                    }
                    let s = String::from_utf8_lossy(&v).into_owned();
                    let b = s.as_bytes();
                    assert_eq!(has_byte(&s, b':'), b.contains(&b':'), "{s:?}");
                    assert_eq!(has_byte(&s, b'='), b.contains(&b'='), "{s:?}");
                    assert_eq!(
                        has_colon_equals(&s),
                        (b.contains(&b':'), b.contains(&b'=')),
                        "{s:?}"
                    );
                }
            }
        }
    }

    /// The byte comparison answers as `eq_ignore_ascii_case` for every pair of bytes.
    #[test]
    fn bytes_compare_like_eq_ignore_ascii_case() {
        for x in 0..=255u8 {
            for y in 0..=255u8 {
                assert_eq!(eq_ci(&[x], &[y]), x.eq_ignore_ascii_case(&y), "{x} {y}");
            }
        }
        assert!(eq_ci(b"Authenticated", b"aUTHENTICATED") && !eq_ci(b"ab", b"abc"));
    }

    /// The keyword comparison answers as `eq_ignore_ascii_case` for every byte against
    /// every letter, and for words around the keywords the parser uses.
    #[test]
    fn keywords_compare_like_eq_ignore_ascii_case() {
        for x in 0..=255u8 {
            for y in b'a'..=b'z' {
                let (xs, ys) = ([x], [y]);
                let (Ok(xs), Ok(ys)) = (std::str::from_utf8(&xs), std::str::from_utf8(&ys)) else {
                    assert_ne!(x | 0x20, y, "{x}");
                    continue;
                };
                assert_eq!(eq_keyword(xs, ys), xs.eq_ignore_ascii_case(ys), "{x} {y}");
            }
        }
        for kw in [
            "by",
            "id",
            "via",
            "for",
            "from",
            "with",
            "tls",
            "uid",
            "encrypted",
        ] {
            for w in [
                kw.to_string(),
                kw.to_ascii_uppercase(),
                format!("{kw}x"),
                kw[1..].to_string(),
                format!("{}\u{e9}", &kw[..kw.len() - 1]),
                kw.replace('i', "\u{131}"),
                String::new(),
            ] {
                assert_eq!(eq_keyword(&w, kw), w.eq_ignore_ascii_case(kw), "{w:?} {kw}");
            }
        }
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
