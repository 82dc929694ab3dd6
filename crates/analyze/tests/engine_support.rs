//! Shared by the engine and golden tests: a tiny header splitter that builds a
//! [`Message`] from raw text without depending on the crate's own reader, so the engine is
//! tested on exactly the fields it receives.

#![allow(dead_code)]

use relayhunt_analyze::{HeaderField, Message};

/// Split the header block of `text` (LF or CRLF) into fields, topmost first. The fields
/// own their text, so the message outlives `text`.
pub fn message(text: &str) -> Message<'static> {
    // (name, value, raw, line) of each field, completed line by line.
    let mut fields: Vec<(String, String, String, usize)> = Vec::new();
    let mut headers_only = true;
    for (i, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            headers_only = false;
            break;
        }
        if i == 0 && line.starts_with("From ") {
            continue; // mbox separator
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value, raw, _)) = fields.last_mut() {
                value.push_str(line);
                raw.push('\n');
                raw.push_str(line);
            }
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        fields.push((
            name.trim_end().to_string(),
            value.to_string(),
            line.to_string(),
            i + 1,
        ));
    }
    let headers: Vec<HeaderField<'static>> = fields
        .into_iter()
        .map(|(name, value, raw, line)| {
            let value = value.replace('\0', "").trim().to_string();
            HeaderField::new(name.into(), value, raw.into(), line)
        })
        .collect();
    Message {
        headers,
        truncated: false,
        headers_only,
    }
}

/// Read a file lossily (corpus messages hold 8-bit bytes).
pub fn read_lossy(path: &std::path::Path) -> String {
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    String::from_utf8_lossy(&bytes).into_owned()
}
