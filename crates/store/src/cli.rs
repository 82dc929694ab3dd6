//! Command line: the `--store`/`--db` flags other subcommands gain, and `relayhunt relays`.
//!
//! `relayhunt relays` lists relays (most recently seen or most messages first) with
//! filters; `relayhunt relays show IP` prints one relay's history across messages, probes
//! and reports. Both take `--json`. Exit codes: 0 listed, 1 `show` of an address the store
//! has never seen, 2 the store could not be opened or read, or a flag is wrong.
//! Everything printed for people passes through [`clean`]: header values are written by
//! strangers and must not drive the terminal.

use crate::model::{RelayFilter, RelayHistory, RelayOrder};
use crate::time::{format_utc, parse_since};
use crate::{Store, StoreError};
use std::io::{self, Write};
use std::net::IpAddr;

/// `--store` and `--db`, flattened into `analyze`, `probe`, `audit` and `report`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct StoreArgs {
    /// Keep the results in the store (see --db).
    #[arg(long)]
    pub store: bool,
    /// The store: an SQLite file path or postgres://user@host:port/dbname
    /// [default: relayhunt/store.sqlite in the user's data directory].
    #[arg(long, value_name = "PATH|URL", env = "RELAYHUNT_DB")]
    pub db: Option<String>,
}

impl StoreArgs {
    /// The store to record into: `Ok(None)` without `--store`.
    pub fn open(&self) -> Result<Option<Store>, StoreError> {
        if !self.store {
            return Ok(None);
        }
        Store::open_or_default(self.db.as_deref()).map(Some)
    }
}

/// Arguments of `relayhunt relays`.
#[derive(Debug, clap::Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Exit codes: 0 listed, 1 `show` of an address never seen, 2 store or usage \
error.\nTimes are UTC. JSON shape: docs/store.md."
)]
pub struct RelaysArgs {
    #[command(subcommand)]
    pub command: Option<RelaysCommand>,
    #[command(flatten)]
    pub list: ListArgs,
}

/// `relayhunt relays` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum RelaysCommand {
    /// One relay's history across messages, probes and reports.
    Show(ShowArgs),
}

/// Order of `relayhunt relays`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum SortKey {
    /// Most recently seen first.
    #[default]
    LastSeen,
    /// Most stored messages first.
    Messages,
}

/// Flags of the relay list.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ListArgs {
    /// Only relays seen since: an age (7d, 12h), a date (2026-11-01) or a UTC time.
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Only relays with a message of this verdict (open_relay_suspected, forged_chain, …)
    /// or a probe of this verdict (open, closed, …).
    #[arg(long, value_name = "VERDICT")]
    pub verdict: Option<String>,
    /// Only relays with an abuse report written or sent.
    #[arg(long, conflicts_with = "not_reported")]
    pub reported: bool,
    /// Only relays never reported.
    #[arg(long)]
    pub not_reported: bool,
    /// Order of the list.
    #[arg(long, value_enum, default_value_t = SortKey::LastSeen)]
    pub sort: SortKey,
    /// Most relays listed (0 = all).
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub limit: usize,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
    /// The store to read [default: relayhunt/store.sqlite in the user's data directory].
    #[arg(long, value_name = "PATH|URL", env = "RELAYHUNT_DB")]
    pub db: Option<String>,
}

/// Flags of `relayhunt relays show`.
#[derive(Debug, Clone, clap::Args)]
pub struct ShowArgs {
    /// The relay's IP address.
    pub ip: IpAddr,
    /// Most messages, probes and reports listed each (0 = all).
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub limit: usize,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
    /// The store to read [default: relayhunt/store.sqlite in the user's data directory].
    #[arg(long, value_name = "PATH|URL", env = "RELAYHUNT_DB")]
    pub db: Option<String>,
}

/// Text written by strangers, made safe for a terminal: control characters (escape
/// sequences, carriage returns, bidi overrides) become `?`, and overlong text is cut.
pub fn clean(s: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max_chars * 4));
    for (n, c) in s.chars().enumerate() {
        if n == max_chars {
            out.push('…');
            break;
        }
        let bidi = matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        out.push(if c.is_control() || bidi { '?' } else { c });
    }
    out
}

fn fail(e: impl std::fmt::Display) -> u8 {
    eprintln!("relayhunt relays: {e}");
    2
}

/// Run `relayhunt relays`; returns the exit code.
pub fn run_relays(args: RelaysArgs) -> u8 {
    let out = io::stdout();
    let result = match args.command {
        Some(RelaysCommand::Show(show)) => run_show(&show, out.lock()),
        None => run_list(&args.list, out.lock(), crate::now()),
    };
    match result {
        Ok(code) => code,
        Err(RunError::Store(e)) => fail(e),
        Err(RunError::Usage(e)) => fail(e),
        Err(RunError::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => 0,
        Err(RunError::Output(e)) => fail(format!("cannot write output: {e}")),
    }
}

/// Why `relays` stopped.
#[derive(Debug)]
pub enum RunError {
    /// The store failed.
    Store(StoreError),
    /// A flag is wrong.
    Usage(String),
    /// Writing the output failed.
    Output(io::Error),
}

impl From<StoreError> for RunError {
    fn from(e: StoreError) -> Self {
        RunError::Store(e)
    }
}

impl From<io::Error> for RunError {
    fn from(e: io::Error) -> Self {
        RunError::Output(e)
    }
}

/// The relay list for these flags, written to `out` (`now` anchors `--since 7d`).
pub fn run_list<W: Write>(args: &ListArgs, mut out: W, now: i64) -> Result<u8, RunError> {
    let since = args
        .since
        .as_deref()
        .map(|s| parse_since(s, now))
        .transpose()
        .map_err(RunError::Usage)?;
    let filter = RelayFilter {
        since,
        verdict: args.verdict.clone(),
        reported: match (args.reported, args.not_reported) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
        order: match args.sort {
            SortKey::LastSeen => RelayOrder::LastSeen,
            SortKey::Messages => RelayOrder::MessageCount,
        },
        limit: args.limit,
    };
    let mut store = Store::open_or_default(args.db.as_deref())?;
    let relays = store.relays(&filter)?;
    if args.json {
        serde_json::to_writer_pretty(&mut out, &relays).map_err(io::Error::other)?;
        writeln!(out)?;
        return Ok(0);
    }
    if relays.is_empty() {
        writeln!(out, "no relays in {} match", store.location())?;
        return Ok(0);
    }
    writeln!(
        out,
        "{:<39}  {:<16}  {:<16}  {:>8}  {:<20}  {:<8}  rDNS / owner",
        "relay", "last seen (UTC)", "first seen", "messages", "last probe", "reported"
    )?;
    for r in &relays {
        let probe = r.last_probe_verdict.as_deref().unwrap_or("-");
        let reported = if r.report_count > 0 {
            format!("{}x", r.report_count)
        } else {
            "no".into()
        };
        let who = match (&r.rdns, &r.owner) {
            (Some(d), Some(o)) => format!("{d} · {o}"),
            (Some(d), None) => d.clone(),
            (None, Some(o)) => o.clone(),
            (None, None) => "-".into(),
        };
        writeln!(
            out,
            "{:<39}  {:<16}  {:<16}  {:>8}  {:<20}  {:<8}  {}",
            r.ip,
            format_utc(r.last_seen),
            format_utc(r.first_seen),
            r.message_count,
            clean(probe, 20),
            reported,
            clean(&who, 120)
        )?;
    }
    Ok(0)
}

/// One relay's history written to `out`; `Ok(1)` when the store never saw it.
pub fn run_show<W: Write>(args: &ShowArgs, mut out: W) -> Result<u8, RunError> {
    let mut store = Store::open_or_default(args.db.as_deref())?;
    let Some(h) = store.relay(args.ip, args.limit)? else {
        if args.json {
            writeln!(out, "null")?;
        }
        eprintln!(
            "relayhunt relays: {} is not in the store {}",
            args.ip,
            store.location()
        );
        return Ok(1);
    };
    if args.json {
        serde_json::to_writer_pretty(&mut out, &HistoryDoc::from(&h)).map_err(io::Error::other)?;
        writeln!(out)?;
        return Ok(0);
    }
    write_history(&h, &mut out)?;
    Ok(0)
}

/// `relays show --json` (and the web UI's `/api/relays/{ip}`): the history with the owner
/// record as JSON, not a string.
#[derive(Debug, serde::Serialize)]
pub struct HistoryDoc<'a> {
    /// The relay row, its fields at the top level.
    #[serde(flatten)]
    pub relay: &'a crate::model::Relay,
    /// The owner record as looked up, when it was.
    pub owner_record: Option<serde_json::Value>,
    /// Messages it relayed, newest first.
    pub messages: &'a [crate::model::MessageRow],
    /// Probes of it, newest first.
    pub probes: &'a [crate::model::ProbeResultRow],
    /// Reports about it, newest first.
    pub reports: &'a [crate::model::ReportRow],
}

impl<'a> From<&'a RelayHistory> for HistoryDoc<'a> {
    fn from(h: &'a RelayHistory) -> Self {
        HistoryDoc {
            relay: &h.relay,
            owner_record: h
                .owner_json
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok()),
            messages: &h.messages,
            probes: &h.probes,
            reports: &h.reports,
        }
    }
}

fn write_history<W: Write>(h: &RelayHistory, out: &mut W) -> io::Result<()> {
    let r = &h.relay;
    writeln!(out, "relay {}", r.ip)?;
    if let Some(d) = &r.rdns {
        writeln!(out, "  rDNS        {}", clean(d, 200))?;
    }
    if let Some(helo) = &r.helo {
        writeln!(out, "  HELO        {}", clean(helo, 200))?;
    }
    writeln!(
        out,
        "  seen        {} … {} UTC",
        format_utc(r.first_seen),
        format_utc(r.last_seen)
    )?;
    writeln!(
        out,
        "  messages    {}   probes {}   reports {}",
        r.message_count, r.probe_count, r.report_count
    )?;
    if let Some(o) = &r.owner {
        writeln!(out, "  owner       {}", clean(o, 300))?;
    }
    if let Some(a) = &r.abuse_contact {
        writeln!(out, "  abuse       {}", clean(a, 200))?;
    }
    if !h.messages.is_empty() {
        writeln!(out, "\nmessages (newest first)")?;
        for m in &h.messages {
            writeln!(
                out,
                "  {}  {:<22} from {}  subject {}",
                format_utc(m.seen_at),
                m.verdict,
                clean(m.from_addr.as_deref().unwrap_or("-"), 80),
                clean(m.subject.as_deref().unwrap_or("-"), 80)
            )?;
            writeln!(out, "      #{} {}", m.id, clean(&m.source, 160))?;
        }
    }
    if !h.probes.is_empty() {
        writeln!(out, "\nprobes (newest first)")?;
        for p in &h.probes {
            writeln!(
                out,
                "  {}  {:<20} {}  run #{}  {}",
                format_utc(p.probed_at),
                p.verdict,
                clean(&p.target, 80),
                p.run,
                clean(&p.detail, 160)
            )?;
        }
    }
    if !h.reports.is_empty() {
        writeln!(out, "\nreports (newest first)")?;
        for rep in &h.reports {
            writeln!(
                out,
                "  {}  {:<8} {:<6} to {}  {}",
                format_utc(rep.created_at),
                rep.status,
                rep.format,
                clean(rep.recipient.as_deref().unwrap_or("-"), 80),
                clean(rep.destination.as_deref().unwrap_or(""), 160)
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn terminal_escapes_never_pass() {
        assert_eq!(clean("ok\x1b[31mred\r\n", 100), "ok?[31mred??");
        assert_eq!(clean("a\u{202e}b", 100), "a?b");
        assert_eq!(clean("abcdef", 3), "abc…");
    }
}
