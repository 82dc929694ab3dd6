//! The start page: paste headers or upload an .eml, and the analyses made so far.

use super::layout::page;
use crate::analysis::Analysis;
use crate::pages::analysis::verdict_badge;
use maud::{html, Markup};
use std::sync::Arc;

/// The form and the recent analyses. `store`: `None` without a store (no checkbox),
/// `Some(true)` when the server records every analysis, `Some(false)` when it asks.
pub fn render(recent: &[Arc<Analysis>], max_upload: usize, store: Option<bool>) -> Markup {
    let body = html! {
        h1 { "Analyze a message" }
        p.lead {
            "Paste the raw headers (or the whole message) or choose an .eml file. "
            "relayhunt rebuilds the Received chain, finds where your infrastructure ends and "
            "names the relay that handed the message in. Nothing leaves this machine."
        }
        form.analyze method="post" action="/analyze" enctype="multipart/form-data" {
            label for="headers" { "Raw headers or message" }
            textarea #headers name="headers" rows="14" spellcheck="false"
                placeholder="Received: from …" {}
            label for="eml" { "…or an .eml file" }
            input #eml type="file" name="eml" accept=".eml,.txt,message/rfc822,text/plain";
            p.hint { "Up to " (max_upload / 1024) " KiB." }
            @match store {
                Some(false) => {
                    label.check { input #store type="checkbox" name="store" value="1"; " Keep in the store (the relay's history remembers it)" }
                }
                Some(true) => { p.hint { "Every analysis is kept in the store (--store)." } }
                None => {}
            }
            button type="submit" { "Analyze" }
        }
        @if !recent.is_empty() {
            h2 { "Analysed here" }
            table.list {
                thead { tr { th { "Subject" } th { "From" } th { "Verdict" } th { "Relay" } } }
                tbody {
                    @for a in recent {
                        tr {
                            td { a href=(format!("/analysis/{}", a.id)) { (crate::text::clip(&a.title(), 90)) } }
                            td { (a.report.summary.from.as_ref().and_then(|m| m.address.clone()).unwrap_or_default()) }
                            td { (verdict_badge(&a.report)) }
                            td {
                                @if let Some(ip) = a.report.relay_ip {
                                    a href=(format!("/relays/{ip}")) { (ip) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    page("Analyze", Some("/api/analyses"), body)
}
