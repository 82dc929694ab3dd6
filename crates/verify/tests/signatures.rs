//! DKIM, ARC and DMARC through mail-auth, with every record fetched from a real
//! authoritative server on loopback; keys are generated per test run.

mod support;

use mail_auth::common::crypto::Ed25519Key;
use mail_auth::common::headers::HeaderWriter;
use relayhunt_dns_fixture::ZoneServer;
use relayhunt_verify::signatures::{check, offline_authenticator, DmarcInputs};
use relayhunt_verify::spf::SpfResult;
use support::{cached, dkim_sign, ed25519_key, zone};

const MESSAGE: &str = "From: Dana Whitfield <dana@northwind-traders.example>\r\n\
To: Accounts Payable <ap@fabrikam.example>\r\n\
Subject: Quarterly figures\r\n\
Date: Thu, 14 May 2026 14:19:58 -0700\r\n\
Message-ID: <q2-figures@northwind-traders.example>\r\n\
\r\n\
The figures are attached.\r\n";

struct Keys {
    good: Vec<u8>,
    other: Vec<u8>,
}

fn setup() -> (ZoneServer, Keys) {
    let (good, good_rec) = ed25519_key();
    let (other, _) = ed25519_key();
    let (_, unrelated_rec) = ed25519_key();
    let z = zone(&format!(
        r#"@ IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
        _dmarc IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@northwind-traders.example"
        s1._domainkey IN TXT "{good_rec}"
        old._domainkey IN TXT "v=DKIM1; k=ed25519; p="
        arc._domainkey IN TXT "{good_rec}""#
    ));
    let other_zone = zone(&format!(r#"s1._domainkey IN TXT "{unrelated_rec}""#));
    // The top-level zone answers NXDOMAIN for `_dmarc.example` (the tree walk's last step).
    let tld = zone("");
    let server = ZoneServer::start(&[
        ("example", &tld),
        ("northwind-traders.example", &z),
        ("fabrikam.example", &other_zone),
    ])
    .unwrap();
    (server, Keys { good, other })
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
    let (s, k) = setup();
    let signed = dkim_sign(MESSAGE, &k.good, "northwind-traders.example", "s1", 0);
    let r = run(&s, &signed, SpfResult::Fail).await;
    assert_eq!(r.dkim.len(), 1);
    assert_eq!(r.dkim[0].result, "pass", "{:?}", r.dkim[0]);
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

#[tokio::test]
async fn a_changed_body_breaks_the_signature() {
    let (s, k) = setup();
    let signed = dkim_sign(MESSAGE, &k.good, "northwind-traders.example", "s1", 0)
        .replace("attached", "in the link below");
    let r = run(&s, &signed, SpfResult::Fail).await;
    assert_ne!(r.dkim[0].result, "pass");
    assert!(
        r.dkim[0].reason.as_deref().unwrap().contains("body hash"),
        "{:?}",
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

#[tokio::test]
async fn an_expired_signature_is_not_a_pass() {
    let (s, k) = setup();
    let signed = dkim_sign(MESSAGE, &k.good, "northwind-traders.example", "s1", 1);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let r = run(&s, &signed, SpfResult::Pass).await;
    assert_eq!(r.dkim[0].result, "neutral");
    assert!(r.dkim[0].reason.as_deref().unwrap().contains("expired"));
    // SPF still aligns: DMARC passes on it.
    assert_eq!(r.dmarc.unwrap().result, "pass");
}

#[tokio::test]
async fn a_wrong_d_or_a_revoked_key_fails() {
    let (s, k) = setup();
    // Signed with another key, claiming a domain whose published key is not that key.
    let wrong_d = dkim_sign(MESSAGE, &k.other, "fabrikam.example", "s1", 0);
    let r = run(&s, &wrong_d, SpfResult::None).await;
    assert_eq!(r.dkim[0].domain, "fabrikam.example");
    assert_eq!(r.dkim[0].result, "fail", "{:?}", r.dkim[0]);
    // d= rewritten after signing: the key is looked up where none exists.
    let moved = dkim_sign(MESSAGE, &k.good, "northwind-traders.example", "s1", 0).replacen(
        "d=northwind-traders.example",
        "d=nowhere.northwind-traders.example",
        1,
    );
    let r = run(&s, &moved, SpfResult::None).await;
    assert_eq!(r.dkim[0].result, "permerror", "{:?}", r.dkim[0]);
    let revoked = dkim_sign(MESSAGE, &k.good, "northwind-traders.example", "old", 0);
    let r = run(&s, &revoked, SpfResult::None).await;
    assert_ne!(r.dkim[0].result, "pass");
    assert!(
        r.dkim[0].reason.as_deref().unwrap().contains("revoked"),
        "{:?}",
        r.dkim[0]
    );
    assert_eq!(r.dmarc.unwrap().result, "fail");
}

/// Seal `raw` as a forwarder would (one ARC set by northwind-traders.example).
async fn seal(raw: &str, key: &[u8]) -> String {
    let auth = offline_authenticator().unwrap();
    let msg = mail_auth::AuthenticatedMessage::parse(raw.as_bytes()).unwrap();
    let arc = auth.verify_arc(&msg).await;
    let results = mail_auth::AuthenticationResults::new("mx.forwarder.example");
    let set = mail_auth::arc::ArcSealer::from_key(Ed25519Key::from_pkcs8_der(key).unwrap())
        .domain("northwind-traders.example")
        .selector("arc")
        .headers(["From", "To", "Subject", "DKIM-Signature"])
        .seal(&msg, &results, &arc)
        .expect("seal");
    format!("{}{raw}", set.to_header())
}

#[tokio::test]
async fn an_arc_set_verifies_until_the_message_changes() {
    let (s, k) = setup();
    let signed = dkim_sign(MESSAGE, &k.good, "northwind-traders.example", "s1", 0);
    let sealed = seal(&signed, &k.good).await;
    let r = run(&s, &sealed, SpfResult::None).await;
    assert_eq!(r.arc.result, "pass", "{:?}", r.arc);
    assert_eq!(r.arc.sets, 1);
    assert_eq!(r.arc.sealers, ["northwind-traders.example"]);
    let broken = sealed.replace("Quarterly figures", "Urgent wire transfer");
    let r = run(&s, &broken, SpfResult::None).await;
    assert_eq!(r.arc.result, "fail", "{:?}", r.arc);
    let unsealed = run(&s, &signed, SpfResult::None).await;
    assert_eq!(unsealed.arc.result, "none");
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
