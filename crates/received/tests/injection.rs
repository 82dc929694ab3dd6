//! The client IP must be the one the receiving server recorded, never an address the client
//! smuggled in through its HELO text or an injected comment. Each case is a line as the
//! named MTA would write it for a hostile client.

use relayhunt_received::{parse, ParseNote};
use std::net::IpAddr;

fn ip(s: &str) -> Option<IpAddr> {
    Some(s.parse().expect("test IP literal"))
}

fn ignored(ip: &str) -> ParseNote {
    ParseNote::HeloIpIgnored { ip: ip.into() }
}

#[test]
fn exim_helo_literal_is_not_the_peer() {
    // Client said `EHLO [6.6.6.6]`; Exim recorded the real peer first.
    let h = parse("from [1.2.3.4] (helo=[6.6.6.6]) by mx.example with esmtp (Exim 4.96) id 1a-2b-3c; Mon, 1 Jan 2024 00:00:00 +0000");
    assert_eq!(h.from.ip, ip("1.2.3.4"));
    assert_eq!(h.from.helo.as_deref(), Some("[6.6.6.6]"));
    assert_eq!(h.notes, vec![ignored("6.6.6.6")]);
}

#[test]
fn exim_helo_equal_to_peer_needs_no_note() {
    let h = parse("from [1.2.3.4] (helo=[1.2.3.4]) by mx.example with esmtp (Exim 4.96) id 1a-2b-3c; Mon, 1 Jan 2024 00:00:00 +0000");
    assert_eq!(h.from.ip, ip("1.2.3.4"));
    assert!(h.notes.is_empty(), "{:?}", h.notes);
}

#[test]
fn exim_fullhost_bracket_outside_parens_wins() {
    // `$sender_fullhost`: HELO in parentheses only when it differs, real IP after.
    let h = parse("from host.example ([9.9.9.9]) [1.2.3.4] by mx.example with esmtp; Mon, 1 Jan 2024 00:00:00 +0000");
    assert_eq!(h.from.ip, ip("1.2.3.4"));
    assert_eq!(h.from.rdns.as_deref(), Some("host.example"));
    assert_eq!(h.notes, vec![ignored("9.9.9.9")]);
}

#[test]
fn qmail_bare_paren_is_the_peer() {
    let h = parse(
        "from x (HELO 10.0.0.1) (5.6.7.8) by mx.example with SMTP; 1 Jan 2024 00:00:00 -0000",
    );
    assert_eq!(h.from.ip, ip("5.6.7.8"));
    assert_eq!(h.from.helo.as_deref(), Some("10.0.0.1"));
    assert_eq!(h.notes, vec![ignored("10.0.0.1")]);
}

#[test]
fn qmail_helo_with_spaces_and_fake_paren() {
    // qmail takes the whole rest of the HELO line; an attacker can add words and literals.
    let h = parse("from unknown (HELO evil.example [6.6.6.6] 7.7.7.7) (1.2.3.4) by mx.example with SMTP; 1 Jan 2024 00:00:00 -0000");
    assert_eq!(h.from.ip, ip("1.2.3.4"));
    assert!(h.notes.contains(&ignored("6.6.6.6")));
    assert!(h.notes.contains(&ignored("7.7.7.7")));
}

#[test]
fn injected_hostinfo_comment_before_the_real_one() {
    // `EHLO mail.example.com ([6.6.6.6])` through an MTA that writes `from HELO (rdns [ip])`.
    let h = parse("from mail.example.com ([6.6.6.6]) (real.rdns.example [1.2.3.4]) by mx.example (Postfix) with ESMTP id ABC; Mon, 1 Jan 2024 00:00:00 +0000");
    assert_eq!(h.from.ip, ip("1.2.3.4"));
    assert_eq!(h.from.rdns.as_deref(), Some("real.rdns.example"));
    assert_eq!(h.notes, vec![ignored("6.6.6.6")]);
}

#[test]
fn postfix_helo_literal_is_ignored() {
    let h = parse("from [6.6.6.6] (unknown [1.2.3.4]) by mx.example (Postfix) with ESMTP id ABC; Mon, 1 Jan 2024 00:00:00 +0000");
    assert_eq!(h.from.ip, ip("1.2.3.4"));
    assert_eq!(h.from.helo.as_deref(), Some("[6.6.6.6]"));
    assert_eq!(h.notes, vec![ignored("6.6.6.6")]);
}

#[test]
fn bare_leading_literal_is_ambiguous() {
    // Could be Postfix-style HELO or a receiver record: no way to tell, attribute nothing.
    let h = parse("from [6.6.6.6] by mx.example with SMTP; Mon, 1 Jan 2024 00:00:00 +0000");
    assert_eq!(h.from.ip, None);
    assert_eq!(
        h.notes,
        vec![ParseNote::AmbiguousClientIp {
            candidates: vec!["6.6.6.6".into()]
        }]
    );
}

#[test]
fn conflicting_receiver_records_are_ambiguous() {
    let h = parse("from [192.83.172.101] (HELLO 148.251.238.35) (148.251.238.35) by mx.example with SMTP; Tue, 03 Jul 2018 09:01:47 -0300");
    assert_eq!(h.from.ip, None);
    assert!(h.notes.iter().any(
        |n| matches!(n, ParseNote::AmbiguousClientIp { candidates } if candidates.len() == 2)
    ));
}

#[test]
fn ip_in_helo_only_gives_no_client_ip() {
    let h = parse("from mx.example (helo=[6.6.6.6]) by mx2.example with esmtp (Exim 4.96); Mon, 1 Jan 2024 00:00:00 +0000");
    assert_eq!(h.from.ip, None);
    assert_eq!(h.notes, vec![ignored("6.6.6.6")]);
}

#[test]
fn claiming_to_be_literal_is_ignored() {
    let h = parse("from host.example(1.2.3.4), claiming to be \"[6.6.6.6]\" via SMTP by mx.example, id smtpd1; Sun Nov 13 15:38:52 2005");
    assert_eq!(h.from.ip, ip("1.2.3.4"));
    assert_eq!(h.notes, vec![ignored("6.6.6.6")]);
}

#[test]
fn comment_outside_from_clause_cannot_supply_the_ip() {
    // A literal in the by clause or after the date is never the client.
    let h = parse("from evil.example by mx.example ([6.6.6.6]) with SMTP; Mon, 1 Jan 2024 00:00:00 +0000 ([7.7.7.7])");
    assert_eq!(h.from.ip, None);
    assert_eq!(h.by.ip, ip("6.6.6.6"));
}

#[test]
fn client_text_cannot_claim_to_be_exim() {
    // A software signature inside the from clause is client text: the leading literal
    // stays ambiguous instead of being read with Exim's rules.
    let h =
        parse("from [6.6.6.6] (Exim 4.96) by mx.example with SMTP; Mon, 1 Jan 2024 00:00:00 +0000");
    assert_eq!(h.from.ip, None);
    assert_eq!(h.software, None);
    let real = parse("from [1.2.3.4] by mx.example with esmtp (Exim 4.96) id 1a-2b-3c; Mon, 1 Jan 2024 00:00:00 +0000");
    assert_eq!(real.from.ip, ip("1.2.3.4"));
}
