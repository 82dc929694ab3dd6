//! The records the store keeps: what goes in (`New…`) and what comes out.
//!
//! Times are Unix seconds (UTC). IP addresses are kept in their canonical text form.
//! Documents produced by the capability crates (the analysis report, a probe result, an
//! audit report) are kept whole as JSON text, so fields they gain later are kept too; the
//! columns beside them hold what lists and filters need.

use serde::Serialize;
use std::net::IpAddr;

/// An analysed message to store (see [`NewMessage::from_analyzed`]).
#[derive(Debug, Clone, Default)]
pub struct NewMessage {
    /// SHA-256 of the raw message, lower-case hex: the identity used to skip duplicates.
    pub content_hash: String,
    /// Where it was read from (`path`, `mbox#message`).
    pub source: String,
    /// When the relay handed it over: the entry hop's date, else the newest hop date, else
    /// `Date:`. `None` = unknown (the time of storing is used).
    pub seen_at: Option<i64>,
    /// `Date:` parsed.
    pub date_unix: Option<i64>,
    /// `From:` address.
    pub from_addr: Option<String>,
    /// `From:` display name.
    pub from_name: Option<String>,
    /// `Subject:`.
    pub subject: Option<String>,
    /// `Message-ID:`.
    pub message_id: Option<String>,
    /// Verdict kind (`open_relay_suspected`, `clean`, …).
    pub verdict: String,
    /// Verdict severity (`info` … `critical`).
    pub severity: String,
    /// The first untrusted relay.
    pub relay_ip: Option<IpAddr>,
    /// Its reverse DNS as recorded by the entry hop.
    pub relay_rdns: Option<String>,
    /// Its HELO name as recorded by the entry hop.
    pub relay_helo: Option<String>,
    /// The claimed origin.
    pub origin_ip: Option<IpAddr>,
    /// The hops, oldest first.
    pub hops: Vec<NewHop>,
    /// The findings, most severe first.
    pub findings: Vec<NewFinding>,
    /// Owner lookups made for this message (`analyze --owner`).
    pub owners: Vec<RelayOwner>,
    /// The whole analysis report as JSON.
    pub report: String,
}

/// One hop of a message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NewHop {
    /// `trusted`, `entry` or `claimed`.
    pub role: String,
    /// Written by trusted infrastructure.
    pub trusted: bool,
    /// Client IP.
    pub from_ip: Option<IpAddr>,
    /// Client reverse DNS.
    pub from_rdns: Option<String>,
    /// Client HELO.
    pub from_helo: Option<String>,
    /// Receiving host.
    pub by_host: Option<String>,
    /// `with` protocol.
    pub protocol: Option<String>,
    /// Hop date.
    pub date_unix: Option<i64>,
    /// Seconds since the previous dated hop.
    pub delay_secs: Option<i64>,
    /// Anomaly flags (`missing_rdns`, `dynamic_client`, …).
    pub flags: Vec<String>,
    /// The `Received:` header as written.
    pub raw: String,
}

/// One finding of a message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NewFinding {
    /// Stable finding id (`relay.open_relay_suspected`, …).
    pub id: String,
    /// Severity name.
    pub severity: String,
    /// Short title.
    pub title: String,
    /// Index of the hop it is about.
    pub hop: Option<usize>,
}

/// Who owns an address and where to report abuse, as a lookup found it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RelayOwner {
    /// The address looked up.
    pub ip: Option<IpAddr>,
    /// One line for people (network, organisation, country, AS, abuse address).
    pub summary: String,
    /// The best abuse address, when one was found.
    pub abuse_contact: Option<String>,
    /// The whole owner record as JSON (`relayhunt whois --json` shape).
    pub json: Option<String>,
}

/// What storing a batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct AddStats {
    /// Messages stored.
    pub added: u64,
    /// Messages skipped because the same content was stored before.
    pub duplicates: u64,
}

/// A stored message as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageRow {
    /// Store id.
    pub id: i64,
    /// SHA-256 of the raw message.
    pub content_hash: String,
    /// Where it was first read from.
    pub source: String,
    /// When it was stored.
    pub stored_at: i64,
    /// When the relay handed it over (see [`NewMessage::seen_at`]).
    pub seen_at: i64,
    /// `Date:` parsed.
    pub date_unix: Option<i64>,
    /// `From:` address.
    pub from_addr: Option<String>,
    /// `From:` display name.
    pub from_name: Option<String>,
    /// `Subject:`.
    pub subject: Option<String>,
    /// `Message-ID:`.
    pub message_id: Option<String>,
    /// Verdict kind.
    pub verdict: String,
    /// Verdict severity.
    pub severity: String,
    /// First untrusted relay.
    pub relay_ip: Option<String>,
    /// Claimed origin.
    pub origin_ip: Option<String>,
}

/// A stored message with everything kept about it.
#[derive(Debug, Clone, Serialize)]
pub struct StoredMessage {
    /// The listed fields.
    #[serde(flatten)]
    pub row: MessageRow,
    /// Hops, oldest first.
    pub hops: Vec<NewHop>,
    /// Findings, most severe first.
    pub findings: Vec<NewFinding>,
    /// The analysis report as stored (JSON text).
    pub report: String,
}

/// One relay: an address seen handing over mail, probed, or reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Relay {
    /// The address.
    pub ip: String,
    /// Reverse DNS last recorded for it.
    pub rdns: Option<String>,
    /// HELO name last recorded for it.
    pub helo: Option<String>,
    /// First time seen (message hand-over, probe or report).
    pub first_seen: i64,
    /// Last time seen.
    pub last_seen: i64,
    /// Stored messages it relayed.
    pub message_count: i64,
    /// Probes of it.
    pub probe_count: i64,
    /// Verdict of the latest probe (`OPEN`, `CLOSED`, …).
    pub last_probe_verdict: Option<String>,
    /// When it was last probed.
    pub last_probed_at: Option<i64>,
    /// Abuse reports written or sent about it.
    pub report_count: i64,
    /// When the latest report was made.
    pub last_reported_at: Option<i64>,
    /// Owner summary, when looked up.
    pub owner: Option<String>,
    /// Best abuse address, when looked up.
    pub abuse_contact: Option<String>,
}

/// How to filter and order `relays`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelayFilter {
    /// Only relays last seen at or after this time.
    pub since: Option<i64>,
    /// Only relays with a stored message of this verdict (`open_relay_suspected`) or a
    /// probe with this verdict (`OPEN`, case-insensitive).
    pub verdict: Option<String>,
    /// `Some(true)`: only relays reported; `Some(false)`: only those never reported.
    pub reported: Option<bool>,
    /// Order.
    pub order: RelayOrder,
    /// Most rows returned (0 = no limit).
    pub limit: usize,
}

/// Order of the relay list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RelayOrder {
    /// Most recently seen first.
    #[default]
    LastSeen,
    /// Most messages first.
    MessageCount,
}

/// One relay's history across messages, probes and reports.
#[derive(Debug, Clone, Serialize)]
pub struct RelayHistory {
    /// The relay row.
    pub relay: Relay,
    /// Owner record as JSON, when looked up.
    pub owner_json: Option<String>,
    /// Messages it relayed, newest first.
    pub messages: Vec<MessageRow>,
    /// Probes of it, newest first.
    pub probes: Vec<ProbeResultRow>,
    /// Reports about it, newest first.
    pub reports: Vec<ReportRow>,
}

/// A probe run to start.
#[derive(Debug, Clone, Default)]
pub struct NewProbeRun {
    /// The options in force, for people (`ports 25,587; tests 29; confirm`).
    pub options: String,
}

/// A probe run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeRun {
    /// Store id.
    pub id: i64,
    /// Start.
    pub started_at: i64,
    /// End; `None` while running or when the run was cut short.
    pub finished_at: Option<i64>,
    /// The options in force.
    pub options: String,
    /// Targets recorded.
    pub targets: i64,
    /// Targets with a finding verdict (OPEN, ACCEPTS-THEN-UNKNOWN).
    pub findings: i64,
    /// Targets that could not be probed.
    pub failures: i64,
}

/// The result for one probed target.
#[derive(Debug, Clone, Default)]
pub struct NewProbeResult {
    /// The target as named.
    pub target: String,
    /// The address probed, when it was resolved.
    pub ip: Option<IpAddr>,
    /// The port.
    pub port: Option<u16>,
    /// `OPEN`, `CLOSED`, …, or `FAILED` when the target could not be probed.
    pub verdict: String,
    /// True for a finding verdict (counted in the run's findings).
    pub finding: bool,
    /// For OPEN: `proven` or `accepted`.
    pub open_evidence: Option<String>,
    /// One sentence saying why.
    pub detail: String,
    /// Time spent.
    pub duration_ms: Option<u64>,
    /// The SMTP dialogue as text.
    pub transcript: Option<String>,
    /// The whole result as JSON.
    pub result: Option<String>,
    /// The server's name from its banner, kept as the relay's HELO when none is known.
    pub server_name: Option<String>,
}

/// A stored probe result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeResultRow {
    /// Store id.
    pub id: i64,
    /// The run it belongs to.
    pub run: i64,
    /// When it was recorded.
    pub probed_at: i64,
    /// Target as named.
    pub target: String,
    /// Address probed.
    pub ip: Option<String>,
    /// Port.
    pub port: Option<i64>,
    /// Verdict label.
    pub verdict: String,
    /// `proven` or `accepted` for OPEN.
    pub open_evidence: Option<String>,
    /// Why.
    pub detail: String,
    /// Time spent.
    pub duration_ms: Option<i64>,
    /// The dialogue (only filled by [`crate::Store::probe_run`] and
    /// [`crate::Store::probe_result`]).
    pub transcript: Option<String>,
    /// The whole result as JSON (only filled as `transcript` is).
    pub result: Option<String>,
}

/// An audit to store.
#[derive(Debug, Clone, Default)]
pub struct NewAudit {
    /// What was audited (path or `<stdin>`).
    pub source: String,
    /// The MTA detected or given.
    pub mta: Option<String>,
    /// The audit's verdict (`OPEN RELAY`, `CONDITIONAL`, `CLOSED`).
    pub verdict: Option<String>,
    /// Number of findings.
    pub findings: u64,
    /// Worst finding severity.
    pub max_severity: Option<String>,
    /// Parts that could not be checked.
    pub warnings: u64,
    /// The audit report as JSON.
    pub report: String,
}

/// A stored audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRow {
    /// Store id.
    pub id: i64,
    /// When.
    pub audited_at: i64,
    /// What was audited.
    pub source: String,
    /// MTA.
    pub mta: Option<String>,
    /// Verdict.
    pub verdict: Option<String>,
    /// Number of findings.
    pub findings: i64,
    /// Worst severity.
    pub max_severity: Option<String>,
    /// Parts not checked.
    pub warnings: i64,
    /// The report JSON (only filled by [`crate::Store::audit`]).
    pub report: Option<String>,
}

/// An abuse report written or sent.
#[derive(Debug, Clone, Default)]
pub struct NewReport {
    /// The relay reported.
    pub relay_ip: Option<IpAddr>,
    /// The stored message it is about, when known (by content hash).
    pub message_hash: Option<String>,
    /// The stored probe result it attaches, when known.
    pub probe_result: Option<i64>,
    /// `text`, `xarf`, `arf`, …
    pub format: String,
    /// Where it is addressed.
    pub recipient: Option<String>,
    /// `written`, `sent` or `failed`.
    pub status: String,
    /// The file written or the submission target.
    pub destination: Option<String>,
    /// Server reply or error.
    pub detail: Option<String>,
    /// The report as written.
    pub body: Option<String>,
}

/// A stored abuse report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportRow {
    /// Store id.
    pub id: i64,
    /// Created.
    pub created_at: i64,
    /// Last status change.
    pub updated_at: i64,
    /// Relay reported.
    pub relay_ip: Option<String>,
    /// Stored message id.
    pub message: Option<i64>,
    /// Stored probe result id.
    pub probe_result: Option<i64>,
    /// Format.
    pub format: String,
    /// Addressee.
    pub recipient: Option<String>,
    /// `written`, `sent`, `failed`.
    pub status: String,
    /// File or submission target.
    pub destination: Option<String>,
    /// Reply or error.
    pub detail: Option<String>,
}

/// Counts of everything in a store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Messages.
    pub messages: i64,
    /// Hops.
    pub hops: i64,
    /// Findings.
    pub findings: i64,
    /// Relays.
    pub relays: i64,
    /// Probe runs.
    pub probe_runs: i64,
    /// Probe results.
    pub probe_results: i64,
    /// Audits.
    pub audits: i64,
    /// Reports.
    pub reports: i64,
}
