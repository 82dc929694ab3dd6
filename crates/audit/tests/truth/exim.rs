//! Exim 4.96: relay_from_hosts, relay_to_domains and RCPT ACL shapes, against the daemon.

use crate::common::*;
use relayhunt_audit::{Mta, Verdict};
use relayhunt_mta_harness::{require_or_skip, Exim, EximConfig, Sink};
use relayhunt_probe::ProbeOptions;

/// Exim: Debian's rcpt ACL with relay_from_hosts as the stranger sees it.
fn exim_config(
    relay_from_hosts: &str,
    relay_to_domains: &str,
    extra_main: &str,
    acl: &str,
) -> String {
    format!(
        "domainlist local_domains = @ : localhost\ndomainlist relay_to_domains = {relay_to_domains}\n\
         hostlist relay_from_hosts = {relay_from_hosts}\nacl_smtp_rcpt = acl_check_rcpt\n{extra_main}\n\
         begin acl\n\nacl_check_rcpt:\n{acl}\n"
    )
}

const DEBIAN_RCPT_ACL: &str = r#"  accept
    hosts = :
  deny
    domains = +local_domains
    local_parts = ^[.] : ^.*[@%!/|`#&?]
    message = restricted characters in address
  deny
    domains = !+local_domains
    local_parts = ^[./|] : ^.*[@%!`#&?] : ^.*/\\.\\./
    message = restricted characters in address
  accept
    local_parts = postmaster
    domains = +local_domains : +relay_to_domains
  accept
    hosts = +relay_from_hosts
    control = submission/sender_retain
  accept
    authenticated = *
    control = submission/sender_retain
  require
    message = relay not permitted
    domains = +local_domains : +relay_to_domains
  accept
"#;

#[test]
fn exim_audit_agrees_with_probe() {
    if !require_or_skip("exim", Exim::available()) {
        return;
    }
    let sink = Sink::start().expect("sink");
    let opts = ProbeOptions::default();
    let cases = [
        // Debian's default (relay_from_hosts = 127.0.0.1 : ::1, as a stranger sees it).
        (
            "debian-default",
            exim_config("192.0.2.1", "", "", DEBIAN_RCPT_ACL),
            Verdict::Closed,
        ),
        // dc_relay_nets answered with 0.0.0.0/0.
        (
            "relay-from-everyone",
            exim_config("0.0.0.0/0 : 127.0.0.1", "", "", DEBIAN_RCPT_ACL),
            Verdict::OpenRelay,
        ),
        // The hostlist wildcard form of the same mistake.
        (
            "relay-from-star",
            exim_config("*", "", "", DEBIAN_RCPT_ACL),
            Verdict::OpenRelay,
        ),
        // relay_to_domains = * from the how-to.
        (
            "relay-to-everything",
            exim_config("192.0.2.1", "*", "", DEBIAN_RCPT_ACL),
            Verdict::OpenRelay,
        ),
        // An accept before the domain check.
        (
            "accept-before-domain",
            exim_config(
                "192.0.2.1",
                "",
                "",
                &format!("  accept\n    verify = sender\n{DEBIAN_RCPT_ACL}"),
            ),
            Verdict::OpenRelay,
        ),
        // A sender whitelist accepted before the domain check; the probe's default sender
        // domain is example.org.
        (
            "accept-on-sender",
            exim_config(
                "192.0.2.1",
                "",
                "",
                &format!("  accept\n    senders = *@example.org\n{DEBIAN_RCPT_ACL}"),
            ),
            Verdict::OpenRelay,
        ),
        // Docker range: conditional; the direct stranger is refused.
        (
            "docker-range",
            exim_config("172.16.0.0/12", "", "", DEBIAN_RCPT_ACL),
            Verdict::Conditional,
        ),
    ];
    for (name, conf, expect) in cases {
        let report = audit(Mta::Exim, &[("exim4.conf", &conf)]);
        let inst = Exim::start(EximConfig::text(conf.clone()), sink.port).expect(name);
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

#[test]
fn exim_percent_hack_is_rewritten_before_the_acl_so_closed() {
    if !require_or_skip("exim", Exim::available()) {
        return;
    }
    let sink = Sink::start().expect("sink");
    // Debian's ACL minus the restricted-characters rules, with the percent hack for all domains.
    let acl: String = DEBIAN_RCPT_ACL
        .split("  accept\n    local_parts = postmaster")
        .collect::<Vec<_>>()
        .join("  accept\n    local_parts = postmaster")
        .lines()
        .scan(false, |skip, l| {
            if l.starts_with("  deny") {
                *skip = true;
            } else if l.starts_with("  accept") || l.starts_with("  require") {
                *skip = false;
            }
            Some(if *skip { None } else { Some(l.to_string()) })
        })
        .flatten()
        .collect::<Vec<_>>()
        .join("\n");
    let conf = exim_config("192.0.2.1", "", "percent_hack_domains = *", &acl);
    let report = audit(Mta::Exim, &[("exim4.conf", &conf)]);
    let ids: Vec<&str> = report.findings.iter().map(|f| f.rule).collect();
    assert!(ids.contains(&"EXIM-PERCENT-HACK-ALL"), "{ids:?}");
    assert!(ids.contains(&"EXIM-RESTRICTED-CHARS-REMOVED"), "{ids:?}");
    // Exim applies the percent hack before the RCPT ACL, so the relay check still sees the
    // real destination: both findings are hardening, the verdict CLOSED — and the daemon
    // agrees: the probe is refused, and so is the routed address sent by hand.
    assert_eq!(report.verdict, Verdict::Closed);
    let inst = Exim::start(EximConfig::text(conf), sink.port).expect("exim");
    let r = probe(inst.port, &ProbeOptions::default());
    agree("percent-hack-all", &report, &r, &inst, Verdict::Closed);
    let codes = smtp_codes(
        inst.port,
        &[
            "EHLO stranger.test",
            "MAIL FROM:<a@example.org>",
            "RCPT TO:<victim%example.net@localhost>",
            "QUIT",
        ],
    );
    assert!(
        codes[3] >= 500,
        "routed RCPT refused: {codes:?}\n{}",
        inst.log()
    );
    assert!(inst.log().contains("relay not permitted"), "{}", inst.log());
}

/// One Exim case run through host-checking mode (`exim4 -bh ADDR`): the real binary's ACLs
/// for a client at any address, staged from here without a daemon.
struct HostCase {
    name: &'static str,
    /// The whole config (may use `{DIR}`).
    config: String,
    /// Files the audit sees (and Exim reads).
    visible: Vec<(&'static str, &'static str)>,
    /// Files only Exim reads (outside the audited directory).
    hidden: Vec<(&'static str, &'static str)>,
    client: &'static str,
    sender: &'static str,
    verdict: Verdict,
    rule: Option<&'static str>,
    relays: bool,
}

#[test]
fn exim_relay_routes_agree_with_host_checking() {
    if !require_or_skip("exim", Exim::available()) {
        return;
    }
    let debian = |from: &str, to: &str| exim_config(from, to, "", DEBIAN_RCPT_ACL);
    let cases = vec![
        HostCase {
            // IPv6 needs `<;` (colons are the default separator); ::0/0 is every v6 client.
            name: "relay-from-every-ipv6",
            config: debian("<; ::0/0 ; 192.0.2.1", ""),
            visible: vec![],
            hidden: vec![],
            client: "2001:db8::7",
            sender: "a@example.org",
            verdict: Verdict::OpenRelay,
            rule: Some("EXIM-RELAY-FROM-HOSTS-BROAD"),
            relays: true,
        },
        HostCase {
            name: "relay-to-suffix-wildcard",
            config: debian("192.0.2.1", "*net"),
            visible: vec![],
            hidden: vec![],
            client: "203.0.113.9",
            sender: "a@example.org",
            verdict: Verdict::OpenRelay,
            rule: Some("EXIM-RELAY-TO-DOMAINS-WILDCARD"),
            relays: true,
        },
        HostCase {
            name: "relay-to-regex",
            config: debian("192.0.2.1", "\\N^.*\\.net$\\N"),
            visible: vec![],
            hidden: vec![],
            client: "203.0.113.9",
            sender: "a@example.org",
            verdict: Verdict::OpenRelay,
            rule: Some("EXIM-RELAY-TO-DOMAINS-WILDCARD"),
            relays: true,
        },
        HostCase {
            // A bare `net` is the domain `net` itself, not everything under it.
            name: "relay-to-plain-tld",
            config: debian("192.0.2.1", "net"),
            visible: vec![],
            hidden: vec![],
            client: "203.0.113.9",
            sender: "a@example.org",
            verdict: Verdict::Closed,
            rule: None,
            relays: false,
        },
        HostCase {
            name: "accept-null-sender",
            config: exim_config(
                "192.0.2.1",
                "",
                "",
                &format!(
                    "  # bounces are always welcome\n  accept\n    senders = :\n{DEBIAN_RCPT_ACL}"
                ),
            ),
            visible: vec![],
            hidden: vec![],
            client: "203.0.113.9",
            sender: "",
            verdict: Verdict::OpenRelay,
            rule: Some("EXIM-ACCEPT-BEFORE-DOMAIN"),
            relays: true,
        },
        HostCase {
            name: "relay-from-hosts-file",
            config: debian("{DIR}/relay_hosts", ""),
            visible: vec![(
                "relay_hosts",
                "# partner networks\n192.0.2.0/24\n198.0.0.0/8\n",
            )],
            hidden: vec![],
            client: "198.51.100.7",
            sender: "a@example.org",
            verdict: Verdict::OpenRelay,
            rule: Some("EXIM-RELAY-FROM-HOSTS-BROAD"),
            relays: true,
        },
        HostCase {
            name: "relay-from-hosts-file-unseen",
            config: debian("{DIR}/relay_hosts_unseen", ""),
            visible: vec![],
            hidden: vec![("relay_hosts_unseen", "198.51.100.7\n")],
            client: "198.51.100.7",
            sender: "a@example.org",
            verdict: Verdict::Conditional,
            rule: Some("EXIM-LIST-UNSEEN"),
            relays: true,
        },
        HostCase {
            // A local ACL fragment included before the relay check.
            name: "acl-include-wide",
            config: exim_config(
                "192.0.2.1",
                "",
                "",
                &format!("  .include {{DIR}}/rcpt_local_acl\n{DEBIAN_RCPT_ACL}"),
            ),
            visible: vec![("rcpt_local_acl", "  accept\n    hosts = 198.0.0.0/8\n")],
            hidden: vec![],
            client: "198.51.100.7",
            sender: "a@example.org",
            verdict: Verdict::OpenRelay,
            rule: Some("EXIM-RELAY-FROM-HOSTS-BROAD"),
            relays: true,
        },
        HostCase {
            name: "acl-include-unseen",
            config: exim_config(
                "192.0.2.1",
                "",
                "",
                &format!("  .include {{DIR}}/rcpt_local_acl_unseen\n{DEBIAN_RCPT_ACL}"),
            ),
            visible: vec![],
            hidden: vec![(
                "rcpt_local_acl_unseen",
                "  accept\n    hosts = 198.51.100.7\n",
            )],
            client: "198.51.100.7",
            sender: "a@example.org",
            verdict: Verdict::Conditional,
            rule: Some("EXIM-LIST-UNSEEN"),
            relays: true,
        },
        HostCase {
            name: "accept-any-domain-first",
            config: exim_config(
                "192.0.2.1",
                "",
                "",
                &format!("  accept\n    domains = *\n{DEBIAN_RCPT_ACL}"),
            ),
            visible: vec![],
            hidden: vec![],
            client: "203.0.113.9",
            sender: "a@example.org",
            verdict: Verdict::OpenRelay,
            rule: Some("EXIM-RELAY-TO-DOMAINS-WILDCARD"),
            relays: true,
        },
        HostCase {
            name: "accept-wide-hosts-first",
            config: exim_config(
                "192.0.2.1",
                "",
                "",
                &format!("  accept\n    hosts = 0.0.0.0/0\n{DEBIAN_RCPT_ACL}"),
            ),
            visible: vec![],
            hidden: vec![],
            client: "203.0.113.9",
            sender: "a@example.org",
            verdict: Verdict::OpenRelay,
            rule: Some("EXIM-RELAY-FROM-HOSTS-BROAD"),
            relays: true,
        },
        HostCase {
            // Lists built from lookup files: networks keyed by client address.
            name: "relay-from-iplsearch",
            config: debian("net-iplsearch;{DIR}/relay_nets", ""),
            visible: vec![(
                "relay_nets",
                "# partners\n192.0.2.0/24:\n198.0.0.0/8: wide\n",
            )],
            hidden: vec![],
            client: "198.51.100.7",
            sender: "a@example.org",
            verdict: Verdict::OpenRelay,
            rule: Some("EXIM-RELAY-FROM-HOSTS-BROAD"),
            relays: true,
        },
        HostCase {
            name: "relay-from-iplsearch-unseen",
            config: debian("net-iplsearch;{DIR}/relay_nets_unseen", ""),
            visible: vec![],
            hidden: vec![("relay_nets_unseen", "198.51.100.0/24:\n")],
            client: "198.51.100.7",
            sender: "a@example.org",
            verdict: Verdict::Conditional,
            rule: Some("EXIM-LIST-UNSEEN"),
            relays: true,
        },
        HostCase {
            name: "relay-to-wildlsearch",
            config: debian("192.0.2.1", "wildlsearch;{DIR}/relay_domains"),
            visible: vec![("relay_domains", "*.net:\nexample.com:\n")],
            hidden: vec![],
            client: "203.0.113.9",
            sender: "a@example.org",
            verdict: Verdict::OpenRelay,
            rule: Some("EXIM-RELAY-TO-DOMAINS-WILDCARD"),
            relays: true,
        },
        HostCase {
            // In a plain lsearch the same key is one exact (odd) domain name.
            name: "relay-to-lsearch",
            config: debian("192.0.2.1", "lsearch;{DIR}/relay_domains_exact"),
            visible: vec![("relay_domains_exact", "*.net:\nexample.com:\n")],
            hidden: vec![],
            client: "203.0.113.9",
            sender: "a@example.org",
            verdict: Verdict::Closed,
            rule: None,
            relays: false,
        },
        HostCase {
            // The list built from a macro.
            name: "relay-from-macro",
            config: format!(
                "PARTNER_NETS = 192.0.2.0/24 : 198.0.0.0/8\n{}",
                debian("PARTNER_NETS", "")
            ),
            visible: vec![],
            hidden: vec![],
            client: "198.51.100.7",
            sender: "a@example.org",
            verdict: Verdict::OpenRelay,
            rule: Some("EXIM-RELAY-FROM-HOSTS-BROAD"),
            relays: true,
        },
    ];
    for case in cases {
        let audited = case.config.replace("{DIR}", "/etc/exim4");
        let mut files: Vec<(&str, &str)> = vec![("exim4.conf", &audited)];
        files.extend(case.visible.iter().copied());
        let report = audit(Mta::Exim, &files);
        let ids: Vec<&str> = report.findings.iter().map(|f| f.rule).collect();
        assert_eq!(
            report.verdict, case.verdict,
            "{}: audit; findings {ids:?}\n{report:#?}",
            case.name
        );
        if let Some(rule) = case.rule {
            assert!(
                ids.contains(&rule),
                "{}: {rule} expected in {ids:?}",
                case.name
            );
        }
        let mut config = EximConfig::text(case.config.clone());
        for (n, t) in case.visible.iter().chain(&case.hidden) {
            config = config.with_file(*n, *t);
        }
        let mail = format!("MAIL FROM:<{}>", case.sender);
        let codes = Exim::host_check(
            config,
            case.client.parse().expect("client address"),
            &[
                "EHLO stranger.test",
                &mail,
                "RCPT TO:<victim@example.net>",
                "QUIT",
            ],
        )
        .expect("exim -bh");
        assert_eq!(
            codes.get(2),
            Some(&250),
            "{}: MAIL accepted: {codes:?}",
            case.name
        );
        let rcpt = codes.get(3).copied().unwrap_or(0);
        assert_eq!(
            rcpt == 250,
            case.relays,
            "{}: audit {} but exim answered the relay attempt with {rcpt} ({codes:?})",
            case.name,
            case.verdict.label()
        );
        match case.verdict {
            Verdict::OpenRelay => assert_eq!(rcpt, 250, "{}", case.name),
            Verdict::Closed => assert!(rcpt >= 400, "{}: {rcpt}", case.name),
            Verdict::Conditional => {}
        }
    }
    // `<; ::0/0` does not cover IPv4 clients: the same config refuses 203.0.113.9.
    let codes = Exim::host_check(
        EximConfig::text(debian("<; ::0/0 ; 192.0.2.1", "")),
        "203.0.113.9".parse().expect("addr"),
        &[
            "EHLO stranger.test",
            "MAIL FROM:<a@example.org>",
            "RCPT TO:<victim@example.net>",
            "QUIT",
        ],
    )
    .expect("exim -bh");
    assert!(codes[3] >= 500, "{codes:?}");
}
