//! FCrDNS, HELO and DNS blocklists for a hop's client, against a loopback server that
//! serves the reverse zone, the forward zones and two blocklist zones.

mod support;

use relayhunt_dns_fixture::{SilentServer, ZoneServer};
use relayhunt_verify::dns::cache::CachedDns;
use relayhunt_verify::dnsbl::Status;
use relayhunt_verify::hop::{check, Fcrdns, Helo, HopTarget};
use std::time::Duration;
use support::{cached, resolver_at, zone};

fn server() -> ZoneServer {
    ZoneServer::start(&[
        (
            "100.51.198.in-addr.arpa",
            &zone(
                "25 IN PTR mail-relay.somecloud.example.\n\
                 26 IN PTR host-26.somecloud.example.\n\
                 28 IN PTR adsl-28.dyn.example-isp.example.",
            ),
        ),
        (
            "somecloud.example",
            &zone(
                "mail-relay IN A 198.51.100.25\n\
                 host-26 IN A 198.51.100.99\n\
                 smtp IN A 198.51.100.25\n\
                 www IN A 203.0.113.80",
            ),
        ),
        (
            "example-isp.example",
            &zone("adsl-28.dyn IN A 198.51.100.28"),
        ),
        (
            "zen.spamhaus.org",
            &zone(
                "25.100.51.198 IN A 127.0.0.4\n\
                 25.100.51.198 IN A 127.0.0.10\n\
                 26.100.51.198 IN A 127.255.255.254",
            ),
        ),
        (
            "bl.example",
            &zone("25.100.51.198 IN A 127.0.0.2\n26.100.51.198 IN A 192.0.2.1"),
        ),
    ])
    .unwrap()
}

fn zones() -> Vec<String> {
    vec!["zen.spamhaus.org".into(), "bl.example".into()]
}

fn target<'a>(ip: &str, rdns: Option<&'a str>, helo: Option<&'a str>) -> HopTarget<'a> {
    HopTarget {
        hop: 1,
        role: "relay",
        ip: ip.parse().unwrap(),
        rdns,
        helo,
    }
}

#[tokio::test]
async fn a_mail_server_with_confirmed_rdns_listed_for_an_infection() {
    let s = server();
    let dns = cached(&s);
    let t = target(
        "198.51.100.25",
        Some("mail-relay.somecloud.example."),
        Some("mail-relay.somecloud.example"),
    );
    let h = check(&dns, &t, &zones()).await;
    assert_eq!(h.fcrdns, Fcrdns::Pass);
    assert_eq!(
        h.confirmed_name.as_deref(),
        Some("mail-relay.somecloud.example")
    );
    assert_eq!(h.helo_check, Helo::MatchesRdns);
    assert_eq!(h.recorded_rdns_current, Some(true));
    let zen = &h.dnsbl[0];
    assert_eq!(zen.status, Status::Listed);
    let meanings: Vec<&str> = zen.codes.iter().map(|c| c.meaning.as_str()).collect();
    assert!(
        meanings.iter().any(|m| m.starts_with("XBL")),
        "{meanings:?}"
    );
    assert!(
        meanings.iter().any(|m| m.starts_with("PBL")),
        "{meanings:?}"
    );
    assert_eq!(h.dnsbl[1].status, Status::Listed);
    assert!(h.dnsbl[1].codes[0].meaning.contains("127.0.0.2"));
    assert_eq!(h.listed_in().count(), 2);
    // Same organisation, resolving to the address: also fine.
    let t = target("198.51.100.25", None, Some("smtp.somecloud.example"));
    assert_eq!(check(&dns, &t, &[]).await.helo_check, Helo::ResolvesToIp);
}

#[tokio::test]
async fn unconfirmed_rdns_and_error_answers_are_not_listings() {
    let s = server();
    let dns = cached(&s);
    let t = target(
        "198.51.100.26",
        Some("mail.somecloud.example"),
        Some("www.somecloud.example"),
    );
    let h = check(&dns, &t, &zones()).await;
    assert_eq!(h.fcrdns, Fcrdns::Fail, "PTR name resolves elsewhere");
    assert_eq!(h.ptr, ["host-26.somecloud.example"]);
    assert_eq!(h.recorded_rdns_current, Some(false));
    assert_eq!(
        h.helo_check,
        Helo::ResolvesElsewhere,
        "www resolves to another host"
    );
    assert_eq!(h.dnsbl[0].status, Status::ListError);
    assert!(h.dnsbl[0].codes[0]
        .meaning
        .contains("public or open resolver"));
    assert_eq!(h.dnsbl[1].status, Status::ListError);
    assert!(h.dnsbl[1].codes[0].meaning.contains("outside 127.0.0.0/8"));
    assert_eq!(h.listed_in().count(), 0);
}

#[tokio::test]
async fn no_ptr_helo_cases_and_clean_addresses() {
    let s = server();
    let dns = cached(&s);
    let h = check(
        &dns,
        &target("198.51.100.27", None, Some("[198.51.100.27]")),
        &zones(),
    )
    .await;
    assert_eq!(h.fcrdns, Fcrdns::None);
    assert_eq!(h.helo_check, Helo::LiteralMatches);
    assert!(h.dnsbl.iter().all(|l| l.status == Status::NotListed));
    let h = check(
        &dns,
        &target("198.51.100.27", None, Some("[192.0.2.1]")),
        &[],
    )
    .await;
    assert_eq!(h.helo_check, Helo::LiteralMismatch);
    let h = check(
        &dns,
        &target("198.51.100.28", None, Some("mail.bank.example")),
        &[],
    )
    .await;
    assert_eq!(h.fcrdns, Fcrdns::Pass);
    assert_eq!(
        h.helo_check,
        Helo::TempError,
        "bank.example is outside every zone: REFUSED"
    );
    let h = check(
        &dns,
        &target("198.51.100.28", None, Some("nothing.somecloud.example")),
        &[],
    )
    .await;
    assert_eq!(h.helo_check, Helo::DoesNotResolve);
}

#[tokio::test]
async fn a_dead_resolver_makes_everything_temperror() {
    let silent = SilentServer::start().unwrap();
    let dns = CachedDns::new(resolver_at(silent.addr(), Duration::from_millis(300)), 100);
    let h = check(
        &dns,
        &target("198.51.100.25", None, Some("mail-relay.somecloud.example")),
        &zones(),
    )
    .await;
    assert_eq!(h.fcrdns, Fcrdns::TempError);
    assert_eq!(h.helo_check, Helo::TempError);
    assert!(h.dnsbl.iter().all(|l| l.status == Status::TempError));
    assert_eq!(h.errors.len(), 4, "{:?}", h.errors);
}
