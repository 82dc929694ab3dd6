//! What the server holds between requests: options, the owner lookup, recent analyses.
//!
//! Analyses are kept in memory, newest first, at most [`Options::keep`] of them, so a
//! page, its SVG and its abuse report can be fetched after the upload without writing the
//! message anywhere; the oldest is dropped first. The store (`--db`), when there is one,
//! is what the relay, message, probe and audit pages read, and where analyses are recorded
//! when asked.

use crate::analysis::Analysis;
use relayhunt_analyze::owner::OwnerLookup;
use relayhunt_store::Store;
use relayhunt_takedown::config::Reporter;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// Server options (from `relayhunt serve` flags, or set by tests).
#[derive(Debug, Clone)]
pub struct Options {
    /// Receivers to trust, as `analyze --trusted`.
    pub trusted: Vec<String>,
    /// Largest accepted request body in bytes (uploads and pasted headers).
    pub max_upload: usize,
    /// Analyses kept in memory.
    pub keep: usize,
    /// Analysis time; `None` means the clock at each upload (tests fix it).
    pub now: Option<i64>,
    /// Host names (besides `localhost` and loopback addresses) requests may be addressed to.
    pub allowed_hosts: Vec<String>,
    /// Addresses (besides loopback) requests may be addressed to: the bind address.
    pub allowed_ips: Vec<std::net::IpAddr>,
    /// Record every analysis in the store (`serve --store`), not only those asked for.
    pub store_all: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            trusted: Vec::new(),
            max_upload: 10 * 1024 * 1024,
            keep: 200,
            now: None,
            allowed_hosts: Vec::new(),
            allowed_ips: Vec::new(),
            store_all: false,
        }
    }
}

/// Shared state behind every handler.
pub struct AppState {
    pub options: Options,
    /// Owner and abuse-contact lookup for relay and origin IPs (`--owner`).
    pub owner: Option<Arc<dyn OwnerLookup + Send + Sync>>,
    /// Who abuse reports are from, or why that is not configured.
    pub reporter: Result<Reporter, String>,
    /// The store the pages read and analyses are recorded in; `None` runs without one.
    pub store: Option<Arc<Mutex<Store>>>,
    recent: Mutex<VecDeque<Arc<Analysis>>>,
}

impl AppState {
    /// State with no analyses yet.
    pub fn new(
        options: Options,
        owner: Option<Arc<dyn OwnerLookup + Send + Sync>>,
        reporter: Result<Reporter, String>,
    ) -> Self {
        AppState {
            options,
            owner,
            reporter,
            store: None,
            recent: Mutex::new(VecDeque::new()),
        }
    }

    /// The same state reading and recording into `store`.
    pub fn with_store(mut self, store: Store) -> Self {
        self.store = Some(Arc::new(Mutex::new(store)));
        self
    }

    /// Keep `a` (replacing an earlier analysis of the same bytes), dropping the oldest
    /// beyond the limit.
    pub fn keep(&self, a: Arc<Analysis>) {
        let mut r = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        r.retain(|x| x.id != a.id);
        r.push_front(a);
        r.truncate(self.options.keep.max(1));
    }

    /// The kept analysis with this id.
    pub fn get(&self, id: &str) -> Option<Arc<Analysis>> {
        let r = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        r.iter().find(|a| a.id == id).cloned()
    }

    /// Kept analyses, newest first.
    pub fn recent(&self) -> Vec<Arc<Analysis>> {
        let r = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        r.iter().cloned().collect()
    }
}
