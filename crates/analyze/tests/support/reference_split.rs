//! The header splitter as it was before it was tuned for speed, kept verbatim as the
//! reference the tuned `Message::parse` is compared against (`tests/message_split.rs`).
//! Only the output types differ: plain tuples, so the comparison needs no shared code.

#![allow(dead_code)]

/// One field: name, value, raw, line.
pub type Field = (String, String, String, usize);

/// Fields, truncated, headers_only; or the error as text.
pub type Split = Result<(Vec<Field>, bool, bool), String>;

pub struct Limits {
    pub max_header_bytes: usize,
    pub max_header_fields: usize,
}

#[derive(Default)]
struct Message {
    headers: Vec<Field>,
    truncated: bool,
    headers_only: bool,
}

pub fn parse(raw: &[u8], limits: &Limits) -> Split {
    Splitter::new(raw, limits).run()
}

/// One physical line: its content (without the line end) and where the next one starts.
struct Line<'a> {
    text: &'a [u8],
    next: usize,
}

/// Find the next line starting at `pos`. Line ends are `\n`, `\r\n` or a lone `\r`.
fn next_line(raw: &[u8], pos: usize) -> Line<'_> {
    let rest = &raw[pos..];
    match rest.iter().position(|&b| b == b'\n' || b == b'\r') {
        None => Line {
            text: rest,
            next: raw.len(),
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

/// Field being assembled: where its lines are and what its value is so far.
struct Pending {
    name_end: usize,
    value: Vec<u8>,
    raw: Vec<u8>,
    line: usize,
}

struct Splitter<'a> {
    raw: &'a [u8],
    limits: &'a Limits,
    msg: Message,
    pending: Option<Pending>,
}

impl<'a> Splitter<'a> {
    fn new(raw: &'a [u8], limits: &'a Limits) -> Self {
        Splitter {
            raw,
            limits,
            msg: Message::default(),
            pending: None,
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
        let mut value: &[u8] = &p.value;
        while let [b' ' | b'\t', rest @ ..] = value {
            value = rest;
        }
        while let [rest @ .., b' ' | b'\t'] = value {
            value = rest;
        }
        let raw = p.raw;
        self.msg.headers.push((
            lossy(&raw[..p.name_end.min(raw.len())]),
            lossy(value),
            lossy(&raw),
            p.line,
        ));
    }

    fn run(mut self) -> Split {
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
            let text = if line.text.contains(&0) {
                without_nul = line.text.iter().copied().filter(|&b| b != 0).collect();
                &without_nul[..]
            } else {
                line.text
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
                        // Folded continuation: line break + leading WSP → one space.
                        let cont =
                            &text[text.iter().position(|&b| !is_wsp(b)).unwrap_or(text.len())..];
                        if !cont.is_empty() {
                            p.value.push(b' ');
                            p.value.extend_from_slice(cont);
                        }
                        p.raw.push(b'\n');
                        p.raw.extend_from_slice(text);
                        pos = line.next;
                        continue;
                    }
                    None if first_field => {
                        // Indented paste before any field: skip the indentation.
                    }
                    None => {}
                }
            }
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
                    let value = &text[value_at..];
                    self.pending = Some(Pending {
                        name_end: name.len(),
                        value: value.to_vec(),
                        raw: text.to_vec(),
                        line: line_no,
                    });
                    pos = line.next;
                }
                None if first_field => {
                    return Err(format!("not a header: line {line_no} {:?}", snippet(text)));
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
            return Err("no headers".to_string());
        }
        self.msg.headers_only = !ended;
        Ok((self.msg.headers, self.msg.truncated, !ended))
    }
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
