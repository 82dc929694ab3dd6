//! Postfix configs from real deployments audited statically: the verdict an administrator
//! would give, the rule, and the line to fix.

use relayhunt_audit::{audit_path, Effect, Mta, Report, Verdict};
use std::path::PathBuf;

fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/postfix")
        .join(rel)
}

fn audit(rel: &str) -> Report {
    audit_path(&data(rel), None).unwrap_or_else(|e| panic!("audit {rel}: {e}"))
}

fn rules(r: &Report) -> Vec<&str> {
    r.findings.iter().map(|f| f.rule).collect()
}

#[test]
fn debian_default_is_closed() {
    let r = audit("debian-default");
    assert_eq!(r.mta, Mta::Postfix);
    assert_eq!(r.verdict, Verdict::Closed, "{r:#?}");
    assert!(r.findings.is_empty(), "{r:#?}");
}

#[test]
fn seed_open_mynetworks_everyone_is_open_relay_with_the_line() {
    let r = audit("seed-open");
    assert_eq!(r.verdict, Verdict::OpenRelay);
    let f = &r.findings[0];
    assert_eq!(f.rule, "POSTFIX-MYNETWORKS-OPEN");
    assert_eq!(f.effect, Effect::Open);
    assert!(f.location.file.ends_with("seed-open/main.cf"));
    assert_eq!(f.location.line, 15);
    assert_eq!(f.value, "mynetworks = 0.0.0.0/0");
    assert!(f.fix.starts_with("mynetworks = 127.0.0.0/8"));
}

#[test]
fn seed_fixed_is_closed() {
    let r = audit("seed-fixed");
    assert_eq!(r.verdict, Verdict::Closed, "{r:#?}");
}

#[test]
fn docker_mailserver_private_range_is_conditional() {
    let r = audit("docker-mailserver");
    assert_eq!(r.verdict, Verdict::Conditional, "{r:#?}");
    assert!(
        rules(&r)
            .iter()
            .all(|id| *id == "POSTFIX-MYNETWORKS-PRIVATE"),
        "{r:#?}"
    );
    // The smtpd pass service behind postscreen is evaluated; submission requires SASL.
    assert!(r.findings.iter().any(|f| f
        .scope
        .as_deref()
        .is_some_and(|s| s.contains("smtpd (pass)"))));
    assert!(!r
        .findings
        .iter()
        .any(|f| f.scope.as_deref().is_some_and(|s| s.contains("submission"))));
    // check_policy_service comes after reject_unauth_destination: never reached by a
    // stranger, so no warning about it.
    assert!(!r
        .warnings
        .iter()
        .any(|w| w.message.contains("policy service")));
}

#[test]
fn mailcow_docker_network_is_conditional_and_sql_table_warned() {
    let r = audit("mailcow");
    assert_eq!(r.verdict, Verdict::Conditional, "{r:#?}");
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == "POSTFIX-MYNETWORKS-PRIVATE")
        .expect("private");
    assert!(f.why.contains("172.22.1.0/24"), "{}", f.why);
    assert!(
        r.warnings.iter().any(|w| w.message.contains("mysql")),
        "{:#?}",
        r.warnings
    );
}

#[test]
fn submission_sender_whitelist_opens_only_submission() {
    let r = audit("submission-sender-whitelist");
    assert_eq!(r.verdict, Verdict::OpenRelay, "{r:#?}");
    let f = &r.findings[0];
    assert_eq!(f.rule, "POSTFIX-ACCESS-OK-BEFORE-UNAUTH");
    assert!(f.location.file.ends_with("app_senders"));
    assert_eq!(f.location.line, 2);
    assert_eq!(f.value, "orders@shop.example OK");
    assert!(f.scope.as_deref().unwrap().contains("submission"));
    assert_eq!(
        f.fix,
        "-o smtpd_relay_restrictions=permit_mynetworks,permit_sasl_authenticated,reject_unauth_destination,check_sender_access,hash:/etc/postfix/app_senders"
    );
    assert_eq!(r.findings.len(), 1, "{r:#?}");
}

#[test]
fn postconf_n_output_with_huge_range_and_xforward() {
    let r = audit("postconf-n/postconf-n.txt");
    assert_eq!(r.verdict, Verdict::OpenRelay, "{r:#?}");
    assert_eq!(
        rules(&r),
        vec!["POSTFIX-MYNETWORKS-HUGE", "POSTFIX-XFORWARD-BROAD"]
    );
    assert_eq!(r.findings[0].location.line, 11);
}

#[test]
fn relay_domains_static_is_open_and_untrusted_routing_flagged() {
    let r = audit("relay-domains-static");
    assert_eq!(r.verdict, Verdict::OpenRelay, "{r:#?}");
    let ids = rules(&r);
    assert!(ids.contains(&"POSTFIX-RELAY-DOMAINS-WILDCARD"), "{ids:?}");
    assert!(ids.contains(&"POSTFIX-ALLOW-UNTRUSTED-ROUTING"), "{ids:?}");
}

#[test]
fn old_config_without_compat_level_trusts_subnet() {
    let r = audit("compat-subnet");
    assert_eq!(r.verdict, Verdict::Conditional, "{r:#?}");
    let ids = rules(&r);
    assert!(ids.contains(&"POSTFIX-MYNETWORKS-STYLE"), "{ids:?}");
    assert!(ids.contains(&"POSTFIX-SASL-ANONYMOUS"), "{ids:?}");
    assert!(ids.contains(&"POSTFIX-RESOLVE-DEQUOTED"), "{ids:?}");
    let style = r
        .findings
        .iter()
        .find(|f| f.rule == "POSTFIX-MYNETWORKS-STYLE")
        .unwrap();
    assert_eq!(style.location.line, 0, "a default, not a line");
    assert!(style.value.contains("compatibility_level is below 2"));
}

#[test]
fn compat_zero_without_restrictions_is_reported() {
    let r = relayhunt_audit::audit_text(
        "main.cf",
        "myhostname = a.example\nmynetworks = 127.0.0.0/8\n",
        Some(Mta::Postfix),
    )
    .unwrap();
    assert_eq!(rules(&r), vec!["POSTFIX-COMPAT-ZERO"]);
    assert_eq!(r.verdict, Verdict::Closed);
}

#[test]
fn permit_before_unauth_is_fatal_not_open_and_final_permit_is_fine() {
    let open = "compatibility_level = 3.6\nsmtpd_relay_restrictions =\nsmtpd_recipient_restrictions = permit_mynetworks, permit, reject_unauth_destination, reject\n";
    let r = relayhunt_audit::audit_text("main.cf", open, Some(Mta::Postfix)).unwrap();
    // Postfix ignores checks after `permit` and refuses to start: not a relay, but reported.
    assert_eq!(r.verdict, Verdict::Closed, "{r:#?}");
    assert_eq!(rules(&r), vec!["POSTFIX-PERMIT-BEFORE-UNAUTH"]);
    assert_eq!(r.findings[0].location.line, 3);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.message.contains("refuse to start")),
        "{:#?}",
        r.warnings
    );
    let fine = "compatibility_level = 3.6\nsmtpd_helo_restrictions = reject_invalid_helo_hostname, permit\n";
    let r = relayhunt_audit::audit_text("main.cf", fine, Some(Mta::Postfix)).unwrap();
    assert_eq!(r.verdict, Verdict::Closed, "{r:#?}");
}

#[test]
fn unknown_lines_and_restrictions_warn() {
    let text = "compatibility_level = 3.6\nthis is not a setting\nsmtpd_relay_restrictions = permit_mynetworks, frobnicate_clients, defer_unauth_destination\n";
    let r = relayhunt_audit::audit_text("main.cf", text, Some(Mta::Postfix)).unwrap();
    assert_eq!(r.verdict, Verdict::Closed);
    assert_eq!(r.warnings.len(), 3, "{:#?}", r.warnings);
    assert!(r.warnings.iter().any(|w| w.location.line == 2));
    assert!(r
        .warnings
        .iter()
        .any(|w| w.message.contains("frobnicate_clients")));
}

#[test]
fn postconf_m_output_alone_is_master_cf_against_defaults() {
    let r = audit("postconf-M/postconf-M.txt");
    assert_eq!(r.mta, Mta::Postfix);
    // submission's -o mynetworks=0.0.0.0/0 is undone by its own client restrictions
    // (permit_sasl_authenticated, reject): a stranger never reaches the relay check.
    assert_eq!(r.verdict, Verdict::Closed, "{r:#?}");
    assert!(
        r.warnings.iter().any(|w| w.message.contains("no main.cf")),
        "{:#?}",
        r.warnings
    );
    assert!(
        !r.warnings
            .iter()
            .any(|w| w.message.contains("not a `name = value`")),
        "{:#?}",
        r.warnings
    );
}

#[test]
fn submission_override_with_open_mynetworks_is_open() {
    let master =
        "smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd\n  -o mynetworks=0.0.0.0/0\n";
    let bundle = relayhunt_audit::Bundle::from_files(
        "etc",
        &[
            ("main.cf", "compatibility_level = 3.6\n"),
            ("master.cf", master),
        ],
    );
    let r = relayhunt_audit::audit_bundle(&bundle, None).unwrap();
    assert_eq!(r.verdict, Verdict::OpenRelay, "{r:#?}");
    let f = &r.findings[0];
    assert_eq!(f.rule, "POSTFIX-MYNETWORKS-OPEN");
    assert_eq!(f.location.line, 2);
    assert!(f.scope.as_deref().unwrap().contains("submission"));
}
