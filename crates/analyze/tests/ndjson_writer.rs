//! The compact writer behind `--format ndjson` (`output::compact`) against serde_json, the
//! reference: the same bytes for every corpus message, for reports carrying hostile strings,
//! every form of IP address and odd floats, and for every serde shape the writer supports.
//! Both writers run in the same test; nothing is a recorded answer.

use relayhunt_analyze::batch::{self, Analyzed, BatchOptions, Outcome};
use relayhunt_analyze::input::{Inputs, ReadOptions};
use relayhunt_analyze::output::{compact, json};
use relayhunt_analyze::owner::{OwnerAnswer, OwnerNote};
use relayhunt_analyze::report::Evidence;
use relayhunt_analyze::verification::VerificationNote;
use relayhunt_analyze::Config;
use relayhunt_received::ParseNote;
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

fn config() -> Config {
    Config {
        now: Some(1_800_000_000),
        ..Config::default()
    }
}

fn analyse(paths: Vec<String>) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    batch::run(
        Inputs::new(paths, ReadOptions::default()),
        &config(),
        &BatchOptions::default(),
        |o| {
            outcomes.push(o);
            true
        },
    );
    outcomes
}

/// The line of `o` by both writers; panics naming the first differing byte.
fn assert_same_line(o: &Outcome, what: &str) {
    let (mut ours, mut reference) = (Vec::new(), Vec::new());
    json::write_line_using(&mut ours, o, json::Writer::Compact).unwrap();
    json::write_line_using(&mut reference, o, json::Writer::SerdeJson).unwrap();
    if ours != reference {
        let at = ours
            .iter()
            .zip(&reference)
            .position(|(a, b)| a != b)
            .unwrap_or(ours.len().min(reference.len()));
        let from = at.saturating_sub(60);
        panic!(
            "{what}: lines differ at byte {at}\nours:       {}\nserde_json: {}",
            String::from_utf8_lossy(&ours[from..(at + 60).min(ours.len())]),
            String::from_utf8_lossy(&reference[from..(at + 60).min(reference.len())]),
        );
    }
}

#[test]
fn every_corpus_message_renders_as_serde_json_renders_it() {
    let Some(corpus) = relayhunt_testdata::shared("corpus") else {
        return;
    };
    let paths: Vec<String> = relayhunt_testdata::eml_files(&corpus)
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    assert!(paths.len() > 1000, "corpus has {} messages", paths.len());
    let outcomes = analyse(paths.clone());
    assert_eq!(outcomes.len(), paths.len());
    let mut analysed = 0;
    for (o, p) in outcomes.iter().zip(&paths) {
        assert_same_line(o, p);
        analysed += usize::from(matches!(o, Outcome::Analyzed(_)));
    }
    assert!(analysed > 1000);
}

/// Strings that exercise every escaping rule: each control byte alone and in a run,
/// quotes, backslashes, DEL, replacement characters from invalid UTF-8, non-BMP text,
/// empty and long values, specials at every offset of a word.
fn hostile_strings() -> Vec<String> {
    let mut v: Vec<String> = (0u8..0x20).map(|b| char::from(b).to_string()).collect();
    v.push((0u8..0x20).map(char::from).collect());
    v.push(String::new());
    v.push("\"".into());
    v.push("\\".into());
    v.push("\"\\\"\\\\\"".into());
    v.push("a\u{7f}b/c\u{2028}\u{2029}".into());
    v.push(String::from_utf8_lossy(b"bad \xff\xfe utf8 \xc3\x28 \xe2\x82 end").into_owned());
    v.push("\u{1F600}é\u{FFFD}\"x\u{1}".into());
    v.push("#\"]\\!\u{1f} \u{0}".repeat(9));
    for len in 0..40 {
        for special in ["\"", "\\", "\n", "\u{1}", "\u{1f}"] {
            let mut s = "y".repeat(len);
            s.push_str(special);
            s.push_str("tail");
            v.push(s);
        }
    }
    let mut long = "Received: from relay.example ([192.0.2.1]) by mx.example; ".repeat(2000);
    long.insert_str(70_000, "\"\t\r\n\u{8}\u{c}\\");
    v.push(long);
    v
}

fn ip_forms() -> Vec<IpAddr> {
    [
        "0.0.0.0",
        "255.255.255.255",
        "192.0.2.1",
        "10.0.0.1",
        "::",
        "::1",
        "::ffff:192.0.2.1",
        "::192.0.2.1",
        "64:ff9b::192.0.2.33",
        "2001:db8::1",
        "2001:db8:0:0:1:0:0:1",
        "fe80::1:2:3:4:5:6",
        "1:2:3:4:5:6:7:8",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect()
}

/// `a` with `s` in every string field the document shows and `ip` in every address.
fn plant(a: &Analyzed, s: &str, ip: IpAddr, weight: f32) -> Analyzed {
    let mut a = a.clone();
    a.location.path = Arc::from(s);
    let r = &mut a.report;
    r.summary.subject = Some(s.into());
    r.summary.message_id = Some(s.into());
    r.summary
        .to
        .iter_mut()
        .for_each(|m| m.name = Some(s.into()));
    r.relay_ip = Some(ip);
    r.origin_ip = Some(ip);
    for hop in &mut r.hops {
        hop.raw = s.into();
        hop.from.helo = Some(s.into());
        hop.from.ip = Some(ip);
        hop.by.ip = Some(ip);
        hop.notes.push(ParseNote::Other { text: s.into() });
        hop.notes.push(ParseNote::AmbiguousClientIp {
            candidates: vec![s.into(), ip.to_string()],
        });
    }
    for c in &mut r.chain {
        c.trust_reason = Some(s.into());
        c.hop_role.why = s.into();
    }
    r.verdict.summary = s.into();
    for f in &mut r.findings {
        f.explanation = s.into();
        f.evidence.push(Evidence {
            line: 7,
            header: s.into(),
            text: s.into(),
        });
    }
    if let Some(relay) = &mut r.relay {
        relay.relay_ip = Some(ip);
        relay.source = s.into();
        relay.unrelated.push(s.into());
        relay.confidence = weight;
        for sig in &mut relay.signals {
            sig.weight = weight;
            sig.reason = s.into();
        }
    }
    a.owners = vec![OwnerNote {
        role: "relay",
        ip,
        answer: Some(OwnerAnswer {
            summary: s.into(),
            owner: serde_json::json!({ s: [s, 1, -2.5, null, true, { "k": s }], "n": weight }),
        }),
        error: Some(s.into()),
    }];
    a.verification = Some(Box::new(VerificationNote {
        section: serde_json::json!({ "checks": [{ "id": s, "ok": false, "weight": weight }] }),
        ..VerificationNote::default()
    }));
    a
}

#[test]
fn hostile_values_render_as_serde_json_renders_them() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/engine");
    let paths: Vec<String> = relayhunt_testdata::eml_files(&data)
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let outcomes = analyse(paths);
    let analysed: Vec<&Analyzed> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Analyzed(a) => Some(&**a),
            Outcome::Failed(_) => None,
        })
        .collect();
    assert!(analysed.len() >= 5);
    // Some report must carry every planted part, or the test proves less than it says.
    assert!(analysed.iter().any(|a| a.report.relay.is_some()));
    assert!(analysed.iter().any(|a| !a.report.findings.is_empty()));
    let ips = ip_forms();
    let weights = [
        0.0,
        -0.0,
        0.1,
        0.45000002,
        1.0,
        -0.3,
        1e-7,
        3.4e38,
        f32::MIN_POSITIVE,
        f32::NAN,
        f32::INFINITY,
    ];
    for (k, s) in hostile_strings().iter().enumerate() {
        let ip = ips[k % ips.len()];
        let weight = weights[k % weights.len()];
        for a in &analysed {
            let planted = Outcome::Analyzed(Box::new(plant(a, s, ip, weight)));
            assert_same_line(&planted, &format!("string {k} {s:?}"));
        }
    }
    for ip in ips {
        let planted = Outcome::Analyzed(Box::new(plant(analysed[0], "x", ip, 0.5)));
        assert_same_line(&planted, &format!("ip {ip}"));
    }
}

#[test]
fn failures_with_hostile_paths_render_as_serde_json_renders_them() {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<String> = hostile_strings()
        .iter()
        .take(45)
        .map(|s| {
            let name: String = s.chars().filter(|&c| c != '\0' && c != '/').collect();
            dir.path()
                .join(format!("missing-{name}"))
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let outcomes = analyse(paths);
    assert_eq!(outcomes.len(), 45);
    for o in &outcomes {
        assert!(matches!(o, Outcome::Failed(_)));
        assert_same_line(o, "failure");
    }
}

/// Every shape of the serde data model, for types the report does not use today.
#[derive(Serialize)]
enum Shapes {
    Unit,
    Newtype(i64),
    Tuple(u8, char),
    Struct { a: Option<u128>, b: i128 },
}

#[derive(Serialize)]
struct Wrapper(Vec<Shapes>);

#[derive(Serialize)]
struct UnitStruct;

#[derive(Serialize)]
#[serde(rename = "x")]
struct Renamed {
    #[serde(rename = "we\"ird\\key\n")]
    field: (),
    #[serde(with = "serde_bytes_like")]
    bytes: Vec<u8>,
}

mod serde_bytes_like {
    pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }
}

fn same<T: Serialize + ?Sized>(v: &T) {
    let mut ours = Vec::new();
    compact::write(&mut ours, v).unwrap();
    assert_eq!(
        String::from_utf8(ours).unwrap(),
        serde_json::to_string(v).unwrap()
    );
}

#[test]
fn every_serde_shape_and_number_renders_as_serde_json_renders_it() {
    same(&Wrapper(vec![
        Shapes::Unit,
        Shapes::Newtype(i64::MIN),
        Shapes::Tuple(255, '"'),
        Shapes::Struct {
            a: Some(u128::MAX),
            b: i128::MIN,
        },
        Shapes::Struct { a: None, b: 0 },
    ]));
    same(&UnitStruct);
    same(&Renamed {
        field: (),
        bytes: vec![0, 1, 255],
    });
    same(&(1u16, -1i8, 'é', "\u{0}", [0u8; 0], Vec::<u8>::new()));
    for f in [
        0.0f64,
        -0.0,
        1e300,
        5e-324,
        0.1 + 0.2,
        f64::NAN,
        f64::NEG_INFINITY,
    ] {
        same(&f);
    }
    for f in [0.45000002f32, 1.0, 16777217.0, f32::MAX, f32::NAN] {
        same(&f);
    }
    for n in [0u64, 9, 10, 99, 100, u64::MAX] {
        same(&n);
        same(&(n as i64).wrapping_neg());
    }
    // Map keys: strings escaped, numbers, booleans and chars quoted, as serde_json.
    let mut m: BTreeMap<String, i32> = BTreeMap::new();
    m.insert("k\"\\\n\u{1}".into(), 1);
    m.insert(String::new(), 2);
    same(&m);
    same(&BTreeMap::from([(-3i64, "a"), (7, "b")]));
    same(&BTreeMap::from([(u128::MAX, 1)]));
    same(&BTreeMap::from([(true, 1), (false, 2)]));
    same(&BTreeMap::from([('"', 1)]));
    same(&BTreeMap::<u8, u8>::new());
    // Keys serde_json refuses are refused.
    let mut out = Vec::new();
    assert!(compact::write(&mut out, &BTreeMap::from([(vec![1u8], 1)])).is_err());
    assert!(compact::write(&mut out, &BTreeMap::from([(Some(()), 1)])).is_err());
}

/// A deterministic choice of variants and of present or absent parts (xorshift).
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }

    fn of<T: Clone>(&mut self, options: &[T]) -> T {
        options[(self.next() % options.len() as u64) as usize].clone()
    }

    fn maybe<T>(&mut self, v: impl FnOnce(&mut Self) -> T) -> Option<T> {
        if self.coin() {
            Some(v(self))
        } else {
            None
        }
    }

    fn text(&mut self) -> String {
        self.of(&[
            "",
            "mx.example",
            "a \"quoted\" \\ value\t\u{1}",
            "é\u{FFFD}",
        ])
        .to_string()
    }

    fn ip(&mut self) -> IpAddr {
        self.of(&ip_forms())
    }
}

/// Every variant of every enum the report writes, in some report.
fn protocols() -> Vec<relayhunt_received::Protocol> {
    use relayhunt_received::Protocol::*;
    vec![
        Smtp,
        Esmtp,
        Esmtps,
        Esmtpa,
        Esmtpsa,
        Lmtp,
        Lmtps,
        Lmtpa,
        Lmtpsa,
        Utf8Smtp,
        Utf8Smtps,
        Utf8Smtpa,
        Utf8Smtpsa,
        Http,
        Https,
        Mapi,
        Local,
        Imap,
        Other("X-\"ODD\"\\".into()),
        Other(String::new()),
    ]
}

fn parse_notes(m: &mut Mix) -> Vec<ParseNote> {
    vec![
        ParseNote::HeloIpIgnored { ip: m.text() },
        ParseNote::AmbiguousClientIp {
            candidates: vec![m.text(), m.text()],
        },
        ParseNote::AmbiguousClientIp { candidates: vec![] },
        ParseNote::Truncated {
            original_len: usize::MAX,
        },
        ParseNote::BadDate,
        ParseNote::Unparsed,
        ParseNote::Other { text: m.text() },
    ]
}

fn hop(m: &mut Mix, k: usize) -> relayhunt_received::Hop {
    use relayhunt_received::{ByPart, FromPart, Hop, HopDate, NonRelay, TlsInfo};
    let notes = parse_notes(m);
    Hop {
        raw: m.text(),
        from: FromPart {
            helo: m.maybe(|m| m.0.to_string()),
            rdns: m.maybe(|_| "rdns.example".into()),
            ip: m.maybe(Mix::ip),
            port: m.maybe(|m| if m.coin() { 0 } else { u16::MAX }),
            ident: m.maybe(|_| "user@host".into()),
        },
        by: ByPart {
            host: m.maybe(|_| "by.example".into()),
            ip: m.maybe(Mix::ip),
        },
        via: m.maybe(|_| "HTTP".into()),
        protocol: m.maybe(|_| protocols()[k % protocols().len()].clone()),
        protocol_raw: m.maybe(|_| "ESMTPSA".into()),
        id: m.maybe(|_| "4Qx1".into()),
        for_addr: m.maybe(|_| "<a@b>".into()),
        envelope_from: m.maybe(|_| "e@f".into()),
        auth_user: m.maybe(|_| "u".into()),
        authenticated: m.coin(),
        tls: m.maybe(|m| TlsInfo {
            version: m.maybe(|_| "TLS1.3".into()),
            cipher: m.maybe(|_| "AES".into()),
        }),
        date: m.maybe(|m| HopDate {
            unix: m.of(&[0, -1, i64::MIN, i64::MAX, 1_700_000_000]),
            offset_minutes: m.of(&[0, -420, i32::MIN, 330]),
        }),
        date_raw: m.maybe(|_| "Tue, 1 Dec 2026".into()),
        software: m.maybe(|_| "Postfix".into()),
        non_relay: m.maybe(|m| m.of(&[NonRelay::Retrieval, NonRelay::LocalPickup])),
        notes: if m.coin() {
            Vec::new()
        } else {
            notes[..1 + k % notes.len()].to_vec()
        },
    }
}

/// `report` with each optional part present or absent and each enum some variant, as `m`
/// and `k` choose.
fn mixed(report: &relayhunt_analyze::Report, m: &mut Mix, k: usize) -> relayhunt_analyze::Report {
    use relayhunt_analyze::report::*;
    let mut r = report.clone();
    let mailbox = |m: &mut Mix| Mailbox {
        name: m.maybe(Mix::text),
        address: m.maybe(|_| "a@b.example".into()),
        domain: m.maybe(|_| "b.example".into()),
    };
    r.summary = MessageSummary {
        from: m.maybe(mailbox),
        to: (0..k % 3).map(|_| mailbox(m)).collect(),
        subject: m.maybe(Mix::text),
        message_id: m.maybe(Mix::text),
        date: m.maybe(Mix::text),
        date_unix: m.maybe(|m| m.of(&[0, -86_400, i64::MAX])),
        reply_to: m.maybe(mailbox),
        return_path: m.maybe(Mix::text),
        list_id: m.maybe(Mix::text),
    };
    let kinds = [
        HopKind::Trusted,
        HopKind::Inbound,
        HopKind::Retrieval,
        HopKind::Forwarder,
        HopKind::List,
        HopKind::ProviderInternal,
        HopKind::AuthenticatedSubmission,
        HopKind::CustomerSmarthost,
        HopKind::UnexplainedRelay,
        HopKind::Origin,
        HopKind::Claimed,
    ];
    let flags = [
        HopFlag::NegativeDelay,
        HopFlag::HugeDelay,
        HopFlag::FutureDate,
        HopFlag::MissingDate,
        HopFlag::BadDate,
        HopFlag::DynamicClient,
        HopFlag::MissingRdns,
        HopFlag::IpLiteralHelo,
        HopFlag::HeloMismatch,
        HopFlag::PrivateClient,
        HopFlag::Discontinuity,
        HopFlag::Authenticated,
    ];
    let hops = k % 4;
    r.hops = (0..hops).map(|h| hop(m, k + h)).collect();
    r.chain = (0..hops)
        .map(|h| ChainEntry {
            index: h,
            line: usize::MAX - h,
            delay_secs: m.maybe(|m| m.of(&[0, -3, i64::MIN])),
            role: m.of(&[HopRole::Trusted, HopRole::Entry, HopRole::Claimed]),
            trusted: m.coin(),
            trust_reason: m.maybe(Mix::text),
            hop_role: HopRoleInfo {
                kind: kinds[(k + h) % kinds.len()],
                rule: "rule.id",
                why: m.text(),
            },
            flags: flags[(k + h) % flags.len()..].to_vec(),
        })
        .collect();
    r.boundary = m.maybe(|m| TrustBoundary {
        entry_hop: 0,
        entry_line: 1,
        relay_ip: m.maybe(Mix::ip),
        relay_rdns: m.maybe(Mix::text),
        relay_helo: m.maybe(Mix::text),
        trusted_by: m.text(),
    });
    let severities = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];
    r.verdict = Verdict {
        kind: [
            VerdictKind::OpenRelaySuspected,
            VerdictKind::CompromisedAccount,
            VerdictKind::ForgedChain,
            VerdictKind::Suspicious,
            VerdictKind::Clean,
            VerdictKind::NoChain,
        ][k % 6],
        severity: severities[k % 5],
        summary: m.text(),
    };
    let evidence = |m: &mut Mix| Evidence {
        line: 3,
        header: m.text(),
        text: m.text(),
    };
    r.findings = (0..k % 3)
        .map(|f| Finding {
            id: "relay.open_relay_suspected",
            severity: severities[(k + f) % 5],
            title: m.text(),
            explanation: m.text(),
            hop: m.maybe(|_| f),
            evidence: (0..f).map(|_| evidence(m)).collect(),
        })
        .collect();
    let results = |m: &mut Mix| AuthResults {
        line: 9,
        instance: m.maybe(|_| u32::MAX),
        authserv_id: m.maybe(Mix::text),
        trusted: m.coin(),
        methods: (0..k % 3)
            .map(|_| MethodResult {
                method: "dkim".into(),
                result: "pass".into(),
                reason: m.maybe(Mix::text),
                comment: m.maybe(Mix::text),
                properties: (0..k % 2)
                    .map(|_| Property {
                        key: "header.d".into(),
                        value: m.text(),
                    })
                    .collect(),
            })
            .collect(),
    };
    r.auth = AuthReport {
        trusted_authserv_ids: (0..k % 3).map(|_| m.text()).collect(),
        results: (0..k % 2).map(|_| results(m)).collect(),
        arc: (0..k % 3).map(|_| results(m)).collect(),
        received_spf: (0..k % 2)
            .map(|_| ReceivedSpf {
                line: 2,
                result: "softfail".into(),
                client_ip: m.maybe(Mix::text),
                envelope_from: m.maybe(Mix::text),
                helo: m.maybe(Mix::text),
                receiver: m.maybe(Mix::text),
                trusted: m.coin(),
            })
            .collect(),
        spf: m.maybe(Mix::text),
        dkim: (0..k % 3)
            .map(|_| DkimOutcome {
                result: "pass".into(),
                domain: m.maybe(Mix::text),
            })
            .collect(),
        dmarc: m.maybe(Mix::text),
        alignment: Alignment {
            from_domain: m.maybe(Mix::text),
            from_org: m.maybe(Mix::text),
            mail_from_domain: m.maybe(Mix::text),
            mail_from_org: m.maybe(Mix::text),
            dkim_pass_domains: (0..k % 3).map(|_| m.text()).collect(),
            spf_aligned_relaxed: m.coin(),
            spf_aligned_strict: m.coin(),
            dkim_aligned_relaxed: m.coin(),
            dkim_aligned_strict: m.coin(),
            dmarc_pass_relaxed: m.maybe(Mix::coin),
        },
    };
    r.relay_ip = m.maybe(Mix::ip);
    r.origin_ip = m.maybe(Mix::ip);
    r.truncated = m.coin();
    r.relay = m.maybe(|m| RelayAssessment {
        hop: k,
        relay_ip: m.maybe(Mix::ip),
        relay: m.text(),
        source: m.text(),
        explained_above: (0..k % 3).map(|_| m.text()).collect(),
        unrelated: (0..k % 2).map(|_| m.text()).collect(),
        signals: (0..k % 3)
            .map(|_| Signal {
                id: if m.coin() {
                    "client.dynamic".into()
                } else {
                    m.text().into()
                },
                weight: m.of(&[0.0, -0.3, 0.45000002, f32::NAN, f32::NEG_INFINITY]),
                reason: m.text(),
                evidence: (0..k % 2).map(|_| evidence(m)).collect(),
            })
            .collect(),
        confidence: m.of(&[0.0, 1.0, 1e-7, f32::INFINITY]),
        evidence: vec![evidence(m)],
    });
    r
}

#[test]
fn every_optional_part_and_every_variant_renders_as_serde_json_renders_it() {
    // The compact writer writes the report types by hand (`output::compact::report`): this
    // covers each part the corpus may never show (every `None`, every empty list, every enum
    // variant, odd numbers) in many combinations.
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/engine");
    let paths: Vec<String> = relayhunt_testdata::eml_files(&data)
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .take(1)
        .collect();
    let outcomes = analyse(paths);
    let Some(Outcome::Analyzed(a)) = outcomes.first() else {
        panic!("no analysed message in tests/data/engine");
    };
    let mut m = Mix(0x2545_f491_4f6c_dd1d);
    for k in 0..2000 {
        let mut planted = a.clone();
        planted.report = mixed(&a.report, &mut m, k);
        planted.location.message = m.maybe(|_| k);
        planted.location.offset = m.of(&[0, u64::MAX]);
        assert_same_line(&Outcome::Analyzed(planted), &format!("mix {k}"));
    }
}
