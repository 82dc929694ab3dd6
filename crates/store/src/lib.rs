//! The relayhunt store: everything seen, kept, so a run can answer "have we seen this relay
//! before, how often, did we probe it, did we report it?".
//!
//! One [`Store`] API over two engines with the same schema and behaviour:
//! - **SQLite** (default): one file, by default `relayhunt/store.sqlite` in the user's data
//!   directory ([`default_path`]); `--db PATH` chooses another.
//! - **PostgreSQL** for a team sharing one store: `--db postgres://user@host:port/dbname`.
//!
//! [`Store::open`] takes either form, creates what is missing and runs the versioned
//! migrations (`migrate.rs`) before returning. The API is blocking and takes `&mut self`;
//! a store is `Send`, so share one between threads behind a `Mutex`, and from async code
//! call it inside `tokio::task::spawn_blocking`.
//!
//! # What is kept
//! | records | written by | read with |
//! |---|---|---|
//! | analysed messages (content hash, source, dates, from, subject, verdict, whole JSON report), their hops and findings | [`Store::add_messages`] (`analyze --store`) | [`Store::messages`], [`Store::message`] |
//! | relays (IP, rDNS, HELO, first/last seen, message, probe and report counts, owner and abuse contact) | the three writers below, [`Store::set_owner`] | [`Store::relays`], [`Store::relay`] |
//! | probe runs and per-target results with transcripts | [`Store::start_probe_run`], [`Store::add_probe_result`], [`Store::finish_probe_run`] (`probe --store`) | [`Store::probe_runs`], [`Store::probe_run`], [`Store::probe_result`] |
//! | audits (source, MTA, counts, whole JSON report) | [`Store::add_audit`] (`audit --store`) | [`Store::audits`], [`Store::audit`] |
//! | abuse reports written or sent, with status | [`Store::add_report`], [`Store::set_report_status`] (`report`) | [`Store::reports`] |
//!
//! # Duplicates and crashes
//! A message's identity is the SHA-256 of its raw bytes ([`NewMessage::content_hash`]):
//! storing the same message again changes nothing ([`AddStats::duplicates`]), and the
//! relay's message count only moves when a message is new. [`Store::add_messages`] writes a
//! whole batch in one transaction, so a process killed part-way leaves every earlier batch
//! complete and none of the interrupted one; running the same import again stores exactly
//! what is missing.
//!
//! # Example
//! ```
//! use relayhunt_store::{NewMessage, RelayFilter, Store};
//! let dir = tempfile::tempdir().unwrap();
//! let mut store = Store::open(dir.path().join("s.sqlite").to_str().unwrap()).unwrap();
//! let msg = NewMessage {
//!     content_hash: "ab".repeat(32),
//!     source: "spam.eml".into(),
//!     seen_at: Some(1_700_000_000),
//!     verdict: "open_relay_suspected".into(),
//!     severity: "high".into(),
//!     relay_ip: Some("192.0.2.7".parse().unwrap()),
//!     report: "{}".into(),
//!     ..NewMessage::default()
//! };
//! let first = store.add_messages(&[msg.clone()]).unwrap();
//! let again = store.add_messages(&[msg]).unwrap();
//! assert_eq!((first.added, again.added, again.duplicates), (1, 0, 1));
//! let relays = store.relays(&RelayFilter::default()).unwrap();
//! assert_eq!((relays[0].ip.as_str(), relays[0].message_count), ("192.0.2.7", 1));
//! ```

pub mod cli;
mod error;
mod from_analyze;
#[cfg(feature = "hooks")]
mod from_audit;
#[cfg(feature = "hooks")]
mod from_probe;
#[cfg(feature = "hooks")]
mod from_takedown;
mod migrate;
mod model;
mod postgres;
mod read;
mod sql;
mod sqlite;
pub mod time;
mod write;

pub use error::StoreError;
pub use from_analyze::{hex, Recorder};
#[cfg(feature = "hooks")]
pub use from_probe::ProbeLog;
pub use model::*;
pub use sql::Backend;

use sql::Db;
use std::path::{Path, PathBuf};

/// An open store (SQLite file or PostgreSQL database), schema up to date.
pub struct Store {
    db: Box<dyn Db>,
    location: String,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .field("location", &self.location)
            .finish()
    }
}

/// True when `target` names a PostgreSQL server rather than a file.
pub fn is_postgres_url(target: &str) -> bool {
    let t = target.trim_start();
    t.starts_with("postgres://") || t.starts_with("postgresql://")
}

/// Where the store lives when `--db` is not given: `$XDG_DATA_HOME/relayhunt/store.sqlite`,
/// else `~/.local/share/relayhunt/store.sqlite` (on Windows `%APPDATA%\relayhunt\…`).
pub fn default_path() -> Result<PathBuf, StoreError> {
    let non_empty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    let base = if let Some(x) = non_empty("XDG_DATA_HOME") {
        PathBuf::from(x)
    } else if let Some(h) = non_empty("HOME") {
        PathBuf::from(h).join(".local").join("share")
    } else if let Some(a) = non_empty("APPDATA") {
        PathBuf::from(a)
    } else {
        return Err(StoreError::NoDataDir);
    };
    Ok(base.join("relayhunt").join("store.sqlite"))
}

/// Unix seconds now.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl Store {
    /// Open the store named by `target`: a `postgres://` / `postgresql://` URL, or the path
    /// of an SQLite file (created with its folder when missing). Runs pending migrations.
    pub fn open(target: &str) -> Result<Store, StoreError> {
        if is_postgres_url(target) {
            let db = postgres::Postgres::open(target.trim())?;
            Store::with(Box::new(db), redact(target))
        } else {
            Store::open_file(Path::new(target))
        }
    }

    /// Open `target` when given, else the default file ([`default_path`]).
    pub fn open_or_default(target: Option<&str>) -> Result<Store, StoreError> {
        match target {
            Some(t) => Store::open(t),
            None => Store::open_file(&default_path()?),
        }
    }

    /// Open (or create) an SQLite store at `path`.
    pub fn open_file(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Folder {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let db = sqlite::Sqlite::open(path)?;
        Store::with(Box::new(db), path.display().to_string())
    }

    fn with(mut db: Box<dyn Db>, location: String) -> Result<Store, StoreError> {
        migrate::run(db.as_mut(), now())?;
        Ok(Store { db, location })
    }

    /// The engine behind this store.
    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// The file path or the server (without password), for messages.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The schema version in force.
    pub fn schema_version(&mut self) -> Result<i64, StoreError> {
        migrate::current(self.db.as_mut())
    }

    /// The newest schema version this build knows.
    pub fn latest_schema_version() -> i64 {
        migrate::latest()
    }

    /// Run `f` in one transaction: committed when it returns `Ok`, rolled back otherwise.
    fn transaction<T>(
        &mut self,
        f: impl FnOnce(&mut dyn Db) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.db.begin()?;
        match f(self.db.as_mut()) {
            Ok(v) => {
                self.db.batch("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.db.batch("ROLLBACK");
                Err(e)
            }
        }
    }
}

/// A connection URL with any password replaced by `***`.
fn redact(url: &str) -> String {
    let url = url.trim();
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (auth, host) = match rest.rfind('@') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => return url.to_string(),
    };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_shown() {
        assert_eq!(
            redact("postgres://ana:s3cret@db.example:5432/hunt"),
            "postgres://ana:***@db.example:5432/hunt"
        );
        assert_eq!(
            redact("postgresql://127.0.0.1/x"),
            "postgresql://127.0.0.1/x"
        );
        assert!(is_postgres_url(" postgres://x"));
        assert!(!is_postgres_url("/var/lib/relayhunt/store.sqlite"));
    }
}
