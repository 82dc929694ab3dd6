//! Business-email-compromise signals in the identity headers: replies or bounces routed to
//! another organisation than the visible sender, and display names that carry an address.
//!
//! These do not depend on the relay chain: a CEO-fraud message is just as dangerous when
//! it came through a perfectly ordinary server.

use super::findings::{self as f, finding, quote};
use super::identity::{addr_domain, org_cow, org_domain};
use crate::report::{Finding, MessageSummary, Severity};
use crate::Message;

/// Run the checks.
pub fn check(msg: &Message, s: &MessageSummary) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(from) = s.from.as_ref() else {
        return out;
    };
    // Evidence is quoted only when a check fires (most messages pass all three).
    let from_field = || msg.first("From").map(quote);
    let from_dom = from.domain.clone();
    let from_org = from_dom.as_deref().and_then(org_cow);
    let addr = from.address.as_deref().unwrap_or_default();

    // Lists set Reply-To to the list itself; that is not a redirection.
    let list_orgs = || -> Vec<String> {
        [
            "List-Post",
            "X-BeenThere",
            "List-Id",
            "Sender",
            "Mailing-List",
            "List-Unsubscribe",
        ]
        .iter()
        .filter_map(|n| msg.first(n))
        .filter_map(|h| {
            let v = h.value().to_ascii_lowercase();
            let inner = match (v.rfind('<'), v.rfind('>')) {
                (Some(a), Some(b)) if b > a => v[a + 1..b].to_string(),
                _ => v.trim().to_string(),
            };
            let inner = inner.trim_start_matches("mailto:").to_string();
            addr_domain(&inner)
                .or_else(|| Some(inner.clone()))
                .and_then(|d| org_domain(&d))
        })
        .collect()
    };
    if let (Some(fo), Some(rt)) = (&from_org, s.reply_to.as_ref()) {
        if let Some(ro) = rt.domain.as_deref().and_then(org_cow) {
            if &ro != fo && !list_orgs().iter().any(|o| *o == ro) {
                let mut ev: Vec<_> = from_field().into_iter().collect();
                ev.extend(msg.first("Reply-To").map(quote));
                out.push(finding(
                    &f::BEC_REPLY_TO,
                    Severity::Medium,
                    None,
                    format!(
                        "The message is from {addr} but replies go to {} ({ro}), another organisation. A reply would reach whoever controls {ro}, not the apparent sender — the core trick of business email compromise.",
                        rt.address.as_deref().unwrap_or_default()
                    ),
                    ev,
                ));
            }
        }
    }
    if let (Some(fo), Some(rp)) = (&from_org, s.return_path.as_deref()) {
        if let Some(po) = addr_domain(rp).and_then(|d| org_domain(&d)) {
            if &po != fo {
                let mut ev: Vec<_> = from_field().into_iter().collect();
                ev.extend(msg.first("Return-Path").map(quote));
                out.push(finding(
                    &f::BEC_RETURN_PATH,
                    Severity::Low,
                    None,
                    [
                        "The envelope sender (Return-Path ",
                        rp,
                        ") belongs to ",
                        &po,
                        ", not to ",
                        fo,
                        " of the From address. Mailing services do this legitimately; combined with failed authentication it means the From is borrowed.",
                    ]
                    .concat(),
                    ev,
                ));
            }
        }
    }
    if let Some(name) = from.name.as_deref() {
        let embedded = name
            .split(|c: char| {
                c.is_whitespace() || matches!(c, '<' | '>' | '(' | ')' | '"' | '\'' | ',')
            })
            .find(|w| w.contains('@') && addr_domain(w).is_some_and(|d| d.contains('.')));
        if let Some(w) = embedded {
            let wd = addr_domain(w).unwrap_or_default();
            if Some(wd.as_str()) != from_dom.as_deref() {
                out.push(finding(
                    &f::BEC_DISPLAY_NAME,
                    Severity::Medium,
                    None,
                    format!(
                        "The display name shows the address {w}, but the message is really from {addr}. Mail clients often show only the name, so the reader sees an address the sender does not own."
                    ),
                    from_field().into_iter().collect(),
                ));
            }
        }
    }
    out
}
