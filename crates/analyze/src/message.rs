//! A message as the analyzer sees it: its header fields, split with hard bounds.
//!
//! Only the header block matters for forensics, so the body is never parsed here; the
//! split is bounded ([`Limits`]) so one hostile message cannot eat memory or time. The
//! splitter is a single forward pass over the header bytes: it accepts LF, CRLF and lone CR
//! line ends, folded lines, 8-bit bytes (decoded as lossy UTF-8), NUL bytes (dropped from
//! values), a leading mbox `From ` line, `>From` quoting, and header blocks pasted without
//! the blank line that normally ends them.
//!
//! Fields borrow from the raw message wherever its bytes already are the text a field
//! holds (valid UTF-8, no NUL, LF line ends inside a folded field; a value borrows when it
//! is one line). The split runs once per message over every header, while the engine reads
//! a handful of them: three allocations and two copies per field made the allocator the
//! largest cost of a one-thread run. Each piece stays a plain `str`, so header lookups are
//! the string compares they were (fields kept as ranges into one per-message buffer made
//! the lookups slower than the split got faster).

use std::borrow::Cow;

/// One header field as written in the message.
///
/// Each text is borrowed from the raw message when its bytes there are the text as
/// described below, and owned otherwise; readers see a `str` either way.
#[derive(Clone)]
pub struct HeaderField<'a> {
    /// Field name as written (case preserved), e.g. `Received`.
    pub name: Cow<'a, str>,
    /// The field as it appears (name, colon, folded value), lossy UTF-8, for evidence. Line
    /// breaks inside a folded field are normalised to `\n`; the final line break is dropped.
    pub raw: Cow<'a, str>,
    /// 1-based line number of the field's first line within the message.
    pub line: usize,
    /// See [`HeaderField::value`].
    value: Value,
}

/// A field's value, made from its raw text when first asked for. The split runs over
/// every field of every message, while the engine reads the values of a handful of them:
/// unfolding the rest (most long folded fields are `X-` and signature fields nobody
/// reads) was a fifth of the split's work.
///
/// Only a value that is new text is kept; a one-line value is a slice of `raw`, found
/// again on each read (a few bytes trimmed). Keeping no borrowed text in the cell keeps
/// the field covariant in its lifetime, like a plain struct of `Cow`s.
#[derive(Clone)]
struct Value {
    /// Where the value starts in `raw` (just after the colon, always an ASCII boundary).
    at: usize,
    /// `raw` holds line breaks to unfold.
    folded: bool,
    /// The value, when it is new text (unfolded, or given by [`HeaderField::new`]).
    made: std::cell::OnceCell<String>,
}

impl<'a> HeaderField<'a> {
    /// A field whose value is already known (readers other than the splitter).
    pub fn new(name: Cow<'a, str>, value: String, raw: Cow<'a, str>, line: usize) -> Self {
        HeaderField {
            name,
            raw,
            line,
            value: Value {
                at: 0,
                folded: false,
                made: value.into(),
            },
        }
    }

    /// Value with folding removed (each line break plus the white space after it becomes
    /// one space) and surrounding whitespace trimmed; bytes that are not UTF-8 are replaced
    /// (lossy), NUL bytes removed. RFC 2047 words are NOT decoded here.
    ///
    /// A slice of [`HeaderField::raw`] when the field is one line.
    pub fn value(&self) -> &str {
        if let Some(made) = self.value.made.get() {
            return made;
        }
        let lines = self.raw.get(self.value.at..).unwrap_or_default();
        if self.value.folded {
            self.value.made.get_or_init(|| unfold_str(lines))
        } else {
            // Only ASCII bytes are cut away, so the slice stays on character boundaries.
            let b = lines.as_bytes();
            let start = b.len() - trim_start(b).len();
            let end = b.iter().rposition(|&c| !is_wsp(c)).map_or(start, |i| i + 1);
            lines.get(start..end.max(start)).unwrap_or_default()
        }
    }
}

/// Fields compare by what they hold, whether or not a value was made yet.
impl PartialEq for HeaderField<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.raw == other.raw
            && self.line == other.line
            && self.value() == other.value()
    }
}

impl Eq for HeaderField<'_> {}

/// Shows the value as if it were a plain field, so debug output does not depend on
/// whether it was read yet.
impl std::fmt::Debug for HeaderField<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeaderField")
            .field("name", &self.name)
            .field("value", &self.value())
            .field("raw", &self.raw)
            .field("line", &self.line)
            .finish()
    }
}

/// A message split into header fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message<'a> {
    /// Header fields in the order they appear (topmost first).
    pub headers: Vec<HeaderField<'a>>,
    /// True when the header block hit a limit and was cut.
    pub truncated: bool,
    /// True when no empty line separated headers from a body (pasted header block).
    pub headers_only: bool,
}

/// Hard bounds on the work done splitting one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest header block read, in bytes; fields beyond it are dropped (`truncated`).
    pub max_header_bytes: usize,
    /// Largest number of header fields kept; fields beyond it are dropped (`truncated`).
    pub max_header_fields: usize,
}

impl Limits {
    /// 1 MiB of header block: real ones are a few KiB, long Exchange Online chains ~30 KiB.
    pub const DEFAULT_MAX_HEADER_BYTES: usize = 1024 * 1024;
    /// 5,000 fields: mailing-list digests with hundreds of `Received:` lines stay well below.
    pub const DEFAULT_MAX_HEADER_FIELDS: usize = 5_000;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_header_bytes: Self::DEFAULT_MAX_HEADER_BYTES,
            max_header_fields: Self::DEFAULT_MAX_HEADER_FIELDS,
        }
    }
}

/// The limit that cut a header block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitHit {
    /// The header block was longer than this many bytes.
    HeaderBytes(usize),
    /// The message had more than this many header fields.
    HeaderFields(usize),
}

impl std::fmt::Display for LimitHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LimitHit::HeaderBytes(n) => write!(
                f,
                "header block exceeds {n} bytes; raise --max-header-bytes or check the file"
            ),
            LimitHit::HeaderFields(n) => write!(
                f,
                "header block has more than {n} fields; raise --max-header-fields or check the file"
            ),
        }
    }
}

impl<'a> Message<'a> {
    /// All fields with this name (case-insensitive), topmost first.
    pub fn all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s HeaderField<'a>> + 's {
        self.headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
    }

    /// The first (topmost) field with this name.
    pub fn first(&self, name: &str) -> Option<&HeaderField<'a>> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
    }

    /// Which limit cut the header block under `limits`, if one did.
    pub fn limit_hit(&self, limits: &Limits) -> Option<LimitHit> {
        if !self.truncated {
            None
        } else if self.headers.len() >= limits.max_header_fields {
            Some(LimitHit::HeaderFields(limits.max_header_fields))
        } else {
            Some(LimitHit::HeaderBytes(limits.max_header_bytes))
        }
    }

    /// Split the header block of a raw message into fields, within `limits`.
    ///
    /// Never reads past the header block and never panics. Lines that cannot start a field
    /// (no colon, spaces in the name) end the header block, as a body would; a leading mbox
    /// `From ` line and leading blank lines are skipped. The fields borrow from `raw`
    /// where they can (see [`HeaderField`]).
    pub fn parse(raw: &'a [u8], limits: &Limits) -> Result<Message<'a>, MessageError> {
        Splitter::new(raw, *limits).run()
    }
}

/// Why a message could not be analysed at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    /// The input held no header fields.
    #[error("no header fields found (is this an email message?)")]
    NoHeaders,
    /// The first line is not a header field: the input is not a message or its headers.
    #[error("line {line} is not a header field ({snippet:?}); expected `Name: value` (is this an email message?)")]
    NotAHeader {
        /// 1-based line number of the offending line.
        line: usize,
        /// The start of the line, lossy UTF-8.
        snippet: String,
    },
}

/// One physical line: its content (without the line end) and where the next one starts.
struct Line<'a> {
    text: &'a [u8],
    next: usize,
    /// The content holds a NUL byte (to be dropped).
    nul: bool,
}

/// Find the next line starting at `pos`. Line ends are `\n`, `\r\n` or a lone `\r`. One
/// vectorised search finds the line end and any NUL byte before it.
fn next_line(raw: &[u8], pos: usize) -> Line<'_> {
    let rest = &raw[pos..];
    let mut nul = false;
    let mut from = 0;
    let found = loop {
        match memchr::memchr3(b'\n', b'\r', 0, &rest[from..]) {
            Some(i) if rest[from + i] == 0 => {
                nul = true;
                from += i + 1;
            }
            Some(i) => break Some(from + i),
            None => break None,
        }
    };
    match found {
        None => Line {
            text: rest,
            next: raw.len(),
            nul,
        },
        Some(i) => {
            let end = if rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n') {
                i + 2
            } else {
                i + 1
            };
            Line {
                text: &rest[..i],
                next: pos + end,
                nul,
            }
        }
    }
}

/// The name part of a field line (`Name:` or obsolete `Name :`), if the line is one.
///
/// RFC 5322 §3.6.8: field names are printable ASCII except colon. Returns the name and the
/// offset of the value (just after the colon).
fn field_name(line: &[u8]) -> Option<(&[u8], usize)> {
    let colon = line.iter().position(|&b| b == b':')?;
    let mut name = &line[..colon];
    // RFC 5322 §4.5.3 (obsolete syntax) allows white space before the colon.
    while let [rest @ .., b' ' | b'\t'] = name {
        name = rest;
    }
    if name.is_empty() || !name.iter().all(|&b| (33..=126).contains(&b)) {
        return None;
    }
    Some((name, colon + 1))
}

fn lossy(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Strip the `>` of a `>From ` (or `>>From `) line quoted by mbox writers.
fn unquote_from(line: &[u8]) -> &[u8] {
    if line.first() == Some(&b'>') {
        let rest = &line[1..];
        let body = rest.iter().position(|&b| b != b'>').unwrap_or(rest.len());
        if rest[body..].starts_with(b"From ") {
            return rest;
        }
    }
    line
}

/// Field being assembled: its name length, where its value starts and its first line.
struct Pending {
    name_end: usize,
    value_at: usize,
    line: usize,
    /// Continuation lines were added.
    folded: bool,
    /// Where the field starts in the input, when its first line is there as written (no
    /// NUL dropped): its name can then be borrowed.
    at: Option<usize>,
    /// Where the field's bytes so far end in the input, while `in_place`.
    end: usize,
    /// The field's bytes are the input's `at..end` as written: every line was taken
    /// unchanged and the lines are joined by a single `\n`. Otherwise they are in
    /// [`Splitter::field`].
    in_place: bool,
}

struct Splitter<'a> {
    raw: &'a [u8],
    limits: Limits,
    msg: Message<'a>,
    pending: Option<Pending>,
    /// The pending field as it appears, line breaks normalised to `\n`, for the few fields
    /// whose bytes are not in the input as written (NUL bytes, CR line ends inside a folded
    /// field): reused for every such field.
    field: Vec<u8>,
}

/// A field's value from its lines (joined by `\n`, the first starting after the colon):
/// each line break plus the white space after it becomes one space, lines that are only
/// white space add nothing.
fn unfold_into(out: &mut Vec<u8>, lines: &[u8]) {
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', lines).chain([lines.len()]) {
        let part = &lines[start..end];
        if start == 0 {
            out.extend_from_slice(part);
        } else {
            let cont = trim_start(part);
            if !cont.is_empty() {
                out.push(b' ');
                out.extend_from_slice(cont);
            }
        }
        start = end + 1;
    }
}

/// [`unfold_into`] and [`trim_wsp`] for text already known to be UTF-8: the pieces are
/// cut at ASCII bytes, so the result needs no second validation and no second copy. The
/// leading white space is skipped before it is copied (every value starts with the space
/// after the colon; removing it afterwards shifted the whole value) and white space is
/// found by byte, not by `char` pattern.
fn unfold_str(lines: &str) -> String {
    let mut out = String::with_capacity(lines.len());
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', lines.as_bytes()).chain([lines.len()]) {
        let part = &lines[start..end];
        // A continuation's leading white space and the line break before it become one
        // space, and so does nothing before the first text.
        let piece = &part[part.len() - trim_start(part.as_bytes()).len()..];
        if !piece.is_empty() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(piece);
        }
        start = end + 1;
    }
    let kept = out
        .as_bytes()
        .iter()
        .rposition(|&b| !is_wsp(b))
        .map_or(0, |i| i + 1);
    out.truncate(kept);
    out
}

fn trim_wsp(mut value: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = value {
        value = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = value {
        value = rest;
    }
    value
}

/// A field whose bytes are valid UTF-8: the name and the value are pieces of the raw text
/// cut at ASCII bytes, so they need no checking of their own. `piece` makes a piece of
/// the text a field string (borrowed when the text is the input's).
fn from_text<'a, 't>(
    text: &'t str,
    p: &Pending,
    name: Option<Cow<'a, str>>,
    piece: impl Fn(&'t str) -> Cow<'a, str>,
) -> HeaderField<'a> {
    HeaderField {
        name: name.unwrap_or_else(|| piece(&text[..p.name_end])),
        raw: piece(text),
        line: p.line,
        value: Value {
            at: p.value_at,
            folded: p.folded,
            made: std::cell::OnceCell::new(),
        },
    }
}

/// A field whose bytes are not UTF-8: every piece decoded lossily on its own.
fn from_bytes<'a>(raw: &[u8], p: &Pending, name: Option<Cow<'a, str>>) -> HeaderField<'a> {
    let mut v = Vec::with_capacity(raw.len());
    unfold_into(&mut v, &raw[p.value_at.min(raw.len())..]);
    HeaderField::new(
        name.unwrap_or_else(|| Cow::Owned(lossy(&raw[..p.name_end.min(raw.len())]))),
        lossy(trim_wsp(&v)),
        Cow::Owned(lossy(raw)),
        p.line,
    )
}

impl<'a> Splitter<'a> {
    fn new(raw: &'a [u8], limits: Limits) -> Self {
        Splitter {
            raw,
            limits,
            msg: Message {
                headers: Vec::with_capacity(32),
                ..Message::default()
            },
            pending: None,
            field: Vec::new(),
        }
    }

    fn flush(&mut self) {
        let Some(p) = self.pending.take() else {
            return;
        };
        if self.msg.headers.len() >= self.limits.max_header_fields {
            self.msg.truncated = true;
            return;
        }
        let input: &'a [u8] = self.raw;
        let field = match p.at {
            Some(at) if p.in_place => {
                let bytes = input.get(at..p.end).unwrap_or_default();
                match std::str::from_utf8(bytes) {
                    Ok(text) => from_text(text, &p, None, Cow::Borrowed),
                    Err(_) => from_bytes(bytes, &p, name_in(input, at, &p)),
                }
            }
            _ => {
                let name = p.at.and_then(|at| name_in(input, at, &p));
                match std::str::from_utf8(&self.field) {
                    Ok(text) => from_text(text, &p, name, |s| Cow::Owned(s.to_owned())),
                    Err(_) => from_bytes(&self.field, &p, name),
                }
            }
        };
        self.msg.headers.push(field);
    }

    fn run(mut self) -> Result<Message<'a>, MessageError> {
        let cap = self.limits.max_header_bytes;
        // Never look further than the cap: a 60 MiB header line costs no more than 1 MiB.
        let raw = &self.raw[..self.raw.len().min(cap.saturating_add(2))];
        let mut pos = 0;
        let mut line_no = 0;
        let mut ended = false;
        let mut cut = false;
        while pos < raw.len() && !cut {
            let mut line = next_line(raw, pos);
            line_no += 1;
            if line.next > cap {
                // The header block runs past the byte cap: keep what fits of this line
                // (a giant Subject still yields its field) and stop after it.
                self.msg.truncated = true;
                ended = true;
                cut = true;
                let room = cap.saturating_sub(pos);
                line.text = &line.text[..line.text.len().min(room)];
            }
            let without_nul: Vec<u8>;
            // The line as taken is the input's `pos..line_end` unless NUL bytes were dropped.
            let as_written = !(line.nul && line.text.contains(&0));
            let line_end = pos + line.text.len();
            let text = if as_written {
                line.text
            } else {
                without_nul = line.text.iter().copied().filter(|&b| b != 0).collect();
                &without_nul[..]
            };
            let first_field = self.pending.is_none() && self.msg.headers.is_empty();
            if text.is_empty() {
                // Empty line: the end of the header block (or blank lines before it).
                if first_field {
                    pos = line.next;
                    continue;
                }
                ended = true;
                break;
            }
            if first_field && (text.starts_with(b"From ") || text.starts_with(b">From ")) {
                // mbox separator (or a quoted one) before the first field.
                pos = line.next;
                continue;
            }
            if is_wsp(text[0]) {
                match self.pending.as_mut() {
                    Some(p) => {
                        // Folded continuation (line break + leading WSP become one space in
                        // the value, see `unfold_into`).
                        p.folded = true;
                        let joins =
                            as_written && p.end + 1 == pos && raw.get(p.end) == Some(&b'\n');
                        if p.in_place && joins {
                            p.end = line_end;
                        } else {
                            if p.in_place {
                                // CR line end or NUL byte: from here on the field is a copy.
                                p.in_place = false;
                                self.field.clear();
                                let start = p.at.unwrap_or(p.end);
                                self.field
                                    .extend_from_slice(raw.get(start..p.end).unwrap_or_default());
                            }
                            self.field.push(b'\n');
                            self.field.extend_from_slice(text);
                        }
                        pos = line.next;
                        continue;
                    }
                    None if first_field => {
                        // Indented paste before any field: skip the indentation.
                    }
                    None => {}
                }
            }
            // Only the first field's line is cut at its start, so the text still ends at
            // `line_end`.
            let text = if first_field {
                unquote_from(trim_start(text))
            } else {
                text
            };
            match field_name(text) {
                Some((name, value_at)) => {
                    self.flush();
                    if self.msg.truncated {
                        ended = true;
                        break;
                    }
                    let at = as_written.then(|| line_end - text.len());
                    if !as_written {
                        self.field.clear();
                        self.field.extend_from_slice(text);
                    }
                    self.pending = Some(Pending {
                        name_end: name.len(),
                        value_at,
                        line: line_no,
                        folded: false,
                        at,
                        end: line_end,
                        in_place: as_written,
                    });
                    pos = line.next;
                }
                None if first_field => {
                    return Err(MessageError::NotAHeader {
                        line: line_no,
                        snippet: snippet(text),
                    });
                }
                None => {
                    // Not a field and not a continuation: the body starts without a blank
                    // line. Stop here; the body is not ours to read.
                    ended = true;
                    break;
                }
            }
        }
        self.flush();
        if self.msg.headers.is_empty() {
            return Err(MessageError::NoHeaders);
        }
        self.msg.headers_only = !ended;
        Ok(self.msg)
    }
}

/// The name of a field starting at `at` in the input: field names are printable ASCII
/// (see [`field_name`]), so it borrows whenever the field's first line is there as written.
fn name_in<'a>(input: &'a [u8], at: usize, p: &Pending) -> Option<Cow<'a, str>> {
    let bytes = input.get(at..at.checked_add(p.name_end)?)?;
    std::str::from_utf8(bytes).ok().map(Cow::Borrowed)
}

/// The start of a line for an error message: printable, short, and saying "binary" rather
/// than dumping bytes when it is not text.
fn snippet(text: &[u8]) -> String {
    let head = &text[..text.len().min(60)];
    let binary = head
        .iter()
        .filter(|&&b| b < 0x20 && b != b'\t' || b == 0x7f)
        .count();
    if binary * 10 > head.len() {
        return format!("binary data, starts 0x{}", hex(&head[..head.len().min(8)]));
    }
    lossy(head)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn trim_start(text: &[u8]) -> &[u8] {
    &text[text.iter().position(|&b| !is_wsp(b)).unwrap_or(text.len())..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &[u8]) -> Message<'_> {
        Message::parse(raw, &Limits::default()).unwrap()
    }

    #[test]
    fn lf_crlf_and_lone_cr_split_alike() {
        for eol in ["\n", "\r\n", "\r"] {
            let raw = format!(
                "Received: from a.example (a.example [192.0.2.1]){eol}\tby b.example; Tue, 14 May 2026 14:20:01 -0700{eol}Subject: hi{eol}{eol}body line: not a header{eol}"
            );
            let m = parse(raw.as_bytes());
            assert_eq!(m.headers.len(), 2, "eol {eol:?}");
            assert_eq!(
                m.headers[0].value(),
                "from a.example (a.example [192.0.2.1]) by b.example; Tue, 14 May 2026 14:20:01 -0700"
            );
            assert_eq!(
                m.headers[0].raw,
                "Received: from a.example (a.example [192.0.2.1])\n\tby b.example; Tue, 14 May 2026 14:20:01 -0700"
            );
            assert_eq!(m.headers[1].name, "Subject");
            assert_eq!(m.headers[1].line, 3);
            assert!(!m.headers_only);
            assert!(!m.truncated);
        }
    }

    #[test]
    fn mbox_from_line_and_quoted_from_are_skipped() {
        let raw: &[u8] =
            b"From MAILER-DAEMON Fri Jul  8 12:08:34 2011\nReceived: x\nTo: a@b.example\n\n";
        let m = parse(raw);
        assert_eq!(m.headers[0].name, "Received");
        assert_eq!(m.headers[0].line, 2);
        let raw: &[u8] = b">From someone Fri Jul  8 12:08:34 2011\nFrom: a@b.example\n\n";
        let m = parse(raw);
        assert_eq!(m.headers.len(), 1);
        assert_eq!(m.headers[0].name, "From");
    }

    #[test]
    fn eight_bit_and_nul_bytes_do_not_break_fields() {
        let raw: &[u8] = b"Subject: caf\xe9 \x00menu\nX-A\x00: b\nTo: x@y.example\n\n";
        let m = parse(raw);
        assert_eq!(m.headers[0].value(), "caf\u{fffd} menu");
        assert_eq!(m.headers[1].name, "X-A");
        assert_eq!(m.headers[2].name, "To");
    }

    #[test]
    fn pasted_header_block_without_blank_line() {
        let raw: &[u8] =
            b"  Received: from x by y; Mon, 1 Jan 2024 00:00:00 +0000\nFrom: a@b.example";
        let m = parse(raw);
        assert!(m.headers_only);
        assert_eq!(m.headers.len(), 2);
        assert_eq!(m.headers[1].value(), "a@b.example");
    }

    #[test]
    fn body_without_blank_line_ends_the_block() {
        let raw: &[u8] = b"From: a@b.example\nthis is body text\nX-Not: header\n";
        let m = parse(raw);
        assert_eq!(m.headers.len(), 1);
        assert!(!m.headers_only);
    }

    #[test]
    fn duplicates_and_obsolete_space_before_colon() {
        let raw: &[u8] = b"Received: one\nReceived: two\nSubject : old style\n\n";
        let m = parse(raw);
        assert_eq!(m.all("received").count(), 2);
        assert_eq!(m.first("subject").unwrap().value(), "old style");
    }

    #[test]
    fn caps_truncate_instead_of_growing() {
        let mut raw = Vec::new();
        for i in 0..100 {
            raw.extend_from_slice(format!("X-Filler-{i}: {}\n", "v".repeat(100)).as_bytes());
        }
        let limits = Limits {
            max_header_bytes: 1000,
            max_header_fields: 5000,
        };
        let m = Message::parse(&raw, &limits).unwrap();
        assert!(m.truncated);
        assert_eq!(m.limit_hit(&limits), Some(LimitHit::HeaderBytes(1000)));
        assert!(m.headers.len() < 10 && !m.headers.is_empty());
        let limits = Limits {
            max_header_bytes: 1 << 20,
            max_header_fields: 7,
        };
        let m = Message::parse(&raw, &limits).unwrap();
        assert_eq!(m.headers.len(), 7);
        assert_eq!(m.limit_hit(&limits), Some(LimitHit::HeaderFields(7)));
    }

    /// Which of name, value and raw borrow from the input.
    fn borrows(input: &[u8], h: &HeaderField<'_>) -> [bool; 3] {
        let within = |t: &str| input.as_ptr_range().contains(&t.as_ptr());
        [within(&h.name), within(h.value()), within(&h.raw)]
    }

    #[test]
    fn fields_borrow_what_the_input_holds_as_written() {
        let raw: &[u8] =
            b"Subject: plain  \nReceived: from a\n\tby b\nTo: caf\xe9\nX-Nul: a\x00b\n\n";
        let m = parse(raw);
        // One line: the trimmed value is a slice of the input.
        assert_eq!(borrows(raw, &m.headers[0]), [true, true, true]);
        assert_eq!(m.headers[0].value(), "plain");
        // Folded with LF: the raw text is as written, the unfolded value is new text.
        assert_eq!(borrows(raw, &m.headers[1]), [true, false, true]);
        // Not UTF-8: only the (ASCII) name is the input's.
        assert_eq!(borrows(raw, &m.headers[2]), [true, false, false]);
        // NUL dropped: nothing of the field is in the input as taken.
        assert_eq!(borrows(raw, &m.headers[3]), [false, false, false]);
    }

    #[test]
    fn crlf_folds_own_their_raw_text_single_lines_do_not() {
        let raw: &[u8] = b"Received: from a\r\n\tby b\r\nSubject: hi\r\n\r\n";
        let m = parse(raw);
        assert_eq!(borrows(raw, &m.headers[0]), [true, false, false]);
        assert_eq!(m.headers[0].raw, "Received: from a\n\tby b");
        assert_eq!(borrows(raw, &m.headers[1]), [true, true, true]);
        // A NUL in a continuation line: the field is copied from there on.
        let raw: &[u8] = b"Received: from a\n\tby\x00 b\n\tid c\n\n";
        let m = parse(raw);
        assert_eq!(borrows(raw, &m.headers[0]), [true, false, false]);
        assert_eq!(m.headers[0].raw, "Received: from a\n\tby b\n\tid c");
        assert_eq!(m.headers[0].value(), "from a by b id c");
    }

    #[test]
    fn first_field_borrows_after_its_trimmed_start() {
        let raw: &[u8] = b"From x Mon Jan  1 00:00:00 2024\n  Subject: hi\n\n";
        let m = parse(raw);
        assert_eq!(m.headers[0].raw, "Subject: hi");
        assert_eq!(borrows(raw, &m.headers[0]), [true, true, true]);
        let raw: &[u8] = b"\t>From : a@b.example\n\n";
        let m = parse(raw);
        assert_eq!(m.headers[0].name, "From");
        assert_eq!(m.headers[0].raw, "From : a@b.example");
        assert_eq!(borrows(raw, &m.headers[0]), [true, true, true]);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert_eq!(
            Message::parse(b"", &Limits::default()),
            Err(MessageError::NoHeaders)
        );
        assert_eq!(
            Message::parse(b"\n\n\r\n", &Limits::default()),
            Err(MessageError::NoHeaders)
        );
        assert!(matches!(
            Message::parse(b"hello world\n", &Limits::default()),
            Err(MessageError::NotAHeader { line: 1, .. })
        ));
        assert!(matches!(
            Message::parse(b"\x00\x01\x02", &Limits::default()),
            Err(MessageError::NotAHeader { .. })
        ));
    }
}
