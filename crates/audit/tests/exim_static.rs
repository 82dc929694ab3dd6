//! Exim configs (Debian's shipped template and split config, and real-world mistakes)
//! audited statically.

use relayhunt_audit::{audit_path, Mta, Report, Verdict};
use std::path::PathBuf;

fn audit(rel: &str) -> Report {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/exim")
        .join(rel);
    audit_path(&p, None).unwrap_or_else(|e| panic!("audit {rel}: {e}"))
}

fn rules(r: &Report) -> Vec<&str> {
    r.findings.iter().map(|f| f.rule).collect()
}

#[test]
fn debian_split_config_is_closed() {
    let r = audit("debian-split");
    assert_eq!(r.mta, Mta::Exim);
    assert_eq!(r.verdict, Verdict::Closed, "{r:#?}");
    assert!(r.findings.is_empty(), "{r:#?}");
}

#[test]
fn debian_template_is_closed() {
    let r = audit("debian-template");
    assert_eq!(r.verdict, Verdict::Closed, "{r:#?}");
    assert!(r.findings.is_empty(), "{r:#?}");
}

#[test]
fn relay_nets_everyone_is_open() {
    let r = audit("relay-nets-star");
    assert_eq!(r.verdict, Verdict::OpenRelay, "{r:#?}");
    assert_eq!(rules(&r), vec!["EXIM-RELAY-FROM-HOSTS-BROAD"]);
    assert!(
        r.findings[0].why.contains("0.0.0.0/0"),
        "{}",
        r.findings[0].why
    );
    assert!(r.findings[0]
        .location
        .file
        .contains("01_exim4-config_listmacrosdefs"));
}

#[test]
fn docker_private_relay_nets_are_conditional() {
    let r = audit("docker-private");
    assert_eq!(r.verdict, Verdict::Conditional, "{r:#?}");
    assert_eq!(rules(&r), vec!["EXIM-RELAY-FROM-HOSTS-PRIVATE"]);
}

#[test]
fn howto_wildcard_relay_to_domains_is_open() {
    let r = audit("open-howto");
    assert_eq!(r.verdict, Verdict::OpenRelay, "{r:#?}");
    let ids = rules(&r);
    assert!(ids.contains(&"EXIM-RELAY-TO-DOMAINS-WILDCARD"), "{ids:?}");
    assert!(ids.contains(&"EXIM-PERCENT-HACK-ALL"), "{ids:?}");
    assert!(ids.contains(&"EXIM-RESTRICTED-CHARS-REMOVED"), "{ids:?}");
    let w = r
        .findings
        .iter()
        .find(|f| f.rule == "EXIM-RELAY-TO-DOMAINS-WILDCARD")
        .unwrap();
    assert_eq!(w.location.line, 4);
}

#[test]
fn always_true_authenticator_is_open() {
    let r = audit("always-true-auth");
    assert_eq!(r.verdict, Verdict::OpenRelay, "{r:#?}");
    let ids = rules(&r);
    assert!(ids.contains(&"EXIM-AUTH-ALWAYS-TRUE"), "{ids:?}");
    assert!(ids.contains(&"EXIM-DOMAIN-LITERALS"), "{ids:?}");
    let a = r
        .findings
        .iter()
        .find(|f| f.rule == "EXIM-AUTH-ALWAYS-TRUE")
        .unwrap();
    assert_eq!(a.location.line, 27);
}

#[test]
fn unconditional_accept_first_is_open() {
    let text = "domainlist local_domains = @\nacl_smtp_rcpt = rcpt\nbegin acl\nrcpt:\n  accept\n  require domains = +local_domains\n";
    let r = relayhunt_audit::audit_text("exim4.conf", text, Some(Mta::Exim)).unwrap();
    assert_eq!(r.verdict, Verdict::OpenRelay);
    assert_eq!(r.findings[0].rule, "EXIM-ACCEPT-BEFORE-DOMAIN");
    assert_eq!(r.findings[0].location.line, 5);
}

#[test]
fn unknown_condition_warns_not_passes() {
    let text = "domainlist local_domains = @\nacl_smtp_rcpt = rcpt\nbegin acl\nrcpt:\n  accept condition = ${lookup{$sender_host_address}lsearch{/etc/exim4/ok}{yes}{no}}\n  require domains = +local_domains\n  accept\n";
    let r = relayhunt_audit::audit_text("exim4.conf", text, Some(Mta::Exim)).unwrap();
    assert!(
        r.warnings.iter().any(|w| w.location.line == 5),
        "{:#?}",
        r.warnings
    );
}

#[test]
fn mx_any_relay_domains_are_conditional_and_localmacros_come_first() {
    let conf = "domainlist local_domains = @\ndomainlist relay_to_domains = @mx_any\n\
                hostlist relay_from_hosts = RELAY_NETS\nacl_smtp_rcpt = acl_check_rcpt\nbegin acl\nacl_check_rcpt:\n\
                  accept hosts = +relay_from_hosts\n  require domains = +local_domains : +relay_to_domains\n  accept\n";
    let run = |macros: &str| {
        let bundle = relayhunt_audit::Bundle::from_files(
            "etc/exim4",
            &[
                ("exim4.conf", conf),
                // update-exim4.conf puts this file before the config.
                ("exim4.conf.localmacros", macros),
            ],
        );
        relayhunt_audit::audit_bundle(&bundle, None).unwrap()
    };
    let r = run("RELAY_NETS = 192.0.2.0/24\n");
    assert_eq!(r.verdict, Verdict::Conditional, "{r:#?}");
    let ids: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.effect != relayhunt_audit::Effect::Hardening)
        .map(|f| f.rule)
        .collect();
    assert_eq!(ids, vec!["EXIM-RELAY-TO-DOMAINS-MX"], "{r:#?}");
    let r = run("RELAY_NETS = 0.0.0.0/0\n");
    assert_eq!(r.verdict, Verdict::OpenRelay, "{r:#?}");
    assert_eq!(r.findings[0].rule, "EXIM-RELAY-FROM-HOSTS-BROAD");
}
