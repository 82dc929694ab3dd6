//! The seed scenario's conclusions as a reviewed snapshot: verdict, boundary, findings with
//! their explanations and evidence lines, and the authentication summary. A change in
//! wording or evidence shows up here for review (`INSTA_UPDATE=always`, then read the diff).

#[path = "engine_support.rs"]
mod support;

use relayhunt_analyze::engine::analyze;
use relayhunt_analyze::Config;
use serde_json::json;

#[test]
fn seed_open_relay_report_snapshot() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/engine/seed_open_relay.eml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let cfg = Config {
        now: Some(1_780_272_000),
        ..Config::default()
    };
    let r = analyze(&support::message(&text), &cfg);
    let findings: Vec<_> = r
        .findings
        .iter()
        .map(|f| {
            json!({
                "id": f.id,
                "severity": f.severity,
                "hop": f.hop,
                "explanation": f.explanation,
                "evidence_lines": f.evidence.iter().map(|e| e.line).collect::<Vec<_>>(),
            })
        })
        .collect();
    let view = json!({
        "verdict": r.verdict,
        "boundary": r.boundary,
        "relay_ip": r.relay_ip,
        "origin_ip": r.origin_ip,
        "chain": r.chain,
        "findings": findings,
        "auth": {
            "trusted_authserv_ids": r.auth.trusted_authserv_ids,
            "spf": r.auth.spf,
            "dkim": r.auth.dkim,
            "dmarc": r.auth.dmarc,
            "alignment": r.auth.alignment,
        },
        "summary": r.summary,
    });
    insta::with_settings!({
        snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/engine/snapshots"),
        prepend_module_to_snapshot => false,
        // Key order must not depend on whether another crate in the build turned on
        // serde_json's `preserve_order` feature.
        sort_maps => true,
    }, {
        insta::assert_json_snapshot!("seed_open_relay", view);
    });
}
