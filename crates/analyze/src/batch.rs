//! Many messages through the engine on all cores, in input order, with bounded memory.
//!
//! A reader thread fills chunks from the [`Source`] (for [`Inputs`], large reads into one
//! buffer per chunk, messages as ranges of it: see `input::block`); a channel holding two
//! chunks connects it to the analysis thread, which splits and analyses each chunk on a
//! rayon pool, each message borrowing its bytes from the chunk's buffer; a channel holding
//! one chunk of outcomes connects that to the caller's thread, which hands them out in input
//! order while the next chunk is analysed. Analysed buffers go back to the reader to be
//! filled again. At most six chunks exist at once (two queued raw, one being read, one being
//! analysed, one queued and one being written), whatever the size of the mbox, so memory
//! stays flat; nothing is ever collected whole.

use crate::input::{
    Chunk, ChunkBytes, ChunkSize, Entry, InputError, Inputs, Location, RawMessage, Span,
};
use crate::message::{LimitHit, Limits, Message, MessageError};
use crate::report::{Report, Severity, VerdictKind};
use crate::verification::Verifier;
use crate::{engine, Config};
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{channel, sync_channel};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How a batch runs.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Worker threads; 0 = one per core.
    pub jobs: usize,
    /// Header split limits per message.
    pub limits: Limits,
    /// Show a progress spinner on stderr (the caller checks that stderr is a terminal).
    pub progress: bool,
    /// Most messages per chunk.
    pub chunk_messages: usize,
    /// Most message bytes per chunk (a chunk always holds at least one message).
    pub chunk_bytes: usize,
    /// Render each analysed message's NDJSON line on the worker that analysed it
    /// ([`Analyzed::line`]), so output formatting runs in parallel too.
    pub render_ndjson: bool,
    /// Fill [`Analyzed::sha256`] (for storing: the message's identity). Off by default,
    /// as hashing costs time the plain analysis does not need.
    pub digest: bool,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            jobs: 0,
            limits: Limits::default(),
            progress: false,
            chunk_messages: 256,
            chunk_bytes: 4 * 1024 * 1024,
            render_ndjson: false,
            digest: false,
        }
    }
}

/// One message analysed.
#[derive(Debug, Clone)]
pub struct Analyzed {
    /// Where it came from.
    pub location: Location,
    /// The analysis.
    pub report: Report,
    /// Size of the raw message in bytes.
    pub bytes: usize,
    /// The limit that cut its header block, if one did.
    pub truncated_by: Option<LimitHit>,
    /// Owners of the relay and origin IPs (`--owner`); empty otherwise.
    pub owners: Vec<crate::owner::OwnerNote>,
    /// The NDJSON line (with its `\n`) when [`BatchOptions::render_ndjson`] asked for it,
    /// rendered with `owners` empty: a printer uses it only while they still are.
    pub line: Option<Box<[u8]>>,
    /// SHA-256 of the raw message bytes, when [`BatchOptions::digest`] asked for it.
    pub sha256: Option<[u8; 32]>,
    /// Live re-checks (`--verify`); `None` otherwise (boxed: most runs have none).
    pub verification: Option<Box<crate::verification::VerificationNote>>,
}

impl Analyzed {
    /// The worst severity of the verdict and of every finding.
    pub fn max_severity(&self) -> Severity {
        self.report
            .findings
            .iter()
            .map(|f| f.severity)
            .fold(self.report.verdict.severity, Ord::max)
    }
}

/// A message (or a whole source) that could not be analysed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Failure {
    /// Reading failed (missing path, unreadable file, message over the size cap).
    #[error(transparent)]
    Input(#[from] InputError),
    /// The bytes are not a message.
    #[error("{location}: {error}")]
    Message {
        /// Where the message came from.
        location: Location,
        /// Why it is not one.
        error: MessageError,
    },
    /// The analysis itself failed on this message: a bug, reported instead of aborting.
    #[error("{location}: internal error while analysing this message ({detail}); please report it with the message attached")]
    Internal {
        /// Where the message came from.
        location: Location,
        /// The panic message.
        detail: String,
    },
}

impl Failure {
    /// Where it happened.
    pub fn location(&self) -> &Location {
        match self {
            Failure::Input(e) => &e.location,
            Failure::Message { location, .. } | Failure::Internal { location, .. } => location,
        }
    }

    /// True when a whole path was unusable (missing, unreadable).
    pub fn is_path_error(&self) -> bool {
        matches!(self, Failure::Input(e) if e.is_path_error())
    }

    /// Short machine-readable class: `input`, `too_large`, `not_a_message`, `internal`.
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::Input(e) if e.is_path_error() => "input",
            Failure::Input(_) => "too_large",
            Failure::Message { .. } => "not_a_message",
            Failure::Internal { .. } => "internal",
        }
    }

    /// The reason without the location prefix.
    pub fn reason(&self) -> String {
        match self {
            Failure::Input(e) => e.kind.to_string(),
            Failure::Message { error, .. } => error.to_string(),
            Failure::Internal { detail, .. } => format!("internal error: {detail}"),
        }
    }
}

/// What happened to one input item.
#[derive(Debug)]
pub enum Outcome {
    /// Analysed.
    Analyzed(Box<Analyzed>),
    /// Not analysed, with the reason.
    Failed(Failure),
}

/// What the [`Summary`] counts of one analysed message: all a caller that only prints
/// lines needs to keep of its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Size of the raw message in bytes.
    pub bytes: usize,
    /// The header block was cut by a limit (the splitter's or the engine's).
    pub truncated: bool,
    /// The verdict.
    pub verdict: VerdictKind,
    /// The worst severity of the verdict and of every finding.
    pub severity: Severity,
    /// The first untrusted relay IP.
    pub relay_ip: Option<IpAddr>,
}

impl Tally {
    /// What the summary counts of `a`.
    pub fn of(a: &Analyzed) -> Tally {
        Tally {
            bytes: a.bytes,
            truncated: a.truncated_by.is_some() || a.report.truncated,
            verdict: a.report.verdict.kind,
            severity: a.max_severity(),
            relay_ip: a.report.relay_ip,
        }
    }
}

/// One input item for a caller that only prints NDJSON lines ([`run_rendered`]).
#[derive(Debug)]
pub enum Rendered {
    /// An analysed message as its rendered line; its report was dropped on the worker.
    Line(Line),
    /// A failure, or an analysed message whose line could not be rendered (the printer
    /// renders it again and reports why): as [`run_in_place`] would give it.
    Outcome(Outcome),
}

/// An analysed message's NDJSON line and what the summary and the warnings need of it.
#[derive(Debug)]
pub struct Line {
    /// Where it came from.
    pub location: Location,
    /// The limit that cut its header block, if one did.
    pub truncated_by: Option<LimitHit>,
    /// The NDJSON line, with its `\n`.
    pub line: Box<[u8]>,
    /// What the summary counted of it.
    pub tally: Tally,
}

/// Totals over a batch.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Messages analysed.
    pub messages: usize,
    /// Items that failed (paths and messages).
    pub errors: usize,
    /// Of `errors`, whole paths that could not be read.
    pub path_errors: usize,
    /// Messages whose header block hit a limit.
    pub truncated: usize,
    /// Raw bytes analysed.
    pub bytes: u64,
    /// Messages per verdict.
    pub verdicts: BTreeMap<VerdictKind, usize>,
    /// Messages per worst severity (verdict and findings).
    pub severities: BTreeMap<Severity, usize>,
    /// Messages per first untrusted relay IP (at most [`Summary::MAX_RELAY_IPS`] distinct).
    pub relay_ips: HashMap<IpAddr, usize>,
    /// Messages whose relay IP was not counted because the table was full.
    pub relay_ips_untracked: usize,
    /// Wall time of the batch.
    pub elapsed: Duration,
}

impl Summary {
    /// Distinct relay IPs counted; beyond this, new addresses are only tallied in
    /// `relay_ips_untracked`, so the summary stays bounded on any input.
    pub const MAX_RELAY_IPS: usize = 100_000;

    /// Count one outcome.
    pub fn add(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Analyzed(a) => self.add_tally(&Tally::of(a)),
            Outcome::Failed(f) => {
                self.errors += 1;
                if f.is_path_error() {
                    self.path_errors += 1;
                }
            }
        }
    }

    /// Count one analysed message by what the summary keeps of it.
    pub fn add_tally(&mut self, t: &Tally) {
        self.messages += 1;
        self.bytes += t.bytes as u64;
        if t.truncated {
            self.truncated += 1;
        }
        *self.verdicts.entry(t.verdict).or_default() += 1;
        *self.severities.entry(t.severity).or_default() += 1;
        if let Some(ip) = t.relay_ip {
            let full = self.relay_ips.len() >= Self::MAX_RELAY_IPS;
            match self.relay_ips.get_mut(&ip) {
                Some(n) => *n += 1,
                None if full => self.relay_ips_untracked += 1,
                None => {
                    self.relay_ips.insert(ip, 1);
                }
            }
        }
    }

    /// Messages whose worst severity is at or above `threshold`.
    pub fn at_or_above(&self, threshold: Severity) -> usize {
        self.severities.range(threshold..).map(|(_, n)| n).sum()
    }

    /// The `n` relay IPs seen most often, most frequent first (ties by address).
    pub fn top_relays(&self, n: usize) -> Vec<(IpAddr, usize)> {
        let mut v: Vec<(IpAddr, usize)> = self.relay_ips.iter().map(|(ip, c)| (*ip, *c)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v.truncate(n);
        v
    }
}

/// Split and analyse one raw message; never panics (a panic in the engine becomes a
/// [`Failure::Internal`]).
pub fn analyze_one(raw: RawMessage, cfg: &Config, limits: &Limits) -> Outcome {
    let RawMessage { location, bytes } = raw;
    analyze_slice(location, &bytes, cfg, limits)
}

/// [`analyze_one`] on borrowed bytes.
pub fn analyze_slice(location: Location, bytes: &[u8], cfg: &Config, limits: &Limits) -> Outcome {
    let msg = match Message::parse(bytes, limits) {
        Ok(m) => m,
        Err(error) => return Outcome::Failed(Failure::Message { location, error }),
    };
    match catch_unwind(AssertUnwindSafe(|| engine::analyze(&msg, cfg))) {
        Ok(report) => Outcome::Analyzed(Box::new(Analyzed {
            location,
            report,
            bytes: bytes.len(),
            truncated_by: msg.limit_hit(limits),
            owners: Vec::new(),
            line: None,
            sha256: None,
            verification: None,
        })),
        Err(panic) => {
            let detail = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_string());
            Outcome::Failed(Failure::Internal { location, detail })
        }
    }
}

type Item = Result<RawMessage, InputError>;

/// Where [`run`] takes its messages from, a chunk at a time.
pub trait Source: Send {
    /// The next chunk of about `size`, filling the buffer of `spare` (the bytes of a
    /// finished chunk, handed back) when given; `None` at the end.
    fn next_chunk(&mut self, size: ChunkSize, spare: Option<ChunkBytes>) -> Option<Chunk>;
}

impl Source for Inputs {
    fn next_chunk(&mut self, size: ChunkSize, spare: Option<ChunkBytes>) -> Option<Chunk> {
        Inputs::next_chunk(self, size, spare)
    }
}

/// Any iterator of raw messages as a [`Source`], one message at a time: each message's
/// bytes are copied into the chunk. `OneByOne(Inputs::new(..))` is the plain reference
/// path (line-by-line mbox reading) that the block reader is checked against.
pub struct OneByOne<I>(pub I);

impl<I: Iterator<Item = Item> + Send> Source for OneByOne<I> {
    fn next_chunk(&mut self, size: ChunkSize, spare: Option<ChunkBytes>) -> Option<Chunk> {
        let mut buf = spare.map(ChunkBytes::into_buffer).unwrap_or_default();
        buf.clear();
        let mut items = Vec::new();
        for item in self.0.by_ref() {
            items.push(match item {
                Ok(raw) => {
                    let start = buf.len();
                    buf.extend_from_slice(&raw.bytes);
                    Entry::Message {
                        location: raw.location,
                        span: Span::in_buffer(start..buf.len()),
                    }
                }
                Err(e) => Entry::Failed(e),
            });
            if items.len() >= size.messages.max(1) || buf.len() >= size.bytes.max(1) {
                break;
            }
        }
        (!items.is_empty()).then(|| Chunk::from_parts(items, buf.into()))
    }
}

/// Analyse every message of `inputs`, calling `emit` for each outcome in input order, and
/// return the totals. `emit` returns `false` to stop early (e.g. the output pipe closed).
pub fn run<S, F>(inputs: S, cfg: &Config, opts: &BatchOptions, emit: F) -> Summary
where
    S: Source,
    F: FnMut(Outcome) -> bool,
{
    run_verified(inputs, cfg, opts, None, emit)
}

/// [`run`], verifying each chunk's messages with `verifier` (`--verify`) after analysis
/// and before output: the verifier gets the chunk's raw bytes and reports at once, so its
/// network work for a chunk runs concurrently while the previous chunk is written.
pub fn run_verified<S, F>(
    inputs: S,
    cfg: &Config,
    opts: &BatchOptions,
    verifier: Option<&dyn Verifier>,
    mut emit: F,
) -> Summary
where
    S: Source,
    F: FnMut(Outcome) -> bool,
{
    run_slots(inputs, cfg, opts, verifier, |slot| match slot.take() {
        Some(outcome) => emit(outcome),
        None => true,
    })
}

/// [`run_verified`] for a caller that only looks at each outcome (prints it, stores it,
/// adds owners to it) and keeps nothing: `emit` gets it by reference, and once the chunk
/// is written its outcomes go back to the workers that built them, each dropping its own
/// before its next message. The allocator frees memory cheaply only on the thread that
/// allocated it; a report dropped on the output thread instead costs the worker a
/// collection pass and cache misses on every block it reuses (in a profile of a one-thread
/// NDJSON run the allocator fell from 26% to 17% of the samples, see BENCHMARKS.md).
pub fn run_in_place<S, F>(
    inputs: S,
    cfg: &Config,
    opts: &BatchOptions,
    verifier: Option<&dyn Verifier>,
    mut emit: F,
) -> Summary
where
    S: Source,
    F: FnMut(&mut Outcome) -> bool,
{
    run_slots(inputs, cfg, opts, verifier, |slot| match slot {
        Some(outcome) => emit(outcome),
        None => true,
    })
}

/// [`run_in_place`] for a caller that prints NDJSON lines and nothing else (`relayhunt
/// analyze --format ndjson` without owners, verification or a store): each worker renders
/// the line ([`BatchOptions::render_ndjson`] is implied), keeps the [`Tally`] the summary
/// counts, and drops the report at once. The report's memory is then still in the cache
/// when the worker's next message allocates it again, instead of going cold while the
/// chunk waits to be written (see BENCHMARKS.md).
pub fn run_rendered<S, F>(inputs: S, cfg: &Config, opts: &BatchOptions, mut emit: F) -> Summary
where
    S: Source,
    F: FnMut(&Rendered) -> bool,
{
    let opts = BatchOptions {
        render_ndjson: true,
        ..opts.clone()
    };
    run_slots(
        inputs,
        cfg,
        &opts,
        None,
        |slot: &mut Option<Rendered>| match slot {
            Some(rendered) => emit(rendered),
            None => true,
        },
    )
}

/// What a worker hands on for one input item: the outcome itself, or its rendered line.
trait Product: Send + Sized {
    /// Made on the worker, right after the analysis (and rendering) of the item.
    fn make(outcome: Outcome) -> Self;
    /// Count it in the summary.
    fn count(&self, summary: &mut Summary);
    /// The outcome, while it is still one (what verification works on).
    fn outcome_mut(&mut self) -> Option<&mut Outcome>;
}

impl Product for Outcome {
    fn make(outcome: Outcome) -> Self {
        outcome
    }

    fn count(&self, summary: &mut Summary) {
        summary.add(self);
    }

    fn outcome_mut(&mut self) -> Option<&mut Outcome> {
        Some(self)
    }
}

impl Product for Rendered {
    fn make(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Analyzed(a) if a.line.is_some() => {
                let tally = Tally::of(&a);
                // The report (and everything else not named) is dropped here.
                let Analyzed {
                    location,
                    truncated_by,
                    line,
                    ..
                } = *a;
                Rendered::Line(Line {
                    location,
                    truncated_by,
                    line: line.unwrap_or_default(),
                    tally,
                })
            }
            other => Rendered::Outcome(other),
        }
    }

    fn count(&self, summary: &mut Summary) {
        match self {
            Rendered::Line(l) => summary.add_tally(&l.tally),
            Rendered::Outcome(o) => summary.add(o),
        }
    }

    fn outcome_mut(&mut self) -> Option<&mut Outcome> {
        match self {
            Rendered::Line(_) => None,
            Rendered::Outcome(o) => Some(o),
        }
    }
}

/// A chunk's items on their way to the caller, with the pool thread that built each.
struct Done<T> {
    outcomes: Vec<Option<T>>,
    built_by: Vec<Option<usize>>,
}

fn run_slots<T, S, F>(
    mut inputs: S,
    cfg: &Config,
    opts: &BatchOptions,
    verifier: Option<&dyn Verifier>,
    mut emit: F,
) -> Summary
where
    T: Product,
    S: Source,
    F: FnMut(&mut Option<T>) -> bool,
{
    let started = Instant::now();
    let jobs = if opts.jobs == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        opts.jobs
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .thread_name(|i| format!("analyze-{i}"))
        .build();
    let word = verifier.map_or("analysed", |v| v.progress_word());
    let progress = opts.progress.then(|| progress_bar(word));
    let mut summary = Summary::default();
    let size = ChunkSize {
        messages: opts.chunk_messages.max(1),
        bytes: opts.chunk_bytes.max(1),
    };
    // Outcomes written and left in place, per pool thread that built them: each worker
    // drops its own before its next message (see [`run_in_place`] for why). What is left
    // at the end is dropped here.
    let graves: Vec<Mutex<Vec<T>>> = (0..jobs).map(|_| Mutex::default()).collect();
    std::thread::scope(|scope| {
        let (tx, rx) = sync_channel::<Chunk>(2);
        // Bytes of analysed chunks, back to the reader: buffers to be filled again (and
        // windows to unmap there, off the analysis stage).
        let (spare_tx, spare_rx) = channel::<ChunkBytes>();
        scope.spawn(move || {
            while let Some(chunk) = inputs.next_chunk(size, spare_rx.try_recv().ok()) {
                if tx.send(chunk).is_err() {
                    return;
                }
            }
        });
        // Analysis stage: one chunk at a time on the pool, handed on while the main thread
        // writes the previous chunk's outcomes, so output never idles the workers.
        let (done_tx, done_rx) = sync_channel::<Done<T>>(1);
        let pool = &pool;
        let graves = &graves;
        scope.spawn(move || {
            for chunk in rx.iter() {
                let (items, buf) = chunk.into_parts();
                let spans: Vec<Option<Span>> = match verifier {
                    Some(_) => items
                        .iter()
                        .map(|e| match e {
                            Entry::Message { span, .. } => Some(span.clone()),
                            Entry::Failed(_) => None,
                        })
                        .collect(),
                    None => Vec::new(),
                };
                let (mut outcomes, built_by): (Vec<T>, Vec<Option<usize>>) = match pool {
                    Ok(pool) => pool.install(|| analyze_chunk(items, &buf, cfg, opts, graves)),
                    Err(_) => items
                        .into_iter()
                        .map(|i| (T::make(process(i, &buf, cfg, opts)), None))
                        .unzip(),
                };
                if let Some(v) = verifier {
                    verify_chunk(v, &mut outcomes, &spans, &buf);
                }
                // A buffer grown for one huge message is let go rather than kept.
                if buf.buffer_len() <= 4 * (size.bytes + crate::input::block::READ_SIZE) {
                    let _ = spare_tx.send(buf);
                }
                let done = Done {
                    outcomes: outcomes.into_iter().map(Some).collect(),
                    built_by,
                };
                if done_tx.send(done).is_err() {
                    // The consumer stopped; dropping `rx` ends the reader too.
                    return;
                }
            }
        });
        'chunks: for mut done in done_rx.iter() {
            for slot in done.outcomes.iter_mut() {
                if let Some(item) = slot {
                    item.count(&mut summary);
                }
                let go_on = match &progress {
                    Some(pb) => {
                        pb.inc(1);
                        pb.suspend(|| emit(slot))
                    }
                    None => emit(slot),
                };
                if !go_on {
                    break 'chunks;
                }
            }
            bury(graves, done);
        }
        drop(done_rx);
    });
    if let Some(pb) = progress {
        pb.finish_and_clear();
    }
    summary.elapsed = started.elapsed();
    summary
}

/// Hand a written chunk's outcomes to the graves of the pool threads that built them;
/// those built outside the pool are dropped here.
fn bury<T>(graves: &[Mutex<Vec<T>>], done: Done<T>) {
    let mut per_thread: Vec<Vec<T>> = graves.iter().map(|_| Vec::new()).collect();
    for (outcome, by) in done.outcomes.into_iter().zip(done.built_by) {
        if let (Some(o), Some(mine)) = (outcome, by.and_then(|i| per_thread.get_mut(i))) {
            mine.push(o);
        }
    }
    for (grave, mut dead) in graves.iter().zip(per_thread) {
        if !dead.is_empty() {
            lock(grave).append(&mut dead);
        }
    }
}

/// Drop what the calling pool thread built and the caller has written.
fn sweep<T>(graves: &[Mutex<Vec<T>>]) {
    if let Some(grave) = rayon::current_thread_index().and_then(|i| graves.get(i)) {
        let dead = std::mem::take(&mut *lock(grave));
        drop(dead);
    }
}

/// A grave's lock; a panic elsewhere while it was held leaves its list usable.
fn lock<T>(grave: &Mutex<Vec<T>>) -> std::sync::MutexGuard<'_, Vec<T>> {
    grave
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Verify the analysed messages of a chunk (`spans[i]` locates outcome `i`'s bytes in
/// `buf`) and fold the notes into their reports. A verifier that fails leaves the reports
/// as analysed.
fn verify_chunk<T: Product>(
    verifier: &dyn Verifier,
    outcomes: &mut [T],
    spans: &[Option<Span>],
    buf: &ChunkBytes,
) {
    let notes = {
        let items: Vec<(&[u8], &Report)> = outcomes
            .iter_mut()
            .zip(spans)
            .filter_map(|(o, r)| match (o.outcome_mut().map(|o| &*o), r) {
                (Some(Outcome::Analyzed(a)), Some(r)) => Some((buf.get(r), &a.report)),
                _ => None,
            })
            .collect();
        match catch_unwind(AssertUnwindSafe(|| verifier.verify(&items))) {
            Ok(notes) if notes.len() == items.len() => notes,
            _ => return,
        }
    };
    let mut notes = notes.into_iter();
    for (outcome, range) in outcomes.iter_mut().zip(spans) {
        if let (Some(Outcome::Analyzed(a)), Some(_)) = (outcome.outcome_mut(), range) {
            if let Some(note) = notes.next() {
                crate::verification::apply(&mut a.report, &note);
                a.verification = Some(Box::new(note));
                // The pre-rendered NDJSON line predates the verification.
                a.line = None;
            }
        }
    }
}

fn process(entry: Entry, buf: &ChunkBytes, cfg: &Config, opts: &BatchOptions) -> Outcome {
    match entry {
        Entry::Message { location, span } => {
            let bytes = buf.get(&span);
            let mut outcome = analyze_slice(location, bytes, cfg, &opts.limits);
            if let (Outcome::Analyzed(a), true) = (&mut outcome, opts.digest) {
                use sha2::Digest;
                a.sha256 = Some(sha2::Sha256::digest(bytes).into());
            }
            if opts.render_ndjson && matches!(outcome, Outcome::Analyzed(_)) {
                // On failure the printer renders it again and reports the error.
                let line = crate::output::json::render_line(&outcome).ok();
                if let Outcome::Analyzed(a) = &mut outcome {
                    a.line = line;
                }
            }
            outcome
        }
        Entry::Failed(e) => Outcome::Failed(Failure::Input(e)),
    }
}

/// Each outcome with the index of the pool thread that built it. Each worker first drops
/// the written outcomes it built, in parallel with the others' analysis.
fn analyze_chunk<T: Product>(
    items: Vec<Entry>,
    buf: &ChunkBytes,
    cfg: &Config,
    opts: &BatchOptions,
    graves: &[Mutex<Vec<T>>],
) -> (Vec<T>, Vec<Option<usize>>) {
    use rayon::prelude::*;
    items
        .into_par_iter()
        .with_max_len(1)
        .map(|item| {
            sweep(graves);
            (
                T::make(process(item, buf, cfg, opts)),
                rayon::current_thread_index(),
            )
        })
        .unzip()
}

fn progress_bar(word: &str) -> indicatif::ProgressBar {
    let pb =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    let style = indicatif::ProgressStyle::with_template(&format!(
        "{{spinner}} {{human_pos}} messages {word} ({{per_sec}}) {{elapsed}}"
    ))
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner());
    pb.set_style(style);
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}
