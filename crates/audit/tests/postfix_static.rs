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

fn audit_files(files: &[(&str, &str)]) -> Report {
    let bundle = relayhunt_audit::Bundle::from_files("etc/postfix", files);
    relayhunt_audit::audit_bundle(&bundle, Some(Mta::Postfix)).unwrap()
}

#[test]
fn relay_domains_through_transport_maps_covering_a_public_suffix_is_open() {
    // The old backup-MX recipe: relay for whatever the transport table routes.
    let main = "compatibility_level = 3.6\nmynetworks = 127.0.0.0/8\n\
                transport_maps = hash:/etc/postfix/transport\nrelay_domains = $mydestination, $transport_maps\n";
    let transport =
        "# customers we forward for\nexample.com   smtp:[10.0.0.5]\nco.uk   smtp:[10.0.0.6]\n";
    let r = audit_files(&[("main.cf", main), ("transport", transport)]);
    assert_eq!(r.verdict, Verdict::OpenRelay, "{r:#?}");
    let f = &r.findings[0];
    assert_eq!(f.rule, "POSTFIX-RELAY-DOMAINS-WILDCARD");
    assert!(f.location.file.ends_with("transport"), "{f:#?}");
    assert_eq!(f.location.line, 3);
    assert!(f.why.contains(".co.uk"), "{}", f.why);
}

#[test]
fn relay_domains_dot_tld_is_closed_under_parent_matching_and_open_without() {
    let r = audit_files(&[(
        "main.cf",
        "compatibility_level = 3.6\nrelay_domains = .net\n",
    )]);
    assert_eq!(r.verdict, Verdict::Closed, "{r:#?}");
    let r = audit_files(&[(
        "main.cf",
        "compatibility_level = 3.6\nparent_domain_matches_subdomains = debug_peer_list\nrelay_domains = .net\n",
    )]);
    assert_eq!(r.verdict, Verdict::OpenRelay, "{r:#?}");
}

#[test]
fn mynetworks_table_outside_the_audited_files_is_conditional_and_named() {
    let r = audit_files(&[(
        "main.cf",
        "compatibility_level = 3.6\nmynetworks = 127.0.0.0/8, cidr:/etc/postfix/network_table\n",
    )]);
    assert_eq!(r.verdict, Verdict::Conditional, "{r:#?}");
    let f = &r.findings[0];
    assert_eq!(f.rule, "POSTFIX-TABLE-UNSEEN");
    assert_eq!(f.value, "cidr:/etc/postfix/network_table");
}

#[test]
fn mynetworks_style_is_judged_from_the_interface_addresses() {
    let main = "compatibility_level = 3.6\nmynetworks_style = class\n";
    let host = |nets: &[&str]| relayhunt_audit::HostFacts {
        interfaces: nets.iter().map(|n| n.parse().unwrap()).collect(),
    };
    let run = |text: &str, h: &relayhunt_audit::HostFacts| {
        let bundle = relayhunt_audit::Bundle::from_files("etc/postfix", &[("main.cf", text)]);
        relayhunt_audit::audit_bundle_on(&bundle, Some(Mta::Postfix), h).unwrap()
    };
    // A cloud VM: class B of its public address is a /16 of other customers.
    let r = run(main, &host(&["172.31.9.4/20", "150.136.7.9/24"]));
    assert_eq!(r.verdict, Verdict::OpenRelay, "{r:#?}");
    assert_eq!(r.findings[0].rule, "POSTFIX-MYNETWORKS-HUGE");
    assert!(
        r.findings[0].why.contains("150.136.0.0/16"),
        "{}",
        r.findings[0].why
    );
    assert_eq!(r.findings[0].fix, "mynetworks_style = host");
    // subnet on a /20 of a hosting network: other customers, but not provider-sized.
    let subnet = "compatibility_level = 3.6\nmynetworks_style = subnet\n";
    let r = run(subnet, &host(&["203.0.113.5/20"]));
    assert_eq!(r.verdict, Verdict::Conditional, "{r:#?}");
    assert!(
        r.findings[0].why.contains("203.0.112.0/20"),
        "{}",
        r.findings[0].why
    );
    // subnet on a /16: OPEN.
    let r = run(subnet, &host(&["198.18.4.4/15"]));
    assert_eq!(r.verdict, Verdict::OpenRelay, "{r:#?}");
    // Listening on loopback only: nobody else can connect, whatever the style.
    let r = run(
        "compatibility_level = 3.6\nmynetworks_style = class\ninet_interfaces = loopback-only\n",
        &host(&["150.136.7.9/24"]),
    );
    assert_eq!(r.verdict, Verdict::Closed, "{r:#?}");
    // class on an explicit public listener needs no prefix length.
    let r = run(
        "compatibility_level = 3.6\nmynetworks_style = class\ninet_interfaces = 150.136.7.9\n",
        &host(&[]),
    );
    assert_eq!(r.verdict, Verdict::OpenRelay, "{r:#?}");
    // Unknown addresses: CONDITIONAL, as before.
    let r = run(subnet, &host(&[]));
    assert_eq!(r.verdict, Verdict::Conditional, "{r:#?}");
}

#[test]
fn permit_tls_all_clientcerts_with_public_cas_is_conditional() {
    let base = "compatibility_level = 3.6\nmynetworks = 127.0.0.0/8\nsmtpd_tls_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem\n\
                smtpd_tls_key_file = /etc/ssl/private/ssl-cert-snakeoil.key\nsmtpd_tls_security_level = may\nsmtpd_tls_ask_ccert = yes\n\
                smtpd_relay_restrictions = permit_mynetworks, permit_tls_all_clientcerts, reject_unauth_destination\n";
    for ca in [
        "smtpd_tls_CAfile = /etc/ssl/certs/ca-certificates.crt\n",
        "smtpd_tls_CApath = /etc/ssl/certs\n",
        "smtpd_tls_CAfile = /etc/postfix/clients-ca.pem\ntls_append_default_CA = yes\n",
    ] {
        let r = audit_files(&[("main.cf", &format!("{base}{ca}"))]);
        assert_eq!(r.verdict, Verdict::Conditional, "{ca}: {r:#?}");
        assert_eq!(r.findings[0].rule, "POSTFIX-TLS-ALL-CLIENTCERTS-PUBLIC-CA");
    }
    // A private CA file in the audited directory: the intended use.
    let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    let r = audit_files(&[
        (
            "main.cf",
            &format!("{base}smtpd_tls_CAfile = /etc/postfix/clients-ca.pem\n"),
        ),
        ("clients-ca.pem", pem),
    ]);
    assert_eq!(r.verdict, Verdict::Closed, "{r:#?}");
    // Without smtpd_tls_ask_ccert no client ever presents a certificate.
    let r = audit_files(&[(
        "main.cf",
        &format!("{base}smtpd_tls_ask_ccert = no\nsmtpd_tls_CApath = /etc/ssl/certs\n"),
    )]);
    assert_eq!(r.verdict, Verdict::Closed, "{r:#?}");
}

#[test]
fn anonymous_sasl_inside_tls_or_on_submission_is_reported_as_hardening() {
    let main = "compatibility_level = 3.6\nsmtpd_sasl_auth_enable = yes\nsmtpd_sasl_security_options = noanonymous\n\
                smtpd_sasl_tls_security_options = noplaintext\n";
    let r = audit_files(&[("main.cf", main)]);
    assert_eq!(r.verdict, Verdict::Closed, "{r:#?}");
    assert_eq!(rules(&r), vec!["POSTFIX-SASL-ANONYMOUS"]);
    assert!(r.findings[0]
        .value
        .starts_with("smtpd_sasl_tls_security_options"));
    assert_eq!(r.findings[0].effect, Effect::Hardening);
    let master = "smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd\n  -o smtpd_sasl_auth_enable=yes\n  -o smtpd_sasl_security_options=noplaintext\n";
    let r = audit_files(&[
        ("main.cf", "compatibility_level = 3.6\n"),
        ("master.cf", master),
    ]);
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == "POSTFIX-SASL-ANONYMOUS")
        .expect("submission's own options");
    assert!(f.scope.as_deref().unwrap().contains("submission"), "{f:#?}");
}

#[test]
fn recipient_mx_access_ok_is_conditional_and_sql_access_table_unseen() {
    let main = "compatibility_level = 3.6\nmynetworks = 127.0.0.0/8\n\
                smtpd_relay_restrictions = permit_mynetworks, check_recipient_mx_access inline:{ 192.0.2.25=OK }, reject_unauth_destination\n";
    let r = audit_files(&[("main.cf", main)]);
    assert_eq!(r.verdict, Verdict::Conditional, "{r:#?}");
    assert_eq!(rules(&r), vec!["POSTFIX-ACCESS-OK-CONDITIONAL"]);
    let main = "compatibility_level = 3.6\nmynetworks = 127.0.0.0/8\n\
                smtpd_relay_restrictions = permit_mynetworks, check_client_access proxy:mysql:/etc/postfix/sql/clients.cf, reject_unauth_destination\n";
    let r = audit_files(&[("main.cf", main)]);
    assert_eq!(r.verdict, Verdict::Conditional, "{r:#?}");
    assert_eq!(r.findings[0].rule, "POSTFIX-TABLE-UNSEEN");
    assert!(r.findings[0]
        .value
        .contains("mysql:/etc/postfix/sql/clients.cf"));
    // In the sender list the same lookup cannot relay: the relay list still rejects.
    let main = "compatibility_level = 3.6\nmynetworks = 127.0.0.0/8\n\
                smtpd_sender_restrictions = check_sender_access mysql:/etc/postfix/sql/senders.cf\n";
    let r = audit_files(&[("main.cf", main)]);
    assert_eq!(r.verdict, Verdict::Closed, "{r:#?}");
}

#[test]
fn a_wide_entry_inside_a_table_is_fixed_in_the_table() {
    let main = "compatibility_level = 3.6\nmynetworks = cidr:/etc/postfix/trusted.cidr\nrelay_domains = hash:/etc/postfix/relay\n";
    let r = audit_files(&[
        ("main.cf", main),
        ("trusted.cidr", "192.0.2.0/24 OK\n0.0.0.0/0 OK\n"),
        ("relay", "net OK\n"),
    ]);
    let net = r
        .findings
        .iter()
        .find(|f| f.rule == "POSTFIX-MYNETWORKS-OPEN")
        .expect("mynetworks");
    assert!(
        net.location.file.ends_with("trusted.cidr") && net.location.line == 2,
        "{net:#?}"
    );
    assert!(
        net.fix.starts_with("delete the wide entry at"),
        "{}",
        net.fix
    );
    let r = audit_files(&[
        (
            "main.cf",
            "compatibility_level = 3.6\nrelay_domains = hash:/etc/postfix/relay\n",
        ),
        ("relay", "net OK\n"),
    ]);
    let f = &r.findings[0];
    assert_eq!(f.rule, "POSTFIX-RELAY-DOMAINS-WILDCARD");
    assert!(f.fix.starts_with("delete `net OK` from"), "{}", f.fix);
}
