//! JSON string literals, escaped byte for byte as serde_json escapes them.
//!
//! serde_json's rules (RFC 8259 §7 with its own choices): `"` and `\` get a backslash;
//! backspace, form feed, line feed, carriage return and tab their short forms (`\b \f \n \r
//! \t`); every other byte below 0x20 becomes `\u00XX` with lowercase hex digits; everything
//! else, DEL and non-ASCII text included, is copied unchanged (the input is UTF-8 already).
//!
//! Most strings in a report need no escape at all, so the scan is made for clean text
//! (no `unsafe`, no intrinsics): long strings are tested 32 bytes per step by a plain fold
//! of comparisons that LLVM compiles to SSE2 compares and one `pmovmskb`; only a window
//! that has a special byte is looked at byte by byte (as a bit mask); clean runs are
//! copied with one `extend_from_slice`; short clean strings (up to 16 bytes: field names,
//! verdicts, host names) are tested with one or two eight-byte words and copied with
//! fixed-size writes.

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
    (b < 0x20) | (b == b'"') | (b == b'\\')
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
    if !copy_short_clean(out, bytes) {
        write_long(out, bytes);
    }
}

/// [`write_str`] of a string longer than 16 bytes or with an escape. Kept out of line so
/// that the short path saves no registers.
#[inline(never)]
fn write_long(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    contents(out, bytes);
    out.push(b'"');
}

/// Write the literal of `bytes` when it is at most 16 bytes long and needs no escape;
/// false (nothing written) otherwise. Most strings of a report are short (verdicts, rule
/// ids, host names): they are checked with one or two words and written without `memcpy`
/// and with one capacity check: a run of quotes of fixed size is appended, the text is
/// stored over it (two overlapping fixed-size stores) and the run is cut after the closing
/// quote.
#[inline(always)]
fn copy_short_clean(out: &mut Vec<u8>, bytes: &[u8]) -> bool {
    let n = bytes.len();
    let base = out.len();
    match n {
        0 => {
            out.extend_from_slice(b"\"\"");
            true
        }
        1..=3 => {
            // Positions 0, n/2 and n-1 cover every byte of a string this short.
            let (a, b, c) = (bytes[0], bytes[n / 2], bytes[n - 1]);
            if candidates(u64::from_le_bytes([a, b, c, b' ', b' ', b' ', b' ', b' '])) != 0 {
                return false;
            }
            out.extend_from_slice(&[b'"'; 8]);
            if let Some(text) = out.get_mut(base + 1..base + 1 + n) {
                text[0] = a;
                text[n / 2] = b;
                text[n - 1] = c;
            }
            out.truncate(base + n + 2);
            true
        }
        4..=7 => {
            let (lo, hi) = (load4(bytes, 0), load4(bytes, n - 4));
            let word = u64::from(u32::from_le_bytes(lo)) | u64::from(u32::from_le_bytes(hi)) << 32;
            if candidates(word) != 0 {
                return false;
            }
            out.extend_from_slice(&[b'"'; 16]);
            store(out, base + 1, lo);
            store(out, base + n - 3, hi);
            out.truncate(base + n + 2);
            true
        }
        8..=16 => {
            let (lo, hi) = (load8(bytes, 0), load8(bytes, n - 8));
            if candidates(u64::from_le_bytes(lo)) | candidates(u64::from_le_bytes(hi)) != 0 {
                return false;
            }
            out.extend_from_slice(&[b'"'; 24]);
            store(out, base + 1, lo);
            store(out, base + n - 7, hi);
            out.truncate(base + n + 2);
            true
        }
        _ => false,
    }
}

/// Overwrite the `N` bytes of `out` at `at` (always inside `out`).
#[inline(always)]
fn store<const N: usize>(out: &mut [u8], at: usize, bytes: [u8; N]) {
    if let Some(slot) = out.get_mut(at..at + N) {
        slot.copy_from_slice(&bytes);
    }
}

/// `0xff` for each byte of `window` that needs an escape, `0` for the others. A plain loop
/// of comparisons, which LLVM compiles to SSE2 (`pminub`, `pcmpeqb`, `por` on two 16-byte
/// halves) with no `unsafe` and no intrinsics.
#[inline(always)]
fn escape_flags(window: &[u8; 32]) -> [u8; 32] {
    let mut flags = [0u8; 32];
    for (flag, &b) in flags.iter_mut().zip(window) {
        *flag = u8::from(needs_escape(b)).wrapping_neg();
    }
    flags
}

/// True when a byte of `window` needs an escape: [`escape_flags`] folded by `por` and tested
/// by one `pmovmskb`, about twenty instructions for 32 bytes.
#[inline(always)]
fn any_escape(window: &[u8; 32]) -> bool {
    escape_flags(window).iter().fold(0, |any, &flag| any | flag) != 0
}

/// Bit `k` set when byte `k` of `window` needs an escape (asked only of the rare window
/// [`any_escape`] accepts).
#[inline(always)]
fn escape_mask(window: &[u8; 32]) -> u32 {
    let flags = escape_flags(window);
    let mut mask = 0;
    for (w, word) in flags.chunks_exact(8).enumerate() {
        // One bit per byte (bit 8j), gathered into bits 56..64 by the multiplication
        // (byte j lands on bit 56 + j; no two partial products share a bit).
        let bits = (u64::from_le_bytes(word.try_into().unwrap_or([0; 8])) & HIGH) >> 7;
        mask |= ((bits.wrapping_mul(0x0102_0408_1020_4080) >> 56) as u32) << (8 * w);
    }
    mask
}

/// `window` as a fixed-size array (it is always 32 bytes long).
#[inline(always)]
fn window32(window: &[u8]) -> &[u8; 32] {
    window.try_into().unwrap_or(&[0; 32])
}

/// Append the escaped text of `bytes` (valid UTF-8) without the quotes.
pub fn write_contents(out: &mut Vec<u8>, bytes: &[u8]) {
    contents(out, bytes);
}

/// [`write_contents`], inlined into [`write_long`].
#[inline(always)]
fn contents(out: &mut Vec<u8>, bytes: &[u8]) {
    let n = bytes.len();
    // `start..` is the clean run not yet copied; `i` the next byte not yet scanned.
    let mut start = 0;
    let mut i = 0;
    // The escapes of `mask` (bit k: the byte at `base + k`), each after the clean run
    // before it.
    let mut flush = |out: &mut Vec<u8>, mut mask: u32, base: usize| {
        while mask != 0 {
            let at = base + mask.trailing_zeros() as usize;
            mask &= mask - 1;
            out.extend_from_slice(&bytes[start..at]);
            escape(out, bytes[at]);
            start = at + 1;
        }
    };
    while let Some(window) = bytes.get(i..i + 32) {
        let window = window32(window);
        if any_escape(window) {
            flush(out, escape_mask(window), i);
        }
        i += 32;
    }
    if i < n {
        if n >= 32 {
            // The last 32 bytes, overlapping bytes already scanned (shifted out).
            let last = n - 32;
            let window = window32(&bytes[last..]);
            if any_escape(window) {
                flush(out, escape_mask(window) >> (i - last), i);
            }
        } else if n >= 16 {
            // The first and the last sixteen bytes: bit 16 + j of the mask is byte
            // n - 16 + j, of which the first 32 - n repeat bytes of the first half.
            let mut window = [0u8; 32];
            window[..16].copy_from_slice(&bytes[..16]);
            window[16..].copy_from_slice(&bytes[n - 16..]);
            if any_escape(&window) {
                let mask = escape_mask(&window);
                flush(out, mask & 0xffff | (mask >> 16 >> (32 - n)) << 16, 0);
            }
        } else {
            // Shorter strings come here mostly with an escape (write_str copies short
            // clean strings itself): padded with bytes that need none.
            let mut window = [b' '; 32];
            window[..n].copy_from_slice(bytes);
            flush(out, escape_mask(&window), 0);
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
    fn every_special_byte_at_every_position_of_every_length_to_80() {
        // Also each length without a special (`at` = `len`). Every window shape of the scan: whole 32-byte windows, the overlapping last
        // window, the two-halves window (16..32 bytes), the padded one (< 16), and the
        // short clean copies of write_str; filler ASCII and non-ASCII.
        let specials: Vec<char> = (0u8..0x20)
            .map(char::from)
            .chain(['"', '\\', '\u{7f}', '/', '#', ']'])
            .collect();
        for filler in ['a', 'é'] {
            for len in 0..=80 {
                for at in 0..=len {
                    for &c in &specials {
                        let s: String =
                            (0..len).map(|k| if k == at { c } else { filler }).collect();
                        let reference = by_serde_json(&s);
                        assert_eq!(ours(&s), reference, "{c:?} at {at} of {len}");
                        // The contents alone, as collect_str writes them (short strings too).
                        let mut contents = Vec::new();
                        write_contents(&mut contents, s.as_bytes());
                        assert_eq!(contents, reference.as_bytes()[1..reference.len() - 1]);
                    }
                }
            }
        }
    }

    #[test]
    fn two_specials_at_every_pair_of_positions_to_70() {
        for len in 0..=70 {
            for a in 0..len {
                for b in a..len {
                    let s: String = (0..len)
                        .map(|k| match k {
                            k if k == a => '"',
                            k if k == b => '\n',
                            _ => 'x',
                        })
                        .collect();
                    assert_eq!(ours(&s), by_serde_json(&s), "{a} and {b} of {len}");
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
