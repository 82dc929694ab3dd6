//! Versioned schema migrations, applied in order when a store is opened.
//!
//! The migrations are data: a version, a name saying why, and DDL written once for both
//! engines. `BIGINT` and `TEXT` mean the same on both; `{id}` is the one spelling that
//! differs (SQLite's rowid alias vs PostgreSQL's identity column). Applied versions are
//! recorded in `schema_migrations`; each migration runs in its own transaction with the
//! write lock held, so two processes opening a fresh store at once apply it once. A
//! store newer than this build is refused rather than misread. Never edit a released
//! migration: add the next one.

use crate::error::StoreError;
use crate::sql::{Backend, Db, Value};

/// One schema step.
pub(crate) struct Migration {
    /// Applied in increasing order, starting at 1.
    pub(crate) version: i64,
    /// What it does and why.
    pub(crate) name: &'static str,
    /// The DDL, statements separated by `;`.
    pub(crate) sql: &'static str,
}

/// Every migration, oldest first.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "messages with hops and findings, relays, probe runs and results, audits, reports",
        sql: r#"
CREATE TABLE messages (
    id {id},
    content_hash TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    stored_at BIGINT NOT NULL,
    seen_at BIGINT NOT NULL,
    date_unix BIGINT,
    from_addr TEXT,
    from_name TEXT,
    subject TEXT,
    message_id TEXT,
    verdict TEXT NOT NULL,
    severity TEXT NOT NULL,
    relay_ip TEXT,
    origin_ip TEXT,
    report TEXT NOT NULL
);
CREATE INDEX messages_relay_ip ON messages (relay_ip, seen_at);
CREATE INDEX messages_verdict ON messages (verdict);
CREATE INDEX messages_seen_at ON messages (seen_at);

CREATE TABLE hops (
    message BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    idx BIGINT NOT NULL,
    role TEXT NOT NULL,
    trusted BIGINT NOT NULL,
    from_ip TEXT,
    from_rdns TEXT,
    from_helo TEXT,
    by_host TEXT,
    protocol TEXT,
    date_unix BIGINT,
    delay_secs BIGINT,
    flags TEXT NOT NULL,
    raw TEXT NOT NULL,
    PRIMARY KEY (message, idx)
);
CREATE INDEX hops_from_ip ON hops (from_ip);

CREATE TABLE findings (
    message BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    idx BIGINT NOT NULL,
    finding TEXT NOT NULL,
    severity TEXT NOT NULL,
    title TEXT NOT NULL,
    hop BIGINT,
    PRIMARY KEY (message, idx)
);
CREATE INDEX findings_finding ON findings (finding);

CREATE TABLE relays (
    ip TEXT PRIMARY KEY,
    rdns TEXT,
    helo TEXT,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    message_count BIGINT NOT NULL DEFAULT 0,
    probe_count BIGINT NOT NULL DEFAULT 0,
    last_probe_verdict TEXT,
    last_probed_at BIGINT,
    report_count BIGINT NOT NULL DEFAULT 0,
    last_reported_at BIGINT,
    owner TEXT,
    abuse_contact TEXT,
    owner_json TEXT,
    owner_checked_at BIGINT
);
CREATE INDEX relays_last_seen ON relays (last_seen);
CREATE INDEX relays_message_count ON relays (message_count);

CREATE TABLE probe_runs (
    id {id},
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    options TEXT NOT NULL,
    targets BIGINT NOT NULL DEFAULT 0,
    findings BIGINT NOT NULL DEFAULT 0,
    failures BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE probe_results (
    id {id},
    run BIGINT NOT NULL REFERENCES probe_runs (id) ON DELETE CASCADE,
    probed_at BIGINT NOT NULL,
    target TEXT NOT NULL,
    ip TEXT,
    port BIGINT,
    verdict TEXT NOT NULL,
    open_evidence TEXT,
    detail TEXT NOT NULL,
    duration_ms BIGINT,
    transcript TEXT,
    result TEXT
);
CREATE INDEX probe_results_run ON probe_results (run);
CREATE INDEX probe_results_ip ON probe_results (ip);

CREATE TABLE audits (
    id {id},
    audited_at BIGINT NOT NULL,
    source TEXT NOT NULL,
    mta TEXT,
    verdict TEXT,
    findings BIGINT NOT NULL,
    max_severity TEXT,
    warnings BIGINT NOT NULL,
    report TEXT NOT NULL
);

CREATE TABLE reports (
    id {id},
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    relay_ip TEXT,
    message BIGINT REFERENCES messages (id) ON DELETE SET NULL,
    probe_result BIGINT REFERENCES probe_results (id) ON DELETE SET NULL,
    format TEXT NOT NULL,
    recipient TEXT,
    status TEXT NOT NULL,
    destination TEXT,
    detail TEXT,
    body TEXT
);
CREATE INDEX reports_relay_ip ON reports (relay_ip);
"#,
    },
    Migration {
        version: 2,
        name: "drop indexes no query reads (verdict alone, hop sender, finding id): each cost \
               a B-tree insert per message, hop or finding on every import",
        sql: r#"
DROP INDEX IF EXISTS messages_verdict;
DROP INDEX IF EXISTS hops_from_ip;
DROP INDEX IF EXISTS findings_finding;
"#,
    },
];

/// The newest schema version this build writes.
pub(crate) fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

fn ddl(sql: &str, backend: Backend) -> String {
    let id = match backend {
        Backend::Sqlite => "INTEGER PRIMARY KEY",
        Backend::Postgres => "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    };
    sql.replace("{id}", id)
}

/// The highest applied version (0 for an empty store).
pub(crate) fn current(db: &mut dyn Db) -> Result<i64, StoreError> {
    let row = db.query_opt(
        "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM schema_migrations",
        &[],
    )?;
    row.map_or(Ok(0), |r| r.int(0))
}

/// Bring the schema up to [`latest`]; returns the number of migrations applied.
pub(crate) fn run(db: &mut dyn Db, now: i64) -> Result<usize, StoreError> {
    if db.backend() == Backend::Postgres {
        // Concurrent `CREATE TABLE IF NOT EXISTS` race in PostgreSQL: one opener at a time.
        db.batch("SELECT pg_advisory_lock(7291001)")?;
        let result = migrate(db, now);
        let unlocked = db.batch("SELECT pg_advisory_unlock(7291001)");
        return result.and_then(|n| unlocked.map(|()| n));
    }
    migrate(db, now)
}

fn migrate(db: &mut dyn Db, now: i64) -> Result<usize, StoreError> {
    db.batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at BIGINT NOT NULL
        )",
    )?;
    let known = latest();
    let mut applied = 0;
    for m in MIGRATIONS {
        if current(db)? >= m.version {
            continue;
        }
        db.begin()?;
        let step = (|| {
            if db.backend() == Backend::Postgres {
                // Serialise concurrent openers of a fresh shared store.
                db.batch("LOCK TABLE schema_migrations IN EXCLUSIVE MODE")?;
            }
            // Another process may have applied it while we waited for the lock.
            if current(db)? >= m.version {
                return Ok(false);
            }
            db.batch(&ddl(m.sql, db.backend()))?;
            db.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                &[Value::Int(m.version), m.name.into(), Value::Int(now)],
            )?;
            Ok(true)
        })();
        match step {
            Ok(did) => {
                db.batch("COMMIT")?;
                applied += usize::from(did);
            }
            Err(e) => {
                let _ = db.batch("ROLLBACK");
                return Err(e);
            }
        }
    }
    let found = current(db)?;
    if found > known {
        return Err(StoreError::TooNew { found, known });
    }
    Ok(applied)
}
