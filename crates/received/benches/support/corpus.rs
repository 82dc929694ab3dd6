//! Every `Received:` value of the shared corpus (`../shared/corpus`, or the folder given),
//! as written (folded), for the throughput bench and example and the corpus test.

// Included by the bench, the example and the corpus test; each uses a part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The corpus folder: `dir` if given, else `$RELAYHUNT_SHARED/corpus`, else `../shared/corpus`
/// next to the repository.
pub fn corpus_dir(dir: Option<PathBuf>) -> PathBuf {
    dir.or_else(|| std::env::var_os("RELAYHUNT_SHARED").map(|p| PathBuf::from(p).join("corpus")))
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/corpus"
            ))
        })
}

/// All `Received:` header values under `dir`, in a stable (sorted path) order.
pub fn received_headers(dir: &Path) -> Vec<String> {
    let mut headers = Vec::new();
    for p in &files_sorted(dir) {
        if let Ok(raw) = std::fs::read(p) {
            headers.extend(message_received(&raw));
        }
    }
    headers
}

/// Every message file under `dir` (READMEs aside), sorted by path.
pub fn files_sorted(dir: &Path) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    files(dir, &mut paths);
    paths.sort();
    paths
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.file_name().is_some_and(|n| n != "README.md") {
            out.push(p);
        }
    }
}

/// `Received:` values of one message's header block, folding kept (the parser unfolds).
pub fn message_received(raw: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let text = String::from_utf8_lossy(raw);
    let mut cur: Option<String> = None;
    for (n, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if n == 0 && line.starts_with("From ") {
            continue; // mbox separator line
        }
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
    out
}
