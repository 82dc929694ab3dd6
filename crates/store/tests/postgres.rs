//! The store on a real PostgreSQL server (a throwaway cluster on 127.0.0.1): the same
//! behaviour as SQLite, plus concurrent first opens migrating once.

mod common;

use relayhunt_pg_fixture::Cluster;
use relayhunt_store::{Backend, Store};

#[test]
fn postgres_store_behaviour() {
    let Some(pg) = Cluster::start() else { return };
    common::all(&mut |name| {
        let store = Store::open(&pg.database(name)).unwrap();
        assert_eq!(store.backend(), Backend::Postgres);
        assert!(store.location().starts_with("postgres://"));
        store
    });

    // Two processes opening a fresh shared store at once apply each migration once.
    let url = pg.database("concurrent_open");
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || Store::open(&url).map(|mut s| s.schema_version()))
        })
        .collect();
    for h in handles {
        let v = h.join().unwrap().unwrap().unwrap();
        assert_eq!(v, Store::latest_schema_version());
    }

    // Same input, same store contents on both engines.
    if common::corpus("spamassassin_tdata").is_none() {
        return;
    }
    let msgs = common::sample();
    let mut p = Store::open(&pg.database("same_as_sqlite")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path().join("s.sqlite").to_str().unwrap()).unwrap();
    assert_eq!(
        p.add_messages(&msgs).unwrap(),
        s.add_messages(&msgs).unwrap()
    );
    assert_eq!(p.counts().unwrap(), s.counts().unwrap());
    let filter = relayhunt_store::RelayFilter::default();
    assert_eq!(p.relays(&filter).unwrap(), s.relays(&filter).unwrap());
}

#[test]
fn a_wrong_server_is_reported_without_its_password() {
    // Nothing listens on port 1 of loopback.
    let err = Store::open("postgres://hunter:s3cret@127.0.0.1:1/none").unwrap_err();
    let text = err.to_string();
    assert!(text.contains("127.0.0.1:1"), "{text}");
    assert!(!text.contains("s3cret"), "{text}");
}
