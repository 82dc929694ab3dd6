//! RDAP JSON (RFC 9083) → owner facts. Sans-I/O: a parsed document in, values out.
//!
//! The abuse contact sits at different depths per registry — nested under the registrant
//! organisation at ARIN and LACNIC, top-level at RIPE, APNIC and AFRINIC — so the whole
//! entity tree is walked (bounded in depth and count) and every `abuse`-role mailbox is a
//! candidate, whatever other roles share the entity.

use crate::owner::rank::Candidate;
use crate::owner::{ContactSource, DomainAge};
use serde_json::Value;
use std::net::IpAddr;

/// Deepest entity nesting followed; real registries use at most 3.
pub const MAX_ENTITY_DEPTH: usize = 8;
/// Most entities visited in one document.
pub const MAX_ENTITIES: usize = 500;

/// What one RDAP IP-network document says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NetworkFacts {
    pub handle: Option<String>,
    pub name: Option<String>,
    pub start: Option<IpAddr>,
    pub end: Option<IpAddr>,
    pub cidrs: Vec<ipnet::IpNet>,
    pub country: Option<String>,
    pub org: Option<String>,
    pub asns: Vec<u32>,
    pub registered: Option<String>,
    pub last_changed: Option<String>,
    pub candidates: Vec<Candidate>,
    /// Mail domains seen on any entity (for the RFC 2142 fallback).
    pub mail_domains: Vec<String>,
    /// The registry's whois server for this object (`port43`, RFC 9083 §4.7).
    pub port43: Option<String>,
}

/// Why a document could not be read as an IP network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExtractError {
    /// `objectClassName` is not `ip network`.
    #[error("RDAP answer is a {found:?} object, not an ip network")]
    WrongClass { found: String },
    /// The document is an RDAP error response (RFC 9083 §6).
    #[error("RDAP error {code}: {title}")]
    ErrorObject { code: i64, title: String },
}

fn s(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
}

fn event(v: &Value, action: &str) -> Option<String> {
    v.get("events")?
        .as_array()?
        .iter()
        .find(|e| e.get("eventAction").and_then(Value::as_str) == Some(action))
        .and_then(|e| s(e, "eventDate"))
}

fn roles(e: &Value) -> Vec<String> {
    e.get("roles")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|r| r.trim().to_ascii_lowercase())
                .collect()
        })
        .unwrap_or_default()
}

/// Properties of a jCard (RFC 7095): `["vcard", [[name, params, type, value…], …]]`.
fn vcard_props(e: &Value) -> &[Value] {
    e.get("vcardArray")
        .and_then(|v| v.get(1))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn prop_text(p: &Value) -> Option<String> {
    match p.get(3)? {
        Value::String(x) => Some(x.trim().to_string()).filter(|x| !x.is_empty()),
        Value::Array(parts) => {
            let joined: Vec<_> = parts
                .iter()
                .filter_map(Value::as_str)
                .filter(|x| !x.is_empty())
                .collect();
            Some(joined.join(" ")).filter(|x| !x.is_empty())
        }
        _ => None,
    }
}

fn prop_name(p: &Value) -> String {
    p.get(0)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// vCard `pref` (RFC 6350 §5.3), also accepted as `type: pref` (vCard 3 habit some RIRs keep).
fn pref(p: &Value) -> Option<u8> {
    let params = p.get(1)?;
    if let Some(v) = params.get("pref") {
        let n = v
            .as_u64()
            .or_else(|| v.as_str().and_then(|x| x.trim().parse().ok()));
        return n.map(|n| n.clamp(1, 100) as u8);
    }
    let ty = params.get("type")?;
    let has_pref = match ty {
        Value::String(t) => t.eq_ignore_ascii_case("pref"),
        Value::Array(a) => a
            .iter()
            .any(|t| t.as_str().is_some_and(|t| t.eq_ignore_ascii_case("pref"))),
        _ => false,
    };
    has_pref.then_some(1)
}

fn vcard_fn(e: &Value) -> Option<String> {
    vcard_props(e)
        .iter()
        .find(|p| prop_name(p) == "fn")
        .and_then(prop_text)
        .or_else(|| {
            vcard_props(e)
                .iter()
                .find(|p| prop_name(p) == "org")
                .and_then(prop_text)
        })
}

fn vcard_country(e: &Value) -> Option<String> {
    vcard_props(e)
        .iter()
        .find(|p| prop_name(p) == "adr")
        .and_then(|p| {
            p.get(1)
                .and_then(|params| params.get("cc"))
                .and_then(Value::as_str)
                .map(str::to_string)
        })
}

/// JSContact cards (RFC 9553, RDAP extension `jscontact`): `"jscard": {"emails": {"k":
/// {"address": "…", "pref": 1}}}`.
fn jscard_emails(e: &Value) -> Vec<(String, Option<u8>)> {
    let Some(map) = e
        .get("jscard")
        .and_then(|j| j.get("emails"))
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    map.values()
        .filter_map(|m| {
            let a = m.get("address").and_then(Value::as_str)?.trim().to_string();
            let pref = m
                .get("pref")
                .and_then(Value::as_u64)
                .map(|n| n.clamp(1, 100) as u8);
            Some((a, pref))
        })
        .collect()
}

fn jscard_name(e: &Value) -> Option<String> {
    let j = e.get("jscard")?;
    j.get("organizations")
        .and_then(Value::as_object)
        .and_then(|o| {
            o.values()
                .find_map(|v| v.get("name").and_then(Value::as_str))
        })
        .or_else(|| {
            j.get("name")
                .and_then(|n| n.get("full"))
                .and_then(Value::as_str)
        })
        .map(str::to_string)
}

struct Walk<'a> {
    facts: &'a mut NetworkFacts,
    visited: usize,
}

impl Walk<'_> {
    fn entities(&mut self, parent: &Value, depth: usize) {
        if depth >= MAX_ENTITY_DEPTH {
            return;
        }
        let Some(list) = parent.get("entities").and_then(Value::as_array) else {
            return;
        };
        for e in list {
            if self.visited >= MAX_ENTITIES {
                return;
            }
            self.visited += 1;
            self.entity(e, depth);
            self.entities(e, depth + 1);
        }
    }

    fn entity(&mut self, e: &Value, depth: usize) {
        let roles = roles(e);
        let handle = s(e, "handle").unwrap_or_else(|| "(no handle)".into());
        if roles.iter().any(|r| r == "registrant") && self.facts.org.is_none() {
            self.facts.org = vcard_fn(e).or_else(|| jscard_name(e));
            if self.facts.country.is_none() {
                self.facts.country = vcard_country(e);
            }
        }
        let is_abuse = roles.iter().any(|r| r == "abuse");
        let emails = vcard_props(e)
            .iter()
            .filter(|p| prop_name(p) == "email")
            .filter_map(|p| prop_text(p).map(|t| (t, pref(p))))
            .chain(jscard_emails(e));
        for (email, pref) in emails {
            if let Some((_, d)) = email.rsplit_once('@') {
                let d = d.trim().to_ascii_lowercase();
                if !self.facts.mail_domains.contains(&d) {
                    self.facts.mail_domains.push(d);
                }
            }
            let local_says_abuse = email.to_ascii_lowercase().starts_with("abuse");
            let source = if is_abuse {
                ContactSource::RdapAbuseRole
            } else if local_says_abuse {
                ContactSource::RdapOtherRole
            } else {
                continue;
            };
            self.facts.candidates.push(Candidate {
                email,
                source,
                pref,
                depth,
                found_at: format!(
                    "RDAP entity {handle}, roles {}, depth {depth}",
                    if roles.is_empty() {
                        "(none)".to_string()
                    } else {
                        roles.join("+")
                    }
                ),
            });
        }
    }
}

fn check_class(doc: &Value, want: &str) -> Result<(), ExtractError> {
    if let Some(code) = doc.get("errorCode").and_then(Value::as_i64) {
        return Err(ExtractError::ErrorObject {
            code,
            title: s(doc, "title").unwrap_or_default(),
        });
    }
    let class = s(doc, "objectClassName").unwrap_or_default();
    if !class.eq_ignore_ascii_case(want) {
        return Err(ExtractError::WrongClass { found: class });
    }
    Ok(())
}

/// Read an RDAP `ip network` document.
pub fn network(doc: &Value) -> Result<NetworkFacts, ExtractError> {
    check_class(doc, "ip network")?;
    let mut f = NetworkFacts {
        handle: s(doc, "handle"),
        name: s(doc, "name"),
        start: s(doc, "startAddress").and_then(|a| a.parse().ok()),
        end: s(doc, "endAddress").and_then(|a| a.parse().ok()),
        country: s(doc, "country"),
        registered: event(doc, "registration"),
        last_changed: event(doc, "last changed"),
        port43: s(doc, "port43")
            .map(|p| p.to_ascii_lowercase())
            .filter(|p| {
                p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-".contains(c))
            }),
        ..NetworkFacts::default()
    };
    // RDAP cidr0 extension: [{"v4prefix": "198.51.100.0", "length": 24}]
    for c in doc
        .get("cidr0_cidrs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let prefix = s(c, "v4prefix").or_else(|| s(c, "v6prefix"));
        let len = c.get("length").and_then(Value::as_u64);
        if let (Some(p), Some(l)) = (prefix, len) {
            if let Ok(net) = format!("{p}/{l}").parse::<ipnet::IpNet>() {
                f.cidrs.push(net);
            }
        }
    }
    if f.cidrs.is_empty() {
        if let (Some(a), Some(b)) = (f.start, f.end) {
            f.cidrs = range_to_cidrs(a, b);
        }
    }
    // ARIN origin AS extension.
    for a in doc
        .get("arin_originas0_originautnums")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(n) = a.as_u64().and_then(|n| u32::try_from(n).ok()) {
            f.asns.push(n);
        }
    }
    Walk {
        facts: &mut f,
        visited: 0,
    }
    .entities(doc, 0);
    Ok(f)
}

/// Split an address range into the CIDR blocks that cover it exactly (bounded to 64 blocks).
pub fn range_to_cidrs(a: IpAddr, b: IpAddr) -> Vec<ipnet::IpNet> {
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) if a <= b => ipnet::Ipv4Subnets::new(a, b, 0)
            .take(64)
            .map(ipnet::IpNet::V4)
            .collect(),
        (IpAddr::V6(a), IpAddr::V6(b)) if a <= b => ipnet::Ipv6Subnets::new(a, b, 0)
            .take(64)
            .map(ipnet::IpNet::V6)
            .collect(),
        _ => Vec::new(),
    }
}

/// Read an RDAP `domain` document into its age, relative to `now_unix`.
pub fn domain(
    doc: &Value,
    asked: &str,
    now_unix: i64,
    new_days: i64,
) -> Result<DomainAge, ExtractError> {
    check_class(doc, "domain")?;
    let registered = event(doc, "registration");
    let age_days = registered
        .as_deref()
        .and_then(rfc3339_unix)
        .map(|t| (now_unix - t).div_euclid(86_400));
    let registrar = doc
        .get("entities")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|e| roles(e).iter().any(|r| r == "registrar"))
        .and_then(vcard_fn);
    Ok(DomainAge {
        domain: s(doc, "ldhName")
            .unwrap_or_else(|| asked.to_string())
            .to_ascii_lowercase(),
        newly_registered: age_days.is_some_and(|d| (0..=new_days).contains(&d) || d < 0),
        registered,
        age_days,
        registrar,
        source: None,
    })
}

/// Parse the RFC 3339 timestamps RDAP uses (`2026-11-02T08:15:00Z`, offsets, fractions).
pub fn rfc3339_unix(t: &str) -> Option<i64> {
    let t = t.trim();
    let b = t.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| t.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut rest = &t[19..];
    if let Some(r) = rest.strip_prefix('.') {
        rest = r.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let offset = match rest {
        "" | "Z" | "z" => 0,
        o if o.len() == 6 && (o.starts_with('+') || o.starts_with('-')) => {
            let oh: i64 = o.get(1..3)?.parse().ok()?;
            let om: i64 = o.get(4..6)?.parse().ok()?;
            let v = oh * 3600 + om * 60;
            if o.starts_with('-') {
                -v
            } else {
                v
            }
        }
        _ => return None,
    };
    // Days from civil (Howard Hinnant's algorithm).
    let (yy, mm) = if mo <= 2 {
        (y - 1, mo + 9)
    } else {
        (y, mo - 3)
    };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doy = (153 * mm + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + se - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_parses_utc_offsets_and_fractions() {
        assert_eq!(rfc3339_unix("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(rfc3339_unix("2026-05-14T21:20:01Z"), Some(1_778_793_601));
        assert_eq!(
            rfc3339_unix("2026-05-14T14:20:01-07:00"),
            Some(1_778_793_601)
        );
        assert_eq!(
            rfc3339_unix("2026-05-14T21:20:01.123Z"),
            Some(1_778_793_601)
        );
        assert_eq!(rfc3339_unix("2026-13-14T21:20:01Z"), None);
        assert_eq!(rfc3339_unix("yesterday"), None);
    }

    #[test]
    fn jscontact_cards_are_read_like_vcards() {
        let doc = serde_json::json!({
            "objectClassName": "ip network",
            "entities": [
                {"objectClassName": "entity", "handle": "ORG-J", "roles": ["registrant"],
                 "jscard": {"@type": "Card", "version": "1.0", "organizations": {"o": {"name": "JS Cloud AG"}}}},
                {"objectClassName": "entity", "handle": "AB-J", "roles": ["abuse"],
                 "jscard": {"@type": "Card", "version": "1.0",
                            "emails": {"e1": {"address": "noc@jscloud.test", "pref": 2},
                                       "e2": {"address": "abuse@jscloud.test", "pref": 1}}}}
            ]
        });
        let f = network(&doc).unwrap();
        assert_eq!(f.org.as_deref(), Some("JS Cloud AG"));
        let mut notes = vec![];
        let ranked = crate::owner::rank::rank(f.candidates, &mut notes);
        let emails: Vec<_> = ranked.iter().map(|c| c.email.as_str()).collect();
        assert_eq!(emails, ["abuse@jscloud.test", "noc@jscloud.test"]);
    }

    #[test]
    fn a_non_aligned_range_becomes_several_cidrs() {
        let c = range_to_cidrs(
            "198.51.100.0".parse().unwrap(),
            "198.51.101.127".parse().unwrap(),
        );
        let c: Vec<_> = c.iter().map(ToString::to_string).collect();
        assert_eq!(c, ["198.51.100.0/24", "198.51.101.0/25"]);
    }
}
