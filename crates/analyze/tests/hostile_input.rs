//! Hostile and damaged input without a fuzzer: real corpus messages cut at arbitrary points,
//! with bytes flipped, line ends mixed, folding stretched and NULs sprinkled, plus a few
//! hand-built pathological shapes. Every variant must split and analyse without panicking
//! and within a time bound; the mutations are deterministic (a fixed-seed generator) so a
//! failure names the exact input that caused it.

use relayhunt_analyze::message::{Limits, Message};
use relayhunt_analyze::{analyze_bytes_with, Config};
use std::fs;
use std::time::{Duration, Instant};

/// xorshift64*: small, deterministic, good enough to pick offsets.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(raw: &[u8], rng: &mut Rng) -> (String, Vec<u8>) {
    let mut m = raw.to_vec();
    match rng.below(7) {
        0 => {
            let cut = rng.below(m.len());
            m.truncate(cut);
            (format!("truncated at {cut}"), m)
        }
        1 => {
            for _ in 0..16 {
                let i = rng.below(m.len());
                m[i] = rng.next() as u8;
            }
            ("16 random bytes".into(), m)
        }
        2 => {
            let s: Vec<u8> = m
                .iter()
                .flat_map(|&b| match b {
                    b'\n' if rng.below(3) == 0 => vec![b'\r'],
                    b'\n' if rng.below(3) == 0 => vec![b'\r', b'\r', b'\n'],
                    other => vec![other],
                })
                .collect();
            ("mixed line ends".into(), s)
        }
        3 => {
            for _ in 0..64 {
                let i = rng.below(m.len());
                m.insert(i, 0);
            }
            ("64 NULs".into(), m)
        }
        4 => {
            // One folded header stretched to thousands of continuation lines.
            let at = rng.below(m.len().min(2000));
            let fold: Vec<u8> = b"\n \t(comment [192.0.2.1] by x)".repeat(5000);
            m.splice(at..at, fold);
            ("stretched folding".into(), m)
        }
        5 => {
            let at = rng.below(m.len().min(4000));
            m.splice(at..at, vec![b'A'; 200_000]);
            ("200 kB line".into(), m)
        }
        _ => {
            let at = rng.below(m.len().min(3000));
            let spam: Vec<u8> = b"Received: from [203.0.113.9] (HELO 10.0.0.1) by x; Mon, 1 Jan 2024 00:00:00 +0000\n"
                .repeat(3000);
            m.splice(at..at, spam);
            ("3000 injected Received".into(), m)
        }
    }
}

#[test]
fn mutated_corpus_messages_never_panic_or_stall() {
    let Some(corpus) = relayhunt_testdata::shared("corpus") else {
        return;
    };
    let picks = [
        "phishing_pot/sample-1.eml",
        "phishing_pot/sample-1328.eml",
        "osst_users_publicinbox/0179_31a5a2890ba6.eml",
        "rspamd_fixtures/gargantua.eml",
        "spamscope_mailparser/mail_test_2.eml",
    ];
    let cfg = Config {
        now: Some(1_800_000_000),
        ..Config::default()
    };
    let limits = Limits::default();
    let mut rng = Rng(0x05ee_d0f4_e1a7);
    let mut variants = 0;
    for rel in picks {
        let p = corpus.join(rel);
        let raw = fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        for round in 0..40 {
            let (what, bytes) = mutate(&raw, &mut rng);
            let started = Instant::now();
            let result = std::panic::catch_unwind(|| {
                if let Ok(msg) = Message::parse(&bytes, &limits) {
                    assert!(msg.headers.len() <= limits.max_header_fields);
                    let header_bytes: usize = msg.headers.iter().map(|h| h.raw.len()).sum();
                    assert!(header_bytes <= limits.max_header_bytes + msg.headers.len());
                }
                let _ = analyze_bytes_with(&bytes, &cfg, &limits);
            });
            assert!(result.is_ok(), "{rel} round {round} ({what}) panicked");
            let took = started.elapsed();
            assert!(
                took < Duration::from_secs(5),
                "{rel} round {round} ({what}) took {took:?}"
            );
            variants += 1;
        }
    }
    assert_eq!(variants, 200);
}

#[test]
fn pathological_shapes() {
    let cfg = Config::default();
    let limits = Limits {
        max_header_bytes: 64 * 1024,
        max_header_fields: 500,
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("only colons", b":::::\n:\n".to_vec()),
        (
            "only a From_ line",
            b"From x Mon Jan  1 00:00:00 2024\n".to_vec(),
        ),
        ("CR storm", vec![b'\r'; 100_000]),
        (
            "no line end, huge",
            [b"Subject: ".as_slice(), &[b'x'; 1_000_000]].concat(),
        ),
        ("continuation first", b" folded\nSubject: x\n\n".to_vec()),
        ("many tiny fields", b"A:\n".repeat(100_000)),
        ("8-bit names", b"Subj\xe9ct: x\nTo: y\n\n".to_vec()),
    ];
    for (name, bytes) in cases {
        let started = Instant::now();
        let out = std::panic::catch_unwind(|| analyze_bytes_with(&bytes, &cfg, &limits));
        assert!(out.is_ok(), "{name} panicked");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{name} too slow"
        );
    }
    let many_fields = b"A:\n".repeat(100_000);
    let many = Message::parse(&many_fields, &limits).unwrap();
    assert!(many.truncated);
    assert_eq!(many.headers.len(), 500);
    let huge_line = [b"Subject: ".as_slice(), &[b'x'; 1_000_000]].concat();
    let huge = Message::parse(&huge_line, &limits).unwrap_or_default();
    assert!(huge.headers.iter().all(|h| h.raw.len() <= 64 * 1024));
}
