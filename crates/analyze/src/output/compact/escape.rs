//! JSON string literals, escaped byte for byte as serde_json escapes them.
//!
//! serde_json's rules (RFC 8259 §7 with its own choices): `"` and `\` get a backslash;
//! backspace, form feed, line feed, carriage return and tab their short forms (`\b \f \n \r
//! \t`); every other byte below 0x20 becomes `\u00XX` with lowercase hex digits; everything
//! else, DEL and non-ASCII text included, is copied unchanged (the input is UTF-8 already).
//!
//! Most strings in a report need no escape at all, so the scan looks at eight bytes per step
//! (one `u64`, no `unsafe`): a word without a quote, a backslash or a control byte is skipped
//! in a few instructions, clean runs are copied with one `extend_from_slice`, and short
//! clean strings with fixed-size writes.

/// `b` in every byte of a word.
const fn splat(b: u8) -> u64 {
    0x0101_0101_0101_0101 * b as u64
}

const HIGH: u64 = splat(0x80);

/// The high bit of every byte of `w` that needs an escape, and possibly of a byte right above
/// one (a borrow can run into it): callers confirm each candidate with [`needs_escape`].
/// A byte that needs an escape is never missed.
#[inline(always)]
fn candidates(w: u64) -> u64 {
    let control = w.wrapping_sub(splat(0x20)) & !w;
    let q = w ^ splat(b'"');
    let quote = q.wrapping_sub(splat(1)) & !q;
    let b = w ^ splat(b'\\');
    let backslash = b.wrapping_sub(splat(1)) & !b;
    (control | quote | backslash) & HIGH
}

#[inline(always)]
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

#[inline(always)]
fn load8(bytes: &[u8], at: usize) -> [u8; 8] {
    let mut w = [0; 8];
    w.copy_from_slice(&bytes[at..at + 8]);
    w
}

#[inline(always)]
fn load4(bytes: &[u8], at: usize) -> [u8; 4] {
    let mut w = [0; 4];
    w.copy_from_slice(&bytes[at..at + 4]);
    w
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The escape sequence of a byte [`needs_escape`] accepted.
#[inline]
fn escape(out: &mut Vec<u8>, b: u8) {
    let short = match b {
        b'"' => b'"',
        b'\\' => b'\\',
        b'\n' => b'n',
        b'\r' => b'r',
        b'\t' => b't',
        0x08 => b'b',
        0x0c => b'f',
        _ => {
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]);
            return;
        }
    };
    out.extend_from_slice(&[b'\\', short]);
}

/// Append `s` as a JSON string literal (quotes included).
#[inline]
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.push(b'"');
    if !copy_short_clean(out, bytes) {
        out.reserve(bytes.len() + 1);
        write_contents(out, bytes);
    }
    out.push(b'"');
}

/// Copy `bytes` when it is at most 16 bytes long and needs no escape; false (nothing
/// written) otherwise. Most strings of a report are short (field names, verdicts, rule
/// ids, host names): they are checked with two overlapping loads and copied with
/// fixed-size writes, where `extend_from_slice` of a variable length would call `memcpy`.
#[inline(always)]
fn copy_short_clean(out: &mut Vec<u8>, bytes: &[u8]) -> bool {
    let n = bytes.len();
    let base = out.len();
    match n {
        0 => true,
        1..=3 => {
            // Positions 0, n/2 and n-1 cover every byte of a string this short.
            let w = [bytes[0], bytes[n / 2], bytes[n - 1]];
            let word = u64::from_le_bytes([w[0], w[1], w[2], b' ', b' ', b' ', b' ', b' ']);
            if candidates(word) != 0 {
                return false;
            }
            out.extend_from_slice(&w);
            out.truncate(base + n);
            true
        }
        4..=7 => {
            let (lo, hi) = (load4(bytes, 0), load4(bytes, n - 4));
            let word = u64::from(u32::from_le_bytes(lo)) | u64::from(u32::from_le_bytes(hi)) << 32;
            if candidates(word) != 0 {
                return false;
            }
            out.extend_from_slice(&lo);
            out.truncate(base + n - 4);
            out.extend_from_slice(&hi);
            true
        }
        8..=16 => {
            let (lo, hi) = (load8(bytes, 0), load8(bytes, n - 8));
            if candidates(u64::from_le_bytes(lo)) | candidates(u64::from_le_bytes(hi)) != 0 {
                return false;
            }
            out.extend_from_slice(&lo);
            out.truncate(base + n - 8);
            out.extend_from_slice(&hi);
            true
        }
        _ => false,
    }
}

/// Append the escaped text of `bytes` (valid UTF-8) without the quotes.
pub fn write_contents(out: &mut Vec<u8>, bytes: &[u8]) {
    let n = bytes.len();
    // `start..` is the clean run not yet copied; `i` the next byte not yet scanned.
    let mut start = 0;
    let mut i = 0;
    let flush = |out: &mut Vec<u8>, at: usize, start: &mut usize| {
        out.extend_from_slice(&bytes[*start..at]);
        escape(out, bytes[at]);
        *start = at + 1;
    };
    // Sixteen bytes per step while there are that many: one test for two words.
    while i + 16 <= n {
        let chunk: &[u8; 16] = bytes[i..i + 16].try_into().unwrap_or(&[0; 16]);
        let (lo, hi) = chunk.split_at(8);
        let lo = candidates(u64::from_le_bytes(lo.try_into().unwrap_or([0; 8])));
        let hi = candidates(u64::from_le_bytes(hi.try_into().unwrap_or([0; 8])));
        if lo | hi != 0 {
            for (mut hits, word) in [(lo, i), (hi, i + 8)] {
                while hits != 0 {
                    let at = word + (hits.trailing_zeros() / 8) as usize;
                    hits &= hits - 1;
                    if needs_escape(bytes[at]) {
                        flush(out, at, &mut start);
                    }
                }
            }
        }
        i += 16;
    }
    if i + 8 <= n {
        let mut hits = candidates(u64::from_le_bytes(load8(bytes, i)));
        while hits != 0 {
            let at = i + (hits.trailing_zeros() / 8) as usize;
            hits &= hits - 1;
            if needs_escape(bytes[at]) {
                flush(out, at, &mut start);
            }
        }
        i += 8;
    }
    if i < n {
        if n >= 8 {
            // The last word, overlapping bytes already scanned (skipped below).
            let last = n - 8;
            let mut hits = candidates(u64::from_le_bytes(load8(bytes, last)));
            while hits != 0 {
                let at = last + (hits.trailing_zeros() / 8) as usize;
                hits &= hits - 1;
                if at >= i && needs_escape(bytes[at]) {
                    flush(out, at, &mut start);
                }
            }
        } else {
            for (at, &b) in bytes.iter().enumerate().skip(i) {
                if needs_escape(b) {
                    flush(out, at, &mut start);
                }
            }
        }
    }
    out.extend_from_slice(&bytes[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_serde_json(s: &str) -> String {
        serde_json::to_string(s).unwrap()
    }

    fn ours(s: &str) -> String {
        let mut out = Vec::new();
        write_str(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn every_byte_below_0x80_alone_and_in_every_word_position() {
        for b in 0u8..0x80 {
            let c = char::from(b);
            for len in 0..20 {
                for at in 0..len {
                    let s: String = (0..len).map(|k| if k == at { c } else { 'a' }).collect();
                    assert_eq!(
                        ours(&s),
                        by_serde_json(&s),
                        "byte {b:#04x} at {at} of {len}"
                    );
                }
            }
        }
    }

    #[test]
    fn runs_of_specials_next_to_non_ascii() {
        // Adjacent hits in one word (a borrow may mark the byte above a hit), hits right
        // after bytes >= 0x80 (whose high bit must not count), and the word boundaries.
        let samples = [
            String::new(),
            "\"\\\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}".repeat(3),
            "é\"ü\\\u{1F600}\u{1}\u{FFFD}\u{2028}\u{2029}/".repeat(5),
            "\u{FFFD}\u{FFFD}\u{FFFD}\n".repeat(40),
            "x".repeat(4096) + "\"",
            "\u{0}".repeat(17),
        ];
        for s in &samples {
            assert_eq!(ours(s), by_serde_json(s));
        }
    }

    #[test]
    fn pseudo_random_strings() {
        // xorshift; characters drawn mostly from the bytes that matter.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let alphabet: Vec<char> = (0u8..0x20)
            .map(char::from)
            .chain("\"\\/ #]!aZ~\u{7f}é\u{FFFD}\u{1F600}".chars())
            .collect();
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 40) as usize;
            let s: String = (0..len)
                .map(|k| alphabet[((x >> (k % 50)) as usize + k * 7) % alphabet.len()])
                .collect();
            assert_eq!(ours(&s), by_serde_json(&s), "{s:?}");
        }
    }
}
