//! Parser throughput over every `Received:` header of the shared corpus.
//!
//! `cargo run --release -p relayhunt-received --example throughput [CORPUS_DIR]`
//! Prints headers/s and MB/s of header text (single thread), best of five passes.

use std::path::{Path, PathBuf};
use std::time::Instant;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Unfolded-later `Received:` values from one message's header block.
fn received(raw: &[u8], out: &mut Vec<String>) {
    let text = String::from_utf8_lossy(raw);
    let mut cur: Option<String> = None;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(c) = cur.as_mut() {
                c.push('\n');
                c.push_str(line);
            }
            continue;
        }
        out.extend(cur.take());
        if line
            .get(..9)
            .is_some_and(|n| n.eq_ignore_ascii_case("received:"))
        {
            cur = Some(line[9..].to_string());
        }
    }
    out.extend(cur);
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/corpus"
            ))
        });
    let mut paths = Vec::new();
    files(&dir, &mut paths);
    let mut headers = Vec::new();
    for p in &paths {
        if let Ok(raw) = std::fs::read(p) {
            received(&raw, &mut headers);
        }
    }
    let bytes: usize = headers.iter().map(String::len).sum();
    let mut best = f64::MAX;
    let mut with_ip = 0;
    for _ in 0..5 {
        let t = Instant::now();
        with_ip = 0;
        for h in &headers {
            with_ip += usize::from(
                std::hint::black_box(relayhunt_received::parse(h))
                    .from
                    .ip
                    .is_some(),
            );
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "{} headers, {:.1} MB, best pass {:.3} s: {:.0} headers/s, {:.1} MB/s (client IP on {})",
        headers.len(),
        bytes as f64 / 1e6,
        best,
        headers.len() as f64 / best,
        bytes as f64 / 1e6 / best,
        with_ip
    );
}
