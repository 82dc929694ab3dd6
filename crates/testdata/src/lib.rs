//! Where the tests find the shared reference data: the real-mail corpus (`corpus/`) and the
//! `Received:` vectors (`vectors/`). That data is not in the repository (it is large and not
//! ours to redistribute); it lives in a `shared` folder beside the clone, or wherever
//! `RELAYHUNT_SHARED` points.
//!
//! A fresh clone without it must still pass `cargo test --workspace`, so a test that needs the
//! data asks [`shared`] and returns early when it gets `None`; the skip is printed, never
//! silent. CI sets `RELAYHUNT_REQUIRE_SHARED=1`, which turns the skip into a panic, so the
//! corpus tests can never quietly stop running there.
//!
//! ```no_run
//! #[test]
//! fn every_corpus_message_parses() {
//!     let Some(corpus) = relayhunt_testdata::shared("corpus") else {
//!         return; // printed "skipped: corpus not found (set RELAYHUNT_SHARED)"
//!     };
//!     // … walk `corpus` …
//! }
//! ```

use std::path::{Path, PathBuf};

/// Environment variable naming the shared folder (the one holding `corpus/` and `vectors/`).
pub const SHARED_ENV: &str = "RELAYHUNT_SHARED";

/// Environment variable that makes missing shared data a failure instead of a skip (CI).
pub const REQUIRE_ENV: &str = "RELAYHUNT_REQUIRE_SHARED";

/// The line printed when a test skips for want of the shared data.
pub const SKIP_MESSAGE: &str = "skipped: corpus not found (set RELAYHUNT_SHARED)";

/// The shared folder: `$RELAYHUNT_SHARED` when set, else `shared` beside the workspace
/// (`<workspace>/../shared`). The path is returned whether or not it exists.
pub fn shared_root() -> PathBuf {
    match std::env::var_os(SHARED_ENV) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")),
    }
}

/// True when the environment demands the shared data (`RELAYHUNT_REQUIRE_SHARED=1`, set by CI).
pub fn required() -> bool {
    std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1" || v == "true")
}

/// `rel` (for example `"corpus"` or `"vectors/stalwart.jsonl"`) inside the shared folder.
///
/// - The shared folder is there and holds `rel`: `Some(path)`.
/// - The shared folder is not there: prints [`SKIP_MESSAGE`] and returns `None`, so the
///   caller returns and the test passes as skipped; with `RELAYHUNT_REQUIRE_SHARED=1` it
///   panics instead.
/// - The shared folder is there but lacks `rel`: panics, since the data is incomplete or the
///   test names a file that does not exist, and skipping would hide either.
#[must_use = "return from the test when this is None"]
pub fn shared(rel: &str) -> Option<PathBuf> {
    match locate(&shared_root(), rel, required()) {
        Found::Here(path) => Some(path),
        Found::Skip(line) => {
            eprintln!("{line}");
            None
        }
        Found::Fail(why) => panic!("{why}"),
    }
}

/// What [`shared`] decided, kept apart from printing and panicking so it can be tested.
#[derive(Debug, PartialEq)]
enum Found {
    Here(PathBuf),
    Skip(String),
    Fail(String),
}

fn locate(root: &Path, rel: &str, required: bool) -> Found {
    if !root.is_dir() {
        return if required {
            Found::Fail(format!(
                "shared test data not found at {} but {REQUIRE_ENV}=1: put the shared folder \
                 (corpus/, vectors/) there or set {SHARED_ENV} to it",
                root.display()
            ))
        } else {
            Found::Skip(format!("{SKIP_MESSAGE} [looked for {}]", root.display()))
        };
    }
    let path = root.join(rel);
    if path.exists() {
        Found::Here(path)
    } else {
        Found::Fail(format!(
            "{} does not exist although the shared folder {} does: the shared data is \
             incomplete (or {SHARED_ENV} points at the wrong folder)",
            path.display(),
            root.display()
        ))
    }
}

/// Reads `rel` inside the shared folder, with the same skip rules as [`shared`].
///
/// Panics when the file exists but cannot be read.
pub fn read(rel: &str) -> Option<Vec<u8>> {
    let path = shared(rel)?;
    Some(std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display())))
}

/// Every `.eml` file under `dir`, in sorted path order (folders walked recursively), so
/// that tests over the corpus visit the messages in the same order on every machine.
///
/// Panics with the folder's path when it cannot be read: a corpus test must not silently
/// cover less than it says.
pub fn eml_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| {
                e.unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                    .path()
            })
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "eml") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_folder_skips_with_the_documented_line() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("no-such-shared");
        match locate(&gone, "corpus", false) {
            Found::Skip(line) => assert!(line.starts_with(SKIP_MESSAGE), "{line}"),
            other => panic!("expected a skip, got {other:?}"),
        }
    }

    #[test]
    fn missing_folder_fails_when_required() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("no-such-shared");
        match locate(&gone, "corpus", true) {
            Found::Fail(why) => assert!(why.contains(REQUIRE_ENV), "{why}"),
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn present_folder_gives_the_path_or_fails_on_a_missing_entry() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::create_dir_all(dir.join("corpus/x")).unwrap();
        assert_eq!(
            locate(dir, "corpus/x", false),
            Found::Here(dir.join("corpus/x"))
        );
        assert!(matches!(locate(dir, "vectors", false), Found::Fail(_)));
    }

    #[test]
    fn default_root_is_shared_beside_the_workspace() {
        if std::env::var_os(SHARED_ENV).is_some() {
            return;
        }
        let root = shared_root();
        let workspace = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
        assert!(workspace.join("Cargo.toml").is_file());
        assert_eq!(root.file_name().unwrap(), "shared");
        assert_eq!(root.parent().unwrap(), workspace.join(".."));
    }
}
