//! SARIF 2.1.0 for code-scanning in CI: one run, the rules of the audited MTA in
//! `tool.driver.rules`, one result per finding with its file:line, and warnings as
//! `toolExecutionNotifications` so unparsed lines are visible, not silent.

use crate::finding::{Report, Severity};
use crate::rules::catalog;
use serde_json::{json, Value};

/// SARIF level for a severity.
fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// Render as SARIF 2.1.0 JSON.
pub fn render(report: &Report) -> String {
    let rules: Vec<Value> = catalog()
        .into_iter()
        .filter(|r| r.mta == report.mta)
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": { "text": r.title },
                "fullDescription": { "text": r.why },
                "help": { "text": format!("Fix: {}\nSource: {}", r.fix, r.source) },
                "defaultConfiguration": { "level": level(r.severity) },
                "properties": { "severity": r.severity, "effect": r.effect },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            json!({
                "ruleId": f.rule,
                "level": level(f.severity),
                "message": { "text": format!("{}: `{}`. {} Fix: {}", f.title, f.value, f.why, f.fix) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": f.location.file },
                        "region": { "startLine": f.location.line.max(1) },
                    }
                }],
                "properties": { "severity": f.severity, "effect": f.effect, "scope": f.scope, "fix": f.fix },
            })
        })
        .collect();
    let notes: Vec<Value> = report
        .warnings
        .iter()
        .map(|w| {
            json!({
                "level": "warning",
                "message": { "text": w.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": w.location.file },
                        "region": { "startLine": w.location.line.max(1) },
                    }
                }],
            })
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "relayhunt-audit",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notes,
            }],
            "properties": { "verdict": report.verdict, "mta": report.mta },
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}
