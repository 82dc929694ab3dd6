//! Postfix: the seed configs, access tables, master.cf overrides, mynetworks and its
//! style, XCLIENT and routed addresses, against Postfix 3.7.

use crate::common::*;
use relayhunt_audit::{Mta, Verdict};
use relayhunt_mta_harness::{require_or_skip, Postfix, PostfixConfig, Sink};
use relayhunt_probe::{Mailbox, ProbeOptions};

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
    // (One retry when the probe could not finish its battery — a timeout or dropped session
    // on a loaded machine says nothing about relaying.)
    let mut on_smtp = probe(inst.port, &forged);
    if matches!(
        on_smtp.verdict,
        relayhunt_probe::Verdict::Timeout
            | relayhunt_probe::Verdict::Unreachable
            | relayhunt_probe::Verdict::ProtocolError
    ) {
        on_smtp = probe(inst.port, &forged);
    }
    assert_eq!(
        on_smtp.verdict,
        relayhunt_probe::Verdict::Closed,
        "smtp listener: {:?} {} (accepted {:?})\nlog:\n{}",
        on_smtp.verdict,
        on_smtp.detail,
        on_smtp.accepted_tests,
        inst.log()
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
