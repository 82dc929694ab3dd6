//! The `relayhunt audit` surface: exit codes for CI, JSON and SARIF 2.1.0 output, MTA
//! detection, and hostile input that must not panic.

use proptest::prelude::*;
use relayhunt_audit::cli::{run, Args};
use relayhunt_audit::{audit_path, audit_text, output, Mta, Severity};
use std::path::PathBuf;

fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

fn args(rel: &str) -> Args {
    Args {
        path: data(rel),
        mta: None,
        json: false,
        sarif: false,
        format: None,
        quiet: false,
        fail_on: Severity::High,
        strict: false,
        interfaces: Vec::new(),
        local_interfaces: false,
    }
}

#[test]
fn exit_codes_for_ci() {
    assert_eq!(
        run(args("postfix/seed-open")),
        1,
        "open relay fails the build"
    );
    assert_eq!(run(args("postfix/seed-fixed")), 0, "closed passes");
    assert_eq!(
        run(args("postfix/docker-mailserver")),
        1,
        "conditional findings are high"
    );
    let mut a = args("postfix/docker-mailserver");
    a.fail_on = Severity::Critical;
    assert_eq!(run(a), 0, "threshold above the finding passes");
    let mut a = args("postfix/mailcow");
    a.fail_on = Severity::Critical;
    a.strict = true;
    assert_eq!(
        run(a),
        1,
        "--strict fails on unchecked parts (the SQL table)"
    );
    assert_eq!(
        run(args("does/not/exist")),
        2,
        "unreadable input is an error"
    );
}

#[test]
fn detection_by_files_and_contents() {
    let cases = [
        ("postfix/debian-default", Mta::Postfix),
        ("postfix/postconf-n/postconf-n.txt", Mta::Postfix),
        ("exim/debian-split", Mta::Exim),
        ("exim/open-howto/exim4.conf", Mta::Exim),
        ("opensmtpd/open/smtpd.conf", Mta::OpenSmtpd),
        ("sendmail/legacy-open", Mta::Sendmail),
    ];
    for (rel, mta) in cases {
        assert_eq!(audit_path(&data(rel), None).unwrap().mta, mta, "{rel}");
    }
    let err = audit_text("notes.txt", "just some text\n", None).unwrap_err();
    assert!(err.to_string().contains("--mta"), "{err}");
}

#[test]
fn json_report_carries_fix_and_location() {
    let r = audit_path(&data("postfix/seed-open"), None).unwrap();
    let v: serde_json::Value = serde_json::from_str(&output::json::render(&r)).unwrap();
    assert_eq!(v["verdict"], "OPEN RELAY");
    assert_eq!(v["mta"], "postfix");
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "POSTFIX-MYNETWORKS-OPEN");
    assert_eq!(f["severity"], "critical");
    assert_eq!(f["location"]["line"], 15);
    assert_eq!(f["value"], "mynetworks = 0.0.0.0/0");
    assert!(f["fix"]
        .as_str()
        .unwrap()
        .starts_with("mynetworks = 127.0.0.0/8"));
}

#[test]
fn sarif_is_2_1_0_with_rules_results_and_notifications() {
    let r = audit_path(&data("postfix/mailcow"), None).unwrap();
    let v: serde_json::Value = serde_json::from_str(&output::sarif::render(&r)).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.len() >= 15, "every Postfix rule is described");
    assert!(rules
        .iter()
        .all(|r| r["id"].as_str().unwrap().starts_with("POSTFIX-")));
    let results = run["results"].as_array().unwrap();
    assert_eq!(results[0]["ruleId"], "POSTFIX-MYNETWORKS-PRIVATE");
    assert_eq!(results[0]["level"], "error");
    let region = &results[0]["locations"][0]["physicalLocation"]["region"];
    assert!(region["startLine"].as_u64().unwrap() > 0);
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(notes
        .iter()
        .any(|n| n["message"]["text"].as_str().unwrap().contains("mysql")));
}

#[test]
fn human_output_names_verdict_rule_place_and_fix() {
    let r = audit_path(&data("exim/relay-nets-star"), None).unwrap();
    let text = output::human::render(&r);
    assert!(text.starts_with("OPEN RELAY: exim config"), "{text}");
    assert!(text.contains("EXIM-RELAY-FROM-HOSTS-BROAD"));
    assert!(text.contains("fix:   hostlist relay_from_hosts"));
}

#[test]
fn every_rule_has_reason_fix_and_source() {
    let all = relayhunt_audit::rules::catalog();
    assert!(all.len() >= 40, "{}", all.len());
    let mut ids: Vec<&str> = all.iter().map(|r| r.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "rule ids are unique");
    for r in &all {
        assert!(
            !r.why.is_empty() && !r.fix.is_empty() && !r.source.is_empty(),
            "{}",
            r.id
        );
        assert!(
            r.id.starts_with(&r.mta.label().to_ascii_uppercase()),
            "{}",
            r.id
        );
    }
}

#[test]
fn oversized_file_is_refused_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("main.cf");
    let f = std::fs::File::create(&p).unwrap();
    f.set_len(relayhunt_audit::source::MAX_FILE_BYTES + 1)
        .unwrap();
    let err = audit_path(&p, None).unwrap_err();
    assert!(err.to_string().contains("limit"), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Hostile config text never panics any parser and always yields a verdict.
    #[test]
    fn arbitrary_text_never_panics(text in "(?s).{0,400}", mta in 0usize..4) {
        let mta = [Mta::Postfix, Mta::Exim, Mta::OpenSmtpd, Mta::Sendmail][mta];
        let _ = audit_text("fuzz.conf", &text, Some(mta));
    }

    /// Config-shaped lines with random values never panic either.
    #[test]
    fn config_shaped_text_never_panics(
        lines in proptest::collection::vec(
            prop_oneof![
                "[a-z_]{1,20} = [ -~]{0,40}",
                "  -o [a-z_]{1,12}=[ -~]{0,20}",
                "(accept|deny|require)( [a-z_]+ = [ -~]{0,20})?",
                "match (from|for) [a-z-]{1,8} [<{\"]?[ -~]{0,15} action [a-z\"]{1,6}",
                "FEATURE\\(`[a-z_]{1,20}'\\)dnl",
                "Connect:[0-9.]{1,8} RELAY",
                "\\.(ifdef|ifndef|else|endif|include) ?[A-Z_/]{0,10}",
                "begin (acl|routers|authenticators)",
                "[a-z0-9]{1,6}:",
                "\\$\\{[a-z_?:{}$]{0,20}\\}",
            ],
            0..30,
        ),
        mta in 0usize..4,
    ) {
        let mta = [Mta::Postfix, Mta::Exim, Mta::OpenSmtpd, Mta::Sendmail][mta];
        let _ = audit_text("fuzz.conf", &lines.join("\n"), Some(mta));
    }
}

#[test]
fn self_referencing_macros_and_include_loops_are_bounded() {
    let text = "A = A A A A A A A A\nprimary_hostname = A\n.include /etc/exim4/exim4.conf\nacl_smtp_rcpt = x\n";
    let bundle = relayhunt_audit::Bundle::from_files("/etc/exim4", &[("exim4.conf", text)]);
    let t = std::time::Instant::now();
    let r = relayhunt_audit::audit_bundle(&bundle, Some(Mta::Exim)).unwrap();
    assert!(
        t.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        t.elapsed()
    );
    assert!(!r.warnings.is_empty());
}

#[test]
fn interface_addresses_read_from_ip_addr_output() {
    let text = "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n\
                4: eth0    inet 203.0.113.5/20 brd 203.0.127.255 scope global eth0\\       valid_lft forever\n\
                4: eth0    inet6 2001:db8::5/64 scope global \\       valid_lft forever\n";
    let nets: Vec<String> = relayhunt_audit::cli::parse_ip_addr_output(text)
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert_eq!(
        nets,
        vec!["127.0.0.1/8", "203.0.113.5/20", "2001:db8::5/64"]
    );
}
