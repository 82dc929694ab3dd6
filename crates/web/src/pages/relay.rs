//! The relay list and one relay's history.

use super::analysis::words;
use super::layout::page;
use crate::relays::{RelayHistory, RelaySummary};
use crate::text::utc;
use maud::{html, Markup};
use std::net::IpAddr;

fn when(t: Option<i64>) -> String {
    t.map(utc).unwrap_or_default()
}

fn verdicts(s: &RelaySummary) -> String {
    s.verdicts
        .iter()
        .map(|(k, n)| format!("{} × {n}", words(k)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// All relays seen.
pub fn list(relays: &[RelaySummary]) -> Markup {
    let body = html! {
        h1 { "Relays" }
        @if relays.is_empty() {
            p { "No relay seen yet. " a href="/" { "Analyze a message" } "." }
        } @else {
            table.list #relays {
                thead { tr { th { "IP" } th { "Reverse DNS" } th { "Messages" } th { "First seen" } th { "Last seen" } th { "Verdicts" } th { "Abuse contact" } } }
                tbody {
                    @for s in relays {
                        tr {
                            td { a href=(format!("/relays/{}", s.ip)) { (s.ip) } }
                            td { (s.rdns.as_deref().unwrap_or("")) }
                            td { (s.messages) }
                            td { (when(s.first_seen_unix)) }
                            td { (when(s.last_seen_unix)) }
                            td { (verdicts(s)) }
                            td { (s.abuse_contact.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
    };
    page("Relays", Some("/api/relays"), body)
}

/// One relay.
pub fn show(ip: IpAddr, h: &RelayHistory) -> Markup {
    let body = html! {
        h1 #relay-ip { "Relay " (ip) }
        @match &h.summary {
            Some(s) => {
                table.kv {
                    tr { th { "Reverse DNS" } td { (s.rdns.as_deref().unwrap_or("not recorded")) } }
                    tr { th { "Messages" } td #message-count { (s.messages) } }
                    tr { th { "First seen" } td { (when(s.first_seen_unix)) } }
                    tr { th { "Last seen" } td { (when(s.last_seen_unix)) } }
                    tr { th { "Verdicts" } td { (verdicts(s)) } }
                    tr { th { "Abuse contact" } td { (s.abuse_contact.as_deref().unwrap_or("not looked up")) } }
                }
            }
            None => { p { "Nothing recorded about this address." } }
        }
        @if !h.messages.is_empty() {
            h2 { "Messages through this relay" }
            table.list #relay-messages {
                thead { tr { th { "Date (UTC)" } th { "Subject" } th { "From" } th { "Verdict" } } }
                tbody {
                    @for m in &h.messages {
                        tr {
                            td { (when(m.date_unix)) }
                            td { a href=(format!("/analysis/{}", m.id)) { (crate::text::clip(m.subject.as_deref().unwrap_or("(no subject)"), 90)) } }
                            td { (m.from.as_deref().unwrap_or("")) }
                            td { span class=(format!("badge sev-{}", m.severity)) { (words(&m.verdict)) } }
                        }
                    }
                }
            }
        }
    };
    page(
        &format!("Relay {ip}"),
        Some(&format!("/api/relays/{ip}")),
        body,
    )
}
