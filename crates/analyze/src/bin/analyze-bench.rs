//! Throughput and memory benchmark for `relayhunt analyze` over the shared corpus.
//!
//! Builds an mbox from every message in `../shared/corpus` (in a temporary folder), then
//! analyses it single-threaded and on all cores, printing msgs/s, MB/s and peak resident
//! memory (VmHWM, reset between runs through /proc/self/clear_refs). Then analyses an mbox
//! holding the corpus twenty times: flat peak memory shows the batch streams.
//!
//! Run: `cargo run --release -p relayhunt-analyze --bin analyze-bench`
//! (`RELAYHUNT_SHARED` overrides where the shared folder is; `--repeat N` changes ×20;
//! `--dir DIR` keeps the mbox files in DIR and reuses them on the next run; `--only ID`, given
//! once or more, runs only those runs: `read`, `x1-1`, `x1-all`, `x1-all-ndjson`,
//! `xN-1-ndjson`, `xN-all-ndjson`, `stages`.)

use relayhunt_analyze::batch::{self, BatchOptions, Outcome};
use relayhunt_analyze::input::{self, mbox, Inputs, ReadOptions};
use relayhunt_analyze::measure::{cpu_secs, peak_rss_kib, reset_peak_rss};
use relayhunt_analyze::output::{Format, Printer};
use relayhunt_analyze::{Config, Limits, Message};
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The allocator the `relayhunt` binary uses, so the figures are the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn shared_dir() -> PathBuf {
    std::env::var_os("RELAYHUNT_SHARED").map_or_else(
        || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")),
        PathBuf::from,
    )
}

fn corpus_files(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            corpus_files(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "eml") {
            out.push(p);
        }
    }
    Ok(())
}

struct Run {
    id: &'static str,
    label: String,
    jobs: usize,
    render: bool,
}

fn run(path: &Path, r: &Run, cfg: &Config) -> io::Result<()> {
    let hwm_reset = reset_peak_rss();
    let opts = BatchOptions {
        jobs: r.jobs,
        // As `relayhunt analyze --format ndjson` does.
        render_ndjson: r.render,
        ..BatchOptions::default()
    };
    let inputs = Inputs::new(
        [path.to_string_lossy().into_owned()],
        ReadOptions::default(),
    );
    let mut printer = Printer::new(io::sink(), Format::Ndjson, false);
    let started = Instant::now();
    let cpu_before = cpu_secs();
    // As `relayhunt analyze` does: with `--format ndjson`, lines rendered and reports
    // dropped on the workers; otherwise outcomes looked at in place, dropped where built.
    let summary = if r.render {
        batch::run_rendered(inputs, cfg, &opts, |item| printer.rendered(item).is_ok())
    } else {
        batch::run_in_place(inputs, cfg, &opts, None, |_: &mut Outcome| true)
    };
    let secs = started.elapsed().as_secs_f64();
    let cpu = cpu_secs() - cpu_before;
    let mb = summary.bytes as f64 / 1e6;
    let cores = if r.jobs == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        r.jobs
    };
    let hwm =
        peak_rss_kib().map_or_else(|| "n/a".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
    println!(
        "{:<34} {:>7} msgs {:>4} err {:>8.1} MB {:>7.2} s {:>9.0} msgs/s {:>8.1} MB/s {:>7.1} MB/s/core {:>7.1} MB/CPU-s  peak RSS {}{}",
        r.label,
        summary.messages,
        summary.errors,
        mb,
        secs,
        summary.messages as f64 / secs,
        mb / secs,
        mb / secs / cores as f64,
        if cpu > 0.0 { mb / cpu } else { f64::NAN },
        hwm,
        if hwm_reset { "" } else { " (not reset)" }
    );
    Ok(())
}

/// Reading and splitting the mbox alone, to show the input side is not the bottleneck: the
/// block reader `batch` uses, then the line-by-line reference reader.
fn read_only(path: &Path) -> io::Result<()> {
    let paths = [path.to_string_lossy().into_owned()];
    let started = Instant::now();
    let cpu_before = cpu_secs();
    let (mut n, mut bytes) = (0usize, 0usize);
    let mut inputs = Inputs::new(paths.clone(), ReadOptions::default());
    let size = input::ChunkSize {
        messages: 256,
        bytes: 4 << 20,
    };
    let mut spare = None;
    while let Some(chunk) = inputs.next_chunk(size, spare.take()) {
        let (items, buf) = chunk.into_parts();
        for item in items {
            if let input::Entry::Message { span, .. } = item {
                n += 1;
                bytes += span.len();
            }
        }
        spare = Some(buf);
    }
    report_read(
        "mbox read + split, block reader",
        n,
        bytes,
        started,
        cpu_before,
    );
    let started = Instant::now();
    let cpu_before = cpu_secs();
    let (mut n, mut bytes) = (0usize, 0usize);
    for m in Inputs::new(paths, ReadOptions::default()) {
        let m = m.map_err(io::Error::other)?;
        n += 1;
        bytes += m.bytes.len();
    }
    report_read(
        "mbox read + split, line reader",
        n,
        bytes,
        started,
        cpu_before,
    );
    Ok(())
}

fn report_read(label: &str, n: usize, bytes: usize, started: Instant, cpu_before: f64) {
    let secs = started.elapsed().as_secs_f64();
    let cpu = cpu_secs() - cpu_before;
    let mb = bytes as f64 / 1e6;
    println!(
        "{:<34} {:>7} msgs {:>4} err {:>8.1} MB {:>7.2} s {:>9.0} msgs/s {:>8.1} MB/s {:>24.1} MB/CPU-s",
        label,
        n,
        0,
        mb,
        secs,
        n as f64 / secs,
        mb / secs,
        if cpu > 0.0 { mb / cpu } else { f64::NAN },
    );
}

/// Single-thread cost per stage with every message already in memory: header split alone,
/// then split + engine. Shows where the time goes.
fn stages(path: &Path, cfg: &Config) -> io::Result<()> {
    let msgs: Vec<Vec<u8>> = Inputs::new(
        [path.to_string_lossy().into_owned()],
        ReadOptions::default(),
    )
    .map(|m| m.map(|m| m.bytes).map_err(io::Error::other))
    .collect::<Result<_, _>>()?;
    let bytes: usize = msgs.iter().map(Vec::len).sum();
    let limits = Limits::default();
    let started = Instant::now();
    let mut fields = 0usize;
    for m in &msgs {
        if let Ok(parsed) = Message::parse(m, &limits) {
            fields += parsed.headers.len();
        }
    }
    let split = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let mut hops = 0usize;
    for m in &msgs {
        if let Ok(report) = relayhunt_analyze::analyze_bytes(m, cfg) {
            hops += report.hops.len();
        }
    }
    let whole = started.elapsed().as_secs_f64();
    let mb = bytes as f64 / 1e6;
    println!(
        "{:<34} {:>7} msgs {:>9} fields {:>7.3} s {:>8.1} MB/s   split+engine {:>7.3} s {:>8.1} MB/s ({hops} hops; engine {:.0}% of time)",
        "stages in memory, 1 thread: split",
        msgs.len(),
        fields,
        split,
        mb / split,
        whole,
        mb / whole,
        100.0 * (whole - split) / whole
    );
    Ok(())
}

fn main() -> io::Result<()> {
    let mut repeat = 20usize;
    let mut keep: Option<PathBuf> = None;
    let mut only: Vec<String> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--repeat" => {
                repeat = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| io::Error::other("--repeat needs a number"))?
            }
            "--dir" => {
                keep = Some(
                    args.next()
                        .map(PathBuf::from)
                        .ok_or_else(|| io::Error::other("--dir needs a folder"))?,
                )
            }
            "--only" => only.push(
                args.next()
                    .ok_or_else(|| io::Error::other("--only needs a run id"))?,
            ),
            "--bench" => {} // passed by `cargo bench`-style runners; ignore
            other => return Err(io::Error::other(format!("unknown argument {other}"))),
        }
    }
    let wanted = |id: &str| only.is_empty() || only.iter().any(|o| o == id);
    let corpus = shared_dir().join("corpus");
    let dir = keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("relayhunt-bench-{}", std::process::id()))
    });
    fs::create_dir_all(&dir)?;
    let one = dir.join("corpus.mbox");
    let many = dir.join(format!("corpus-x{repeat}.mbox"));
    let reuse = keep.is_some() && one.is_file() && many.is_file();
    if !reuse {
        let mut files = Vec::new();
        corpus_files(&corpus, &mut files).map_err(|e| {
            io::Error::other(format!(
                "cannot list {}: {e} (set RELAYHUNT_SHARED)",
                corpus.display()
            ))
        })?;
        let date = "Mon Jan  1 00:00:00 2024";
        let mut w1 = BufWriter::new(File::create(&one)?);
        for f in &files {
            mbox::write_message(&mut w1, &fs::read(f)?, "bench@relayhunt.example", date)?;
        }
        w1.flush()?;
        drop(w1);
        let corpus_mbox = fs::read(&one)?;
        let mut wn = BufWriter::new(File::create(&many)?);
        for _ in 0..repeat {
            wn.write_all(&corpus_mbox)?;
        }
        wn.flush()?;
    }
    let size = |p: &Path| fs::metadata(p).map(|m| m.len() as f64 / 1e6).unwrap_or(0.0);
    println!(
        "corpus: {}; mbox {:.1} MB; x{repeat} mbox {:.1} MB; {} cores",
        corpus.display(),
        size(&one),
        size(&many),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let cfg = Config {
        now: Some(1_800_000_000),
        ..Config::default()
    };
    let runs = [
        (
            &one,
            Run {
                id: "x1-1",
                label: "corpus x1, 1 thread".into(),
                jobs: 1,
                render: false,
            },
        ),
        (
            &one,
            Run {
                id: "x1-all",
                label: "corpus x1, all cores".into(),
                jobs: 0,
                render: false,
            },
        ),
        (
            &one,
            Run {
                id: "x1-all-ndjson",
                label: "corpus x1, all cores + NDJSON".into(),
                jobs: 0,
                render: true,
            },
        ),
        (
            &many,
            Run {
                id: "xN-1-ndjson",
                label: format!("corpus x{repeat}, 1 thread + NDJSON"),
                jobs: 1,
                render: true,
            },
        ),
        (
            &many,
            Run {
                id: "xN-all-ndjson",
                label: format!("corpus x{repeat}, all cores + NDJSON"),
                jobs: 0,
                render: true,
            },
        ),
    ];
    let mut result = if wanted("read") {
        read_only(&one)
    } else {
        Ok(())
    };
    for (path, r) in &runs {
        if result.is_ok() && wanted(r.id) {
            result = run(path, r, &cfg);
        }
    }
    if result.is_ok() && wanted("stages") {
        result = stages(&one, &cfg);
    }
    if keep.is_none() {
        let _ = fs::remove_dir_all(&dir);
    }
    result
}
