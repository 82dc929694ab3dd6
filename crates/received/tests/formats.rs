//! One realistic header per MTA dialect (most taken from real mail in the shared corpus,
//! the rest written the way each MTA's documentation or source formats them). Each test
//! asserts the facts an analyst reads off the line, then snapshots the whole [`Hop`] so any
//! change to the parse is reviewed.

use relayhunt_received::{parse, Hop, ParseNote, Protocol};
use std::net::IpAddr;

fn ip(s: &str) -> Option<IpAddr> {
    Some(s.parse().expect("test IP literal"))
}

fn cipher(h: &Hop) -> Option<&str> {
    h.tls.as_ref().and_then(|t| t.cipher.as_deref())
}

fn tls_version(h: &Hop) -> Option<&str> {
    h.tls.as_ref().and_then(|t| t.version.as_deref())
}

#[test]
fn postfix_inbound_tls() {
    let h = parse(
        "from mail-out.example.com (mail-out.example.com [203.0.113.10])\r\n\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\r\n\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)\r\n\t(No client certificate requested)\r\n\tby mx.recipient.org (Postfix) with ESMTPS id 4F3D21234\r\n\tfor <user@recipient.org>; Tue, 15 Mar 2024 10:30:00 +0000 (UTC)",
    );
    assert_eq!(h.from.ip, ip("203.0.113.10"));
    assert_eq!(h.from.helo.as_deref(), Some("mail-out.example.com"));
    assert_eq!(h.from.rdns.as_deref(), Some("mail-out.example.com"));
    assert_eq!(h.by.host.as_deref(), Some("mx.recipient.org"));
    assert_eq!(h.protocol, Some(Protocol::Esmtps));
    assert_eq!(tls_version(&h), Some("TLSv1.3"));
    assert_eq!(cipher(&h), Some("TLS_AES_256_GCM_SHA384"));
    assert_eq!(h.id.as_deref(), Some("4F3D21234"));
    assert_eq!(h.for_addr.as_deref(), Some("user@recipient.org"));
    assert_eq!(h.software.as_deref(), Some("Postfix"));
    assert_eq!(h.date.map(|d| d.unix), Some(1_710_498_600));
    assert!(!h.authenticated);
    insta::assert_json_snapshot!("postfix_inbound_tls", h);
}

#[test]
fn postfix_submission_authenticated_unknown_rdns() {
    // Real line (osst-users list): a webmail/submission hop with SASL auth.
    let h = parse(
        "from 2 (unknown [149.28.97.108]) (Authenticated sender: anarjor@ig.com.br) by skyler0004.ig.correio.biz (Postfix) with ESMTPA id 298A5E00036 for <osst-users@lists.sourceforge.net>; Thu, 23 May 2019 23:13:39 -0300 (-03)",
    );
    assert_eq!(h.from.ip, ip("149.28.97.108"));
    assert_eq!(h.from.rdns, None, "`unknown` means no reverse DNS");
    assert_eq!(h.from.helo.as_deref(), Some("2"));
    assert!(h.authenticated);
    assert_eq!(h.auth_user.as_deref(), Some("anarjor@ig.com.br"));
    assert_eq!(h.protocol, Some(Protocol::Esmtpa));
    assert_eq!(h.date.map(|d| d.offset_minutes), Some(-180));
    insta::assert_json_snapshot!("postfix_submission_authenticated", h);
}

#[test]
fn postfix_local_pickup() {
    let h = parse("by oak.ein.cz (Postfix, from userid 1002) id DABBD1BED3; Thu, 13 Feb 2003 14:02:21 +0100 (CET)");
    assert_eq!(h.from, Default::default());
    assert_eq!(h.by.host.as_deref(), Some("oak.ein.cz"));
    assert_eq!(h.software.as_deref(), Some("Postfix"));
    assert_eq!(h.id.as_deref(), Some("DABBD1BED3"));
    insta::assert_json_snapshot!("postfix_local_pickup", h);
}

#[test]
fn sendmail_ident_and_version() {
    // Real line (SpamAssassin corpus).
    let h = parse(
        "from MAIL5.INB-INTERNATIONAL.COM (IDENT:root@mail5.inb-international.com [65.162.84.134]) by mandark.labs.netnoteinc.com (8.11.2/8.11.2) with ESMTP id g4FGOCD26887 for <jm@netnoteinc.com>; Wed, 15 May 2002 17:24:13 +0100",
    );
    assert_eq!(h.from.ip, ip("65.162.84.134"));
    // Sendmail's `$_` is `ident@rdns [ip]`: the ident user, then the resolved host.
    assert_eq!(h.from.ident.as_deref(), Some("root"));
    assert_eq!(h.from.rdns.as_deref(), Some("mail5.inb-international.com"));
    assert_eq!(h.from.helo.as_deref(), Some("MAIL5.INB-INTERNATIONAL.COM"));
    assert_eq!(h.software.as_deref(), Some("Sendmail 8.11.2/8.11.2"));
    // No rDNS: Sendmail writes the ident against the bare address.
    let bare = parse("from 211.248.161.252 (IDENT:nobody@[211.248.161.252]) by locust.minder.net (8.11.6/8.11.6) with SMTP id g6PBMuJ79166 for <cpunks@minder.net>; Thu, 25 Jul 2002 07:22:57 -0400 (EDT) (envelope-from cu@africamail.com)");
    assert_eq!(bare.from.ip, ip("211.248.161.252"));
    assert_eq!(bare.from.ident.as_deref(), Some("nobody"));
    assert_eq!(bare.envelope_from.as_deref(), Some("cu@africamail.com"));
    insta::assert_json_snapshot!("sendmail_ident", h);
}

#[test]
fn sendmail_authenticated_may_be_forged() {
    let h = parse(
        "from rev.net (natpool62.rev.net [63.148.93.62] (may be forged)) (authenticated) by mail.rev.net (8.11.4/8.11.4) with ESMTP id h0KKa7d32306 for <spamassassin-talk@lists.sourceforge.net>; Mon, 20 Jan 2003 12:36:09 -0800",
    );
    assert_eq!(h.from.ip, ip("63.148.93.62"));
    assert_eq!(h.from.rdns.as_deref(), Some("natpool62.rev.net"));
    assert!(
        h.authenticated,
        "(authenticated) is Sendmail's SMTP AUTH marker"
    );
    insta::assert_json_snapshot!("sendmail_authenticated", h);
}

#[test]
fn exim_modern_tls_and_port() {
    let h = parse(
        "from mail-pl1-f170.google.com ([209.85.214.170]:52310)\n\tby mx.example.org with esmtps  (TLS1.3) tls TLS_AES_256_GCM_SHA384\n\t(Exim 4.96)\n\t(envelope-from <sender@gmail.com>)\n\tid 1qAbCd-0001Xy-2Q\n\tfor user@example.org;\n\tMon, 05 Feb 2024 14:00:00 +0000",
    );
    assert_eq!(h.from.ip, ip("209.85.214.170"));
    assert_eq!(h.from.port, Some(52310));
    assert_eq!(h.from.rdns.as_deref(), Some("mail-pl1-f170.google.com"));
    assert_eq!(
        h.from.helo.as_deref(),
        Some("mail-pl1-f170.google.com"),
        "Exim omits helo= when it equals the rDNS"
    );
    assert_eq!(tls_version(&h), Some("TLS1.3"));
    assert_eq!(cipher(&h), Some("TLS_AES_256_GCM_SHA384"));
    assert_eq!(h.software.as_deref(), Some("Exim 4.96"));
    assert_eq!(h.envelope_from.as_deref(), Some("sender@gmail.com"));
    assert_eq!(h.for_addr.as_deref(), Some("user@example.org"));
    insta::assert_json_snapshot!("exim_modern_tls", h);
}

#[test]
fn exim_helo_differs_and_esmtpa() {
    // Real line (rspamd fixtures).
    let h = parse(
        "from ca-18-193-131.service.infuturo.it ([151.18.193.131] helo=User) by server.chat-met-vreemden.nl with esmtpa (Exim 4.76) (envelope-from <upwest201diana@outlook.com>) id 1ZC1sl-0006b4-TU; Mon, 06 Jul 2015 10:36:08 +0200",
    );
    assert_eq!(h.from.ip, ip("151.18.193.131"));
    assert_eq!(h.from.helo.as_deref(), Some("User"));
    assert_eq!(
        h.from.rdns.as_deref(),
        Some("ca-18-193-131.service.infuturo.it")
    );
    assert!(h.authenticated);
    assert_eq!(h.protocol, Some(Protocol::Esmtpa));
    insta::assert_json_snapshot!("exim_helo_differs", h);
}

#[test]
fn exim_authenticated_as() {
    let h = parse(
        "from [198.51.100.23] (port=51234 helo=[192.168.1.5]) by server.hosting.example with esmtpsa (TLS1.2) tls TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 (Exim 4.96.2) (authenticated as alice@hosting.example) (envelope-from <alice@hosting.example>) id 1r4XyZ-0003Ab-1c for victim@example.net; Tue, 13 Feb 2024 09:12:44 +0100",
    );
    assert_eq!(
        h.from.ip,
        ip("198.51.100.23"),
        "Exim puts [ip] first when there is no rDNS"
    );
    assert_eq!(h.from.port, Some(51234));
    assert_eq!(h.from.helo.as_deref(), Some("[192.168.1.5]"));
    assert!(h.authenticated);
    assert_eq!(h.auth_user.as_deref(), Some("alice@hosting.example"));
    assert_eq!(
        h.notes,
        vec![ParseNote::HeloIpIgnored {
            ip: "192.168.1.5".into()
        }]
    );
    insta::assert_json_snapshot!("exim_authenticated_as", h);
}

#[test]
fn qmail_network_and_uid_lines() {
    let net = parse("(qmail 84907 invoked from network); 13 Feb 2003 20:59:28 -0000");
    assert_eq!(net.software.as_deref(), Some("qmail"));
    assert_eq!(net.from.ip, None);
    assert_eq!(net.date.map(|d| d.unix), Some(1_045_169_968));
    assert!(net.notes.is_empty());
    let uid = parse("(qmail 1234 invoked by uid 0); 14 Mar 2003 07:24:34 -0000");
    assert_eq!(uid.software.as_deref(), Some("qmail"));
    insta::assert_json_snapshot!("qmail_invoked_from_network", net);
}

#[test]
fn qmail_helo_and_peer() {
    // Real shape (SpamAssassin corpus): `from rdns (HELO x) (ip)`.
    let h = parse("from unknown (HELO mx.loxsystems.net) (114.106.224.38) by rly-xl05.dohuya.com with SMTP; Sun, 25 Aug 2002 02:03:20 +0500");
    assert_eq!(h.from.ip, ip("114.106.224.38"));
    assert_eq!(h.from.helo.as_deref(), Some("mx.loxsystems.net"));
    assert_eq!(h.from.rdns, None);
    let ident = parse("from postfix3-2.free.fr (HELO machine.domain.com) (foobar@213.228.0.169) by totor.bouissou.net with SMTP; 14 Nov 2003 08:05:50 -0000");
    assert_eq!(ident.from.ip, ip("213.228.0.169"));
    assert_eq!(ident.from.ident.as_deref(), Some("foobar"));
    assert_eq!(ident.from.rdns.as_deref(), Some("postfix3-2.free.fr"));
    insta::assert_json_snapshot!("qmail_helo_and_peer", h);
}

#[test]
fn courier_ident_auth_tls() {
    let h = parse(
        "from client.example.net (client.example.net [::ffff:198.51.100.7]) (IDENT: jdoe, AUTH: LOGIN alice, TLS: TLSv1.3,256bits,TLS_AES_256_GCM_SHA384) by mail.example.com with ESMTPSA; Wed, 10 Jan 2024 08:15:30 -0500 id 000A1B2C.65A2B3C4.00001234",
    );
    assert_eq!(
        h.from.ip,
        ip("198.51.100.7"),
        "IPv4-mapped IPv6 is reported as IPv4"
    );
    assert_eq!(h.from.ident.as_deref(), Some("jdoe"));
    assert!(h.authenticated);
    assert_eq!(h.auth_user.as_deref(), Some("alice"));
    assert_eq!(tls_version(&h), Some("TLSv1.3"));
    assert_eq!(cipher(&h), Some("TLS_AES_256_GCM_SHA384"));
    assert_eq!(
        h.date.map(|d| d.unix),
        Some(1_704_892_530),
        "Courier appends the id after the date"
    );
    let plain = parse("from host.example.net ([198.51.100.8]) by mail.example.com with ESMTP; Wed, 10 Jan 2024 08:15:30 -0500");
    assert_eq!(plain.from.ip, ip("198.51.100.8"));
    insta::assert_json_snapshot!("courier_ident_auth_tls", h);
}

#[test]
fn exchange_online_frontend_and_internal() {
    // Real lines (phishing_pot): Exchange Online frontend, then an internal IPv6 hop.
    let front = parse("from i8vk.07.pphosted.com (46.175.147.208) by BL6PEPF0001AB71.mail.protection.outlook.com (10.167.242.164) with Microsoft SMTP Server id 15.20.7202.16 via Frontend Transport; Mon, 5 Feb 2024 14:44:56 +0000");
    assert_eq!(front.from.ip, ip("46.175.147.208"));
    assert_eq!(front.by.ip, ip("10.167.242.164"));
    assert_eq!(front.via.as_deref(), Some("Frontend Transport"));
    assert_eq!(front.protocol_raw.as_deref(), Some("Microsoft SMTP Server"));
    assert_eq!(front.software.as_deref(), Some("Microsoft SMTP Server"));
    assert_eq!(front.id.as_deref(), Some("15.20.7202.16"));
    let internal = parse("from VI1EUR04FT008.eop-eur04.prod.protection.outlook.com (2a01:111:e400:7e0e::52) by VI1EUR04HT055.eop-eur04.prod.protection.outlook.com (2a01:111:e400:7e0e::302) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.3412.21; Fri, 25 Sep 2020 17:19:07 +0000");
    assert_eq!(internal.from.ip, ip("2a01:111:e400:7e0e::52"));
    assert_eq!(tls_version(&internal), Some("TLS1_2"));
    assert_eq!(
        cipher(&internal),
        Some("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384")
    );
    let mapi = parse("from AM0PR09MB3876.eurprd09.prod.outlook.com ([fe80::d82c:67bf:ec39:a403]) by AM0PR09MB3876.eurprd09.prod.outlook.com ([fe80::d82c:67bf:ec39:a403%9]) with mapi id 15.20.3412.024; Fri, 25 Sep 2020 17:19:07 +0000");
    assert_eq!(mapi.protocol, Some(Protocol::Mapi));
    assert_eq!(
        mapi.by.ip,
        ip("fe80::d82c:67bf:ec39:a403"),
        "zone index dropped"
    );
    let https = parse("from BN3NAM04HT205.eop-NAM04.prod.protection.outlook.com (2a01:111:e400:c418::34) by SN1PR16MB0494.namprd16.prod.outlook.com with HTTPS via SN1PR15CA0024.NAMPRD15.PROD.OUTLOOK.COM; Sat, 21 Apr 2018 03:01:33 +0000");
    assert_eq!(https.protocol, Some(Protocol::Https));
    assert_eq!(
        https.via.as_deref(),
        Some("SN1PR15CA0024.NAMPRD15.PROD.OUTLOOK.COM")
    );
    insta::assert_json_snapshot!("exchange_online_frontend", front);
    insta::assert_json_snapshot!("exchange_online_internal", internal);
}

#[test]
fn gmail_mx_and_submission() {
    let mx = parse("from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])\n        by mx.google.com with SMTPS id a1-20020a17090a3f0100b0028c0a2f3e9asor1234567pjf.12.2024.01.15.08.30.00\n        for <user@gmail.com>\n        (Google Transport Security);\n        Mon, 15 Jan 2024 08:30:00 -0800 (PST)");
    assert_eq!(mx.from.ip, ip("209.85.220.41"));
    assert_eq!(mx.from.rdns.as_deref(), Some("mail-sor-f41.google.com."));
    assert_eq!(mx.protocol, Some(Protocol::Esmtps));
    assert_eq!(
        mx.date.map(|d| (d.unix, d.offset_minutes)),
        Some((1_705_336_200, -480))
    );
    let tls = parse("from EUR04-DB3-obe.outbound.protection.outlook.com (mail-oln040092074029.outbound.protection.outlook.com. [40.92.74.29]) by mx.google.com with ESMTPS id v11si2241830edr.99.2020.09.25.10.19.07 for <inboobswetrusts1@gmail.com> (version=TLS1_2 cipher=ECDHE-ECDSA-AES128-GCM-SHA256 bits=128/128); Fri, 25 Sep 2020 10:19:07 -0700 (PDT)");
    assert_eq!(tls_version(&tls), Some("TLS1_2"));
    assert_eq!(cipher(&tls), Some("ECDHE-ECDSA-AES128-GCM-SHA256"));
    let sub = parse("from [10.231.252.223] (79.sub-174-252-72.myvzw.com [174.252.72.79]) by smtp.gmail.com with ESMTPSA id m16sm345129qck.28.2011.06.15.07.42.02 (version=TLSv1/SSLv3 cipher=OTHER); Wed, 15 Jun 2011 07:42:08 -0700 (PDT)");
    assert_eq!(sub.from.ip, ip("174.252.72.79"));
    assert_eq!(sub.from.helo.as_deref(), Some("[10.231.252.223]"));
    assert!(sub.authenticated);
    assert_eq!(
        sub.notes,
        vec![ParseNote::HeloIpIgnored {
            ip: "10.231.252.223".into()
        }]
    );
    let internal = parse("by 2002:a05:6a10:a84d:b0:4e4:9b7:8a6b with SMTP id kq13csp1043870pxb; Mon, 15 Jan 2024 08:30:01 -0800 (PST)");
    assert_eq!(internal.by.ip, ip("2002:a05:6a10:a84d:b0:4e4:9b7:8a6b"));
    insta::assert_json_snapshot!("gmail_mx", mx);
    insta::assert_json_snapshot!("gmail_submission", sub);
}

#[test]
fn yahoo_webmail_auth_and_mx() {
    let web = parse("from [93.48.39.139] by web28416.mail.ukl.yahoo.com via HTTP; Wed, 09 Mar 2011 11:19:45 GMT");
    assert_eq!(
        web.from.ip,
        ip("93.48.39.139"),
        "HTTP has no HELO: the leading literal is the browser's address"
    );
    assert_eq!(web.via.as_deref(), Some("HTTP"));
    let auth = parse("from itrqtnlnq (lucilleskinner@93.124.107.183 with login) by smtp111.mail.ne1.yahoo.com with SMTP; 17 Jan 2011 08:23:27 -0800 PST");
    assert_eq!(auth.from.ip, ip("93.124.107.183"));
    assert!(
        auth.authenticated,
        "`with login` is the SMTP AUTH mechanism"
    );
    assert_eq!(auth.date.map(|d| d.offset_minutes), Some(-480));
    let mx = parse("from 209.85.219.171 (EHLO mail-yb1-f171.google.com) (209.85.219.171) by 10.197.38.9 with SMTPs; Thu, 01 Feb 2024 12:00:00 +0000");
    assert_eq!(mx.from.ip, ip("209.85.219.171"));
    assert_eq!(mx.from.helo.as_deref(), Some("mail-yb1-f171.google.com"));
    assert_eq!(mx.by.ip, ip("10.197.38.9"));
    insta::assert_json_snapshot!("yahoo_webmail", web);
    insta::assert_json_snapshot!("yahoo_mx", mx);
}

#[test]
fn amazon_ses_inbound_and_origin() {
    let inbound = parse("from a8-1.smtp-out.amazonses.com (a8-1.smtp-out.amazonses.com [54.240.8.1]) by inbound-smtp.us-east-1.amazonaws.com with SMTP id abc123def456 for user@example.com; Fri, 01 Mar 2024 12:00:00 +0000 (UTC)");
    assert_eq!(inbound.from.ip, ip("54.240.8.1"));
    assert_eq!(inbound.for_addr.as_deref(), Some("user@example.com"));
    let origin = parse("from ip-10-0-1-23.ec2.internal (ec2-54-1-2-3.compute-1.amazonaws.com [54.1.2.3]) by email-smtp.amazonaws.com with SMTP (SimpleEmailService-d-M2X8J3K4L) id 8QbX6a7RDSmPbsFj0Gh0; Tue, 13 Feb 2024 09:12:44 +0000 (UTC)");
    assert_eq!(origin.from.ip, ip("54.1.2.3"));
    assert_eq!(
        origin.from.helo.as_deref(),
        Some("ip-10-0-1-23.ec2.internal")
    );
    assert_eq!(
        origin.from.rdns.as_deref(),
        Some("ec2-54-1-2-3.compute-1.amazonaws.com")
    );
    insta::assert_json_snapshot!("amazon_ses_origin", origin);
}

#[test]
fn zimbra_lmtp_delivery() {
    let h = parse("from mta.zimbra.example.com (LHLO mta.zimbra.example.com) (10.0.0.5) by mailbox.zimbra.example.com with LMTP; Thu, 18 Jun 2015 16:50:56 -0700 (PDT)");
    assert_eq!(h.from.ip, ip("10.0.0.5"));
    assert_eq!(h.from.helo.as_deref(), Some("mta.zimbra.example.com"));
    assert_eq!(h.from.rdns.as_deref(), Some("mta.zimbra.example.com"));
    assert_eq!(h.protocol, Some(Protocol::Lmtp));
    insta::assert_json_snapshot!("zimbra_lmtp", h);
}

#[test]
fn mdaemon_old_and_new() {
    // Real lines (SpamAssassin corpus, Stalwart suite).
    let old = parse("from Direction [192.168.123.20] by ipogea.com [127.0.0.1] with SMTP (MDaemon.PRO.v5.0.5.R) for <jm-fm@jmason.org>; Thu, 18 Apr 2002 20:24:18 +0200");
    assert_eq!(old.from.ip, ip("192.168.123.20"));
    assert_eq!(old.by.ip, ip("127.0.0.1"));
    assert_eq!(old.software.as_deref(), Some("MDaemon.PRO.v5.0.5.R"));
    let new = parse("from smtp510.aspkunden.de [(134.97.4.21)] by mail.aspemail.de (134.97.4.24) (MDaemon PRO v19.0.2)  with ESMTP id md50018233933.msg; Tue, 16 Jul 2019 11:39:22 +0200");
    assert_eq!(new.from.ip, ip("134.97.4.21"));
    assert_eq!(new.by.ip, ip("134.97.4.24"));
    assert_eq!(new.software.as_deref(), Some("MDaemon PRO v19.0.2"));
    insta::assert_json_snapshot!("mdaemon_new", new);
}

#[test]
fn lotus_domino() {
    // Real line (SpamAssassin corpus).
    let h = parse("from cmnfw02.cmncanada.com ([192.168.10.2]) by cmnhub01.colliers.com (Lotus Domino Release 5.0.6a) with SMTP id 2001062815511946:12258 ; Thu, 28 Jun 2001 15:51:19 -0400");
    assert_eq!(h.from.ip, ip("192.168.10.2"));
    assert_eq!(h.software.as_deref(), Some("Lotus Domino Release 5.0.6a"));
    assert_eq!(h.id.as_deref(), Some("2001062815511946:12258"));
    insta::assert_json_snapshot!("lotus_domino", h);
}

#[test]
fn iis_smtpsvc() {
    let h = parse("from mail.example.net ([203.0.113.9]) by EXCH.example.com with Microsoft SMTPSVC(6.0.3790.4675); Tue, 5 Mar 2002 14:11:53 -0500");
    assert_eq!(h.from.ip, ip("203.0.113.9"));
    assert_eq!(h.from.helo.as_deref(), Some("mail.example.net"));
    assert_eq!(h.protocol, Some(Protocol::Smtp));
    assert_eq!(
        h.software.as_deref(),
        Some("Microsoft SMTPSVC(6.0.3790.4675)")
    );
    // Exchange 5.5 / old SMTPSVC: `from HELO - ip` (real line, SpamAssassin corpus).
    let ims = parse("from r-smtp.korea.com - 203.122.2.197 by dd_it7 with Microsoft SMTPSVC(5.5.1775.675.6); Sat, 24 Aug 2002 09:42:10 +0900");
    assert_eq!(ims.from.ip, ip("203.122.2.197"));
    assert_eq!(ims.from.helo.as_deref(), Some("r-smtp.korea.com"));
    assert_eq!(ims.from.rdns, None);
    assert_eq!(
        ims.software.as_deref(),
        Some("Microsoft SMTPSVC(5.5.1775.675.6)")
    );
    insta::assert_json_snapshot!("iis_smtpsvc", h);
}

#[test]
fn proofpoint_pps() {
    // Real line (phishing_pot).
    let h = parse("from mail.nova.phishme.com (mail.nova.phishme.com [52.1.96.230]) by mx07-00096706.pphosted.com (PPS) with ESMTPS id 3whcn3k11c-1 (version=TLSv1.2 cipher=ECDHE-RSA-AES256-GCM-SHA384 bits=256 verify=NO) for <phish@pot>; Tue, 27 Feb 2024 12:15:37 +0000");
    assert_eq!(h.from.ip, ip("52.1.96.230"));
    assert_eq!(h.software.as_deref(), Some("PPS"));
    assert_eq!(tls_version(&h), Some("TLSv1.2"));
    assert_eq!(cipher(&h), Some("ECDHE-RSA-AES256-GCM-SHA384"));
    assert_eq!(h.id.as_deref(), Some("3whcn3k11c-1"));
    insta::assert_json_snapshot!("proofpoint_pps", h);
}

#[test]
fn mimecast_relay() {
    let h = parse("from mail-dm6nam10lp2104.outbound.protection.outlook.com (mail-dm6nam10lp2104.outbound.protection.outlook.com [104.47.58.104]) by relay.mimecast.com with ESMTP with STARTTLS (version=TLSv1.2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id us-mta-123-AbCdEfGhIjKlMn; Tue, 13 Feb 2024 09:12:44 -0500");
    assert_eq!(h.from.ip, ip("104.47.58.104"));
    assert_eq!(h.protocol, Some(Protocol::Esmtp));
    assert_eq!(cipher(&h), Some("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"));
    assert_eq!(h.id.as_deref(), Some("us-mta-123-AbCdEfGhIjKlMn"));
    insta::assert_json_snapshot!("mimecast_relay", h);
}

#[test]
fn forged_and_garbage_lines() {
    let junk = parse("TotallyInvalidNotAReceivedHeader");
    assert_eq!(junk.notes, vec![ParseNote::Unparsed]);
    assert_eq!(junk.raw, "TotallyInvalidNotAReceivedHeader");

    let empty = parse("");
    assert_eq!(empty.notes, vec![ParseNote::Unparsed]);

    // An unclosed parenthesis swallows the rest of the line: whose text the address is in
    // can no longer be told, so none is attributed.
    let unbalanced = parse("from a.example (b.example [192.0.2.1] by c.example with ESMTP; Mon, 1 Jan 2024 00:00:00 +0000");
    assert_eq!(unbalanced.from.ip, None);
    assert!(unbalanced
        .notes
        .iter()
        .any(|n| matches!(n, ParseNote::AmbiguousClientIp { .. })));

    let bad_date =
        parse("from a.example (a.example [192.0.2.1]) by b.example with ESMTP; yesterday-ish");
    assert!(bad_date.notes.contains(&ParseNote::BadDate));
    assert_eq!(bad_date.date_raw.as_deref(), Some("yesterday-ish"));

    let nul = parse("from smtp11.mailt\0rack.pl (smtp11.mail\0track.pl [1\x0085.243.30.90])");
    assert_eq!(nul.from.ip, ip("185.243.30.90"));
    assert_eq!(nul.from.rdns.as_deref(), Some("smtp11.mailtrack.pl"));

    let huge = format!(
        "from a ({}) by b; Mon, 1 Jan 2024 00:00:00 +0000",
        "x ".repeat(20_000)
    );
    let h = parse(&huge);
    assert!(h.raw.len() <= relayhunt_received::MAX_RECEIVED_LEN);
    assert!(
        matches!(h.notes[0], ParseNote::Truncated { original_len } if original_len == huge.len())
    );

    let mailbox_by = parse("from [192.83.172.101] (HELLO 148.251.238.35) (148.251.238.35) by guovswzqkvry051@sohu.com with gg login by AOL 6.0 for Windows US sub 008 SMTP  ; Tue, 03 Jul 2018 09:01:47 -0300");
    // Two top-level `by`: the last is the receiver's (a HELO may contain ` by `).
    assert_eq!(mailbox_by.by.host.as_deref(), Some("AOL"));
    assert_eq!(mailbox_by.from.ip, None);
    insta::assert_json_snapshot!("forged_mailbox_by", mailbox_by);
}

#[test]
fn retrieval_and_local_pickup_are_not_relays() {
    use relayhunt_received::NonRelay;
    let cases = [
        ("from jalapeno [127.0.0.1] by localhost with IMAP (fetchmail-5.9.0) for zzzz@localhost (single-drop); Tue, 17 Sep 2002 17:23:27 +0100 (IST)", Some(NonRelay::Retrieval)),
        ("from mail.webnote.net [193.120.211.219] by localhost with POP3 (fetchmail-5.9.0) for zzzz@localhost (single-drop); Wed, 28 Aug 2002 10:43:21 +0100 (IST)", Some(NonRelay::Retrieval)),
        ("by bilbo.magicgoeshere.com (Postfix, from userid 501) id A274C5B3AC; Tue, 13 Aug 2002 12:22:14 +0100 (BST)", Some(NonRelay::LocalPickup)),
        ("(qmail 11729 invoked by uid 501); 7 Sep 2002 18:11:42 -0000", Some(NonRelay::LocalPickup)),
        ("(qmail 12 invoked by alias); 7 Sep 2002 18:11:42 -0000", Some(NonRelay::LocalPickup)),
        ("from marketin by hwsrv-652951.hostwindsdns.com with local (Exim 4.94.2) (envelope-from <mkt@wondfobiotech.com>) id 1mvWA2-0005WR-5e for osst-users@lists.sourceforge.net; Fri, 10 Dec 2021 03:01:26 +0000", Some(NonRelay::LocalPickup)),
        ("(from mdom@localhost) by einstein.ssz.com (8.8.8/8.8.8) id XAA12345 for cypherpunks-outgoing; Mon, 1 Jul 2002 23:00:00 -0500", Some(NonRelay::LocalPickup)),
        // A network qmail hop and an ordinary relay are relays.
        ("(qmail 84907 invoked from network); 13 Feb 2003 20:59:28 -0000", None),
        ("from mail.example (mail.example [192.0.2.1]) by mx.example (Postfix) with ESMTP id 1; Mon, 1 Jan 2024 00:00:00 +0000", None),
    ];
    for (line, want) in cases {
        assert_eq!(parse(line).non_relay, want, "{line}");
    }
    // Client text cannot claim a local pickup: the marker must be the receiver's.
    let forged = parse("from x (Postfix, from userid 0) (unknown [192.0.2.9]) by mx.example (Postfix) with ESMTP id 1; Mon, 1 Jan 2024 00:00:00 +0000");
    assert_eq!(forged.non_relay, None);
}

#[test]
fn every_authentication_marker() {
    let cases = [
        ("from [80.129.5.195] (helo=silence.homedns.org) by mrelayng1.kundenserver.de with asmtp (Exim 3.35 #2) id 17XE8U-0001E5-00; Wed, 24 Jul 2002 06:52:30 +0200", None),
        ("from laptop (cpe.isp.example [203.0.113.51]) (user=alice mech=PLAIN bits=0) by smtp.example (8.15.2/8.15.2) with ESMTP id 1; Tue, 16 Jan 2024 09:00:00 -0800", Some("alice")),
        ("from winxp (dsl.example [4.46.103.175]) (authenticated bits=0) by popeye.apexvoice.com (8.12.3/8.12.3) with ESMTP id g7SEjLEE008972; Wed, 28 Aug 2002 07:45:21 -0700", None),
        ("from labmail.example (seattle.example [::ffff:216.163.77.13]) (AUTH: CRAM-MD5 hosting@j2solutions.net) by mail.j2solutions.net with esmtp; Thu, 03 Oct 2002 16:33:43 -0700", Some("hosting@j2solutions.net")),
        ("from [203.0.113.90] (account alice@sender.example HELO laptop.lan) by mail.sender.example (CommuniGate Pro SMTP 6.3.4) with ESMTP id 1; Mon, 15 Jan 2024 10:00:00 +0100", Some("alice@sender.example")),
        ("from p5485d3b2.dip.t-dialin.net (EHLO [192.168.2.100]) [84.133.211.178] by mail.gmx.net (mp003) with SMTP; 01 Oct 2007 12:00:00 +0200", None),
        ("from 144.137.3.98 (SquirrelMail authenticated user jmmail) by jmason.org with HTTP; Thu, 6 Dec 2001 09:21:06 -0000 (GMT)", Some("jmmail")),
        ("from [203.0.113.102] by 3capp-gmx-bs33.server.lan (via HTTP); Mon, 15 Jan 2024 10:00:00 +0100", None),
        ("from 203.0.113.101 by lw9fd.law9.hotmail.msn.com with HTTP; Sat, 07 Sep 2002 10:00:00 GMT", None),
    ];
    for (line, user) in cases {
        let h = parse(line);
        assert!(h.authenticated, "{line}");
        assert_eq!(h.auth_user.as_deref(), user, "{line}");
    }
    // Exchange Online's internal `with HTTPS via <server>` is a delivery, not a login.
    let exo = parse("from BN3NAM04HT205.eop-NAM04.prod.protection.outlook.com (2a01:111:e400:c418::34) by SN1PR16MB0494.namprd16.prod.outlook.com with HTTPS via SN1PR15CA0024.NAMPRD15.PROD.OUTLOOK.COM; Sat, 21 Apr 2018 03:01:33 +0000");
    assert!(!exo.authenticated);
}
