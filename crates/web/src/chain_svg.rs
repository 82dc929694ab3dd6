//! The hop chain as a picture: a server-rendered SVG, one box per `Received:` hop.
//!
//! The oldest hop is at the bottom and the message climbs to your server at the top, the
//! way the headers stack. Arrows carry the delay between hops, a dashed line marks where
//! trusted infrastructure begins, the hop that recorded the relay is outlined in red, and
//! findings about a hop are pinned beside it (linking to their explanation on the page).
//!
//! Every string in the picture comes from the message. It is placed only in text nodes
//! and attribute values through maud (escaped), clipped to a bounded length and stripped
//! of characters XML forbids, so the same markup is safe inline in HTML and as a
//! standalone `image/svg+xml` document. Colours are presentation attributes, not CSS, so
//! the standalone file looks the same under the strict CSP.

use crate::text::{clip, delay, serde_name, utc};
use maud::{html, Markup};
use relayhunt_analyze::report::{Finding, Report};
use relayhunt_received::Hop;

/// Hops drawn at most; a longer chain shows its newest hops and says how many are left out.
pub const MAX_HOPS_DRAWN: usize = 60;
/// Findings pinned beside one hop at most (the rest are counted).
pub const MAX_PINS_PER_HOP: usize = 3;

const WIDTH: i64 = 940;
const BOX_X: i64 = 20;
const BOX_W: i64 = 560;
const BOX_H: i64 = 92;
const GAP: i64 = 60;
const TOP: i64 = 44;
const BOTTOM: i64 = 44;
const PIN_X: i64 = 620;
const PIN_W: i64 = 300;
const PIN_H: i64 = 24;

/// Colours of a hop box by its role (fill, stroke, dashed).
fn role_style(role: &str) -> (&'static str, &'static str, bool) {
    match role {
        "trusted" => ("#e8f5e9", "#2e7d32", false),
        "entry" => ("#fff8e1", "#f9a825", false),
        "claimed" => ("#f3f3f3", "#8a8a8a", true),
        _ => ("#eef2f7", "#546e7a", false),
    }
}

/// Colour of a severity (by its JSON name).
pub fn severity_colour(severity: &str) -> &'static str {
    match severity {
        "critical" => "#b71c1c",
        "high" => "#d84315",
        "medium" => "#f57f17",
        "low" => "#1565c0",
        _ => "#607d8b",
    }
}

/// Words for a hop role (by its JSON name), as shown in the box.
pub fn role_label(role: &str) -> String {
    match role {
        "trusted" => "trusted".to_string(),
        "entry" => "entry: trusted receiver, outside client".to_string(),
        "claimed" => "claimed by an untrusted server".to_string(),
        other => other.replace('_', " "),
    }
}

fn by_line(hop: &Hop, index: usize) -> String {
    let by = hop
        .by
        .host
        .clone()
        .or_else(|| hop.by.ip.map(|ip| ip.to_string()))
        .unwrap_or_else(|| "(no by clause)".to_string());
    let sw = hop
        .software
        .as_deref()
        .map(|s| format!(" ({s})"))
        .unwrap_or_default();
    clip(&format!("{}. by {by}{sw}", index + 1), 66)
}

fn from_line(hop: &Hop) -> String {
    let f = &hop.from;
    let mut s = String::from("from ");
    s.push_str(f.helo.as_deref().unwrap_or("?"));
    let mut inner = Vec::new();
    if let Some(r) = &f.rdns {
        inner.push(r.clone());
    }
    if let Some(ip) = f.ip {
        inner.push(format!("[{ip}]"));
    }
    if !inner.is_empty() {
        s.push_str(&format!(" ({})", inner.join(" ")));
    }
    if hop.from == Default::default() {
        s = "from (not recorded)".to_string();
    }
    clip(&s, 76)
}

fn meta_line(hop: &Hop, role: &str) -> String {
    let mut parts = Vec::new();
    if let Some(p) = &hop.protocol_raw {
        parts.push(format!("with {p}"));
    }
    if hop.authenticated {
        parts.push("authenticated".to_string());
    }
    match (&hop.date, &hop.date_raw) {
        (Some(d), _) => parts.push(utc(d.unix)),
        (None, Some(r)) => parts.push(format!("date {r:?} unreadable")),
        (None, None) => parts.push("no date".to_string()),
    }
    parts.push(role_label(role));
    clip(&parts.join(" · "), 84)
}

fn flags_line(flags: &[String]) -> String {
    clip(
        &flags
            .iter()
            .map(|f| f.replace('_', " "))
            .collect::<Vec<_>>()
            .join(", "),
        84,
    )
}

/// The newest hop whose client is the relay: the line that proves the relay handed it on.
pub fn relay_hop(report: &Report) -> Option<usize> {
    let ip = report.relay_ip?;
    report.hops.iter().rposition(|h| h.from.ip == Some(ip))
}

/// Findings pinned to hop `i`: their index in `report.findings`.
fn pins(findings: &[Finding], i: usize) -> Vec<usize> {
    findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.hop == Some(i))
        .map(|(k, _)| k)
        .collect()
}

/// The diagram, ready to put inline in a page or serve as `image/svg+xml`.
pub fn render(report: &Report) -> Markup {
    let n = report.hops.len();
    if n == 0 {
        return html! {
            svg xmlns="http://www.w3.org/2000/svg" class="chain" width="600" height="60"
                viewBox="0 0 600 60" role="img" aria-label="hop chain" {
                text x="10" y="35" font-family="sans-serif" font-size="15" fill="#333" {
                    "No Received: headers: there is no hop chain to draw."
                }
            }
        };
    }
    let start = n.saturating_sub(MAX_HOPS_DRAWN);
    let rows = (n - start) as i64;
    let left_out = start;
    let height = TOP + rows * (BOX_H + GAP) - GAP + BOTTOM + if left_out > 0 { 24 } else { 0 };
    // Row 0 is the top (newest hop).
    let y_of = |i: usize| TOP + (n - 1 - i) as i64 * (BOX_H + GAP);
    let relay = relay_hop(report);
    let mid_x = BOX_X + BOX_W / 2;
    let view_box = format!("0 0 {WIDTH} {height}");
    html! {
        svg xmlns="http://www.w3.org/2000/svg" class="chain" width=(WIDTH) height=(height)
            viewBox=(view_box) role="img" font-family="sans-serif"
            aria-label="hop chain, oldest at the bottom" {
            defs {
                marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7"
                    markerHeight="7" orient="auto-start-reverse" {
                    path d="M 0 0 L 10 5 L 0 10 z" fill="#37474f" {}
                }
            }
            text x=(BOX_X) y="20" font-size="13" fill="#455a64" {
                "▲ newest: delivered to you"
            }
            @if let Some(b) = &report.boundary {
                (boundary(b, y_of(b.entry_hop) + BOX_H, b.entry_hop > start))
            }
            @for i in (start + 1)..n {
                (arrow(report, i, mid_x, y_of(i - 1), y_of(i) + BOX_H))
            }
            @for i in start..n {
                (hop_box(report, i, y_of(i), relay == Some(i)))
            }
            @let bottom_y = TOP + rows * (BOX_H + GAP) - GAP + 30;
            @if left_out > 0 {
                text x=(BOX_X) y=(bottom_y) font-size="13" fill="#b71c1c" {
                    (format!("▼ {left_out} older hops not drawn (see the hop table)"))
                }
            } @else {
                text x=(BOX_X) y=(bottom_y) font-size="13" fill="#455a64" {
                    "▼ oldest: where the message claims to start"
                }
            }
        }
    }
}

fn boundary(
    b: &relayhunt_analyze::report::TrustBoundary,
    y_box_bottom: i64,
    hop_below: bool,
) -> Markup {
    let y = if hop_below {
        y_box_bottom + GAP / 2
    } else {
        y_box_bottom + 14
    };
    html! {
        g class="boundary" {
            title { (clip(&format!("trust boundary: {}", b.trusted_by), 400)) }
            line x1="4" x2=(WIDTH - 4) y1=(y) y2=(y) stroke="#c62828" stroke-width="2"
                stroke-dasharray="8 5" {}
            text x=(PIN_X) y=(y - 6) font-size="12" fill="#2e7d32" {
                "▲ trusted: your infrastructure"
            }
            text x=(PIN_X) y=(y + 15) font-size="12" fill="#c62828" {
                "▼ trust boundary: below is only claimed"
            }
        }
    }
}

fn arrow(report: &Report, i: usize, x: i64, y_from: i64, y_to: i64) -> Markup {
    let entry = report.chain.get(i);
    let flags: Vec<String> = entry
        .map(|c| c.flags.iter().map(serde_name).collect())
        .unwrap_or_default();
    let odd = flags
        .iter()
        .any(|f| f == "negative_delay" || f == "huge_delay");
    let label = entry.and_then(|c| c.delay_secs).map(delay);
    let colour = if odd { "#c62828" } else { "#37474f" };
    html! {
        g class="arrow" {
            line x1=(x) x2=(x) y1=(y_from - 2) y2=(y_to + 3) stroke=(colour)
                stroke-width="2" marker-end="url(#arrow)" {}
            @if let Some(l) = label {
                text x=(x + 10) y=((y_from + y_to) / 2 + 5) font-size="13" fill=(colour)
                    font-weight=(if odd { "bold" } else { "normal" }) { (l) }
            }
        }
    }
}

fn hop_box(report: &Report, i: usize, y: i64, is_relay: bool) -> Markup {
    let hop = &report.hops[i];
    let entry = report.chain.get(i);
    let role = entry.map(|c| serde_name(&c.role)).unwrap_or_default();
    let flags: Vec<String> = entry
        .map(|c| c.flags.iter().map(serde_name).collect())
        .unwrap_or_default();
    let (fill, stroke, dashed) = role_style(&role);
    let (stroke, width) = if is_relay {
        ("#c62828", "3.5")
    } else {
        (stroke, "1.5")
    };
    let pinned = pins(&report.findings, i);
    let line = entry.map(|c| c.line).unwrap_or(0);
    html! {
        g class="hop" id=(format!("svg-hop-{i}")) {
            title { (clip(&format!("line {line}: Received: {}", hop.raw), 2000)) }
            rect x=(BOX_X) y=(y) width=(BOX_W) height=(BOX_H) rx="6" fill=(fill)
                stroke=(stroke) stroke-width=(width)
                stroke-dasharray=(if dashed && !is_relay { "6 4" } else { "none" }) {}
            text x=(BOX_X + 12) y=(y + 22) font-size="14" font-weight="bold" fill="#212121" {
                (by_line(hop, i))
            }
            text x=(BOX_X + 12) y=(y + 42) font-size="13" fill="#212121" { (from_line(hop)) }
            text x=(BOX_X + 12) y=(y + 61) font-size="12" fill="#455a64" {
                (meta_line(hop, &role))
            }
            @if !flags.is_empty() {
                text x=(BOX_X + 12) y=(y + 80) font-size="12" fill="#c62828" {
                    (flags_line(&flags))
                }
            }
            @if is_relay {
                @let tag = clip(&format!("RELAY {}", report.relay_ip.map(|ip| ip.to_string()).unwrap_or_default()), 48);
                rect x=(BOX_X + BOX_W - 210) y=(y - 11) width="200" height="22" rx="4"
                    fill="#c62828" {}
                text x=(BOX_X + BOX_W - 110) y=(y + 5) font-size="13" font-weight="bold"
                    fill="#ffffff" text-anchor="middle" { (tag) }
            }
            @for (slot, k) in pinned.iter().take(MAX_PINS_PER_HOP).enumerate() {
                (pin(&report.findings[*k], *k, y + 4 + slot as i64 * (PIN_H + 5)))
            }
            @if pinned.len() > MAX_PINS_PER_HOP {
                text x=(PIN_X + 8) y=(y + 4 + MAX_PINS_PER_HOP as i64 * (PIN_H + 5) + 14)
                    font-size="12" fill="#455a64" {
                    (format!("+{} more findings", pinned.len() - MAX_PINS_PER_HOP))
                }
            }
        }
    }
}

fn pin(f: &Finding, k: usize, y: i64) -> Markup {
    let sev = serde_name(&f.severity);
    let colour = severity_colour(&sev);
    let href = format!("#finding-{k}");
    html! {
        a href=(href) class="pin" {
            title { (clip(&format!("{} [{}]: {}", f.title, f.id, f.explanation), 600)) }
            line x1=(BOX_X + BOX_W) x2=(PIN_X) y1=(y + PIN_H / 2) y2=(y + PIN_H / 2)
                stroke=(colour) stroke-width="1" {}
            rect x=(PIN_X) y=(y) width=(PIN_W) height=(PIN_H) rx="4" fill="#ffffff"
                stroke=(colour) stroke-width="1.5" {}
            rect x=(PIN_X) y=(y) width="8" height=(PIN_H) rx="2" fill=(colour) {}
            text x=(PIN_X + 14) y=(y + 16) font-size="12" fill="#212121" {
                (clip(&format!("{sev}: {}", f.title), 40))
            }
        }
    }
}

/// The standalone SVG document (XML declaration + the same markup as inline).
pub fn document(report: &Report) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.push_str(&render(report).into_string());
    s
}
