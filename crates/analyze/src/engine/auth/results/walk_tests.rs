//! The byte walks of [`super::split_top`] and [`super::tokens`] against the `char` walks
//! they replaced (kept here as the reference): the same pieces, words and comments on
//! every corpus header they read and on generated hostile values.

use super::{join_spaced_pairs, push_comment, Word};
use std::borrow::Cow;

/// The former `split_top`: a walk over `char`s.
fn split_top_chars(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut depth = 0usize;
    let mut quoted = false;
    let mut esc = false;
    for (i, ch) in s.char_indices() {
        if esc {
            esc = false;
            continue;
        }
        match ch {
            '\\' if quoted || depth > 0 => esc = true,
            '"' if depth == 0 => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => depth -= 1,
            c if c == sep && depth == 0 && !quoted => {
                out.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// The former `tokens`: a walk over `char`s.
fn tokens_chars(seg: &str) -> (Vec<Cow<'_, str>>, Vec<&str>) {
    let mut words: Vec<Cow<'_, str>> = Vec::new();
    let mut comments: Vec<&str> = Vec::new();
    let mut word = Word::default();
    let mut comment_at = 0;
    let mut depth = 0usize;
    let mut quoted = false;
    for (i, ch) in seg.char_indices() {
        if depth > 0 {
            match ch {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        push_comment(&mut comments, &seg[comment_at..i]);
                    }
                }
                _ => {}
            }
            continue;
        }
        match ch {
            '"' => {
                quoted = !quoted;
                word.start.get_or_insert(i);
                word.quotes = true;
            }
            '(' if !quoted => {
                depth = 1;
                comment_at = i + 1;
                word.end(seg, i, &mut words);
            }
            c if c.is_whitespace() && !quoted => word.end(seg, i, &mut words),
            _ => {
                word.start.get_or_insert(i);
                word.filled = true;
            }
        }
    }
    word.end(seg, seg.len(), &mut words);
    if depth > 0 {
        push_comment(&mut comments, &seg[comment_at..]);
    }
    (join_spaced_pairs(words), comments)
}

/// Both walks agree on `value`: its segments, and each segment's words and comments.
fn assert_same(value: &str, origin: &str) {
    let segs = super::split_top(value);
    assert_eq!(
        segs,
        split_top_chars(value, ';'),
        "split of {value:?} ({origin})"
    );
    for seg in segs.iter().copied().chain([value]) {
        assert_eq!(
            super::tokens(seg),
            tokens_chars(seg),
            "tokens of {seg:?} ({origin})"
        );
    }
}

#[test]
fn every_corpus_results_header_walks_as_before() {
    let Some(corpus) = relayhunt_testdata::shared("corpus") else {
        return;
    };
    let mut seen = 0;
    for path in relayhunt_testdata::eml_files(&corpus) {
        let raw = std::fs::read(&path).unwrap();
        let Ok(msg) = crate::message::Message::parse(&raw, &crate::message::Limits::default())
        else {
            continue;
        };
        for h in &msg.headers {
            let name = h.name.to_ascii_lowercase();
            if matches!(
                name.as_str(),
                "authentication-results" | "arc-authentication-results" | "received-spf"
            ) {
                assert_same(h.value(), &path.display().to_string());
                seen += 1;
            }
        }
    }
    assert!(seen > 1000, "only {seen} results headers in the corpus");
}

#[test]
fn generated_hostile_values_walk_as_before() {
    // Every byte class the walks treat apart, and characters outside ASCII that are (or
    // look like) white space, so a multi-byte character meets every state.
    const PIECES: &[&str] = &[
        "spf",
        "=",
        "pass",
        ";",
        " ",
        "\t",
        "\n",
        "\x0b",
        "\x0c",
        "\r",
        "(",
        ")",
        "\"",
        "\\",
        "header.d",
        "a@b.example",
        "\u{a0}",
        "\u{85}",
        "\u{2003}",
        "\u{3000}",
        "\u{200b}",
        "é",
        "名",
        "🦀",
        "\u{fffd}",
        "reason=",
        "= x",
        "x =",
        "((",
        "))",
        "\\\"",
        "\\(",
        "\\;",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33
    };
    for _ in 0..40_000 {
        let len = next() % 24;
        let value: String = (0..len)
            .map(|_| PIECES[next() as usize % PIECES.len()])
            .collect();
        assert_same(&value, "generated");
    }
}
