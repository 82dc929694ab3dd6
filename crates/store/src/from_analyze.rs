//! From the analyzer's results to store records, and the recorder `analyze --store` uses.
//!
//! The recorder hands records to a writer thread that writes them in batches of
//! [`Recorder::BATCH`] (or whatever arrived within [`Recorder::MAX_DELAY`]), one
//! transaction per batch: one commit per message would cap SQLite at a few hundred
//! messages per second, while a batch that is killed loses only itself, and the rerun
//! skips what was committed.

use crate::error::StoreError;
use crate::model::{AddStats, NewFinding, NewHop, NewMessage, RelayOwner};
use crate::Store;
use relayhunt_analyze::batch::Analyzed;
use relayhunt_analyze::report::{HopFlag, HopRole};
use relayhunt_analyze::Report;
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Lower-case hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

fn json_name<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn role(r: HopRole) -> &'static str {
    match r {
        HopRole::Trusted => "trusted",
        HopRole::Entry => "entry",
        HopRole::Claimed => "claimed",
    }
}

fn flag(f: HopFlag) -> String {
    json_name(&f)
}

/// When the relay handed the message over: the entry hop's date (written by trusted
/// infrastructure), else the newest dated hop, else `Date:`.
fn seen_at(report: &Report) -> Option<i64> {
    let hop_date = |i: usize| {
        report
            .hops
            .get(i)
            .and_then(|h| h.date.as_ref())
            .map(|d| d.unix)
    };
    report
        .boundary
        .as_ref()
        .and_then(|b| hop_date(b.entry_hop))
        .or_else(|| (0..report.hops.len()).rev().find_map(hop_date))
        .or(report.summary.date_unix)
}

impl NewMessage {
    /// The record for one analysed message. Needs [`Analyzed::sha256`] (the batch fills
    /// it when asked with `BatchOptions::digest`); `report_json` is the document
    /// `analyze --format ndjson` prints for it.
    pub fn from_analyzed(a: &Analyzed, report_json: String) -> Result<NewMessage, StoreError> {
        let digest = a.sha256.ok_or_else(|| {
            StoreError::Invalid(format!(
                "{}: no content hash (the batch was run without digest)",
                a.location
            ))
        })?;
        let r = &a.report;
        let entry = r.boundary.as_ref();
        let hops = r
            .hops
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let c = r.chain.get(i);
                NewHop {
                    role: c.map_or("claimed", |c| role(c.role)).to_string(),
                    trusted: c.is_some_and(|c| c.trusted),
                    from_ip: h.from.ip,
                    from_rdns: h.from.rdns.clone(),
                    from_helo: h.from.helo.clone(),
                    by_host: h.by.host.clone(),
                    protocol: h
                        .protocol_raw
                        .clone()
                        .or_else(|| h.protocol.as_ref().map(json_name)),
                    date_unix: h.date.as_ref().map(|d| d.unix),
                    delay_secs: c.and_then(|c| c.delay_secs),
                    flags: c.map_or_else(Vec::new, |c| c.flags.iter().map(|f| flag(*f)).collect()),
                    raw: h.raw.clone(),
                }
            })
            .collect();
        let findings = r
            .findings
            .iter()
            .map(|f| NewFinding {
                id: f.id.to_string(),
                severity: f.severity.as_str().to_string(),
                title: f.title.clone(),
                hop: f.hop,
            })
            .collect();
        let owners = a
            .owners
            .iter()
            .filter_map(|n| {
                let answer = n.answer.as_ref()?;
                let abuse = answer
                    .owner
                    .get("abuse")
                    .and_then(|v| v.get(0))
                    .and_then(|c| c.get("email"))
                    .and_then(|e| e.as_str())
                    .map(str::to_string);
                Some(RelayOwner {
                    ip: Some(n.ip),
                    summary: answer.summary.clone(),
                    abuse_contact: abuse,
                    json: Some(answer.owner.to_string()),
                })
            })
            .collect();
        Ok(NewMessage {
            content_hash: hex(&digest),
            source: a.location.to_string(),
            seen_at: seen_at(r),
            date_unix: r.summary.date_unix,
            from_addr: r.summary.from.as_ref().and_then(|m| m.address.clone()),
            from_name: r.summary.from.as_ref().and_then(|m| m.name.clone()),
            subject: r.summary.subject.clone(),
            message_id: r.summary.message_id.clone(),
            verdict: r.verdict.kind.as_str().to_string(),
            severity: r.verdict.severity.as_str().to_string(),
            relay_ip: r.relay_ip,
            relay_rdns: entry.and_then(|b| b.relay_rdns.clone()),
            relay_helo: entry.and_then(|b| b.relay_helo.clone()),
            origin_ip: r.origin_ip,
            hops,
            findings,
            owners,
            report: report_json,
        })
    }
}

/// Keeps analysed messages in a store, in batched transactions (`analyze --store`).
///
/// The store is written on a thread of its own ("store-writer"), fed through a bounded
/// channel: the thread that receives analysed messages only turns them into records and
/// hands them over, so analysis (on the batch's workers) and SQLite run at the same time,
/// and a store slower than the analysis holds the batch back instead of piling records up
/// in memory (at most [`Recorder::QUEUE`] wait). One writer keeps the arrival order, and
/// each batch is one transaction, as [`Store::add_messages`] writes it.
pub struct Recorder {
    queue: Option<SyncSender<NewMessage>>,
    writer: Option<JoinHandle<Result<AddStats, StoreError>>>,
    location: String,
    /// What the writer ended with, once joined.
    ended: Option<Result<AddStats, String>>,
}

impl Recorder {
    /// Messages per transaction.
    pub const BATCH: usize = 1000;
    /// Longest a message waits in the writer before its batch is written.
    pub const MAX_DELAY: Duration = Duration::from_secs(1);
    /// Records waiting for the writer at most: enough to ride out a commit, few enough that
    /// memory does not depend on how far the store lags behind.
    pub const QUEUE: usize = 256;

    /// A recorder writing into `store` from its own thread.
    pub fn new(store: Store) -> Result<Self, StoreError> {
        let location = store.location().to_string();
        let (queue, inbox) = sync_channel(Self::QUEUE);
        let writer = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || write_batches(store, &inbox))
            .map_err(|e| StoreError::Writer(format!("cannot start the store writer: {e}")))?;
        Ok(Recorder {
            queue: Some(queue),
            writer: Some(writer),
            location,
            ended: None,
        })
    }

    /// Hand one message to the writer. Fails when the writer has stopped (its error).
    pub fn push(&mut self, m: NewMessage) -> Result<(), StoreError> {
        let sent = self.queue.as_ref().is_some_and(|q| q.send(m).is_ok());
        if sent {
            return Ok(());
        }
        match self.join() {
            Err(e) => Err(StoreError::Writer(e)),
            Ok(_) => Err(StoreError::Writer("the store writer has stopped".into())),
        }
    }

    /// Write everything handed over and stop the writer; returns what was written.
    pub fn close(&mut self) -> Result<AddStats, StoreError> {
        self.join().map_err(StoreError::Writer)
    }

    /// Stop accepting, let the writer commit what it holds, and keep its result.
    fn join(&mut self) -> Result<AddStats, String> {
        self.queue = None;
        if let Some(writer) = self.writer.take() {
            let ended = match writer.join() {
                Ok(r) => r.map_err(|e| e.to_string()),
                Err(_) => Err("the store writer panicked".to_string()),
            };
            self.ended = Some(ended);
        }
        self.ended
            .clone()
            .unwrap_or_else(|| Err("the store writer never started".into()))
    }
}

/// The writer thread: batches of up to [`Recorder::BATCH`] messages, written when full,
/// when the oldest has waited [`Recorder::MAX_DELAY`], or when the sender is done.
fn write_batches(mut store: Store, inbox: &Receiver<NewMessage>) -> Result<AddStats, StoreError> {
    let mut stats = AddStats::default();
    let mut pending: Vec<NewMessage> = Vec::with_capacity(Recorder::BATCH);
    let mut deadline = Instant::now();
    let checkpoints = store.background_checkpoints()?;
    let mut write = |pending: &mut Vec<NewMessage>| -> Result<(), StoreError> {
        if !pending.is_empty() {
            let s = store.add_messages(pending)?;
            if let Some(c) = &checkpoints {
                c.committed();
            }
            stats.added += s.added;
            stats.duplicates += s.duplicates;
            pending.clear();
        }
        Ok(())
    };
    loop {
        let next = if pending.is_empty() {
            inbox.recv().map_err(|_| RecvTimeoutError::Disconnected)
        } else {
            inbox.recv_timeout(deadline.saturating_duration_since(Instant::now()))
        };
        match next {
            Ok(m) => {
                if pending.is_empty() {
                    deadline = Instant::now() + Recorder::MAX_DELAY;
                }
                pending.push(m);
                if pending.len() >= Recorder::BATCH {
                    write(&mut pending)?;
                }
            }
            Err(RecvTimeoutError::Timeout) => write(&mut pending)?,
            Err(RecvTimeoutError::Disconnected) => {
                write(&mut pending)?;
                return Ok(stats);
            }
        }
    }
}

impl Drop for Recorder {
    /// What was handed over is committed even when the run stopped early.
    fn drop(&mut self) {
        let _ = self.join();
    }
}

impl relayhunt_analyze::record::Recorder for Recorder {
    fn record(&mut self, a: &Analyzed) -> Result<(), String> {
        let json = match &a.line {
            // The document the analysis worker already rendered (NDJSON line, same bytes
            // as `analyzed()`), while nothing was added to the report after it.
            Some(line) if a.owners.is_empty() && a.verification.is_none() => {
                String::from_utf8(line.strip_suffix(b"\n").unwrap_or(line).to_vec())
                    .map_err(|e| format!("{}: report is not UTF-8: {e}", a.location))?
            }
            _ => relayhunt_analyze::output::json::analyzed(a)
                .map_err(|e| format!("{}: cannot serialise the report: {e}", a.location))?,
        };
        let m = NewMessage::from_analyzed(a, json).map_err(|e| e.to_string())?;
        self.push(m).map_err(|e| e.to_string())
    }

    fn finish(&mut self) -> Result<String, String> {
        let stats = self.join()?;
        Ok(format!(
            "stored {} new message(s) in {}, {} already there",
            stats.added, self.location, stats.duplicates
        ))
    }
}
