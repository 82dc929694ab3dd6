//! Reading each registry's whois dialect: the fields that name the abuse desk.

use crate::support::read as fixture;
use relayhunt_takedown::owner::rank::rank;
use relayhunt_takedown::owner::ContactSource;
use relayhunt_takedown::whois::extract::read;

#[test]
fn lacnic_abuse_c_handle_resolves_to_the_persons_e_mail() {
    let f = read(&fixture("whois/lacnic-abuse-c.txt"), "whois.lacnic.net");
    let mut notes = vec![];
    let r = rank(f.candidates, &mut notes);
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0].email, "seguranca@provedor-exemplo.test");
    assert_eq!(r[0].source, ContactSource::WhoisAbuseHandle);
    assert_eq!(
        f.cidrs,
        vec!["200.7.84.0/23".parse().unwrap()],
        "LACNIC abbreviated prefix"
    );
    assert_eq!(f.org.as_deref(), Some("Provedor Exemplo Ltda"));
    assert_eq!(f.asns, [64499]);
}

#[test]
fn afrinic_irt_abuse_mailbox_beats_its_plain_e_mail() {
    let f = read(&fixture("whois/afrinic-mailbox.txt"), "whois.afrinic.net");
    let mut notes = vec![];
    let r = rank(f.candidates, &mut notes);
    assert_eq!(
        r.iter().map(|c| c.email.as_str()).collect::<Vec<_>>(),
        ["abuse@westnet-ng.test"]
    );
    assert_eq!(f.name.as_deref(), Some("WESTNET-NG-POOL"));
    assert_eq!(f.country.as_deref(), Some("NG"));
    assert_eq!(f.cidrs, vec!["41.203.64.0/20".parse().unwrap()]);
}

#[test]
fn ripe_abuse_comment_abuse_c_and_dummy_org_mail_are_told_apart() {
    let f = read(&fixture("whois/ripe-5.9.txt"), "whois.ripe.net");
    let mut notes = vec![];
    let r = rank(f.candidates.clone(), &mut notes);
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0].email, "abuse@privhost.test");
    assert_eq!(r[0].source, ContactSource::WhoisAbuseComment);
    assert!(f
        .candidates
        .iter()
        .any(|c| c.source == ContactSource::WhoisAbuseField));
    assert_eq!(f.org.as_deref(), Some("Privhost Oy"));
    assert_eq!(f.registered.as_deref(), Some("2012-01-10T10:00:00Z"));
}

#[test]
fn iana_answer_refers_to_the_rir_and_arin_referral_server_is_followed_only_for_whois() {
    let f = read(&fixture("whois/iana-5.txt"), "whois.iana.org");
    assert_eq!(f.referral.as_deref(), Some("whois.ripe.net"));
    let f = read(
        "ReferralServer:  whois://whois.ripe.net\n",
        "whois.arin.net",
    );
    assert_eq!(f.referral.as_deref(), Some("whois.ripe.net"));
    let f = read(
        "ReferralServer:  rwhois://rwhois.example.net:4321\n",
        "whois.arin.net",
    );
    assert_eq!(f.referral, None);
}

#[test]
fn domain_creation_dates_in_the_common_registry_spellings() {
    use relayhunt_takedown::whois::extract::creation_date;
    assert_eq!(
        creation_date("Creation Date: 2026-11-12T10:40:58Z\n").map(|d| d.1),
        Some(1_794_480_058)
    );
    assert_eq!(
        creation_date("    Registered on: 2019-03-04\n").map(|d| d.0),
        Some("2019-03-04".into())
    );
    assert_eq!(
        creation_date("created:     2020-01-02 10:00:00\n").map(|d| d.1),
        Some(1_577_959_200)
    );
    assert_eq!(creation_date("Expiry Date: 2027-01-01\nstatus: ok\n"), None);
}
