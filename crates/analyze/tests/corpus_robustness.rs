//! Every message of the shared corpus (~3,500 real mails, hostile ones included) goes
//! through the whole analyzer: no panic, bounded time per message, and every message with
//! `Received:` headers comes out with one hop per header, each either understood or
//! carrying a parser note that says why not. The same corpus as one mbox through the
//! parallel batch must give the same answers in the same order.

use relayhunt_analyze::batch::{self, BatchOptions, Outcome};
use relayhunt_analyze::input::{mbox, Inputs, ReadOptions};
use relayhunt_analyze::message::{Limits, Message, MessageError};
use relayhunt_analyze::{engine, Config};
use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn config() -> Config {
    Config {
        now: Some(1_800_000_000),
        ..Config::default()
    }
}

/// Per-message bound. Debug builds are ~20× slower than release; the slowest corpus message
/// takes a few milliseconds in release.
const PER_MESSAGE: Duration = Duration::from_secs(2);

#[test]
fn every_corpus_message_is_analysed_without_panic_within_bounds() {
    let Some(corpus) = relayhunt_testdata::shared("corpus") else {
        return;
    };
    let files = relayhunt_testdata::eml_files(&corpus);
    assert!(
        files.len() > 3000,
        "corpus has only {} messages",
        files.len()
    );
    let cfg = config();
    let limits = Limits::default();
    let (mut with_received, mut hops_total, mut unexplained) = (0usize, 0usize, Vec::new());
    let mut not_messages = Vec::new();
    let mut slowest = (Duration::ZERO, PathBuf::new());
    for path in &files {
        let raw = fs::read(path).unwrap();
        let started = Instant::now();
        let msg = match Message::parse(&raw, &limits) {
            Ok(m) => m,
            Err(MessageError::NotAHeader { line, snippet }) => {
                not_messages.push(format!("{}: line {line} {snippet:?}", path.display()));
                continue;
            }
            Err(e) => panic!("{}: {e}", path.display()),
        };
        let report = engine::analyze(&msg, &cfg);
        let took = started.elapsed();
        assert!(took < PER_MESSAGE, "{} took {took:?}", path.display());
        if took > slowest.0 {
            slowest = (took, path.clone());
        }
        let received = msg.all("Received").count();
        assert_eq!(
            report.hops.len(),
            received,
            "{}: one hop per Received header",
            path.display()
        );
        assert_eq!(report.chain.len(), report.hops.len(), "{}", path.display());
        if received > 0 {
            with_received += 1;
            hops_total += received;
        }
        for (i, hop) in report.hops.iter().enumerate() {
            // Local injections (`(qmail 123 invoked by uid 0); date`) name no hosts but
            // still date the hop; anything with a host, a protocol, an id or a date is a hop.
            let understood = hop.from.ip.is_some()
                || hop.from.helo.is_some()
                || hop.from.rdns.is_some()
                || hop.by.host.is_some()
                || hop.protocol.is_some()
                || hop.id.is_some()
                || hop.date.is_some();
            if !understood && hop.notes.is_empty() {
                unexplained.push(format!("{} hop {i}: {}", path.display(), hop.raw));
            }
        }
        serde_json::to_string(&report).unwrap();
    }
    eprintln!(
        "{} files, {with_received} with Received headers, {hops_total} hops, {} not messages, slowest {:?} ({})",
        files.len(),
        not_messages.len(),
        slowest.0,
        slowest.1.display()
    );
    // Exactly the two corpus files that are not RFC 5322 messages (an Outlook .msg and a
    // BSMTP transcript) are refused, with the line that proves it.
    assert_eq!(not_messages.len(), 2, "{not_messages:#?}");
    assert!(
        unexplained.is_empty(),
        "{} hops neither parsed nor explained, e.g. {:#?}",
        unexplained.len(),
        &unexplained[..unexplained.len().min(10)]
    );
}

#[test]
fn corpus_as_one_mbox_through_the_parallel_batch_matches_one_by_one() {
    let Some(corpus) = relayhunt_testdata::shared("corpus") else {
        return;
    };
    let mut files = Vec::new();
    files.extend(relayhunt_testdata::eml_files(&corpus.join("phishing_pot")));
    files.extend(relayhunt_testdata::eml_files(
        &corpus.join("osst_users_publicinbox"),
    ));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("corpus.mbox");
    let mut w = std::io::BufWriter::new(fs::File::create(&path).unwrap());
    let mut expected = Vec::new();
    let cfg = config();
    for f in &files {
        let raw = fs::read(f).unwrap();
        mbox::write_message(&mut w, &raw, "MAILER-DAEMON", "Mon Jan  1 00:00:00 2024").unwrap();
        let r = relayhunt_analyze::analyze_bytes(&raw, &cfg).ok();
        expected.push(r.map(|r| (r.verdict.kind, r.relay_ip, r.hops.len())));
    }
    drop(w);
    let opts = BatchOptions {
        jobs: 4,
        chunk_messages: 37,
        ..BatchOptions::default()
    };
    let p = path.to_string_lossy().into_owned();
    let mut got = Vec::new();
    let summary = batch::run(
        Inputs::new([p.as_str()], ReadOptions::default()),
        &cfg,
        &opts,
        |o| {
            got.push(match o {
                Outcome::Analyzed(a) => {
                    assert_eq!(a.location.message, Some(got.len() + 1));
                    Some((
                        a.report.verdict.kind,
                        a.report.relay_ip,
                        a.report.hops.len(),
                    ))
                }
                Outcome::Failed(_) => None,
            });
            true
        },
    );
    assert_eq!(got.len(), files.len());
    assert_eq!(got, expected);
    assert_eq!(summary.messages, files.len());
    assert_eq!(summary.errors, 0);
    assert_eq!(summary.verdicts.values().sum::<usize>(), files.len());
    assert!(!summary.top_relays(10).is_empty());
}
