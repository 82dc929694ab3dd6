//! Golden verdicts on real corpus messages. Each `tests/data/golden/*.json` names a message
//! under `../shared` (or `$RELAYHUNT_SHARED`), the verdict an analyst gave after reading its
//! headers, the relay and origin addresses, findings that must (and must not) appear, and a
//! one-line `why`. Optional `trusted` entries model the mailbox owner's own forwarders.

#[path = "engine_support.rs"]
mod support;

use relayhunt_analyze::engine::analyze;
use relayhunt_analyze::Config;
use serde_json::Value;
use std::path::PathBuf;

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn check(path: &PathBuf) -> Result<(), String> {
    let spec: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .map_err(|e| format!("{}: bad JSON: {e}", path.display()))?;
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let msg_path = relayhunt_testdata::shared(spec["message"].as_str().ok_or("no message")?)
        .ok_or("shared data missing")?;
    let text = support::read_lossy(&msg_path);
    let cfg = Config {
        trusted: strings(&spec, "trusted"),
        now: Some(1_780_272_000),
        ..Config::default()
    };
    let r = analyze(&support::message(&text), &cfg);
    let ids: Vec<&str> = r.findings.iter().map(|f| f.id).collect();
    let mut errs = Vec::new();
    if r.verdict.kind.as_str() != spec["verdict"].as_str().unwrap_or_default() {
        errs.push(format!(
            "verdict {} (\"{}\"), expected {}",
            r.verdict.kind, r.verdict.summary, spec["verdict"]
        ));
    }
    let ip_eq = |got: Option<std::net::IpAddr>, key: &str| match spec.get(key) {
        Some(Value::String(want)) => got.map(|g| g.to_string()).as_deref() == Some(want.as_str()),
        Some(Value::Null) => got.is_none(),
        _ => true,
    };
    if !ip_eq(r.relay_ip, "relay_ip") {
        errs.push(format!(
            "relay_ip {:?}, expected {}",
            r.relay_ip, spec["relay_ip"]
        ));
    }
    if !ip_eq(r.origin_ip, "origin_ip") {
        errs.push(format!(
            "origin_ip {:?}, expected {}",
            r.origin_ip, spec["origin_ip"]
        ));
    }
    for want in strings(&spec, "findings") {
        if !ids.contains(&want.as_str()) {
            errs.push(format!("missing finding {want} (have {ids:?})"));
        }
    }
    for bad in strings(&spec, "absent") {
        if ids.contains(&bad.as_str()) {
            errs.push(format!("unexpected finding {bad}"));
        }
    }
    // Every finding quotes real header lines of this message.
    for f in &r.findings {
        for ev in &f.evidence {
            let line = text.lines().nth(ev.line - 1).unwrap_or_default();
            if !line
                .trim_end_matches('\r')
                .starts_with(ev.text.lines().next().unwrap_or(""))
            {
                errs.push(format!(
                    "{}: evidence line {} does not match the message",
                    f.id, ev.line
                ));
            }
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{name} ({}):\n  {}",
            spec["why"],
            errs.join("\n  ")
        ))
    }
}

#[test]
fn golden_verdicts_match_what_an_analyst_concluded() {
    if relayhunt_testdata::shared("corpus").is_none() {
        return;
    }
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/golden"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 15,
        "expected at least 15 golden cases, found {}",
        files.len()
    );
    let failures: Vec<String> = files.iter().filter_map(|f| check(f).err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} golden verdicts differ:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
