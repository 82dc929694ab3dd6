//! Human-readable report: verdict first, then each finding with place, value, reason, fix.

use crate::finding::Report;
use std::fmt::Write;

/// Render for a terminal.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} config at {} — {} finding(s), {} warning(s)",
        report.verdict.label(),
        report.mta.label(),
        report.input,
        report.findings.len(),
        report.warnings.len()
    );
    for f in &report.findings {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "[{}] {} ({:?}) {}",
            f.severity.label().to_uppercase(),
            f.rule,
            f.effect,
            f.title
        );
        let _ = writeln!(out, "  at:    {}", f.location);
        if let Some(scope) = &f.scope {
            let _ = writeln!(out, "  in:    {scope}");
        }
        let _ = writeln!(out, "  value: {}", f.value);
        let _ = writeln!(out, "  why:   {}", f.why);
        let _ = writeln!(out, "  fix:   {}", f.fix);
        let _ = writeln!(out, "  see:   {}", f.source);
    }
    if !report.warnings.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "Warnings (parts of the config this audit could not check):"
        );
        for w in &report.warnings {
            let _ = writeln!(out, "  {}: {}", w.location, w.message);
        }
    }
    out
}
