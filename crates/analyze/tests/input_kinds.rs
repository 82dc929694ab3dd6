//! Every input kind `relayhunt analyze` accepts, read through the library: single files
//! (LF, CRLF), mbox with `>From` quoting and many messages, maildir, nested folders, pasted
//! header blocks, NUL bytes, oversized header blocks and messages, and missing paths.

use relayhunt_analyze::batch::{self, BatchOptions, Outcome};
use relayhunt_analyze::input::{mbox, InputErrorKind, Inputs, ReadOptions};
use relayhunt_analyze::message::{LimitHit, Limits, Message, MessageError};
use relayhunt_analyze::report::VerdictKind;
use relayhunt_analyze::{analyze_bytes, Config};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const SEED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../samples/seed-relay.eml");
const CLEAN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../samples/clean.eml");

/// A corpus message's bytes, or `None` (test skipped) on a clone without the shared data.
fn corpus(rel: &str) -> Option<Vec<u8>> {
    relayhunt_testdata::read(&format!("corpus/{rel}"))
}

fn read_all(paths: &[&str], opts: ReadOptions) -> Vec<Outcome> {
    let mut out = Vec::new();
    let cfg = Config::default();
    let bopts = BatchOptions {
        jobs: 2,
        ..BatchOptions::default()
    };
    batch::run(
        Inputs::new(paths.iter().copied(), opts),
        &cfg,
        &bopts,
        |o| {
            out.push(o);
            true
        },
    );
    out
}

fn analyzed(o: &Outcome) -> &relayhunt_analyze::batch::Analyzed {
    match o {
        Outcome::Analyzed(a) => a,
        Outcome::Failed(f) => panic!("expected a report, got {f}"),
    }
}

fn header_only(raw: &[u8]) -> &[u8] {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 2)
        .or_else(|| raw.windows(2).position(|w| w == b"\n\n").map(|i| i + 1))
        .expect("header block");
    &raw[..end]
}

#[test]
fn eml_file_is_one_message_located_by_path() {
    let out = read_all(&[SEED], ReadOptions::default());
    assert_eq!(out.len(), 1);
    let a = analyzed(&out[0]);
    assert_eq!(&*a.location.path, SEED);
    assert_eq!(a.location.message, None);
    assert_eq!(a.report.verdict.kind, VerdictKind::OpenRelaySuspected);
    assert_eq!(a.report.relay_ip, Some("198.51.100.25".parse().unwrap()));
}

#[test]
fn crlf_and_lf_versions_split_identically() {
    // phishing_pot messages are stored with CRLF, as Exchange Online delivered them.
    let Some(crlf) = corpus("phishing_pot/sample-1.eml") else {
        return;
    };
    assert!(
        crlf.windows(2).any(|w| w == b"\r\n"),
        "sample-1 should be CRLF"
    );
    let lf: Vec<u8> = String::from_utf8_lossy(&crlf)
        .replace("\r\n", "\n")
        .into_bytes();
    let a = Message::parse(&crlf, &Limits::default()).unwrap();
    let b = Message::parse(&lf, &Limits::default()).unwrap();
    assert_eq!(a.headers.len(), b.headers.len());
    assert!(a.headers.len() > 40, "only {} fields", a.headers.len());
    for (x, y) in a.headers.iter().zip(&b.headers) {
        assert_eq!((&x.name, x.value(), x.line), (&y.name, y.value(), y.line));
    }
    assert_eq!(a.all("Received").count(), 5);
}

#[test]
fn mbox_with_many_messages_and_from_quoting_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.mbox");
    let mut originals: Vec<Vec<u8>> = Vec::new();
    let Some(spam) = relayhunt_testdata::shared("corpus/spamassassin_public/spam") else {
        return;
    };
    let mut files: Vec<PathBuf> = fs::read_dir(spam)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files.iter().take(120) {
        originals.push(fs::read(f).unwrap());
    }
    // A body line starting with "From " must survive quoting and unquoting.
    let mut seed = fs::read(SEED).unwrap();
    seed.extend_from_slice(b"From the desk of the CEO\r\n>From quoted already\r\n");
    originals.push(seed);
    let mut w = Vec::new();
    for m in &originals {
        mbox::write_message(&mut w, m, "MAILER-DAEMON", "Thu May 14 21:20:04 2026").unwrap();
    }
    assert!(w.windows(7).any(|x| x == b"\n>From "));
    fs::write(&path, &w).unwrap();
    let p = path.to_string_lossy().into_owned();
    let out = read_all(&[&p], ReadOptions::default());
    assert_eq!(out.len(), originals.len());
    for (i, (o, orig)) in out.iter().zip(&originals).enumerate() {
        let a = analyzed(o);
        assert_eq!(a.location.message, Some(i + 1), "order kept");
        let expect = Message::parse(orig, &Limits::default()).unwrap();
        assert_eq!(
            a.report.hops.len(),
            expect.all("Received").count(),
            "message {}",
            i + 1
        );
    }
    // The last one is the seed: read back byte-exact after its separator line.
    let last = Inputs::new([p.as_str()], ReadOptions::default())
        .last()
        .unwrap()
        .unwrap();
    let body = &last.bytes[last.bytes.iter().position(|&b| b == b'\n').unwrap() + 1..];
    assert!(body.starts_with(b"Received: from DM6PR11MB4121"));
    assert!(body
        .windows(28)
        .any(|x| x == b"\r\nFrom the desk of the CEO\r\n"));
    assert!(body.windows(22).any(|x| x == b"\n>From quoted already\r"));
    let offsets: Vec<u64> = Inputs::new([p.as_str()], ReadOptions::default())
        .map(|m| m.unwrap().location.offset)
        .collect();
    for off in &offsets {
        assert_eq!(&w[*off as usize..*off as usize + 5], b"From ");
    }
}

fn write(path: &Path, bytes: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

#[test]
fn maildir_reads_new_and_cur_and_maildirplus_folders_but_not_tmp() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("Maildir");
    let seed = fs::read(SEED).unwrap();
    let clean = fs::read(CLEAN).unwrap();
    write(&md.join("cur/1715700000.M1P1.host:2,S"), &clean);
    write(&md.join("new/1715700004.M2P1.host"), &seed);
    write(
        &md.join("tmp/1715700009.M3P1.host"),
        b"Subject: half written",
    );
    write(&md.join("dovecot-uidlist"), b"3 V1715700000 N4\n");
    write(&md.join(".Junk/cur/1715700100.M4P1.host:2,"), &seed);
    fs::create_dir_all(md.join(".Junk/new")).unwrap();
    let p = md.to_string_lossy().into_owned();
    let out = read_all(&[&p], ReadOptions::default());
    let names: Vec<String> = out
        .iter()
        .map(|o| {
            analyzed(o)
                .location
                .path
                .rsplit('/')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        names,
        [
            "1715700004.M2P1.host",
            "1715700000.M1P1.host:2,S",
            "1715700100.M4P1.host:2,"
        ]
    );
    assert_eq!(
        analyzed(&out[0]).report.verdict.kind,
        VerdictKind::OpenRelaySuspected
    );
    assert_eq!(analyzed(&out[1]).report.verdict.kind, VerdictKind::Clean);
}

#[test]
fn plain_folders_are_walked_recursively_in_order_with_mbox_inside() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("evidence");
    let seed = fs::read(SEED).unwrap();
    write(&root.join("b/2024/x.eml"), &seed);
    write(&root.join("a.eml"), &fs::read(CLEAN).unwrap());
    write(&root.join(".DS_Store"), b"\x00\x00\x00\x01Bud1");
    write(&root.join("README.md"), b"# Evidence for case 4711\n");
    let mut mb = Vec::new();
    for _ in 0..3 {
        mbox::write_message(&mut mb, &seed, "x@example.org", "Thu May 14 21:20:04 2026").unwrap();
    }
    write(&root.join("c.mbox"), &mb);
    let p = root.to_string_lossy().into_owned();
    let out = read_all(&[&p], ReadOptions::default());
    let locs: Vec<String> = out
        .iter()
        .map(|o| {
            let l = &analyzed(o).location;
            format!(
                "{}#{:?}",
                l.path.strip_prefix(p.as_str()).unwrap(),
                l.message
            )
        })
        .collect();
    assert_eq!(
        locs,
        [
            "/a.eml#None",
            "/b/2024/x.eml#None",
            "/c.mbox#Some(1)",
            "/c.mbox#Some(2)",
            "/c.mbox#Some(3)"
        ]
    );
}

#[test]
fn pasted_header_block_without_body_is_analysed() {
    let raw = fs::read(SEED).unwrap();
    // Analysts paste headers without the blank line; trailing spaces and no final newline.
    let pasted = String::from_utf8(header_only(&raw).to_vec())
        .unwrap()
        .replace("\r\n", "\n");
    let pasted = pasted.trim_end();
    let msg = Message::parse(pasted.as_bytes(), &Limits::default()).unwrap();
    assert!(msg.headers_only);
    let report = analyze_bytes(pasted.as_bytes(), &Config::default()).unwrap();
    assert_eq!(report.verdict.kind, VerdictKind::OpenRelaySuspected);
    assert_eq!(report.relay_ip, Some("198.51.100.25".parse().unwrap()));
}

#[test]
fn nul_bytes_and_8bit_headers_do_not_hide_the_relay() {
    let raw = fs::read(SEED).unwrap();
    let text = String::from_utf8(raw).unwrap();
    let dirty = text
        .replace("Received: from mail-relay", "Received: from\x00 mail-relay")
        .replace("Subject: Urgent", "Subject: \u{0}Urgent \u{fffd}")
        .into_bytes();
    let mut dirty = dirty;
    // A raw Latin-1 byte in a header, as old mailers write them.
    let at = dirty.windows(6).position(|w| w == b"Dana W").unwrap();
    dirty.insert(at, 0xe9);
    let report = analyze_bytes(&dirty, &Config::default()).unwrap();
    assert_eq!(report.relay_ip, Some("198.51.100.25".parse().unwrap()));
    assert_eq!(report.verdict.kind, VerdictKind::OpenRelaySuspected);
    let msg = Message::parse(&dirty, &Limits::default()).unwrap();
    assert!(msg.headers.iter().all(|h| !h.value().contains('\0')));
}

#[test]
fn huge_header_block_hits_the_cap_quickly() {
    let mut raw = fs::read(SEED).unwrap();
    let body_at = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 2;
    let mut filler = Vec::new();
    while filler.len() < 3 * 1024 * 1024 {
        filler.extend_from_slice(b"X-Spam-Padding: ");
        filler.extend(std::iter::repeat_n(b'A', 990));
        filler.extend_from_slice(b"\r\n");
    }
    raw.splice(body_at..body_at, filler);
    let started = Instant::now();
    let msg = Message::parse(&raw, &Limits::default()).unwrap();
    assert!(msg.truncated);
    assert_eq!(
        msg.limit_hit(&Limits::default()),
        Some(LimitHit::HeaderBytes(1024 * 1024))
    );
    let report = analyze_bytes(&raw, &Config::default()).unwrap();
    assert!(report.truncated);
    // The Received chain sits above the padding, so the verdict survives the cut.
    assert_eq!(report.verdict.kind, VerdictKind::OpenRelaySuspected);
    assert!(started.elapsed() < Duration::from_secs(5));
    let many = Limits {
        max_header_bytes: 8 * 1024 * 1024,
        max_header_fields: 100,
    };
    let msg = Message::parse(&raw, &many).unwrap();
    assert_eq!(msg.headers.len(), 100);
    assert_eq!(msg.limit_hit(&many), Some(LimitHit::HeaderFields(100)));
}

#[test]
fn oversized_message_in_mbox_is_skipped_with_its_number_and_the_rest_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.mbox");
    let seed = fs::read(SEED).unwrap();
    let mut big = seed.clone();
    big.extend(std::iter::repeat_n(b'Q', 300_000));
    let mut w = Vec::new();
    for m in [&seed, &big, &seed] {
        mbox::write_message(&mut w, m, "x@example.org", "Thu May 14 21:20:04 2026").unwrap();
    }
    fs::write(&path, &w).unwrap();
    let p = path.to_string_lossy().into_owned();
    let out = read_all(
        &[&p],
        ReadOptions {
            max_message_bytes: 100_000,
        },
    );
    assert_eq!(out.len(), 3);
    match &out[1] {
        Outcome::Failed(f) => {
            assert_eq!(f.location().message, Some(2));
            let text = f.to_string();
            assert!(
                text.contains("big.mbox message 2: message exceeds 100000 bytes"),
                "{text}"
            );
            assert!(!f.is_path_error());
        }
        Outcome::Analyzed(_) => panic!("oversized message analysed"),
    }
    assert_eq!(analyzed(&out[2]).location.message, Some(3));
}

#[test]
fn missing_path_is_an_error_item_and_other_paths_still_read() {
    let out = read_all(
        &["/nonexistent/relayhunt/x.eml", SEED],
        ReadOptions::default(),
    );
    assert_eq!(out.len(), 2);
    match &out[0] {
        Outcome::Failed(f) => {
            assert!(f.is_path_error());
            assert_eq!(
                f.to_string(),
                "/nonexistent/relayhunt/x.eml: no such file or folder; check the path"
            );
        }
        Outcome::Analyzed(_) => panic!("missing file analysed"),
    }
    assert_eq!(
        analyzed(&out[1]).report.verdict.kind,
        VerdictKind::OpenRelaySuspected
    );
}

#[test]
fn non_messages_are_named_errors() {
    // An Outlook .msg (OLE2 binary) and a BSMTP transcript from the corpus.
    for rel in [
        "spamscope_mailparser/mail_outlook_1.eml",
        "spamassassin_tdata/spam/bsmtp.eml",
    ] {
        let Some(raw) = corpus(rel) else {
            return;
        };
        match Message::parse(&raw, &Limits::default()) {
            Err(MessageError::NotAHeader { line: 1, .. }) => {}
            other => panic!("{rel}: {other:?}"),
        }
    }
    let Some(p) = relayhunt_testdata::shared("corpus/spamassassin_tdata/spam/bsmtp.eml") else {
        return;
    };
    let out = read_all(&[&p.to_string_lossy()], ReadOptions::default());
    match &out[0] {
        Outcome::Failed(f) => assert!(f.to_string().contains("line 1 is not a header field")),
        Outcome::Analyzed(_) => panic!("BSMTP transcript analysed as a message"),
    }
    let _ = InputErrorKind::NotFound;
}

#[test]
fn single_message_with_mbox_separator_is_located_like_a_file() {
    // SpamAssassin's public corpus keeps each message's `From ` line.
    let Some(dir) = relayhunt_testdata::shared("corpus/spamassassin_public/spam") else {
        return;
    };
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let first = files
        .iter()
        .find(|p| fs::read(p).unwrap().starts_with(b"From "))
        .expect("a message with a From_ line");
    let p = first.to_string_lossy().into_owned();
    let msgs: Vec<_> = Inputs::new([p.as_str()], ReadOptions::default()).collect();
    assert_eq!(msgs.len(), 1);
    let m = msgs[0].as_ref().unwrap();
    assert_eq!(m.location.message, None);
    assert_eq!(m.location.to_string(), p);
}
