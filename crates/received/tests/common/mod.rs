//! Locating the shared reference data (corpus, vectors) outside the repository.

use std::path::PathBuf;

/// `../shared` next to the repository, or `$RELAYHUNT_SHARED`.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("RELAYHUNT_SHARED") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")),
    }
}
