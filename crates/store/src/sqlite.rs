//! The SQLite backend: one file, WAL journal, statements prepared once and cached.
//!
//! WAL with `synchronous = NORMAL` makes every committed transaction survive the process
//! being killed (only an operating-system crash or power loss can drop the last commits),
//! and lets readers (`relayhunt relays`, the web UI) run while a batch is writing. A busy
//! timeout makes a second writer wait for the first instead of failing at once.
//!
//! Bulk imports write batches of ~1,000 messages (each with its JSON report, several KB)
//! per transaction. With SQLite's defaults that batch does not fit the 2 MB page cache, so
//! pages spill to the WAL before the commit, statement journals go to temporary files, and
//! a checkpoint (copy back and fsync) follows nearly every commit. The page cache is
//! therefore capped at [`CACHE_KIB`], temporary data stays in memory and checkpoints run
//! every [`CHECKPOINT_PAGES`] pages: a fixed ceiling on memory, whatever the input size.

use crate::error::StoreError;
use crate::sql::{Backend, Db, Row, Value};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::Connection;
use std::path::Path;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a writer waits for another writer's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Page cache ceiling per connection, in KiB: a whole import batch with its indexes.
const CACHE_KIB: u32 = 32 * 1024;

/// WAL pages (4 KiB) written before an automatic checkpoint: a few batches, so pages that
/// every batch touches (index interiors, relays) are copied back once for several commits.
const CHECKPOINT_PAGES: u32 = 8192;

/// An open SQLite store.
pub(crate) struct Sqlite {
    conn: Connection,
    file: std::path::PathBuf,
    path: String,
}

/// WAL pages the writer lets pile up before checkpointing itself while checkpoints run on
/// their own thread ([`Checkpoints`]): only reached when that thread falls behind, so the
/// WAL file stays bounded (~256 MiB) whatever the import size.
const CHECKPOINT_PAGES_BEHIND: u32 = 65_536;

/// Checkpoints of a bulk writer, run by a second connection on a thread of its own:
/// copying the WAL back into the database file and syncing it is about a quarter of the
/// writer's time, and it need not hold up the next batch. Dropping it lets the last
/// checkpoint finish; the file is left consistent either way (the WAL is the truth).
pub(crate) struct Checkpoints {
    wake: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpoints {
    /// A transaction was committed: checkpoint soon (requests made while one runs merge).
    pub(crate) fn committed(&self) {
        if let Some(w) = &self.wake {
            let _ = w.try_send(());
        }
    }
}

impl Drop for Checkpoints {
    fn drop(&mut self) {
        self.wake = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Sqlite {
    /// Open (creating when missing) the database file at `path`.
    pub(crate) fn open(path: &Path) -> Result<Sqlite, StoreError> {
        let shown = path.display().to_string();
        let err = |source| StoreError::Sqlite {
            path: shown.clone(),
            source,
        };
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        conn.set_prepared_statement_cache_capacity(64);
        // journal_mode answers with the mode in force; WAL is refused only on
        // filesystems without shared memory, where the default journal still works.
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .map_err(err)?;
        conn.execute_batch(&format!(
            "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
             PRAGMA cache_size = -{CACHE_KIB}; PRAGMA temp_store = MEMORY; \
             PRAGMA wal_autocheckpoint = {CHECKPOINT_PAGES};"
        ))
        .map_err(err)?;
        Ok(Sqlite {
            conn,
            file: path.to_path_buf(),
            path: shown,
        })
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }
}

/// `$1` → `?1`: the statements are written for PostgreSQL. Runs on every statement
/// (before the prepared-statement cache lookup), so it jumps from `$` to `$` with memchr
/// and copies nothing when there is no placeholder.
fn placeholders(sql: &str) -> std::borrow::Cow<'_, str> {
    let b = sql.as_bytes();
    let mut hits = memchr::memchr_iter(b'$', b)
        .filter(|&i| b.get(i + 1).is_some_and(u8::is_ascii_digit))
        .peekable();
    if hits.peek().is_none() {
        return std::borrow::Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len());
    let mut start = 0;
    for i in hits {
        // `$` is ASCII: `i` and `i + 1` are character boundaries.
        out.push_str(&sql[start..i]);
        out.push('?');
        start = i + 1;
    }
    out.push_str(&sql[start..]);
    std::borrow::Cow::Owned(out)
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

fn value(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        // The schema has no REAL columns; a stray one is kept as its integer part.
        ValueRef::Real(f) => Value::Int(f as i64),
        ValueRef::Text(t) | ValueRef::Blob(t) => Value::Text(String::from_utf8_lossy(t).into()),
    }
}

impl Db for Sqlite {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.conn.execute_batch(sql).map_err(|e| self.err(e))
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let sql = placeholders(sql);
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .map_err(|e| StoreError::Sqlite {
                path: self.path.clone(),
                source: e,
            })?;
        let n = stmt
            .execute(rusqlite::params_from_iter(params.iter()))
            .map_err(|e| StoreError::Sqlite {
                path: self.path.clone(),
                source: e,
            })?;
        Ok(n as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let sql = placeholders(sql);
        let path = &self.path;
        let err = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let mut stmt = self.conn.prepare_cached(&sql).map_err(err)?;
        let columns = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params.iter()))
            .map_err(err)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(err)? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(value(row.get_ref(i).map_err(err)?));
            }
            out.push(Row(values));
        }
        Ok(out)
    }

    fn begin(&mut self) -> Result<(), StoreError> {
        self.batch("BEGIN IMMEDIATE")
    }

    fn background_checkpoints(&mut self) -> Result<Option<Checkpoints>, StoreError> {
        let other = Connection::open(&self.file).map_err(|e| self.err(e))?;
        other.busy_timeout(BUSY_TIMEOUT).map_err(|e| self.err(e))?;
        self.batch(&format!(
            "PRAGMA wal_autocheckpoint = {CHECKPOINT_PAGES_BEHIND}"
        ))?;
        let (wake, requests) = sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("store-checkpoint".into())
            .spawn(move || {
                for () in requests.iter() {
                    // PASSIVE never waits for the writer; a busy or failed checkpoint is
                    // retried after the next commit, or done by the writer itself.
                    let _ = other.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
            })
            .map_err(|e| StoreError::Writer(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Some(Checkpoints {
            wake: Some(wake),
            thread: Some(thread),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::placeholders;

    #[test]
    fn dollar_placeholders_become_question_marks() {
        assert_eq!(
            placeholders("SELECT a FROM t WHERE b = $1 AND c > $12"),
            "SELECT a FROM t WHERE b = ?1 AND c > ?12"
        );
        assert_eq!(placeholders("SELECT '$' || x"), "SELECT '$' || x");
    }
}
