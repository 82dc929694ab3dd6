//! The plain-value readers against mail-parser: wherever a reader accepts a value, the
//! summary must be the one mail-parser alone gives.

use super::summarize_with;
use crate::message::{Limits, Message};

/// Both summaries of one header block, as text (the summary has no `PartialEq`).
fn both(block: &str) -> (String, String) {
    let msg = Message::parse(block.as_bytes(), &Limits::default()).expect("a header block");
    (
        format!("{:?}", summarize_with(&msg, true)),
        format!("{:?}", summarize_with(&msg, false)),
    )
}

#[test]
fn every_corpus_message_gets_the_summary_mail_parser_gives() {
    let Some(corpus) = relayhunt_testdata::shared("corpus") else {
        return;
    };
    let files = relayhunt_testdata::eml_files(&corpus);
    assert!(files.len() > 1000, "corpus too small: {}", files.len());
    let mut compared = 0;
    for path in files {
        let raw = std::fs::read(&path).unwrap();
        let Ok(msg) = Message::parse(&raw, &Limits::default()) else {
            continue;
        };
        let (fast, reference) = (summarize_with(&msg, true), summarize_with(&msg, false));
        assert_eq!(
            format!("{fast:?}"),
            format!("{reference:?}"),
            "{}",
            path.display()
        );
        compared += 1;
    }
    assert!(compared > 1000);
}

/// xorshift64*: a fixed sequence, so a failure names a value that stays reproducible.
struct Rng(u64);

impl Rng {
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let n = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33;
        items[n as usize % items.len()]
    }
}

const NAMES: &[&str] = &[
    "John Smith",
    "J. Smith",
    "Ünïcode Näme",
    "x\ty",
    "a@b",
    "\"Quoted, Name\"",
    "=?utf-8?q?Caf=C3=A9?=",
    "Name (comment)",
    "",
    " ",
    "O'Brien",
    "[ops]",
    "\"Smith, John\"",
    "\"\"",
    "\" spaced \"",
    "\"a\\\"b\"",
    "\"<x@y>\"",
];
const ADDRS: &[&str] = &[
    "a@b.com",
    "x.y+z@example.org",
    "ü@example.de",
    "bad",
    "a b@c.d",
    "a@b@c",
    "@example.org",
    "a@",
    "\"q\"@example.org",
    "a(c)@b.com",
    "=?x?q?y?=@b.com",
    " a@b.com ",
    "a@b.com\t",
];
const FORMS: &[&str] = &[
    "{a}",
    "<{a}>",
    "{n} <{a}>",
    "{n}<{a}>",
    "{n}  <{a}>",
    "{n} <{a}> x",
    "({n}) {a}",
    "{a} ({n})",
    "{n} {a}",
    "{n}: {a};",
    "<{a}",
    "{a}>",
    "\"{n}\" <{a}>",
    "\"{n}\"<{a}>",
    "\"{n}\" x <{a}>",
    "\"{n}\"",
    "\"{n}\" <{a}> y",
    "{n}:;",
    "{n}: ;",
    "{n}:; {a}",
];
const SEPARATORS: &[&str] = &[", ", ",", " , ", ",,", ", , ", " ", ";"];

#[test]
fn generated_address_fields_get_what_mail_parser_gives() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for i in 0..4_000 {
        let mut value = String::new();
        for k in 0..(i % 3 + 1) {
            if k > 0 {
                value.push_str(rng.pick(SEPARATORS));
            }
            let form = rng.pick(FORMS);
            value.push_str(
                &form
                    .replace("{n}", rng.pick(NAMES))
                    .replace("{a}", rng.pick(ADDRS)),
            );
        }
        for field in ["From", "To", "Reply-To"] {
            let (fast, reference) = both(&format!("{field}: {value}\r\n\r\n"));
            assert_eq!(fast, reference, "{field}: {value}");
        }
    }
}

#[test]
fn generated_dates_get_what_mail_parser_gives() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for _ in 0..6_000 {
        let value = [
            rng.pick(&["Mon, ", "", "thu, ", "Xyz, ", "Mon,", "Mon ,", "1, "]),
            rng.pick(&["1", "01", "31", "0", "99", "123", "", "x"]),
            rng.pick(&[" ", "  ", "-"]),
            rng.pick(&["Jan", "sep", "DEC", "Foo", "Ma", "Sept", "May"]),
            " ",
            rng.pick(&[
                "2024", "1999", "0049", "99", "20245", "9999", "04", "50", "102", "0",
            ]),
            " ",
            rng.pick(&["12:34:56", "1:02:03", "12:34", "24:60:61", "00:00:00"]),
            " ",
            rng.pick(&[
                "+0100", "-0500", "+2500", "-0000", "+01:00", "GMT", "+01", "+9999",
            ]),
            rng.pick(&["", " (UTC)", " (a(b))", " x", "  (UTC)", " (", " ()"]),
        ]
        .concat();
        // Reply-To follows Date in the block mail-parser reads, and a date reader can run
        // into the next line.
        let (fast, reference) = both(&format!(
            "Date: {value}\r\nSubject: s\r\nReply-To: r@example.org\r\n\r\n"
        ));
        assert_eq!(fast, reference, "Date: {value}");
    }
}

#[test]
fn generated_subjects_and_message_ids_get_what_mail_parser_gives() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let pieces = &[
        "hello",
        " ",
        "  ",
        "\t",
        "=?",
        "?=",
        "=?utf-8?q?caf=C3=A9?=",
        "é",
        "<",
        ">",
        "@",
        "(",
        ")",
        "\"",
        "x",
        "\u{b}",
        ",",
    ];
    for _ in 0..6_000 {
        let value: String = (0..5).map(|_| rng.pick(pieces)).collect();
        let (fast, reference) = both(&format!("Subject: {value}\r\nMessage-ID: {value}\r\n\r\n"));
        assert_eq!(fast, reference, "{value:?}");
        let (fast, reference) = both(&format!("Message-ID: <{value}>\r\n\r\n"));
        assert_eq!(fast, reference, "<{value:?}>");
    }
}

#[test]
fn generated_messages_mixing_plain_and_other_fields_get_what_mail_parser_gives() {
    let mut rng = Rng(0x0bad_cafe_f00d_d00d);
    let values: &[&str] = &[
        "a@b.com",
        "\"N, M\" <x@y.org>",
        "=?utf-8?q?x?= <a@b.com>",
        "Plain subject",
        "=?utf-8?b?w6k=?=",
        "=?utf-8?q?open",
        "<id@host>",
        "id@host",
        "Mon, 2 Jan 2024 12:34:56 +0100",
        "Mon, 2 Jan 2024 12:34:56 Z",
        "2 Jan 2024 12:34:56",
        "",
    ];
    for _ in 0..6_000 {
        let mut block = String::new();
        for name in ["From", "To", "Subject", "Message-ID", "Date", "Reply-To"] {
            let v = rng.pick(values);
            if v.is_empty() {
                continue;
            }
            block.push_str(&format!("{name}: {v}\r\n"));
        }
        block.push_str("Return-Path: <r@example.org>\r\n\r\n");
        let (fast, reference) = both(&block);
        assert_eq!(fast, reference, "{block}");
    }
}

#[test]
fn without_identity_fields_the_summary_stays_empty() {
    let (fast, reference) = both("Return-Path: <a@b.com>\r\nList-Id: <l.example.org>\r\n\r\n");
    assert_eq!(fast, reference);
}
