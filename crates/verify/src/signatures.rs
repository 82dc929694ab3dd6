//! DKIM signatures, the ARC chain and the DMARC policy, checked with mail-auth.
//!
//! mail-auth does the cryptography and the policy logic; its own resolver is never used.
//! Every record it needs is fetched first through the [`Dns`] trait (so the per-run cache,
//! the timeouts and the configured server apply) and handed to it as a pre-filled cache
//! (`Parameters::with_txt_cache`; keys are FQDNs with the trailing dot). The resolver
//! mail-auth holds has no servers at all: a record this module did not think of makes the
//! check `temperror`, never a pass or a fail.

use crate::dns::{Dns, Kind};
use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::dmarc::{Dmarc, Policy};
use mail_auth::hickory_resolver::config::{ResolveHosts, ResolverConfig, ResolverOpts};
use mail_auth::hickory_resolver::proto::op::ResponseCode;
use mail_auth::{
    AuthenticatedMessage, DkimResult, DmarcResult, DnsError, Error, MessageAuthenticator,
    ResolverCache, SpfOutput, SpfResult as MaSpf, Txt,
};
use serde::Serialize;
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

/// A read-only table handed to mail-auth as its cache; inserts are dropped.
struct Table<K, V>(HashMap<K, V>);

impl<K: Hash + Eq, V: Clone> ResolverCache<K, V> for Table<K, V> {
    fn get<Q>(&self, name: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.get(name).cloned()
    }

    fn remove<Q>(&self, _: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        None
    }

    fn insert(&self, _: K, _: V, _: std::time::Instant) {}
}

/// TXT records fetched for one message: parsed for mail-auth, raw for the report.
#[derive(Default)]
struct Fetched {
    parsed: HashMap<Box<str>, Txt>,
    raw: HashMap<String, String>,
}

impl Fetched {
    async fn fetch<T, D>(&mut self, dns: &D, key: &str)
    where
        T: TxtRecordParser + Into<Txt>,
        D: Dns,
    {
        let key = crate::dns::fqdn(key);
        if self.parsed.contains_key(key.as_str()) {
            return;
        }
        let txt: Txt = match dns.query(&key, Kind::Txt).await {
            Err(e) => Txt::Error(Error::Dns(DnsError::Resolver(e.to_string()))),
            Ok(a) if a.is_void() => {
                Txt::Error(Error::Dns(DnsError::RecordNotFound(if a.nxdomain {
                    ResponseCode::NXDomain
                } else {
                    ResponseCode::NoError
                })))
            }
            Ok(a) => {
                // As mail-auth does: the first record that parses as the wanted kind.
                let mut result: mail_auth::Result<T> = Err(Error::Dns(DnsError::InvalidRecordType));
                for text in a.texts() {
                    result = T::parse(text);
                    if result.is_ok() {
                        self.raw
                            .insert(key.clone(), String::from_utf8_lossy(text).into_owned());
                        break;
                    }
                }
                result.into()
            }
        };
        self.parsed.insert(key.into_boxed_str(), txt);
    }
}

/// An authenticator that can never reach a server (see the module documentation).
pub fn offline_authenticator() -> Option<MessageAuthenticator> {
    let opts = {
        let mut o = ResolverOpts::default();
        o.use_hosts_file = ResolveHosts::Never;
        o
    };
    MessageAuthenticator::new(ResolverConfig::from_name_servers(Vec::new()), opts).ok()
}

/// One DKIM signature checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DkimCheck {
    /// Signing domain (`d=`); empty for a signature too broken to read.
    pub domain: String,
    /// Selector (`s=`).
    pub selector: String,
    /// `pass`, `fail`, `neutral`, `permerror`, `temperror`.
    pub result: &'static str,
    /// Why, when it did not pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The ARC chain checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArcCheck {
    /// `none` (no ARC sets), `pass`, `fail`, `neutral`, `permerror`, `temperror`.
    pub result: &'static str,
    /// Number of ARC sets (instances).
    pub sets: usize,
    /// Sealing domains, oldest instance first.
    pub sealers: Vec<String>,
    /// Why, when it did not pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The DMARC policy and what it asks of a receiver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DmarcCheck {
    /// The From domain.
    pub domain: String,
    /// The policy record found (from the From domain or, by the tree walk, a parent).
    pub record: Option<String>,
    /// The policy requested (`p=` or `sp=`/`np=` for subdomains): `none`, `quarantine`,
    /// `reject`; `None` when no record applies.
    pub policy: Option<&'static str>,
    /// SPF (for the relay IP, the envelope domain) passed and is aligned.
    pub spf_aligned: bool,
    /// A passing DKIM signature is aligned.
    pub dkim_aligned: bool,
    /// `pass`, `fail`, `none` (no policy), `temperror`, `permerror`.
    pub result: &'static str,
    /// What a receiver should have done with this message.
    pub receiver_should: String,
}

fn dkim_word(r: &DkimResult) -> (&'static str, Option<String>) {
    match r {
        DkimResult::Pass => ("pass", None),
        DkimResult::Neutral(e) => ("neutral", Some(e.to_string())),
        DkimResult::Fail(e) => ("fail", Some(e.to_string())),
        DkimResult::PermError(e) => ("permerror", Some(e.to_string())),
        DkimResult::TempError(e) => ("temperror", Some(e.to_string())),
        DkimResult::None => ("none", None),
    }
}

fn policy_word(p: Policy) -> Option<&'static str> {
    match p {
        Policy::None => Some("none"),
        Policy::Quarantine => Some("quarantine"),
        Policy::Reject => Some("reject"),
        Policy::Unspecified => None,
    }
}

/// Every `_dmarc.` name the RFC 9989 tree walk may ask for `domain` (at most 8).
fn dmarc_walk(domain: &str) -> Vec<String> {
    let labels: Vec<&str> = domain
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
        .collect();
    let total = labels.len();
    let mut out = Vec::new();
    if total < 2 {
        return out;
    }
    let mut count = total;
    loop {
        out.push(format!("_dmarc.{}.", labels[total - count..].join(".")));
        if count == 1 {
            break;
        }
        count = if count >= 8 { 7 } else { count - 1 };
    }
    out
}

/// Everything this module concluded for one message.
#[derive(Debug, Clone)]
pub struct SignatureChecks {
    /// One entry per DKIM-Signature.
    pub dkim: Vec<DkimCheck>,
    /// The ARC chain.
    pub arc: ArcCheck,
    /// DMARC, when the message has a From domain.
    pub dmarc: Option<DmarcCheck>,
}

/// The inputs for DMARC besides the message.
pub struct DmarcInputs<'a> {
    /// The envelope (MAIL FROM) domain.
    pub mail_from_domain: &'a str,
    /// The SPF result for the relay IP and that domain.
    pub spf: crate::spf::SpfResult,
}

/// Check the DKIM signatures, the ARC chain and DMARC of `raw`. `None` when mail-auth
/// cannot parse the message at all.
pub async fn check<D: Dns>(
    dns: &D,
    auth: &MessageAuthenticator,
    raw: &[u8],
    dmarc_in: &DmarcInputs<'_>,
) -> Option<SignatureChecks> {
    let msg = AuthenticatedMessage::parse(raw)?;
    let mut fetched = Fetched::default();
    for h in &msg.dkim_headers {
        let s = &h.header;
        fetched
            .fetch::<DomainKey, _>(dns, &format!("{}._domainkey.{}", s.s, s.d))
            .await;
    }
    for h in &msg.ams_headers {
        let s = &h.header;
        fetched
            .fetch::<DomainKey, _>(dns, &format!("{}._domainkey.{}", s.s, s.d))
            .await;
    }
    for h in &msg.as_headers {
        let s = &h.header;
        fetched
            .fetch::<DomainKey, _>(dns, &format!("{}._domainkey.{}", s.s, s.d))
            .await;
    }
    let mut domains: Vec<String> = msg
        .from
        .iter()
        .filter_map(|f| f.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()))
        .collect();
    domains.push(dmarc_in.mail_from_domain.to_ascii_lowercase());
    domains.extend(
        msg.dkim_headers
            .iter()
            .map(|h| h.header.d.to_ascii_lowercase()),
    );
    domains.sort();
    domains.dedup();
    for d in domains.iter().take(8) {
        for key in dmarc_walk(d) {
            fetched.fetch::<Dmarc, _>(dns, &key).await;
        }
    }
    let raw_texts = std::mem::take(&mut fetched.raw);
    let table = Table(fetched.parsed);

    let dkim_out = auth
        .verify_dkim(mail_auth::Parameters::new(&msg).with_txt_cache(&table))
        .await;
    let dkim = dkim_out
        .iter()
        .map(|o| {
            let (result, reason) = dkim_word(o.result());
            DkimCheck {
                domain: o.signature().map(|s| s.d.clone()).unwrap_or_default(),
                selector: o.signature().map(|s| s.s.clone()).unwrap_or_default(),
                result,
                reason,
            }
        })
        .collect();

    let arc_out = auth
        .verify_arc(mail_auth::Parameters::new(&msg).with_txt_cache(&table))
        .await;
    let (arc_word, arc_reason) = dkim_word(arc_out.result());
    let arc = ArcCheck {
        result: if msg.ams_headers.is_empty() && msg.as_headers.is_empty() {
            "none"
        } else {
            arc_word
        },
        sets: msg.as_headers.len().max(msg.ams_headers.len()),
        sealers: {
            let mut seals: Vec<(u32, String)> = msg
                .as_headers
                .iter()
                .map(|h| (h.header.i, h.header.d.clone()))
                .collect();
            seals.sort();
            seals.into_iter().map(|(_, d)| d).collect()
        },
        reason: arc_reason,
    };

    let from_domain = msg
        .from
        .first()
        .and_then(|f| f.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()));
    let dmarc = match from_domain {
        None => None,
        Some(from) => {
            let spf_out = SpfOutput::new(dmarc_in.mail_from_domain.to_string()).with_result(
                match dmarc_in.spf {
                    crate::spf::SpfResult::Pass => MaSpf::Pass,
                    crate::spf::SpfResult::Fail => MaSpf::Fail,
                    crate::spf::SpfResult::SoftFail => MaSpf::SoftFail,
                    crate::spf::SpfResult::Neutral => MaSpf::Neutral,
                    crate::spf::SpfResult::None => MaSpf::None,
                    crate::spf::SpfResult::TempError => MaSpf::TempError,
                    crate::spf::SpfResult::PermError => MaSpf::PermError,
                },
            );
            let dp = mail_auth::dmarc::verify::DmarcParameters::new(
                &msg,
                &dkim_out,
                dmarc_in.mail_from_domain,
                &spf_out,
            );
            let out = auth
                .verify_dmarc(mail_auth::Parameters::new(dp).with_txt_cache(&table))
                .await;
            let record = dmarc_walk(&from)
                .iter()
                .find_map(|k| raw_texts.get(k).cloned());
            let policy = out.dmarc_record().and_then(|_| policy_word(out.policy()));
            let spf_aligned = matches!(out.spf_result(), DmarcResult::Pass);
            let dkim_aligned = matches!(out.dkim_result(), DmarcResult::Pass);
            let temp = matches!(out.spf_result(), DmarcResult::TempError(_))
                || matches!(out.dkim_result(), DmarcResult::TempError(_));
            let perm = matches!(out.spf_result(), DmarcResult::PermError(_))
                || matches!(out.dkim_result(), DmarcResult::PermError(_));
            let result = if spf_aligned || dkim_aligned {
                "pass"
            } else if temp {
                "temperror"
            } else if perm {
                "permerror"
            } else if policy.is_none() {
                "none"
            } else {
                "fail"
            };
            let receiver_should = match (result, policy) {
                ("pass", _) => "accept it: DMARC passed".to_string(),
                ("temperror", _) => {
                    "defer it and try again later: a DNS lookup DMARC needed failed".to_string()
                }
                ("fail", Some("reject")) => format!(
                    "reject it during the SMTP dialogue: {from} publishes p=reject and the message is neither SPF- nor DKIM-aligned"
                ),
                ("fail", Some("quarantine")) => format!(
                    "quarantine it (junk folder): {from} publishes p=quarantine and the message failed DMARC"
                ),
                ("fail", _) => format!(
                    "deliver it and send an aggregate report: {from} only monitors (p=none)"
                ),
                _ => format!("apply local policy only: {from} publishes no usable DMARC record"),
            };
            Some(DmarcCheck {
                domain: from,
                record,
                policy,
                spf_aligned,
                dkim_aligned,
                result,
                receiver_should,
            })
        }
    };
    Some(SignatureChecks { dkim, arc, dmarc })
}

#[cfg(test)]
mod tests {
    #[test]
    fn dmarc_tree_walk_names() {
        assert_eq!(
            super::dmarc_walk("a.b.example.org"),
            [
                "_dmarc.a.b.example.org.",
                "_dmarc.b.example.org.",
                "_dmarc.example.org.",
                "_dmarc.org."
            ]
        );
        let long = super::dmarc_walk("1.2.3.4.5.6.7.8.9.example");
        assert_eq!(long.len(), 8);
        assert_eq!(long[1], "_dmarc.4.5.6.7.8.9.example.");
    }
}
