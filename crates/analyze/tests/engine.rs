//! The engine on realistic hand-written messages: one scenario per file in
//! `tests/data/engine/`, each asserting the verdict an analyst would give.

#[path = "engine_support.rs"]
mod support;

use relayhunt_analyze::engine::analyze;
use relayhunt_analyze::report::{HopFlag, HopRole, Report, Severity, VerdictKind};
use relayhunt_analyze::Config;
use std::net::IpAddr;

fn cfg() -> Config {
    Config {
        // 2026-06-01T00:00:00Z: after every scenario date, so none is "in the future".
        now: Some(1_780_272_000),
        ..Config::default()
    }
}

fn run_with(name: &str, cfg: &Config) -> Report {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/engine/").to_string() + name;
    let text = std::fs::read_to_string(&path).unwrap();
    analyze(&support::message(&text), cfg)
}

fn run(name: &str) -> Report {
    run_with(name, &cfg())
}

fn ip(s: &str) -> Option<IpAddr> {
    Some(s.parse().unwrap())
}

fn ids(r: &Report) -> Vec<&'static str> {
    r.findings.iter().map(|f| f.id).collect()
}

#[test]
fn seed_scenario_is_one_clear_open_relay_verdict() {
    let r = run("seed_open_relay.eml");
    assert_eq!(r.verdict.kind, VerdictKind::OpenRelaySuspected, "{r:#?}");
    assert_eq!(r.verdict.severity, Severity::Critical);
    assert!(
        r.verdict.summary.contains("198.51.100.25"),
        "{}",
        r.verdict.summary
    );
    assert!(r.verdict.summary.contains("adsl-203-0-113-45.someisp.net"));
    assert_eq!(r.relay_ip, ip("198.51.100.25"));
    assert_eq!(r.origin_ip, ip("203.0.113.45"));
    let b = r.boundary.as_ref().unwrap();
    assert_eq!(b.entry_hop, 1);
    assert_eq!(b.relay_rdns.as_deref(), Some("mail-relay.somecloud.com"));
    assert!(b.trusted_by.contains("provider.google"), "{}", b.trusted_by);
    // Exactly one headline finding, plus the supporting ones.
    let f = ids(&r);
    assert_eq!(
        f.iter().filter(|i| i.starts_with("relay.")).count(),
        1,
        "{f:?}"
    );
    assert_eq!(f[0], "relay.open_relay_suspected");
    for want in ["origin.dynamic", "auth.failed", "bec.reply_to_mismatch"] {
        assert!(f.contains(&want), "missing {want} in {f:?}");
    }
    let open = &r.findings[0];
    assert_eq!(open.evidence.len(), 2);
    assert!(open.evidence[0].text.contains("by mx.google.com"));
    assert!(open.evidence[1]
        .text
        .contains("by mail-relay.somecloud.com"));
    assert_eq!(open.evidence[1].line, 22);
    // Auth: trusted results from mx.google.com, alignment computed.
    assert_eq!(r.auth.trusted_authserv_ids, ["mx.google.com"]);
    assert_eq!(r.auth.spf.as_deref(), Some("fail"));
    assert_eq!(r.auth.dmarc.as_deref(), Some("fail"));
    assert_eq!(r.auth.dkim[0].result, "none");
    assert_eq!(
        r.auth.alignment.from_org.as_deref(),
        Some("victim-corp.com")
    );
    // Summary decoded from RFC 2047.
    assert_eq!(
        r.summary.subject.as_deref(),
        Some("Urgent: wire transfer today")
    );
    assert_eq!(
        r.summary.from.as_ref().unwrap().address.as_deref(),
        Some("ceo@victim-corp.com")
    );
    // Chain: oldest first, delays, roles, the residential client flagged.
    assert_eq!(r.hops.len(), 3);
    assert_eq!(r.chain[0].role, HopRole::Claimed);
    assert_eq!(r.chain[1].role, HopRole::Entry);
    assert_eq!(r.chain[2].role, HopRole::Trusted);
    assert_eq!(r.chain[1].delay_secs, Some(3));
    assert!(r.chain[0].flags.contains(&HopFlag::DynamicClient));
    // The JSON form carries the contract fields.
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["verdict"]["kind"], "open_relay_suspected");
    assert_eq!(json["relay_ip"], "198.51.100.25");
    assert_eq!(json["schema_version"], "1");
}

#[test]
fn authenticated_sender_is_a_compromised_account_not_an_open_relay() {
    let r = run("compromised_account.eml");
    assert_eq!(r.verdict.kind, VerdictKind::CompromisedAccount, "{r:#?}");
    assert_eq!(r.relay_ip, ip("192.0.2.77"));
    assert_eq!(r.origin_ip, ip("41.203.77.12"));
    let f = ids(&r);
    assert!(f.contains(&"relay.compromised_account"));
    assert!(!f.contains(&"relay.open_relay_suspected"));
    // Exchange Online internal hops are trusted; the entry is the EOP frontend.
    let b = r.boundary.as_ref().unwrap();
    assert_eq!(b.entry_hop, 1);
    assert!(b.trusted_by.contains("provider.exchange_online"));
    // Exchange writes Authentication-Results without an authserv-id; it is still trusted.
    assert_eq!(r.auth.trusted_authserv_ids, [""]);
    assert_eq!(r.auth.spf.as_deref(), Some("fail"));
    assert!(r.chain[0].flags.contains(&HopFlag::Authenticated));
}

#[test]
fn mailing_list_is_not_a_relay() {
    let r = run("mailing_list.eml");
    assert_eq!(r.verdict.kind, VerdictKind::Clean, "{r:#?}");
    assert!(ids(&r).contains(&"relay.mailing_list"));
    // Reply-To pointing at the list is how lists work, not a redirection.
    assert!(!ids(&r).contains(&"bec.reply_to_mismatch"), "{:?}", ids(&r));
    // DMARC fails because the list re-sent someone else's From: expected, so only low.
    let auth = r.findings.iter().find(|f| f.id == "auth.failed").unwrap();
    assert_eq!(auth.severity, Severity::Low);
    // The list is trusted to have recorded its poster: the analysis continues below it.
    assert_eq!(r.relay_ip, ip("198.51.100.90"));
    assert_eq!(r.boundary.as_ref().unwrap().entry_hop, 0);
    assert!(r.chain[1]
        .trust_reason
        .as_deref()
        .unwrap()
        .starts_with("trusted.resender"));
    assert_eq!(r.origin_ip, ip("198.51.100.90"));
}

#[test]
fn arc_sealing_forwarder_is_not_a_relay() {
    let r = run("forwarder_arc.eml");
    assert_eq!(r.verdict.kind, VerdictKind::Clean, "{r:#?}");
    assert!(ids(&r).contains(&"relay.forwarder"), "{:?}", ids(&r));
    assert_eq!(r.relay_ip, ip("203.0.113.200"));
    assert_eq!(r.chain[1].role, HopRole::Trusted);
    assert_eq!(r.auth.spf.as_deref(), Some("pass"));
    assert_eq!(r.auth.dmarc.as_deref(), Some("pass"));
}

#[test]
fn fabricated_lower_header_is_a_forged_chain() {
    let r = run("forged_chain.eml");
    assert_eq!(r.verdict.kind, VerdictKind::ForgedChain, "{r:#?}");
    assert!(r.verdict.summary.contains("71.105.44.9"));
    assert_eq!(r.relay_ip, ip("71.105.44.9"));
    assert_eq!(r.origin_ip, ip("71.105.44.9"));
    let f = ids(&r);
    assert!(f.contains(&"chain.forged"));
    assert!(f.contains(&"origin.dynamic"), "{f:?}");
    assert!(r.chain[0].flags.contains(&HopFlag::Discontinuity));
}

#[test]
fn dates_running_backwards_below_the_boundary_are_flagged() {
    let r = run("backwards_dates.eml");
    assert_eq!(r.verdict.kind, VerdictKind::ForgedChain, "{r:#?}");
    assert!(ids(&r).contains(&"chain.impossible_order"));
    assert!(r.chain[1].flags.contains(&HopFlag::NegativeDelay));
    assert_eq!(r.chain[1].delay_secs, Some(-3 * 86400 + 4));
}

#[test]
fn future_dates_depend_on_the_analysis_clock() {
    let early = Config {
        now: Some(1_767_225_600), // 2026-01-01, before the message
        ..Config::default()
    };
    let r = run_with("internal_trusted.eml", &early);
    assert!(ids(&r).contains(&"time.future_date"));
    assert!(r.chain[2].flags.contains(&HopFlag::FutureDate));
    let r = run("internal_trusted.eml");
    assert!(!ids(&r).contains(&"time.future_date"));
}

#[test]
fn trusted_ranges_move_the_boundary() {
    let r = run("internal_trusted.eml");
    assert_eq!(r.relay_ip, ip("198.51.100.77"));
    assert_eq!(r.boundary.as_ref().unwrap().entry_hop, 1);
    assert_eq!(r.verdict.kind, VerdictKind::Clean, "{r:#?}");

    let trusted = Config {
        trusted: vec!["198.51.100.0/24".into()],
        ..cfg()
    };
    let r = run_with("internal_trusted.eml", &trusted);
    assert!(r.boundary.is_none());
    assert_eq!(r.relay_ip, None);
    assert!(r.chain.iter().all(|c| c.trusted));
    assert!(r.chain[0]
        .trust_reason
        .as_deref()
        .unwrap()
        .contains("--trusted"));
    assert_eq!(r.verdict.kind, VerdictKind::Clean);
}

#[test]
fn message_without_received_headers_has_no_chain() {
    let r = run("no_chain.eml");
    assert_eq!(r.verdict.kind, VerdictKind::NoChain);
    assert!(r.hops.is_empty() && r.boundary.is_none() && r.relay_ip.is_none());
}

#[test]
fn planted_results_below_the_entry_hop_are_not_believed() {
    let text = "\
Received: from relay.evil-example.net (relay.evil-example.net [203.0.113.66])
\tby mx.victim-example.org (Postfix) with ESMTP id 1; Mon, 9 Feb 2026 10:00:05 +0000
Authentication-Results: mx.victim-example.org; spf=fail smtp.mailfrom=bank-example.com
Received: from x (unknown [198.51.100.3]) by relay.evil-example.net with SMTP; Mon, 9 Feb 2026 10:00:01 +0000
Authentication-Results: mx.victim-example.org; spf=pass smtp.mailfrom=bank-example.com; dkim=pass header.d=bank-example.com
From: <security@bank-example.com>
To: <a@victim-example.org>

";
    let r = analyze(&support::message(text), &cfg());
    assert_eq!(r.auth.results.len(), 2);
    assert!(r.auth.results[0].trusted);
    assert!(!r.auth.results[1].trusted);
    assert_eq!(r.auth.spf.as_deref(), Some("fail"));
    assert!(r.auth.dkim.is_empty());
    assert!(ids(&r).contains(&"auth.forged_results"));
    assert_eq!(r.verdict.kind, VerdictKind::OpenRelaySuspected);
    // SPF fail for the relay and an unnamed client corroborate; nothing says the client
    // is an access line or a forger, so the grade stays below critical.
    assert!(
        (Severity::Medium..Severity::Critical).contains(&r.verdict.severity),
        "{:?}",
        r.verdict
    );
}

#[test]
fn hostile_input_never_panics() {
    let long = "a".repeat(20_000);
    for text in [
        "Received: \n\n".to_string(),
        "Received: from\nReceived: by\nReceived: ;;;;\n\n".to_string(),
        format!("Received: from {long} by {long}; {long}\nFrom: {long}\n\n"),
        "Authentication-Results: ((((;\nReceived-SPF: \nFrom: \"a@b.c\" <>\nReply-To: @\n\n"
            .to_string(),
    ] {
        let r = analyze(&support::message(&text), &cfg());
        assert!(serde_json::to_string(&r).is_ok());
    }
}
