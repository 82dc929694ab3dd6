//! Owner lookup: cache → RDAP → whois → RFC 2142, each step labelled in the result.
//!
//! RDAP is asked first because it is structured and follows redirects between registries.
//! whois runs when RDAP failed or named no abuse mailbox: IANA's server refers to the RIR,
//! the RIR may refer further (ARIN `ReferralServer`). If still nothing, `abuse@` of the
//! network's mail domain (RFC 2142 §2) is offered with low confidence.

use crate::cache::OwnerCache;
use crate::owner::rank::{self, Candidate};
use crate::owner::{ContactSource, DomainAge, Owner};
use crate::pacing::Pacer;
use crate::rdap::{extract, RdapError, RdapFetch};
use crate::special::{special_range, SpecialRange};
use crate::whois::{extract as wx, phrase, WhoisError, WhoisQuery};
use std::net::IpAddr;
use std::time::Duration;

/// IANA's whois server: the root of whois referrals.
pub const IANA_WHOIS: &str = "whois.iana.org";
/// Longest referral chain followed (IANA → RIR → national registry → one more).
pub const MAX_REFERRALS: usize = 4;

/// Why no owner could be found for an address.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LookupError {
    /// The address is documentation, private, loopback or another special-purpose block:
    /// no registry owns it, so nothing was asked.
    #[error("{ip}: {}", range.answer())]
    NoOwner {
        ip: IpAddr,
        range: &'static SpecialRange,
    },
    /// Both RDAP and whois failed.
    #[error("no owner found for {ip}: RDAP: {rdap}; whois: {whois}")]
    Failed {
        ip: IpAddr,
        rdap: String,
        whois: String,
    },
}

/// Why a domain's age could not be found.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DomainError {
    #[error("RDAP lookup of domain {domain} failed: {source}")]
    Rdap { domain: String, source: RdapError },
    #[error("RDAP answer for domain {domain} unusable: {source}")]
    Extract {
        domain: String,
        source: extract::ExtractError,
    },
    /// Neither RDAP nor whois gave a registration date.
    #[error("no registration date for {domain}: RDAP: {rdap}; whois: {whois}")]
    Unknown {
        domain: String,
        rdap: String,
        whois: String,
    },
}

/// What kind of special-purpose address `ip` is ("documentation range (TEST-NET-2)"), if
/// it is one: no registry answers for it. The table is [`crate::special`].
pub fn special_kind(ip: IpAddr) -> Option<&'static str> {
    special_range(ip).map(|r| r.kind)
}

/// The lookup engine over a given RDAP and whois implementation.
#[derive(Debug)]
pub struct OwnerLookup<R, W> {
    pub rdap: R,
    pub whois: W,
    pub cache: Option<OwnerCache>,
    pub pacer: Pacer,
    /// Root whois server (IANA by default).
    pub whois_root: String,
    /// Skip RDAP (whois only).
    pub no_rdap: bool,
}

impl<R: RdapFetch, W: WhoisQuery> OwnerLookup<R, W> {
    /// A lookup with a polite default pacing of one query per second per server.
    pub fn new(rdap: R, whois: W) -> Self {
        OwnerLookup {
            rdap,
            whois,
            cache: None,
            pacer: Pacer::new(Duration::from_secs(1)),
            whois_root: IANA_WHOIS.to_string(),
            no_rdap: false,
        }
    }

    /// Find the owner and abuse contacts of `ip`.
    pub async fn owner(&self, ip: IpAddr) -> Result<Owner, LookupError> {
        if let Some(range) = special_range(ip) {
            return Err(LookupError::NoOwner { ip, range });
        }
        if let Some(hit) = self.cache.as_ref().and_then(|c| c.get(ip)) {
            return Ok(Owner {
                query: ip.to_string(),
                ..hit
            });
        }
        let mut owner = Owner {
            query: ip.to_string(),
            ..Owner::default()
        };
        let mut cands: Vec<Candidate> = Vec::new();
        let mut domains: Vec<String> = Vec::new();
        let mut rdap_err = String::from("not asked");
        let mut rdap_ok = false;
        let mut port43: Option<String> = None;
        if !self.no_rdap {
            self.pacer.wait("rdap").await;
            match self.rdap.ip(ip).await {
                Ok(ans) => match extract::network(&ans.body) {
                    Ok(f) => {
                        rdap_ok = true;
                        owner.sources.push(ans.url);
                        owner.handle = f.handle;
                        owner.name = f.name;
                        owner.range = match (f.start, f.end) {
                            (Some(a), Some(b)) => Some(format!("{a} - {b}")),
                            _ => None,
                        };
                        owner.cidrs = f.cidrs;
                        owner.org = f.org;
                        owner.country = f.country;
                        owner.asns = f.asns;
                        owner.registered = f.registered;
                        owner.last_changed = f.last_changed;
                        cands.extend(f.candidates);
                        domains.extend(f.mail_domains);
                        port43 = f.port43;
                    }
                    Err(e) => rdap_err = format!("{} ({})", e, ans.url),
                },
                Err(e) => rdap_err = e.to_string(),
            }
            if !rdap_ok {
                owner.notes.push(format!("RDAP failed: {rdap_err}"));
            }
        }
        let has_abuse_role = cands.iter().any(|c| {
            c.source == ContactSource::RdapAbuseRole
                && crate::owner::placeholder::rejection(&rank::normalise(&c.email)).is_none()
        });
        let mut whois_err = String::from("not needed");
        if !has_abuse_role {
            if rdap_ok {
                owner
                    .notes
                    .push("RDAP named no usable abuse role; asking whois".into());
            }
            match self.whois_chain(ip, port43.as_deref()).await {
                Ok((servers, facts))
                    if !rdap_ok
                        && facts
                            .iter()
                            .all(|f| f.cidrs.is_empty() && f.candidates.is_empty()) =>
                {
                    whois_err = format!("no record at {}", servers.join(", "));
                    owner.notes.push(format!("whois failed: {whois_err}"));
                }
                Ok((servers, facts)) => {
                    owner.sources.extend(servers);
                    for f in facts {
                        fill(&mut owner.name, f.name);
                        fill(&mut owner.org, f.org);
                        fill(&mut owner.country, f.country);
                        fill(&mut owner.registered, f.registered);
                        fill(&mut owner.last_changed, f.last_changed);
                        if owner.cidrs.is_empty() && !f.cidrs.is_empty() {
                            owner.cidrs = f.cidrs;
                            owner.range = f.range;
                        }
                        for a in f.asns {
                            if !owner.asns.contains(&a) {
                                owner.asns.push(a);
                            }
                        }
                        cands.extend(f.candidates);
                        domains.extend(f.mail_domains);
                    }
                    whois_err.clear();
                }
                Err(e) => {
                    whois_err = e.to_string();
                    owner.notes.push(format!("whois failed: {whois_err}"));
                }
            }
            if !rdap_ok && !whois_err.is_empty() {
                return Err(LookupError::Failed {
                    ip,
                    rdap: rdap_err,
                    whois: whois_err,
                });
            }
        }
        owner.abuse = rank::rank(cands, &mut owner.notes);
        if owner.abuse.is_empty() {
            if let Some(d) = registrable(&domains) {
                owner.notes.push(format!(
                    "no abuse mailbox published; guessing abuse@{d} (RFC 2142)"
                ));
                owner.abuse = rank::rank(
                    vec![Candidate {
                        email: format!("abuse@{d}"),
                        source: ContactSource::Rfc2142,
                        pref: None,
                        depth: 0,
                        found_at: format!("RFC 2142 mailbox of {d}, the network's mail domain"),
                    }],
                    &mut owner.notes,
                );
            } else {
                owner
                    .notes
                    .push("no abuse mailbox published and no mail domain to guess from".into());
            }
        }
        if let Some(c) = &self.cache {
            if let Err(e) = c.put(&owner) {
                owner
                    .notes
                    .push(format!("cache write to {} failed: {e}", c.dir().display()));
            }
        }
        Ok(owner)
    }

    /// IANA → RIR → further referrals; returns the servers asked and what each said.
    /// whois for an IP, starting at the registry RDAP named (`port43`) or at the root.
    async fn whois_chain(
        &self,
        ip: IpAddr,
        start: Option<&str>,
    ) -> Result<(Vec<String>, Vec<wx::WhoisFacts>), WhoisError> {
        let (asked, mut facts) = self.whois_walk(&ip.to_string(), start).await?;
        // The last (most specific) registry first.
        facts.reverse();
        Ok((asked, facts.into_iter().map(|(_, f)| f).collect()))
    }

    /// Follow referrals from the root server for `query`; returns the servers asked (as
    /// `whois://host`) and each answer's text and facts, in the order asked.
    async fn whois_walk(
        &self,
        query: &str,
        start: Option<&str>,
    ) -> Result<(Vec<String>, Vec<(String, wx::WhoisFacts)>), WhoisError> {
        let mut server = start
            .map(str::to_string)
            .unwrap_or_else(|| self.whois_root.clone());
        let mut asked: Vec<String> = Vec::new();
        let mut out = Vec::new();
        loop {
            if asked.len() >= MAX_REFERRALS {
                asked.push(server);
                return Err(WhoisError::ReferralLoop {
                    chain: asked.join(" → "),
                });
            }
            self.pacer.wait(&server).await;
            let text = self.whois.query(&server, &phrase(&server, query)).await?;
            let f = wx::read(&text, &server);
            asked.push(server.clone());
            let next = f.referral.clone();
            out.push((text, f));
            match next {
                Some(n) if !asked.contains(&n) => server = n,
                _ => break,
            }
        }
        Ok((
            asked.into_iter().map(|s| format!("whois://{s}")).collect(),
            out,
        ))
    }

    /// Registration age of a domain; `newly_registered` when at most `new_days` old.
    pub async fn domain_age(
        &self,
        domain: &str,
        now_unix: i64,
        new_days: i64,
    ) -> Result<DomainAge, DomainError> {
        self.pacer.wait("rdap").await;
        let ans = match self.rdap.domain(domain).await {
            Ok(a) => a,
            // Many ccTLDs have no RDAP service: their whois still publishes the date.
            Err(rdap) => {
                return self
                    .domain_age_whois(domain, now_unix, new_days, rdap)
                    .await
            }
        };
        let mut age = extract::domain(&ans.body, domain, now_unix, new_days).map_err(|source| {
            DomainError::Extract {
                domain: domain.to_string(),
                source,
            }
        })?;
        age.source = Some(ans.url);
        Ok(age)
    }
}

impl<R: RdapFetch, W: WhoisQuery> OwnerLookup<R, W> {
    async fn domain_age_whois(
        &self,
        domain: &str,
        now_unix: i64,
        new_days: i64,
        rdap: RdapError,
    ) -> Result<DomainAge, DomainError> {
        let failed = |whois: String| DomainError::Unknown {
            domain: domain.to_string(),
            rdap: rdap.to_string(),
            whois,
        };
        let (asked, answers) = self
            .whois_walk(domain, None)
            .await
            .map_err(|e| failed(e.to_string()))?;
        let found = answers
            .iter()
            .rev()
            .zip(asked.iter().rev())
            .find_map(|((text, _), server)| wx::creation_date(text).map(|d| (d, server.clone())));
        let Some(((shown, unix), server)) = found else {
            return Err(failed(format!(
                "no creation date in the answers of {}",
                asked.join(", ")
            )));
        };
        let age_days = (now_unix - unix).div_euclid(86_400);
        Ok(DomainAge {
            domain: domain.to_ascii_lowercase(),
            registered: Some(shown),
            age_days: Some(age_days),
            newly_registered: age_days <= new_days,
            registrar: None,
            source: Some(server),
        })
    }
}

fn fill(slot: &mut Option<String>, v: Option<String>) {
    if slot.is_none() {
        *slot = v;
    }
}

/// The registrable domain (public suffix + 1) of the first mail domain that has one,
/// skipping the registries' own domains.
fn registrable(domains: &[String]) -> Option<String> {
    const REGISTRIES: &[&str] = &[
        "arin.net",
        "ripe.net",
        "apnic.net",
        "lacnic.net",
        "afrinic.net",
        "iana.org",
    ];
    domains.iter().find_map(|d| {
        let d = d.trim_end_matches('.');
        let reg = psl::domain_str(d)?;
        (!REGISTRIES.contains(&reg)
            && crate::owner::placeholder::rejection(&format!("abuse@{reg}")).is_none())
        .then(|| reg.to_string())
    })
}
