//! A per-run answer cache over any [`Dns`], with counters.
//!
//! A batch of mail from one campaign asks the same questions thousands of times (the same
//! SPF record, the same relay's PTR, the same blocklist entry). Answers are kept for the
//! whole run whatever their TTL, because a run is short and its conclusions should not
//! change half-way; failures are kept too, so a server that never answers costs one
//! timeout per question instead of one per message. The table is bounded: when it is
//! full it is emptied and starts again, which keeps memory flat on any input.

use super::{fqdn, Dns, Kind, Lookup};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// [`Dns`] with a per-run cache.
pub struct CachedDns<D> {
    inner: D,
    table: Mutex<HashMap<(String, Kind), Lookup>>,
    max_entries: usize,
    asked: AtomicU64,
    sent: AtomicU64,
    failed: AtomicU64,
}

/// What the cache saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// Questions the checks asked.
    pub asked: u64,
    /// Questions that went to the resolver (cache misses).
    pub sent: u64,
    /// Of those, lookups that failed (timeouts, server errors).
    pub failed: u64,
}

impl<D: Dns> CachedDns<D> {
    /// Default bound on cached answers.
    pub const DEFAULT_MAX_ENTRIES: usize = 100_000;

    /// Cache answers of `inner`, at most `max_entries` at a time.
    pub fn new(inner: D, max_entries: usize) -> Self {
        CachedDns {
            inner,
            table: Mutex::new(HashMap::new()),
            max_entries: max_entries.max(1),
            asked: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> Stats {
        Stats {
            asked: self.asked.load(Ordering::Relaxed),
            sent: self.sent.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }

    fn cached(&self, key: &(String, Kind)) -> Option<Lookup> {
        self.table
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned()
    }
}

impl<D: Dns> Dns for CachedDns<D> {
    async fn query(&self, name: &str, kind: Kind) -> Lookup {
        self.asked.fetch_add(1, Ordering::Relaxed);
        let key = (fqdn(name), kind);
        if let Some(hit) = self.cached(&key) {
            return hit;
        }
        self.sent.fetch_add(1, Ordering::Relaxed);
        let answer = self.inner.query(&key.0, kind).await;
        if answer.is_err() {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
        let mut table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        if table.len() >= self.max_entries {
            table.clear();
        }
        table.insert(key, answer.clone());
        answer
    }
}
