//! Authentication evidence: which results to believe and what they add up to.
//!
//! Anyone can write an `Authentication-Results:` header into a message before sending it,
//! so only results from trusted authserv-ids (RFC 8601 §5) that sit above the header the
//! first untrusted relay wrote — added once trusted infrastructure had the message — count.

pub mod alignment;
pub mod results;

use crate::report::{AuthReport, DkimOutcome};
use crate::Message;

/// Build the authentication report. `limit_line` is the line of the `Received:` header
/// the first untrusted relay wrote (the one just below the entry hop): results below it
/// were in the message before trusted infrastructure saw it. (Results cannot be required
/// to sit above the entry hop itself: Gmail writes its `Authentication-Results:` just
/// below its own `Received:`.) `from_domain` is the `From:` domain, `return_path` the
/// topmost `Return-Path:` address.
pub fn evaluate(
    msg: &Message,
    trusted_ids: &[String],
    limit_line: Option<usize>,
    from_domain: Option<&str>,
    return_path: Option<&str>,
) -> AuthReport {
    let above = |line: usize| limit_line.is_none_or(|e| line < e);
    let mut results: Vec<_> = msg
        .all("Authentication-Results")
        .map(|h| results::parse_authentication_results(h.value(), h.line))
        .collect();
    let arc: Vec<_> = msg
        .all("ARC-Authentication-Results")
        .map(|h| results::parse_arc_authentication_results(h.value(), h.line))
        .collect();
    let mut received_spf: Vec<_> = msg
        .all("Received-SPF")
        .map(|h| results::parse_received_spf(h.value(), h.line))
        .collect();

    // Which ids to believe: configured, else the topmost header's id ("" = no id).
    let ids: Vec<String> = if trusted_ids.is_empty() {
        results
            .first()
            .map(|r| vec![r.authserv_id.clone().unwrap_or_default()])
            .unwrap_or_default()
    } else {
        trusted_ids
            .iter()
            .map(|s| s.trim().to_ascii_lowercase())
            .collect()
    };
    for r in &mut results {
        let id = r.authserv_id.clone().unwrap_or_default();
        r.trusted = ids.contains(&id) && above(r.line);
    }
    for s in &mut received_spf {
        s.trusted = above(s.line);
    }

    let trusted: Vec<_> = results.iter().filter(|r| r.trusted).collect();
    let first_method = |name: &str| {
        trusted
            .iter()
            .flat_map(|r| r.methods.iter())
            .find(|m| m.method == name)
    };
    let spf_m = first_method("spf");
    let spf = spf_m.map(|m| m.result.clone()).or_else(|| {
        received_spf
            .iter()
            .find(|s| s.trusted)
            .map(|s| s.result.clone())
    });
    let dkim: Vec<DkimOutcome> = trusted
        .iter()
        .flat_map(|r| r.methods.iter())
        .filter(|m| m.method == "dkim")
        .map(|m| DkimOutcome {
            result: m.result.clone(),
            domain: m
                .get("header.d")
                .and_then(alignment::identity_domain)
                .or_else(|| m.get("header.i").and_then(alignment::identity_domain)),
        })
        .collect();
    let dmarc = first_method("dmarc").map(|m| m.result.clone());

    let mail_from = spf_m
        .and_then(|m| m.get("smtp.mailfrom"))
        .and_then(alignment::identity_domain)
        .or_else(|| {
            received_spf.iter().filter(|s| s.trusted).find_map(|s| {
                s.envelope_from
                    .as_deref()
                    .and_then(alignment::identity_domain)
            })
        })
        .or_else(|| return_path.and_then(alignment::identity_domain));
    let dkim_pass: Vec<String> = dkim
        .iter()
        .filter(|d| d.result == "pass")
        .filter_map(|d| d.domain.clone())
        .collect();
    let have = spf.is_some() || !dkim.is_empty();
    let alignment = alignment::compute(
        from_domain,
        mail_from.as_deref(),
        &dkim_pass,
        spf.as_deref() == Some("pass"),
        have,
    );
    AuthReport {
        trusted_authserv_ids: ids,
        results,
        arc,
        received_spf,
        spf,
        dkim,
        dmarc,
        alignment,
    }
}
