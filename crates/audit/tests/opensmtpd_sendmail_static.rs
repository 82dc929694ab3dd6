//! OpenSMTPD and Sendmail configs (Debian's shipped ones and real-world mistakes) audited
//! statically.

use relayhunt_audit::{audit_path, Mta, Report, Verdict};
use std::path::PathBuf;

fn audit(rel: &str) -> Report {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel);
    audit_path(&p, None).unwrap_or_else(|e| panic!("audit {rel}: {e}"))
}

fn rules(r: &Report) -> Vec<&str> {
    r.findings.iter().map(|f| f.rule).collect()
}

#[test]
fn opensmtpd_debian_default_is_closed() {
    let r = audit("opensmtpd/debian-default");
    assert_eq!(r.mta, Mta::OpenSmtpd);
    assert_eq!(r.verdict, Verdict::Closed, "{r:#?}");
}

#[test]
fn opensmtpd_match_from_any_relay_is_open() {
    let r = audit("opensmtpd/open");
    assert_eq!(r.verdict, Verdict::OpenRelay, "{r:#?}");
    assert_eq!(rules(&r), vec!["OPENSMTPD-MATCH-ANY-RELAY"]);
    assert_eq!(r.findings[0].location.line, 9);
    assert_eq!(r.findings[0].fix, "match auth from any for any action out");
}

#[test]
fn opensmtpd_auth_optional_listener_is_open() {
    let r = audit("opensmtpd/auth-optional");
    assert_eq!(r.verdict, Verdict::OpenRelay, "{r:#?}");
    assert!(
        rules(&r).contains(&"OPENSMTPD-AUTH-OPTIONAL-RELAY"),
        "{r:#?}"
    );
    assert!(
        r.warnings.iter().any(|w| w.message.contains("creds")),
        "{:#?}",
        r.warnings
    );
}

#[test]
fn opensmtpd_docker_src_is_conditional() {
    let r = audit("opensmtpd/docker-src");
    assert_eq!(r.verdict, Verdict::Conditional, "{r:#?}");
    assert_eq!(rules(&r), vec!["OPENSMTPD-SRC-PRIVATE"]);
}

#[test]
fn opensmtpd_mail_from_rule_is_open() {
    let r = audit("opensmtpd/mail-from");
    assert_eq!(r.verdict, Verdict::OpenRelay, "{r:#?}");
    assert_eq!(rules(&r), vec!["OPENSMTPD-FROM-MAIL-FROM-OR-RDNS"]);
    assert_eq!(r.findings[0].location.line, 6);
}

#[test]
fn sendmail_debian_default_is_closed() {
    let r = audit("sendmail/debian-default");
    assert_eq!(r.mta, Mta::Sendmail);
    assert_eq!(r.verdict, Verdict::Closed, "{r:#?}");
    assert!(r.findings.is_empty(), "{r:#?}");
}

#[test]
fn sendmail_legacy_gateway_findings() {
    let r = audit("sendmail/legacy-open");
    assert_eq!(r.verdict, Verdict::OpenRelay, "{r:#?}");
    let ids = rules(&r);
    for id in [
        "SENDMAIL-CONNECT-RELAY-SHORT",
        "SENDMAIL-CONNECT-RELAY-PRIVATE",
        "SENDMAIL-RELAY-DOMAINS-TLD",
        "SENDMAIL-RELAY-ENTIRE-DOMAIN",
        "SENDMAIL-RELAY-BASED-ON-MX",
        "SENDMAIL-RELAY-LOCAL-FROM",
        "SENDMAIL-LOOSE-RELAY-CHECK",
        "SENDMAIL-ACCEPT-UNQUALIFIED-SENDERS",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    // The commented-out promiscuous_relay is not a finding.
    assert!(!ids.contains(&"SENDMAIL-PROMISCUOUS-RELAY"));
    let short = r
        .findings
        .iter()
        .find(|f| f.rule == "SENDMAIL-CONNECT-RELAY-SHORT")
        .unwrap();
    assert_eq!(short.value, "Connect:62 RELAY");
    assert_eq!(short.location.line, 7);
}

#[test]
fn opensmtpd_relay_table_outside_the_audited_files_is_conditional() {
    let conf =
        "table partners file:/etc/mail/partners\nlisten on localhost\naction \"out\" relay\n\
                match from src <partners> for any action \"out\"\n";
    let r = relayhunt_audit::audit_text("smtpd.conf", conf, Some(Mta::OpenSmtpd)).unwrap();
    assert_eq!(r.verdict, Verdict::Conditional, "{r:#?}");
    assert_eq!(r.findings[0].rule, "OPENSMTPD-TABLE-UNSEEN");
    assert!(
        r.findings[0].why.contains("file:/etc/mail/partners"),
        "{}",
        r.findings[0].why
    );
}
