//! The command line in process: flags parsed by clap exactly as `relayhunt probe` /
//! `relayhunt canary listen` parse them, run to an exit code and an output file.
//!
//! (The `relayhunt` binary itself lives in the cli crate; these tests drive the same `run`
//! functions it dispatches to.)

mod fakes;

use clap::Parser;
use relayhunt_probe::cli::{run, Args};
use relayhunt_probe::TargetResult;

#[derive(Parser)]
struct Probe {
    #[command(flatten)]
    args: Args,
}

fn parse(argv: &[&str]) -> Args {
    Probe::try_parse_from(std::iter::once("probe").chain(argv.iter().copied()))
        .unwrap()
        .args
}

/// Start fakes on a runtime of their own that outlives the synchronous `run` call.
fn fakes_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn probe_open_and_closed_to_ndjson_exit_1() {
    let rt = fakes_runtime();
    let (open, closed) =
        rt.block_on(async { (fakes::open_relay().await, fakes::closed_relay().await) });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results.ndjson");
    let code = run(parse(&[
        &open.addr.to_string(),
        &closed.addr.to_string(),
        "--format",
        "ndjson",
        "--output",
        out.to_str().unwrap(),
        "--reply-timeout",
        "2",
        "--quiet",
    ]));
    assert_eq!(code, 1, "an open relay is a finding");
    let text = std::fs::read_to_string(&out).unwrap();
    let results: Vec<TargetResult> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(results.len(), 2);
    let verdict = |addr| {
        results
            .iter()
            .find(|r| r.addr == addr)
            .unwrap()
            .verdict
            .label()
    };
    assert_eq!(verdict(open.addr), "OPEN");
    assert_eq!(verdict(closed.addr), "CLOSED");
    // The JSON carries the transcript as evidence.
    assert!(text.contains("\"dir\":\"C\",\"line\":\"RCPT TO:<relaytest@example.net>\""));
}

#[test]
fn closed_only_is_exit_0_and_csv() {
    let rt = fakes_runtime();
    let closed = rt.block_on(fakes::closed_relay());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results.csv");
    let code = run(parse(&[
        &closed.addr.to_string(),
        "--format",
        "csv",
        "-o",
        out.to_str().unwrap(),
        "--quiet",
    ]));
    assert_eq!(code, 0);
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("target,addr,verdict,"));
    assert!(lines.next().unwrap().contains(",CLOSED,"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(
        run(parse(&["127.0.0.0/8"])),
        2,
        "a /8 needs --i-own-this-range"
    );
    assert_eq!(run(parse(&["127.0.0.1", "--tests", "no-such-test"])), 2);
    assert_eq!(run(parse(&["not a target"])), 2);
    assert_eq!(run(parse(&[])), 2);
    // --confirm without a mailbox the operator controls is refused by clap itself.
    assert!(Probe::try_parse_from(["probe", "127.0.0.1", "--confirm"]).is_err());
}

#[test]
fn json_flag_writes_the_json_document_like_format_json() {
    let rt = fakes_runtime();
    let closed = rt.block_on(fakes::closed_relay());
    let dir = tempfile::tempdir().unwrap();
    let mut docs = Vec::new();
    for flags in [&["--json"][..], &["--format", "json"][..]] {
        let out = dir.path().join(format!("r{}.json", docs.len()));
        let mut argv = vec![closed.addr.to_string()];
        argv.extend(flags.iter().map(|f| f.to_string()));
        argv.extend(["-o".into(), out.to_str().unwrap().into(), "-q".into()]);
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        assert_eq!(run(parse(&argv)), 0, "{flags:?}");
        let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(doc["results"][0]["verdict"], "CLOSED", "{flags:?}: {doc}");
        assert_eq!(doc["summary"]["targets"], 1, "{flags:?}: {doc}");
        docs.push(doc);
    }
    // --json and --format are one choice, not two.
    assert!(Probe::try_parse_from(["probe", "127.0.0.1", "--json", "--format", "csv"]).is_err());
    // The old spellings still parse.
    let old = parse(&["127.0.0.1", "--threads", "2"]);
    assert_eq!(old.jobs, Some(2));
}
