//! The store on real SQLite files: every shared behaviour, plus what only a file shows
//! (reopening, migrations recorded once, a newer schema refused).

mod common;

use relayhunt_store::{Backend, NewMessage, Recorder, Store, StoreError};

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

/// `analyze --store`'s recorder writes on its own thread: a batch shorter than
/// `Recorder::BATCH` is committed once its oldest message has waited `MAX_DELAY`, while
/// the run is still going (a reader sees it), and closing commits the rest.
#[test]
fn the_recorder_commits_a_quiet_batch_after_its_delay_and_the_rest_on_close() {
    let Some(tdata) = common::corpus("spamassassin_tdata") else {
        return;
    };
    let msgs = common::analyse(&[tdata]);
    assert!(msgs.len() > 20);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rec.sqlite");
    let path = path.to_str().unwrap();
    let mut rec = Recorder::new(Store::open(path).unwrap()).unwrap();
    for m in &msgs[..10] {
        rec.push(m.clone()).unwrap();
    }
    let mut reader = Store::open(path).unwrap();
    let started = std::time::Instant::now();
    while reader.counts().unwrap().messages < 10 {
        assert!(
            started.elapsed() < Recorder::MAX_DELAY * 20,
            "the first ten were never committed"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    for m in &msgs[10..] {
        rec.push(m.clone()).unwrap();
    }
    let stats = rec.close().unwrap();
    assert_eq!(
        (stats.added + stats.duplicates) as usize,
        msgs.len(),
        "{stats:?}"
    );
    assert_eq!(reader.counts().unwrap().messages as u64, stats.added);
}

/// A record the store refuses stops the writer; the next hand-over and the close both say
/// why, and the batches committed before stay.
#[test]
fn a_writer_error_reaches_the_run() {
    let Some(tdata) = common::corpus("spamassassin_tdata") else {
        return;
    };
    let msgs = common::analyse(&[tdata]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("err.sqlite");
    let path = path.to_str().unwrap();
    let mut rec = Recorder::new(Store::open(path).unwrap()).unwrap();
    let first = &msgs[..msgs.len().min(Recorder::BATCH)];
    for m in first {
        rec.push(m.clone()).unwrap();
    }
    // Committed (after the delay) before the bad record arrives.
    let mut reader = Store::open(path).unwrap();
    let started = std::time::Instant::now();
    while reader.counts().unwrap().messages == 0 {
        assert!(
            started.elapsed() < Recorder::MAX_DELAY * 20,
            "nothing committed"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let broken = NewMessage {
        content_hash: String::new(),
        source: "broken.eml".into(),
        ..msgs[0].clone()
    };
    rec.push(broken).unwrap();
    // The writer fails on the next batch; hand-overs fail from then on.
    let mut refused = None;
    for m in msgs
        .iter()
        .cycle()
        .take(Recorder::QUEUE * 4 + Recorder::BATCH)
    {
        if let Err(e) = rec.push(m.clone()) {
            refused = Some(e.to_string());
            break;
        }
    }
    let refused = refused.expect("the writer kept accepting after failing");
    assert!(refused.contains("broken.eml"), "{refused}");
    let closed = rec.close().unwrap_err().to_string();
    assert!(closed.contains("no content hash"), "{closed}");
    let kept = reader.counts().unwrap().messages;
    let distinct: std::collections::HashSet<&str> =
        first.iter().map(|m| m.content_hash.as_str()).collect();
    assert_eq!(kept as usize, distinct.len());
}
