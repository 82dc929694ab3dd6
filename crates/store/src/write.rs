//! Writing: messages in batches, relays kept up to date, probe runs, audits, reports.
//!
//! A message is inserted with `ON CONFLICT (content_hash) DO NOTHING RETURNING id`: when no
//! id comes back the content was stored before, and nothing else is written for it, so the
//! relay counters only ever count new messages. Relay rows are upserted with the earliest
//! first-seen and latest last-seen of all events, whatever order they arrive in.

use crate::error::StoreError;
use crate::model::*;
use crate::sql::{Db, Value};
use crate::{now, Store};
use std::net::IpAddr;

/// Dates more than a day past the time of storing are not believed (clock skew or forgery).
const FUTURE_SLACK_SECS: i64 = 86_400;

const INSERT_MESSAGE: &str = "INSERT INTO messages (content_hash, source, stored_at, seen_at, \
     date_unix, from_addr, from_name, subject, message_id, verdict, severity, relay_ip, \
     origin_ip, report) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
     ON CONFLICT (content_hash) DO NOTHING RETURNING id";

const INSERT_HOP: &str = "INSERT INTO hops (message, idx, role, trusted, from_ip, from_rdns, \
     from_helo, by_host, protocol, date_unix, delay_secs, flags, raw) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";

const INSERT_FINDING: &str = "INSERT INTO findings (message, idx, finding, severity, title, hop) \
     VALUES ($1, $2, $3, $4, $5, $6)";

/// Upsert a relay sighting: `$1` ip, `$2` rdns, `$3` helo, `$4` time, `$5` messages,
/// `$6` probes.
const SEE_RELAY: &str = "INSERT INTO relays (ip, rdns, helo, first_seen, last_seen, \
     message_count, probe_count) VALUES ($1, $2, $3, $4, $4, $5, $6) \
     ON CONFLICT (ip) DO UPDATE SET \
     rdns = CASE WHEN excluded.last_seen >= relays.last_seen \
         THEN COALESCE(excluded.rdns, relays.rdns) ELSE COALESCE(relays.rdns, excluded.rdns) END, \
     helo = CASE WHEN excluded.last_seen >= relays.last_seen \
         THEN COALESCE(excluded.helo, relays.helo) ELSE COALESCE(relays.helo, excluded.helo) END, \
     first_seen = CASE WHEN excluded.first_seen < relays.first_seen \
         THEN excluded.first_seen ELSE relays.first_seen END, \
     last_seen = CASE WHEN excluded.last_seen > relays.last_seen \
         THEN excluded.last_seen ELSE relays.last_seen END, \
     message_count = relays.message_count + excluded.message_count, \
     probe_count = relays.probe_count + excluded.probe_count";

const SET_OWNER: &str = "UPDATE relays SET owner = $2, abuse_contact = $3, owner_json = $4, \
     owner_checked_at = $5 WHERE ip = $1";

/// One relay event for [`see_relay`].
struct Sighting<'a> {
    ip: IpAddr,
    rdns: Option<&'a str>,
    helo: Option<&'a str>,
    at: i64,
    messages: i64,
    probes: i64,
}

fn see_relay(db: &mut dyn Db, s: &Sighting<'_>) -> Result<(), StoreError> {
    db.execute(
        SEE_RELAY,
        &[
            s.ip.to_string().into(),
            s.rdns.into(),
            s.helo.into(),
            Value::Int(s.at),
            Value::Int(s.messages),
            Value::Int(s.probes),
        ],
    )?;
    Ok(())
}

fn set_owner(db: &mut dyn Db, ip: IpAddr, owner: &RelayOwner, at: i64) -> Result<u64, StoreError> {
    db.execute(
        SET_OWNER,
        &[
            ip.to_string().into(),
            owner.summary.as_str().into(),
            owner.abuse_contact.as_deref().into(),
            owner.json.as_deref().into(),
            Value::Int(at),
        ],
    )
}

fn int(v: u64) -> Value {
    Value::Int(i64::try_from(v).unwrap_or(i64::MAX))
}

/// Store one message; `Ok(false)` when its content was stored before.
fn insert_message(db: &mut dyn Db, m: &NewMessage, stored_at: i64) -> Result<bool, StoreError> {
    if m.content_hash.is_empty() {
        return Err(StoreError::Invalid(format!(
            "message from {} has no content hash",
            m.source
        )));
    }
    let seen_at = m
        .seen_at
        .filter(|t| *t <= stored_at + FUTURE_SLACK_SECS)
        .unwrap_or(stored_at);
    let row = db.query_opt(
        INSERT_MESSAGE,
        &[
            m.content_hash.as_str().into(),
            m.source.as_str().into(),
            Value::Int(stored_at),
            Value::Int(seen_at),
            m.date_unix.into(),
            m.from_addr.as_deref().into(),
            m.from_name.as_deref().into(),
            m.subject.as_deref().into(),
            m.message_id.as_deref().into(),
            m.verdict.as_str().into(),
            m.severity.as_str().into(),
            m.relay_ip.map(|ip| ip.to_string()).into(),
            m.origin_ip.map(|ip| ip.to_string()).into(),
            m.report.as_str().into(),
        ],
    )?;
    let Some(row) = row else {
        return Ok(false);
    };
    let id = row.int(0)?;
    for (i, h) in m.hops.iter().enumerate() {
        db.execute(
            INSERT_HOP,
            &[
                Value::Int(id),
                int(i as u64),
                h.role.as_str().into(),
                h.trusted.into(),
                h.from_ip.map(|ip| ip.to_string()).into(),
                h.from_rdns.as_deref().into(),
                h.from_helo.as_deref().into(),
                h.by_host.as_deref().into(),
                h.protocol.as_deref().into(),
                h.date_unix.into(),
                h.delay_secs.into(),
                h.flags.join(",").into(),
                h.raw.as_str().into(),
            ],
        )?;
    }
    for (i, f) in m.findings.iter().enumerate() {
        db.execute(
            INSERT_FINDING,
            &[
                Value::Int(id),
                int(i as u64),
                f.id.as_str().into(),
                f.severity.as_str().into(),
                f.title.as_str().into(),
                f.hop.map(|h| int(h as u64)).unwrap_or(Value::Null),
            ],
        )?;
    }
    if let Some(ip) = m.relay_ip {
        see_relay(
            db,
            &Sighting {
                ip,
                rdns: m.relay_rdns.as_deref(),
                helo: m.relay_helo.as_deref(),
                at: seen_at,
                messages: 1,
                probes: 0,
            },
        )?;
        for o in m.owners.iter().filter(|o| o.ip == Some(ip)) {
            set_owner(db, ip, o, stored_at)?;
        }
    }
    Ok(true)
}

impl Store {
    /// Store a batch of analysed messages in one transaction. Messages whose content is
    /// already stored are skipped and counted as duplicates. On error nothing of the batch
    /// is kept.
    pub fn add_messages(&mut self, messages: &[NewMessage]) -> Result<AddStats, StoreError> {
        let at = now();
        self.transaction(|db| {
            let mut stats = AddStats::default();
            for m in messages {
                if insert_message(db, m, at)? {
                    stats.added += 1;
                } else {
                    stats.duplicates += 1;
                }
            }
            Ok(stats)
        })
    }

    /// For a bulk import: checkpoints run on their own thread until the result is dropped
    /// (see [`crate::sqlite::Checkpoints`]); wake it after each batch.
    pub(crate) fn background_checkpoints(
        &mut self,
    ) -> Result<Option<crate::sqlite::Checkpoints>, StoreError> {
        self.db.background_checkpoints()
    }

    /// Record who owns `ip` and where to report abuse. Only relays already in the store are
    /// updated; returns whether one was.
    pub fn set_owner(&mut self, ip: IpAddr, owner: &RelayOwner) -> Result<bool, StoreError> {
        let at = now();
        Ok(set_owner(self.db.as_mut(), ip, owner, at)? > 0)
    }

    /// Start a probe run; returns its id for [`Store::add_probe_result`].
    pub fn start_probe_run(&mut self, run: &NewProbeRun) -> Result<i64, StoreError> {
        let row = self.db.query_opt(
            "INSERT INTO probe_runs (started_at, options) VALUES ($1, $2) RETURNING id",
            &[Value::Int(now()), run.options.as_str().into()],
        )?;
        row.ok_or_else(|| StoreError::Corrupt("INSERT … RETURNING gave no row".into()))?
            .int(0)
    }

    /// Record one target's result in run `run` (committed at once, so an interrupted
    /// run keeps every target it finished). Returns the result's id.
    pub fn add_probe_result(&mut self, run: i64, r: &NewProbeResult) -> Result<i64, StoreError> {
        let at = now();
        self.transaction(|db| {
            let row = db.query_opt(
                "INSERT INTO probe_results (run, probed_at, target, ip, port, verdict, \
                 open_evidence, detail, duration_ms, transcript, result) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                &[
                    Value::Int(run),
                    Value::Int(at),
                    r.target.as_str().into(),
                    r.ip.map(|ip| ip.to_string()).into(),
                    r.port.map(i64::from).into(),
                    r.verdict.as_str().into(),
                    r.open_evidence.as_deref().into(),
                    r.detail.as_str().into(),
                    r.duration_ms.map(int).unwrap_or(Value::Null),
                    r.transcript.as_deref().into(),
                    r.result.as_deref().into(),
                ],
            )?;
            let id = row
                .ok_or_else(|| StoreError::Corrupt("INSERT … RETURNING gave no row".into()))?
                .int(0)?;
            let failed = r.ip.is_none();
            db.execute(
                "UPDATE probe_runs SET targets = targets + 1, findings = findings + $2, \
                 failures = failures + $3 WHERE id = $1",
                &[Value::Int(run), r.finding.into(), failed.into()],
            )?;
            if let Some(ip) = r.ip {
                see_relay(
                    db,
                    &Sighting {
                        ip,
                        rdns: None,
                        helo: r.server_name.as_deref(),
                        at,
                        messages: 0,
                        probes: 1,
                    },
                )?;
                db.execute(
                    "UPDATE relays SET last_probe_verdict = $2, last_probed_at = $3 \
                     WHERE ip = $1 AND (last_probed_at IS NULL OR last_probed_at <= $3)",
                    &[
                        ip.to_string().into(),
                        r.verdict.as_str().into(),
                        Value::Int(at),
                    ],
                )?;
            }
            Ok(id)
        })
    }

    /// Mark a probe run finished.
    pub fn finish_probe_run(&mut self, run: i64) -> Result<(), StoreError> {
        self.db.execute(
            "UPDATE probe_runs SET finished_at = $2 WHERE id = $1",
            &[Value::Int(run), Value::Int(now())],
        )?;
        Ok(())
    }

    /// Store an audit; returns its id.
    pub fn add_audit(&mut self, a: &NewAudit) -> Result<i64, StoreError> {
        let row = self.db.query_opt(
            "INSERT INTO audits (audited_at, source, mta, verdict, findings, max_severity, \
             warnings, report) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            &[
                Value::Int(now()),
                a.source.as_str().into(),
                a.mta.as_deref().into(),
                a.verdict.as_deref().into(),
                int(a.findings),
                a.max_severity.as_deref().into(),
                int(a.warnings),
                a.report.as_str().into(),
            ],
        )?;
        row.ok_or_else(|| StoreError::Corrupt("INSERT … RETURNING gave no row".into()))?
            .int(0)
    }

    /// Store an abuse report written or sent; returns its id. The message it is about is
    /// linked when its content hash is stored.
    pub fn add_report(&mut self, r: &NewReport) -> Result<i64, StoreError> {
        let at = now();
        self.transaction(|db| {
            let message = match &r.message_hash {
                Some(h) => db
                    .query_opt(
                        "SELECT id FROM messages WHERE content_hash = $1",
                        &[h.as_str().into()],
                    )?
                    .map(|row| row.int(0))
                    .transpose()?,
                None => None,
            };
            let row = db.query_opt(
                "INSERT INTO reports (created_at, updated_at, relay_ip, message, probe_result, \
                 format, recipient, status, destination, detail, body) \
                 VALUES ($1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                &[
                    Value::Int(at),
                    r.relay_ip.map(|ip| ip.to_string()).into(),
                    message.into(),
                    r.probe_result.into(),
                    r.format.as_str().into(),
                    r.recipient.as_deref().into(),
                    r.status.as_str().into(),
                    r.destination.as_deref().into(),
                    r.detail.as_deref().into(),
                    r.body.as_deref().into(),
                ],
            )?;
            let id = row
                .ok_or_else(|| StoreError::Corrupt("INSERT … RETURNING gave no row".into()))?
                .int(0)?;
            if let Some(ip) = r.relay_ip {
                // Reporting a relay is not seeing it: last_seen stays as it was.
                db.execute(
                    "INSERT INTO relays (ip, first_seen, last_seen, report_count, \
                     last_reported_at) VALUES ($1, $2, $2, 1, $2) \
                     ON CONFLICT (ip) DO UPDATE SET report_count = relays.report_count + 1, \
                     last_reported_at = excluded.last_reported_at",
                    &[ip.to_string().into(), Value::Int(at)],
                )?;
            }
            Ok(id)
        })
    }

    /// Change a report's status (`sent`, `failed`, …) and detail; returns whether it exists.
    pub fn set_report_status(
        &mut self,
        id: i64,
        status: &str,
        detail: Option<&str>,
    ) -> Result<bool, StoreError> {
        Ok(self.db.execute(
            "UPDATE reports SET status = $2, detail = COALESCE($3, detail), updated_at = $4 \
             WHERE id = $1",
            &[
                Value::Int(id),
                status.into(),
                detail.into(),
                Value::Int(now()),
            ],
        )? > 0)
    }
}
