//! DNS blocklists (RFC 5782): is a hop's address listed, and what does the answer code mean.
//!
//! A listing is an A record for the reversed address under the zone (`4.3.2.1.zone.`);
//! NXDOMAIN means not listed. Answer codes are data, one row per known code with its
//! meaning and the list operator's documentation as source, so adding a list is one line
//! per code. Two classes of answers are not listings and are reported as errors: Spamhaus's
//! `127.255.255.x` codes (the query was refused, usually because it went through a large
//! public resolver) and anything outside `127.0.0.0/8` (a resolver rewriting NXDOMAIN to an
//! advertising page, RFC 5782 §2.1 requires 127/8 answers).

use crate::dns::{reversed, Dns, Kind};
use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr};

/// Zones queried when none are configured. Each is free for low-volume use; check the
/// operator's terms before running large batches (Spamhaus refuses queries that arrive
/// through large public resolvers: use your own resolver or their data query service).
pub const DEFAULT_ZONES: &[&str] = &["zen.spamhaus.org", "bl.spamcop.net", "psbl.surriel.com"];

/// One known answer code.
#[derive(Debug, Clone, Copy)]
pub struct Code {
    /// The zone (or parent zone) this code belongs to.
    pub zone: &'static str,
    /// The answer address.
    pub code: Ipv4Addr,
    /// What it means.
    pub meaning: &'static str,
    /// True when the code reports an error rather than a listing.
    pub error: bool,
    /// Where the meaning is documented.
    pub source: &'static str,
}

const SPAMHAUS: &str =
    "Spamhaus DNSBL usage FAQ, return codes (https://www.spamhaus.org/faqs/dnsbl-usage/)";

macro_rules! codes {
    ($($zone:literal, $a:literal, $b:literal, $c:literal, $d:literal, $error:literal, $meaning:literal, $source:expr;)*) => {
        /// Every known answer code.
        pub const CODES: &[Code] = &[$(Code {
            zone: $zone,
            code: Ipv4Addr::new($a, $b, $c, $d),
            meaning: $meaning,
            error: $error,
            source: $source,
        }),*];
    };
}

codes! {
    "zen.spamhaus.org", 127, 0, 0, 2, false, "SBL: a known spam source or spam operation (Spamhaus Block List)", SPAMHAUS;
    "zen.spamhaus.org", 127, 0, 0, 3, false, "SBL CSS: low-reputation sender, typically snowshoe spam", SPAMHAUS;
    "zen.spamhaus.org", 127, 0, 0, 4, false, "XBL: hijacked or infected host (exploits, botnet, open proxy)", SPAMHAUS;
    "zen.spamhaus.org", 127, 0, 0, 5, false, "XBL: hijacked or infected host (exploits, botnet, open proxy)", SPAMHAUS;
    "zen.spamhaus.org", 127, 0, 0, 6, false, "XBL: hijacked or infected host (exploits, botnet, open proxy)", SPAMHAUS;
    "zen.spamhaus.org", 127, 0, 0, 7, false, "XBL: hijacked or infected host (exploits, botnet, open proxy)", SPAMHAUS;
    "zen.spamhaus.org", 127, 0, 0, 9, false, "SBL DROP: netblock hijacked or leased to spammers", SPAMHAUS;
    "zen.spamhaus.org", 127, 0, 0, 10, false, "PBL (ISP): end-user address that should not send mail to MX servers directly", SPAMHAUS;
    "zen.spamhaus.org", 127, 0, 0, 11, false, "PBL (Spamhaus): end-user address that should not send mail to MX servers directly", SPAMHAUS;
    "zen.spamhaus.org", 127, 255, 255, 252, true, "error: the query name was malformed (typo in the zone)", SPAMHAUS;
    "zen.spamhaus.org", 127, 255, 255, 254, true, "error: query refused because it came through a public or open resolver; use your own resolver (--dns-server)", SPAMHAUS;
    "zen.spamhaus.org", 127, 255, 255, 255, true, "error: too many queries from this resolver; results are not available", SPAMHAUS;
    "bl.spamcop.net", 127, 0, 0, 2, false, "SpamCop: reported by recipients as a spam source in the last days", "https://www.spamcop.net/fom-serve/cache/291.html";
    "psbl.surriel.com", 127, 0, 0, 2, false, "PSBL: sent mail to spam traps and is not a known legitimate mail server", "https://psbl.org/";
}

/// The state of one address in one zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Listed.
    Listed,
    /// Not listed (NXDOMAIN).
    NotListed,
    /// The list answered with an error code or an answer that is not a listing.
    ListError,
    /// The lookup failed (timeout, server error); nothing is known.
    TempError,
}

/// One answer code with its meaning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answered {
    /// The address the list answered.
    pub code: Ipv4Addr,
    /// Its meaning (from [`CODES`], or a generic one for codes this table does not know).
    pub meaning: String,
}

/// The result for one zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listing {
    /// The zone asked.
    pub zone: String,
    /// Listed, not listed, or why not known.
    pub status: Status,
    /// The answer codes and their meanings (empty when not listed).
    pub codes: Vec<Answered>,
    /// Why the lookup failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What one answer code means in `zone`.
pub fn explain(zone: &str, code: Ipv4Addr) -> (String, bool) {
    let zone = zone.trim_end_matches('.').to_ascii_lowercase();
    if let Some(c) = CODES
        .iter()
        .find(|c| c.code == code && (zone == c.zone || zone.ends_with(&format!(".{}", c.zone))))
    {
        return (c.meaning.to_string(), c.error);
    }
    if code.octets()[0] != 127 {
        return (
            format!("not a blocklist answer ({code} is outside 127.0.0.0/8; RFC 5782 §2.1): a resolver may be rewriting NXDOMAIN"),
            true,
        );
    }
    if code == Ipv4Addr::new(127, 0, 0, 1) {
        return (
            "127.0.0.1 is never a listing (RFC 5782 §5); the list signals an error or a test entry"
                .into(),
            true,
        );
    }
    (
        format!("listed (answer {code}; see the list operator's documentation for this code)"),
        false,
    )
}

/// Look `ip` up in `zone`.
pub async fn lookup<D: Dns>(dns: &D, ip: IpAddr, zone: &str) -> Listing {
    let zone_name = zone.trim_end_matches('.').to_ascii_lowercase();
    let name = reversed(ip, &zone_name);
    match dns.query(&name, Kind::A).await {
        Err(e) => Listing {
            zone: zone_name,
            status: Status::TempError,
            codes: Vec::new(),
            error: Some(e.to_string()),
        },
        Ok(a) if a.is_void() => Listing {
            zone: zone_name,
            status: Status::NotListed,
            codes: Vec::new(),
            error: None,
        },
        Ok(a) => {
            let mut codes = Vec::new();
            let mut any_listing = false;
            for ip in a.ips() {
                let IpAddr::V4(code) = ip else { continue };
                let (meaning, error) = explain(&zone_name, code);
                any_listing |= !error;
                codes.push(Answered { code, meaning });
            }
            Listing {
                zone: zone_name,
                status: if any_listing {
                    Status::Listed
                } else {
                    Status::ListError
                },
                codes,
                error: None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_explained() {
        let (m, err) = explain("zen.spamhaus.org", Ipv4Addr::new(127, 0, 0, 10));
        assert!(m.starts_with("PBL"), "{m}");
        assert!(!err);
        let (m, err) = explain("zen.spamhaus.org.", Ipv4Addr::new(127, 255, 255, 254));
        assert!(err && m.contains("public or open resolver"), "{m}");
        let (m, err) = explain("dnsbl.example", Ipv4Addr::new(198, 51, 100, 1));
        assert!(err && m.contains("outside 127.0.0.0/8"), "{m}");
        let (_, err) = explain("dnsbl.example", Ipv4Addr::new(127, 0, 0, 4));
        assert!(!err);
        assert!(explain("dnsbl.example", Ipv4Addr::new(127, 0, 0, 1)).1);
    }
}
