//! Pages over the store: the relay list with its filters, one relay's history, one stored
//! message, probe runs and audits.
//!
//! Every value here was read back from the store, and most of it was first written by a
//! stranger (HELO, rDNS, subject, an SMTP banner in a transcript, a config value quoted by
//! an audit) or by another client of a shared PostgreSQL store. maud escapes each value;
//! values that become part of a class name or a URL are reduced to safe characters first.

use super::analysis::words;
use super::layout::page;
use crate::stored::{json_value, RelayQuery};
use crate::text::{clip, delay, utc};
use maud::{html, Markup};
use relayhunt_store::{
    AuditRow, MessageRow, ProbeResultRow, ProbeRun, Relay, RelayHistory, ReportRow, StoredMessage,
};
use std::net::IpAddr;

fn when(t: i64) -> String {
    utc(t)
}

fn maybe_when(t: Option<i64>) -> String {
    t.map(utc).unwrap_or_default()
}

/// A store string for a class name: lower-case letters and digits only.
fn class_word(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .take(24)
        .collect::<String>()
        .to_ascii_lowercase()
}

fn severity_badge(severity: &str, label: &str) -> Markup {
    html! { span class=(format!("badge sev-{}", class_word(severity))) { (label) } }
}

/// A link to a relay's page, when `ip` is an address (anything else is shown as text).
fn relay_link(ip: &str) -> Markup {
    match ip.parse::<IpAddr>() {
        Ok(a) => html! { a href=(format!("/relays/{a}")) { (a) } },
        Err(_) => html! { (clip(ip, 60)) },
    }
}

fn opt(s: &Option<String>, max: usize) -> String {
    s.as_deref().map(|v| clip(v, max)).unwrap_or_default()
}

fn selected(cur: Option<&str>, v: &str) -> bool {
    cur.unwrap_or("") == v
}

/// The relay list and its filter form (a GET form, so a filtered list has a URL).
pub fn relay_list(q: &RelayQuery, relays: &[Relay]) -> Markup {
    let reported = q.reported.as_deref();
    let sort = q.sort.as_deref();
    let api = format!(
        "/api/relays{}",
        serde_urlencoded_query(q)
            .map(|s| format!("?{s}"))
            .unwrap_or_default()
    );
    let body = html! {
        h1 { "Relays" }
        p.lead { "Every address the store has seen hand over a message, probed or reported." }
        form.filters method="get" action="/relays" {
            label { "Seen since " input type="text" name="since" placeholder="7d, 2026-11-01" value=(q.since.as_deref().unwrap_or("")); }
            label { "Verdict " input type="text" name="verdict" placeholder="open_relay_suspected, open" value=(q.verdict.as_deref().unwrap_or("")); }
            label { "Reported "
                select name="reported" {
                    option value="" selected[selected(reported, "")] { "any" }
                    option value="yes" selected[selected(reported, "yes")] { "yes" }
                    option value="no" selected[selected(reported, "no")] { "no" }
                }
            }
            label { "Order "
                select name="sort" {
                    option value="last-seen" selected[selected(sort, "last-seen")] { "last seen" }
                    option value="messages" selected[selected(sort, "messages")] { "messages" }
                }
            }
            button type="submit" { "Filter" }
        }
        @if relays.is_empty() {
            p #no-relays { "No relay matches. " a href="/" { "Analyze a message" } " and tick “Keep in the store”, or run "
                code { "relayhunt analyze --store" } "." }
        } @else {
            table.list #relays {
                thead { tr { th { "IP" } th { "Reverse DNS" } th { "HELO" } th { "Last seen (UTC)" } th { "First seen" } th { "Messages" } th { "Last probe" } th { "Reports" } th { "Owner · abuse contact" } } }
                tbody {
                    @for r in relays {
                        tr {
                            td { (relay_link(&r.ip)) }
                            td { (opt(&r.rdns, 80)) }
                            td { (opt(&r.helo, 80)) }
                            td { (when(r.last_seen)) }
                            td { (when(r.first_seen)) }
                            td.num { (r.message_count) }
                            td { (opt(&r.last_probe_verdict, 30)) }
                            td.num { (r.report_count) }
                            td { (opt(&r.owner, 120)) @if let Some(a) = &r.abuse_contact { br; (clip(a, 80)) } }
                        }
                    }
                }
            }
        }
    };
    page("Relays", Some(&api), body)
}

/// The relay query as URL parameters (only those set), for the JSON link.
fn serde_urlencoded_query(q: &RelayQuery) -> Option<String> {
    let mut parts = Vec::new();
    let mut add = |k: &str, v: &Option<String>| {
        if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            parts.push(format!("{k}={}", percent(v)));
        }
    };
    add("since", &q.since);
    add("verdict", &q.verdict);
    add("reported", &q.reported);
    add("sort", &q.sort);
    if let Some(l) = q.limit {
        parts.push(format!("limit={l}"));
    }
    (!parts.is_empty()).then(|| parts.join("&"))
}

/// Percent-encode everything but unreserved characters.
fn percent(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn messages_table(messages: &[MessageRow]) -> Markup {
    html! {
        table.list #relay-messages {
            thead { tr { th { "Seen (UTC)" } th { "Subject" } th { "From" } th { "Verdict" } th { "Source" } } }
            tbody {
                @for m in messages {
                    tr {
                        td { (when(m.seen_at)) }
                        td { a href=(format!("/messages/{}", m.id)) { (clip(m.subject.as_deref().unwrap_or("(no subject)"), 90)) } }
                        td { (opt(&m.from_addr, 80)) }
                        td { (severity_badge(&m.severity, &words(&m.verdict))) }
                        td { (clip(&m.source, 80)) }
                    }
                }
            }
        }
    }
}

fn probes_table(probes: &[ProbeResultRow], id: &str) -> Markup {
    html! {
        table.list id=(id) {
            thead { tr { th { "Probed (UTC)" } th { "Target" } th { "Port" } th { "Verdict" } th { "Why" } th { "Run" } } }
            tbody {
                @for p in probes {
                    tr {
                        td { (when(p.probed_at)) }
                        td { (clip(&p.target, 80)) }
                        td { (p.port.map(|x| x.to_string()).unwrap_or_default()) }
                        td { (clip(&p.verdict, 30)) @if let Some(e) = &p.open_evidence { " (" (clip(e, 20)) ")" } }
                        td { (clip(&p.detail, 300)) }
                        td { a href=(format!("/probes/{}", p.run)) { "#" (p.run) } }
                    }
                }
            }
        }
    }
}

fn reports_table(reports: &[ReportRow]) -> Markup {
    html! {
        table.list #relay-reports {
            thead { tr { th { "Written (UTC)" } th { "Status" } th { "Format" } th { "To" } th { "Where" } th { "Detail" } } }
            tbody {
                @for r in reports {
                    tr {
                        td { (when(r.created_at)) }
                        td { (clip(&r.status, 20)) }
                        td { (clip(&r.format, 20)) }
                        td { (opt(&r.recipient, 80)) }
                        td { (opt(&r.destination, 120)) }
                        td { (opt(&r.detail, 200)) }
                    }
                }
            }
        }
    }
}

/// One relay's history across messages, probes and reports.
pub fn relay(ip: IpAddr, h: Option<&RelayHistory>) -> Markup {
    let body = html! {
        h1 #relay-ip { "Relay " (ip) }
        @match h {
            None => {
                p #not-stored { "The store has nothing about this address yet. Analyze a message with “Keep in the store” ticked, or run "
                    code { "relayhunt analyze --store" } ", " code { "relayhunt probe --store" } "." }
            }
            Some(h) => {
                @let r = &h.relay;
                table.kv {
                    tr { th { "Reverse DNS" } td #relay-rdns { (r.rdns.as_deref().map(|d| clip(d, 200)).unwrap_or_else(|| "not recorded".into())) } }
                    tr { th { "HELO" } td #relay-helo { (r.helo.as_deref().map(|d| clip(d, 200)).unwrap_or_else(|| "not recorded".into())) } }
                    tr { th { "First seen" } td { (when(r.first_seen)) } }
                    tr { th { "Last seen" } td { (when(r.last_seen)) } }
                    tr { th { "Messages" } td #message-count { (r.message_count) } }
                    tr { th { "Probes" } td { (r.probe_count) @if let Some(v) = &r.last_probe_verdict { " · last " (clip(v, 30)) " at " (maybe_when(r.last_probed_at)) } } }
                    tr { th { "Reports" } td { (r.report_count) @if let Some(t) = r.last_reported_at { " · last " (when(t)) } } }
                    tr { th { "Owner" } td { (r.owner.as_deref().map(|d| clip(d, 300)).unwrap_or_else(|| "not looked up".into())) } }
                    tr { th { "Abuse contact" } td { (r.abuse_contact.as_deref().map(|d| clip(d, 120)).unwrap_or_else(|| "not looked up".into())) } }
                }
                h2 { "Messages through this relay (" (h.messages.len()) ")" }
                @if h.messages.is_empty() { p { "None stored." } } @else { (messages_table(&h.messages)) }
                h2 { "Probes (" (h.probes.len()) ")" }
                @if h.probes.is_empty() { p { "Never probed with " code { "--store" } "." } } @else { (probes_table(&h.probes, "relay-probes")) }
                h2 { "Abuse reports (" (h.reports.len()) ")" }
                @if h.reports.is_empty() { p { "None written." } } @else { (reports_table(&h.reports)) }
            }
        }
    };
    page(
        &format!("Relay {ip}"),
        Some(&format!("/api/relays/{ip}")),
        body,
    )
}

/// One stored message: what the list shows, its hops and findings.
pub fn message(m: &StoredMessage) -> Markup {
    let r = &m.row;
    let body = html! {
        p.kicker { "Stored message #" (r.id) }
        h1 #message-subject { (clip(r.subject.as_deref().unwrap_or("(no subject)"), 200)) }
        table.kv {
            tr { th { "Verdict" } td { (severity_badge(&r.severity, &words(&r.verdict))) " " (clip(&r.severity, 20)) } }
            tr { th { "Relay" } td { @if let Some(ip) = &r.relay_ip { (relay_link(ip)) } } }
            tr { th { "Claimed origin" } td { @if let Some(ip) = &r.origin_ip { (relay_link(ip)) } } }
            tr { th { "From" } td { (opt(&r.from_name, 120)) " " (opt(&r.from_addr, 120)) } }
            tr { th { "Message-ID" } td { (opt(&r.message_id, 200)) } }
            tr { th { "Seen" } td { (when(r.seen_at)) } }
            tr { th { "Date:" } td { (maybe_when(r.date_unix)) } }
            tr { th { "Stored" } td { (when(r.stored_at)) " from " (clip(&r.source, 200)) } }
            tr { th { "SHA-256" } td { code { (clip(&r.content_hash, 64)) } } }
        }
        h2 { "Hops, oldest first" }
        table.list #stored-hops {
            thead { tr { th { "#" } th { "Role" } th { "From" } th { "By" } th { "With" } th { "Date (UTC)" } th { "Delay" } th { "Flags" } } }
            tbody {
                @for (i, h) in m.hops.iter().enumerate() {
                    tr class=(format!("role-{}", class_word(&h.role))) {
                        td { (i + 1) }
                        td { (clip(&h.role, 20)) @if h.trusted { " (trusted)" } }
                        td {
                            (h.from_ip.map(|ip| ip.to_string()).unwrap_or_default())
                            @if let Some(d) = &h.from_rdns { br; "rDNS " (clip(d, 120)) }
                            @if let Some(x) = &h.from_helo { br; "HELO " (clip(x, 120)) }
                        }
                        td { (opt(&h.by_host, 120)) }
                        td { (opt(&h.protocol, 30)) }
                        td { (maybe_when(h.date_unix)) }
                        td { (h.delay_secs.map(delay).unwrap_or_default()) }
                        td.flags { (h.flags.iter().map(|f| clip(f, 40)).collect::<Vec<_>>().join(", ")) }
                    }
                    tr { td colspan="8" { pre.evidence { (clip(&h.raw, 2000)) } } }
                }
            }
        }
        h2 { "Findings (" (m.findings.len()) ")" }
        @if m.findings.is_empty() { p { "None." } } @else {
            table.list #stored-findings {
                thead { tr { th { "Severity" } th { "Finding" } th { "Title" } th { "Hop" } } }
                tbody {
                    @for f in &m.findings {
                        tr {
                            td { (severity_badge(&f.severity, &clip(&f.severity, 20))) }
                            td { code { (clip(&f.id, 80)) } }
                            td { (clip(&f.title, 200)) }
                            td { (f.hop.map(|h| (h + 1).to_string()).unwrap_or_default()) }
                        }
                    }
                }
            }
        }
    };
    page(
        &format!("Stored message #{}", r.id),
        Some(&format!("/api/messages/{}", r.id)),
        body,
    )
}

/// Probe runs, newest first.
pub fn probe_runs(runs: &[ProbeRun]) -> Markup {
    let body = html! {
        h1 { "Probe runs" }
        @if runs.is_empty() {
            p #no-probes { "No probe run stored. Run " code { "relayhunt probe --store TARGET" } "." }
        } @else {
            table.list #probe-runs {
                thead { tr { th { "Run" } th { "Started (UTC)" } th { "Finished" } th { "Targets" } th { "Findings" } th { "Failures" } th { "Options" } } }
                tbody {
                    @for r in runs {
                        tr {
                            td { a href=(format!("/probes/{}", r.id)) { "#" (r.id) } }
                            td { (when(r.started_at)) }
                            td { (r.finished_at.map(utc).unwrap_or_else(|| "cut short".into())) }
                            td.num { (r.targets) }
                            td.num { (r.findings) }
                            td.num { (r.failures) }
                            td { (clip(&r.options, 200)) }
                        }
                    }
                }
            }
        }
    };
    page("Probe runs", Some("/api/probes"), body)
}

/// One probe run with every result and its SMTP transcript.
pub fn probe_run(run: &ProbeRun, results: &[ProbeResultRow]) -> Markup {
    let body = html! {
        h1 #probe-run { "Probe run #" (run.id) }
        table.kv {
            tr { th { "Started" } td { (when(run.started_at)) } }
            tr { th { "Finished" } td { (run.finished_at.map(utc).unwrap_or_else(|| "cut short".into())) } }
            tr { th { "Targets · findings · failures" } td { (run.targets) " · " (run.findings) " · " (run.failures) } }
            tr { th { "Options" } td { (clip(&run.options, 400)) } }
        }
        @for p in results {
            article.finding id=(format!("result-{}", p.id)) {
                h3 { (clip(&p.verdict, 30)) " · " (clip(&p.target, 120))
                    @if let Some(port) = p.port { ":" (port) } }
                p.fid {
                    @if let Some(ip) = &p.ip { (relay_link(ip)) " · " }
                    (when(p.probed_at))
                    @if let Some(ms) = p.duration_ms { " · " (ms) " ms" }
                }
                p { (clip(&p.detail, 1000)) }
                @if let Some(t) = &p.transcript {
                    pre.evidence.transcript { (clip(t, 200_000)) }
                }
            }
        }
    };
    page(
        &format!("Probe run #{}", run.id),
        Some(&format!("/api/probes/{}", run.id)),
        body,
    )
}

/// Audits, newest first.
pub fn audits(audits: &[AuditRow]) -> Markup {
    let body = html! {
        h1 { "Audits" }
        @if audits.is_empty() {
            p #no-audits { "No audit stored. Run " code { "relayhunt audit --store /etc/postfix" } "." }
        } @else {
            table.list #audits {
                thead { tr { th { "Audit" } th { "When (UTC)" } th { "Source" } th { "MTA" } th { "Verdict" } th { "Findings" } th { "Worst" } th { "Warnings" } } }
                tbody {
                    @for a in audits {
                        tr {
                            td { a href=(format!("/audits/{}", a.id)) { "#" (a.id) } }
                            td { (when(a.audited_at)) }
                            td { (clip(&a.source, 160)) }
                            td { (opt(&a.mta, 30)) }
                            td { (opt(&a.verdict, 30)) }
                            td.num { (a.findings) }
                            td { (opt(&a.max_severity, 20)) }
                            td.num { (a.warnings) }
                        }
                    }
                }
            }
        }
    };
    page("Audits", Some("/api/audits"), body)
}

fn text_at<'a>(v: &'a serde_json::Value, path: &[&str]) -> &'a str {
    path.iter()
        .try_fold(v, |v, k| v.get(*k))
        .and_then(|v| v.as_str())
        .unwrap_or("")
}

/// One audit: its findings with file:line, the value, why and the fix; its warnings.
pub fn audit(a: &AuditRow) -> Markup {
    let report = a.report.as_deref().map(json_value).unwrap_or_default();
    let empty = Vec::new();
    let findings = report
        .get("findings")
        .and_then(|f| f.as_array())
        .unwrap_or(&empty);
    let warnings = report
        .get("warnings")
        .and_then(|f| f.as_array())
        .unwrap_or(&empty);
    let line_of = |v: &serde_json::Value| {
        v.get("location")
            .and_then(|l| l.get("line"))
            .and_then(|l| l.as_u64())
            .unwrap_or(0)
    };
    let body = html! {
        p.kicker { "Audit #" (a.id) " · " (when(a.audited_at)) }
        h1 #audit-verdict { (opt(&a.verdict, 40)) }
        table.kv {
            tr { th { "Source" } td { (clip(&a.source, 300)) } }
            tr { th { "MTA" } td { (opt(&a.mta, 40)) } }
            tr { th { "Findings · warnings" } td { (a.findings) " · " (a.warnings) } }
        }
        h2 { "Findings (" (findings.len()) ")" }
        @for f in findings {
            @let sev = text_at(f, &["severity"]);
            article.finding {
                h3 { (severity_badge(sev, &clip(sev, 20))) " " (clip(text_at(f, &["title"]), 200)) }
                p.fid { code { (clip(text_at(f, &["rule"]), 80)) } " · "
                    (clip(text_at(f, &["location", "file"]), 200)) ":" (line_of(f)) }
                pre.evidence { (clip(text_at(f, &["value"]), 2000)) }
                p { (clip(text_at(f, &["why"]), 2000)) }
                p { "Fix: " code { (clip(text_at(f, &["fix"]), 2000)) } }
            }
        }
        @if !warnings.is_empty() {
            h2 { "Not checked (" (warnings.len()) ")" }
            ul {
                @for w in warnings {
                    li { (clip(text_at(w, &["location", "file"]), 200)) ":" (line_of(w)) " — " (clip(text_at(w, &["message"]), 1000)) }
                }
            }
        }
    };
    page(
        &format!("Audit #{}", a.id),
        Some(&format!("/api/audits/{}", a.id)),
        body,
    )
}
