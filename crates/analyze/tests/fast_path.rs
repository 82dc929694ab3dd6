//! The fast path (`Inputs` read in large blocks, messages borrowed from the chunk buffer,
//! NDJSON rendered by the workers with the compact writer) against the plain reference path (the
//! line-by-line reader, one copied message at a time, serde_json): same messages, same errors, same locations, and the same NDJSON bytes for the
//! whole shared corpus. Nothing here is a recorded answer: both paths run in the same test,
//! so the comparison holds whatever the engine concludes.

use relayhunt_analyze::batch::{self, BatchOptions, OneByOne, Outcome, Source, Summary};
use relayhunt_analyze::input::{mbox, ChunkSize, Entry, Inputs, ReadOptions};
use relayhunt_analyze::output::{json, Format, Printer};
use relayhunt_analyze::Config;
use std::fs;
use std::path::{Path, PathBuf};

/// What one item of input is, in a form both paths can be compared on.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Message {
        location: String,
        message: Option<usize>,
        offset: u64,
        bytes: Vec<u8>,
    },
    Failed(String),
}

fn reference(paths: &[String], max: usize) -> Vec<Seen> {
    Inputs::new(
        paths.iter().cloned(),
        ReadOptions {
            max_message_bytes: max,
        },
    )
    .map(|item| match item {
        Ok(m) => Seen::Message {
            location: m.location.path.to_string(),
            message: m.location.message,
            offset: m.location.offset,
            bytes: m.bytes,
        },
        Err(e) => Seen::Failed(format!("{e} @{}", e.location.offset)),
    })
    .collect()
}

/// How the block reader takes regular files.
#[derive(Debug, Clone, Copy)]
enum Via {
    /// `read` calls into chunk buffers.
    Read,
    /// Mapped windows (every non-empty file).
    Map,
}

fn blocks(paths: &[String], max: usize, read_size: usize, size: ChunkSize, via: Via) -> Vec<Seen> {
    let inputs = Inputs::new(
        paths.iter().cloned(),
        ReadOptions {
            max_message_bytes: max,
        },
    )
    .with_read_size(read_size);
    let mut inputs = match via {
        Via::Read => inputs.map_files_from(u64::MAX),
        Via::Map => inputs.map_files_from(0),
    };
    let mut out = Vec::new();
    let mut spare = None;
    while let Some(chunk) = inputs.next_chunk(size, spare.take()) {
        assert!(!chunk.is_empty());
        let (items, buf) = chunk.into_parts();
        for item in items {
            out.push(match item {
                Entry::Message { location, span } => Seen::Message {
                    location: location.path.to_string(),
                    message: location.message,
                    offset: location.offset,
                    bytes: buf.get(&span).to_vec(),
                },
                Entry::Failed(e) => Seen::Failed(format!("{e} @{}", e.location.offset)),
            });
        }
        // Hand the buffer back dirty, as the batch does.
        spare = Some(buf);
    }
    out
}

/// A tiny deterministic generator (xorshift), so failures reproduce from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Lines that matter to mbox splitting: separators and near misses, quoted `From ` lines,
/// CRLF and lone CR, blank lines, long lines.
const LINES: &[&[u8]] = &[
    b"From a@b.example Mon Jan  1 00:00:00 2024\n",
    b"From MAILER-DAEMON Fri Jul  8 12:08:34 2011\r\n",
    b"From  x  Thu Aug 22 12:36:23 2002\n",
    b"From the moment we met\n",
    b"From\n",
    b"From \n",
    b"From: someone@example.org\n",
    b">From a@b.example Mon Jan  1 00:00:00 2024\n",
    b">From here\n",
    b">>From there\r\n",
    b">>>From x Mon Jan  1 00:00:00 2024\n",
    b"> From quoted reply\n",
    b">x From y\n",
    b"text From z 12:00\n",
    b"Subject: hi\n",
    b"Received: from a.example ([192.0.2.1]) by b.example; Mon, 1 Jan 2024 00:00:00 +0000\n",
    b"\tfolded\n",
    b"\n",
    b"\r\n",
    b"\r",
    b"lone\rcr From x 1:23\n",
    b">\n",
    b">",
    b"From",
];

fn random_stream(rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    if rng.below(10) > 0 {
        out.extend_from_slice(b"From start@example.org Mon Jan  1 00:00:00 2024\n");
    }
    for _ in 0..rng.below(60) {
        match rng.below(12) {
            0 => {
                let n = rng.below(300);
                out.extend(std::iter::repeat_n(b'x', n));
                out.push(b'\n');
            }
            1 => {
                // A separator whose own length matters against a small cap.
                out.extend_from_slice(b"From long@example.org ");
                out.extend(std::iter::repeat_n(b'y', rng.below(200)));
                out.extend_from_slice(b" Mon Jan  1 00:00:00 2024\n");
            }
            _ => out.extend_from_slice(LINES[rng.below(LINES.len())]),
        }
    }
    out
}

#[test]
fn block_reader_matches_line_reader_on_tricky_mboxes() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for round in 0..400 {
        let files = 1 + rng.below(3);
        let mut paths = Vec::new();
        for i in 0..files {
            let p = dir.path().join(format!("r{round}-{i}.mbox"));
            fs::write(&p, random_stream(&mut rng)).unwrap();
            paths.push(p.to_string_lossy().into_owned());
        }
        if rng.below(4) == 0 {
            paths.insert(
                rng.below(paths.len() + 1),
                dir.path().join("missing").to_string_lossy().into_owned(),
            );
        }
        let max = match rng.below(3) {
            0 => 1 + rng.below(400),
            1 => 100 + rng.below(2000),
            _ => ReadOptions::DEFAULT_MAX_MESSAGE_BYTES,
        };
        let read_size = 1 + rng.below(70);
        let size = ChunkSize {
            messages: 1 + rng.below(5),
            bytes: 1 + rng.below(300),
        };
        let want = reference(&paths, max);
        for via in [Via::Read, Via::Map] {
            let got = blocks(&paths, max, read_size, size, via);
            assert_eq!(
                got, want,
                "round {round}: {via:?}, max {max}, read {read_size}, chunk {size:?}, files {paths:?}"
            );
        }
    }
}

#[test]
fn block_reader_matches_line_reader_on_oversized_messages() {
    // Messages well past the cap, with separators and quoted lines at every distance from
    // it, read in small pieces: the dropping of over-cap bytes must not lose a separator.
    let dir = tempfile::tempdir().unwrap();
    let mut data = Vec::new();
    for i in 0..30 {
        data.extend_from_slice(
            format!("From m{i}@example.org Mon Jan  1 00:00:00 2024\n").as_bytes(),
        );
        data.extend_from_slice(b"Subject: s\n\n");
        for j in 0..(i * 7) {
            if j % 5 == 0 {
                data.extend_from_slice(b">From quoted line\n");
            } else {
                data.extend(std::iter::repeat_n(b'z', 3 + (i * j) % 41));
                data.push(b'\n');
            }
        }
    }
    let p = dir.path().join("big.mbox");
    fs::write(&p, &data).unwrap();
    let paths = vec![p.to_string_lossy().into_owned()];
    for max in [50, 200, 333, 1000, 5000] {
        for read_size in [1, 7, 64, 4096] {
            let size = ChunkSize {
                messages: 3,
                bytes: 512,
            };
            for via in [Via::Read, Via::Map] {
                assert_eq!(
                    blocks(&paths, max, read_size, size, via),
                    reference(&paths, max),
                    "{via:?}, max {max}, read {read_size}"
                );
            }
        }
    }
}

/// The items with their path left out, to compare sources read under different names.
fn without_paths(seen: Vec<Seen>) -> Vec<Seen> {
    seen.into_iter()
        .map(|s| match s {
            Seen::Message {
                message,
                offset,
                bytes,
                ..
            } => Seen::Message {
                location: String::new(),
                message,
                offset,
                bytes,
            },
            failed => failed,
        })
        .collect()
}

#[test]
fn a_fifo_is_read_not_mapped_and_yields_what_the_file_does() {
    // A named pipe is not a regular file: mapping it would fail, so the reader must take
    // it with `read` even when told to map every file.
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x5eed_f1f0_0000_0007);
    let mut data = Vec::new();
    while data.len() < 200_000 {
        data.extend(random_stream(&mut rng));
    }
    let file = dir.path().join("copy.mbox");
    fs::write(&file, &data).unwrap();
    let fifo = dir.path().join("pipe.mbox");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo failed");
    let writer = {
        let (fifo, data) = (fifo.clone(), data.clone());
        std::thread::spawn(move || fs::write(fifo, data).unwrap())
    };
    let size = ChunkSize {
        messages: 7,
        bytes: 4096,
    };
    let max = ReadOptions::DEFAULT_MAX_MESSAGE_BYTES;
    let got = blocks(
        &[fifo.to_string_lossy().into_owned()],
        max,
        1000,
        size,
        Via::Map,
    );
    writer.join().unwrap();
    let want = reference(&[file.to_string_lossy().into_owned()], max);
    assert!(want.len() > 50, "{} items", want.len());
    assert_eq!(without_paths(got), without_paths(want));
}

fn corpus_mbox(dir: &Path, corpus: &Path) -> (PathBuf, usize) {
    let files = relayhunt_testdata::eml_files(corpus);
    assert!(files.len() > 3000, "corpus has {} messages", files.len());
    let path = dir.join("corpus.mbox");
    let mut w = std::io::BufWriter::new(fs::File::create(&path).unwrap());
    for f in &files {
        let raw = fs::read(f).unwrap();
        mbox::write_message(&mut w, &raw, "MAILER-DAEMON", "Mon Jan  1 00:00:00 2024").unwrap();
    }
    drop(w);
    (path, files.len())
}

#[test]
fn block_reader_matches_line_reader_on_the_corpus() {
    let Some(corpus) = relayhunt_testdata::shared("corpus") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (mbox, n) = corpus_mbox(dir.path(), &corpus);
    let folder = corpus.to_string_lossy().into_owned();
    let paths = vec![mbox.to_string_lossy().into_owned(), folder];
    let want = reference(&paths, ReadOptions::DEFAULT_MAX_MESSAGE_BYTES);
    assert_eq!(want.len(), 2 * n);
    let size = ChunkSize {
        messages: 256,
        bytes: 4 << 20,
    };
    for via in [Via::Read, Via::Map] {
        let got = blocks(
            &paths,
            ReadOptions::DEFAULT_MAX_MESSAGE_BYTES,
            256 << 10,
            size,
            via,
        );
        assert!(got == want, "block reader ({via:?}) differs on the corpus");
    }
}

fn config() -> Config {
    Config {
        now: Some(1_800_000_000),
        ..Config::default()
    }
}

/// NDJSON as `relayhunt analyze --format ndjson` writes it: lines rendered by the
/// workers, which drop each report there and keep only its tally.
fn ndjson<S: Source>(source: S, opts: &BatchOptions) -> (Vec<u8>, Summary) {
    let mut out = Vec::new();
    let mut printer = Printer::new(&mut out, Format::Ndjson, false);
    let summary = batch::run_rendered(source, &config(), opts, |item| {
        printer.rendered(item).unwrap();
        true
    });
    printer.finish(&summary).unwrap();
    drop(printer);
    (out, summary)
}

/// NDJSON as a caller that also keeps the reports writes it (`--store`): outcomes looked
/// at in place, with the lines the workers rendered, dropped afterwards by those workers.
fn ndjson_in_place<S: Source>(source: S, opts: &BatchOptions) -> Vec<u8> {
    let mut out = Vec::new();
    let mut printer = Printer::new(&mut out, Format::Ndjson, false);
    let summary = batch::run_in_place(source, &config(), opts, None, |o: &mut Outcome| {
        printer.outcome(o).unwrap();
        true
    });
    printer.finish(&summary).unwrap();
    drop(printer);
    out
}

/// NDJSON written line by line by serde_json, the reference serializer.
fn ndjson_by_serde_json<S: Source>(source: S, opts: &BatchOptions) -> (Vec<u8>, Summary) {
    let mut out = Vec::new();
    let summary = batch::run(source, &config(), opts, |o: Outcome| {
        json::write_line_using(&mut out, &o, json::Writer::SerdeJson).unwrap();
        true
    });
    (out, summary)
}

/// Everything a summary counts (`Summary` has no `PartialEq`: it also holds the run time).
fn counts(s: &Summary) -> impl PartialEq + std::fmt::Debug {
    let mut ips: Vec<_> = s.relay_ips.iter().map(|(ip, n)| (*ip, *n)).collect();
    ips.sort();
    (
        (s.messages, s.errors, s.path_errors, s.truncated, s.bytes),
        (s.verdicts.clone(), s.severities.clone()),
        (ips, s.relay_ips_untracked),
    )
}

#[test]
fn fast_path_writes_the_same_ndjson_as_the_reference_path_over_the_corpus() {
    let Some(corpus) = relayhunt_testdata::shared("corpus") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (mbox, n) = corpus_mbox(dir.path(), &corpus);
    let paths = [mbox.to_string_lossy().into_owned()];
    let read = ReadOptions::default();
    // Fast: block reader, lines rendered by the workers (compact writer), outcomes left in
    // place (small chunks, so many go back to be dropped by the workers). Plain: line
    // reader, one message at a time, outcomes handed over, lines rendered by serde_json.
    let fast_opts = BatchOptions {
        jobs: 2,
        render_ndjson: true,
        chunk_messages: 16,
        ..BatchOptions::default()
    };
    let plain_opts = BatchOptions {
        jobs: 1,
        ..BatchOptions::default()
    };
    let (fast, fast_summary) = ndjson(Inputs::new(paths.clone(), read), &fast_opts);
    let (plain, plain_summary) =
        ndjson_by_serde_json(OneByOne(Inputs::new(paths.clone(), read)), &plain_opts);
    assert_eq!(fast.iter().filter(|&&b| b == b'\n').count(), n);
    assert_eq!(counts(&fast_summary), counts(&plain_summary));
    assert!(
        fast_summary.messages > 3000 && fast_summary.verdicts.len() > 3,
        "the corpus gives many messages and verdicts: {:?}",
        counts(&fast_summary)
    );
    let in_place = ndjson_in_place(Inputs::new(paths, read), &fast_opts);
    assert!(in_place == plain, "the in-place path's NDJSON differs");
    if fast != plain {
        let (f, p) = (
            String::from_utf8_lossy(&fast),
            String::from_utf8_lossy(&plain),
        );
        let (i, (a, b)) = f
            .lines()
            .zip(p.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .expect("outputs differ in length only");
        panic!("NDJSON line {} differs:\nfast:  {a}\nplain: {b}", i + 1);
    }
}

#[test]
fn compact_writer_escapes_strings_as_serde_json_does() {
    // Every ASCII control character, quotes, backslashes, DEL, U+2028/2029, non-BMP text,
    // in the strings of a real outcome (a failure's reason and location).
    let mut nasty = String::new();
    for c in (0u8..0x20).chain([b'"', b'\\', b'/', 0x7f]) {
        nasty.push(char::from(c));
        nasty.push('x');
    }
    nasty.push_str("\u{2028}\u{2029}é\u{1F600}\u{FFFD}");
    let dir = tempfile::tempdir().unwrap();
    let in_name: String = nasty.chars().filter(|&c| c != '\0' && c != '/').collect();
    let in_header: String = nasty
        .chars()
        .filter(|&c| !matches!(c, '\0' | '\n' | '\r'))
        .collect();
    let p = dir.path().join(format!("{in_name}.eml"));
    fs::write(
        &p,
        format!("Subject: {in_header}\nReceived: from {in_header}\n\n"),
    )
    .unwrap();
    let missing = dir.path().join(format!("{in_name}-missing"));
    let paths = [
        p.to_string_lossy().into_owned(),
        missing.to_string_lossy().into_owned(),
    ];
    let mut outcomes = Vec::new();
    batch::run(
        Inputs::new(paths, ReadOptions::default()),
        &config(),
        &BatchOptions::default(),
        |o| {
            outcomes.push(o);
            true
        },
    );
    assert_eq!(outcomes.len(), 2);
    assert!(matches!(outcomes[0], Outcome::Analyzed(_)));
    for o in &outcomes {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        json::write_line_using(&mut a, o, json::Writer::Compact).unwrap();
        json::write_line_using(&mut b, o, json::Writer::SerdeJson).unwrap();
        assert_eq!(String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
        // The control characters reached the document and were escaped.
        assert!(String::from_utf8_lossy(&b).contains("\\u001f"));
    }
}
