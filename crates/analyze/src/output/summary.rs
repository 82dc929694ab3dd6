//! The end-of-batch summary in human form: counts, verdicts, top relay IPs.

use super::human::Style;
use crate::batch::Summary;
use std::fmt::Write;

/// How many relay IPs the summary lists.
pub const TOP_RELAYS: usize = 10;

/// Render the summary.
pub fn render(s: &Summary, color: bool) -> String {
    let st = Style { color };
    let mut out = String::new();
    let secs = s.elapsed.as_secs_f64();
    let _ = writeln!(
        out,
        "{} {} messages analysed, {} errors{} ({:.1} MB in {:.2}s)",
        st.bold("Summary:"),
        s.messages,
        s.errors,
        if s.truncated > 0 {
            format!(", {} with truncated headers", s.truncated)
        } else {
            String::new()
        },
        s.bytes as f64 / 1e6,
        secs
    );
    if !s.verdicts.is_empty() {
        let parts: Vec<String> = s.verdicts.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let _ = writeln!(out, "  verdicts: {}", parts.join(", "));
    }
    if !s.severities.is_empty() {
        let parts: Vec<String> = s
            .severities
            .iter()
            .rev()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        let _ = writeln!(out, "  worst severity per message: {}", parts.join(", "));
    }
    let top = s.top_relays(TOP_RELAYS);
    if !top.is_empty() {
        let _ = writeln!(out, "  top relay IPs (first untrusted hop):");
        for (ip, n) in top {
            let _ = writeln!(out, "    {n:>6}  {ip}");
        }
        if s.relay_ips_untracked > 0 {
            let _ = writeln!(
                out,
                "    ({} more messages from relays beyond the first {} distinct addresses)",
                s.relay_ips_untracked,
                crate::batch::Summary::MAX_RELAY_IPS
            );
        }
    }
    out
}
