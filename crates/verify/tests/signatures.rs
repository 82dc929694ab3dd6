//! DKIM, ARC and DMARC through mail-auth, with every record fetched from a real
//! authoritative server on loopback; keys are generated per test run.

mod support;

use mail_auth::common::crypto::Ed25519Key;
use mail_auth::common::headers::HeaderWriter;
use relayhunt_dns_fixture::ZoneServer;
use relayhunt_verify::signatures::{check, offline_authenticator, DmarcInputs};
use relayhunt_verify::spf::SpfResult;
use support::{cached, dkim_key, dkim_sign_with, rsa_key, zone, Alg, DkimKey};

const MESSAGE: &str = "From: Dana Whitfield <dana@northwind-traders.example>\r\n\
To: Accounts Payable <ap@fabrikam.example>\r\n\
Subject: Quarterly figures\r\n\
Date: Thu, 14 May 2026 14:19:58 -0700\r\n\
Message-ID: <q2-figures@northwind-traders.example>\r\n\
\r\n\
The figures are attached.\r\n";

/// Keys of one algorithm: `good` is published as `s1` and `arc` under
/// northwind-traders.example, `other` nowhere.
struct Keys {
    good: DkimKey,
    other: DkimKey,
}

const ALGS: [Alg; 2] = [Alg::Ed25519, Alg::Rsa];

/// A server publishing, for both algorithms, the good key as `s1` / `arc` (Ed25519) and
/// `r1` / `arcr` (RSA), a revoked key of each (`old`, `oldr`), and an unrelated key under
/// fabrikam.example; plus SPF and a reject DMARC policy.
fn setup() -> (ZoneServer, [Keys; 2]) {
    let keys = ALGS.map(|alg| Keys {
        good: dkim_key(alg),
        other: dkim_key(alg),
    });
    let unrelated = ALGS.map(dkim_key);
    let z = zone(&format!(
        r#"@ IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
        _dmarc IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@northwind-traders.example"
        s1._domainkey IN TXT {ed}
        arc._domainkey IN TXT {ed}
        old._domainkey IN TXT "v=DKIM1; k=ed25519; p="
        r1._domainkey IN TXT {rsa}
        arcr._domainkey IN TXT {rsa}
        oldr._domainkey IN TXT "v=DKIM1; k=rsa; p=""#,
        ed = txt(&keys[0].good.record),
        rsa = txt(&keys[1].good.record),
    ));
    let other_zone = zone(&format!(
        "s1._domainkey IN TXT {}\nr1._domainkey IN TXT {}",
        txt(&unrelated[0].record),
        txt(&unrelated[1].record)
    ));
    // The top-level zone answers NXDOMAIN for `_dmarc.example` (the tree walk's last step).
    let tld = zone("");
    let server = ZoneServer::start(&[
        ("example", &tld),
        ("northwind-traders.example", &z),
        ("fabrikam.example", &other_zone),
    ])
    .unwrap();
    (server, keys)
}

/// A TXT record's text as zone-file strings of at most 255 bytes, on one line (an RSA key
/// is longer than one string holds).
fn txt(record: &str) -> String {
    let parts: Vec<String> = record
        .as_bytes()
        .chunks(255)
        .map(|c| format!("\"{}\"", std::str::from_utf8(c).unwrap()))
        .collect();
    parts.join(" ")
}

/// The selectors publishing the good key, the revoked key and the ARC key for `alg`.
fn selectors(alg: Alg) -> (&'static str, &'static str, &'static str) {
    match alg {
        Alg::Ed25519 => ("s1", "old", "arc"),
        Alg::Rsa => ("r1", "oldr", "arcr"),
    }
}

async fn run(
    s: &ZoneServer,
    raw: &str,
    spf: SpfResult,
) -> relayhunt_verify::signatures::SignatureChecks {
    let dns = cached(s);
    let auth = offline_authenticator().unwrap();
    check(
        &dns,
        &auth,
        raw.as_bytes(),
        &DmarcInputs {
            mail_from_domain: "northwind-traders.example",
            spf,
        },
    )
    .await
    .expect("parsable message")
}

#[tokio::test]
async fn a_good_signature_passes_and_dmarc_passes_on_it() {
    let (s, keys) = setup();
    for k in &keys {
        let (sel, _, _) = selectors(k.good.alg);
        let signed = dkim_sign_with(MESSAGE, &k.good, "northwind-traders.example", sel, 0);
        let r = run(&s, &signed, SpfResult::Fail).await;
        assert_eq!(r.dkim.len(), 1);
        assert_eq!(
            r.dkim[0].result, "pass",
            "{:?}: {:?}",
            k.good.alg, r.dkim[0]
        );
        assert_eq!(r.dkim[0].selector, sel);
        let d = r.dmarc.unwrap();
        assert_eq!(d.result, "pass");
        assert!(d.dkim_aligned && !d.spf_aligned);
        assert_eq!(d.policy, Some("reject"));
        assert!(
            d.receiver_should.starts_with("accept"),
            "{}",
            d.receiver_should
        );
    }
}

#[tokio::test]
async fn a_changed_body_breaks_the_signature() {
    let (s, keys) = setup();
    for k in &keys {
        let (sel, _, _) = selectors(k.good.alg);
        let signed = dkim_sign_with(MESSAGE, &k.good, "northwind-traders.example", sel, 0)
            .replace("attached", "in the link below");
        let r = run(&s, &signed, SpfResult::Fail).await;
        assert_ne!(r.dkim[0].result, "pass", "{:?}", k.good.alg);
        assert!(
            r.dkim[0].reason.as_deref().unwrap().contains("body hash"),
            "{:?}: {:?}",
            k.good.alg,
            r.dkim[0]
        );
        let d = r.dmarc.unwrap();
        assert_eq!(d.result, "fail");
        assert!(
            d.receiver_should.starts_with("reject it"),
            "{}",
            d.receiver_should
        );
    }
}

#[tokio::test]
async fn a_changed_signed_header_breaks_the_signature() {
    let (s, keys) = setup();
    for k in &keys {
        let (sel, _, _) = selectors(k.good.alg);
        let signed = dkim_sign_with(MESSAGE, &k.good, "northwind-traders.example", sel, 0)
            .replace("Quarterly figures", "Updated bank details");
        let r = run(&s, &signed, SpfResult::None).await;
        assert_eq!(
            r.dkim[0].result, "fail",
            "{:?}: {:?}",
            k.good.alg, r.dkim[0]
        );
        assert_eq!(r.dmarc.unwrap().result, "fail");
    }
}

#[tokio::test]
async fn an_expired_signature_is_not_a_pass() {
    let (s, keys) = setup();
    let signed: Vec<(Alg, String)> = keys
        .iter()
        .map(|k| {
            let (sel, _, _) = selectors(k.good.alg);
            let m = dkim_sign_with(MESSAGE, &k.good, "northwind-traders.example", sel, 1);
            (k.good.alg, m)
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(2100));
    for (alg, m) in &signed {
        let r = run(&s, m, SpfResult::Pass).await;
        assert_eq!(r.dkim[0].result, "neutral", "{alg:?}");
        assert!(r.dkim[0].reason.as_deref().unwrap().contains("expired"));
        // SPF still aligns: DMARC passes on it.
        assert_eq!(r.dmarc.unwrap().result, "pass");
    }
}

#[tokio::test]
async fn a_wrong_d_or_a_revoked_key_fails() {
    let (s, keys) = setup();
    for k in &keys {
        let alg = k.good.alg;
        let (sel, revoked_sel, _) = selectors(alg);
        // Signed with another key, claiming a domain whose published key is not that key.
        let wrong_d = dkim_sign_with(MESSAGE, &k.other, "fabrikam.example", sel, 0);
        let r = run(&s, &wrong_d, SpfResult::None).await;
        assert_eq!(r.dkim[0].domain, "fabrikam.example");
        assert_eq!(r.dkim[0].result, "fail", "{alg:?}: {:?}", r.dkim[0]);
        // d= rewritten after signing: the key is looked up where none exists.
        let moved = dkim_sign_with(MESSAGE, &k.good, "northwind-traders.example", sel, 0).replacen(
            "d=northwind-traders.example",
            "d=nowhere.northwind-traders.example",
            1,
        );
        let r = run(&s, &moved, SpfResult::None).await;
        assert_eq!(r.dkim[0].result, "permerror", "{alg:?}: {:?}", r.dkim[0]);
        // d= rewritten to a domain that publishes a key under that selector, but not this one.
        let other_d = dkim_sign_with(MESSAGE, &k.good, "northwind-traders.example", sel, 0)
            .replacen("d=northwind-traders.example", "d=fabrikam.example", 1);
        let r = run(&s, &other_d, SpfResult::None).await;
        assert_eq!(r.dkim[0].result, "fail", "{alg:?}: {:?}", r.dkim[0]);
        let revoked = dkim_sign_with(
            MESSAGE,
            &k.good,
            "northwind-traders.example",
            revoked_sel,
            0,
        );
        let r = run(&s, &revoked, SpfResult::None).await;
        assert_ne!(r.dkim[0].result, "pass");
        assert!(
            r.dkim[0].reason.as_deref().unwrap().contains("revoked"),
            "{alg:?}: {:?}",
            r.dkim[0]
        );
        assert_eq!(r.dmarc.unwrap().result, "fail");
    }
}

/// Seal `raw` as a forwarder would (one ARC set by northwind-traders.example).
async fn seal(raw: &str, key: &DkimKey) -> String {
    let auth = offline_authenticator().unwrap();
    let msg = mail_auth::AuthenticatedMessage::parse(raw.as_bytes()).unwrap();
    let arc = auth.verify_arc(&msg).await;
    let results = mail_auth::AuthenticationResults::new("mx.forwarder.example");
    let (_, _, selector) = selectors(key.alg);
    const SEALED: [&str; 4] = ["From", "To", "Subject", "DKIM-Signature"];
    let set = match key.alg {
        Alg::Ed25519 => {
            mail_auth::arc::ArcSealer::from_key(Ed25519Key::from_pkcs8_der(&key.pkcs8).unwrap())
                .domain("northwind-traders.example")
                .selector(selector)
                .headers(SEALED)
                .seal(&msg, &results, &arc)
        }
        Alg::Rsa => mail_auth::arc::ArcSealer::from_key(rsa_key(&key.pkcs8))
            .domain("northwind-traders.example")
            .selector(selector)
            .headers(SEALED)
            .seal(&msg, &results, &arc),
    }
    .expect("seal");
    format!("{}{raw}", set.to_header())
}

#[tokio::test]
async fn an_arc_set_verifies_until_the_message_changes() {
    let (s, keys) = setup();
    for k in &keys {
        let alg = k.good.alg;
        let (sel, _, _) = selectors(alg);
        let signed = dkim_sign_with(MESSAGE, &k.good, "northwind-traders.example", sel, 0);
        let sealed = seal(&signed, &k.good).await;
        let r = run(&s, &sealed, SpfResult::None).await;
        assert_eq!(r.arc.result, "pass", "{alg:?}: {:?}", r.arc);
        assert_eq!(r.arc.sets, 1);
        assert_eq!(r.arc.sealers, ["northwind-traders.example"]);
        let broken = sealed.replace("Quarterly figures", "Urgent wire transfer");
        let r = run(&s, &broken, SpfResult::None).await;
        assert_eq!(r.arc.result, "fail", "{alg:?}: {:?}", r.arc);
        // A seal by a key that is not the published one.
        let forged = seal(&signed, &k.other).await;
        let r = run(&s, &forged, SpfResult::None).await;
        assert_eq!(r.arc.result, "fail", "{alg:?}: {:?}", r.arc);
        let unsealed = run(&s, &signed, SpfResult::None).await;
        assert_eq!(unsealed.arc.result, "none");
    }
}

#[tokio::test]
async fn an_unsigned_message_fails_a_reject_policy_without_spf() {
    let (s, _) = setup();
    let r = run(&s, MESSAGE, SpfResult::Fail).await;
    assert!(r.dkim.is_empty());
    let d = r.dmarc.unwrap();
    assert_eq!(d.result, "fail");
    assert_eq!(
        d.record.as_deref(),
        Some("v=DMARC1; p=reject; rua=mailto:dmarc@northwind-traders.example")
    );
    let temp = run(&s, MESSAGE, SpfResult::TempError).await;
    assert_eq!(temp.dmarc.unwrap().result, "temperror");
}

#[tokio::test]
async fn a_subdomain_gets_the_organisational_domains_sp_policy() {
    let org = zone(r#"_dmarc IN TXT "v=DMARC1; p=reject; sp=quarantine""#);
    let tld = zone("");
    let s = ZoneServer::start(&[("example", &tld), ("fabrikam.example", &org)]).unwrap();
    let raw = MESSAGE.replace(
        "dana@northwind-traders.example",
        "billing@invoices.fabrikam.example",
    );
    let dns = cached(&s);
    let auth = offline_authenticator().unwrap();
    let r = check(
        &dns,
        &auth,
        raw.as_bytes(),
        &DmarcInputs {
            mail_from_domain: "invoices.fabrikam.example",
            spf: SpfResult::Fail,
        },
    )
    .await
    .unwrap();
    let d = r.dmarc.unwrap();
    assert_eq!(d.domain, "invoices.fabrikam.example");
    assert_eq!(d.result, "fail");
    assert_eq!(
        d.record.as_deref(),
        Some("v=DMARC1; p=reject; sp=quarantine")
    );
    assert_eq!(d.policy, Some("quarantine"), "{d:?}");
    assert!(
        d.receiver_should.starts_with("quarantine it"),
        "{}",
        d.receiver_should
    );
}
