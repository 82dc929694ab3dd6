//! What can go wrong opening, migrating, writing or reading a store.

/// A store operation failed. Every variant says where and, when it can, what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The SQLite file could not be opened or written.
    #[error("SQLite store {path}: {source}")]
    Sqlite {
        /// The database file.
        path: String,
        /// The driver's error.
        source: rusqlite::Error,
    },
    /// The PostgreSQL server refused or failed a request.
    #[error("PostgreSQL store {target}: {source}")]
    Postgres {
        /// The server, without any password.
        target: String,
        /// The driver's error.
        source: tokio_postgres::Error,
    },
    /// The folder for the default store could not be created.
    #[error(
        "cannot create the store folder {path}: {source} (choose another place with --db PATH)"
    )]
    Folder {
        /// The folder.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// No data directory is known (no `HOME`, `XDG_DATA_HOME` or `APPDATA`).
    #[error("no data directory to put the store in: set HOME or XDG_DATA_HOME, or give --db PATH")]
    NoDataDir,
    /// The store was written by a newer relayhunt.
    #[error(
        "store schema version {found} is newer than this relayhunt understands ({known}); \
         upgrade relayhunt or use another --db"
    )]
    TooNew {
        /// Version recorded in the store.
        found: i64,
        /// Newest version this build knows.
        known: i64,
    },
    /// A value in the store is not what the schema promises.
    #[error("the store holds an unexpected value: {0}")]
    Corrupt(String),
    /// A value handed to the store cannot be stored.
    #[error("cannot store this: {0}")]
    Invalid(String),
    /// The connection to the store was lost for good.
    #[error("{0}")]
    Closed(String),
    /// The thread writing a bulk import stopped: its own error, or why it could not run.
    #[error("{0}")]
    Writer(String),
    /// The async runtime for the PostgreSQL driver could not start.
    #[error("cannot start the PostgreSQL client runtime: {0}")]
    Runtime(std::io::Error),
}
