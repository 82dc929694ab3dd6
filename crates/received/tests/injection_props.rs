//! Property test of the client-IP safety rule: for each MTA format, any HELO string the
//! client sends (parentheses, brackets, quotes, `by`/`with`/`for` keywords, address
//! literals, fake host-info comments, fake auth markers…) spliced where that MTA writes the
//! HELO never makes the parser attribute an address that appears only in the client's
//! text, and never makes an unauthenticated hop look authenticated. The same holds for the
//! recipient address (`for <…>`), also client-chosen.
//!
//! Cases per property: `RELAYHUNT_INJECTION_CASES` (default 4,096 so `cargo test` stays
//! quick). The 1,000,000-case run is documented in the crate README:
//! `RELAYHUNT_INJECTION_CASES=1000000 cargo test --release -p relayhunt-received --test injection_props`

use proptest::prelude::*;
use relayhunt_received::parse;
use std::net::IpAddr;

/// The peer every template records.
const REAL: &str = "192.0.2.77";
const REAL6: &str = "2001:db8:77::25";

/// `(MTA, template, real peer, authenticated)`: `{H}` is where the MTA writes the client's
/// HELO (or, for the two recipient templates, its `RCPT TO` address). Each line is the named
/// MTA's own format (see `tests/data/mta_vectors.jsonl`).
const TEMPLATES: &[(&str, &str, &str, bool)] = &[
    ("Postfix", "from {H} (rdns.example.net [192.0.2.77]) by mx.example.org (Postfix) with ESMTP id 4AbCdE for <u@example.org>; Mon, 15 Jan 2024 10:00:00 +0000 (UTC)", REAL, false),
    ("Postfix TLS+SASL", "from {H} (unknown [192.0.2.77])\r\n\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\r\n\t(Authenticated sender: a@example.org)\r\n\tby smtp.example.org (Postfix) with ESMTPSA id 4AbCdE\r\n\tfor <u@example.net>; Mon, 15 Jan 2024 10:00:00 +0000 (UTC)", REAL, true),
    ("Postfix IPv6", "from {H} (rdns.example.net [IPv6:2001:db8:77::25]) by mx.example.org (Postfix) with ESMTPS id 4AbCdE; Mon, 15 Jan 2024 10:00:00 +0000 (UTC)", REAL6, false),
    ("Sendmail", "from {H} (rdns.example.net [192.0.2.77] (may be forged))\n\tby mx.example.org (8.15.2/8.15.2) with ESMTP id 40FAbCdE012345\n\tfor <u@example.org>; Mon, 15 Jan 2024 10:00:00 -0500", REAL, false),
    ("Sendmail ident+auth", "from {H} (joe@rdns.example.net [192.0.2.77])\n\t(authenticated bits=0)\n\tby smtp.example.org (8.16.1/8.16.1) with ESMTPSA id 40G1a2b3004567\n\t(version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 verify=NO); Tue, 16 Jan 2024 09:00:00 -0800", REAL, true),
    ("Exim rcvhost", "from rdns.example.net ([192.0.2.77]:41234 helo={H})\n\tby mx.example.org with esmtp (Exim 4.96)\n\t(envelope-from <a@example.net>)\n\tid 1rPq2S-000AbC-2x\n\tfor u@example.org; Mon, 15 Jan 2024 10:00:00 +0000", REAL, false),
    ("Exim no rDNS", "from [192.0.2.77] (port=41234 helo={H})\n\tby mx.example.org with esmtps  (TLS1.3) tls TLS_AES_128_GCM_SHA256\n\t(Exim 4.96)\n\tid 1rPq2S-000AbC-2x; Mon, 15 Jan 2024 10:00:00 +0000", REAL, false),
    ("Exim fullhost", "from rdns.example.net ({H}) [192.0.2.77]\n\tby mx.example.org with esmtp (Exim 4.94)\n\tid 1rPq2S-000AbI-8d; Mon, 15 Jan 2024 10:00:00 +0000", REAL, false),
    ("qmail", "from unknown (HELO {H}) (192.0.2.77)\n  by mx.example.org with SMTP; 15 Jan 2024 10:00:00 -0000", REAL, false),
    ("qmail ident", "from rdns.example.net (HELO {H}) (joe@192.0.2.77)\n  by mx.example.org with SMTP; 15 Jan 2024 10:00:00 -0000", REAL, false),
    ("qpsmtpd", "from rdns.example.net (HELO {H}) (192.0.2.77)\n  by mx.example.org (qpsmtpd/0.96) with ESMTP; Mon, 15 Jan 2024 10:00:00 +0000", REAL, false),
    ("CommuniGate submission", "from [192.0.2.77] (account a@example.org HELO {H})\n  by mail.example.org (CommuniGate Pro SMTP 6.3.4)\n  with ESMTPSA id 1234567 for u@example.net; Mon, 15 Jan 2024 10:00:00 +0100", REAL, true),
    ("CommuniGate inbound", "from {H} ([192.0.2.77] verified)\n  by mx.example.org (CommuniGate Pro SMTP 6.3.4)\n  with ESMTP id 1234568 for u@example.org; Mon, 15 Jan 2024 10:00:00 +0100", REAL, false),
    ("Exchange", "from {H} (192.0.2.77) by EX02.corp.example.org (10.0.0.6) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384_P384) id 15.1.2507.6; Mon, 15 Jan 2024 10:00:00 +0000", REAL, false),
    ("IIS SMTPSVC", "from {H} ([192.0.2.77]) by smtp.example.org with Microsoft SMTPSVC(6.0.3790.4675); Mon, 15 Jan 2024 02:00:00 -0800", REAL, false),
    ("Exchange 5.5 IMS", "from {H} - 192.0.2.77 by exch.example.org with Microsoft SMTPSVC; Mon, 15 Jan 2024 02:00:00 -0800", REAL, false),
    ("Gmail", "from {H} (rdns.example.net. [192.0.2.77])\n        by mx.google.com with ESMTPS id a1si123.2024.01.15.02.00.00\n        for <u@gmail.com>\n        (Google Transport Security);\n        Mon, 15 Jan 2024 02:00:00 -0800 (PST)", REAL, false),
    ("Courier", "from {H} (rdns.example.net [::ffff:192.0.2.77])\n  (AUTH: LOGIN a@example.org, TLS: TLSv1/SSLv3,256bits,AES256-SHA)\n  by mail.example.org with ESMTPSA; Mon, 15 Jan 2024 10:00:00 -0500\n  id 0012345A.65A5A5A5.00001234", REAL, true),
    ("GMX", "from rdns.example.net (EHLO {H}) [192.0.2.77]\n  by mail.gmx.net (mp003) with SMTP; 01 Oct 2007 12:00:00 +0200", REAL, true),
    ("Haraka", "from {H} (rdns.example.net [192.0.2.77]) by smtp.example.org (Haraka/3.0.2) with ESMTPSA id 1A2B3C4D.1 envelope-from <a@example.org> (authenticated bits=0) (version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384); Mon, 15 Jan 2024 10:00:00 +0000", REAL, true),
    ("OpenSMTPD", "from {H} (rdns.example.net [192.0.2.77])\n\tby mx.example.org (OpenSMTPD) with ESMTPS id 1a2b3c4d (TLSv1.3:TLS_AES_256_GCM_SHA384:256:NO)\n\tfor <u@example.org>;\n\tMon, 15 Jan 2024 10:00:00 +0000 (UTC)", REAL, false),
    ("MDaemon", "from {H} (rdns.example.net [192.0.2.77]) by mx.example.org (MDaemon PRO v19.0.2) with ESMTP id md50001234567.msg for <u@example.org>; Mon, 15 Jan 2024 10:00:00 +0100", REAL, false),
    ("smtpd (fwtk)", "from rdns.example.net(192.0.2.77), claiming to be \"{H}\"\n via SMTP by mx.example.org, id smtpdE13080; Sat Jul 20 23:23:40 2002", REAL, false),
    ("Postfix recipient", "from mail.example.net (rdns.example.net [192.0.2.77]) by mx.example.org (Postfix) with ESMTP id 4AbCdE for <{H}>; Mon, 15 Jan 2024 10:00:00 +0000 (UTC)", REAL, false),
    ("Exim recipient", "from rdns.example.net ([192.0.2.77]:41234)\n\tby mx.example.org with esmtp (Exim 4.96)\n\tid 1rPq2S-000AbC-2x\n\tfor {H}; Mon, 15 Jan 2024 10:00:00 +0000", REAL, false),
];

/// Pieces a hostile client strings together: structure characters, clause keywords,
/// receiver-looking comments, auth markers, dates, and addresses that are not the peer.
const PIECES: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "<",
    ">",
    "\"",
    " ",
    " ",
    " ",
    ",",
    ";",
    ":",
    "-",
    "=",
    "@",
    "\t",
    "by",
    "from",
    "with",
    "id",
    "for",
    "via",
    "HTTP",
    "ESMTPSA",
    "helo=",
    "HELO",
    "EHLO",
    "unknown",
    "verified",
    "may be forged",
    "Authenticated sender:",
    "authenticated bits=0",
    "(authenticated)",
    "AUTH: LOGIN bob,",
    "account bob",
    "user=bob mech=PLAIN bits=0",
    "SquirrelMail authenticated user bob",
    "as user bob",
    "claiming to be",
    "mp001",
    "Exim 4.96",
    "Postfix",
    "Postfix, from userid 0",
    "qmail 1 invoked by uid 0",
    "fetchmail-6.4",
    "IPv6:",
    ":25",
    "port=25",
    "ident=bob",
    "IDENT:",
    "mail.example.com",
    "x",
    "localhost",
    "6.6.6.6",
    "[6.6.6.6]",
    "(6.6.6.6)",
    "(evil.example [6.6.6.6])",
    "(unknown [6.6.6.6])",
    "([6.6.6.6] verified)",
    "bob@6.6.6.6",
    "bob@[6.6.6.6]",
    "7.7.7.7",
    "[7.7.7.7]:25",
    "2001:db8:bad::1",
    "[IPv6:2001:db8:bad::1]",
    "::ffff:6.6.6.6",
    "6.6.6.6.25",
    "Mon, 15 Jan 2024 10:00:00 +0000",
    "15 Jan 2024 10:00:00 -0000",
];

fn helo() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            8 => prop::sample::select(PIECES).prop_map(str::to_string),
            1 => "[ -~]{1,6}",
        ],
        1..14,
    )
    .prop_map(|v| v.concat())
}

fn cases() -> u32 {
    std::env::var("RELAYHUNT_INJECTION_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4096)
}

/// What the MTA lets into the slot. HELO text goes in as sent (Postfix and qmail keep
/// spaces and any punctuation). A recipient is an RFC 5321 path: Postfix writes it inside
/// `<…>` (so no bare `<`, `>`, `;` or blanks), Exim bare (no blanks, parentheses, quotes,
/// `<>;,`).
fn fill(mta: &str, template: &str, h: &str) -> String {
    let slot: String = match mta {
        "Postfix recipient" => h
            .chars()
            .filter(|c| !matches!(c, '<' | '>' | ';') && !c.is_whitespace())
            .collect(),
        "Exim recipient" => h
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '(' | ')' | '<' | '>' | '"' | ';' | ','))
            .collect(),
        _ => h.to_string(),
    };
    template.replace("{H}", &slot)
}

fn check(
    mta: &str,
    template: &str,
    real: &str,
    authed: bool,
    h: &str,
) -> Result<(), TestCaseError> {
    let line = fill(mta, template, h);
    let hop = parse(&line);
    let real: IpAddr = real.parse().expect("template peer");
    if let Some(ip) = hop.from.ip {
        prop_assert_eq!(
            ip,
            real,
            "attributed an address from client text\n  HELO: {:?}\n  line: {:?}",
            h,
            line
        );
    }
    if !authed {
        prop_assert!(
            !hop.authenticated,
            "client text made the hop authenticated\n  HELO: {:?}\n  line: {:?}",
            h,
            line
        );
    }
    prop_assert!(
        hop.non_relay.is_none(),
        "client text made the hop a non-relay\n  HELO: {:?}\n  line: {:?}",
        h,
        line
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn no_helo_injection_attributes_an_address(t in 0..TEMPLATES.len(), h in helo()) {
        let (mta, template, real, authed) = TEMPLATES[t];
        check(mta, template, real, authed, &h)?;
    }
}

/// Without injection every template yields its real peer: the property is not vacuous.
#[test]
fn templates_yield_the_peer_with_a_plain_helo() {
    for (mta, template, real, authed) in TEMPLATES {
        let hop = parse(&template.replace("{H}", "mail.example.com"));
        assert_eq!(hop.from.ip, Some(real.parse().unwrap()), "{mta}");
        assert_eq!(hop.authenticated, *authed, "{mta}");
    }
}
