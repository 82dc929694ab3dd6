//! Unfolding and cleaning of a raw header value before tokenising.
//!
//! Done once, into the single `String` that becomes [`crate::Hop::raw`], so every later
//! stage can borrow slices of it instead of allocating. Folding whitespace, tabs and CR/LF
//! collapse to one space; NUL and other control bytes are dropped (they only appear in
//! hostile or damaged mail, and an embedded NUL must not split a host name in two).

/// Headers longer than this are cut before parsing; real ones are under 1 KiB.
pub const MAX_RECEIVED_LEN: usize = 16 * 1024;

/// The cleaned value plus the original length when it had to be cut.
pub(crate) struct Normalized {
    pub text: String,
    pub truncated_from: Option<usize>,
}

/// Collapse folding whitespace, drop control characters and bound the length.
pub(crate) fn normalize(value: &str) -> Normalized {
    let mut cut = value;
    let mut truncated_from = None;
    if value.len() > MAX_RECEIVED_LEN {
        let mut end = MAX_RECEIVED_LEN;
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        cut = &value[..end];
        truncated_from = Some(value.len());
    }
    let mut text = String::with_capacity(cut.len());
    let mut pending_space = false;
    // Runs of printable ASCII (single spaces included) are copied whole; only other
    // separators, control bytes and multi-byte characters are looked at one by one.
    let bytes = cut.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_graphic() {
            let run = printable_run_end(bytes, i);
            if pending_space && !text.is_empty() {
                text.push(' ');
            }
            pending_space = false;
            text.push_str(&cut[i..run]);
            i = run;
            continue;
        }
        if b.is_ascii() {
            i += 1;
            if b.is_ascii_whitespace() || b == 0x0b {
                pending_space = true;
            }
            // Any other ASCII byte here is a control byte (NUL, ESC, DEL …): never
            // meaningful inside a trace header, dropped.
            continue;
        }
        let ch = cut[i..]
            .chars()
            .next()
            .unwrap_or(char::REPLACEMENT_CHARACTER);
        i += ch.len_utf8().max(1);
        if ch.is_whitespace() {
            pending_space = true;
        } else if !ch.is_control() {
            if pending_space && !text.is_empty() {
                text.push(' ');
            }
            pending_space = false;
            text.push(ch);
        }
    }
    Normalized {
        text,
        truncated_from,
    }
}

/// End of the run starting at `start` (a printable byte) of printable ASCII bytes and
/// single spaces between them: the bytes the output keeps exactly as written.
fn printable_run_end(bytes: &[u8], start: usize) -> usize {
    let mut j = start;
    // Sixteen bytes at a time while they plainly belong to the run (the byte after them
    // is read too, for a space in the last place): the compiler turns this test into a
    // few vector instructions, and runs are 53 bytes long on average.
    while let Some(window) = bytes
        .get(j..j + 17)
        .and_then(|b| <&[u8; 17]>::try_from(b).ok())
    {
        if !plain16(window) {
            break;
        }
        j += 16;
    }
    // Eight bytes at a time: the block test says how many of its leading bytes belong to
    // the run, so a block holding a space last (about one in six) or the run's end costs
    // one more test rather than a byte loop over the rest of the run. This is the
    // parser's first pass over every byte.
    while let Some(block) = bytes
        .get(j..j + 8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
    {
        let n = run_bytes(u64::from_le_bytes(block));
        j += n;
        if n == 8 {
            continue;
        }
        // The block stopped at byte `j`: a space in its last place (whose fate the next
        // byte decides) stays in the run, anything else ends it.
        if in_run(bytes, j) {
            j += 1;
            continue;
        }
        return j;
    }
    while j < bytes.len() && in_run(bytes, j) {
        j += 1;
    }
    j
}

/// True when the first sixteen bytes of `w` all belong to a printable run (by the byte
/// rule of [`in_run`], the seventeenth byte deciding for a space before it). No early
/// exit, so that it is vectorised.
#[inline]
fn plain16(w: &[u8; 17]) -> bool {
    let graphic = |b: u8| b.wrapping_sub(0x21) < 0x7f - 0x21;
    let mut ok = true;
    for i in 0..16 {
        ok &= graphic(w[i]) | ((w[i] == b' ') & graphic(w[i + 1]));
    }
    ok
}

/// The byte rule: byte `j` belongs to a printable run when it is printable, or a single
/// space before a printable byte.
#[inline]
fn in_run(bytes: &[u8], j: usize) -> bool {
    let b = bytes[j];
    b.is_ascii_graphic() || (b == b' ' && bytes.get(j + 1).is_some_and(u8::is_ascii_graphic))
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// How many leading bytes of the block (little-endian in `w`) belong to a printable run
/// whatever follows the block: printable ASCII, or a space followed by printable ASCII
/// inside the block (a space in the last place is not counted: the next byte decides).
///
/// Each byte's flag is computed inside that byte (with its high bit forced on, or on its
/// low seven bits), so no borrow or carry crosses into a neighbour and the count is exact.
#[inline]
fn run_bytes(w: u64) -> usize {
    let ascii = !w & HIGH;
    // `b >= k` for an ASCII byte: `(b | 0x80) - k` keeps the high bit.
    let ge = |k: u64| (w | HIGH).wrapping_sub(ONES * k) & HIGH;
    // Printable: 0x21 ..= 0x7e.
    let graphic = ascii & ge(0x21) & !ge(0x7f);
    let t = w ^ (ONES * 0x20);
    let space = !((((t & LOW7) + LOW7) | t) & HIGH);
    // A space counts when the byte after it (the next byte up) is printable.
    let good = graphic | (space & (graphic >> 8));
    let bad = !good & HIGH;
    (bad.trailing_zeros() / 8) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_and_nul_are_removed() {
        let n = normalize(" from a\r\n\tb\0c  (x) \n");
        assert_eq!(n.text, "from a bc (x)");
        assert!(n.truncated_from.is_none());
    }

    /// The block count agrees with the byte rule on every placement of the bytes that
    /// matter (space, tab, LF, NUL, DEL, a high byte, letters) in a block, the sixteen-byte
    /// test on every byte at every place, and the run end with a byte loop over whole
    /// texts.
    #[test]
    fn blocks_agree_with_the_byte_rule() {
        let alphabet = [
            b' ',
            b'\t',
            b'\n',
            0,
            0x7f,
            0x80,
            0xc3,
            b'a',
            b'~',
            b'!',
            b'.',
            0x20 | 0x80,
            0xa1,
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..200_000 {
            let mut block = [0u8; 8];
            for b in &mut block {
                *b = alphabet[(next() % alphabet.len() as u64) as usize];
            }
            let by_bytes = (0..8)
                .take_while(|&k| {
                    block[k].is_ascii_graphic()
                        || (block[k] == b' ' && k < 7 && block[k + 1].is_ascii_graphic())
                })
                .count();
            assert_eq!(run_bytes(u64::from_le_bytes(block)), by_bytes, "{block:?}");
        }
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut block = [b'a'; 8];
                block[at] = b;
                let by_bytes = if b.is_ascii_graphic() || (b == b' ' && at < 7) {
                    8
                } else {
                    at
                };
                assert_eq!(
                    run_bytes(u64::from_le_bytes(block)),
                    by_bytes,
                    "{b} at {at}"
                );
            }
        }
        for b in 0..=255u8 {
            for at in 0..17 {
                let mut w = [b'a'; 17];
                w[at] = b;
                let want = (0..16).all(|k| in_run(&w, k));
                assert_eq!(plain16(&w), want, "{b} at {at}");
                w[at.saturating_sub(1)] = b' ';
                let want = (0..16).all(|k| in_run(&w, k));
                assert_eq!(plain16(&w), want, "space then {b} at {at}");
            }
        }
        for n in 0..40_000 {
            // Half the texts with rare special bytes, so that runs span several windows.
            let (len, one_in) = if n % 2 == 0 { (60, 3) } else { (120, 40) };
            let len = (next() % len) as usize;
            let text: Vec<u8> = (0..len)
                .map(|_| {
                    let r = next();
                    if r % one_in == 0 {
                        alphabet[((r >> 8) % alphabet.len() as u64) as usize]
                    } else {
                        b'a' + (r >> 8) as u8 % 26
                    }
                })
                .collect();
            for start in 0..text.len() {
                if !text[start].is_ascii_graphic() {
                    continue;
                }
                let mut want = start;
                while want < text.len() && in_run(&text, want) {
                    want += 1;
                }
                assert_eq!(printable_run_end(&text, start), want, "{text:?} {start}");
            }
        }
    }

    #[test]
    fn long_values_are_cut_on_a_char_boundary() {
        let long = "é".repeat(MAX_RECEIVED_LEN);
        let n = normalize(&long);
        assert!(n.text.len() <= MAX_RECEIVED_LEN);
        assert_eq!(n.truncated_from, Some(long.len()));
    }
}
