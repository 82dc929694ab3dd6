//! Owner lookups through the real RDAP and whois clients against loopback registries.

use crate::support::{read, HttpFixture, Reply, WhoisFixture};
use icann_rdap_common::iana::IanaRegistryType;
use relayhunt_takedown::cache::OwnerCache;
use relayhunt_takedown::lookup::{LookupError, OwnerLookup};
use relayhunt_takedown::owner::{Confidence, ContactSource, Owner};
use relayhunt_takedown::pacing::Pacer;
use relayhunt_takedown::rdap::fetch::{IcannRdap, RdapConfig};
use relayhunt_takedown::rdap::{RdapError, RdapFetch};
use relayhunt_takedown::whois::client::TcpWhois;
use relayhunt_takedown::whois::{WhoisError, WhoisQuery};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The loopback "registries": one HTTP server with a path prefix per RIR.
fn registries() -> HttpFixture {
    let http = HttpFixture::start();
    let b = http.base();
    for (path, file) in [
        ("/arin/ip/198.51.110.25", "arin-nested-abuse.json"),
        ("/ripe/ip/192.0.3.25", "ripe-toplevel-abuse.json"),
        ("/apnic/ip/203.0.114.9", "apnic-pref.json"),
        ("/lacnic/ip/200.7.84.10", "lacnic-nested.json"),
        ("/afrinic/ip/41.203.70.1", "afrinic-abuse.json"),
        ("/arin/ip/45.33.2.2", "combined-roles.json"),
        ("/ripe/ip/5.9.1.2", "redacted-placeholders.json"),
        ("/arin/ip/64.20.0.5", "no-abuse-role.json"),
        ("/ripe/ip/185.199.1.1", "ripe-toplevel-abuse.json"),
        ("/ripe/ip/2a01:db8:1234::25", "ripe-ipv6.json"),
        (
            "/tld-test/domain/payroll-secure-login.test",
            "domain-new.json",
        ),
        ("/tld-test/domain/oldbank.test", "domain-old.json"),
    ] {
        http.route(path, Reply::json(200, read(&format!("rdap/{file}"))));
    }
    // ARIN answers for space it transferred to RIPE with a redirect (as rdap.arin.net does).
    http.route(
        "/arin/ip/185.199.1.1",
        Reply::redirect(format!("{b}/ripe/ip/185.199.1.1")),
    );
    http.route(
        "/arin/ip/100.1.2.3",
        Reply::json(404, read("rdap/error-404.json")),
    );
    http.route(
        "/arin/ip/45.0.0.1",
        Reply::json(
            500,
            "{\"errorCode\":500,\"title\":\"Internal Server Error\"}",
        ),
    );
    let mut slow = Reply::json(200, read("rdap/ripe-toplevel-abuse.json"));
    slow.delay = Duration::from_secs(3);
    http.route("/ripe/ip/46.1.1.1", slow);
    let mut huge = Reply::json(200, vec![b' '; 3 * 1024 * 1024]);
    huge.until_close = true;
    http.route("/apnic/ip/47.1.1.1", huge);
    http.route(
        "/apnic/ip/47.2.2.2",
        Reply::json(200, vec![b' '; 3 * 1024 * 1024]),
    );
    http
}

fn rdap(http: &HttpFixture, timeout: Duration) -> IcannRdap {
    IcannRdap::new(RdapConfig {
        timeout,
        max_bytes: 1024 * 1024,
        allow_http: true,
    })
    .unwrap()
    .with_registry(
        IanaRegistryType::RdapBootstrapIpv4,
        &read("rdap/bootstrap-ipv4.json").replace("{base}", &http.base()),
    )
    .unwrap()
    .with_registry(
        IanaRegistryType::RdapBootstrapIpv6,
        &read("rdap/bootstrap-ipv6.json").replace("{base}", &http.base()),
    )
    .unwrap()
    .with_registry(
        IanaRegistryType::RdapBootstrapDns,
        &read("rdap/bootstrap-dns.json").replace("{base}", &http.base()),
    )
    .unwrap()
}

/// whois: IANA's server and the RIRs, each a loopback fixture.
struct WhoisNet {
    nic: WhoisFixture,
    iana: WhoisFixture,
    ripe: WhoisFixture,
    arin: WhoisFixture,
    client: TcpWhois,
}

fn whois_net() -> WhoisNet {
    let iana = WhoisFixture::start(
        HashMap::from([
            (
                "freshshop.test".to_string(),
                read("whois/iana-test-tld.txt"),
            ),
            ("5.9.1.2".to_string(), read("whois/iana-5.txt")),
            ("64.20.0.5".to_string(), read("whois/iana-64.txt")),
        ]),
        Duration::ZERO,
        0,
    );
    let ripe = WhoisFixture::start(
        HashMap::from([("-r -B 5.9.1.2".to_string(), read("whois/ripe-5.9.txt"))]),
        Duration::ZERO,
        0,
    );
    let arin = WhoisFixture::start(
        HashMap::from([("n + 64.20.0.5".to_string(), read("whois/arin-64.20.txt"))]),
        Duration::ZERO,
        0,
    );
    let mut client = TcpWhois {
        only_routes: true,
        timeout: Duration::from_secs(5),
        max_bytes: 256 * 1024,
        routes: HashMap::from([
            ("whois.iana.org".to_string(), iana.addr.to_string()),
            ("whois.ripe.net".to_string(), ripe.addr.to_string()),
            ("whois.arin.net".to_string(), arin.addr.to_string()),
        ]),
    };
    let nic = WhoisFixture::start(
        HashMap::from([(
            "freshshop.test".to_string(),
            read("whois/nic-test-freshshop.txt"),
        )]),
        Duration::ZERO,
        0,
    );
    client
        .routes
        .insert("whois.nic.test".to_string(), nic.addr.to_string());
    WhoisNet {
        nic,
        iana,
        ripe,
        arin,
        client,
    }
}

fn lookup(http: &HttpFixture, w: &WhoisNet) -> OwnerLookup<IcannRdap, TcpWhois> {
    let mut l = OwnerLookup::new(rdap(http, Duration::from_secs(5)), w.client.clone());
    l.pacer = Pacer::new(Duration::ZERO);
    l
}

fn emails(o: &Owner) -> Vec<&str> {
    o.abuse.iter().map(|c| c.email.as_str()).collect()
}

#[tokio::test]
async fn arin_abuse_entity_nested_under_the_registrant_is_found() {
    let (http, w) = (registries(), whois_net());
    let o = lookup(&http, &w)
        .owner("198.51.110.25".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(emails(&o), ["abuse@somecloud.test"]);
    let best = &o.abuse[0];
    assert_eq!(
        (best.source, best.confidence),
        (ContactSource::RdapAbuseRole, Confidence::High)
    );
    assert!(
        best.found_at.contains("ABUSE5250-ARIN") && best.found_at.contains("depth 1"),
        "{}",
        best.found_at
    );
    assert_eq!(o.cidrs, vec!["198.51.110.0/24".parse().unwrap()]);
    assert_eq!(o.name.as_deref(), Some("SOMECLOUD-NET-1"));
    assert_eq!(o.org.as_deref(), Some("SomeCloud Hosting, LLC"));
    assert_eq!(o.asns, [64500]);
    assert_eq!(o.registered.as_deref(), Some("2015-06-30T13:44:10-04:00"));
    assert!(
        o.sources[0].ends_with("/arin/ip/198.51.110.25"),
        "{:?}",
        o.sources
    );
    assert!(
        w.iana.queries().is_empty(),
        "RDAP had an abuse role: whois must not be asked"
    );
}

#[tokio::test]
async fn ripe_apnic_lacnic_afrinic_shapes_each_yield_their_abuse_mailbox() {
    let (http, w) = (registries(), whois_net());
    let l = lookup(&http, &w);
    let ripe = l.owner("192.0.3.25".parse().unwrap()).await.unwrap();
    assert_eq!(emails(&ripe), ["abuse@hoster.test"]);
    assert_eq!(
        (ripe.country.as_deref(), ripe.org.as_deref()),
        (Some("DE"), Some("Hoster GmbH"))
    );

    // APNIC IRT with two mailboxes: vCard pref=1 wins over document order.
    let apnic = l.owner("203.0.114.9".parse().unwrap()).await.unwrap();
    assert_eq!(emails(&apnic), ["abuse@ispau.test", "helpdesk@ispau.test"]);
    assert_eq!(apnic.country.as_deref(), Some("AU"));

    let lacnic = l.owner("200.7.84.10".parse().unwrap()).await.unwrap();
    assert_eq!(emails(&lacnic), ["seguranca@provedor-exemplo.test"]);
    assert_eq!(lacnic.abuse[0].source, ContactSource::RdapAbuseRole);
    assert_eq!(lacnic.cidrs, vec!["200.7.84.0/23".parse().unwrap()]);

    // AFRINIC publishes no cidr0: the CIDR comes from start/end.
    let afrinic = l.owner("41.203.70.1".parse().unwrap()).await.unwrap();
    assert_eq!(emails(&afrinic), ["abuse@westnet-ng.test"]);
    assert_eq!(afrinic.cidrs, vec!["41.203.64.0/20".parse().unwrap()]);
    assert_eq!(
        afrinic.range.as_deref(),
        Some("41.203.64.0 - 41.203.79.255")
    );
}

#[tokio::test]
async fn one_entity_with_combined_roles_counts_as_the_abuse_contact() {
    let (http, w) = (registries(), whois_net());
    let o = lookup(&http, &w)
        .owner("45.33.2.2".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(emails(&o), ["ops@tinyvps.test"]);
    assert_eq!(o.abuse[0].confidence, Confidence::High);
    assert_eq!(o.org.as_deref(), Some("TinyVPS Inc."));
    assert!(o.abuse[0]
        .found_at
        .contains("administrative+technical+abuse+registrant"));
}

#[tokio::test]
async fn redacted_rdap_mailboxes_are_dropped_and_whois_via_iana_referral_supplies_the_contact() {
    let (http, w) = (registries(), whois_net());
    let o = lookup(&http, &w)
        .owner("5.9.1.2".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(emails(&o), ["abuse@privhost.test"], "{o:#?}");
    assert_eq!(
        o.abuse[0].source,
        ContactSource::WhoisAbuseComment,
        "{o:#?}"
    );
    assert!(
        o.notes
            .iter()
            .any(|n| n.contains("redacted@redacted.invalid") && n.contains("PH-REDACTED")),
        "{:?}",
        o.notes
    );
    assert!(
        o.notes.iter().any(|n| n.contains("unread@ripe.net"))
            || !o.abuse.iter().any(|c| c.email == "unread@ripe.net")
    );
    assert_eq!(w.iana.queries(), ["5.9.1.2"]);
    assert_eq!(
        w.ripe.queries(),
        ["-r -B 5.9.1.2"],
        "RIPE is asked unfiltered so abuse-mailbox shows"
    );
    assert!(
        o.sources.iter().any(|s| s == "whois://whois.ripe.net"),
        "{:?}",
        o.sources
    );
    assert_eq!(o.asns, [64511], "origin from the RIPE route object");
}

#[tokio::test]
async fn arin_whois_prefers_the_reassigned_customers_org_abuse_email_over_the_parent_block() {
    let (http, w) = (registries(), whois_net());
    let o = lookup(&http, &w)
        .owner("64.20.0.5".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(
        emails(&o),
        ["abuse@smallcloud.test", "abuse@bigtransit.test"]
    );
    assert_eq!(o.abuse[0].source, ContactSource::WhoisAbuseField);
    assert!(o.abuse[0].found_at.contains("OrgAbuseEmail"));
    assert_eq!(o.cidrs, vec!["64.20.0.0/25".parse().unwrap()]);
    assert_eq!(w.arin.queries(), ["n + 64.20.0.5"]);
    assert!(
        w.iana.queries().is_empty(),
        "RDAP's port43 names ARIN: no need to ask IANA"
    );
    assert_eq!(o.sources[1..], ["whois://whois.arin.net".to_string()]);
    assert!(o.notes.iter().any(|n| n.contains("no usable abuse role")));
}

#[tokio::test]
async fn with_no_published_abuse_mailbox_and_whois_down_rfc2142_abuse_at_the_mail_domain_is_offered(
) {
    let http = registries();
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let whois = TcpWhois {
        only_routes: true,
        timeout: Duration::from_secs(2),
        routes: HashMap::from([
            ("whois.iana.org".to_string(), dead.to_string()),
            ("whois.arin.net".to_string(), dead.to_string()),
        ]),
        ..TcpWhois::default()
    };
    let mut l = OwnerLookup::new(rdap(&http, Duration::from_secs(5)), whois);
    l.pacer = Pacer::new(Duration::ZERO);
    let o = l.owner("64.20.0.5".parse().unwrap()).await.unwrap();
    assert_eq!(emails(&o), ["abuse@smallcloud.test"]);
    assert_eq!(
        (o.abuse[0].source, o.abuse[0].confidence),
        (ContactSource::Rfc2142, Confidence::Low)
    );
    assert!(
        o.notes
            .iter()
            .any(|n| n.contains("whois failed") && n.contains("unreachable")),
        "{:?}",
        o.notes
    );
}

#[tokio::test]
async fn a_redirect_from_arin_to_ripe_is_followed_and_the_final_registry_is_recorded() {
    let (http, w) = (registries(), whois_net());
    let o = lookup(&http, &w)
        .owner("185.199.1.1".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(emails(&o), ["abuse@hoster.test"]);
    assert!(
        o.sources[0].ends_with("/ripe/ip/185.199.1.1"),
        "{:?}",
        o.sources
    );
    assert_eq!(
        http.hits(),
        ["/arin/ip/185.199.1.1", "/ripe/ip/185.199.1.1"]
    );
}

#[tokio::test]
async fn http_errors_timeouts_and_oversized_answers_are_clear_errors() {
    let http = registries();
    let client = rdap(&http, Duration::from_secs(1));
    match client.ip("45.0.0.1".parse().unwrap()).await {
        Err(RdapError::Status { status: 500, url }) => assert!(url.ends_with("/arin/ip/45.0.0.1")),
        other => panic!("want HTTP 500, got {other:?}"),
    }
    let e = client.ip("100.1.2.3".parse().unwrap()).await.unwrap_err();
    assert!(
        e.to_string().contains("HTTP 404") && e.to_string().contains("no record"),
        "{e}"
    );

    let t = Instant::now();
    let e = client.ip("46.1.1.1".parse().unwrap()).await.unwrap_err();
    assert!(matches!(e, RdapError::Timeout { .. }), "{e:?}");
    assert!(
        t.elapsed() < Duration::from_millis(2500),
        "timeout took {:?}",
        t.elapsed()
    );

    for ip in ["47.1.1.1", "47.2.2.2"] {
        match client.ip(ip.parse().unwrap()).await {
            Err(RdapError::TooLarge { limit, .. }) => assert_eq!(limit, 1024 * 1024),
            other => panic!("{ip}: want TooLarge, got {other:?}"),
        }
    }
    let e = client.ip("8.8.8.8".parse().unwrap()).await.unwrap_err();
    assert!(matches!(e, RdapError::NoService { .. }), "{e:?}");
    // A registry that was not injected is never fetched from IANA.
    let v4_only = IcannRdap::new(RdapConfig {
        allow_http: true,
        ..RdapConfig::default()
    })
    .unwrap()
    .with_registry(
        IanaRegistryType::RdapBootstrapIpv4,
        &read("rdap/bootstrap-ipv4.json").replace("{base}", &http.base()),
    )
    .unwrap();
    let e = v4_only
        .ip("2001:db8::1".parse().unwrap())
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("no ipv6.json among the injected"),
        "{e}"
    );
}

#[tokio::test]
async fn when_rdap_and_whois_both_fail_the_error_names_the_ip_and_both_causes() {
    let http = registries();
    let w = whois_net();
    let l = lookup(&http, &w);
    let e = l.owner("100.1.2.3".parse().unwrap()).await.unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, LookupError::Failed { .. }));
    assert!(
        msg.contains("100.1.2.3") && msg.contains("HTTP 404") && msg.contains("whois"),
        "{msg}"
    );
    let e = l.owner("10.1.2.3".parse().unwrap()).await.unwrap_err();
    assert!(e.to_string().contains("private"), "{e}");
}

#[tokio::test]
async fn special_purpose_addresses_are_answered_from_the_table_without_asking() {
    let (http, w) = (registries(), whois_net());
    let l = lookup(&http, &w);
    for (ip, answer) in [
        (
            "198.51.100.25",
            "198.51.100.25: no owner: documentation range (TEST-NET-2), RFC 5737",
        ),
        (
            "2001:db8:1234::25",
            "2001:db8:1234::25: no owner: documentation range, RFC 3849",
        ),
        (
            "172.20.1.1",
            "172.20.1.1: no owner: private range, RFC 1918",
        ),
        (
            "100.100.1.1",
            "100.100.1.1: no owner: shared address space (carrier-grade NAT), RFC 6598",
        ),
    ] {
        let e = l.owner(ip.parse().unwrap()).await.unwrap_err();
        assert!(matches!(e, LookupError::NoOwner { .. }), "{e:?}");
        assert_eq!(e.to_string(), answer);
    }
    assert!(http.hits().is_empty(), "{:?}", http.hits());
}

#[tokio::test]
async fn the_cache_answers_for_the_whole_network_without_asking_again() {
    let (http, w) = (registries(), whois_net());
    let dir = tempfile::tempdir().unwrap();
    let mut l = lookup(&http, &w);
    l.cache = Some(OwnerCache::new(dir.path(), Duration::from_secs(3600)));
    let first = l.owner("198.51.110.25".parse().unwrap()).await.unwrap();
    assert!(!first.cached);
    let hits = http.hits().len();
    let second = l.owner("198.51.110.77".parse().unwrap()).await.unwrap();
    assert!(second.cached);
    assert_eq!(second.query, "198.51.110.77");
    assert_eq!(emails(&second), ["abuse@somecloud.test"]);
    assert_eq!(
        http.hits().len(),
        hits,
        "a cached network must not be asked again"
    );
}

#[tokio::test]
async fn domain_age_flags_a_domain_registered_four_days_ago_and_not_an_old_one() {
    let (http, w) = (registries(), whois_net());
    let l = lookup(&http, &w);
    let now = 1_795_478_400; // 2026-11-24T00:00:00Z
    let new = l
        .domain_age("payroll-secure-login.test", now, 30)
        .await
        .unwrap();
    assert!(new.newly_registered);
    assert_eq!(new.age_days, Some(4));
    assert_eq!(new.registrar.as_deref(), Some("Cheap Names Registrar LLC"));
    let old = l.domain_age("oldbank.test", now, 30).await.unwrap();
    assert!(!old.newly_registered);
    assert!(old.age_days.unwrap() > 10_000);
}

#[tokio::test]
async fn whois_client_enforces_its_deadline_and_byte_cap() {
    let slow = WhoisFixture::start(HashMap::new(), Duration::from_secs(3), 0);
    let flood = WhoisFixture::start(HashMap::new(), Duration::ZERO, 4 * 1024 * 1024);
    let c = TcpWhois {
        only_routes: true,
        timeout: Duration::from_secs(1),
        max_bytes: 256 * 1024,
        routes: HashMap::from([
            ("slow.test".to_string(), slow.addr.to_string()),
            ("flood.test".to_string(), flood.addr.to_string()),
        ]),
    };
    let t = Instant::now();
    assert!(matches!(
        c.query("slow.test", "192.0.3.1").await,
        Err(WhoisError::Timeout { .. })
    ));
    assert!(t.elapsed() < Duration::from_millis(2500));
    assert!(matches!(
        c.query("flood.test", "192.0.3.1").await,
        Err(WhoisError::TooLarge { limit: 262_144, .. })
    ));
    let e = c.query("whois.ripe.net", "192.0.3.1").await.unwrap_err();
    assert!(e.to_string().contains("only routed servers"), "{e}");
    assert!(matches!(
        c.query("slow.test", "192.0.3.1\r\nEVIL").await,
        Err(WhoisError::BadQuery(_))
    ));
}

#[tokio::test]
async fn a_batch_of_one_thousand_ips_in_one_network_asks_the_registry_once() {
    let (http, w) = (registries(), whois_net());
    let dir = tempfile::tempdir().unwrap();
    let mut l = lookup(&http, &w);
    l.cache = Some(OwnerCache::new(dir.path(), Duration::from_secs(3600)));
    let t = Instant::now();
    for i in 0..1000u32 {
        let ip = std::net::Ipv4Addr::new(198, 51, 110, (i % 256) as u8);
        let ip = if i == 0 {
            "198.51.110.25".parse().unwrap()
        } else {
            std::net::IpAddr::V4(ip)
        };
        let o = l.owner(ip).await.unwrap();
        assert_eq!(o.abuse[0].email, "abuse@somecloud.test");
    }
    eprintln!("1000 lookups in one /24 took {:?}", t.elapsed());
    assert_eq!(http.hits(), ["/arin/ip/198.51.110.25"]);
}

#[tokio::test]
async fn ipv6_addresses_bootstrap_through_the_ipv6_registry() {
    let (http, w) = (registries(), whois_net());
    let o = lookup(&http, &w)
        .owner("2a01:db8:1234::25".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(
        emails(&o),
        ["abuse@v6hosting.test"],
        "{o:#?} {:?}",
        http.hits()
    );
    assert_eq!(o.cidrs, vec!["2a01:db8:1200::/40".parse().unwrap()]);
    assert_eq!(o.country.as_deref(), Some("NL"));
}

#[tokio::test]
async fn a_domain_without_rdap_is_aged_from_its_registry_whois() {
    let (http, w) = (registries(), whois_net());
    let l = lookup(&http, &w);
    let now = 1_795_478_400; // 2026-11-24T00:00:00Z
    let age = l.domain_age("freshshop.test", now, 30).await.unwrap();
    assert_eq!(age.registered.as_deref(), Some("2026-11-12T10:40:58Z"));
    assert_eq!(age.age_days, Some(11));
    assert!(age.newly_registered);
    assert_eq!(age.source.as_deref(), Some("whois://whois.nic.test"));
    assert_eq!(w.nic.queries(), ["freshshop.test"]);
    let e = l
        .domain_age("unknown-shop.test", now, 30)
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("HTTP 404") && e.to_string().contains("no creation date"),
        "{e}"
    );
}
