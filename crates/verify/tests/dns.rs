//! The DNS layer against real servers on loopback: answers, NXDOMAIN vs NODATA, refusals,
//! and a server that never answers.

mod support;

use relayhunt_dns_fixture::{SilentServer, ZoneServer};
use relayhunt_verify::dns::cache::CachedDns;
use relayhunt_verify::dns::{reverse_name, Dns, FailureKind, Kind, Record};
use std::net::IpAddr;
use std::time::{Duration, Instant};
use support::{cached, resolver_at, zone};

fn server() -> ZoneServer {
    ZoneServer::start(&[
        (
            "example.org",
            &zone(
                r#"@ IN MX 10 mx1.example.org.
                @ IN MX 5 mx0.example.org.
                @ IN TXT "v=spf1 ip4:192.0.2.0/24 " "-all"
                mx0 IN A 192.0.2.10
                mx1 IN AAAA 2001:db8::25
                www IN TXT "not spf""#,
            ),
        ),
        (
            "2.0.192.in-addr.arpa",
            &zone("10 IN PTR mx0.example.org.\n11 IN PTR Mixed.Case.Example.org."),
        ),
    ])
    .expect("fixture server")
}

#[tokio::test]
async fn answers_come_back_typed() {
    let s = server();
    let dns = resolver_at(s.addr(), Duration::from_secs(2));
    let txt = dns.query("example.org", Kind::Txt).await.unwrap();
    assert_eq!(
        txt.texts(),
        [b"v=spf1 ip4:192.0.2.0/24 -all".as_slice()],
        "character-strings are joined"
    );
    let mx = dns.query("EXAMPLE.org.", Kind::Mx).await.unwrap();
    assert_eq!(mx.exchanges(), ["mx0.example.org", "mx1.example.org"]);
    let a = dns.query("mx0.example.org", Kind::A).await.unwrap();
    assert_eq!(a.ips(), ["192.0.2.10".parse::<IpAddr>().unwrap()]);
    let aaaa = dns.query("mx1.example.org", Kind::Aaaa).await.unwrap();
    assert_eq!(aaaa.ips(), ["2001:db8::25".parse::<IpAddr>().unwrap()]);
    let ptr = dns
        .query(&reverse_name("192.0.2.11".parse().unwrap()), Kind::Ptr)
        .await
        .unwrap();
    assert_eq!(ptr.records, [Record::Ptr("mixed.case.example.org".into())]);
}

#[tokio::test]
async fn nxdomain_and_nodata_are_empty_answers_told_apart() {
    let s = server();
    let dns = resolver_at(s.addr(), Duration::from_secs(2));
    let nx = dns.query("nothing.example.org", Kind::A).await.unwrap();
    assert!(nx.is_void() && nx.nxdomain);
    let nodata = dns.query("mx0.example.org", Kind::Txt).await.unwrap();
    assert!(nodata.is_void() && !nodata.nxdomain);
}

#[tokio::test]
async fn a_name_outside_every_zone_is_a_failure_not_an_answer() {
    let s = server();
    let dns = resolver_at(s.addr(), Duration::from_secs(2));
    let e = dns.query("elsewhere.test", Kind::Txt).await.unwrap_err();
    assert!(
        matches!(e.reason, FailureKind::ServerError(_)),
        "REFUSED is a server error: {e}"
    );
    let bad = dns.query("a..b.example.org", Kind::A).await.unwrap_err();
    assert_eq!(bad.reason, FailureKind::InvalidName);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_within_the_bound() {
    let silent = SilentServer::start().unwrap();
    let timeout = Duration::from_millis(400);
    let dns = CachedDns::new(resolver_at(silent.addr(), timeout), 100);
    let started = Instant::now();
    let e = dns.query("example.org", Kind::Txt).await.unwrap_err();
    let took = started.elapsed();
    assert_eq!(e.reason, FailureKind::Timeout, "{e}");
    assert!(took >= timeout, "gave up after {took:?}");
    assert!(
        took < timeout * 3,
        "took {took:?} for a {timeout:?} timeout"
    );
    // The failure is cached: asking again costs nothing and sends nothing.
    let again = Instant::now();
    assert!(dns.query("EXAMPLE.org.", Kind::Txt).await.is_err());
    assert!(again.elapsed() < Duration::from_millis(50));
    let st = dns.stats();
    assert_eq!((st.asked, st.sent, st.failed), (2, 1, 1));
}

#[tokio::test]
async fn the_cache_answers_repeated_questions_once() {
    let s = server();
    let dns = cached(&s);
    for _ in 0..5 {
        assert!(!dns.query("example.org", Kind::Mx).await.unwrap().is_void());
    }
    assert_eq!(dns.stats().sent, 1);
    assert_eq!(dns.stats().asked, 5);
}
