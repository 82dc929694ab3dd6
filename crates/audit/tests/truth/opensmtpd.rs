//! OpenSMTPD 6.8: `match` rules, `from src` tables, rdns and sender keys, against the daemon.

use crate::common::*;
use relayhunt_audit::{Mta, Verdict};
use relayhunt_mta_harness::{require_or_skip, OpenSmtpd, OpenSmtpdConfig, Sink};
use relayhunt_probe::ProbeOptions;

#[test]
fn opensmtpd_audit_agrees_with_probe() {
    if !require_or_skip("opensmtpd", OpenSmtpd::available()) {
        return;
    }
    let sink = Sink::start().expect("sink");
    let opts = ProbeOptions::default();
    // Debian's default as a stranger sees it: loopback is `local` to OpenSMTPD.
    let debian = data("opensmtpd/debian-default/smtpd.conf")
        .replace(
            "table aliases file:/etc/aliases",
            "table aliases { postmaster = root }\ntable trusted { 192.0.2.1 }",
        )
        .replace(
            "match from local for any",
            "match from src <trusted> for any",
        );
    let cases = [
        ("debian-default", debian, Verdict::Closed),
        (
            "match-from-any",
            "listen on localhost\naction \"local\" mbox\naction \"out\" relay\n\
             match from any for domain \"example.org\" action \"local\"\nmatch from any for any action \"out\"\n"
                .to_string(),
            Verdict::OpenRelay,
        ),
        (
            "mail-from-whitelist",
            "table our_senders { \"@example.org\" }\nlisten on localhost\naction \"out\" relay\n\
             match from any mail-from <our_senders> for any action \"out\"\n"
                .to_string(),
            Verdict::OpenRelay,
        ),
        (
            // Loopback's reverse name is `localhost`: any client with a PTR matches.
            "from-rdns",
            "listen on localhost\naction \"out\" relay\nmatch from rdns for any action \"out\"\n".to_string(),
            Verdict::OpenRelay,
        ),
        (
            "src-broad",
            "table trusted { 0.0.0.0/0 }\nlisten on localhost\naction \"out\" relay\n\
             match from src <trusted> for any action \"out\"\n"
                .to_string(),
            Verdict::OpenRelay,
        ),
        (
            "docker-src",
            // As a stranger sees it: its loopback entry replaced by TEST-NET-1.
            data("opensmtpd/docker-src/smtpd.conf").replace("{ 127.0.0.1,", "{ 192.0.2.1,"),
            Verdict::Conditional,
        ),
    ];
    for (name, conf, expect) in cases {
        let report = audit(Mta::OpenSmtpd, &[("smtpd.conf", &conf)]);
        let inst = OpenSmtpd::start(OpenSmtpdConfig::text(conf.clone()), sink.port).expect(name);
        let r = probe(inst.port, &opts);
        agree(name, &report, &r, &inst, expect);
        if expect == Verdict::Conditional {
            assert_eq!(
                r.verdict,
                relayhunt_probe::Verdict::Closed,
                "{name}: {}",
                r.detail
            );
        }
    }
}

/// `match` spellings against one daemon: each case's rules get a listener of their own
/// (`listen on … tag CASE`, and `tag CASE` added to its match lines, which a stranger's
/// session always satisfies there), and the stranger speaks from 127.0.0.2 — not a local
/// address to OpenSMTPD, unlike 127.0.0.1.
#[test]
fn opensmtpd_match_spellings_agree_with_live_daemon() {
    if !require_or_skip("opensmtpd", OpenSmtpd::available()) {
        return;
    }
    let sink = Sink::start().expect("sink");
    // (name, match lines, table lines, verdict, rule, relays from 127.0.0.2)
    type Case<'a> = (&'a str, &'a str, &'a str, Verdict, Option<&'a str>, bool);
    let cases: &[Case<'_>] = &[
        // No `from`: OpenSMTPD assumes `from local`.
        (
            "implicit-local",
            "match for any action \"out\"",
            "",
            Verdict::Closed,
            None,
            false,
        ),
        (
            "not-from-local",
            "match !from local for any action \"out\"",
            "",
            Verdict::OpenRelay,
            Some("OPENSMTPD-MATCH-ANY-RELAY"),
            true,
        ),
        (
            "not-for-local",
            "match from any !for local action \"out\"",
            "",
            Verdict::OpenRelay,
            Some("OPENSMTPD-MATCH-ANY-RELAY"),
            true,
        ),
        (
            "not-auth",
            "match !auth from any for any action \"out\"",
            "",
            Verdict::OpenRelay,
            Some("OPENSMTPD-MATCH-ANY-RELAY"),
            true,
        ),
        (
            "auth-only",
            "match auth from any for any action \"out\"",
            "",
            Verdict::Closed,
            None,
            false,
        ),
        (
            "src-regex",
            "match from src regex \".*\" for any action \"out\"",
            "",
            Verdict::OpenRelay,
            Some("OPENSMTPD-SRC-BROAD"),
            true,
        ),
        (
            "src-inline",
            "match from src 0.0.0.0/0 for any action \"out\"",
            "",
            Verdict::OpenRelay,
            Some("OPENSMTPD-SRC-BROAD"),
            true,
        ),
        (
            "domain-regex",
            "match from any for domain regex \".*\" action \"out\"",
            "",
            Verdict::OpenRelay,
            Some("OPENSMTPD-DOMAIN-WILDCARD"),
            true,
        ),
        (
            "domain-tld",
            "match from any for domain \"*.net\" action \"out\"",
            "",
            Verdict::OpenRelay,
            Some("OPENSMTPD-DOMAIN-WILDCARD"),
            true,
        ),
        // `*@*` is not a wildcard for rcpt-to.
        (
            "rcpt-star-star",
            "match from any for rcpt-to \"*@*\" action \"out\"",
            "",
            Verdict::Closed,
            None,
            false,
        ),
        (
            "mail-from-regex",
            "match from any mail-from regex \".*@example\\.org\" for any action \"out\"",
            "",
            Verdict::OpenRelay,
            Some("OPENSMTPD-FROM-MAIL-FROM-OR-RDNS"),
            true,
        ),
        // AUTH offered but optional: a relay rule without `auth` relays for anyone.
        (
            "auth-optional-any",
            "match from any for any action \"out\"",
            "",
            Verdict::OpenRelay,
            Some("OPENSMTPD-AUTH-OPTIONAL-RELAY"),
            true,
        ),
        (
            "auth-optional-auth-only",
            "match auth from any for any action \"out\"",
            "",
            Verdict::Closed,
            None,
            false,
        ),
        // A table file outside the audited directory: CONDITIONAL; this one lists the stranger.
        (
            "src-table-unseen",
            "match from src <partners> for any action \"out\"",
            "table partners file:{DIR}/partners\n",
            Verdict::Conditional,
            Some("OPENSMTPD-TABLE-UNSEEN"),
            true,
        ),
    ];
    // Listener options of some cases (STARTTLS with a certificate, optional AUTH).
    let listener = |name: &str| match name {
        "auth-optional-any" | "auth-optional-auth-only" => "tls pki relayhunt auth-optional",
        _ => "",
    };
    let pki = "pki relayhunt cert \"{DIR}/server.crt\"\npki relayhunt key \"{DIR}/server.key\"\n";
    let mut live = format!("{pki}action \"out\" relay\n");
    for (name, rules, tables, ..) in cases {
        live.push_str(tables);
        live.push_str(&format!(
            "listen on localhost {} tag {name}\n",
            listener(name)
        ));
        for l in rules.lines() {
            live.push_str(&l.replacen("match ", &format!("match tag {name} "), 1));
            live.push('\n');
        }
    }
    let (crt, key) = server_certificate();
    let config = OpenSmtpdConfig::text(live)
        .with_file("partners", "127.0.0.2\n")
        .with_file("server.crt", crt)
        .with_file("server.key", key);
    let inst = OpenSmtpd::start(config, sink.port).expect("opensmtpd");
    for (name, rules, tables, verdict, rule, relays) in cases {
        let conf = format!(
            "{pki}{tables}listen on localhost {}\naction \"out\" relay\n{rules}\n",
            listener(name)
        )
        .replace("{DIR}", "/etc/mail");
        let report = audit(Mta::OpenSmtpd, &[("smtpd.conf", &conf)]);
        let ids: Vec<&str> = report.findings.iter().map(|f| f.rule).collect();
        assert_eq!(report.verdict, *verdict, "{name}: audit; findings {ids:?}");
        if let Some(rule) = rule {
            assert!(ids.contains(rule), "{name}: {rule} expected in {ids:?}");
        }
        let port = match inst.service_port(name) {
            Some(p) => p,
            None if *name == "implicit-local" => inst.port,
            None => inst.port2.expect("second listener"),
        };
        let cmds: Vec<String> = [
            "EHLO stranger.test",
            "MAIL FROM:<a@example.org>",
            "RCPT TO:<victim@example.net>",
            "QUIT",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let code = smtp_codes_from([127, 0, 0, 2], port, &cmds)[3];
        assert_eq!(
            code == 250,
            *relays,
            "{name}: audit {} but the daemon answered {code}\n{}",
            verdict.label(),
            inst.log()
        );
    }
    // The implicit `from local` rule does relay for a local client: it is not dead config.
    let cmds: Vec<String> = [
        "EHLO local.test",
        "MAIL FROM:<a@example.org>",
        "RCPT TO:<victim@example.net>",
        "QUIT",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(
        smtp_codes_from([127, 0, 0, 1], inst.port, &cmds)[3],
        250,
        "{}",
        inst.log()
    );
}

/// A self-signed server certificate and key (PEM) made with openssl, for `pki` lines.
fn server_certificate() -> (String, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=relayhunt-opensmtpd.test",
            "-keyout",
            "k.pem",
            "-out",
            "c.pem",
        ])
        .current_dir(dir.path())
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |n: &str| std::fs::read_to_string(dir.path().join(n)).expect("pem");
    (read("c.pem"), read("k.pem"))
}
