//! The PostgreSQL backend: one connection, owned by its own thread.
//!
//! The store's API is blocking (the command line and bulk imports are synchronous) while
//! tokio-postgres is async. The connection therefore lives on a dedicated thread with a
//! private current-thread runtime; each request is sent there and its answer waited for.
//! That works from plain threads and from inside another tokio runtime alike (the probe
//! records results from its async scan; a web handler should still prefer
//! `spawn_blocking`, as waiting blocks the calling worker). Statements are prepared once
//! per connection and cached by their text. Connections are plain TCP or Unix socket
//! (`NoTls`): point `--db` at a server on loopback or a trusted network.

use crate::error::StoreError;
use crate::sql::{Backend, Db, Row, Value};
use bytes::BytesMut;
use std::collections::HashMap;
use std::error::Error;
use std::sync::mpsc;
use tokio_postgres::types::{IsNull, ToSql, Type};
use tokio_postgres::{Client, Config, NoTls, Statement};

/// Most prepared statements kept per connection (the relay list builds a few variants).
const STATEMENT_CACHE: usize = 256;

/// An open PostgreSQL store: a handle on the connection thread.
pub(crate) struct Postgres {
    jobs: Option<mpsc::Sender<Job>>,
    worker: Option<std::thread::JoinHandle<()>>,
    target: String,
}

type Job = Box<dyn FnOnce(&mut Conn) + Send>;

/// The connection, on its thread.
struct Conn {
    rt: tokio::runtime::Runtime,
    client: Client,
    statements: HashMap<String, Statement>,
    target: String,
}

/// `user@host:port/dbname` for messages: never the password.
fn describe(config: &Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "{}@{host}:{port}/{}",
        config.get_user().unwrap_or(""),
        config.get_dbname().unwrap_or("")
    )
}

impl Conn {
    fn connect(url: &str) -> Result<Conn, StoreError> {
        let config: Config = url.parse().map_err(|source| StoreError::Postgres {
            target: "(unparsable connection string)".into(),
            source,
        })?;
        let target = describe(&config);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(StoreError::Runtime)?;
        let (client, connection) =
            rt.block_on(config.connect(NoTls))
                .map_err(|source| StoreError::Postgres {
                    target: target.clone(),
                    source,
                })?;
        // The connection task runs whenever the runtime is driven by a request below.
        rt.spawn(async move {
            let _ = connection.await;
        });
        let mut conn = Conn {
            rt,
            client,
            statements: HashMap::new(),
            target,
        };
        // Notices (e.g. "relation already exists, skipping") are not for the user.
        conn.batch("SET client_min_messages = warning")?;
        Ok(conn)
    }

    fn err(&self, source: tokio_postgres::Error) -> StoreError {
        StoreError::Postgres {
            target: self.target.clone(),
            source,
        }
    }

    fn statement(&mut self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let stmt = self
            .rt
            .block_on(self.client.prepare(sql))
            .map_err(|e| self.err(e))?;
        if self.statements.len() >= STATEMENT_CACHE {
            self.statements.clear();
        }
        self.statements.insert(sql.to_string(), stmt.clone());
        Ok(stmt)
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.rt
            .block_on(self.client.batch_execute(sql))
            .map_err(|e| self.err(e))
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let stmt = self.statement(sql)?;
        self.rt
            .block_on(self.client.execute(&stmt, &refs(params)))
            .map_err(|e| self.err(e))
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let stmt = self.statement(sql)?;
        let rows = self
            .rt
            .block_on(self.client.query(&stmt, &refs(params)))
            .map_err(|e| self.err(e))?;
        rows.iter()
            .map(row)
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))
    }
}

impl Postgres {
    /// Connect to `url` (`postgres://user@host:port/db` or `host=… user=…`).
    pub(crate) fn open(url: &str) -> Result<Postgres, StoreError> {
        let (jobs, inbox) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = mpsc::sync_channel(1);
        let url = url.to_string();
        let worker = std::thread::Builder::new()
            .name("relayhunt-store-pg".into())
            .spawn(move || match Conn::connect(&url) {
                Ok(mut conn) => {
                    let _ = ready_tx.send(Ok(conn.target.clone()));
                    for job in inbox {
                        job(&mut conn);
                    }
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                }
            })
            .map_err(StoreError::Runtime)?;
        let target = ready_rx
            .recv()
            .map_err(|_| StoreError::Closed("the PostgreSQL connection thread died".into()))??;
        Ok(Postgres {
            jobs: Some(jobs),
            worker: Some(worker),
            target,
        })
    }

    /// Run `f` on the connection thread and wait for its answer.
    fn call<T: Send + 'static>(
        &mut self,
        f: impl FnOnce(&mut Conn) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let gone = || {
            StoreError::Closed(format!(
                "PostgreSQL store {}: connection thread stopped",
                self.target
            ))
        };
        let (tx, rx) = mpsc::sync_channel(1);
        self.jobs
            .as_ref()
            .ok_or_else(gone)?
            .send(Box::new(move |c: &mut Conn| {
                let _ = tx.send(f(c));
            }))
            .map_err(|_| gone())?;
        rx.recv().map_err(|_| gone())?
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // Closing the channel ends the thread's loop; the connection closes with it.
        self.jobs.take();
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) => match *ty {
                Type::INT8 => v.to_sql(ty, out),
                Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
                Type::BOOL => (*v != 0).to_sql(ty, out),
                _ => v.to_string().to_sql(ty, out),
            },
            Value::Text(s) => s.to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        matches!(
            *ty,
            Type::INT8
                | Type::INT4
                | Type::INT2
                | Type::BOOL
                | Type::TEXT
                | Type::VARCHAR
                | Type::BPCHAR
                | Type::NAME
                | Type::UNKNOWN
        )
    }

    tokio_postgres::types::to_sql_checked!();
}

fn row(r: &tokio_postgres::Row) -> Result<Row, tokio_postgres::Error> {
    let mut values = Vec::with_capacity(r.len());
    for (i, col) in r.columns().iter().enumerate() {
        let v = match *col.type_() {
            Type::INT8 => r.try_get::<_, Option<i64>>(i)?.map(Value::Int),
            Type::INT4 => r
                .try_get::<_, Option<i32>>(i)?
                .map(|v| Value::Int(v.into())),
            Type::INT2 => r
                .try_get::<_, Option<i16>>(i)?
                .map(|v| Value::Int(v.into())),
            Type::BOOL => r.try_get::<_, Option<bool>>(i)?.map(Value::from),
            _ => r.try_get::<_, Option<String>>(i)?.map(Value::Text),
        };
        values.push(v.unwrap_or(Value::Null));
    }
    Ok(Row(values))
}

fn refs(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

impl Db for Postgres {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        let sql = sql.to_string();
        self.call(move |c| c.batch(&sql))
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let (sql, params) = (sql.to_string(), params.to_vec());
        self.call(move |c| c.execute(&sql, &params))
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let (sql, params) = (sql.to_string(), params.to_vec());
        self.call(move |c| c.query(&sql, &params))
    }

    fn begin(&mut self) -> Result<(), StoreError> {
        self.batch("BEGIN")
    }
}
