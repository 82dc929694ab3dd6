//! From the analyzer's results to store records, and the recorder `analyze --store` uses.
//!
//! The recorder buffers messages and writes them in batches of [`Recorder::BATCH`] (or
//! whatever arrived within [`Recorder::MAX_DELAY`]), one transaction per batch: one commit
//! per message would cap SQLite at a few hundred messages per second, while a batch that
//! is killed loses only itself, and the rerun skips what was committed.

use crate::error::StoreError;
use crate::model::{AddStats, NewFinding, NewHop, NewMessage, RelayOwner};
use crate::Store;
use relayhunt_analyze::batch::Analyzed;
use relayhunt_analyze::report::{HopFlag, HopRole};
use relayhunt_analyze::Report;
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
pub struct Recorder<'s> {
    store: &'s mut Store,
    pending: Vec<NewMessage>,
    oldest: Option<Instant>,
    stats: AddStats,
}

impl<'s> Recorder<'s> {
    /// Messages per transaction.
    pub const BATCH: usize = 1000;
    /// Longest a message waits in the buffer before its batch is written.
    pub const MAX_DELAY: Duration = Duration::from_secs(1);

    /// A recorder writing into `store`.
    pub fn new(store: &'s mut Store) -> Self {
        Recorder {
            store,
            pending: Vec::with_capacity(Self::BATCH),
            oldest: None,
            stats: AddStats::default(),
        }
    }

    /// Buffer one message; writes the batch when it is full or old enough.
    pub fn push(&mut self, m: NewMessage) -> Result<(), StoreError> {
        self.oldest.get_or_insert_with(Instant::now);
        self.pending.push(m);
        if self.pending.len() >= Self::BATCH
            || self.oldest.is_some_and(|t| t.elapsed() >= Self::MAX_DELAY)
        {
            self.flush()?;
        }
        Ok(())
    }

    /// Write what is buffered, in one transaction.
    pub fn flush(&mut self) -> Result<(), StoreError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let s = self.store.add_messages(&self.pending)?;
        self.stats.added += s.added;
        self.stats.duplicates += s.duplicates;
        self.pending.clear();
        self.oldest = None;
        Ok(())
    }

    /// What was written so far.
    pub fn stats(&self) -> AddStats {
        self.stats
    }
}

impl relayhunt_analyze::record::Recorder for Recorder<'_> {
    fn record(&mut self, a: &Analyzed) -> Result<(), String> {
        let json = relayhunt_analyze::output::json::analyzed(a)
            .map_err(|e| format!("{}: cannot serialise the report: {e}", a.location))?;
        let m = NewMessage::from_analyzed(a, json).map_err(|e| e.to_string())?;
        self.push(m).map_err(|e| e.to_string())
    }

    fn finish(&mut self) -> Result<String, String> {
        self.flush().map_err(|e| e.to_string())?;
        Ok(format!(
            "stored {} new message(s) in {}, {} already there",
            self.stats.added,
            self.store.location(),
            self.stats.duplicates
        ))
    }
}
