//! `relayhunt analyze --verify` end to end: the real binary against a real authoritative
//! DNS server on loopback (zone files in tests/data/verify/seed), and against one that
//! never answers.

use relayhunt_dns_fixture::{SilentServer, ZoneServer};
use serde_json::Value;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_relayhunt");

fn sample(name: &str) -> String {
    format!("{}/../../samples/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn seed_zones() -> ZoneServer {
    let dir = format!("{}/tests/data/verify/seed", env!("CARGO_MANIFEST_DIR"));
    ZoneServer::start_folder(std::path::Path::new(&dir)).expect("DNS fixture")
}

fn relayhunt(args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("analyze")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run relayhunt")
}

fn finding<'a>(doc: &'a Value, id: &str) -> Option<&'a Value> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
}

#[test]
fn the_seed_scenario_relay_not_in_spf_no_dkim_dmarc_reject() {
    let dns = seed_zones();
    let server = dns.addr().to_string();
    let out = relayhunt(&[
        "--verify",
        "--dns-server",
        &server,
        "--dnsbl",
        "dnsbl.test",
        "--json",
        &sample("seed-relay.eml"),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let v = &doc["verification"];
    assert_eq!(v["resolver"], server.as_str());
    // SPF for the relay against the envelope domain: fail on -all, and the receiver agreed.
    let relay_spf = v["spf"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["role"] == "relay" && e["identity"] == "mail_from")
        .expect("relay SPF");
    assert_eq!(relay_spf["ip"], "198.51.100.25");
    assert_eq!(relay_spf["domain"], "northwind-traders.example");
    assert_eq!(relay_spf["result"], "fail");
    assert_eq!(relay_spf["matched"], "-all in northwind-traders.example");
    assert_eq!(relay_spf["claimed"], "fail");
    assert_eq!(relay_spf["dns_terms"], 1);
    // The origin is not in SPF either.
    assert!(v["spf"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["role"] == "origin" && e["result"] == "fail"));
    assert_eq!(v["dkim"].as_array().unwrap().len(), 0, "no DKIM signature");
    assert_eq!(v["dmarc"]["result"], "fail");
    assert_eq!(v["dmarc"]["policy"], "reject");
    assert_eq!(v["dmarc"]["claimed"], "fail");
    assert_eq!(v["dmarc"]["claimed_action"], "none");
    assert!(v["dmarc"]["receiver_should"]
        .as_str()
        .unwrap()
        .starts_with("reject it"));
    // Hops: the relay confirmed and listed, the origin without PTR.
    let hops = v["hops"].as_array().unwrap();
    let relay = hops.iter().find(|h| h["role"] == "relay").unwrap();
    assert_eq!(relay["fcrdns"], "pass");
    assert_eq!(relay["helo_check"], "matches_rdns");
    assert_eq!(relay["dnsbl"][0]["status"], "listed");
    let origin = hops.iter().find(|h| h["ip"] == "203.0.113.77").unwrap();
    assert_eq!(origin["fcrdns"], "none");
    assert_eq!(origin["helo_check"], "not_fqdn");
    assert_eq!(origin["recorded_rdns_current"], false);
    assert_eq!(v["dns_failures"].as_array().unwrap().len(), 0, "{v}");
    // Findings with evidence.
    let spf = finding(&doc, "verify.relay_not_in_spf").expect("relay SPF finding");
    assert_eq!(spf["severity"], "medium");
    assert!(spf["evidence"][0]["text"]
        .as_str()
        .unwrap()
        .contains("mail-relay.somecloud.example (198.51.100.25)"));
    let dmarc = finding(&doc, "verify.dmarc_policy_not_applied").expect("DMARC finding");
    assert!(dmarc["explanation"]
        .as_str()
        .unwrap()
        .contains("recorded action=none"));
    assert_eq!(dmarc["evidence"][0]["header"], "Authentication-Results");
    assert!(finding(&doc, "verify.dnsbl_listed").is_some());
    // The listing corroborates the relay verdict; SPF fail is already a header signal.
    let signals: Vec<&str> = doc["relay"]["signals"]
        .as_array()
        .expect("relay assessment")
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(signals.contains(&"reputation.dnsbl_listed"), "{signals:?}");
    assert!(signals.contains(&"spf.fail_for_relay"), "{signals:?}");
    assert!(signals.contains(&"auth.spf_recheck_fail"), "{signals:?}");
    assert_eq!(doc["verdict"]["kind"], "open_relay_suspected");
    assert!(
        finding(&doc, "verify.spf_disagrees").is_none(),
        "receiver agreed"
    );
    // The human report shows the same.
    let out = relayhunt(&[
        "--verify",
        "--dns-server",
        &server,
        "--no-dnsbl",
        "--color",
        "never",
        &sample("seed-relay.eml"),
    ]);
    let human = String::from_utf8_lossy(&out.stdout);
    assert!(human.contains("Verified over DNS now:"), "{human}");
    assert!(
        human.contains("-all in northwind-traders.example"),
        "{human}"
    );
    assert!(human.contains("a receiver should reject it"), "{human}");
}

#[test]
fn without_verify_nothing_is_looked_up_and_flags_need_it() {
    let out = relayhunt(&["--json", &sample("seed-relay.eml")]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc.get("verification").is_none());
    let out = relayhunt(&["--dns-server", "127.0.0.1", &sample("seed-relay.eml")]);
    assert_eq!(out.status.code(), Some(2));
    let out = relayhunt(&[
        "--verify",
        "--dns-server",
        "dns.example",
        &sample("seed-relay.eml"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--dns-server"));
}

#[test]
fn a_dead_resolver_gives_temperror_within_the_timeouts_on_a_batch() {
    let silent = SilentServer::start().unwrap();
    let server = silent.addr().to_string();
    let started = Instant::now();
    let out = relayhunt(&[
        "--verify",
        "--dns-server",
        &server,
        "--dns-timeout",
        "0.3",
        "--format",
        "ndjson",
        &sample("seed-relay.eml"),
        &sample("clean.eml"),
        &sample("mailing-list.eml"),
        &sample("compromised-account.eml"),
    ]);
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let docs: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(docs.len(), 4);
    for d in &docs {
        let v = &d["verification"];
        assert!(!v["dns_failures"].as_array().unwrap().is_empty(), "{v}");
        for e in v["spf"].as_array().unwrap() {
            assert_eq!(e["result"], "temperror", "{e}");
        }
        assert!(finding(d, "verify.dns_incomplete").is_some());
        assert!(finding(d, "verify.relay_not_in_spf").is_none());
    }
    let seed_hops = docs[0]["verification"]["hops"].as_array().unwrap();
    assert!(
        seed_hops.iter().any(|h| h["helo_check"] == "temperror"),
        "{seed_hops:?}"
    );
    assert!(seed_hops.iter().all(|h| h["fcrdns"] == "temperror"));
    // Every question costs one timeout at most once per run (failures are cached).
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

/// The seed message with the receiver's results rewritten to pass everything, as a forged or
/// misplaced `Authentication-Results` would: the re-check contradicts each claim.
#[test]
fn claims_the_dns_contradicts_are_findings_quoting_the_results_header() {
    let dns = seed_zones();
    let server = dns.addr().to_string();
    let seed = std::fs::read_to_string(sample("seed-relay.eml")).unwrap();
    let forged = seed
        .replace(
            "spf=fail (sender IP is 198.51.100.25)",
            "spf=pass (sender IP is 198.51.100.25)",
        )
        .replace(
            "dkim=none (message not signed)\r\n header.d=none;dmarc=fail action=none",
            "dkim=pass (signature was verified)\r\n header.d=northwind-traders.example;dmarc=pass action=none",
        )
        .replace("Received-SPF: Fail", "Received-SPF: Pass");
    assert_ne!(forged, seed);
    assert!(forged.contains("dmarc=pass"), "sample changed: {forged}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("claims-pass.eml");
    std::fs::write(&path, &forged).unwrap();
    let out = relayhunt(&[
        "--verify",
        "--dns-server",
        &server,
        "--no-dnsbl",
        "--json",
        path.to_str().unwrap(),
    ]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let v = &doc["verification"];
    assert_eq!(v["dmarc"]["claimed"], "pass", "{v}");
    for id in [
        "verify.spf_disagrees",
        "verify.dkim_disagrees",
        "verify.dmarc_disagrees",
    ] {
        let f = finding(&doc, id).unwrap_or_else(|| panic!("{id} missing: {doc}"));
        assert_eq!(f["severity"], "medium", "{f}");
        let quoted: Vec<&str> = f["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["header"].as_str().unwrap())
            .collect();
        assert!(quoted.contains(&"Authentication-Results"), "{id}: {f}");
    }
    let spf = finding(&doc, "verify.spf_disagrees").unwrap();
    assert!(
        spf["explanation"]
            .as_str()
            .unwrap()
            .contains("spf=pass for northwind-traders.example"),
        "{spf}"
    );
    // The unchanged seed: the receiver's results agree with the re-check.
    let out = relayhunt(&[
        "--verify",
        "--dns-server",
        &server,
        "--no-dnsbl",
        "--json",
        &sample("seed-relay.eml"),
    ]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    for id in [
        "verify.spf_disagrees",
        "verify.dkim_disagrees",
        "verify.dmarc_disagrees",
    ] {
        assert!(finding(&doc, id).is_none(), "{id}: {doc}");
    }
}
