//! Truth, not opinion: for every audit rule that changes live behaviour, the real daemon is
//! started on loopback with that config (delivering only to a loopback sink), probed with
//! `relayhunt_probe`, and the audit verdict must agree with the probe verdict:
//!
//! - OPEN RELAY ⇔ the probe finds it open;
//! - CLOSED ⇔ the probe finds it closed;
//! - CONDITIONAL ⇔ the probe finds it open from where the condition holds, and closed from
//!   where it does not (the prober on 127.0.0.1 is on the server's subnet, but outside a
//!   Docker/NAT range — NAT itself cannot be staged on loopback).
//!
//! The prober connects from 127.0.0.1, which every MTA trusts by default. To make it a
//! stranger, safe configs are run "as seen by a stranger": their loopback entries in
//! mynetworks / relay_from_hosts / `from local` are replaced by 192.0.2.1 (TEST-NET-1). The
//! audit must give the same verdict on the original and on the stranger's view.
//!
//! XCLIENT and allow_untrusted_routing are not in the probe's battery; their live effect is
//! shown with a raw SMTP exchange. Rules whose condition cannot be staged here (SASL
//! ANONYMOUS, permit_mx_backup and its DNS, Exim's always-true authenticator — the probe does
//! not authenticate) are covered by the static tests only.
//!
//! Sendmail trusts 127.0.0.1 unconditionally, so its stranger speaks raw SMTP from 127.0.0.2
//! (the probe library connects from the default source address).
//!
//! Needs the MTAs from `scripts/install-test-deps.sh`; skips loudly without them unless
//! `RELAYHUNT_REQUIRE_MTAS=1`.

use relayhunt_audit::{audit_bundle, Bundle, Mta, Report, Verdict};
use relayhunt_mta_harness::{
    require_or_skip, Exim, EximConfig, Instance, OpenSmtpd, OpenSmtpdConfig, Postfix,
    PostfixConfig, Sink,
};
use relayhunt_probe::{probe_target_blocking, Mailbox, ProbeOptions, TargetResult};
use std::net::SocketAddr;

fn data(rel: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn probe(port: u16, opts: &ProbeOptions) -> TargetResult {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    probe_target_blocking(addr, opts).expect("probe runtime")
}

fn audit(mta: Mta, files: &[(&str, &str)]) -> Report {
    audit_bundle(&Bundle::from_files("live", files), Some(mta)).expect("audit")
}

/// Assert audit and probe agree on `expect`; a CONDITIONAL's live side is asserted by the
/// caller, which knows whether the condition holds for the prober.
fn agree(name: &str, report: &Report, result: &TargetResult, inst: &Instance, expect: Verdict) {
    let ids: Vec<&str> = report.findings.iter().map(|f| f.rule).collect();
    assert_eq!(
        report.verdict, expect,
        "{name}: audit verdict; findings {ids:?}"
    );
    let probe_open = result.verdict == relayhunt_probe::Verdict::Open;
    // ACCEPTS-THEN-UNKNOWN is the probe's "inconclusive": only routing tricks
    // (user%outside@[server]) were accepted, which a server taking them as odd local
    // addresses does (OpenSMTPD's `match for local`); it is not a relay finding.
    let probe_closed = matches!(
        result.verdict,
        relayhunt_probe::Verdict::Closed | relayhunt_probe::Verdict::AcceptsThenUnknown
    );
    match expect {
        Verdict::OpenRelay => assert!(
            probe_open,
            "{name}: audit OPEN RELAY ({ids:?}) but probe {:?}: {}\nlog:\n{}",
            result.verdict,
            result.detail,
            inst.log()
        ),
        Verdict::Closed => assert!(
            probe_closed,
            "{name}: audit CLOSED but probe {:?}: {} (accepted {:?})\nlog:\n{}",
            result.verdict,
            result.detail,
            result.accepted_tests,
            inst.log()
        ),
        Verdict::Conditional => {}
    }
}

/// Loopback entries replaced by TEST-NET-1 so the loopback prober is a stranger.
fn stranger_view_postfix(main_cf: &str) -> String {
    main_cf
        .lines()
        .map(|l| {
            if l.starts_with("mynetworks") && !l.starts_with("mynetworks_style") {
                l.replace("127.0.0.0/8", "192.0.2.1/32")
                    .replace("[::ffff:127.0.0.0]/104", "")
                    .replace("[::1]/128", "")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn postfix_audit_agrees_with_probe() {
    if !require_or_skip("postfix", Postfix::available()) {
        return;
    }
    let sink = Sink::start().expect("sink");
    let opts = ProbeOptions::default();

    // The seed's open config and its fix; Debian's default.
    for (name, main_cf, expect) in [
        (
            "seed-open",
            data("postfix/seed-open/main.cf"),
            Verdict::OpenRelay,
        ),
        (
            "seed-fixed",
            data("postfix/seed-fixed/main.cf"),
            Verdict::Closed,
        ),
        (
            "debian-default",
            data("postfix/debian-default/main.cf"),
            Verdict::Closed,
        ),
    ] {
        let original = audit(Mta::Postfix, &[("main.cf", &main_cf)]);
        assert_eq!(original.verdict, expect, "{name}: audit of the original");
        let live_cf = stranger_view_postfix(&main_cf);
        let report = audit(Mta::Postfix, &[("main.cf", &live_cf)]);
        let inst = Postfix::start(live_cf.as_str(), sink.port).expect(name);
        let result = probe(inst.port, &opts);
        agree(name, &report, &result, &inst, expect);
    }

    // relay_domains = static:ALL (the forum copy-paste; its transport_maps is emptied by
    // the harness, so delivery still only reaches the sink).
    let cf = data("postfix/relay-domains-static/main.cf");
    let live_cf =
        stranger_view_postfix(&cf).replace("mynetworks = 127.0.0.0/8", "mynetworks = 192.0.2.1/32");
    let report = audit(Mta::Postfix, &[("main.cf", &live_cf)]);
    let inst = Postfix::start(live_cf.as_str(), sink.port).expect("relay-domains-static");
    agree(
        "relay-domains-static",
        &report,
        &probe(inst.port, &opts),
        &inst,
        Verdict::OpenRelay,
    );

    // A catch-all OK in a client access table before the relay check.
    let cf = "compatibility_level = 3.6\nmynetworks = 192.0.2.1/32\n\
              smtpd_relay_restrictions = permit_mynetworks, check_client_access cidr:{DIR}/clients.cidr, reject_unauth_destination\n";
    let cidr = "# everyone who connects through the office VPN\n0.0.0.0/0 OK\n";
    let report = audit(Mta::Postfix, &[("main.cf", cf), ("clients.cidr", cidr)]);
    let inst = Postfix::start(
        PostfixConfig::main_cf(cf).with_file("clients.cidr", cidr),
        sink.port,
    )
    .expect("cidr");
    agree(
        "client-access-catch-all",
        &report,
        &probe(inst.port, &opts),
        &inst,
        Verdict::OpenRelay,
    );

    // A HELO whitelist: the stranger says the whitelisted HELO (taken from the finding).
    let cf = "compatibility_level = 3.6\nmynetworks = 192.0.2.1/32\n\
              smtpd_relay_restrictions = permit_mynetworks, check_helo_access texthash:{DIR}/helo_ok, reject_unauth_destination\n";
    let helo = "scanner.office.example OK\n";
    let report = audit(Mta::Postfix, &[("main.cf", cf), ("helo_ok", helo)]);
    let inst = Postfix::start(
        PostfixConfig::main_cf(cf).with_file("helo_ok", helo),
        sink.port,
    )
    .expect("helo");
    let forged = ProbeOptions {
        ehlo_name: "scanner.office.example".into(),
        ..ProbeOptions::default()
    };
    agree(
        "helo-access-ok",
        &report,
        &probe(inst.port, &forged),
        &inst,
        Verdict::OpenRelay,
    );
    // Without the forged HELO the same server refuses: the audit's "why" is the whole story.
    let honest = probe(inst.port, &opts);
    assert_eq!(
        honest.verdict,
        relayhunt_probe::Verdict::Closed,
        "{}",
        honest.detail
    );

    // master.cf: submission reopens relaying for a whitelisted sender; smtp stays closed.
    let main_cf = "compatibility_level = 3.6\nmynetworks = 192.0.2.1/32\n";
    let senders = "# Senders the web shop uses\norders@shop.example     OK\n";
    let sub = "  -o smtpd_relay_restrictions=check_sender_access,texthash:{DIR}/app_senders,reject_unauth_destination";
    let master_cf = format!(
        "smtp inet n - n - - smtpd\nsubmission inet n - n - - smtpd\n  -o syslog_name=postfix/submission\n{sub}\n"
    );
    let report = audit(
        Mta::Postfix,
        &[
            ("main.cf", main_cf),
            ("master.cf", &master_cf),
            ("app_senders", senders),
        ],
    );
    let f = report
        .findings
        .iter()
        .find(|f| f.rule == "POSTFIX-ACCESS-OK-BEFORE-UNAUTH")
        .expect("finding");
    assert!(f.scope.as_deref().unwrap_or("").contains("submission"));
    let sender =
        Mailbox::parse(f.value.split_whitespace().next().unwrap()).expect("sender from finding");
    let inst = Postfix::start(
        PostfixConfig::main_cf(main_cf)
            .with_master_cf(format!("127.0.0.1:{{PORT2}} inet n - n - - smtpd\n{sub}"))
            .with_file("app_senders", senders),
        sink.port,
    )
    .expect("submission");
    let forged = ProbeOptions {
        sender,
        ..ProbeOptions::default()
    };
    let on_submission = probe(inst.port2.expect("port2"), &forged);
    agree(
        "submission-sender-whitelist",
        &report,
        &on_submission,
        &inst,
        Verdict::OpenRelay,
    );
    let on_smtp = probe(inst.port, &forged);
    assert_eq!(
        on_smtp.verdict,
        relayhunt_probe::Verdict::Closed,
        "smtp listener: {}",
        on_smtp.detail
    );

    // CONDITIONAL, subnet: no mynetworks and compatibility_level 1 → mynetworks_style subnet.
    // The prober shares the server's subnet (127.0.0.0/8 on lo): the condition holds → open.
    let cf = "compatibility_level = 1\nsmtpd_recipient_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination\n";
    let report = audit(Mta::Postfix, &[("main.cf", cf)]);
    assert!(report
        .findings
        .iter()
        .any(|f| f.rule == "POSTFIX-MYNETWORKS-STYLE"));
    let inst = Postfix::start(cf, sink.port).expect("subnet");
    let r = probe(inst.port, &opts);
    agree(
        "mynetworks-style-subnet",
        &report,
        &r,
        &inst,
        Verdict::Conditional,
    );
    assert_eq!(
        r.verdict,
        relayhunt_probe::Verdict::Open,
        "a client on the subnet relays: {}",
        r.detail
    );

    // CONDITIONAL, Docker range: a direct stranger outside 172.16.0.0/12 is refused.
    let cf = data("postfix/docker-mailserver/main.cf");
    let cf: String = cf
        .lines()
        .filter(|l| !l.contains("check_policy_service") && !l.starts_with("smtpd_sasl"))
        .map(|l| {
            if l.starts_with("mynetworks") {
                "mynetworks = 172.16.0.0/12"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let report = audit(Mta::Postfix, &[("main.cf", &cf)]);
    let inst = Postfix::start(cf.as_str(), sink.port).expect("docker");
    let r = probe(inst.port, &opts);
    agree(
        "docker-private-range",
        &report,
        &r,
        &inst,
        Verdict::Conditional,
    );
    assert_eq!(
        r.verdict,
        relayhunt_probe::Verdict::Closed,
        "stranger outside the range: {}",
        r.detail
    );

    // `permit` before reject_unauth_destination: Postfix ignores the check and refuses to
    // start smtpd; the audit reports it without calling the server an open relay.
    let cf = "compatibility_level = 3.6\nmynetworks = 192.0.2.1/32\nsmtpd_relay_restrictions =\nsmtpd_recipient_restrictions = permit_mynetworks, permit, reject_unauth_destination\n";
    let report = audit(Mta::Postfix, &[("main.cf", cf)]);
    assert_ne!(report.verdict, Verdict::OpenRelay);
    assert!(report
        .findings
        .iter()
        .any(|f| f.rule == "POSTFIX-PERMIT-BEFORE-UNAUTH"));
    let err = Postfix::start(cf, sink.port).expect_err("postfix must refuse this config");
    assert!(format!("{err:#}").contains("working instance"), "{err:#}");

    // compatibility_level 0 with no relay restrictions: the same refusal, by default.
    let cf = "compatibility_level = 0\nmynetworks = 192.0.2.1/32\n";
    let report = audit(Mta::Postfix, &[("main.cf", cf)]);
    assert_eq!(report.verdict, Verdict::Closed);
    assert!(report
        .findings
        .iter()
        .any(|f| f.rule == "POSTFIX-COMPAT-ZERO"));
    let err = Postfix::start(cf, sink.port).expect_err("postfix must refuse compat 0 defaults");
    assert!(format!("{err:#}").contains("working instance"), "{err:#}");
}

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

/// A raw SMTP exchange for behaviours the probe's battery does not exercise (XCLIENT,
/// routed addresses to a relay domain). Returns the reply code of each command.
fn smtp_codes(port: u16, commands: &[&str]) -> Vec<u16> {
    use std::io::{BufRead, BufReader, Write};
    let stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .expect("timeout");
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut writer = stream;
    let mut read_reply = || -> u16 {
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("reply");
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                return line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
            }
        }
    };
    let mut codes = vec![read_reply()];
    for c in commands {
        writer
            .write_all(format!("{c}\r\n").as_bytes())
            .expect("write");
        codes.push(read_reply());
    }
    codes
}

#[test]
fn postfix_xclient_and_untrusted_routing_change_live_behaviour() {
    if !require_or_skip("postfix", Postfix::available()) {
        return;
    }
    let sink = Sink::start().expect("sink");

    // XCLIENT from everyone: the stranger claims a trusted address and relays.
    let cf = "compatibility_level = 3.6\nmynetworks = 192.0.2.1/32\nsmtpd_authorized_xclient_hosts = 0.0.0.0/0\n";
    let report = audit(Mta::Postfix, &[("main.cf", cf)]);
    assert_eq!(report.verdict, Verdict::OpenRelay);
    assert!(report
        .findings
        .iter()
        .any(|f| f.rule == "POSTFIX-XCLIENT-BROAD"));
    let inst = Postfix::start(cf, sink.port).expect("xclient");
    let plain = probe(inst.port, &ProbeOptions::default());
    assert_eq!(
        plain.verdict,
        relayhunt_probe::Verdict::Closed,
        "without XCLIENT: {}",
        plain.detail
    );
    let codes = smtp_codes(
        inst.port,
        &[
            "EHLO stranger.test",
            "XCLIENT ADDR=192.0.2.1",
            "EHLO stranger.test",
            "MAIL FROM:<a@example.org>",
            "RCPT TO:<victim@example.net>",
            "QUIT",
        ],
    );
    assert_eq!(codes[2], 220, "XCLIENT accepted: {codes:?}\n{}", inst.log());
    assert_eq!(
        codes[5],
        250,
        "relay after XCLIENT: {codes:?}\n{}",
        inst.log()
    );
    // The fixed config refuses the XCLIENT command itself.
    let fixed = "compatibility_level = 3.6\nmynetworks = 192.0.2.1/32\nsmtpd_authorized_xclient_hosts = 192.0.2.7/32\n";
    assert_eq!(
        audit(Mta::Postfix, &[("main.cf", fixed)]).verdict,
        Verdict::Closed
    );
    let inst = Postfix::start(fixed, sink.port).expect("xclient fixed");
    let codes = smtp_codes(
        inst.port,
        &["EHLO stranger.test", "XCLIENT ADDR=192.0.2.1", "QUIT"],
    );
    assert!(codes[2] >= 500, "XCLIENT refused: {codes:?}");

    // allow_untrusted_routing = yes: a routed address to a relay domain is accepted (and
    // passed to the relay domain's next hop, here the sink); with the default it is refused.
    let base =
        "compatibility_level = 3.6\nmynetworks = 192.0.2.1/32\nrelay_domains = backup.example\n";
    let routed = "RCPT TO:<victim%example.net@backup.example>";
    // (Refused with 454: Debian's default relay restrictions end in defer_unauth_destination.)
    for (setting, accepted, expect_verdict) in [
        (
            "allow_untrusted_routing = yes\n",
            true,
            Verdict::Conditional,
        ),
        ("allow_untrusted_routing = no\n", false, Verdict::Closed),
    ] {
        let cf = format!("{base}{setting}");
        let report = audit(Mta::Postfix, &[("main.cf", &cf)]);
        assert_eq!(report.verdict, expect_verdict, "{setting}");
        let inst = Postfix::start(cf.as_str(), sink.port).expect("routing");
        let codes = smtp_codes(
            inst.port,
            &[
                "EHLO stranger.test",
                "MAIL FROM:<a@example.org>",
                routed,
                "QUIT",
            ],
        );
        assert_eq!(
            codes[3] == 250,
            accepted,
            "{setting}: {codes:?}\n{}",
            inst.log()
        );
        assert!(accepted || (400..600).contains(&codes[3]), "{codes:?}");
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

/// An SMTP exchange from a chosen loopback source address (Sendmail trusts 127.0.0.1
/// itself, hard-wired in its `Relay_ok` ruleset, so the stranger speaks from 127.0.0.2).
fn smtp_codes_from(source: [u8; 4], port: u16, commands: &[String]) -> Vec<u16> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket
            .bind(SocketAddr::from((source, 0)))
            .expect("bind source");
        let stream = socket
            .connect(SocketAddr::from(([127, 0, 0, 1], port)))
            .await
            .expect("connect");
        let (r, mut w) = stream.into_split();
        let mut lines = BufReader::new(r).lines();
        let mut read_reply = async || -> u16 {
            loop {
                let fut = lines.next_line();
                let line = tokio::time::timeout(std::time::Duration::from_secs(20), fut)
                    .await
                    .expect("reply in time")
                    .expect("read")
                    .unwrap_or_default();
                if line.len() < 4 || line.as_bytes()[3] != b'-' {
                    return line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
                }
            }
        };
        let mut codes = vec![read_reply().await];
        for c in commands {
            w.write_all(format!("{c}\r\n").as_bytes())
                .await
                .expect("write");
            codes.push(read_reply().await);
        }
        codes
    })
}

#[test]
fn sendmail_audit_agrees_with_live_daemon() {
    use relayhunt_mta_harness::{Sendmail, SendmailConfig};
    if !require_or_skip("sendmail", Sendmail::available()) {
        return;
    }
    let sink = Sink::start().expect("sink");
    let stranger = [127, 0, 0, 2];
    let relay_attempt = |port: u16, sender: &str| {
        let cmds = vec![
            "EHLO stranger.test".to_string(),
            format!("MAIL FROM:<{sender}>"),
            "RCPT TO:<victim@example.net>".to_string(),
            "QUIT".to_string(),
        ];
        smtp_codes_from(stranger, port, &cmds)[3]
    };
    // Debian's access db as a stranger sees it (its `Connect:127 RELAY` moved to TEST-NET-1).
    let debian_access = data("sendmail/debian-default/access");
    let debian_mc = data("sendmail/debian-default/sendmail.mc");
    let report = audit(
        Mta::Sendmail,
        &[("sendmail.mc", &debian_mc), ("access", &debian_access)],
    );
    assert_eq!(report.verdict, Verdict::Closed);
    let live_access = debian_access.replace("Connect:127\t", "Connect:192.0.2.1\t");
    let inst = Sendmail::start(SendmailConfig::mc("").with_access(live_access), sink.port)
        .expect("debian");
    let code = relay_attempt(inst.port, "a@example.org");
    assert!(
        code >= 500,
        "debian default refuses a stranger: {code}\n{}",
        inst.log()
    );

    // An access entry that relays to a whole TLD (also proves the map is read).
    let access = "Connect:192.0.2.1\tRELAY\nTo:net\tRELAY\n";
    let report = audit(Mta::Sendmail, &[("sendmail.mc", ""), ("access", access)]);
    assert_eq!(report.verdict, Verdict::OpenRelay, "{report:#?}");
    let inst =
        Sendmail::start(SendmailConfig::mc("").with_access(access), sink.port).expect("to-tld");
    assert_eq!(
        relay_attempt(inst.port, "a@example.org"),
        250,
        "To:net RELAY\n{}",
        inst.log()
    );

    let cases: [(&str, &str, Option<&str>, &str); 3] = [
        (
            "promiscuous_relay",
            "FEATURE(`promiscuous_relay')dnl\n",
            None,
            "a@example.org",
        ),
        // relay_local_from trusts the sender's domain: the stranger forges a local sender.
        (
            "relay_local_from",
            "FEATURE(`relay_local_from')dnl\n",
            None,
            "postmaster@relayhunt-sendmail-{PORT}.test",
        ),
        // A TLD in relay-domains makes every .net destination relayable.
        ("relay-domains-tld", "", Some("net\n"), "a@example.org"),
    ];
    for (name, mc, relay_domains, sender) in cases {
        let mut files: Vec<(&str, &str)> = vec![("sendmail.mc", mc)];
        if let Some(rd) = relay_domains {
            files.push(("relay-domains", rd));
        }
        let report = audit(Mta::Sendmail, &files);
        assert_eq!(report.verdict, Verdict::OpenRelay, "{name}: {report:#?}");
        let mut config = SendmailConfig::mc(mc);
        if let Some(rd) = relay_domains {
            config = config.with_relay_domains(rd);
        }
        let inst = Sendmail::start(config, sink.port).expect(name);
        let sender = sender.replace("{PORT}", &inst.port.to_string());
        let code = relay_attempt(inst.port, &sender);
        assert_eq!(
            code,
            250,
            "{name}: audit OPEN RELAY, daemon must relay for the stranger\n{}",
            inst.log()
        );
    }
}
