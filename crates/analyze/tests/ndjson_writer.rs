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

#[test]
fn write_fields_continues_an_open_object_and_refuses_a_non_struct() {
    #[derive(Serialize)]
    struct Inner {
        b: u8,
        c: &'static str,
    }
    let mut out = b"{\"a\":0".to_vec();
    compact::write_fields(&mut out, &Inner { b: 1, c: "\"" }).unwrap();
    out.push(b'}');
    assert_eq!(out, br#"{"a":0,"b":1,"c":"\""}"#);
    assert!(compact::write_fields(&mut Vec::new(), &[1, 2]).is_err());
    assert!(compact::write_fields(&mut Vec::new(), "text").is_err());
}
