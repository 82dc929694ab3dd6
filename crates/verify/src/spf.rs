//! SPF `check_host()` (RFC 7208 §4) over the [`Dns`] trait, saying which term decided.
//!
//! mail-auth parses the records (and expands macros); the evaluation is done here because
//! the analyst needs to know *why*: which record was read, which mechanism matched in which
//! domain, and how many DNS-querying terms and void lookups it took. The limits are the
//! RFC's: at most 10 terms that query DNS (§4.6.4: `include`, `a`, `mx`, `ptr`, `exists`,
//! `redirect`), at most 2 void lookups (§4.6.4), at most 10 names per `mx` or `ptr`; going
//! over is `permerror`. A lookup that fails (timeout, SERVFAIL) is `temperror` (§4.4, §5):
//! a DNS problem never becomes a pass or a fail.

use crate::dns::{canonical_ip, Dns, Kind};
use mail_auth::common::parse::TxtRecordParser;
use mail_auth::spf::{Macro, Mechanism, Qualifier, Spf, Variables};
use serde::Serialize;
use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

/// Most terms that cause DNS queries (RFC 7208 §4.6.4).
pub const MAX_DNS_TERMS: u32 = 10;
/// Most void lookups (RFC 7208 §4.6.4, recommended default).
pub const MAX_VOID_LOOKUPS: u32 = 2;
/// Most names looked at for one `mx` or `ptr` term (RFC 7208 §4.6.4).
pub const MAX_NAMES_PER_TERM: usize = 10;
/// Deepest include/redirect nesting followed (loops end at the term limit anyway).
const MAX_DEPTH: u8 = 12;

/// An SPF result (RFC 7208 §2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpfResult {
    /// The address is authorised.
    Pass,
    /// The address is explicitly not authorised (`-`).
    Fail,
    /// Probably not authorised (`~`).
    SoftFail,
    /// The domain makes no statement about the address (`?` or no match).
    Neutral,
    /// The domain publishes no SPF record (or is not a domain).
    None,
    /// A DNS lookup failed; try again later.
    TempError,
    /// The record is broken or the limits were exceeded.
    PermError,
}

impl SpfResult {
    /// The lower-case name used in Authentication-Results (RFC 8601 §2.7.2).
    pub fn as_str(self) -> &'static str {
        match self {
            SpfResult::Pass => "pass",
            SpfResult::Fail => "fail",
            SpfResult::SoftFail => "softfail",
            SpfResult::Neutral => "neutral",
            SpfResult::None => "none",
            SpfResult::TempError => "temperror",
            SpfResult::PermError => "permerror",
        }
    }
}

impl fmt::Display for SpfResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One SPF evaluation and how it came out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpfCheck {
    /// The domain whose policy was checked.
    pub domain: String,
    /// The client address checked.
    pub ip: IpAddr,
    /// The outcome.
    pub result: SpfResult,
    /// The record published at `domain`, as read.
    pub record: Option<String>,
    /// The term that decided, with the domain whose record holds it
    /// (`-all in example.org`); `None` when no term matched or evaluation stopped early.
    pub matched: Option<String>,
    /// One sentence: why this result.
    pub reason: String,
    /// Terms that queried DNS (limit [`MAX_DNS_TERMS`]).
    pub dns_terms: u32,
    /// Void lookups (limit [`MAX_VOID_LOOKUPS`]).
    pub void_lookups: u32,
}

/// The inputs of `check_host()` (RFC 7208 §4.1).
#[derive(Debug, Clone)]
pub struct SpfQuery<'a> {
    /// The SMTP client's address.
    pub ip: IpAddr,
    /// The domain to check.
    pub domain: &'a str,
    /// The sender (`local@domain`) macros expand from; `postmaster@domain` when unknown.
    pub sender: Option<&'a str>,
    /// The client's HELO name, for the `%{h}` macro.
    pub helo: Option<&'a str>,
}

/// Why evaluation stopped early.
enum Stop {
    Temp(String),
    Perm(String),
}

struct Eval<'d, D> {
    dns: &'d D,
    ip: IpAddr,
    sender: String,
    helo: String,
    terms: u32,
    voids: u32,
    top_record: Option<String>,
    matched: Option<String>,
    reason: Option<String>,
}

/// Evaluate SPF for `q`.
pub async fn check_host<D: Dns>(dns: &D, q: &SpfQuery<'_>) -> SpfCheck {
    let domain = q.domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let ip = canonical_ip(q.ip);
    let mut ev = Eval {
        dns,
        ip,
        sender: q
            .sender
            .filter(|s| s.contains('@'))
            .map(str::to_string)
            .unwrap_or_else(|| format!("postmaster@{domain}")),
        helo: q.helo.unwrap_or("").to_string(),
        terms: 0,
        voids: 0,
        top_record: None,
        matched: None,
        reason: None,
    };
    let result = if !valid_domain(&domain) {
        ev.reason = Some(format!("{domain:?} is not a domain name SPF can check"));
        SpfResult::None
    } else {
        match ev.check(domain.clone(), 0).await {
            Ok(Some(r)) => r,
            Ok(None) => {
                ev.reason = Some(format!("{domain} publishes no SPF record"));
                SpfResult::None
            }
            Err(Stop::Temp(why)) => {
                ev.reason = Some(why);
                SpfResult::TempError
            }
            Err(Stop::Perm(why)) => {
                ev.reason = Some(why);
                SpfResult::PermError
            }
        }
    };
    let reason = ev.reason.take().unwrap_or_else(|| match &ev.matched {
        Some(m) => format!("{m} matched {ip}"),
        None => format!("no term of {domain}'s record matched {ip}; the default is neutral"),
    });
    SpfCheck {
        domain,
        ip,
        result,
        record: ev.top_record,
        matched: ev.matched,
        reason,
        dns_terms: ev.terms,
        void_lookups: ev.voids,
    }
}

/// Syntactically usable as an SPF domain (RFC 7208 §4.3): labels of 1–63, total ≤ 253,
/// at least two labels.
fn valid_domain(d: &str) -> bool {
    d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

type Step<'s> = Pin<Box<dyn Future<Output = Result<Option<SpfResult>, Stop>> + Send + 's>>;

impl<D: Dns> Eval<'_, D> {
    /// Count one DNS-querying term.
    fn term(&mut self, what: &str, domain: &str) -> Result<(), Stop> {
        self.terms += 1;
        if self.terms > MAX_DNS_TERMS {
            return Err(Stop::Perm(format!(
                "more than {MAX_DNS_TERMS} DNS-querying terms (reached at {what} in {domain}); RFC 7208 §4.6.4 makes that a permerror"
            )));
        }
        Ok(())
    }

    /// Count a void lookup.
    fn void(&mut self, what: &str, domain: &str) -> Result<(), Stop> {
        self.voids += 1;
        if self.voids > MAX_VOID_LOOKUPS {
            return Err(Stop::Perm(format!(
                "more than {MAX_VOID_LOOKUPS} lookups returned nothing (last: {what} in {domain}); RFC 7208 §4.6.4 makes that a permerror"
            )));
        }
        Ok(())
    }

    async fn lookup(&mut self, name: &str, kind: Kind) -> Result<crate::dns::Answer, Stop> {
        self.dns
            .query(name, kind)
            .await
            .map_err(|e| Stop::Temp(e.to_string()))
    }

    /// The SPF record of `domain`: `Ok(None)` when it has none.
    async fn record(&mut self, domain: &str) -> Result<Option<(Spf, String)>, Stop> {
        let answer = self.lookup(domain, Kind::Txt).await?;
        let spf: Vec<&[u8]> = answer
            .texts()
            .into_iter()
            .filter(|t| {
                t.len() >= 6
                    && t[..6].eq_ignore_ascii_case(b"v=spf1")
                    && t.get(6).is_none_or(|c| *c == b' ')
            })
            .collect();
        match spf.as_slice() {
            [] => Ok(None),
            [one] => {
                let text = String::from_utf8_lossy(one).into_owned();
                match Spf::parse(one) {
                    Ok(parsed) => Ok(Some((parsed, text))),
                    Err(_) => Err(Stop::Perm(format!(
                        "the SPF record of {domain} does not parse: {text:?}"
                    ))),
                }
            }
            _ => Err(Stop::Perm(format!(
                "{domain} publishes {} SPF records; RFC 7208 §4.5 allows one",
                spf.len()
            ))),
        }
    }

    fn check<'s>(&'s mut self, domain: String, depth: u8) -> Step<'s> {
        Box::pin(async move {
            if depth > MAX_DEPTH {
                return Err(Stop::Perm(format!(
                    "include/redirect nesting deeper than {MAX_DEPTH} at {domain}"
                )));
            }
            let Some((record, text)) = self.record(&domain).await? else {
                return Ok(None);
            };
            if depth == 0 {
                self.top_record = Some(text);
            }
            let vars_owned = (self.sender.clone(), self.helo.clone());
            for directive in record.directives.iter() {
                let m = &directive.mechanism;
                let shown = describe(&directive.qualifier, m);
                let hit = match m {
                    Mechanism::All => true,
                    Mechanism::Ip4 { .. } | Mechanism::Ip6 { .. } => ip_matches(self.ip, m),
                    Mechanism::Include { macro_string } => {
                        self.term("include", &domain)?;
                        let target = expand(macro_string, &domain, self.ip, &vars_owned);
                        let before = self.matched.take();
                        match self.check(target.clone(), depth + 1).await? {
                            Some(SpfResult::Pass) => {
                                // Name the term inside the include that matched.
                                let inner = self.matched.take().unwrap_or_default();
                                self.matched = Some(format!("{inner} (via {shown} in {domain})"));
                                return Ok(Some(qualify(&directive.qualifier)));
                            }
                            Some(SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral) => {
                                self.matched = before;
                                false
                            }
                            Some(other) => return Ok(Some(other)),
                            None => {
                                return Err(Stop::Perm(format!(
                                    "{domain} includes {target}, which publishes no SPF record (RFC 7208 §5.2: permerror)"
                                )))
                            }
                        }
                    }
                    Mechanism::A {
                        macro_string,
                        ip4_mask,
                        ip6_mask,
                    } => {
                        self.term("a", &domain)?;
                        let target = expand(macro_string, &domain, self.ip, &vars_owned);
                        let ips = self.addresses(&target, "a", &domain).await?;
                        ips.iter()
                            .any(|a| net_contains(*a, self.ip, *ip4_mask, *ip6_mask))
                    }
                    Mechanism::Mx {
                        macro_string,
                        ip4_mask,
                        ip6_mask,
                    } => {
                        self.term("mx", &domain)?;
                        let target = expand(macro_string, &domain, self.ip, &vars_owned);
                        let answer = self.lookup(&target, Kind::Mx).await?;
                        if answer.is_void() {
                            self.void("mx", &domain)?;
                        }
                        let exchanges: Vec<String> =
                            answer.exchanges().into_iter().map(str::to_string).collect();
                        if exchanges.len() > MAX_NAMES_PER_TERM {
                            return Err(Stop::Perm(format!(
                                "mx of {target} has {} exchanges; RFC 7208 §4.6.4 allows {MAX_NAMES_PER_TERM}",
                                exchanges.len()
                            )));
                        }
                        let mut hit = false;
                        for ex in exchanges {
                            let kind = if self.ip.is_ipv4() {
                                Kind::A
                            } else {
                                Kind::Aaaa
                            };
                            let ips = self.lookup(&ex, kind).await?.ips();
                            if ips
                                .iter()
                                .any(|a| net_contains(*a, self.ip, *ip4_mask, *ip6_mask))
                            {
                                hit = true;
                                break;
                            }
                        }
                        hit
                    }
                    Mechanism::Ptr { macro_string } => {
                        self.term("ptr", &domain)?;
                        let target = expand(macro_string, &domain, self.ip, &vars_owned);
                        self.ptr_matches(&target).await
                    }
                    Mechanism::Exists { macro_string } => {
                        self.term("exists", &domain)?;
                        let target = expand(macro_string, &domain, self.ip, &vars_owned);
                        let answer = self.lookup(&target, Kind::A).await?;
                        if answer.is_void() {
                            self.void("exists", &domain)?;
                        }
                        !answer.is_void()
                    }
                };
                if hit {
                    self.matched = Some(format!("{shown} in {domain}"));
                    return Ok(Some(qualify(&directive.qualifier)));
                }
            }
            if let Some(redirect) = &record.redirect {
                self.term("redirect", &domain)?;
                let target = expand(redirect, &domain, self.ip, &vars_owned);
                return match self.check(target.clone(), depth + 1).await? {
                    Some(r) => Ok(Some(r)),
                    None => Err(Stop::Perm(format!(
                        "{domain} redirects to {target}, which publishes no SPF record (RFC 7208 §6.1: permerror)"
                    ))),
                };
            }
            Ok(Some(SpfResult::Neutral))
        })
    }

    /// A or AAAA of `target` (the family of the client), counting a void answer.
    async fn addresses(
        &mut self,
        target: &str,
        what: &str,
        domain: &str,
    ) -> Result<Vec<IpAddr>, Stop> {
        let kind = if self.ip.is_ipv4() {
            Kind::A
        } else {
            Kind::Aaaa
        };
        let answer = self.lookup(target, kind).await?;
        if answer.is_void() {
            self.void(what, domain)?;
        }
        Ok(answer.ips())
    }

    /// `ptr` (RFC 7208 §5.5): a validated name of the client ending in `target`. Lookup
    /// errors make the term not match rather than fail the evaluation.
    async fn ptr_matches(&mut self, target: &str) -> bool {
        let target = target.trim_end_matches('.').to_ascii_lowercase();
        let Ok(answer) = self
            .dns
            .query(&crate::dns::reverse_name(self.ip), Kind::Ptr)
            .await
        else {
            return false;
        };
        let kind = if self.ip.is_ipv4() {
            Kind::A
        } else {
            Kind::Aaaa
        };
        for name in answer.names().into_iter().take(MAX_NAMES_PER_TERM) {
            let under = name == target || name.ends_with(&format!(".{target}"));
            if !under {
                continue;
            }
            if let Ok(fwd) = self.dns.query(name, kind).await {
                if fwd.ips().contains(&self.ip) {
                    return true;
                }
            }
        }
        false
    }
}

fn qualify(q: &Qualifier) -> SpfResult {
    match q {
        Qualifier::Pass => SpfResult::Pass,
        Qualifier::Fail => SpfResult::Fail,
        Qualifier::SoftFail => SpfResult::SoftFail,
        Qualifier::Neutral => SpfResult::Neutral,
    }
}

fn ip_matches(ip: IpAddr, m: &Mechanism) -> bool {
    match (m, ip) {
        (Mechanism::Ip4 { addr, mask }, IpAddr::V4(v4)) => {
            u32::from(v4) & mask == u32::from(*addr) & mask
        }
        (Mechanism::Ip6 { addr, mask }, IpAddr::V6(v6)) => {
            u128::from(v6) & mask == u128::from(*addr) & mask
        }
        _ => false,
    }
}

fn net_contains(net: IpAddr, ip: IpAddr, m4: u32, m6: u128) -> bool {
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => u32::from(n) & m4 == u32::from(i) & m4,
        (IpAddr::V6(n), IpAddr::V6(i)) => u128::from(n) & m6 == u128::from(i) & m6,
        _ => false,
    }
}

/// Expand a domain-spec (RFC 7208 §7); an absent one means the current domain.
fn expand(m: &Macro, domain: &str, ip: IpAddr, (sender, helo): &(String, String)) -> String {
    let mut vars = Variables::new();
    vars.set_ip(&ip);
    vars.set_sender(sender.as_bytes().to_vec());
    vars.set_domain(domain.as_bytes().to_vec());
    vars.set_helo_domain(helo.as_bytes().to_vec());
    vars.set_host_domain(b"relayhunt.invalid".to_vec());
    let out = m.eval(&vars, domain, false).into_owned();
    out.trim_end_matches('.').to_ascii_lowercase()
}

/// A term as it would be written in the record (`-all`, `ip4:192.0.2.0/24`, `include:x`).
pub fn describe(q: &Qualifier, m: &Mechanism) -> String {
    let q = match q {
        Qualifier::Pass => "",
        Qualifier::Fail => "-",
        Qualifier::SoftFail => "~",
        Qualifier::Neutral => "?",
    };
    let spec = |m: &Macro| match m {
        Macro::None => String::new(),
        other => format!(":{}", macro_text(other)),
    };
    let cidr = |m4: u32, m6: u128| {
        let mut s = String::new();
        if m4 != u32::MAX {
            s.push_str(&format!("/{}", m4.count_ones()));
        }
        if m6 != u128::MAX {
            s.push_str(&format!("//{}", m6.count_ones()));
        }
        s
    };
    let body = match m {
        Mechanism::All => "all".to_string(),
        Mechanism::Include { macro_string } => format!("include{}", spec(macro_string)),
        Mechanism::A {
            macro_string,
            ip4_mask,
            ip6_mask,
        } => format!("a{}{}", spec(macro_string), cidr(*ip4_mask, *ip6_mask)),
        Mechanism::Mx {
            macro_string,
            ip4_mask,
            ip6_mask,
        } => format!("mx{}{}", spec(macro_string), cidr(*ip4_mask, *ip6_mask)),
        Mechanism::Ptr { macro_string } => format!("ptr{}", spec(macro_string)),
        Mechanism::Ip4 { addr, mask } => format!("ip4:{addr}/{}", mask.count_ones()),
        Mechanism::Ip6 { addr, mask } => format!("ip6:{addr}/{}", mask.count_ones()),
        Mechanism::Exists { macro_string } => format!("exists{}", spec(macro_string)),
    };
    format!("{q}{body}")
}

fn macro_text(m: &Macro) -> String {
    match m {
        Macro::Literal(b) => String::from_utf8_lossy(b).into_owned(),
        Macro::Variable { .. } => "%{…}".to_string(),
        Macro::List(items) => items.iter().map(macro_text).collect(),
        Macro::None => String::new(),
    }
}
