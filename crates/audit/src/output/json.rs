//! JSON report: the [`Report`] as serialized, one object.

use crate::finding::Report;

/// Render as pretty JSON.
pub fn render(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}
