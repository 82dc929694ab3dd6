//! The analysis page: verdict, relay and owner, the hop chain picture and table,
//! authentication with alignment, findings with their evidence, and the abuse report button.
//!
//! Rendered from the analyzer's report structs. Enum values are shown by their JSON names
//! (never matched exhaustively here) so roles or kinds the analyzer adds appear as they
//! come; verdict fields beyond kind, severity and summary are listed as they appear too.

use super::layout::page;
use crate::analysis::Analysis;
use crate::chain_svg::{self, role_label};
use crate::text::{delay, serde_name, utc};
use maud::{html, Markup};
use relayhunt_analyze::report::{Alignment, AuthReport, Mailbox, Report};

/// `open_relay_suspected` → `Open relay suspected`.
pub fn words(snake: &str) -> String {
    let s = snake.replace('_', " ");
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => s,
    }
}

/// A small coloured verdict label.
pub fn verdict_badge(r: &Report) -> Markup {
    let sev = serde_name(&r.verdict.severity);
    html! {
        span class=(format!("badge sev-{sev}")) { (words(&serde_name(&r.verdict.kind))) }
    }
}

fn mailbox(m: &Mailbox) -> String {
    match (&m.name, &m.address) {
        (Some(n), Some(a)) => format!("{n} <{a}>"),
        (None, Some(a)) => a.clone(),
        (Some(n), None) => n.clone(),
        (None, None) => String::new(),
    }
}

/// Verdict fields other than the three every verdict has (e.g. a confidence), as text.
fn verdict_extras(r: &Report) -> Vec<(String, String)> {
    let Ok(serde_json::Value::Object(map)) = serde_json::to_value(&r.verdict) else {
        return Vec::new();
    };
    map.into_iter()
        .filter(|(k, _)| !matches!(k.as_str(), "kind" | "severity" | "summary"))
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| {
            let shown = match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            (words(&k), shown)
        })
        .collect()
}

/// The whole page.
pub fn render(a: &Analysis, reporter_ready: Result<(), String>) -> Markup {
    let r = &a.report;
    let sev = serde_name(&r.verdict.severity);
    let body = html! {
        section.verdict class=(format!("sev-{sev}")) {
            p.kicker { "Verdict · severity " (sev) }
            h1 #verdict { (words(&serde_name(&r.verdict.kind))) }
            p.summary { (r.verdict.summary) }
            @let extras = verdict_extras(r);
            @if !extras.is_empty() {
                dl.extras {
                    @for (k, v) in &extras { dt { (k) } dd { (v) } }
                }
            }
            @if r.truncated {
                p.warn { "The header block was cut by the input limits; conclusions may be incomplete." }
            }
            @if let Some(st) = &a.stored {
                p #stored {
                    @if st.new { "Kept in the store as " } @else { "Already in the store as " }
                    a href=(format!("/messages/{}", st.message_id)) { "message #" (st.message_id) }
                    @if let Some(ip) = r.relay_ip {
                        " · " a href=(format!("/relays/{ip}")) { "the relay's history" }
                    }
                }
            }
            @if let Some(e) = &a.store_error {
                p.warn #store-error { "Not kept in the store: " (e) }
            }
        }
        (message_section(r))
        (relay_section(a, reporter_ready))
        section #chain {
            h2 { "Hop chain" }
            p.hint {
                "Oldest hop at the bottom. Boxes are Received: headers; arrows carry the delay "
                "between hops; the dashed line is the trust boundary; the red outline is the hop "
                "that recorded the relay. "
                a href=(format!("/analysis/{}/chain.svg", a.id)) { "Open the SVG" }
            }
            div.diagram { (chain_svg::render(r)) }
            (hop_table(r))
        }
        (auth_section(&r.auth))
        (findings_section(r))
    };
    let api = format!("/api/analysis/{}", a.id);
    page(&words(&serde_name(&r.verdict.kind)), Some(&api), body)
}

fn message_section(r: &Report) -> Markup {
    let s = &r.summary;
    html! {
        section #message {
            h2 { "Message" }
            table.kv {
                tr { th { "Subject" } td #subject { (s.subject.as_deref().unwrap_or("")) } }
                tr { th { "From" } td #from { (s.from.as_ref().map(mailbox).unwrap_or_default()) } }
                @if let Some(rt) = &s.reply_to { tr { th { "Reply-To" } td { (mailbox(rt)) } } }
                @if !s.to.is_empty() {
                    tr { th { "To" } td { (s.to.iter().map(mailbox).collect::<Vec<_>>().join(", ")) } }
                }
                @if let Some(d) = &s.date { tr { th { "Date" } td { (d) } } }
                @if let Some(m) = &s.message_id { tr { th { "Message-ID" } td { (m) } } }
                @if let Some(p) = &s.return_path { tr { th { "Return-Path" } td { (p) } } }
                @if let Some(l) = &s.list_id { tr { th { "List-Id" } td { (l) } } }
            }
        }
    }
}

fn relay_section(a: &Analysis, reporter_ready: Result<(), String>) -> Markup {
    let r = &a.report;
    html! {
        section #relay {
            h2 { "Relay" }
            @match (r.relay_ip, &r.boundary) {
                (Some(ip), b) => {
                    table.kv {
                        tr { th { "Relay IP" } td { a #relay-link href=(format!("/relays/{ip}")) { (ip) } " (history)" } }
                        @if let Some(b) = b {
                            @if let Some(d) = &b.relay_rdns { tr { th { "Reverse DNS" } td { (d) } } }
                            @if let Some(h) = &b.relay_helo { tr { th { "HELO" } td { (h) } } }
                            tr { th { "Entry hop" } td { a href=(format!("#hop-{}", b.entry_hop)) { "hop " (b.entry_hop + 1) } ", line " (b.entry_line) } }
                            tr { th { "Trusted because" } td { (b.trusted_by) } }
                        }
                        @if let Some(o) = r.origin_ip.filter(|o| *o != ip) {
                            tr { th { "Claimed origin" } td { a href=(format!("/relays/{o}")) { (o) } } }
                        }
                    }
                }
                (None, _) => {
                    p { "No untrusted relay handed this message to trusted infrastructure." }
                }
            }
            (owners(a))
            (abuse_form(a, reporter_ready))
        }
    }
}

fn owners(a: &Analysis) -> Markup {
    html! {
        @if !a.owners.is_empty() {
            h3 { "Owner and abuse contact" }
            table.list #owners {
                thead { tr { th { "Role" } th { "IP" } th { "Owner" } th { "Abuse contact" } } }
                tbody {
                    @for n in &a.owners {
                        tr {
                            td { (n.role) }
                            td { (n.ip) }
                            @if let Some(ans) = &n.answer {
                                td { (ans.summary) }
                                td.abuse {
                                    @match a.owner_of(n.ip).and_then(|o| o.best_abuse().cloned()) {
                                        Some(c) => { (c.email) " (" (c.source.label()) ")" }
                                        None => { "none found" }
                                    }
                                }
                            } @else {
                                td colspan="2" { "lookup failed: " (n.error.as_deref().unwrap_or("")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn abuse_form(a: &Analysis, reporter_ready: Result<(), String>) -> Markup {
    let Some(ip) = a.report.relay_ip else {
        return html! {};
    };
    let to = a.relay_abuse().unwrap_or_default();
    html! {
        h3 { "Abuse report" }
        form.report method="get" action=(format!("/analysis/{}/abuse-report", a.id)) {
            label for="to" { "Send to" }
            input #to type="email" name="to" value=(to) required placeholder="abuse@network-owner.example";
            label for="format" { "Format" }
            select #format name="format" {
                option value="eml" selected { "Plain report (.eml)" }
                option value="arf" { "ARF feedback report (RFC 5965)" }
                option value="xarf" { "XARF (JSON)" }
            }
            @match &reporter_ready {
                Ok(()) => { button #download type="submit" { "Download abuse report for " (ip) } }
                Err(why) => {
                    button #download type="submit" disabled { "Download abuse report" }
                    p.warn { "Reports need your identity: " (why) }
                }
            }
        }
    }
}

fn hop_table(r: &Report) -> Markup {
    html! {
        table.list.hops {
            thead {
                tr { th { "#" } th { "Line" } th { "Role" } th { "From" } th { "By" } th { "With" } th { "Date (UTC)" } th { "Delay" } th { "Flags" } }
            }
            tbody {
                @for (i, h) in r.hops.iter().enumerate().rev() {
                    @let c = r.chain.get(i);
                    tr id=(format!("hop-{i}")) class=(format!("role-{}", c.map(|c| serde_name(&c.role)).unwrap_or_default())) {
                        td { (i + 1) }
                        td { (c.map(|c| c.line).unwrap_or(0)) }
                        td {
                            (c.map(|c| role_label(&serde_name(&c.role))).unwrap_or_default())
                            @if let Some(why) = c.and_then(|c| c.trust_reason.as_deref()) {
                                br; small { (why) }
                            }
                        }
                        td {
                            @if let Some(x) = &h.from.helo { "helo " (x) br; }
                            @if let Some(x) = &h.from.rdns { "rdns " (x) br; }
                            @if let Some(x) = h.from.ip { (x) }
                        }
                        td { (h.by.host.as_deref().unwrap_or("")) }
                        td { (h.protocol_raw.as_deref().unwrap_or("")) @if h.authenticated { " (authenticated)" } }
                        td { (h.date.map(|d| utc(d.unix)).or_else(|| h.date_raw.clone()).unwrap_or_default()) }
                        td { (c.and_then(|c| c.delay_secs).map(delay).unwrap_or_default()) }
                        td.flags { (c.map(|c| c.flags.iter().map(|f| serde_name(f).replace('_', " ")).collect::<Vec<_>>().join(", ")).unwrap_or_default()) }
                    }
                }
            }
        }
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "aligned"
    } else {
        "not aligned"
    }
}

fn auth_section(auth: &AuthReport) -> Markup {
    let al: &Alignment = &auth.alignment;
    let dmarc = match al.dmarc_pass_relaxed {
        Some(true) => "pass",
        Some(false) => "fail",
        None => "no trusted results",
    };
    html! {
        section #auth {
            h2 { "Authentication" }
            table.list.auth {
                thead { tr { th { "Check" } th { "Result (trusted sources)" } th { "Domain" } th { "Aligned with From (relaxed / strict)" } } }
                tbody {
                    tr {
                        th { "SPF" }
                        td { (auth.spf.as_deref().unwrap_or("none recorded")) }
                        td { (al.mail_from_domain.as_deref().unwrap_or("")) }
                        td { (yes_no(al.spf_aligned_relaxed)) " / " (yes_no(al.spf_aligned_strict)) }
                    }
                    @if auth.dkim.is_empty() {
                        tr { th { "DKIM" } td { "none recorded" } td {} td { (yes_no(al.dkim_aligned_relaxed)) " / " (yes_no(al.dkim_aligned_strict)) } }
                    }
                    @for d in &auth.dkim {
                        tr {
                            th { "DKIM" }
                            td { (d.result) }
                            td { (d.domain.as_deref().unwrap_or("")) }
                            td { (yes_no(al.dkim_aligned_relaxed)) " / " (yes_no(al.dkim_aligned_strict)) }
                        }
                    }
                    tr {
                        th { "DMARC" }
                        td { (auth.dmarc.as_deref().unwrap_or("none recorded")) }
                        td { (al.from_domain.as_deref().unwrap_or("")) }
                        td { "computed: " (dmarc) }
                    }
                }
            }
            table.kv.alignment {
                tr { th { "From domain" } td { (al.from_domain.as_deref().unwrap_or("")) " (organisation " (al.from_org.as_deref().unwrap_or("?")) ")" } }
                tr { th { "MAIL FROM domain" } td { (al.mail_from_domain.as_deref().unwrap_or("")) " (organisation " (al.mail_from_org.as_deref().unwrap_or("?")) ")" } }
                tr { th { "Passing DKIM domains" } td { (al.dkim_pass_domains.join(", ")) } }
            }
            @if !auth.results.is_empty() {
                h3 { "Authentication-Results headers" }
                table.list {
                    thead { tr { th { "Line" } th { "authserv-id" } th { "Believed" } th { "Methods" } } }
                    tbody {
                        @for ar in &auth.results {
                            tr {
                                td { (ar.line) }
                                td { (ar.authserv_id.as_deref().unwrap_or("(none)")) }
                                td { (if ar.trusted { "yes" } else { "no" }) }
                                td { (ar.methods.iter().map(|m| format!("{}={}", m.method, m.result)).collect::<Vec<_>>().join("; ")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn findings_section(r: &Report) -> Markup {
    html! {
        section #findings {
            h2 { "Findings (" (r.findings.len()) ")" }
            @if r.findings.is_empty() { p { "Nothing noteworthy." } }
            @for (k, f) in r.findings.iter().enumerate() {
                @let sev = serde_name(&f.severity);
                article.finding id=(format!("finding-{k}")) {
                    h3 {
                        span class=(format!("badge sev-{sev}")) { (sev) }
                        " " (f.title)
                    }
                    p.fid { code { (f.id) } @if let Some(h) = f.hop { " · " a href=(format!("#hop-{h}")) { "hop " (h + 1) } } }
                    p { (f.explanation) }
                    @if !f.evidence.is_empty() {
                        pre.evidence {
                            @for e in &f.evidence {
                                "line " (e.line) ": " (e.header) ": " (e.text) "\n"
                            }
                        }
                    }
                }
            }
        }
    }
}
