//! A message as the analyzer sees it: its header fields, split with hard bounds.
//!
//! Only the header block matters for forensics, so the body is never parsed here; the
//! split is bounded (`Limits`) so one hostile message cannot eat memory or time.

/// One header field as written in the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderField {
    /// Field name as written (case preserved), e.g. `Received`.
    pub name: String,
    /// Value with folding removed and surrounding whitespace trimmed; bytes that are not
    /// UTF-8 are replaced (lossy), NUL bytes removed. RFC 2047 words are NOT decoded here.
    pub value: String,
    /// The field exactly as it appears (name, colon, folded value), lossy UTF-8, for evidence.
    pub raw: String,
    /// 1-based line number of the field's first line within the message.
    pub line: usize,
}

/// A message split into header fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    /// Header fields in the order they appear (topmost first).
    pub headers: Vec<HeaderField>,
    /// True when the header block hit a limit and was cut.
    pub truncated: bool,
    /// True when no empty line separated headers from a body (pasted header block).
    pub headers_only: bool,
}

impl Message {
    /// All fields with this name (case-insensitive), topmost first.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a HeaderField> + 'a {
        self.headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
    }

    /// The first (topmost) field with this name.
    pub fn first(&self, name: &str) -> Option<&HeaderField> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
    }
}

/// Why a message could not be analysed at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    /// The input held no header fields.
    #[error("no header fields found (is this an email message?)")]
    NoHeaders,
}
