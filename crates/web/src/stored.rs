//! The store behind the relay, message, probe and audit pages, and recording analyses in it.
//!
//! The store API is blocking (SQLite calls, or a PostgreSQL connection on its own thread),
//! so every call here runs on tokio's blocking pool through [`with_store`], holding the one
//! connection behind a mutex for the length of one query. The pages and their JSON twins
//! call the same functions, so both always show the same rows.

use crate::analysis::Analysis;
use crate::app::Shared;
use axum::http::StatusCode;
use relayhunt_analyze::batch::Analyzed;
use relayhunt_analyze::input::Location;
use relayhunt_store::{NewMessage, RelayFilter, RelayOrder, Store, StoreError};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};

/// Why a store-backed page has nothing to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreFail {
    /// The server runs without a store.
    Absent,
    /// A query parameter is wrong (message says which and how to write it).
    Usage(String),
    /// The store failed.
    Failed(String),
}

impl StoreFail {
    /// The HTTP status and the message for people.
    pub fn status(&self) -> (StatusCode, String) {
        match self {
            StoreFail::Absent => (
                StatusCode::SERVICE_UNAVAILABLE,
                "This server runs without a store: start it with `relayhunt serve` \
                 (optionally --db PATH or postgres://…)."
                    .to_string(),
            ),
            StoreFail::Usage(m) => (StatusCode::BAD_REQUEST, m.clone()),
            StoreFail::Failed(m) => (StatusCode::INTERNAL_SERVER_ERROR, format!("store: {m}")),
        }
    }
}

impl From<StoreError> for StoreFail {
    fn from(e: StoreError) -> Self {
        StoreFail::Failed(e.to_string())
    }
}

/// Run `f` on the store, on the blocking pool.
pub async fn with_store<T, F>(state: &Shared, f: F) -> Result<T, StoreFail>
where
    T: Send + 'static,
    F: FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
{
    let store = state.store.clone().ok_or(StoreFail::Absent)?;
    tokio::task::spawn_blocking(move || {
        let mut s = store.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut s).map_err(StoreFail::from)
    })
    .await
    .map_err(|e| StoreFail::Failed(format!("query stopped: {e}")))?
}

/// Query of the relay list (page and API), as `relayhunt relays` takes it.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct RelayQuery {
    /// An age (`7d`, `12h`), a date (`2026-11-01`), a UTC time or `@unix`.
    #[serde(default)]
    pub since: Option<String>,
    /// A message verdict (`open_relay_suspected`, …) or a probe verdict (`open`, …).
    #[serde(default)]
    pub verdict: Option<String>,
    /// `yes` (only reported relays) or `no` (never reported); empty for all.
    #[serde(default)]
    pub reported: Option<String>,
    /// `last-seen` (default) or `messages`.
    #[serde(default)]
    pub sort: Option<String>,
    /// Most rows (default 100, 0 = all).
    #[serde(default)]
    pub limit: Option<usize>,
}

fn set(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl RelayQuery {
    /// The store filter for this query; `now` anchors ages like `7d`.
    pub fn filter(&self, now: i64) -> Result<RelayFilter, StoreFail> {
        let since = set(&self.since)
            .map(|s| relayhunt_store::time::parse_since(s, now))
            .transpose()
            .map_err(|e| StoreFail::Usage(e.replacen("--since", "since", 1)))?;
        let reported = match set(&self.reported) {
            None => None,
            Some("yes" | "true" | "1") => Some(true),
            Some("no" | "false" | "0") => Some(false),
            Some(other) => {
                return Err(StoreFail::Usage(format!(
                    "reported={other:?}: use yes, no, or leave it empty for all"
                )))
            }
        };
        let order = match set(&self.sort) {
            None | Some("last-seen") => RelayOrder::LastSeen,
            Some("messages") => RelayOrder::MessageCount,
            Some(other) => {
                return Err(StoreFail::Usage(format!(
                    "sort={other:?}: use last-seen or messages"
                )))
            }
        };
        Ok(RelayFilter {
            since,
            verdict: set(&self.verdict).map(str::to_string),
            reported,
            order,
            limit: self.limit.unwrap_or(100),
        })
    }
}

/// What recording an analysis in the store did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recorded {
    /// The stored message's id (`/messages/{id}`).
    pub message_id: i64,
    /// False when the same message was stored before (nothing was added).
    pub new: bool,
    /// The store (file path, or the server without password).
    pub store: String,
}

/// The source name a web analysis is stored under.
fn source_of(a: &Analysis) -> String {
    match &a.file_name {
        Some(n) => format!("web upload {}", crate::text::clip(n, 200)),
        None => "web paste".to_string(),
    }
}

/// Keep `a` in `store` (deduplicated by content like `analyze --store`), blocking.
pub fn record(store: &Mutex<Store>, a: &Analysis) -> Result<Recorded, StoreError> {
    use sha2::Digest;
    let analyzed = Analyzed {
        location: Location {
            path: Arc::from(source_of(a)),
            message: None,
            offset: 0,
        },
        report: a.report.clone(),
        bytes: a.size,
        truncated_by: None,
        owners: a.owners.clone(),
        line: None,
        sha256: Some(sha2::Sha256::digest(&a.raw).into()),
        verification: None,
    };
    let json = relayhunt_analyze::output::json::analyzed(&analyzed)
        .map_err(|e| StoreError::Invalid(format!("cannot serialise the report: {e}")))?;
    let m = NewMessage::from_analyzed(&analyzed, json)?;
    let hash = m.content_hash.clone();
    let mut s = store.lock().unwrap_or_else(|e| e.into_inner());
    let stats = s.add_messages(std::slice::from_ref(&m))?;
    let stored = s.message_by_hash(&hash)?.ok_or_else(|| {
        StoreError::Invalid(format!("message {hash} not found right after storing it"))
    })?;
    Ok(Recorded {
        message_id: stored.row.id,
        new: stats.added > 0,
        store: s.location().to_string(),
    })
}

/// Unix seconds now (anchors `since=7d`).
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// JSON text kept in the store, as a JSON value (a string when it does not parse).
pub fn json_value(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.to_string()))
}
