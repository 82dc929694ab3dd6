//! Hostile input never panics and stays bounded: registry answers and messages are written
//! by people we report on.

use proptest::prelude::*;
use relayhunt_takedown::rdap::extract::{self, MAX_ENTITIES};
use relayhunt_takedown::report::evidence;
use relayhunt_takedown::whois::extract::read;
use serde_json::json;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn whois_text_of_any_shape_is_read_without_panic(text in "(?s).{0,2000}") {
        let _ = read(&text, "whois.test");
    }

    #[test]
    fn whois_like_lines_are_read_without_panic(lines in prop::collection::vec(
        ("(inetnum|NetRange|CIDR|abuse-c|nic-hdl|e-mail|OrgAbuseEmail|refer|ReferralServer|% Abuse contact for|origin)", ":?", "[ -~]{0,60}"), 0..40)) {
        let text: String = lines.iter().map(|(k, c, v)| format!("{k}{c} {v}\n")).collect();
        let _ = read(&text, "whois.test");
    }

    #[test]
    fn message_bytes_of_any_shape_give_evidence_without_panic(raw in prop::collection::vec(any::<u8>(), 0..4000), ip in any::<[u8; 4]>()) {
        let _ = evidence::gather(&raw, Some(std::net::IpAddr::from(ip)));
    }

    #[test]
    fn received_lines_with_random_clauses_give_evidence_without_panic(
        clauses in prop::collection::vec("(from|by|with|id|for|via|\\(|\\)|\\[|\\]|;|IPv6:|198\\.51\\.100\\.25|::1|[a-z.]{1,12}| )", 0..60)) {
        let raw = format!("Received: {}\r\nSubject: x\r\n\r\nbody\r\n", clauses.concat());
        let _ = evidence::gather(raw.as_bytes(), Some("198.51.110.25".parse().unwrap()));
    }
}

#[test]
fn an_rdap_document_with_thousands_of_abuse_entities_is_walked_within_the_bound() {
    let entity = |i: usize| {
        json!({"objectClassName": "entity", "handle": format!("E{i}"), "roles": ["abuse"],
               "vcardArray": ["vcard", [["version", {}, "text", "4.0"], ["email", {}, "text", format!("abuse{i}@isp.test")]]]})
    };
    let doc = json!({
        "objectClassName": "ip network",
        "startAddress": "198.51.110.0", "endAddress": "198.51.110.255",
        "entities": (0..5000).map(entity).collect::<Vec<_>>(),
    });
    let f = extract::network(&doc).unwrap();
    assert_eq!(f.candidates.len(), MAX_ENTITIES);
}

#[test]
fn deeply_nested_entities_stop_at_the_depth_limit() {
    let mut e = json!({"objectClassName": "entity", "roles": ["abuse"],
        "vcardArray": ["vcard", [["email", {}, "text", "deep@isp.test"]]]});
    for _ in 0..60 {
        e = json!({"objectClassName": "entity", "roles": ["registrant"], "entities": [e]});
    }
    let doc = json!({"objectClassName": "ip network", "entities": [e]});
    let f = extract::network(&doc).unwrap();
    assert!(
        f.candidates.is_empty(),
        "the abuse entity is 61 levels down, past the limit"
    );
}

#[test]
fn a_wrong_object_class_or_error_object_is_an_error_not_a_guess() {
    let e =
        extract::network(&json!({"objectClassName": "domain", "ldhName": "x.test"})).unwrap_err();
    assert!(e.to_string().contains("\"domain\" object"), "{e}");
    let e = extract::network(&json!({"errorCode": 429, "title": "Too Many Requests"})).unwrap_err();
    assert_eq!(e.to_string(), "RDAP error 429: Too Many Requests");
}

proptest! {
    #[test]
    fn no_text_becomes_a_header_break(s in "(?s).{0,400}") {
        use relayhunt_takedown::config::Reporter;
        use relayhunt_takedown::report::header_value::text;
        use relayhunt_takedown::report::{build, Format, ReportInput, Source};
        let t = text(&s);
        prop_assert!(!t.contains(['\r', '\n']), "{t:?}");
        // Written by mail-builder as the From display name, it stays inside From: the
        // header block has exactly the report's own fields, whatever the name holds.
        let reporter = Reporter { name: Some(s.clone()), email: "desk@example.org".into(), org: None };
        let input = ReportInput {
            relay: "198.51.110.25".parse().unwrap(),
            source: Source::Message,
            original: None,
            evidence: Default::default(),
            owner: None,
            to: "abuse@provider.test".into(),
            reporter: &reporter,
            now_unix: 1_795_478_400,
        };
        let built = build(&input, Format::Eml).unwrap();
        let end = built.bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&built.bytes[..end]).into_owned();
        let names: Vec<&str> = head
            .split("\r\n")
            .filter(|l| !l.starts_with([' ', '\t']))
            .map(|l| l.split(':').next().unwrap_or_default())
            .collect();
        prop_assert_eq!(
            names,
            ["From", "To", "Subject", "Date", "Message-ID", "X-Mailer", "MIME-Version", "Content-Type"],
            "{}", head
        );
        let m = mail_parser::MessageParser::default().parse(&built.bytes).unwrap();
        prop_assert_eq!(
            m.from().and_then(|a| a.first()).and_then(|a| a.address()),
            Some("desk@example.org")
        );
    }
}

proptest! {
    #[test]
    fn xarf_from_hostile_text_and_dates_stays_valid_against_the_schema(
        s in "(?s).{0,1200}",
        when in any::<i64>(),
    ) {
        use relayhunt_takedown::config::Reporter;
        use relayhunt_takedown::report::evidence::{Conduct, Evidence, Field};
        use relayhunt_takedown::report::{build, Format, ReportInput, Source};
        // Every untrusted value at once: the configured organisation, the message's
        // subject, Message-ID and recipient, the authenticated user, the proving line and
        // its date.
        let reporter = Reporter { name: Some(s.clone()), email: "desk@example.org".into(), org: Some(s.clone()) };
        let evidence = Evidence {
            conduct: Conduct::AuthenticatedRelay { user: Some(s.clone()) },
            proving: Some(Field { name: "Received".into(), value: s.clone(), line: 1 }),
            when_unix: Some(when),
            mail_from: Some("bounce@evil.test".into()),
            rcpt_to: Some(s.clone()),
            subject: Some(s.clone()),
            message_id: Some(s.clone()),
            ..Evidence::default()
        };
        let input = ReportInput {
            relay: "198.51.110.25".parse().unwrap(),
            source: Source::Message,
            original: Some(s.as_bytes()),
            evidence,
            owner: None,
            to: "abuse@provider.test".into(),
            reporter: &reporter,
            now_unix: 1_795_478_400,
        };
        let built = build(&input, Format::Xarf).unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&built.bytes).unwrap();
        prop_assert_eq!(crate::xarf_schema::problems(&doc), Vec::<String>::new(), "{:#}", doc);
    }
}
