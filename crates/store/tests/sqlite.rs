//! The store on real SQLite files: every shared behaviour, plus what only a file shows
//! (reopening, migrations recorded once, a newer schema refused).

mod common;

use relayhunt_store::{Backend, Store, StoreError};

fn fresh(dir: &tempfile::TempDir, name: &str) -> Store {
    let store = Store::open(dir.path().join(format!("{name}.sqlite")).to_str().unwrap()).unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    store
}

#[test]
fn sqlite_store_behaviour() {
    let dir = tempfile::tempdir().unwrap();
    common::all(&mut |name| fresh(&dir, name));
}

#[test]
fn reopening_keeps_data_and_migrates_once() {
    let Some(tdata) = common::corpus("spamassassin_tdata") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/folder/store.sqlite");
    let msgs = common::analyse(&[tdata]);
    {
        let mut s = Store::open(path.to_str().unwrap()).unwrap();
        assert_eq!(s.schema_version().unwrap(), Store::latest_schema_version());
        s.add_messages(&msgs).unwrap();
    }
    let mut s = Store::open(path.to_str().unwrap()).unwrap();
    assert_eq!(s.schema_version().unwrap(), Store::latest_schema_version());
    let n = s.counts().unwrap().messages;
    assert!(n > 100, "{n}");
    let again = s.add_messages(&msgs).unwrap();
    assert_eq!(again.added, 0);
    drop(s);
    // Three opens, one row per migration.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let rows: i64 = conn
        .query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, Store::latest_schema_version());
}

#[test]
fn a_store_from_a_newer_relayhunt_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.sqlite");
    drop(Store::open(path.to_str().unwrap()).unwrap());
    // Another build recorded a migration this one does not know.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)",
            [],
        )
        .unwrap();
    match Store::open(path.to_str().unwrap()) {
        Err(StoreError::TooNew { found: 999, known }) => {
            assert_eq!(known, Store::latest_schema_version())
        }
        other => panic!("expected TooNew, got {other:?}"),
    }
}

#[test]
fn an_unwritable_place_is_reported_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, "not a folder").unwrap();
    let err = Store::open(file.join("store.sqlite").to_str().unwrap()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("plain-file"), "{text}");
    let garbage = dir.path().join("garbage.sqlite");
    std::fs::write(&garbage, vec![b'x'; 4096]).unwrap();
    let text = Store::open(garbage.to_str().unwrap())
        .unwrap_err()
        .to_string();
    assert!(text.contains("garbage.sqlite"), "{text}");
}
