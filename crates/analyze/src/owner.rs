//! `analyze --owner`: who owns the relay and origin IPs a report names.
//!
//! The lookup itself (RDAP, whois, cache) lives in the takedown crate, which builds on this
//! one; so this crate only defines the hook and where its answers go. The binary passes an
//! implementation in, and the answers ride along with each analysed message.

use serde::Serialize;
use std::net::IpAddr;

/// Something that can name the owner of an IP address.
pub trait OwnerLookup {
    /// Look up `ip`. `Ok` carries the owner as JSON plus a one-line summary for people;
    /// `Err` says why this IP could not be looked up (shown per IP, the run goes on).
    fn lookup(&self, ip: IpAddr) -> Result<OwnerAnswer, String>;
}

/// A successful lookup.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerAnswer {
    /// One line: network, organisation, country, best abuse address.
    pub summary: String,
    /// The full owner record (shape documented with `relayhunt whois --json`).
    pub owner: serde_json::Value,
}

/// The owner of one IP a report names.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerNote {
    /// `relay` (the first untrusted relay) or `origin` (the claimed origin below it).
    pub role: &'static str,
    /// The address looked up.
    pub ip: IpAddr,
    /// The answer, when the lookup worked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<OwnerAnswer>,
    /// Why the lookup failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Look up the relay and origin IPs of a report (each once).
pub fn owners_of(report: &crate::Report, lookup: &dyn OwnerLookup) -> Vec<OwnerNote> {
    let mut notes: Vec<OwnerNote> = Vec::new();
    for (role, ip) in [("relay", report.relay_ip), ("origin", report.origin_ip)] {
        let Some(ip) = ip else { continue };
        if notes.iter().any(|n| n.ip == ip) {
            continue;
        }
        let (answer, error) = match lookup.lookup(ip) {
            Ok(a) => (Some(a), None),
            Err(e) => (None, Some(e)),
        };
        notes.push(OwnerNote {
            role,
            ip,
            answer,
            error,
        });
    }
    notes
}

/// `--owner` as organisation relatedness: when the unexplained relay and the client it
/// accepted the message from (the report's `origin_ip`) belong to one network owner (same
/// registered organisation or origin AS, or one's registered network holds the other), the
/// relay served its own network's customer. The report gets an `owner.same_network` signal
/// against an open relay, is graded again, and the hop's role becomes a customer smarthost.
pub fn relate(report: &mut crate::Report, notes: &[OwnerNote]) {
    let Some(a) = report.relay.as_ref() else {
        return;
    };
    let (Some(relay_ip), Some(origin_ip)) = (a.relay_ip, report.origin_ip) else {
        return;
    };
    let owner = |ip: IpAddr| {
        notes
            .iter()
            .find(|n| n.ip == ip)
            .and_then(|n| n.answer.as_ref())
            .map(|a| &a.owner)
    };
    let (Some(r), Some(o)) = (owner(relay_ip), owner(origin_ip)) else {
        return;
    };
    let Some(why) = same_owner(r, o, relay_ip, origin_ip) else {
        return;
    };
    let hop = a.hop;
    crate::engine::verdict::corroborate(
        report,
        [crate::report::Signal {
            id: std::borrow::Cow::Borrowed("owner.same_network"),
            weight: -0.6,
            reason: format!("relay {relay_ip} and its client {origin_ip} {why}"),
            evidence: Vec::new(),
        }],
    );
    if let Some(c) = report.chain.get_mut(hop) {
        c.hop_role = crate::report::HopRoleInfo {
            kind: crate::report::HopKind::CustomerSmarthost,
            rule: "owner.same_network",
            why: format!("the relay and its client {why} (--owner)"),
        };
    }
}

/// Why two owner records (as `relayhunt whois --json` prints them) are one network owner.
fn same_owner(
    r: &serde_json::Value,
    o: &serde_json::Value,
    r_ip: IpAddr,
    o_ip: IpAddr,
) -> Option<String> {
    let text = |v: &serde_json::Value, k: &str| {
        v.get(k)
            .and_then(serde_json::Value::as_str)
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
    };
    if let (Some(a), Some(b)) = (text(r, "org"), text(o, "org")) {
        if a == b {
            return Some(format!("are both registered to {a}"));
        }
    }
    let asns = |v: &serde_json::Value| -> Vec<u64> {
        v.get("asns")
            .and_then(serde_json::Value::as_array)
            .map(|a| a.iter().filter_map(serde_json::Value::as_u64).collect())
            .unwrap_or_default()
    };
    let oa = asns(o);
    if let Some(x) = asns(r).into_iter().find(|x| oa.contains(x)) {
        return Some(format!("are both announced by AS{x}"));
    }
    let holds = |v: &serde_json::Value, ip: IpAddr| {
        v.get("cidrs")
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str()?.parse::<ipnet::IpNet>().ok())
            .any(|n| n.contains(&ip))
    };
    if holds(r, o_ip) || holds(o, r_ip) {
        return Some("are in one registered network".to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_owner_by_org_asn_or_network() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let (r, o) = (ip("194.73.73.93"), ip("217.35.23.133"));
        let bt = json!({"org": "British Telecommunications PLC", "asns": [2856]});
        let bt2 = json!({"org": "british telecommunications plc"});
        assert!(same_owner(&bt, &bt2, r, o).unwrap().contains("registered"));
        let as_only = json!({"asns": [2856, 5400]});
        assert!(same_owner(&bt, &as_only, r, o).unwrap().contains("AS2856"));
        let net = json!({"cidrs": ["217.32.0.0/12"]});
        assert!(same_owner(&net, &json!({}), r, o).is_some());
        let other = json!({"org": "Other Networks", "asns": [64500], "cidrs": ["203.0.113.0/24"]});
        assert!(same_owner(&bt, &other, r, o).is_none());
    }
}
