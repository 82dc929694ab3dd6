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
    // Eight bytes at a time while a block is plainly part of the run; the byte loop below
    // decides the rest. Most header text is such blocks, and this is the parser's first
    // pass over every byte.
    while let Some(block) = bytes
        .get(j..j + 8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
    {
        if !plain_block(u64::from_le_bytes(block)) {
            break;
        }
        j += 8;
    }
    while j < bytes.len() {
        let b = bytes[j];
        if b.is_ascii_graphic() || (b == b' ' && bytes.get(j + 1).is_some_and(u8::is_ascii_graphic))
        {
            j += 1;
        } else {
            break;
        }
    }
    j
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// True when the eight bytes (little-endian in `w`) all belong to a printable run whatever
/// follows them: printable ASCII or spaces, no two spaces in a row (every space is then
/// followed by a printable byte of the block) and no space last (its fate would depend on
/// the next byte).
fn plain_block(w: u64) -> bool {
    // Some byte is 0x80 or more: a multi-byte character.
    if w & HIGH != 0 {
        return false;
    }
    // With every byte under 0x80, subtracting 0x20 from each borrows into a high bit
    // exactly when some byte is under 0x20 (control bytes, tab, CR, LF), and adding 1
    // reaches a high bit exactly when some byte is 0x7f (DEL).
    if w.wrapping_sub(ONES * 0x20) & !w & HIGH != 0 || w.wrapping_add(ONES) & HIGH != 0 {
        return false;
    }
    // High bit set on exactly the bytes that are a space.
    let t = w ^ (ONES * 0x20);
    let low7 = ONES * 0x7f;
    let spaces = !(((t & low7).wrapping_add(low7)) | t | low7);
    spaces & (spaces >> 8) == 0 && spaces >> 56 == 0
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

    /// The block test agrees with the byte rule on every placement of the bytes that
    /// matter (space, tab, LF, NUL, DEL, a high byte, letters) in a block.
    #[test]
    fn blocks_agree_with_the_byte_rule() {
        let alphabet = [
            b' ', b'\t', b'\n', 0, 0x7f, 0x80, 0xc3, b'a', b'~', b'!', b'.',
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..200_000 {
            let mut block = [0u8; 8];
            for b in &mut block {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                *b = alphabet[(seed % alphabet.len() as u64) as usize];
            }
            let by_bytes = block.iter().all(|&b| b == b' ' || b.is_ascii_graphic())
                && !block.windows(2).any(|w| w == b"  ")
                && block[7] != b' ';
            assert_eq!(
                plain_block(u64::from_le_bytes(block)),
                by_bytes,
                "{block:?}"
            );
        }
        for b in 0..=255u8 {
            let block = [b, b'a', b, b'a', b'a', b, b'a', b'a'];
            let by_bytes = b == b' ' || b.is_ascii_graphic();
            assert_eq!(plain_block(u64::from_le_bytes(block)), by_bytes, "{b}");
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
