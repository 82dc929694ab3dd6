//! The analysis result of one message: versioned, serialisable, rendered by `output`.
//!
//! Every field is documented because the JSON form is a public contract: scripts and the
//! takedown step read `verdict`, `relay_ip` and `findings` from it. Index conventions:
//! `hops[i]` and `chain[i]` describe the same hop, index 0 is the OLDEST hop (the bottom
//! `Received:` header), the last index is the newest (topmost, your own server).

use serde::Serialize;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// Version of the JSON document; bump on any incompatible change.
pub const SCHEMA_VERSION: &str = "1";

/// Everything the analyzer concluded about one message.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Version of this document's shape ([`SCHEMA_VERSION`]).
    pub schema_version: &'static str,
    /// The message's identity headers, RFC 2047 decoded.
    pub summary: MessageSummary,
    /// Hops oldest → newest, as parsed from the `Received:` headers.
    pub hops: Vec<relayhunt_received::Hop>,
    /// Per-hop analysis, parallel to `hops` (same index).
    pub chain: Vec<ChainEntry>,
    /// Where trusted infrastructure first touched the message; `None` when the chain has no
    /// hop written by trusted infrastructure with an outside client (internal mail, no chain).
    pub boundary: Option<TrustBoundary>,
    /// The headline conclusion.
    pub verdict: Verdict,
    /// Everything noteworthy, most severe first.
    pub findings: Vec<Finding>,
    /// Authentication results: parsed, trusted or not, and the DMARC alignment computation.
    pub auth: AuthReport,
    /// The first untrusted relay: the client of the entry hop, as recorded by trusted
    /// infrastructure (the address to report for takedown).
    pub relay_ip: Option<IpAddr>,
    /// The earliest public client address in the chain: where the message claims to come
    /// from. Below the boundary this is a claim made by the relay, not a fact.
    pub origin_ip: Option<IpAddr>,
    /// True when the header block was cut by input limits; conclusions may be incomplete.
    pub truncated: bool,
    /// The relaying hop below the trust boundary that no rule explained, with the evidence
    /// weighed for and against calling it an open relay; `None` when every hop the message
    /// crossed is explained (or the chain has no such hop).
    pub relay: Option<RelayAssessment>,
}

/// The identity headers of the message, decoded.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MessageSummary {
    /// First `From:` mailbox.
    pub from: Option<Mailbox>,
    /// `To:` mailboxes.
    pub to: Vec<Mailbox>,
    /// `Subject:`, RFC 2047 decoded.
    pub subject: Option<String>,
    /// `Message-ID:` without angle brackets.
    pub message_id: Option<String>,
    /// `Date:` as written.
    pub date: Option<String>,
    /// `Date:` parsed, seconds since the Unix epoch (UTC).
    pub date_unix: Option<i64>,
    /// First `Reply-To:` mailbox.
    pub reply_to: Option<Mailbox>,
    /// Topmost `Return-Path:` address (the envelope sender the final server saw).
    pub return_path: Option<String>,
    /// `List-Id:` when the message came through a mailing list.
    pub list_id: Option<String>,
}

/// One mailbox from an address header.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Mailbox {
    /// Display name, decoded.
    pub name: Option<String>,
    /// The address (`user@domain`).
    pub address: Option<String>,
    /// Lower-cased domain part of `address`.
    pub domain: Option<String>,
}

/// Per-hop conclusions (parallel to `Report::hops`).
#[derive(Debug, Clone, Serialize)]
pub struct ChainEntry {
    /// Index in `hops` (0 = oldest).
    pub index: usize,
    /// 1-based line of this `Received:` header in the message.
    pub line: usize,
    /// Seconds since the previous (older) dated hop; negative when this hop claims an
    /// earlier time.
    pub delay_secs: Option<i64>,
    /// Where this hop sits relative to the trust boundary.
    pub role: HopRole,
    /// True when this header was written by infrastructure you trust.
    pub trusted: bool,
    /// Why it is trusted (rule id and explanation), when it is.
    pub trust_reason: Option<String>,
    /// What this hop's receiving server did with the message, and the rule that says so.
    pub hop_role: HopRoleInfo,
    /// Anomalies seen on this hop.
    pub flags: Vec<HopFlag>,
}

/// Position of a hop relative to the trust boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HopRole {
    /// Written by trusted infrastructure after the message entered it.
    Trusted,
    /// The entry hop: trusted receiver, outside client (the first untrusted relay).
    Entry,
    /// Below the boundary: written by untrusted servers; only a claim.
    Claimed,
}

/// What the receiving server of a hop did with the message (see `engine::roles`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HopKind {
    /// Your own infrastructure passing the message on internally.
    Trusted,
    /// Your infrastructure accepting the message from outside (the entry hop).
    Inbound,
    /// A mailbox fetch (POP3/IMAP, fetchmail) by the recipient's own agent.
    Retrieval,
    /// A forwarder or inbound/backup MX that accepted mail for its own domain and re-sent it.
    Forwarder,
    /// A mailing list server that accepted a post for the list and sent it to subscribers.
    List,
    /// A hand-off inside one organisation or provider (private client, same host, same
    /// organisation or network block, a known provider's own relays).
    ProviderInternal,
    /// The receiver recorded that its client authenticated (SMTP AUTH, webmail, MAPI).
    AuthenticatedSubmission,
    /// A smarthost relaying for its own customers or its own domain's users without a
    /// recorded login (an ISP's access lines, the sender domain's own server, an SPF-authorised
    /// relay).
    CustomerSmarthost,
    /// The receiver relayed for a client no rule relates to it and recorded no
    /// authentication: the open-relay shape.
    UnexplainedRelay,
    /// The receiver created the message itself (local submission, no client).
    Origin,
    /// Below the relay or the analysis' reach: written by untrusted servers, not judged.
    Claimed,
}

impl HopKind {
    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            HopKind::Trusted => "trusted",
            HopKind::Inbound => "inbound",
            HopKind::Retrieval => "retrieval",
            HopKind::Forwarder => "forwarder",
            HopKind::List => "list",
            HopKind::ProviderInternal => "provider_internal",
            HopKind::AuthenticatedSubmission => "authenticated_submission",
            HopKind::CustomerSmarthost => "customer_smarthost",
            HopKind::UnexplainedRelay => "unexplained_relay",
            HopKind::Origin => "origin",
            HopKind::Claimed => "claimed",
        }
    }
}

/// A hop's role with the rule that decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HopRoleInfo {
    /// The role.
    pub kind: HopKind,
    /// Id of the rule that decided it (`engine::roles::RULES`, or a trust rule id).
    pub rule: &'static str,
    /// What in the headers matched the rule.
    pub why: String,
}

/// The unexplained relaying hop and how strongly the evidence says "open relay".
#[derive(Debug, Clone, Serialize)]
pub struct RelayAssessment {
    /// Index of the hop where the relay accepted the message from an unrelated client.
    pub hop: usize,
    /// The relay's address as recorded by the hop above it (never private or loopback:
    /// when the relay's own address is private, the first public address of the same
    /// organisation above it).
    pub relay_ip: Option<IpAddr>,
    /// The relay as `IP (name)`.
    pub relay: String,
    /// The client it accepted the message from, as `IP (name)`.
    pub source: String,
    /// The hops between the trust boundary and the relay, and the rule that explained each
    /// (`hop 3: forwarder (forwarder.own_domain)`): an analyst can disagree with one.
    pub explained_above: Vec<String>,
    /// Why the client is unrelated to the relay (short phrases; empty when only the
    /// absence of a relating rule makes it so).
    pub unrelated: Vec<String>,
    /// Evidence for (positive weight) and against (negative) an open relay.
    pub signals: Vec<Signal>,
    /// Sum of the signal weights, clamped to 0..=1.
    pub confidence: f32,
    /// Header lines from the entry hop down to the relay's acceptance (quoted by the
    /// relay finding; not repeated in JSON).
    #[serde(skip)]
    pub evidence: Vec<Evidence>,
}

/// One piece of corroborating (or exculpating) evidence about an unexplained relay.
#[derive(Debug, Clone, Serialize)]
pub struct Signal {
    /// Stable id (`spf.fail_for_relay`, `client.dynamic`, …; see `engine::verdict::SIGNALS`).
    pub id: std::borrow::Cow<'static, str>,
    /// Contribution to the confidence (negative: evidence of authorised relaying).
    pub weight: f32,
    /// What was seen, in one sentence.
    pub reason: String,
    /// Header lines that show it.
    pub evidence: Vec<Evidence>,
}

/// An anomaly on one hop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HopFlag {
    /// Older than the hop below it by more than the tolerated clock skew.
    NegativeDelay,
    /// More than a day after the hop below it.
    HugeDelay,
    /// Dated in the future relative to the analysis time.
    FutureDate,
    /// No date at all.
    MissingDate,
    /// A date that could not be parsed.
    BadDate,
    /// Client rDNS looks like a dynamic / residential access line.
    DynamicClient,
    /// Client has a public IP but the receiver recorded no reverse DNS name.
    MissingRdns,
    /// Client said HELO with an IP literal instead of a host name.
    IpLiteralHelo,
    /// Client's HELO names a different organisation than its reverse DNS.
    HeloMismatch,
    /// Client IP is private / loopback / link-local.
    PrivateClient,
    /// This hop's `by` does not match the client recorded by the hop above it.
    Discontinuity,
    /// The receiver recorded SMTP AUTH (or a webmail/HTTP submission).
    Authenticated,
}

/// Where the message entered trusted infrastructure.
#[derive(Debug, Clone, Serialize)]
pub struct TrustBoundary {
    /// Index of the entry hop in `hops`.
    pub entry_hop: usize,
    /// Line of the entry hop's `Received:` header.
    pub entry_line: usize,
    /// Client IP recorded by the entry hop (the first untrusted relay).
    pub relay_ip: Option<IpAddr>,
    /// Client reverse DNS recorded by the entry hop (trailing dot removed).
    pub relay_rdns: Option<String>,
    /// Client HELO name recorded by the entry hop.
    pub relay_helo: Option<String>,
    /// Why the entry hop's receiver is trusted.
    pub trusted_by: String,
}

/// The headline conclusion.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// What happened, in one word.
    pub kind: VerdictKind,
    /// How bad it is.
    pub severity: Severity,
    /// One sentence naming the relay IP when there is one.
    pub summary: String,
}

/// Headline verdict kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictKind {
    /// The first untrusted relay accepted the message from an unrelated source without
    /// authentication and passed it on: an open relay.
    OpenRelaySuspected,
    /// Same shape, but the relay recorded SMTP AUTH: a stolen or abused account.
    CompromisedAccount,
    /// The part of the chain below the boundary is inconsistent: fabricated headers.
    ForgedChain,
    /// Other findings of medium or higher severity.
    Suspicious,
    /// Nothing of concern.
    Clean,
    /// No `Received:` headers: nothing to trace.
    NoChain,
}

impl VerdictKind {
    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictKind::OpenRelaySuspected => "open_relay_suspected",
            VerdictKind::CompromisedAccount => "compromised_account",
            VerdictKind::ForgedChain => "forged_chain",
            VerdictKind::Suspicious => "suspicious",
            VerdictKind::Clean => "clean",
            VerdictKind::NoChain => "no_chain",
        }
    }
}

impl fmt::Display for VerdictKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Severity of a finding or verdict, ordered `Info < Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// The lowercase name used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A severity name that is not one of info/low/medium/high/critical.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity {0:?}: expected info, low, medium, high or critical")]
pub struct UnknownSeverity(pub String);

impl FromStr for Severity {
    type Err = UnknownSeverity;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "info" => Ok(Severity::Info),
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(UnknownSeverity(s.to_string())),
        }
    }
}

/// One thing the analyst should know, with its proof.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Stable identifier, e.g. `relay.open_relay_suspected` (see `engine::findings`).
    pub id: &'static str,
    /// How bad it is.
    pub severity: Severity,
    /// Short title.
    pub title: String,
    /// Plain-language explanation: what was seen and why it matters.
    pub explanation: String,
    /// Index of the hop the finding is about, if any.
    pub hop: Option<usize>,
    /// The header lines that prove it.
    pub evidence: Vec<Evidence>,
}

/// One header quoted as evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// 1-based line number of the header in the message.
    pub line: usize,
    /// Header field name (`Received`, `Authentication-Results`, …).
    pub header: String,
    /// The header exactly as written.
    pub text: String,
}

/// Authentication results and what they mean.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AuthReport {
    /// authserv-ids whose results were believed (`""` stands for results without an id,
    /// as Exchange Online writes them).
    pub trusted_authserv_ids: Vec<String>,
    /// Every `Authentication-Results:` header, topmost first.
    pub results: Vec<AuthResults>,
    /// Every `ARC-Authentication-Results:` header, topmost first.
    pub arc: Vec<AuthResults>,
    /// Every `Received-SPF:` header, topmost first.
    pub received_spf: Vec<ReceivedSpf>,
    /// Effective SPF result from trusted sources (`pass`, `fail`, `softfail`, `none`, …).
    pub spf: Option<String>,
    /// Effective DKIM results from trusted sources, one per signature.
    pub dkim: Vec<DkimOutcome>,
    /// Effective DMARC result from trusted sources.
    pub dmarc: Option<String>,
    /// DMARC identifier alignment computed from the headers.
    pub alignment: Alignment,
}

/// One parsed `Authentication-Results:` (or ARC-) header (RFC 8601 §2.2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AuthResults {
    /// Line of the header.
    pub line: usize,
    /// ARC instance (`i=`), for ARC-Authentication-Results only.
    pub instance: Option<u32>,
    /// authserv-id: who made these checks. `None` when the header has none (Exchange Online).
    pub authserv_id: Option<String>,
    /// True when this header's authserv-id is trusted and it sits above the entry hop.
    pub trusted: bool,
    /// The method results in order.
    pub methods: Vec<MethodResult>,
}

/// One `method=result` with its properties.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MethodResult {
    /// Method name, lower-cased (`spf`, `dkim`, `dmarc`, `arc`, `compauth`, …).
    pub method: String,
    /// Result, lower-cased (`pass`, `fail`, `softfail`, `none`, `neutral`, …).
    pub result: String,
    /// `reason=` value.
    pub reason: Option<String>,
    /// Comments in parentheses, joined.
    pub comment: Option<String>,
    /// `ptype.property=value` pairs (`smtp.mailfrom`, `header.d`, `header.from`, …) and
    /// bare `key=value` extras (`action=`), in order.
    pub properties: Vec<Property>,
}

impl MethodResult {
    /// Value of `ptype.property` (case-insensitive), e.g. `get("header.d")`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|p| p.key.eq_ignore_ascii_case(key))
            .map(|p| p.value.as_str())
    }
}

/// One `ptype.property=value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Property {
    /// `ptype.property` lower-cased, e.g. `smtp.mailfrom`.
    pub key: String,
    /// The value as written (quotes removed).
    pub value: String,
}

/// One parsed `Received-SPF:` header (RFC 7208 §9.1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReceivedSpf {
    /// Line of the header.
    pub line: usize,
    /// Result, lower-cased.
    pub result: String,
    /// `client-ip=`.
    pub client_ip: Option<String>,
    /// `envelope-from=`.
    pub envelope_from: Option<String>,
    /// `helo=`.
    pub helo: Option<String>,
    /// `receiver=`.
    pub receiver: Option<String>,
    /// True when it sits above the entry hop (written by trusted infrastructure).
    pub trusted: bool,
}

/// One DKIM signature's trusted result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DkimOutcome {
    /// Result, lower-cased.
    pub result: String,
    /// Signing domain (`header.d`), lower-cased.
    pub domain: Option<String>,
}

/// DMARC identifier alignment (RFC 7489 §3.1) computed from the headers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Alignment {
    /// Domain of the `From:` address.
    pub from_domain: Option<String>,
    /// Its organisational domain (Public Suffix List).
    pub from_org: Option<String>,
    /// MAIL FROM domain (`smtp.mailfrom`, `Received-SPF` envelope-from or `Return-Path`).
    pub mail_from_domain: Option<String>,
    /// Its organisational domain.
    pub mail_from_org: Option<String>,
    /// Domains of passing DKIM signatures.
    pub dkim_pass_domains: Vec<String>,
    /// MAIL FROM and From share the organisational domain.
    pub spf_aligned_relaxed: bool,
    /// MAIL FROM and From are the same domain.
    pub spf_aligned_strict: bool,
    /// A passing DKIM d= shares the From organisational domain.
    pub dkim_aligned_relaxed: bool,
    /// A passing DKIM d= equals the From domain.
    pub dkim_aligned_strict: bool,
    /// DMARC outcome under relaxed alignment from the trusted SPF/DKIM results:
    /// `Some(true)` pass, `Some(false)` fail, `None` when no trusted results exist.
    pub dmarc_pass_relaxed: Option<bool>,
}
