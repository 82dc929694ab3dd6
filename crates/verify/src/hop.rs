//! Per-hop network checks: forward-confirmed reverse DNS, HELO against DNS, blocklists.
//!
//! Only hops whose client is untrusted are checked: the entry hop's client (the relay,
//! recorded by your own server) and every client below it (claims made by untrusted
//! servers). Private addresses are never looked up. FCrDNS (RFC 8601 §2.7.3 "iprev"):
//! the address's PTR names are looked up forward and one of them must lead back to the
//! address. The HELO name is then compared with that confirmed name, and looked up itself.

use crate::dns::{reverse_name, Dns, Kind};
use crate::dnsbl::{self, Listing};
use relayhunt_analyze::engine::identity::{is_ip_literal, literal_ip, org_domain};
use serde::Serialize;
use std::net::IpAddr;

/// Most PTR names followed per address (as SPF's `ptr` limit, RFC 7208 §4.6.4).
pub const MAX_PTR_NAMES: usize = 10;

/// Forward-confirmed reverse DNS outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Fcrdns {
    /// A PTR name resolves back to the address.
    Pass,
    /// PTR names exist but none resolves back to the address.
    Fail,
    /// No PTR record.
    None,
    /// A lookup failed; unknown.
    TempError,
}

/// How the HELO name relates to the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Helo {
    /// The HELO name is the confirmed reverse-DNS name.
    MatchesRdns,
    /// Same organisation as the confirmed reverse-DNS name (Public Suffix List).
    SameOrganisation,
    /// Not the rDNS name, but it resolves to the address.
    ResolvesToIp,
    /// It resolves, but not to this address.
    ResolvesElsewhere,
    /// It does not resolve at all.
    DoesNotResolve,
    /// An address literal equal to the client's address.
    LiteralMatches,
    /// An address literal naming another address.
    LiteralMismatch,
    /// Not a fully qualified name (`DESKTOP-7Q2M4KD`), as end-user machines greet; RFC
    /// 5321 §4.1.1.1 asks for an FQDN or an address literal. Not looked up.
    NotFqdn,
    /// No HELO was recorded.
    Unknown,
    /// A lookup failed (`temperror`, as every other check spells it).
    #[serde(rename = "temperror")]
    TempError,
}

/// The checks for one hop's client.
#[derive(Debug, Clone, Serialize)]
pub struct HopCheck {
    /// Index of the hop in `hops` (0 = oldest).
    pub hop: usize,
    /// `relay` (the entry hop's client), `origin` (the report's origin IP) or `claimed`.
    pub role: &'static str,
    /// The client's address.
    pub ip: IpAddr,
    /// PTR names found now.
    pub ptr: Vec<String>,
    /// FCrDNS outcome.
    pub fcrdns: Fcrdns,
    /// The PTR name that resolves back to the address.
    pub confirmed_name: Option<String>,
    /// The reverse-DNS name the receiving server recorded in the header, if any.
    pub recorded_rdns: Option<String>,
    /// Whether today's PTR names include the recorded one (`None` when nothing was
    /// recorded or the PTR lookup failed).
    pub recorded_rdns_current: Option<bool>,
    /// The HELO name recorded.
    pub helo: Option<String>,
    /// How the HELO name relates to the address.
    pub helo_check: Helo,
    /// Blocklist results, one per zone.
    pub dnsbl: Vec<Listing>,
    /// Lookups that failed for this hop.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

impl HopCheck {
    /// Zones that list this address.
    pub fn listed_in(&self) -> impl Iterator<Item = &Listing> {
        self.dnsbl
            .iter()
            .filter(|l| l.status == dnsbl::Status::Listed)
    }
}

/// What to check for one hop.
pub struct HopTarget<'a> {
    /// Hop index.
    pub hop: usize,
    /// Role label.
    pub role: &'static str,
    /// Client address.
    pub ip: IpAddr,
    /// Recorded rDNS.
    pub rdns: Option<&'a str>,
    /// Recorded HELO.
    pub helo: Option<&'a str>,
}

fn family(ip: IpAddr) -> Kind {
    if ip.is_ipv4() {
        Kind::A
    } else {
        Kind::Aaaa
    }
}

/// Run FCrDNS, the HELO check and the blocklists in `zones` for one hop.
pub async fn check<D: Dns>(dns: &D, t: &HopTarget<'_>, zones: &[String]) -> HopCheck {
    let mut errors = Vec::new();
    let ip = t.ip;
    let (ptr, fcrdns, confirmed) = match dns.query(&reverse_name(ip), Kind::Ptr).await {
        Err(e) => {
            errors.push(e.to_string());
            (Vec::new(), Fcrdns::TempError, None)
        }
        Ok(a) if a.is_void() => (Vec::new(), Fcrdns::None, None),
        Ok(a) => {
            let names: Vec<String> = a.names().into_iter().map(str::to_string).collect();
            let mut confirmed = None;
            let mut failed = false;
            for n in names.iter().take(MAX_PTR_NAMES) {
                match dns.query(n, family(ip)).await {
                    Ok(f) if f.ips().contains(&ip) => {
                        confirmed = Some(n.clone());
                        break;
                    }
                    Ok(_) => {}
                    Err(e) => {
                        failed = true;
                        errors.push(e.to_string());
                    }
                }
            }
            let state = match (&confirmed, failed) {
                (Some(_), _) => Fcrdns::Pass,
                (None, true) => Fcrdns::TempError,
                (None, false) => Fcrdns::Fail,
            };
            (names, state, confirmed)
        }
    };
    let recorded = t
        .rdns
        .map(|r| r.trim_end_matches('.').to_ascii_lowercase())
        .filter(|r| !r.is_empty() && !is_ip_literal(r));
    let recorded_current = match (&recorded, fcrdns) {
        (None, _) | (_, Fcrdns::TempError) => None,
        (Some(r), _) => Some(ptr.iter().any(|p| p == r)),
    };
    let helo = t
        .helo
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty());
    let helo_check = match &helo {
        None => Helo::Unknown,
        Some(h) if is_ip_literal(h) => {
            if literal_ip(h).map(crate::dns::canonical_ip) == Some(crate::dns::canonical_ip(ip)) {
                Helo::LiteralMatches
            } else {
                Helo::LiteralMismatch
            }
        }
        Some(h) if !h.trim_end_matches('.').contains('.') => Helo::NotFqdn,
        Some(h) => {
            let hn = h.trim_end_matches('.').to_ascii_lowercase();
            if confirmed.as_deref() == Some(hn.as_str()) {
                Helo::MatchesRdns
            } else {
                match dns.query(&hn, family(ip)).await {
                    Ok(a) if a.ips().contains(&ip) => Helo::ResolvesToIp,
                    Ok(_)
                        if confirmed
                            .as_deref()
                            .and_then(org_domain)
                            .is_some_and(|o| org_domain(&hn) == Some(o)) =>
                    {
                        Helo::SameOrganisation
                    }
                    Ok(a) if a.is_void() => Helo::DoesNotResolve,
                    Ok(_) => Helo::ResolvesElsewhere,
                    Err(e) if e.reason == crate::dns::FailureKind::InvalidName => {
                        Helo::DoesNotResolve
                    }
                    Err(e) => {
                        errors.push(e.to_string());
                        Helo::TempError
                    }
                }
            }
        }
    };
    let mut listings = Vec::with_capacity(zones.len());
    for z in zones {
        let l = dnsbl::lookup(dns, ip, z).await;
        if let Some(e) = &l.error {
            errors.push(e.clone());
        }
        listings.push(l);
    }
    HopCheck {
        hop: t.hop,
        role: t.role,
        ip,
        ptr,
        fcrdns,
        confirmed_name: confirmed,
        recorded_rdns: recorded,
        recorded_rdns_current: recorded_current,
        helo,
        helo_check,
        dnsbl: listings,
        errors,
    }
}
