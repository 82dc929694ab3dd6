//! One message verified: which checks to run from its report, and the `verification`
//! section they produce.
//!
//! The report says which addresses and domains matter: the relay IP (the client your own
//! server recorded, or the relay further down the engine found), the claimed origin IP,
//! the envelope (MAIL FROM) and From domains, and every untrusted hop. SPF is evaluated for
//! both IPs against both domains, because the seeds' case is exactly "the relay is not in
//! the sender's SPF"; DKIM, ARC and DMARC come from the raw message. [`crate::compare`]
//! then sets the results against what the receiver's Authentication-Results claimed.

use crate::dns::Dns;
use crate::hop::{self, HopCheck, HopTarget};
use crate::signatures::{self, ArcCheck, DkimCheck, DmarcCheck, DmarcInputs};
use crate::spf::{self, SpfCheck, SpfQuery, SpfResult};
use mail_auth::MessageAuthenticator;
use relayhunt_analyze::engine::identity::{addr_domain, is_private};
use relayhunt_analyze::report::{HopRole, Report};
use serde::Serialize;
use std::net::IpAddr;

/// Most hops checked per message (bounded work on a forged chain of hundreds of hops).
pub const MAX_HOPS: usize = 8;

/// Settings shared by every message of a run.
pub struct Checker<D> {
    /// Where questions go.
    pub dns: D,
    /// Blocklist zones to query.
    pub zones: Vec<String>,
    /// mail-auth, with no servers of its own (see [`signatures`]).
    pub auth: MessageAuthenticator,
    /// How the resolver was configured, for the report (`system` or the server list).
    pub resolver: String,
}

/// One SPF evaluation and what it is about.
#[derive(Debug, Clone, Serialize)]
pub struct SpfEntry {
    /// `relay` or `origin`: whose address was checked.
    pub role: &'static str,
    /// `mail_from` (envelope sender domain) or `from` (From header domain).
    pub identity: &'static str,
    /// The evaluation.
    #[serde(flatten)]
    pub check: SpfCheck,
    /// What the receiver's trusted results claimed for this check (relay IP, envelope
    /// domain only: that is what a receiver evaluates).
    pub claimed: Option<String>,
}

/// One DKIM signature with the receiver's claim.
#[derive(Debug, Clone, Serialize)]
pub struct DkimEntry {
    /// The check.
    #[serde(flatten)]
    pub check: DkimCheck,
    /// What the receiver's trusted results claimed for this signing domain.
    pub claimed: Option<String>,
}

/// DMARC with the receiver's claim.
#[derive(Debug, Clone, Serialize)]
pub struct DmarcEntry {
    /// The check.
    #[serde(flatten)]
    pub check: DmarcCheck,
    /// The receiver's trusted DMARC result.
    pub claimed: Option<String>,
    /// The receiver's recorded action (`action=` in its results), when it wrote one.
    pub claimed_action: Option<String>,
}

/// The `verification` section of one message.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// `system` or the servers asked.
    pub resolver: String,
    /// SPF evaluations.
    pub spf: Vec<SpfEntry>,
    /// DKIM signatures.
    pub dkim: Vec<DkimEntry>,
    /// The ARC chain (`null` when mail-auth could not parse the message).
    pub arc: Option<ArcCheck>,
    /// DMARC (`null` without a From domain).
    pub dmarc: Option<DmarcEntry>,
    /// Untrusted hops' clients: FCrDNS, HELO, blocklists.
    pub hops: Vec<HopCheck>,
    /// Lookups that failed while verifying this message (each check they touched is
    /// `temperror`).
    pub dns_failures: Vec<String>,
}

/// The hops worth checking: the entry hop's client and every untrusted client below it,
/// public addresses only, each address once, nearest the trust boundary first. Roles:
/// `relay` (the report's relay IP), `origin` (its origin IP), `entry` (the entry hop's
/// client when the relay is further down), `claimed` (any other).
pub fn hop_targets(report: &Report) -> Vec<HopTarget<'_>> {
    let mut out: Vec<HopTarget<'_>> = Vec::new();
    for (i, hop) in report.hops.iter().enumerate().rev() {
        let chain_role = report.chain.get(i).map(|c| c.role);
        if chain_role == Some(HopRole::Trusted) {
            continue;
        }
        let Some(ip) = hop.from.ip else { continue };
        if is_private(ip) || out.iter().any(|t| t.ip == ip) {
            continue;
        }
        let role = if report.relay_ip == Some(ip) {
            "relay"
        } else if report.origin_ip == Some(ip) {
            "origin"
        } else if chain_role == Some(HopRole::Entry) {
            "entry"
        } else {
            "claimed"
        };
        out.push(HopTarget {
            hop: i,
            role,
            ip,
            rdns: hop.from.rdns.as_deref(),
            helo: hop.from.helo.as_deref(),
        });
        if out.len() >= MAX_HOPS {
            break;
        }
    }
    out
}

/// The receiver's trusted DMARC `action=`, if it wrote one.
fn claimed_action(report: &Report) -> Option<String> {
    report
        .auth
        .results
        .iter()
        .filter(|r| r.trusted)
        .flat_map(|r| r.methods.iter())
        .find(|m| m.method == "dmarc")
        .and_then(|m| m.get("action"))
        .map(|a| a.to_ascii_lowercase())
}

/// Verify one message.
pub async fn verify<D: Dns>(c: &Checker<D>, raw: &[u8], report: &Report) -> Verification {
    let al = &report.auth.alignment;
    let mail_from = al.mail_from_domain.clone();
    let from = al.from_domain.clone();
    let sender = report
        .summary
        .return_path
        .clone()
        .filter(|r| addr_domain(r).is_some());
    let relay_helo = report
        .hops
        .iter()
        .rev()
        .find(|h| h.from.ip.is_some() && h.from.ip == report.relay_ip)
        .and_then(|h| h.from.helo.clone());
    let mut spf_jobs: Vec<(&'static str, &'static str, IpAddr, String)> = Vec::new();
    for (role, ip) in [("relay", report.relay_ip), ("origin", report.origin_ip)] {
        let Some(ip) = ip.filter(|ip| !is_private(*ip)) else {
            continue;
        };
        if role == "origin" && report.relay_ip == Some(ip) {
            continue;
        }
        for (identity, d) in [("mail_from", &mail_from), ("from", &from)] {
            let Some(d) = d else { continue };
            if identity == "from" && Some(d) == mail_from.as_ref() {
                continue;
            }
            spf_jobs.push((role, identity, ip, d.clone()));
        }
    }
    let mut spf_entries = Vec::new();
    for (role, identity, ip, domain) in spf_jobs {
        let helo = if role == "relay" {
            relay_helo.as_deref()
        } else {
            None
        };
        let sender = if identity == "mail_from" {
            sender.as_deref()
        } else {
            None
        };
        let q = SpfQuery {
            ip,
            domain: &domain,
            sender,
            helo,
        };
        let check = spf::check_host(&c.dns, &q).await;
        let claimed = (role == "relay" && identity == "mail_from")
            .then(|| report.auth.spf.clone())
            .flatten();
        spf_entries.push(SpfEntry {
            role,
            identity,
            check,
            claimed,
        });
    }
    let relay_spf = spf_entries
        .iter()
        .find(|e| e.role == "relay" && e.identity == "mail_from")
        .map(|e| e.check.result)
        .unwrap_or(SpfResult::None);
    let sigs = signatures::check(
        &c.dns,
        &c.auth,
        raw,
        &DmarcInputs {
            mail_from_domain: mail_from.as_deref().unwrap_or(""),
            spf: relay_spf,
        },
    )
    .await;
    let mut hops = Vec::new();
    for t in hop_targets(report) {
        hops.push(hop::check(&c.dns, &t, &c.zones).await);
    }
    let mut dkim = Vec::new();
    let mut arc = None;
    let mut dmarc = None;
    if let Some(s) = sigs {
        dkim = s
            .dkim
            .into_iter()
            .map(|check| {
                let d = check.domain.to_ascii_lowercase();
                let claimed = report
                    .auth
                    .dkim
                    .iter()
                    .find(|o| o.domain.as_deref() == Some(d.as_str()))
                    .map(|o| o.result.clone());
                DkimEntry { check, claimed }
            })
            .collect();
        arc = Some(s.arc);
        dmarc = s.dmarc.map(|check| DmarcEntry {
            check,
            claimed: report.auth.dmarc.clone(),
            claimed_action: claimed_action(report),
        });
    }
    let mut dns_failures: Vec<String> = hops.iter().flat_map(|h| h.errors.clone()).collect();
    dns_failures.extend(
        spf_entries
            .iter()
            .filter(|e| e.check.result == SpfResult::TempError)
            .map(|e| e.check.reason.clone()),
    );
    dns_failures.extend(
        dkim.iter()
            .filter(|d| d.check.result == "temperror")
            .filter_map(|d| d.check.reason.clone()),
    );
    dns_failures.sort();
    dns_failures.dedup();
    Verification {
        resolver: c.resolver.clone(),
        spf: spf_entries,
        dkim,
        arc,
        dmarc,
        hops,
        dns_failures,
    }
}
