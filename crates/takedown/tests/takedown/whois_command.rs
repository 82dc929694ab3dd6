//! `relayhunt whois` end to end (minus the binary): flags → lookups on loopback → output.

use crate::support::{read, HttpFixture, Reply};
use clap::Parser;
use relayhunt_takedown::cli::{run_whois_to, WhoisArgs};

#[derive(Parser)]
struct Cmd {
    #[command(flatten)]
    args: WhoisArgs,
}

fn setup() -> (HttpFixture, tempfile::TempDir) {
    let http = HttpFixture::start();
    http.route(
        "/arin/ip/198.51.110.25",
        Reply::json(200, read("rdap/arin-nested-abuse.json")),
    );
    http.route(
        "/tld-test/domain/payroll-secure-login.test",
        Reply::json(200, read("rdap/domain-new.json")),
    );
    let dir = tempfile::tempdir().unwrap();
    for (f, t) in [
        ("ipv4.json", "rdap/bootstrap-ipv4.json"),
        ("dns.json", "rdap/bootstrap-dns.json"),
    ] {
        std::fs::write(dir.path().join(f), read(t).replace("{base}", &http.base())).unwrap();
    }
    (http, dir)
}

fn run(dir: &tempfile::TempDir, extra: &[&str]) -> (u8, String) {
    let mut argv = vec!["whois".to_string()];
    argv.extend(extra.iter().map(|s| s.to_string()));
    let cache = dir.path().join("cache");
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
    let args = Cmd::try_parse_from(argv).unwrap().args;
    let mut out = Vec::new();
    let code = run_whois_to(args, &mut out);
    (code, String::from_utf8(out).unwrap())
}

#[test]
fn human_output_names_network_org_asn_and_the_labelled_abuse_contact() {
    let (_http, dir) = setup();
    let (code, out) = run(&dir, &["198.51.110.25"]);
    assert_eq!(code, 0, "{out}");
    let want = [
        "198.51.110.25\n",
        "  network    198.51.110.0/24 (198.51.110.0 - 198.51.110.255) SOMECLOUD-NET-1 [NET-198-51-110-0-1]\n",
        "  org        SomeCloud Hosting, LLC\n",
        "  asn        AS64500\n",
        "  registered 2015-06-30T13:44:10-04:00, changed 2024-03-11T10:02:17-04:00\n",
        "  abuse      abuse@somecloud.test  [high, RDAP abuse role: RDAP entity ABUSE5250-ARIN, roles abuse, depth 1]\n",
    ]
    .concat();
    assert!(out.starts_with(&want), "{out}");
    // Second run in the same cache directory: answered from disk.
    let (_, again) = run(&dir, &["198.51.110.99"]);
    assert!(again.starts_with("198.51.110.99 (cached)\n"), "{again}");
}

#[test]
fn json_lines_flag_the_newly_registered_domain_and_report_per_target_errors() {
    let (_http, dir) = setup();
    let (code, out) = run(
        &dir,
        &[
            "--format",
            "ndjson",
            "payroll-secure-login.test",
            "198.51.110.25",
            "10.0.0.1",
            "45.0.0.1",
        ],
    );
    assert_eq!(
        code, 2,
        "a failed target makes the run an error, after the others are printed"
    );
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["domain"]["newly_registered"], true);
    assert_eq!(lines[0]["domain"]["registered"], "2026-11-19T22:04:51Z");
    assert_eq!(
        lines[1]["owner"]["abuse"][0]["email"],
        "abuse@somecloud.test"
    );
    assert_eq!(lines[1]["owner"]["abuse"][0]["source"], "rdap_abuse_role");
    assert_eq!(lines[1]["owner"]["abuse"][0]["confidence"], "high");
    assert_eq!(lines[2]["no_owner"]["class"], "private", "{}", lines[2]);
    assert_eq!(lines[2]["no_owner"]["range"], "10.0.0.0/8");
    // 45.0.0.1 is public but neither the fixture registry nor whois answers: an error.
    assert!(
        lines[3]["error"]
            .as_str()
            .unwrap()
            .contains("no owner found"),
        "{}",
        lines[3]
    );
    let (code, _) = run(&dir, &["payroll-secure-login.test"]);
    assert_eq!(code, 1, "a newly registered domain is a finding");
}

#[test]
fn json_is_one_document_for_one_target_and_an_array_for_several() {
    let (_http, dir) = setup();
    let (code, out) = run(&dir, &["--json", "198.51.110.25"]);
    assert_eq!(code, 0, "{out}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["owner"]["abuse"][0]["email"], "abuse@somecloud.test");
    let (code, out) = run(&dir, &["--json", "198.51.110.25", "45.0.0.1"]);
    assert_eq!(code, 2, "{out}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc.as_array().map(Vec::len), Some(2), "{doc}");
    assert_eq!(doc[0]["query"], "198.51.110.25");
    assert!(doc[1]["error"].is_string(), "{doc}");
    let (code, out) = run(&dir, &["-q", "198.51.110.25"]);
    assert_eq!((code, out.as_str()), (0, ""));
}

#[test]
fn documentation_private_and_loopback_addresses_are_answered_without_a_lookup() {
    let (http, dir) = setup();
    let (code, out) = run(
        &dir,
        &["198.51.100.25", "2001:db8::25", "192.168.1.10", "127.0.0.1"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out,
        [
            "198.51.100.25\n  no owner: documentation range (TEST-NET-2), RFC 5737\n",
            "2001:db8::25\n  no owner: documentation range, RFC 3849\n",
            "192.168.1.10\n  no owner: private range, RFC 1918\n",
            "127.0.0.1\n  no owner: loopback range, RFC 1122 §3.2.1.3\n",
        ]
        .concat()
    );
    let (code, out) = run(&dir, &["--json", "100.64.3.4"]);
    assert_eq!(code, 0, "{out}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["no_owner"]["class"], "shared_cgn", "{doc}");
    assert_eq!(doc["no_owner"]["rfc"], "RFC 6598");
    assert!(doc.get("owner").is_none(), "{doc}");
    assert!(
        http.hits().is_empty(),
        "asked the registry: {:?}",
        http.hits()
    );
    assert!(
        !dir.path().join("cache").exists()
            || std::fs::read_dir(dir.path().join("cache"))
                .unwrap()
                .next()
                .is_none(),
        "a special address was cached"
    );
}
