//! `Message::parse` (tuned: reused buffers, one UTF-8 check per field, vectorised line
//! search) against the plain splitter it replaced (`support/reference_split.rs`), on every
//! message of the shared corpus and on generated hostile header blocks: the same fields,
//! byte for byte, the same flags and the same errors. Fields borrow from the input exactly
//! where the input holds their text as written (checked against where each field's line
//! starts), so a change that quietly copies them again fails here too.

mod support {
    pub mod reference_split;
}

use relayhunt_analyze::message::{Limits, Message};
use relayhunt_analyze::HeaderField;
use std::borrow::Cow;
use std::fs;
use support::reference_split as reference;

fn tuned(raw: &[u8], limits: &Limits) -> reference::Split {
    match Message::parse(raw, limits) {
        Ok(m) => Ok((
            m.headers
                .iter()
                .map(|h| {
                    let text = |s: &str| s.to_string();
                    (text(&h.name), text(h.value()), text(&h.raw), h.line)
                })
                .collect(),
            m.truncated,
            m.headers_only,
        )),
        Err(e) => Err(match e {
            relayhunt_analyze::MessageError::NoHeaders => "no headers".to_string(),
            relayhunt_analyze::MessageError::NotAHeader { line, snippet } => {
                format!("not a header: line {line} {snippet:?}")
            }
            other => format!("{other}"),
        }),
    }
}

fn check(raw: &[u8], limits: &Limits, what: &str) {
    let plain = reference::parse(
        raw,
        &reference::Limits {
            max_header_bytes: limits.max_header_bytes,
            max_header_fields: limits.max_header_fields,
        },
    );
    assert_eq!(tuned(raw, limits), plain, "{what}");
    if let Ok(m) = Message::parse(raw, limits) {
        check_borrows(raw, limits, &m, what);
    }
}

/// Where each line of `raw` starts, by the splitter's rules (LF, CRLF or lone CR).
fn line_starts(raw: &[u8]) -> Vec<usize> {
    let mut starts = vec![0];
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'\r' if raw.get(i + 1) == Some(&b'\n') => i += 1,
            b'\r' | b'\n' => {}
            _ => {
                i += 1;
                continue;
            }
        }
        i += 1;
        starts.push(i);
    }
    starts
}

/// Whether `raw` holds `text` as written from `at`: followed by a line end, the end of the
/// input or the byte cap, so it is the whole field and not a prefix of a longer line.
fn written_at(raw: &[u8], cap: usize, at: usize, text: &str) -> bool {
    let end = at + text.len();
    raw.get(at..end) == Some(text.as_bytes())
        && (end == cap || matches!(raw.get(end), None | Some(b'\n' | b'\r')))
}

/// A field's raw text is borrowed exactly when the input holds it as written where the
/// field's line starts (for the first field, after the indentation or `>` it may carry),
/// and its value exactly when that holds and the field is one line.
fn check_borrows(raw: &[u8], limits: &Limits, m: &Message<'_>, what: &str) {
    let starts = line_starts(raw);
    for (i, h) in m.headers.iter().enumerate() {
        let at = starts[h.line - 1];
        let written = if i == 0 {
            let lead = raw[at..]
                .iter()
                .take_while(|&&b| matches!(b, b' ' | b'\t' | b'>'))
                .count();
            (at..=at + lead).any(|s| written_at(raw, limits.max_header_bytes, s, &h.raw))
        } else {
            written_at(raw, limits.max_header_bytes, at, &h.raw)
        };
        let borrowed = |t: &Cow<'_, str>| matches!(t, Cow::Borrowed(_));
        assert_eq!(borrowed(&h.raw), written, "raw of {}: {what}", show(h));
        let one_line = !h.raw.contains('\n');
        // The value is a slice of the input (an empty one may sit at its very end).
        let input = raw.as_ptr_range();
        let value = h.value().as_ptr();
        assert_eq!(
            input.start <= value && value <= input.end,
            written && one_line,
            "value of {}: {what}",
            show(h)
        );
    }
}

fn show(h: &HeaderField<'_>) -> String {
    format!("line {} {:?}", h.line, h.raw)
}

#[test]
fn tuned_splitter_matches_the_plain_one_on_the_corpus() {
    let Some(corpus) = relayhunt_testdata::shared("corpus") else {
        return;
    };
    let files = relayhunt_testdata::eml_files(&corpus);
    assert!(files.len() > 3000, "corpus has {} messages", files.len());
    let small = Limits {
        max_header_bytes: 2000,
        max_header_fields: 12,
    };
    for f in &files {
        let raw = fs::read(f).unwrap();
        check(&raw, &Limits::default(), &f.display().to_string());
        check(&raw, &small, &f.display().to_string());
    }
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

const PIECES: &[&[u8]] = &[
    b"Received: from a.example ([192.0.2.1])",
    b"Subject: caf\xc3\xa9",
    b"Subject: caf\xe9 bad",
    b"X-Nul: a\x00b",
    b"\x00",
    b"From: x@y.example",
    b"From someone Mon Jan  1 00:00:00 2024",
    b">From quoted",
    b"  indented: paste",
    b"\tfolded continuation",
    b"   ",
    b" \t ",
    b"Name : obsolete",
    b"bad name: x",
    b"no colon here",
    b"X-\xff: eight bit name",
    b": empty name",
    b"To: a@b.example,\xe2\x82",
    b"\xac split across fold",
];

const ENDS: &[&[u8]] = &[b"\n", b"\r\n", b"\r", b"\n\n", b"\r\n\r\n", b""];

#[test]
fn tuned_splitter_matches_the_plain_one_on_hostile_blocks() {
    let mut rng = Rng(0x0dd5_eed5_0000_0042);
    for round in 0..20_000 {
        let mut raw = Vec::new();
        for _ in 0..rng.below(14) {
            raw.extend_from_slice(PIECES[rng.below(PIECES.len())]);
            if rng.below(5) == 0 {
                raw.extend(std::iter::repeat_n(b'v', rng.below(120)));
            }
            raw.extend_from_slice(ENDS[rng.below(ENDS.len())]);
        }
        let limits = Limits {
            max_header_bytes: 1 + rng.below(600),
            max_header_fields: 1 + rng.below(8),
        };
        check(&raw, &limits, &format!("round {round}: {raw:?} {limits:?}"));
        check(&raw, &Limits::default(), &format!("round {round}: {raw:?}"));
    }
}
