//! Streaming mbox reading and writing (RFC 4155 `From ` separators, mboxrd `>From` quoting).
//!
//! The reader never holds more than one message (capped) in memory, whatever the file size:
//! it reads line by line, starts a new message at each separator line and hands the previous
//! one out. A separator is a line `From <sender> <date>` whose date part contains a clock
//! time (`12:08:34`); body lines starting with plain `From ` are thus not mistaken for one
//! even in mboxo files that do not quote them. Quoted body lines (`>From `, `>>From `) lose
//! one `>` as mboxrd prescribes.

use super::line::read_line_bounded;
use super::{InputError, InputErrorKind, Location, RawMessage};
use std::io::{self, BufRead, Write};
use std::sync::Arc;

/// Is this line (with or without its line end) an mbox message separator?
pub fn is_separator(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"From ") else {
        return false;
    };
    // `From sender date…`: a sender token, then a date holding `d:dd`.
    let rest = &rest[rest.iter().position(|&b| b != b' ').unwrap_or(rest.len())..];
    let Some(sp) = rest.iter().position(|&b| b == b' ' || b == b'\t') else {
        return false;
    };
    let date = &rest[sp..];
    date.windows(4).any(|w| {
        w[0].is_ascii_digit() && w[1] == b':' && w[2].is_ascii_digit() && w[3].is_ascii_digit()
    })
}

/// Does the line need `>` quoting when written into an mbox (mboxrd: `>*From `)?
fn needs_quote(line: &[u8]) -> bool {
    let gt = line.iter().position(|&b| b != b'>').unwrap_or(line.len());
    line[gt..].starts_with(b"From ")
}

/// Append one message to an mbox: separator line, the message with `>*From ` lines quoted,
/// and a blank line. An mbox `From ` line already at the top of `raw` is replaced.
pub fn write_message<W: Write>(
    out: &mut W,
    raw: &[u8],
    sender: &str,
    date: &str,
) -> io::Result<()> {
    let mut body = raw;
    if body.starts_with(b"From ") {
        body = match super::line::find_byte(body, b'\n') {
            Some(i) => &body[i + 1..],
            None => &[],
        };
    }
    writeln!(out, "From {sender} {date}")?;
    let mut rest = body;
    while !rest.is_empty() {
        let end = super::line::find_byte(rest, b'\n').map_or(rest.len(), |i| i + 1);
        let line = &rest[..end];
        if needs_quote(line) {
            out.write_all(b">")?;
        }
        out.write_all(line)?;
        rest = &rest[end..];
    }
    if !body.ends_with(b"\n") {
        out.write_all(b"\n")?;
    }
    out.write_all(b"\n")
}

/// Iterator over the messages of one mbox stream.
pub struct MboxReader<R> {
    reader: R,
    path: Arc<str>,
    max_message_bytes: usize,
    /// Bytes consumed so far (offset of the next unread line).
    offset: u64,
    /// Number of the next message (1-based).
    next_number: usize,
    /// The separator line already read for the next message, and its offset.
    pending_separator: Option<(Vec<u8>, u64)>,
    done: bool,
}

impl<R: BufRead> MboxReader<R> {
    /// Read messages from `reader`; `path` names the source in locations and errors.
    pub fn new(reader: R, path: Arc<str>, max_message_bytes: usize) -> Self {
        MboxReader {
            reader,
            path,
            max_message_bytes,
            offset: 0,
            next_number: 1,
            pending_separator: None,
            done: false,
        }
    }

    fn location(&self, number: usize, offset: u64) -> Location {
        Location {
            path: self.path.clone(),
            message: Some(number),
            offset,
        }
    }

    /// Read the next message; `None` at end of input.
    fn read_message(&mut self) -> Option<Result<RawMessage, InputError>> {
        let limit = self.max_message_bytes;
        let (mut buf, start) = match self.pending_separator.take() {
            Some(sep) => sep,
            None => (Vec::new(), self.offset),
        };
        let number = self.next_number;
        let mut lines = usize::from(!buf.is_empty());
        let mut clipped = false;
        loop {
            let line_start = buf.len();
            // One byte of slack beyond the cap tells "exactly at the cap" from "over it".
            let read = match read_line_bounded(&mut self.reader, &mut buf, limit + 1) {
                Ok(r) => r,
                Err(e) => {
                    self.done = true;
                    return Some(Err(InputError {
                        location: self.location(number, self.offset),
                        kind: InputErrorKind::Read(e),
                    }));
                }
            };
            if read.consumed == 0 {
                self.done = true;
                break;
            }
            let line_offset = self.offset;
            self.offset += read.consumed as u64;
            let line = &buf[line_start..];
            if lines > 0 && !read.clipped && is_separator(line) {
                // The next message starts here: keep its first line for later.
                let mut next = buf.split_off(line_start);
                // Most messages are a few KiB to a few hundred: start the next one big
                // enough to avoid a cascade of reallocations while it grows.
                next.reserve(16 * 1024);
                self.pending_separator = Some((next, line_offset));
                break;
            }
            lines += 1;
            if line.first() == Some(&b'>') && needs_quote(line) {
                buf.remove(line_start);
            }
            if read.clipped || buf.len() > limit {
                clipped = true;
            }
            if clipped {
                // Over the cap: store nothing more, only look for the next separator.
                buf.clear();
            }
        }
        if lines == 0 {
            return None;
        }
        self.next_number += 1;
        let mut location = self.location(number, start);
        if number == 1 && self.done && self.pending_separator.is_none() {
            // The whole stream was one message (a saved .eml that keeps its `From ` line):
            // locate it like a single-message file.
            location.message = None;
        }
        if clipped {
            return Some(Err(InputError {
                location,
                kind: InputErrorKind::TooLarge { limit },
            }));
        }
        Some(Ok(RawMessage {
            location,
            bytes: buf,
        }))
    }
}

impl<R: BufRead> Iterator for MboxReader<R> {
    type Item = Result<RawMessage, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done && self.pending_separator.is_none() {
            return None;
        }
        self.read_message()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(data: &[u8], limit: usize) -> Vec<Result<RawMessage, InputError>> {
        MboxReader::new(
            io::BufReader::with_capacity(16, data),
            Arc::from("t.mbox"),
            limit,
        )
        .collect()
    }

    #[test]
    fn separators_need_a_sender_and_a_clock_time() {
        assert!(is_separator(
            b"From MAILER-DAEMON Fri Jul  8 12:08:34 2011\n"
        ));
        assert!(is_separator(
            b"From exmh-workers-admin@redhat.com  Thu Aug 22 12:36:23 2002\n"
        ));
        assert!(!is_separator(b"From the moment we met\n"));
        assert!(!is_separator(b"From: a@b.example\n"));
        assert!(!is_separator(b">From x Fri Jul  8 12:08:34 2011\n"));
    }

    #[test]
    fn splits_unquotes_and_reports_offsets() {
        let data = b"From a@x.example Mon Jan  1 00:00:00 2024\nSubject: one\n\n>From here\nFrom the start\n\nFrom b@x.example Mon Jan  1 00:00:01 2024\r\nSubject: two\r\n\r\n>>From quoted twice\r\n";
        let msgs: Vec<RawMessage> = read_all(data, 1 << 20)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(msgs.len(), 2);
        assert_eq!(
            msgs[0].bytes,
            b"From a@x.example Mon Jan  1 00:00:00 2024\nSubject: one\n\nFrom here\nFrom the start\n\n"
        );
        assert_eq!(msgs[0].location.message, Some(1));
        assert_eq!(msgs[0].location.offset, 0);
        assert_eq!(msgs[1].location.message, Some(2));
        assert_eq!(msgs[1].location.offset, 83);
        assert!(msgs[1].bytes.ends_with(b"\r\n>From quoted twice\r\n"));
    }

    #[test]
    fn oversized_message_is_an_error_and_the_next_one_survives() {
        let mut data = b"From a Mon Jan  1 00:00:00 2024\nSubject: big\n\n".to_vec();
        data.extend(std::iter::repeat_n(b'x', 5000));
        data.extend_from_slice(b"\n\nFrom b Mon Jan  1 00:00:00 2024\nSubject: small\n\nok\n");
        let out = read_all(&data, 1000);
        assert_eq!(out.len(), 2);
        let err = out[0].as_ref().unwrap_err();
        assert!(matches!(err.kind, InputErrorKind::TooLarge { limit: 1000 }));
        assert_eq!(err.location.message, Some(1));
        let ok = out[1].as_ref().unwrap();
        assert_eq!(ok.location.message, Some(2));
        assert!(ok.bytes.starts_with(b"From b"));
    }

    #[test]
    fn written_mbox_reads_back_byte_exact() {
        let originals: [&[u8]; 3] = [
            b"Subject: a\n\nFrom the start\n>From quoted\n",
            b"From old-separator Mon Jan  1 00:00:00 2024\nSubject: b\r\n\r\nbody",
            b"Subject: c\n\n",
        ];
        let mut mbox = Vec::new();
        for m in originals {
            write_message(
                &mut mbox,
                m,
                "bench@relayhunt.example",
                "Mon Jan  1 00:00:00 2024",
            )
            .unwrap();
        }
        let back: Vec<RawMessage> = read_all(&mbox, 1 << 20)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(back.len(), 3);
        let body = |m: &RawMessage| {
            let i = m.bytes.iter().position(|&b| b == b'\n').unwrap();
            m.bytes[i + 1..].to_vec()
        };
        assert_eq!(
            body(&back[0]),
            b"Subject: a\n\nFrom the start\n>From quoted\n\n"
        );
        assert_eq!(body(&back[1]), b"Subject: b\r\n\r\nbody\n\n");
        assert_eq!(body(&back[2]), b"Subject: c\n\n\n");
    }
}
