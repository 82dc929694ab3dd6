//! Who owns a network and whom to tell about abuse: the result of an owner lookup.
//!
//! The types here are what `relayhunt whois` prints and what `relayhunt report` addresses.
//! Every abuse address carries where it came from and how much to trust it, because the
//! registries disagree in shape and some of them publish placeholders instead of mailboxes.

pub mod placeholder;
pub mod rank;

use serde::{Deserialize, Serialize};

/// The owner of the network holding one IP address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    /// The address that was asked about.
    pub query: String,
    /// The network as CIDR blocks (a range registered as start–end may need several).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cidrs: Vec<ipnet::IpNet>,
    /// First and last address of the registered range, as the registry wrote them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<String>,
    /// Registry handle of the network (`NET-198-51-100-0-1`, `198.51.100.0 - 198.51.100.255`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    /// Network name (`netname`, `NetName`, RDAP `name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Organisation holding the network (the registrant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// ISO 3166 country code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Origin AS numbers where the registry publishes them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub asns: Vec<u32>,
    /// Registration date (RFC 3339 as published).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered: Option<String>,
    /// Last change date (RFC 3339 as published).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_changed: Option<String>,
    /// Where the answer came from (RDAP URL or whois server), in the order asked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// Abuse addresses, best first.
    pub abuse: Vec<AbuseContact>,
    /// What the lookup noticed: dropped placeholders, failed steps, fallbacks taken.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// True when this answer was served from the on-disk cache.
    #[serde(default)]
    pub cached: bool,
}

impl Owner {
    /// The best abuse address, if any.
    pub fn best_abuse(&self) -> Option<&AbuseContact> {
        self.abuse.first()
    }
}

/// One abuse address with its provenance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbuseContact {
    /// The mailbox, lower-cased domain part.
    pub email: String,
    /// Where it was found.
    pub source: ContactSource,
    /// How much to trust it as the right place for an abuse report.
    pub confidence: Confidence,
    /// Human description of the place (`RDAP entity ABUSE5250-ARIN, roles abuse, depth 2`).
    pub found_at: String,
}

/// The kinds of places an abuse address is found, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactSource {
    /// An RDAP entity with the `abuse` role (RFC 9083 §10.2.4).
    RdapAbuseRole,
    /// RIPE-style `% Abuse contact for '…' is '…'` comment in whois output.
    WhoisAbuseComment,
    /// A whois field dedicated to abuse (`OrgAbuseEmail`, `abuse-mailbox`).
    WhoisAbuseField,
    /// The `e-mail` of the object an `abuse-c` handle points to.
    WhoisAbuseHandle,
    /// An RDAP entity with another role whose mailbox is named for abuse.
    RdapOtherRole,
    /// RFC 2142 §2: `abuse@` of the network's domain, not published by the registry.
    Rfc2142,
}

impl ContactSource {
    /// Short label for human output.
    pub fn label(self) -> &'static str {
        match self {
            ContactSource::RdapAbuseRole => "RDAP abuse role",
            ContactSource::WhoisAbuseComment => "whois abuse comment",
            ContactSource::WhoisAbuseField => "whois abuse field",
            ContactSource::WhoisAbuseHandle => "whois abuse-c object",
            ContactSource::RdapOtherRole => "RDAP non-abuse role",
            ContactSource::Rfc2142 => "RFC 2142 guess",
        }
    }
}

/// Trust in an abuse address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Published by the registry as the abuse contact.
    High,
    /// Published by the registry, but not as the designated abuse contact.
    Medium,
    /// Guessed (RFC 2142) — may bounce.
    Low,
}

/// Freshness of a domain name, from its RDAP registration event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainAge {
    /// The domain asked about.
    pub domain: String,
    /// Registration date as published (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered: Option<String>,
    /// Whole days between registration and the time of the lookup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_days: Option<i64>,
    /// Registered within the threshold the user gave (the seed's "newly registered domain").
    pub newly_registered: bool,
    /// Registrar name when published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registrar: Option<String>,
    /// Where the answer came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}
