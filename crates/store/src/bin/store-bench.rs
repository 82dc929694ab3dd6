//! Store benchmark: how fast analysed mail goes into an SQLite store, with memory flat.
//!
//! ```sh
//! cargo run --release -p relayhunt-store --no-default-features --bin store-bench [-- --copies N]
//! ```
//!
//! Builds an mbox of every message in `../shared/corpus` repeated `N` times (default 5),
//! each copy made distinct by an `X-Bench-Copy:` first header (otherwise the store would
//! rightly skip the copies as duplicates). Then, each into a fresh store file:
//! 1. store only: the ×1 corpus analysed into records beforehand, then written with
//!    `add_messages` in batches of 1,000 (what the store itself costs);
//! 2. end to end through the code of `relayhunt analyze --store -q` (its settings,
//!    `execute_with_hooks`, the store's `Recorder` with its writer thread, mimalloc as in
//!    the binary): mbox → analysis on all cores → writer thread → SQLite, for ×1 and ×N
//!    (peak RSS, reset between runs through `/proc/self/clear_refs`, shows whether memory
//!    grows with the input);
//! 3. the ×1 import again into its own store: every message a duplicate.

use relayhunt_analyze::batch::{self, BatchOptions, Outcome};
use relayhunt_analyze::cli::Hooks;
use relayhunt_analyze::input::{mbox, Inputs, ReadOptions};
use relayhunt_analyze::measure::{cpu_secs, load_average, peak_rss_kib, reset_peak_rss};
use relayhunt_analyze::Config;
use relayhunt_store::{NewMessage, Recorder, Store};
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The allocator the `relayhunt` binary uses, so the figures are the command's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn shared_dir() -> PathBuf {
    std::env::var_os("RELAYHUNT_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

fn corpus_files(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            corpus_files(&p, out)?;
        } else if p.file_name().is_some_and(|n| n != "README.md") {
            out.push(p);
        }
    }
    Ok(())
}

/// Peak resident memory in MiB since the last reset (0 when unknown).
fn vm_hwm_mib() -> f64 {
    peak_rss_kib().map_or(0.0, |kib| kib as f64 / 1024.0)
}

/// Wall seconds and CPU seconds of `f`, with its result.
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64, f64) {
    let (wall, cpu) = (Instant::now(), cpu_secs());
    let out = f();
    (out, wall.elapsed().as_secs_f64(), cpu_secs() - cpu)
}

fn fresh_store(dir: &Path, name: &str) -> io::Result<Store> {
    let path = dir.join(name);
    for suffix in ["", "-wal", "-shm"] {
        let _ = fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Store::open_file(&path).map_err(io::Error::other)
}

/// `relayhunt analyze --store -q MBOX` into `store`: the command's own code (settings
/// from the same flags, `execute_with_hooks`, the store's `Recorder` and its writer
/// thread), output discarded. Returns (messages stored, duplicates).
fn import(mbox: &Path, store: Store) -> io::Result<(u64, u64)> {
    let args = relayhunt_analyze::cli::Args {
        paths: vec![mbox.display().to_string()],
        quiet: true,
        no_progress: true,
        ..Default::default()
    };
    let settings = relayhunt_analyze::cli::settings(args, false).map_err(io::Error::other)?;
    let mut rec = Recorder::new(store).map_err(io::Error::other)?;
    let (_, _, failed) = relayhunt_analyze::cli::execute_with_hooks(
        &settings,
        io::sink(),
        false,
        false,
        Hooks {
            recorder: Some(&mut rec),
            ..Hooks::default()
        },
    );
    let s = rec.close().map_err(io::Error::other)?;
    if failed {
        return Err(io::Error::other("recording failed"));
    }
    Ok((s.added, s.duplicates))
}

fn main() -> io::Result<()> {
    let mut copies = 5usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--copies" => {
                copies = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| io::Error::other("--copies needs a number ≥ 1"))?
            }
            "--bench" => {}
            other => return Err(io::Error::other(format!("unknown argument {other}"))),
        }
    }
    let corpus = shared_dir().join("corpus");
    let mut files = Vec::new();
    corpus_files(&corpus, &mut files).map_err(|e| {
        io::Error::other(format!(
            "cannot list {}: {e} (set RELAYHUNT_SHARED)",
            corpus.display()
        ))
    })?;
    let dir = std::env::temp_dir().join(format!("relayhunt-store-bench-{}", std::process::id()));
    fs::create_dir_all(&dir)?;
    let date = "Mon Jan  1 00:00:00 2024";
    let write = |path: &Path, n: usize| -> io::Result<()> {
        let mut w = BufWriter::new(File::create(path)?);
        for copy in 0..n {
            for f in &files {
                let raw = fs::read(f)?;
                // After an mbox `From ` line, if the file starts with one.
                let at = if raw.starts_with(b"From ") {
                    raw.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1)
                } else {
                    0
                };
                let mut m = raw[..at].to_vec();
                m.extend_from_slice(format!("X-Bench-Copy: {copy}\r\n").as_bytes());
                m.extend_from_slice(&raw[at..]);
                mbox::write_message(&mut w, &m, "bench@relayhunt.example", date)?;
            }
        }
        w.flush()
    };
    let one = dir.join("corpus.mbox");
    let many = dir.join(format!("corpus-x{copies}.mbox"));
    write(&one, 1)?;
    write(&many, copies)?;
    println!(
        "corpus: {} files; {} cores; load average {}; store files in {}",
        files.len(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        load_average(),
        dir.display()
    );
    println!("| run | messages read | stored | seconds | messages/s | CPU seconds | peak RSS |");
    println!("|---|--:|--:|--:|--:|--:|--:|");

    // 1. The store alone.
    let mut records: Vec<NewMessage> = Vec::new();
    batch::run(
        Inputs::new([one.display().to_string()], ReadOptions::default()),
        &Config::default(),
        &BatchOptions {
            digest: true,
            ..BatchOptions::default()
        },
        |o| {
            if let Outcome::Analyzed(a) = o {
                let json = relayhunt_analyze::output::json::analyzed(&a).expect("json");
                records.push(NewMessage::from_analyzed(&a, json).expect("digest"));
            }
            true
        },
    );
    let mut store = fresh_store(&dir, "store-only.sqlite")?;
    let (added, secs, cpu) = timed(|| -> io::Result<u64> {
        let mut added = 0;
        for chunk in records.chunks(Recorder::BATCH) {
            added += store.add_messages(chunk).map_err(io::Error::other)?.added;
        }
        Ok(added)
    });
    let added = added?;
    println!(
        "| store only (records prepared), ×1 | {} | {added} | {secs:.2} | {:.0} | {cpu:.2} | – |",
        records.len(),
        added as f64 / secs
    );
    drop(records);
    drop(store);

    // 2. End to end, ×1 and ×N; 3. the ×1 import again.
    let row = |label: &str, (added, dups): (u64, u64), secs: f64, cpu: f64| {
        println!(
            "| {label} | {} | {added} | {secs:.2} | {:.0} | {cpu:.2} | {:.1} MiB |",
            added + dups,
            (added + dups) as f64 / secs,
            vm_hwm_mib()
        )
    };
    for (n, path, name) in [(1, &one, "e2e-x1.sqlite"), (copies, &many, "e2e-xn.sqlite")] {
        let store = fresh_store(&dir, name)?;
        reset_peak_rss();
        let (counts, secs, cpu) = timed(|| import(path, store));
        row(&format!("analyze --store, ×{n}"), counts?, secs, cpu);
        if n == 1 {
            let store = Store::open_file(&dir.join(name)).map_err(io::Error::other)?;
            reset_peak_rss();
            let (counts, secs, cpu) = timed(|| import(path, store));
            row("the same ×1 again (all duplicates)", counts?, secs, cpu);
        }
    }
    println!("load average after: {}", load_average());
    let _ = fs::remove_dir_all(&dir);
    Ok(())
}
