//! Our own vectors, one or more per MTA format (`tests/data/mta_vectors.jsonl`), each line
//! written the way the named MTA writes it (its source, documentation or lines observed in
//! real mail; the `basis` field says which), including hostile HELO / recipient text
//! spliced into those formats. Every listed field is compared; per-field accuracy is
//! printed and held to the floors below. Deliberate disagreements go in [`DEVIATIONS`] with
//! the reason, and the test checks that they still occur.

use relayhunt_received::{parse, Hop, NonRelay, ParseNote};
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// `(line number, field, reason)`: a vector whose expectation we knowingly do not meet.
const DEVIATIONS: &[(usize, &str, &str)] = &[];

/// Minimum share of agreeing cases per field (documented deviations count as disagreement).
const FLOORS: &[(&str, f64)] = &[
    ("ip", 0.99),
    ("rdns", 0.98),
    ("helo", 0.98),
    ("by", 0.98),
    ("ident", 0.98),
    ("authenticated", 0.98),
    ("auth_user", 0.98),
    ("non_relay", 0.98),
    ("ambiguous", 0.98),
];

fn ours(h: &Hop, field: &str) -> Value {
    let s = |v: &Option<String>| v.as_ref().map_or(Value::Null, |x| Value::String(x.clone()));
    match field {
        "ip" => h
            .from
            .ip
            .map_or(Value::Null, |i| Value::String(i.to_string())),
        "rdns" => s(&h.from.rdns),
        "helo" => s(&h.from.helo),
        "by" => s(&h.by.host),
        "ident" => s(&h.from.ident),
        "authenticated" => Value::Bool(h.authenticated),
        "auth_user" => s(&h.auth_user),
        "non_relay" => match h.non_relay {
            None => Value::Null,
            Some(NonRelay::Retrieval) => Value::String("retrieval".into()),
            Some(NonRelay::LocalPickup) => Value::String("local_pickup".into()),
        },
        "ambiguous" => Value::Bool(
            h.notes
                .iter()
                .any(|n| matches!(n, ParseNote::AmbiguousClientIp { .. })),
        ),
        other => panic!("unknown expectation field {other:?}"),
    }
}

fn same(field: &str, a: &Value, b: &Value) -> bool {
    match (field, a, b) {
        ("ip", Value::String(x), Value::String(y)) => {
            x.parse::<IpAddr>().ok() == y.parse::<IpAddr>().ok()
        }
        (_, Value::String(x), Value::String(y)) => x.eq_ignore_ascii_case(y),
        _ => a == b,
    }
}

#[test]
fn mta_vectors_accuracy() {
    let text = include_str!("data/mta_vectors.jsonl");
    let mut per_field: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut per_mta: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut used = vec![false; DEVIATIONS.len()];
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let line_no = n + 1;
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("mta_vectors.jsonl line {line_no}: {e}"));
        let mta = v["mta"].as_str().expect("mta named").to_string();
        assert!(
            v["basis"].as_str().is_some_and(|b| !b.is_empty()),
            "line {line_no}: basis missing"
        );
        let h = parse(v["received"].as_str().expect("received text"));
        let expect = v["expect"].as_object().expect("expect object");
        let mut all_ok = true;
        for (field, want) in expect {
            let got = ours(&h, field);
            let ok = same(field, &got, want);
            let e = per_field.entry(field.clone()).or_default();
            e.0 += 1;
            e.1 += usize::from(ok);
            if !ok {
                all_ok = false;
                match DEVIATIONS
                    .iter()
                    .position(|d| d.0 == line_no && d.1 == field)
                {
                    Some(i) => used[i] = true,
                    None => failures.push(format!(
                        "line {line_no} [{mta}] {field}: ours {got} expected {want}\n    {:?}",
                        h.raw
                    )),
                }
            }
        }
        let m = per_mta.entry(mta).or_default();
        m.0 += 1;
        m.1 += usize::from(all_ok);
    }
    println!("field          cases  agree  rate");
    let mut low = Vec::new();
    for (field, (total, ok)) in &per_field {
        let rate = *ok as f64 / (*total).max(1) as f64;
        println!("{field:<14} {total:>5} {ok:>6} {:>6.1}%", rate * 100.0);
        let floor = FLOORS.iter().find(|f| f.0 == field).map_or(0.98, |f| f.1);
        if rate + 1e-9 < floor {
            low.push(format!(
                "{field} {:.1}% < {:.0}%",
                rate * 100.0,
                floor * 100.0
            ));
        }
    }
    println!("MTA formats: {}", per_mta.len());
    for (mta, (total, ok)) in &per_mta {
        println!("  {mta:<28} {ok}/{total}");
    }
    for f in &failures {
        println!("  FAIL {f}");
    }
    let stale: Vec<_> = DEVIATIONS
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(d, _)| (d.0, d.1))
        .collect();
    assert!(
        stale.is_empty(),
        "documented deviations that no longer occur: {stale:?}"
    );
    assert!(
        failures.is_empty(),
        "{} undocumented disagreements (listed above)",
        failures.len()
    );
    assert!(low.is_empty(), "below floor: {low:?}");
}
