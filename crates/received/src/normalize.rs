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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_and_nul_are_removed() {
        let n = normalize(" from a\r\n\tb\0c  (x) \n");
        assert_eq!(n.text, "from a bc (x)");
        assert!(n.truncated_from.is_none());
    }

    #[test]
    fn long_values_are_cut_on_a_char_boundary() {
        let long = "é".repeat(MAX_RECEIVED_LEN);
        let n = normalize(&long);
        assert!(n.text.len() <= MAX_RECEIVED_LEN);
        assert_eq!(n.truncated_from, Some(long.len()));
    }
}
