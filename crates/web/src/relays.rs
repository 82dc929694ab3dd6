//! Relay intelligence for the pages: which relays were seen, and one relay's history.
//!
//! Built from the analyses this server holds; the rows are plain values with serde so the
//! relay pages and their JSON API render the same data.

use crate::analysis::Analysis;
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

/// One relay in the list.
#[derive(Debug, Clone, Serialize)]
pub struct RelaySummary {
    pub ip: IpAddr,
    /// Reverse DNS recorded for it (latest seen).
    pub rdns: Option<String>,
    /// Messages that came through it.
    pub messages: usize,
    /// Earliest and latest message date (seconds since the epoch), when dated.
    pub first_seen_unix: Option<i64>,
    pub last_seen_unix: Option<i64>,
    /// Verdicts of those messages, by JSON name, with counts.
    pub verdicts: BTreeMap<String, usize>,
    /// Best abuse contact when an owner lookup found one.
    pub abuse_contact: Option<String>,
}

/// One message in a relay's history.
#[derive(Debug, Clone, Serialize)]
pub struct RelayMessage {
    /// Analysis id (`/analysis/{id}`).
    pub id: String,
    pub subject: Option<String>,
    pub from: Option<String>,
    pub date_unix: Option<i64>,
    pub verdict: String,
    pub severity: String,
}

/// Everything known about one relay.
#[derive(Debug, Clone, Serialize)]
pub struct RelayHistory {
    pub summary: Option<RelaySummary>,
    pub messages: Vec<RelayMessage>,
}

fn date_of(a: &Analysis) -> Option<i64> {
    let r = &a.report;
    let entry = r.boundary.as_ref().map(|b| b.entry_hop);
    entry
        .and_then(|i| r.hops.get(i))
        .and_then(|h| h.date.map(|d| d.unix))
        .or(r.summary.date_unix)
}

fn add(summary: &mut RelaySummary, a: &Analysis) {
    summary.messages += 1;
    if let Some(d) = date_of(a) {
        summary.first_seen_unix = Some(summary.first_seen_unix.map_or(d, |f| f.min(d)));
        summary.last_seen_unix = Some(summary.last_seen_unix.map_or(d, |l| l.max(d)));
    }
    if let Some(r) = a
        .report
        .boundary
        .as_ref()
        .and_then(|b| b.relay_rdns.clone())
    {
        summary.rdns.get_or_insert(r);
    }
    *summary
        .verdicts
        .entry(crate::text::serde_name(&a.report.verdict.kind))
        .or_default() += 1;
    if summary.abuse_contact.is_none() {
        summary.abuse_contact = a.relay_abuse();
    }
}

/// Relays of the kept analyses, most messages first, then latest seen.
pub fn list(recent: &[Arc<Analysis>]) -> Vec<RelaySummary> {
    let mut by_ip: BTreeMap<IpAddr, RelaySummary> = BTreeMap::new();
    for a in recent {
        let Some(ip) = a.report.relay_ip else {
            continue;
        };
        let s = by_ip.entry(ip).or_insert_with(|| RelaySummary {
            ip,
            rdns: None,
            messages: 0,
            first_seen_unix: None,
            last_seen_unix: None,
            verdicts: BTreeMap::new(),
            abuse_contact: None,
        });
        add(s, a);
    }
    let mut v: Vec<RelaySummary> = by_ip.into_values().collect();
    v.sort_by(|a, b| {
        b.messages
            .cmp(&a.messages)
            .then(b.last_seen_unix.cmp(&a.last_seen_unix))
    });
    v
}

/// The history of `ip` among the kept analyses.
pub fn history(recent: &[Arc<Analysis>], ip: IpAddr) -> RelayHistory {
    let through: Vec<&Arc<Analysis>> = recent
        .iter()
        .filter(|a| a.report.relay_ip == Some(ip))
        .collect();
    let summary = list(&through.iter().map(|a| Arc::clone(a)).collect::<Vec<_>>())
        .into_iter()
        .next();
    let messages = through
        .iter()
        .map(|a| RelayMessage {
            id: a.id.clone(),
            subject: a.report.summary.subject.clone(),
            from: a
                .report
                .summary
                .from
                .as_ref()
                .and_then(|m| m.address.clone()),
            date_unix: date_of(a),
            verdict: crate::text::serde_name(&a.report.verdict.kind),
            severity: crate::text::serde_name(&a.report.verdict.severity),
        })
        .collect();
    RelayHistory { summary, messages }
}
