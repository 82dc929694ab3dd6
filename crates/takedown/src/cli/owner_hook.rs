//! `analyze --owner`: the owner lookup offered to the analyzer through its hook trait.
//!
//! The analyzer cannot depend on this crate (this crate builds on it), so it defines
//! `relayhunt_analyze::owner::OwnerLookup` and the binary hands it this implementation.

use super::engine::{engine, runtime};
use super::LookupArgs;
use crate::lookup::OwnerLookup as Engine;
use crate::owner::Owner;
use crate::rdap::fetch::IcannRdap;
use crate::whois::client::TcpWhois;
use relayhunt_analyze::owner::{OwnerAnswer, OwnerLookup};
use std::net::IpAddr;

/// Flags `analyze` gains from the takedown: `--owner` and how lookups are made.
#[derive(Debug, Clone, clap::Args)]
pub struct OwnerArgs {
    /// Look up the network owner and abuse contact of the relay and origin IPs (RDAP,
    /// whois fallback; cached per network).
    #[arg(long)]
    pub owner: bool,
    #[command(flatten)]
    pub lookup: LookupArgs,
}

/// The blocking owner lookup `analyze` calls for each relay and origin IP.
pub struct AnalyzeOwnerLookup {
    engine: Engine<IcannRdap, TcpWhois>,
    rt: tokio::runtime::Runtime,
}

impl AnalyzeOwnerLookup {
    /// The lookup for these flags; `Ok(None)` when `--owner` was not given.
    pub fn from_args(args: &OwnerArgs) -> Result<Option<Self>, String> {
        if !args.owner {
            return Ok(None);
        }
        Ok(Some(AnalyzeOwnerLookup {
            engine: engine(&args.lookup)?,
            rt: runtime()?,
        }))
    }
}

impl OwnerLookup for AnalyzeOwnerLookup {
    fn lookup(&self, ip: IpAddr) -> Result<OwnerAnswer, String> {
        let owner = self
            .rt
            .block_on(self.engine.owner(ip))
            .map_err(|e| e.to_string())?;
        Ok(OwnerAnswer {
            summary: summary(&owner),
            owner: serde_json::to_value(&owner).map_err(|e| e.to_string())?,
        })
    }
}

/// One line for people: network, name, organisation (country), AS, best abuse address.
fn summary(o: &Owner) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(c) = o.cidrs.first() {
        parts.push(c.to_string());
    }
    if let Some(n) = &o.name {
        parts.push(n.clone());
    }
    match (&o.org, &o.country) {
        (Some(org), Some(cc)) => parts.push(format!("{org} ({cc})")),
        (Some(org), None) => parts.push(org.clone()),
        (None, Some(cc)) => parts.push(format!("({cc})")),
        (None, None) => {}
    }
    if let Some(asn) = o.asns.first() {
        parts.push(format!("AS{asn}"));
    }
    match o.best_abuse() {
        Some(a) => parts.push(format!("abuse: {} ({})", a.email, a.source.label())),
        None => parts.push("no abuse contact found".to_string()),
    }
    parts.join(" · ")
}
