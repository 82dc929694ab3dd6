//! Abuse reports written from real messages, parsed back with mail-parser and mail-auth.

use crate::support::{read, HttpFixture, Reply};
use crate::xarf_schema;
use clap::Parser;
use mail_auth::report::{Feedback, FeedbackType};
use mail_parser::{MessageParser, MimeHeaders, PartType};
use relayhunt_takedown::cli::{run_report, ReportArgs};
use relayhunt_takedown::config::Reporter;
use relayhunt_takedown::owner::Owner;
use relayhunt_takedown::report::{build, evidence, Format, ReportInput, Source};
use std::path::{Path, PathBuf};

/// A real 2002 spam relayed through relay.dub-t3-1.nwcgroup.com [195.129.80.16].
const RELAYED_SPAM: &str =
    "corpus/spamassassin_public/spam/00235.45b5f386cf62b5865d9d4440d8b78aab.eml";
/// A real 2023 phish (CRLF, 8-bit) handed to Exchange Online by 80.96.157.90.
const PHISH: &str = "corpus/phishing_pot/sample-1017.eml";

/// Bytes of a corpus file the test already located with `relayhunt_testdata::shared`.
fn corpus(rel: &str) -> Vec<u8> {
    relayhunt_testdata::read(rel).expect("the test returned early without the shared data")
}

#[derive(Parser)]
struct Cmd {
    #[command(flatten)]
    args: ReportArgs,
}

/// RDAP registries on loopback + a bootstrap directory + a reporter config.
struct World {
    _http: HttpFixture,
    dir: tempfile::TempDir,
}

fn world() -> World {
    let http = HttpFixture::start();
    http.route(
        "/ripe/ip/195.129.80.16",
        Reply::json(200, read("rdap/ripe-195.129.80.json")),
    );
    http.route(
        "/tld-test/domain/payroll-secure-login.test",
        Reply::json(200, read("rdap/domain-new.json")),
    );
    http.route(
        "/arin/ip/198.51.110.25",
        Reply::json(200, read("rdap/arin-nested-abuse.json")),
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ipv4.json"),
        read("rdap/bootstrap-ipv4.json").replace("{base}", &http.base()),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("dns.json"),
        read("rdap/bootstrap-dns.json").replace("{base}", &http.base()),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("report.conf"),
        "# reporter identity\nreporter_name = Jane Analyst\nreporter_email = abuse-desk@example.org\nreporter_org = Example Org SOC\n",
    )
    .unwrap();
    World { _http: http, dir }
}

fn run(w: &World, extra: &[&str]) -> (u8, PathBuf) {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let out = w.dir.path().join(format!("report-{n}.out"));
    let mut argv: Vec<String> = vec!["report".into()];
    argv.extend(extra.iter().map(|s| s.to_string()));
    argv.extend([
        "--out".into(),
        out.display().to_string(),
        "--config".into(),
        w.dir.path().join("report.conf").display().to_string(),
        "--rdap-bootstrap".into(),
        w.dir.path().display().to_string(),
        "--rdap-allow-http".into(),
        "--no-cache".into(),
        "--interval-ms".into(),
        "0".into(),
        "--timeout".into(),
        "5".into(),
        // whois never leaves loopback: port 9 (discard) refuses, so a fallback fails fast.
        "--whois-route".into(),
        "whois.iana.org=127.0.0.1:9".into(),
        "--whois-only-routed".into(),
    ]);
    let args = Cmd::try_parse_from(argv).unwrap().args;
    (run_report(args), out)
}

/// The attached original, sliced from the report's own bytes by the MIME offsets.
fn attached_message<'a>(report: &'a [u8], parsed: &mail_parser::Message<'_>) -> Option<&'a [u8]> {
    parsed.parts.iter().find_map(|p| match &p.body {
        PartType::Message(_) => report.get(p.offset_body as usize..p.offset_end as usize),
        _ => None,
    })
}

fn text_body(parsed: &mail_parser::Message<'_>) -> String {
    parsed
        .body_text(0)
        .expect("text part")
        .replace("\r\n", "\n")
}

#[test]
fn eml_for_a_real_relayed_spam_is_addressed_to_the_rdap_abuse_contact_and_carries_the_original() {
    let w = world();
    let Some(msg_path) = relayhunt_testdata::shared(RELAYED_SPAM) else {
        return;
    };
    let (code, out) = run(
        &w,
        &[msg_path.to_str().unwrap(), "--relay", "195.129.80.16"],
    );
    assert_eq!(code, 0);
    let bytes = std::fs::read(&out).unwrap();
    let m = MessageParser::default()
        .parse(&bytes)
        .expect("report parses");
    assert_eq!(
        m.to().and_then(|a| a.first()).and_then(|a| a.address()),
        Some("abuse@nwcgroup.test")
    );
    assert_eq!(
        m.from().and_then(|a| a.first()).and_then(|a| a.address()),
        Some("abuse-desk@example.org")
    );
    assert_eq!(
        m.subject(),
        Some("Open mail relay at 195.129.80.16 (NWC Group Hosting Ltd)")
    );
    let text = text_body(&m);
    assert!(
        has(
            &text,
            "The server at IP address 195.129.80.16 is operating as an open mail relay."
        ),
        "{text}"
    );
    // 10:28:20 +0100 in the proving header is 09:28:20 UTC.
    assert!(
        has(&text, "On Fri, 6 Sep 2002 09:28:20 UTC it relayed"),
        "{text}"
    );
    assert!(
        has(
            &text,
            "source (66.133.58.215) to our mail server lugh.tuatha.org"
        ),
        "{text}"
    );
    // Line 17 of the file is line 16 of the message once the mbox From_ line is dropped.
    assert!(has(&text, "(line 16 of the attached message)"), "{text}");
    assert!(
        text.lines().all(|l| l.chars().count() <= 76),
        "lines are wrapped for reading:\n{text}"
    );
    assert!(has(&text, "  Received: from relay.dub-t3-1.nwcgroup.com\n      (postfix@relay.dub-t3-1.nwcgroup.com [195.129.80.16]) by"), "{text}");
    assert!(
        has(
            &text,
            "by relay.dub-t3-1.nwcgroup.com (Postfix) with SMTP id"
        ),
        "{text}"
    );
    assert!(
        has(
            &text,
            "Network: 195.129.80.0/24, NWC-DUB-T3, NWC Group Hosting Ltd, IE"
        ),
        "{text}"
    );
    assert!(
        has(
            &text,
            "Jane Analyst, Example Org SOC <abuse-desk@example.org>"
        ),
        "{text}"
    );
    let original = corpus(RELAYED_SPAM);
    let without_mbox_line = &original[original.iter().position(|&b| b == b'\n').unwrap() + 1..];
    assert_eq!(
        attached_message(&bytes, &m),
        Some(without_mbox_line),
        "attachment must be byte-identical"
    );
    let part = m
        .parts
        .iter()
        .find(|p| matches!(p.body, PartType::Message(_)))
        .unwrap();
    assert_eq!(
        part.content_type().map(|c| (c.ctype(), c.subtype())),
        Some(("message", Some("rfc822")))
    );
}

#[test]
fn arf_for_a_crlf_8bit_phish_has_the_rfc5965_fields_and_the_intact_original() {
    let w = world();
    let Some(msg_path) = relayhunt_testdata::shared(PHISH) else {
        return;
    };
    let (code, out) = run(
        &w,
        &[
            msg_path.to_str().unwrap(),
            "--relay",
            "80.96.157.90",
            "--format",
            "arf",
            "--no-lookup",
            "--to",
            "abuse@tenant-isp.test",
        ],
    );
    assert_eq!(code, 0);
    let bytes = std::fs::read(&out).unwrap();
    let m = MessageParser::default().parse(&bytes).unwrap();
    let ct = m.content_type().unwrap();
    assert_eq!((ct.ctype(), ct.subtype()), ("multipart", Some("report")));
    assert_eq!(ct.attribute("report-type"), Some("feedback-report"));
    let fb = Feedback::parse_rfc5322(&bytes).expect("mail-auth reads it as ARF");
    assert_eq!(fb.feedback_type(), FeedbackType::Abuse);
    assert_eq!(fb.version(), 1);
    assert!(fb.user_agent().unwrap().starts_with("relayhunt/"));
    assert_eq!(fb.source_ip(), Some("80.96.157.90".parse().unwrap()));
    assert!(fb.arrival_date().is_some());
    assert_eq!(fb.incidents(), 1);
    // The envelope domain, not the impersonated brand in From:.
    assert_eq!(fb.reported_domain(), ["winner-win.art"]);
    assert_eq!(fb.original_mail_from(), Some("<return@winner-win.art>"));
    let original = corpus(PHISH);
    assert_eq!(
        fb.message().map(str::as_bytes),
        Some(String::from_utf8_lossy(&original).as_bytes())
    );
    assert_eq!(
        attached_message(&bytes, &m),
        Some(&original[..]),
        "attachment must be byte-identical"
    );
    let part = m
        .parts
        .iter()
        .find(|p| matches!(p.body, PartType::Message(_)))
        .unwrap();
    // The phish has a 2952-character line (over RFC 5322's 998): only `binary` is honest.
    assert_eq!(part.content_transfer_encoding(), Some("binary"));
    let text = text_body(&m);
    assert!(
        has(
            &text,
            "Received: from qktfxthukmwfnksijbkrjxkzhstbswa.whstr8 (80.96.157.90) by"
        ),
        "{text}"
    );
    assert!(
        has(
            &text,
            "to our mail server DB8EUR05FT062.mail.protection.outlook.com"
        ),
        "{text}"
    );
}

#[test]
fn xarf_for_a_relayed_spam_is_a_valid_messaging_spam_report_with_the_original_as_evidence() {
    let w = world();
    let Some(msg_path) = relayhunt_testdata::shared(RELAYED_SPAM) else {
        return;
    };
    let (code, out) = run(
        &w,
        &[
            msg_path.to_str().unwrap(),
            "--relay",
            "195.129.80.16",
            "--format",
            "xarf",
        ],
    );
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(xarf_schema::problems(&doc), Vec::<String>::new(), "{doc:#}");
    assert_eq!(doc["xarf_version"], "4.2.0");
    assert_eq!(
        (&doc["category"], &doc["type"], &doc["protocol"]),
        (&"messaging".into(), &"spam".into(), &"smtp".into())
    );
    assert_eq!(
        doc["reporter"],
        serde_json::json!({"org": "Example Org SOC", "contact": "abuse-desk@example.org", "domain": "example.org"})
    );
    assert_eq!(doc["source_identifier"], "195.129.80.16");
    // 10:28:20 +0100 in the line lugh.tuatha.org wrote when the relay connected.
    assert_eq!(doc["timestamp"], "2002-09-06T09:28:20Z");
    assert_eq!(doc["smtp_from"], "ilug-admin@linux.ie");
    assert_eq!(doc["smtp_to"], "ilug@linux.ie");
    assert_eq!(doc["tags"], serde_json::json!(["smtp:open-relay"]));
    let description = doc["description"].as_str().unwrap();
    assert!(
        description.starts_with("Open mail relay: 195.129.80.16 relayed a message it had accepted from an unrelated outside source (66.133.58.215) to lugh.tuatha.org"),
        "{description}"
    );
    let original = corpus(RELAYED_SPAM);
    let without_mbox_line = &original[original.iter().position(|&b| b == b'\n').unwrap() + 1..];
    assert_eq!(
        xarf_schema::evidence(&doc, "message/rfc822").as_deref(),
        Some(without_mbox_line)
    );
    let text = String::from_utf8(xarf_schema::evidence(&doc, "text/plain").unwrap()).unwrap();
    assert!(
        has(&text, "Received: from relay.dub-t3-1.nwcgroup.com (postfix@relay.dub-t3-1.nwcgroup.com [195.129.80.16])"),
        "{text}"
    );
}

#[test]
fn xarf_is_refused_for_a_message_without_an_envelope_sender_rather_than_made_up() {
    let w = world();
    let msg = w.dir.path().join("no-return-path.eml");
    let message =
        "Received: from mail-relay.somecloud.test (mail-relay.somecloud.test [198.51.110.25])\r\n\
         \tby mx.example.org (Postfix) with ESMTP id 4Xk2 for <cfo@example.org>;\r\n\
         \tMon, 23 Nov 2026 10:00:00 +0000\r\n\
         From: \"CEO\" <ceo@victim-corp.test>\r\nSubject: wire today\r\n\r\nPay.\r\n";
    std::fs::write(&msg, message).unwrap();
    let args = |f: &'static str| {
        [
            msg.to_str().unwrap().to_string(),
            "--relay".into(),
            "198.51.110.25".into(),
            "--no-lookup".into(),
            "--to".into(),
            "abuse@somecloud.test".into(),
            "--format".into(),
            f.into(),
        ]
    };
    let (code, out) = run(&w, &args("xarf").each_ref().map(String::as_str));
    assert_eq!(code, 2, "XARF spam requires smtp_from");
    assert!(!out.exists());
    // The same message as ARF is fine (Original-Mail-From is optional there) ...
    let (code, _) = run(&w, &args("arf").each_ref().map(String::as_str));
    assert_eq!(code, 0);
    // ... and with the envelope sender recorded, XARF is written and valid.
    std::fs::write(
        &msg,
        format!("Return-Path: <bounce@somecloud.test>\r\n{message}"),
    )
    .unwrap();
    let (code, out) = run(&w, &args("xarf").each_ref().map(String::as_str));
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(xarf_schema::problems(&doc), Vec::<String>::new(), "{doc:#}");
    assert_eq!(doc["smtp_from"], "bounce@somecloud.test");
    assert_eq!(doc["source_port"], 25);
}

#[test]
fn a_probe_finding_in_xarf_is_a_valid_open_service_report_with_the_transcript() {
    let w = world();
    let probe = crate::support::data("probe/open-relay.json");
    let (code, out) = run(&w, &["--probe-result", probe.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(xarf_schema::problems(&doc), Vec::<String>::new(), "{doc:#}");
    assert_eq!(
        (&doc["category"], &doc["type"], &doc["service"]),
        (
            &"vulnerability".into(),
            &"open_service".into(),
            &"smtp".into()
        )
    );
    assert_eq!(doc["source_identifier"], "198.51.110.25");
    assert_eq!(doc["source_port"], 25);
    assert_eq!(doc["timestamp"], "2026-11-20T09:14:03Z");
    assert_eq!(doc["evidence_source"], "vulnerability_scan");
    let transcript = String::from_utf8(xarf_schema::evidence(&doc, "text/plain").unwrap()).unwrap();
    assert!(
        transcript.contains("C: RCPT TO:<canary-7f3a@sink.example.net>"),
        "{transcript}"
    );
    assert!(transcript.contains("S: 250 2.1.5 Ok"), "{transcript}");
    assert!(doc.get("smtp_from").is_none());
}

#[test]
fn a_probe_result_report_carries_the_smtp_transcript() {
    let w = world();
    let probe = crate::support::data("probe/open-relay.json");
    for format in ["eml", "arf"] {
        let (code, out) = run(
            &w,
            &[
                "--probe-result",
                probe.to_str().unwrap(),
                "--format",
                format,
            ],
        );
        assert_eq!(code, 0, "{format}");
        let bytes = std::fs::read(&out).unwrap();
        let m = MessageParser::default().parse(&bytes).unwrap();
        assert_eq!(
            m.to().and_then(|a| a.first()).and_then(|a| a.address()),
            Some("abuse@somecloud.test")
        );
        let text = text_body(&m);
        assert!(
            has(
                &text,
                "On 2026-11-20T09:14:03Z we connected to 198.51.110.25 port 25"
            ),
            "{text}"
        );
        assert!(
            has(&text, "a test message sent through it was delivered to us"),
            "{text}"
        );
        let transcript = m
            .attachments()
            .find(|a| a.attachment_name() == Some("smtp-transcript.txt"))
            .and_then(|a| a.text_contents().map(str::to_string))
            .expect("transcript attachment");
        assert!(
            transcript.contains("C: RCPT TO:<canary-7f3a@sink.example.net>"),
            "{transcript}"
        );
        assert!(transcript.contains("S: 250 2.1.5 Ok"));
        // A CR LF inside a transcript line (server-controlled) is flattened, not replayed.
        assert!(
            transcript.contains("queued as 4XkQ2b1c9HzInjected: yes")
                || !transcript.contains("\nInjected"),
            "{transcript}"
        );
        if format == "arf" {
            let fb = Feedback::parse_rfc5322(&bytes).expect("ARF");
            assert_eq!(fb.source_ip(), Some("198.51.110.25".parse().unwrap()));
            assert_eq!(fb.arrival_date(), Some(1_795_166_043));
        }
    }
}

#[test]
fn attacker_and_registry_text_cannot_inject_headers() {
    let raw = b"Return-Path: <x@evil.test>\r\n\
Received: from evil (evil [198.51.110.25]) by mx.example.org with ESMTP for <a@example.org>; Thu, 14 May 2026 21:20:01 +0000\r\n\
From: =?utf-8?b?Q0VPDQpCY2M6IHZpY3RpbUBjb3JwLnRlc3Q=?= <ceo@evil.test>\r\n\
Subject: =?utf-8?b?SGkNCkJjYzogdmljdGltQGNvcnAudGVzdA==?=\r\n\r\nbody\r\n";
    let owner = Owner {
        org: Some("Evil Hosting\r\nBcc: victim@corp.test\r\n\r\nfake body".into()),
        ..Owner::default()
    };
    let reporter = Reporter {
        name: Some("Jane\r\nBcc: x@corp.test".into()),
        email: "desk@example.org".into(),
        org: None,
    };
    let input = ReportInput {
        relay: "198.51.110.25".parse().unwrap(),
        source: Source::Message,
        original: Some(raw),
        evidence: evidence::gather(raw, Some("198.51.110.25".parse().unwrap())),
        owner: Some(&owner),
        to: "abuse@evil.test".into(),
        reporter: &reporter,
        now_unix: 1_795_478_400,
    };
    let xarf: serde_json::Value =
        serde_json::from_slice(&build(&input, Format::Xarf).unwrap().bytes).unwrap();
    assert_eq!(
        xarf_schema::problems(&xarf),
        Vec::<String>::new(),
        "{xarf:#}"
    );
    assert_eq!(xarf["subject"], "Hi Bcc: victim@corp.test");
    for format in [Format::Eml, Format::Arf] {
        let built = build(&input, format).unwrap();
        let m = MessageParser::default().parse(&built.bytes).unwrap();
        let top: Vec<String> = m
            .headers()
            .iter()
            .map(|h| h.name().to_ascii_lowercase())
            .collect();
        assert!(!top.contains(&"bcc".to_string()), "{top:?}");
        assert_eq!(top.iter().filter(|h| *h == "subject").count(), 1);
        assert_eq!(
            m.subject(),
            Some("Abusive mail from 198.51.110.25 (Evil Hosting Bcc: victim@corp.test fake body)")
        );
        assert_eq!(
            m.from().and_then(|a| a.first()).and_then(|a| a.address()),
            Some("desk@example.org")
        );
    }
    for bad_to in [
        "abuse@evil.test\r\nBcc: victim@corp.test",
        "abuse@evil.test>, <victim@corp.test",
    ] {
        let mut i = input.clone();
        i.to = bad_to.into();
        assert!(build(&i, Format::Eml).is_err(), "{bad_to:?}");
    }
}

#[test]
fn a_relay_absent_from_the_received_chain_is_refused_with_a_clear_error() {
    let w = world();
    let Some(msg_path) = relayhunt_testdata::shared(RELAYED_SPAM) else {
        return;
    };
    let (code, out) = run(
        &w,
        &[
            msg_path.to_str().unwrap(),
            "--relay",
            "198.51.110.99",
            "--no-lookup",
            "--to",
            "abuse@x.test",
        ],
    );
    assert_eq!(code, 2);
    assert!(!Path::new(&out).exists());
}

#[test]
fn without_relay_the_analysis_names_it_and_its_findings_become_observations() {
    let w = world();
    let Some(msg_path) = relayhunt_testdata::shared(PHISH) else {
        return;
    };
    let (code, out) = run(
        &w,
        &[
            msg_path.to_str().unwrap(),
            "--no-lookup",
            "--to",
            "abuse@tenant-isp.test",
        ],
    );
    assert_eq!(code, 0);
    let bytes = std::fs::read(&out).unwrap();
    let m = MessageParser::default().parse(&bytes).unwrap();
    assert_eq!(m.subject(), Some("Abusive mail from 80.96.157.90"));
    let text = text_body(&m);
    assert!(
        has(
            &text,
            "Other observations:\n  - Sender authentication failed [auth.failed]"
        ),
        "{text}"
    );
}

/// Whitespace-insensitive containment: the report re-wraps prose at 72 columns.
fn has(text: &str, needle: &str) -> bool {
    let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    flat(text).contains(&flat(needle))
}

#[test]
fn a_sender_domain_registered_days_before_the_message_is_pointed_out() {
    let w = world();
    let msg = w.dir.path().join("bec.eml");
    std::fs::write(
        &msg,
        "Received: from mail-relay.somecloud.test (mail-relay.somecloud.test [198.51.110.25])\r\n\
         \tby mx.example.org (Postfix) with ESMTP id 4Xk2 for <cfo@example.org>;\r\n\
         \tMon, 23 Nov 2026 10:00:00 +0000\r\n\
         Received: from adsl-203-0-114-7.dyn.isp.test (adsl-203-0-114-7.dyn.isp.test [203.0.114.7])\r\n\
         \tby mail-relay.somecloud.test (Postfix) with SMTP id 77A1; Mon, 23 Nov 2026 09:59:58 +0000\r\n\
         From: \"CEO\" <ceo@payroll-secure-login.test>\r\nTo: cfo@example.org\r\nSubject: wire today\r\n\
         Date: Mon, 23 Nov 2026 09:59:50 +0000\r\n\r\nPlease pay the attached invoice.\r\n",
    )
    .unwrap();
    let (code, out) = run(&w, &[msg.to_str().unwrap(), "--relay", "198.51.110.25"]);
    assert_eq!(code, 0);
    let bytes = std::fs::read(&out).unwrap();
    let m = MessageParser::default().parse(&bytes).unwrap();
    assert_eq!(
        m.to().and_then(|a| a.first()).and_then(|a| a.address()),
        Some("abuse@somecloud.test")
    );
    let text = text_body(&m);
    assert!(has(&text, "The sender domain payroll-secure-login.test was registered 2026-11-19T22:04:51Z (3 days before the message)"), "{text}");
    assert!(
        has(
            &text,
            "source (203.0.114.7) to our mail server mx.example.org"
        ),
        "{text}"
    );
}

/// The from clause is the sender's text: a `(by …)` comment planted in it must not become
/// the receiving server the report names, in the readable text or in XARF.
#[test]
fn a_by_comment_planted_in_the_from_clause_is_not_named_as_our_mail_server() {
    let w = world();
    let msg = w.dir.path().join("planted-by.eml");
    std::fs::write(
        &msg,
        "Received: from mail-relay.somecloud.test (mail-relay.somecloud.test [198.51.110.25])\r\n\
         \t(relayed by evil.example) by mx.example.org (Postfix) with ESMTP id 4Xk2\r\n\
         \tfor <cfo@example.org>; Mon, 23 Nov 2026 10:00:00 +0000\r\n\
         Received: from adsl-203-0-114-7.dyn.isp.test (adsl-203-0-114-7.dyn.isp.test [203.0.114.7])\r\n\
         \tby mail-relay.somecloud.test (Postfix) with SMTP id 77A1; Mon, 23 Nov 2026 09:59:58 +0000\r\n\
         Return-Path: <ceo@payroll-secure-login.test>\r\n\
         From: \"CEO\" <ceo@payroll-secure-login.test>\r\nTo: cfo@example.org\r\nSubject: wire today\r\n\
         Date: Mon, 23 Nov 2026 09:59:50 +0000\r\n\r\nPlease pay the attached invoice.\r\n",
    )
    .unwrap();
    let (code, out) = run(&w, &[msg.to_str().unwrap(), "--relay", "198.51.110.25"]);
    assert_eq!(code, 0);
    let bytes = std::fs::read(&out).unwrap();
    let text = text_body(&MessageParser::default().parse(&bytes).unwrap());
    assert!(has(&text, "to our mail server mx.example.org"), "{text}");
    assert!(!has(&text, "our mail server evil.example"), "{text}");

    let (code, out) = run(
        &w,
        &[
            msg.to_str().unwrap(),
            "--relay",
            "198.51.110.25",
            "--format",
            "xarf",
        ],
    );
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let description = doc["description"].as_str().unwrap();
    assert!(description.contains(" to mx.example.org"), "{description}");
    assert!(!description.contains("evil.example"), "{description}");
}
