//! SPF evaluated against a real authoritative server on loopback: which term decided,
//! the RFC 7208 limits, and DNS failures as temperror.

mod support;

use relayhunt_dns_fixture::{SilentServer, ZoneServer};
use relayhunt_verify::dns::cache::CachedDns;
use relayhunt_verify::spf::{check_host, SpfQuery, SpfResult};
use std::time::Duration;
use support::{cached, resolver_at, zone};

fn server() -> ZoneServer {
    // Eleven includes chained for the lookup limit, three void `a` terms for the void limit.
    let mut chain = String::new();
    for i in 0..11 {
        chain.push_str(&format!(
            "c{i} IN TXT \"v=spf1 include:c{}.spf.example ~all\"\n",
            i + 1
        ));
    }
    chain.push_str("c11 IN TXT \"v=spf1 ip4:192.0.2.99 -all\"\n");
    let spf_zone = format!(
        r#"@ IN TXT "v=spf1 ip4:192.0.2.0/24 include:_spf.partner.spf.example a:mail.spf.example mx -all"
        _spf.partner IN TXT "v=spf1 ip6:2001:db8:25::/48 ip4:203.0.113.7 ?all"
        mail IN A 198.51.100.60
        @ IN MX 10 mx.spf.example.
        mx IN A 198.51.100.70
        soft IN TXT "v=spf1 ip4:192.0.2.0/24 ~all"
        redir IN TXT "v=spf1 redirect=spf.example"
        neutral IN TXT "v=spf1 ip4:192.0.2.1"
        twice IN TXT "v=spf1 -all"
        twice IN TXT "v=spf1 +all"
        broken IN TXT "v=spf1 ip4 -all"
        noinc IN TXT "v=spf1 include:nospf.spf.example -all"
        nospf IN TXT "just text"
        voids IN TXT "v=spf1 a:v1.spf.example a:v2.spf.example a:v3.spf.example ip4:192.0.2.0/24 -all"
        temp IN TXT "v=spf1 include:outside.test -all"
        macro IN TXT "v=spf1 exists:%{{ir}}._ip.spf.example -all"
        1.2.0.192._ip IN A 127.0.0.2
        {chain}"#
    );
    let chain_start = "v=spf1 include:c0.spf.example -all";
    ZoneServer::start(&[
        ("spf.example", &zone(&spf_zone)),
        (
            "deep.example",
            &zone(&format!("@ IN TXT \"{chain_start}\"")),
        ),
    ])
    .unwrap()
}

async fn spf(s: &ZoneServer, ip: &str, domain: &str) -> relayhunt_verify::spf::SpfCheck {
    let dns = cached(s);
    check_host(
        &dns,
        &SpfQuery {
            ip: ip.parse().unwrap(),
            domain,
            sender: Some("ceo@spf.example"),
            helo: Some("mail.sender.example"),
        },
    )
    .await
}

#[tokio::test]
async fn the_deciding_term_is_named() {
    let s = server();
    let c = spf(&s, "192.0.2.25", "spf.example").await;
    assert_eq!(c.result, SpfResult::Pass);
    assert_eq!(
        c.matched.as_deref(),
        Some("ip4:192.0.2.0/24 in spf.example")
    );
    let c = spf(&s, "203.0.113.7", "spf.example").await;
    assert_eq!(c.result, SpfResult::Pass);
    assert_eq!(
        c.matched.as_deref(),
        Some("ip4:203.0.113.7/32 in _spf.partner.spf.example (via include:_spf.partner.spf.example in spf.example)")
    );
    let c = spf(&s, "2001:db8:25::1", "spf.example").await;
    assert_eq!(c.result, SpfResult::Pass, "{}", c.reason);
    let c = spf(&s, "198.51.100.60", "spf.example").await;
    assert_eq!(
        c.matched.as_deref(),
        Some("a:mail.spf.example in spf.example")
    );
    let c = spf(&s, "198.51.100.70", "spf.example").await;
    assert_eq!(c.matched.as_deref(), Some("mx in spf.example"));
    assert_eq!(c.dns_terms, 3, "include, a, mx");
}

#[tokio::test]
async fn the_seed_case_an_address_not_in_the_record_fails_on_all() {
    let s = server();
    let c = spf(&s, "198.51.100.25", "spf.example").await;
    assert_eq!(c.result, SpfResult::Fail);
    assert_eq!(c.matched.as_deref(), Some("-all in spf.example"));
    assert!(c
        .record
        .as_deref()
        .unwrap()
        .starts_with("v=spf1 ip4:192.0.2.0/24"));
    assert!(
        c.reason
            .contains("-all in spf.example matched 198.51.100.25"),
        "{}",
        c.reason
    );
    let c = spf(&s, "198.51.100.25", "soft.spf.example").await;
    assert_eq!(c.result, SpfResult::SoftFail);
    let c = spf(&s, "198.51.100.25", "neutral.spf.example").await;
    assert_eq!(c.result, SpfResult::Neutral);
    assert_eq!(c.matched, None);
    let c = spf(&s, "198.51.100.25", "redir.spf.example").await;
    assert_eq!(
        c.result,
        SpfResult::Fail,
        "redirect= follows the target's policy"
    );
    let c = spf(&s, "192.0.2.1", "macro.spf.example").await;
    assert_eq!(
        c.result,
        SpfResult::Pass,
        "exists with the %{{ir}} macro: {}",
        c.reason
    );
    let c = spf(&s, "192.0.2.2", "macro.spf.example").await;
    assert_eq!(c.result, SpfResult::Fail);
}

#[tokio::test]
async fn no_record_is_none_and_broken_records_are_permerror() {
    let s = server();
    assert_eq!(
        spf(&s, "192.0.2.1", "nospf.spf.example").await.result,
        SpfResult::None
    );
    assert_eq!(
        spf(&s, "192.0.2.1", "gone.spf.example").await.result,
        SpfResult::None
    );
    assert_eq!(
        spf(&s, "192.0.2.1", "not a domain").await.result,
        SpfResult::None
    );
    let twice = spf(&s, "192.0.2.1", "twice.spf.example").await;
    assert_eq!(twice.result, SpfResult::PermError);
    assert!(twice.reason.contains("2 SPF records"), "{}", twice.reason);
    assert_eq!(
        spf(&s, "192.0.2.1", "broken.spf.example").await.result,
        SpfResult::PermError
    );
    let noinc = spf(&s, "192.0.2.1", "noinc.spf.example").await;
    assert_eq!(noinc.result, SpfResult::PermError);
    assert!(
        noinc.reason.contains("publishes no SPF record"),
        "{}",
        noinc.reason
    );
}

#[tokio::test]
async fn the_ten_lookup_and_two_void_limits_are_permerror() {
    let s = server();
    let deep = spf(&s, "192.0.2.99", "deep.example").await;
    assert_eq!(deep.result, SpfResult::PermError, "{}", deep.reason);
    assert!(deep.reason.contains("more than 10"), "{}", deep.reason);
    assert_eq!(deep.dns_terms, 11);
    let voids = spf(&s, "192.0.2.5", "voids.spf.example").await;
    assert_eq!(voids.result, SpfResult::PermError, "{}", voids.reason);
    assert_eq!(voids.void_lookups, 3);
}

#[tokio::test]
async fn dns_failures_are_temperror_never_pass_or_fail() {
    let s = server();
    let refused = spf(&s, "192.0.2.1", "temp.spf.example").await;
    assert_eq!(refused.result, SpfResult::TempError, "{}", refused.reason);
    let silent = SilentServer::start().unwrap();
    let dns = CachedDns::new(resolver_at(silent.addr(), Duration::from_millis(300)), 10);
    let c = check_host(
        &dns,
        &SpfQuery {
            ip: "198.51.100.25".parse().unwrap(),
            domain: "northwind-traders.example",
            sender: None,
            helo: None,
        },
    )
    .await;
    assert_eq!(c.result, SpfResult::TempError);
    assert!(
        c.reason.contains("no reply within the timeout"),
        "{}",
        c.reason
    );
}
