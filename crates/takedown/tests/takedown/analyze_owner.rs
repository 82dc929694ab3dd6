//! `relayhunt analyze --owner`: the analyzer's hook answered by the real owner lookup,
//! against a loopback RDAP registry, on the bundled seed sample with its documentation
//! addresses moved to public ones (a documentation address has no owner to look up).

use crate::support::{read, HttpFixture, Reply};
use clap::Parser;
use relayhunt_analyze::cli::{execute_with_owner, settings, Args};
use relayhunt_analyze::owner::OwnerLookup;
use relayhunt_takedown::cli::{AnalyzeOwnerLookup, OwnerArgs};

#[derive(Parser)]
struct Cmd {
    #[command(flatten)]
    analyze: Args,
    #[command(flatten)]
    owner: OwnerArgs,
}

/// The seed sample, relay 198.51.100.25 → 198.51.110.25 and origin 203.0.113.77 →
/// 203.0.114.77 (public addresses the fixture registry is set up for), written into `dir`.
fn sample(dir: &tempfile::TempDir) -> String {
    let seed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../samples/seed-relay.eml"
    ))
    .unwrap();
    assert!(seed.contains("198.51.100.25") && seed.contains("203.0.113.77"));
    let public = seed
        .replace("198.51.100.", "198.51.110.")
        .replace("203.0.113.", "203.0.114.")
        .replace("203-0-113-", "203-0-114-");
    let path = dir.path().join("seed-relay-public.eml");
    std::fs::write(&path, public).unwrap();
    path.display().to_string()
}

fn cmd(dir: &tempfile::TempDir, extra: &[&str]) -> Cmd {
    let cache = dir.path().join("cache");
    let mut argv: Vec<String> = vec!["analyze".into(), sample(dir)];
    argv.extend(extra.iter().map(|s| s.to_string()));
    argv.extend(
        [
            "--rdap-bootstrap",
            dir.path().to_str().unwrap(),
            "--rdap-allow-http",
            "--cache-dir",
            cache.to_str().unwrap(),
            "--interval-ms",
            "0",
            "--timeout",
            "5",
            "--whois-route",
            "whois.iana.org=127.0.0.1:9",
            "--whois-only-routed",
        ]
        .map(String::from),
    );
    Cmd::try_parse_from(argv).unwrap()
}

fn registry() -> (HttpFixture, tempfile::TempDir) {
    let http = HttpFixture::start();
    http.route(
        "/arin/ip/198.51.110.25",
        Reply::json(200, read("rdap/arin-nested-abuse.json")),
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ipv4.json"),
        read("rdap/bootstrap-ipv4.json").replace("{base}", &http.base()),
    )
    .unwrap();
    (http, dir)
}

fn run(c: Cmd) -> (u8, String) {
    let lookup = AnalyzeOwnerLookup::from_args(&c.owner).unwrap();
    let s = settings(c.analyze, false).unwrap();
    let mut out = Vec::new();
    let (summary, _) = execute_with_owner(
        &s,
        &mut out,
        false,
        false,
        lookup.as_ref().map(|l| l as &dyn OwnerLookup),
    );
    (
        relayhunt_analyze::cli::exit_code(&summary, s.fail_on),
        String::from_utf8(out).unwrap(),
    )
}

#[test]
fn owner_of_the_relay_rides_in_the_json_and_a_failed_origin_lookup_is_per_ip() {
    let (_http, dir) = registry();
    let (code, out) = run(cmd(&dir, &["--owner", "--json"]));
    assert_eq!(code, 1, "the seed sample is an open relay: {out}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let owners = doc["owners"]
        .as_array()
        .expect("owners present with --owner");
    let relay = &owners[0];
    assert_eq!(relay["role"], "relay");
    assert_eq!(relay["ip"], "198.51.110.25");
    assert_eq!(relay["answer"]["owner"]["org"], "SomeCloud Hosting, LLC");
    assert_eq!(
        relay["answer"]["owner"]["abuse"][0]["email"],
        "abuse@somecloud.test"
    );
    // The residential origin is in a range the fixture registry does not serve: its error is
    // reported for that IP alone.
    let origin = &owners[1];
    assert_eq!(origin["role"], "origin");
    assert_eq!(origin["ip"], "203.0.114.77");
    assert!(
        origin["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{origin}"
    );
}

#[test]
fn human_output_lists_network_owners_and_without_the_flag_nothing_is_asked() {
    let (_http, dir) = registry();
    let (_, out) = run(cmd(&dir, &["--owner"]));
    let section = out.split("Network owners:").nth(1).expect(&out);
    assert!(
        section.contains("relay  198.51.110.25")
            && section.contains("SomeCloud Hosting, LLC")
            && section.contains("abuse: abuse@somecloud.test"),
        "{section}"
    );
    let (_http2, fresh) = registry();
    let (_, plain) = run(cmd(&fresh, &["--json"]));
    let doc: serde_json::Value = serde_json::from_str(&plain).unwrap();
    assert!(doc.get("owners").is_none(), "{plain}");
    assert!(
        !fresh.path().join("cache").exists(),
        "no lookup without --owner"
    );
}
