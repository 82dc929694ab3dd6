//! The store end to end through the real binary: `analyze --store` on real mail, killed
//! with SIGKILL part-way and run again; importing twice; `relays` and `relays show`. Each
//! runs on an SQLite file and again on a throwaway PostgreSQL cluster on loopback, since a
//! team's shared store must behave the same through the same commands.

use relayhunt_store::{RelayFilter, RelayOrder, Store};
use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_relayhunt");

/// A corpus folder, or `None` (skip printed) on a clone without the shared data.
fn corpus(name: &str) -> Option<String> {
    relayhunt_testdata::shared(&format!("corpus/{name}")).map(|p| p.display().to_string())
}

fn relayhunt(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("RELAYHUNT_DB")
        .stdin(Stdio::null())
        .output()
        .expect("run relayhunt")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Where a test's stores live: SQLite files in a temporary folder, or databases of a
/// throwaway PostgreSQL cluster (skipped, loudly, where PostgreSQL is not installed and
/// not required).
enum Backend {
    Sqlite(tempfile::TempDir),
    Postgres(relayhunt_pg_fixture::Cluster),
}

impl Backend {
    fn sqlite() -> Backend {
        Backend::Sqlite(tempfile::tempdir().unwrap())
    }

    fn postgres() -> Option<Backend> {
        relayhunt_pg_fixture::Cluster::start().map(Backend::Postgres)
    }

    /// A new, empty store named `name`: what `--db` is given.
    fn db(&self, name: &str) -> String {
        match self {
            Backend::Sqlite(dir) => dir
                .path()
                .join(format!("{name}.sqlite"))
                .display()
                .to_string(),
            Backend::Postgres(cluster) => cluster.database(name),
        }
    }

    /// True once `db` can be opened without creating it (a database always can).
    fn exists(&self, db: &str) -> bool {
        match self {
            Backend::Sqlite(_) => Path::new(db).exists(),
            Backend::Postgres(_) => true,
        }
    }
}

/// Message count per relay, the part of a store two runs must agree on exactly.
fn relay_counts(store: &mut Store) -> BTreeMap<String, i64> {
    store
        .relays(&RelayFilter {
            order: RelayOrder::MessageCount,
            ..RelayFilter::default()
        })
        .unwrap()
        .into_iter()
        .map(|r| (r.ip, r.message_count))
        .collect()
}

fn stored_line(stderr: &str) -> (u64, u64) {
    // "relayhunt: stored N new message(s) in PATH, M already there"
    let line = stderr
        .lines()
        .find(|l| l.contains("new message(s) in"))
        .unwrap_or_else(|| panic!("no store line in stderr:\n{stderr}"));
    let n = line
        .split("stored ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap();
    let m = line
        .rsplit(", ")
        .next()
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap();
    (n, m)
}

#[test]
fn a_batch_killed_part_way_keeps_its_commits_and_a_rerun_completes_it() {
    kill_and_rerun(&Backend::sqlite());
}

#[test]
fn a_batch_killed_part_way_keeps_its_commits_on_postgres_too() {
    if let Some(pg) = Backend::postgres() {
        kill_and_rerun(&pg);
    }
}

fn kill_and_rerun(backend: &Backend) {
    let (Some(public), Some(pot)) = (corpus("spamassassin_public"), corpus("phishing_pot")) else {
        return;
    };
    let killed_db = backend.db("killed");
    let clean_db = backend.db("clean");
    let inputs = [public, pot];
    let args = |db: &str| -> Vec<String> {
        let mut a: Vec<String> = ["analyze", "--store", "--db", db, "-q", "-j", "1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        a.extend(inputs.iter().cloned());
        a
    };

    // The reference: one uninterrupted run.
    let out = relayhunt(
        &args(&clean_db)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert!(
        out.status.code().is_some_and(|c| c < 2),
        "{}",
        text(&out.stderr)
    );
    let mut clean = Store::open(&clean_db).unwrap();
    let total = clean.counts().unwrap().messages;
    assert!(total > 2000, "{total}");

    // The same run, killed with SIGKILL as soon as its first batch is committed.
    let mut child = Command::new(BIN)
        .args(args(&killed_db))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut seen_before_kill = 0;
    while seen_before_kill == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "nothing committed within 2 minutes"
        );
        std::thread::sleep(Duration::from_millis(10));
        if backend.exists(&killed_db) {
            if let Ok(mut s) = Store::open(&killed_db) {
                seen_before_kill = s.counts().map(|c| c.messages).unwrap_or(0);
            }
        }
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert_eq!(
        status.signal(),
        Some(9),
        "the run ended before it was killed"
    );

    let mut killed = Store::open(&killed_db).unwrap();
    let after_kill = killed.counts().unwrap();
    assert!(
        after_kill.messages >= seen_before_kill,
        "committed messages were lost"
    );
    assert!(
        after_kill.messages < total,
        "the run finished before the kill: nothing to prove"
    );
    // Whole batches only: every kept message has all its hops.
    let hops: i64 = killed
        .messages(None, 0)
        .unwrap()
        .iter()
        .map(|m| killed.message(m.id).unwrap().unwrap().hops.len() as i64)
        .sum();
    assert_eq!(hops, after_kill.hops);
    drop(killed);

    // The rerun stores exactly what is missing.
    let out = relayhunt(
        &args(&killed_db)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert!(
        out.status.code().is_some_and(|c| c < 2),
        "{}",
        text(&out.stderr)
    );
    let mut killed = Store::open(&killed_db).unwrap();
    let done = killed.counts().unwrap();
    let reference = clean.counts().unwrap();
    assert_eq!(done, reference);
    assert_eq!(relay_counts(&mut killed), relay_counts(&mut clean));
}

#[test]
fn importing_twice_adds_nothing_and_relays_lists_what_was_seen() {
    import_twice_and_list(&Backend::sqlite());
}

#[test]
fn importing_twice_and_listing_relays_on_postgres() {
    if let Some(pg) = Backend::postgres() {
        import_twice_and_list(&pg);
    }
}

fn import_twice_and_list(backend: &Backend) {
    let Some(tdata) = corpus("spamassassin_tdata") else {
        return;
    };
    let db = backend.db("s");
    let db = db.as_str();
    let first = relayhunt(&[
        "analyze", "--store", "--db", db, "--format", "ndjson", &tdata,
    ]);
    let (added, already) = stored_line(&text(&first.stderr));
    // (The set holds a few byte-identical copies: those count as already there.)
    assert!(added > 100 && already < 5, "{}", text(&first.stderr));
    // A second import finds every message already there.
    let second = relayhunt(&[
        "analyze", "--store", "--db", db, "--format", "ndjson", &tdata,
    ]);
    assert_eq!(second.status.code(), first.status.code());
    assert_eq!(stored_line(&text(&second.stderr)), (0, added + already));
    let mut s = Store::open(db).unwrap();
    assert_eq!(s.counts().unwrap().messages as u64, added);

    let list = relayhunt(&["relays", "--db", db, "--json", "--limit", "0"]);
    assert_eq!(list.status.code(), Some(0), "{}", text(&list.stderr));
    let relays: Vec<serde_json::Value> = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(
        relays.len(),
        s.relays(&RelayFilter::default()).unwrap().len()
    );
    let top = relayhunt(&[
        "relays", "--db", db, "--json", "--sort", "messages", "--limit", "1",
    ]);
    let top: Vec<serde_json::Value> = serde_json::from_slice(&top.stdout).unwrap();
    let busiest = relays
        .iter()
        .map(|r| r["message_count"].as_i64().unwrap())
        .max()
        .unwrap();
    assert_eq!(top[0]["message_count"].as_i64(), Some(busiest));
    let ip = top[0]["ip"].as_str().unwrap();

    let show = relayhunt(&["relays", "show", ip, "--db", db, "--json"]);
    assert_eq!(show.status.code(), Some(0), "{}", text(&show.stderr));
    let h: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(h["ip"], ip);
    assert_eq!(h["messages"].as_array().unwrap().len() as i64, busiest);
    let human = relayhunt(&["relays", "show", ip, "--db", db]);
    let human = text(&human.stdout);
    assert!(human.starts_with(&format!("relay {ip}\n")), "{human}");
    assert!(human.contains("messages (newest first)"), "{human}");

    let absent = relayhunt(&["relays", "show", "192.0.2.254", "--db", db]);
    assert_eq!(absent.status.code(), Some(1));
    assert!(text(&absent.stderr).contains("192.0.2.254 is not in the store"));
    let bad = relayhunt(&["relays", "--db", db, "--since", "last tuesday"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("--since"),
        "{}",
        text(&bad.stderr)
    );
    let future = relayhunt(&["relays", "--db", db, "--since", "2999-01-01", "--json"]);
    assert_eq!(text(&future.stdout).trim(), "[]");
}

#[test]
fn audit_and_probe_record_into_the_store() {
    audit_and_probe(&Backend::sqlite());
}

#[test]
fn audit_and_probe_record_into_postgres() {
    if let Some(pg) = Backend::postgres() {
        audit_and_probe(&pg);
    }
}

fn audit_and_probe(backend: &Backend) {
    let db = backend.db("s");
    let db = db.as_str();
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("main.cf");
    std::fs::write(
        &conf,
        "mynetworks = 0.0.0.0/0\nsmtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n",
    )
    .unwrap();
    let out = relayhunt(&[
        "audit",
        "--store",
        "--db",
        db,
        "--mta",
        "postfix",
        conf.to_str().unwrap(),
    ]);
    assert!(
        text(&out.stderr).contains("stored audit #1"),
        "{}",
        text(&out.stderr)
    );
    let mut s = Store::open(db).unwrap();
    let audits = s.audits(10).unwrap();
    assert_eq!(audits.len(), 1);
    assert_eq!(audits[0].mta.as_deref(), Some("postfix"));
    assert!(audits[0].findings > 0);
    let full = s.audit(audits[0].id).unwrap().unwrap();
    let report: serde_json::Value = serde_json::from_str(full.report.as_deref().unwrap()).unwrap();
    assert_eq!(
        report["findings"].as_array().unwrap().len() as i64,
        audits[0].findings
    );

    // A loopback port with nothing listening: the probe records an UNREACHABLE target.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let target = format!("127.0.0.1:{port}");
    let out = relayhunt(&[
        "probe",
        "--store",
        "--db",
        db,
        "--connect-timeout",
        "2",
        "--format",
        "json",
        &target,
    ]);
    assert!(
        text(&out.stderr).contains("stored probe run #1 (1 target(s))"),
        "{}",
        text(&out.stderr)
    );
    let runs = s.probe_runs(10).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].targets, 1);
    let (_, results) = s.probe_run(runs[0].id).unwrap().unwrap();
    assert_eq!(results[0].target, target);
    assert_eq!(results[0].verdict, "UNREACHABLE");
    let h = s.relay("127.0.0.1".parse().unwrap(), 0).unwrap().unwrap();
    assert_eq!(h.relay.probe_count, 1);
    assert_eq!(h.relay.last_probe_verdict.as_deref(), Some("UNREACHABLE"));
}
