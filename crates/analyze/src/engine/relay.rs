//! Below the trust boundary: what the first untrusted relay did with the message.
//!
//! The entry hop's client (the relay) wrote the header just below the entry hop. If that
//! header connects to it and shows the relay accepting the message from an unrelated
//! source (an access line, an IP-literal greeting, another organisation) without SMTP
//! AUTH, for a recipient outside its own domain, the relay acted as an open relay. The same
//! shape with AUTH recorded is an account being used from outside — a compromised or
//! abused account — and is kept apart. Known providers, mailing lists and forwarders
//! legitimately receive from outside and send on; they are reported as such, not as relays.

use super::continuity::{self, Link};
use super::findings::{self as f, finding};
use super::identity::{
    addr_domain, is_ip_literal, is_private, is_public_name, literal_ip, norm_host, org_cow,
    org_domain, org_eq, public_org, same_brand,
};
use super::residential;
use super::roles;
use super::trust::{self, Walk};
use super::Ctx;
use crate::report::{
    AuthReport, Finding, HopFlag, HopKind, HopRoleInfo, MessageSummary, Severity, VerdictKind,
};
use relayhunt_received::{FromPart, Hop, Protocol};
use std::borrow::Cow;
use std::net::IpAddr;

/// What the relay analysis concluded.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Headline kind, if the relay analysis produced one.
    pub kind: Option<VerdictKind>,
    /// Severity of that kind.
    pub severity: Option<Severity>,
    /// Sentence for the verdict.
    pub summary: Option<String>,
    /// Findings.
    pub findings: Vec<Finding>,
    /// Earliest public client address.
    pub origin_ip: Option<IpAddr>,
    /// Set when the hops just below the trust boundary are legitimate re-senders (mailing
    /// list, forwarder, backup MX): the lowest hop where one accepted the message, so the
    /// boundary can move below them.
    pub resent_from: Option<usize>,
    /// The hop above the list server's acceptance, when a list re-sent the message.
    pub below_list: Option<usize>,
    /// Per hop: the role decided by the walk down (`None` above the entry hop).
    pub roles: Vec<Option<HopRoleInfo>>,
    /// The unexplained relaying hop, when the walk stopped at one.
    pub candidate: Option<Candidate>,
    /// Further candidates below the first, nearest first, while each one's client is a
    /// mail server that itself relayed the message (its header connects below and no rule
    /// explains its acceptance); the verdict grades them all.
    pub lower_candidates: Vec<Candidate>,
}

/// `198.51.100.25 (mail-relay.somecloud.com)` / `203.0.113.7 (no rDNS, HELO "x")`.
pub fn describe(fp: &FromPart) -> String {
    let rdns = fp.rdns.as_deref().map(|r| r.trim_end_matches('.'));
    let mut s = String::with_capacity(64);
    let mut ip_then = |ip: IpAddr, parts: [&str; 3]| {
        push_ip(&mut s, ip);
        parts.iter().for_each(|p| s.push_str(p));
    };
    match (fp.ip, rdns, fp.helo.as_deref()) {
        (Some(ip), Some(r), _) => ip_then(ip, [" (", r, ")"]),
        (Some(ip), None, Some(h)) => ip_then(ip, [" (HELO ", h, ")"]),
        (Some(ip), None, None) => ip_then(ip, [" (no rDNS)", "", ""]),
        (None, Some(r), _) => s.push_str(r),
        (None, None, Some(h)) => {
            s.push_str("a host calling itself ");
            s.push_str(h);
        }
        (None, None, None) => s.push_str("an unidentified client"),
    }
    s
}

/// Append an address as `Display` writes it. IPv4 is spelled out by hand: `describe`
/// runs for many hops of every message and the formatter machinery costs more than the
/// rest of it.
fn push_ip(s: &mut String, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            for (i, o) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    s.push('.');
                }
                if o >= 100 {
                    s.push(char::from(b'0' + o / 100));
                }
                if o >= 10 {
                    s.push(char::from(b'0' + o / 10 % 10));
                }
                s.push(char::from(b'0' + o % 10));
            }
        }
        IpAddr::V6(v6) => {
            use std::fmt::Write as _;
            // Writing into a String cannot fail.
            let _ = write!(s, "{v6}");
        }
    }
}

/// The organisation names of a client: from rDNS, or from HELO when nothing better exists.
fn client_org(fp: &FromPart) -> Option<Cow<'_, str>> {
    fp.rdns
        .as_deref()
        .and_then(public_org)
        .or_else(|| fp.helo.as_deref().and_then(public_org))
}

/// Did the receiver of `hop` record that its client authenticated?
pub fn authenticated(hop: &Hop) -> bool {
    hop.authenticated
        || hop.auth_user.is_some()
        || hop.protocol.as_ref().is_some_and(|p| {
            p.is_authenticated() || matches!(p, Protocol::Http | Protocol::Https | Protocol::Mapi)
        })
}

/// Why a client is unrelated to the relay (empty when it is related).
fn unrelated_reasons(hop: &Hop, relay_org: Option<&str>) -> Vec<(String, &'static str)> {
    let c = &hop.from;
    let mut out = Vec::new();
    if let Some(d) = c
        .rdns
        .as_deref()
        .and_then(|r| residential::classify(r, c.ip))
    {
        out.push((
            format!("a dynamic/residential access line: {}", d.reason),
            "dynamic",
        ));
    }
    if c.ip.is_some_and(|ip| !is_private(ip)) && c.rdns.is_none() && trust::records_rdns(hop) {
        out.push(("a host without reverse DNS".to_string(), "no_rdns"));
    }
    if c.helo.as_deref().is_some_and(is_ip_literal) {
        out.push((
            "a client that greeted with a bare IP address instead of a host name".to_string(),
            "ip_helo",
        ));
    }
    if let (Some(h), Some(r)) = (c.helo.as_deref(), c.rdns.as_deref()) {
        if is_public_name(h) && is_public_name(r) && !org_eq(h, r) {
            out.push((
                format!("a host that called itself {h} although its address resolves to {r}"),
                "helo_mismatch",
            ));
        }
    }
    if let (Some(co), Some(ro)) = (client_org(c), relay_org) {
        if !same_brand(&co, ro) {
            out.push((format!("another organisation ({co})"), "other_org"));
        }
    }
    out
}

/// The list identifier of `List-Id: Desc <list.example.org>`, lower-cased.
fn list_id(s: &MessageSummary) -> Option<String> {
    let v = s.list_id.as_deref()?;
    let id = match (v.rfind('<'), v.rfind('>')) {
        (Some(a), Some(b)) if b > a => &v[a + 1..b],
        _ => v,
    };
    let id = id.trim().to_ascii_lowercase();
    (!id.is_empty()).then_some(id)
}

/// Is the relay a mailing list server? Either the list's domain is the relay's
/// organisation, or the relay accepted the message for the list address that the
/// `List-Id` (RFC 2919: `list.domain` for `list@domain`) or `List-Post` names and sent it
/// on to someone else (`sent_to`, the recipient of the hop above it). A poster's own
/// server also receives mail for the list address, but passes it on to the list itself.
fn is_list(
    ctx: &Ctx<'_>,
    s: &MessageSummary,
    relay_org: Option<&str>,
    rcpts: &[&str],
    sent_to: Option<&str>,
) -> Option<String> {
    let id = list_id(s);
    if let (Some(id), Some(ro)) = (id.as_deref(), relay_org) {
        if org_cow(id).is_some_and(|ld| same_brand(&ld, ro)) {
            return Some(id.to_string());
        }
    }
    let post = ctx
        .msg
        .first("List-Post")
        .map(|h| h.value().to_ascii_lowercase());
    let been = ctx
        .msg
        .first("X-BeenThere")
        .map(|h| h.value().to_ascii_lowercase());
    // Domains of the list addresses the list headers name (`List-Post: <mailto:l@d>`,
    // `X-BeenThere: l@d`): a relay that accepted mail for any address there is the list
    // host even when the local parts differ (aliases, archive rewriting).
    let list_domains: Vec<String> = [post.as_deref(), been.as_deref()]
        .into_iter()
        .flatten()
        .filter_map(|v| {
            let v = v.trim().trim_start_matches('<').trim_end_matches('>');
            addr_domain(v.trim_start_matches("mailto:"))
        })
        .collect();
    for r in rcpts {
        let r = r
            .trim()
            .trim_matches(|c| c == '<' || c == '>')
            .to_ascii_lowercase();
        let Some((local, dom)) = r.split_once('@') else {
            continue;
        };
        let as_id = format!("{local}.{dom}");
        let resent = sent_to.is_some_and(|t| {
            !t.trim()
                .trim_matches(|c| c == '<' || c == '>')
                .eq_ignore_ascii_case(&r)
        });
        if !resent {
            continue;
        }
        if id.as_deref() == Some(as_id.as_str())
            || post
                .as_deref()
                .is_some_and(|p| p.contains(&format!("mailto:{r}")))
            || been.as_deref().is_some_and(|b| b.contains(&r))
            || list_domains.iter().any(|d| d == dom)
        {
            return Some(id.unwrap_or(r));
        }
    }
    None
}

/// Is the server that wrote hop `k` the mailing list server? Returns the list's id.
pub fn list_server(
    ctx: &Ctx<'_>,
    s: &MessageSummary,
    server_org: Option<&str>,
    k: usize,
) -> Option<String> {
    let rcpts: Vec<&str> = ctx.hops[k].for_addr.as_deref().into_iter().collect();
    let sent_to = ctx.hops[k + 1..].iter().find_map(|h| h.for_addr.as_deref());
    is_list(ctx, s, server_org, &rcpts, sent_to)
}

/// The ARC sealer domain in the organisation `org`, if any.
pub fn arc_sealer(ctx: &Ctx<'_>, org: &str) -> Option<String> {
    arc_sealers(ctx)
        .into_iter()
        .find(|d| org_cow(d).is_some_and(|o| same_brand(&o, org)))
}

/// Signing domains of `ARC-Seal:` headers (`d=` tag).
fn arc_sealers(ctx: &Ctx<'_>) -> Vec<String> {
    ctx.msg
        .all("ARC-Seal")
        .filter_map(|h| {
            h.value().split(';').find_map(|t| {
                let (k, v) = t.split_once('=')?;
                (k.trim().eq_ignore_ascii_case("d")).then(|| norm_host(v))
            })
        })
        .collect()
}

/// Authentication outcome that makes an abuse finding worse.
pub fn auth_failed(auth: &AuthReport) -> bool {
    matches!(auth.spf.as_deref(), Some("fail" | "softfail" | "permerror"))
        || auth.dmarc.as_deref() == Some("fail")
        || (auth.dmarc.is_none() && auth.alignment.dmarc_pass_relaxed == Some(false))
}

/// Findings about the host the message really came from (as far as can be told).
fn origin_findings(ctx: &Ctx<'_>, i: usize, claimed: bool, out: &mut Vec<Finding>) {
    let c = &ctx.hops[i].from;
    let who = describe(c);
    let claim = if claimed {
        " (recorded by an untrusted server: a claim)"
    } else {
        ""
    };
    if let Some(d) = c
        .rdns
        .as_deref()
        .and_then(|r| residential::classify(r, c.ip))
    {
        out.push(finding(
            &f::ORIGIN_DYNAMIC,
            Severity::Medium,
            Some(i),
            format!(
                "The message came from {who}{claim}, which is named like an end-user access line ({}; rule {}). Mail servers do not live on such lines: a PC, a device or a bot sent it.",
                d.reason, d.id
            ),
            vec![ctx.ev(i)],
        ));
    } else if c.ip.is_some_and(|ip| !is_private(ip))
        && c.rdns.is_none()
        && trust::records_rdns(&ctx.hops[i])
    {
        out.push(finding(
            &f::ORIGIN_NO_RDNS,
            Severity::Low,
            Some(i),
            format!("The message came from {who}{claim}; its address has no reverse DNS name, which properly run mail servers always have."),
            vec![ctx.ev(i)],
        ));
    }
    if c.helo.as_deref().is_some_and(is_ip_literal) {
        let helo = c.helo.as_deref().unwrap_or_default();
        let differs = literal_ip(helo).zip(c.ip).is_some_and(|(h, ip)| h != ip);
        out.push(finding(
            &f::ORIGIN_IP_HELO,
            Severity::Low,
            Some(i),
            format!(
                "{who}{claim} greeted with the IP literal {helo} instead of a host name{}; mail servers introduce themselves by name, spam tools often do not.",
                if differs { ", and it is not even its own address" } else { "" }
            ),
            vec![ctx.ev(i)],
        ));
    }
}

/// Per-hop client flags and HELO-forgery findings for the hops at and below the entry hop.
fn client_flags(ctx: &Ctx<'_>, upto: usize, flags: &mut [Vec<HopFlag>], out: &mut Vec<Finding>) {
    let last = upto.min(ctx.hops.len().saturating_sub(1));
    for (i, hop) in ctx.hops.iter().enumerate().take(last + 1) {
        let c = &hop.from;
        if c.rdns
            .as_deref()
            .is_some_and(|r| residential::is_dynamic(r, c.ip))
        {
            flags[i].push(HopFlag::DynamicClient);
        }
        let rdns_expected = trust::records_rdns(hop);
        if c.ip.is_some_and(|ip| !is_private(ip)) && c.rdns.is_none() && rdns_expected {
            flags[i].push(HopFlag::MissingRdns);
        }
        if c.helo.as_deref().is_some_and(is_ip_literal) {
            flags[i].push(HopFlag::IpLiteralHelo);
        }
        if c.ip.is_some_and(is_private) {
            flags[i].push(HopFlag::PrivateClient);
        }
        if authenticated(hop) {
            flags[i].push(HopFlag::Authenticated);
        }
        if let (Some(h), None, Some(ip)) = (c.helo.as_deref(), c.rdns.as_deref(), c.ip) {
            let big = super::providers::by_host(h);
            let impersonated = big.filter(|p| {
                p.kind == super::providers::ProviderKind::Mailbox
                    && !is_private(ip)
                    && rdns_expected
            });
            if let Some(p) = impersonated {
                if super::providers::by_ip(ip).map(|q| q.id) != Some(p.id) {
                    flags[i].push(HopFlag::HeloMismatch);
                    out.push(finding(
                        &f::HELO_FORGERY,
                        Severity::Medium,
                        Some(i),
                        format!(
                            "The client introduced itself as {h} (a {} host) but its address {ip} has no reverse DNS name, which {}'s servers always have: the greeting impersonates a large provider.",
                            p.name, p.name
                        ),
                        vec![ctx.ev(i)],
                    ));
                }
            }
        }
        if let (Some(h), Some(r)) = (c.helo.as_deref(), c.rdns.as_deref()) {
            if is_public_name(h) && is_public_name(r) && !org_eq(h, r) {
                flags[i].push(HopFlag::HeloMismatch);
                let big = super::providers::by_host(h);
                if big.is_some() && super::providers::by_host(r).is_none() {
                    out.push(finding(
                        &f::HELO_FORGERY,
                        Severity::Medium,
                        Some(i),
                        format!(
                            "The client introduced itself as {h} (a {} host) but its address {} resolves to {r}: the greeting impersonates a large provider.",
                            big.map(|p| p.name).unwrap_or_default(),
                            c.ip.map(|i| i.to_string()).unwrap_or_default()
                        ),
                        vec![ctx.ev(i)],
                    ));
                }
            }
        }
    }
}

/// The unexplained relaying hop found by the walk down, before it is graded.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Index of the hop where the relay accepted the message.
    pub hop: usize,
    /// The relay's public address (see [`crate::report::RelayAssessment::relay_ip`]).
    pub relay_ip: Option<IpAddr>,
    /// `IP (name)` of the relay.
    pub relay: String,
    /// `IP (name)` of the client it accepted the message from.
    pub source: String,
    /// The relay's organisational domain.
    pub relay_org: Option<String>,
    /// The hops above it and the rules that explained them.
    pub explained_above: Vec<String>,
    /// Why the client is unrelated to the relay (short phrases).
    pub unrelated: Vec<(String, &'static str)>,
    /// Header lines from the entry hop down to the relay's acceptance.
    pub evidence: Vec<crate::report::Evidence>,
    /// Lower headers do not connect (fabricated before the relay).
    pub forged_below: bool,
}

/// The relay's address as the hop above recorded it; when that is private (an internal
/// hand-off), the first public client address further up, which is the same
/// organisation's way out to the internet.
fn public_relay_ip(hops: &[Hop], k: usize, entry: usize) -> Option<IpAddr> {
    public_relay_hop(hops, k, entry).and_then(|j| hops[j].from.ip)
}

/// The hop whose client record gives [`public_relay_ip`].
fn public_relay_hop(hops: &[Hop], k: usize, entry: usize) -> Option<usize> {
    (k + 1..=entry).find(|&j| hops[j].from.ip.is_some_and(|ip| !is_private(ip)))
}

/// Run the relay analysis: walk down from the trust boundary through every hop a rule of
/// `roles::RULES` explains, to the first hop that nothing explains (the relay candidate),
/// an authenticated submission, local submission, or the bottom of the chain.
pub fn assess(
    ctx: &Ctx<'_>,
    walk: &Walk,
    auth: &AuthReport,
    summary: &MessageSummary,
    flags: &mut [Vec<HopFlag>],
) -> Outcome {
    let mut out = Outcome {
        roles: vec![None; ctx.hops.len()],
        ..Outcome::default()
    };
    let Some(e) = walk.entry else {
        return out;
    };
    let hops = &ctx.hops;
    let entry = &hops[e];
    let links = continuity::Links::new(hops);
    let relay = describe(&entry.from);
    client_flags(ctx, e, flags, &mut out.findings);
    out.origin_ip = (0..=e)
        .filter_map(|i| hops[i].from.ip)
        .find(|ip| !is_private(*ip));

    if walk.private_crossing {
        out.findings.push(finding(
            &f::PRIVATE_IP,
            Severity::Medium,
            Some(e),
            format!(
                "Your server recorded the private address of {relay} for a client that names another organisation. Private addresses cannot arrive from the internet: the hop was written inside a network you do not control, or the header is not what it seems."
            ),
            vec![ctx.ev(e)],
        ));
    }

    // Direct delivery: no header below the entry hop.
    if e == 0 {
        out.findings.push(finding(
            &f::DIRECT_TO_MX,
            Severity::Info,
            Some(e),
            [relay.as_str(), " delivered the message straight to your infrastructure; there is no earlier hop, so it is the origin."].concat(),
            vec![ctx.ev(e)],
        ));
        origin_findings(ctx, e, false, &mut out.findings);
        return out;
    }

    // Impossible time order in the claimed part.
    let backwards: Vec<usize> = (1..=e)
        .filter(|&i| match (hops[i].date, hops[i - 1].date) {
            (Some(up), Some(low)) => {
                up.unix.saturating_sub(low.unix) < -ctx.cfg.impossible_order_secs
            }
            _ => false,
        })
        .collect();
    if !backwards.is_empty() {
        let ev = backwards
            .iter()
            .flat_map(|&i| [ctx.ev(i), ctx.ev(i - 1)])
            .collect();
        out.findings.push(finding(
            &f::IMPOSSIBLE_ORDER,
            Severity::Medium,
            Some(backwards[0]),
            format!("A hop at or below the trust boundary is dated more than {} hours before the hop that handed the message to it. Clocks drift by minutes, not hours: the lower header's date was invented.", ctx.cfg.impossible_order_secs / 3600),
            ev,
        ));
    }

    // Does the relay's own header connect to it?
    let lower = &hops[e - 1];
    let mut forged_at: Vec<usize> = Vec::new();
    for j in (1..e).rev() {
        if links.below(j) == Link::Mismatch {
            forged_at.push(j - 1);
        }
    }
    if links.below(e) == Link::Mismatch {
        flags[e - 1].push(HopFlag::Discontinuity);
        out.findings.push(finding(
            &f::FORGED_CHAIN,
            Severity::Medium,
            Some(e - 1),
            format!(
                "Your server received the message from {relay}, but the header below it claims to be written by {}. The relay did not write that header: everything below the trust boundary was fabricated by the sender to hide or muddle the origin. Treat {relay} as the origin.",
                lower.by.host.as_deref().unwrap_or("another server")
            ),
            vec![ctx.ev(e), ctx.ev(e - 1)],
        ));
        origin_findings(ctx, e, false, &mut out.findings);
        out.kind = Some(VerdictKind::ForgedChain);
        out.severity = Some(Severity::Medium);
        out.summary = Some(format!(
            "Forged chain: the headers below {relay} do not connect to it; {} is where the message really entered.",
            entry.from.ip.map(|i| i.to_string()).unwrap_or_else(|| relay.clone())
        ));
        out.origin_ip = entry
            .from
            .ip
            .filter(|ip| !is_private(*ip))
            .or(out.origin_ip);
        return out;
    }
    if links.below(e) == Link::Unknown {
        // Nothing proves the relay wrote the header below: treat the relay as the origin.
        out.origin_ip = entry
            .from
            .ip
            .filter(|ip| !is_private(*ip))
            .or(out.origin_ip);
        origin_findings(ctx, e, false, &mut out.findings);
        return out;
    }
    for &j in &forged_at {
        flags[j].push(HopFlag::Discontinuity);
        out.findings.push(finding(
            &f::DISCONTINUITY,
            Severity::Low,
            Some(j),
            format!(
                "Below the relay, the header written by {} does not connect to the client recorded above it ({}): at least one lower header was fabricated before the message reached the relay.",
                hops[j].by.host.as_deref().unwrap_or("an unnamed server"),
                describe(&hops[j + 1].from)
            ),
            vec![ctx.ev(j + 1), ctx.ev(j)],
        ));
    }

    // Walk down, giving each hop its role, until a hop is not explained.
    let mut explained_above: Vec<String> = Vec::new();
    let mut resender = true;
    let mut provider_named = false;
    let mut k = e - 1;
    let stop = loop {
        let view = roles::View {
            ctx,
            k,
            server_org: roles::server_org(hops, k),
            server_ip: hops[k + 1].from.ip,
            summary,
            auth,
            entry: e,
        };
        let role = roles::judge(&view);
        let kind = role.kind;
        // Texts and evidence only for the roles that report a finding.
        let server = || describe(&hops[k + 1].from);
        let ev = || vec![ctx.ev(k + 1), ctx.ev(k)];
        match kind {
            HopKind::List => out.findings.push(finding(
                &f::MAILING_LIST,
                Severity::Info,
                Some(k + 1),
                [server().as_str(), " is the mailing list server (", &role.why, "): it accepted the message for the list address and sent it on to subscribers, as lists do. Not an open relay."].concat(),
                ev(),
            )),
            HopKind::Forwarder => out.findings.push(finding(
                &f::FORWARDER,
                Severity::Info,
                Some(k + 1),
                [server().as_str(), " ", &role.why, ": it is that domain's inbound server or forwarder and passed the message on. Not an open relay."].concat(),
                ev(),
            )),
            _ if !provider_named
                && matches!(kind, HopKind::ProviderInternal | HopKind::AuthenticatedSubmission)
                && trust::client_provider(&hops[k + 1]).is_some() =>
            {
                provider_named = true;
                let p = trust::client_provider(&hops[k + 1]).map_or("", |p| p.name);
                out.findings.push(finding(
                    &f::KNOWN_PROVIDER,
                    Severity::Info,
                    Some(k + 1),
                    [server().as_str(), " belongs to ", p, ", which accepts mail only from its own account holders or customers; it is not an open relay. It received the message from ", &describe(&hops[k].from), "."].concat(),
                    ev(),
                ));
            }
            HopKind::ProviderInternal if role.rule == "provider.known" => {
                provider_named = true;
                out.findings.push(finding(
                    &f::KNOWN_PROVIDER,
                    Severity::Info,
                    Some(k + 1),
                    [server().as_str(), " belongs to ", &role.why, ", which accepts mail only from its own account holders or customers; it is not an open relay. It received the message from ", &describe(&hops[k].from), "."].concat(),
                    ev(),
                ));
            }
            HopKind::CustomerSmarthost => out.findings.push(finding(
                &f::CUSTOMER_SMARTHOST,
                Severity::Info,
                Some(k + 1),
                [server().as_str(), " relayed for ", &describe(&hops[k].from), " without a recorded login, which is authorised here: ", &role.why, " (rule ", role.rule, ")."].concat(),
                ev(),
            )),
            _ => {}
        }
        explained_above.push(
            [
                "hop ",
                &k.to_string(),
                ": ",
                kind.as_str(),
                " (",
                role.rule,
                ": ",
                &role.why,
                ")",
            ]
            .concat(),
        );
        out.roles[k] = Some(role);
        let passes = matches!(
            kind,
            HopKind::List
                | HopKind::Forwarder
                | HopKind::Retrieval
                | HopKind::ProviderInternal
                | HopKind::CustomerSmarthost
        );
        if resender && matches!(kind, HopKind::List | HopKind::Forwarder) {
            out.resent_from = Some(k);
            if kind == HopKind::List {
                out.below_list = Some(k + 1);
            }
        } else if !matches!(kind, HopKind::Retrieval | HopKind::ProviderInternal) {
            resender = false;
        }
        if !passes {
            break Some(k);
        }
        if k == 0 || links.below(k) == Link::Mismatch {
            break None;
        }
        k -= 1;
    };
    let below = stop.unwrap_or(k);
    for r in out.roles.iter_mut().take(below) {
        *r = Some(HopRoleInfo {
            kind: HopKind::Claimed,
            rule: "claimed.below",
            why: "below the hop the analysis stopped at: written by untrusted servers".into(),
        });
    }
    explained_above.pop();

    let Some(a) = stop else {
        // Every hop down to the bottom (or to a break in the chain) is explained: the
        // client of the lowest one is where the message came from.
        origin_findings(ctx, k, k < e, &mut out.findings);
        out.origin_ip = hops[k]
            .from
            .ip
            .filter(|ip| !is_private(*ip))
            .or_else(|| public_relay_ip(hops, k, e))
            .or(out.origin_ip);
        return out;
    };
    let role_kind = out.roles[a].as_ref().map(|r| r.kind);
    let src_hop = &hops[a];
    let src = describe(&src_hop.from);
    let server = describe(&hops[a + 1].from);
    let evidence = {
        let mut v = vec![ctx.ev(e)];
        v.extend((a..e).rev().map(|k| ctx.ev(k)));
        v
    };
    if role_kind == Some(HopKind::Origin) {
        // The server submitted its own mail (a compromised web host, a script): it is the
        // origin, not a relay.
        out.origin_ip = public_relay_ip(hops, a, e).or(out.origin_ip);
        out.findings.push(finding(
            &f::LOCAL_ORIGIN,
            Severity::Info,
            Some(a),
            format!("{server} wrote this message itself: its own header records a local submission, not a network client. It is the origin; abuse goes to whoever runs it."),
            evidence,
        ));
        return out;
    }
    origin_findings(ctx, a, true, &mut out.findings);
    out.origin_ip = src_hop
        .from
        .ip
        .filter(|ip| !is_private(*ip))
        .or(out.origin_ip);
    let r_org = roles::server_org(hops, a);
    let reasons = unrelated_reasons(src_hop, r_org.as_deref());
    let why = reasons
        .iter()
        .map(|r| r.0.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    let failed = auth_failed(auth);
    let auth_note = auth_phrase(auth);

    if role_kind == Some(HopKind::AuthenticatedSubmission) {
        let user = src_hop.auth_user.as_deref();
        let from_org = summary
            .from
            .as_ref()
            .and_then(|m| m.domain.as_deref())
            .and_then(org_cow);
        let user_org = user
            .and_then(addr_domain)
            .and_then(|d| org_domain(&d))
            .map(Cow::<str>::Owned);
        // Only a named login can show an account sending as someone else; shared hosting
        // servers legitimately send for many customers' domains.
        let sends_as_other = match (&from_org, &user_org) {
            (Some(fo), Some(uo)) => fo != uo,
            _ => false,
        };
        let bec = summary
            .reply_to
            .as_ref()
            .and_then(|r| r.domain.as_deref())
            .and_then(org_cow)
            .zip(from_org.clone())
            .is_some_and(|(r, f)| r != f);
        let outside = !reasons.is_empty();
        if outside && (failed || sends_as_other || bec) {
            let mut why_bad = Vec::new();
            if failed {
                why_bad.push(format!("authentication failed ({auth_note})"));
            }
            if sends_as_other {
                why_bad.push(format!(
                    "the account sent as {} which is not its own domain",
                    summary
                        .from
                        .as_ref()
                        .and_then(|m| m.address.as_deref())
                        .unwrap_or("another domain")
                ));
            }
            if bec {
                why_bad.push("replies are redirected to another organisation".to_string());
            }
            let sev = if failed || sends_as_other {
                Severity::High
            } else {
                Severity::Medium
            };
            out.findings.push(finding(
                &f::COMPROMISED_ACCOUNT,
                sev,
                Some(a),
                format!(
                    "The relay {server} accepted this message from {src} — {why} — after SMTP AUTH{}. A real account on the relay was used from outside its owner's network, and {}. This is a stolen or abused account, not an open relay: reset its credentials rather than reporting the server.",
                    user.map(|u| format!(" as {u}")).unwrap_or_default(),
                    why_bad.join(", ")
                ),
                evidence,
            ));
            out.kind = Some(VerdictKind::CompromisedAccount);
            out.severity = Some(sev);
            out.summary = Some(format!(
                "Compromised account suspected: {server} sent this after an authenticated login{} from {src}.",
                user.map(|u| format!(" as {u}")).unwrap_or_default()
            ));
        } else {
            out.findings.push(finding(
                &f::AUTH_SUBMISSION,
                Severity::Info,
                Some(a),
                format!("The relay {server} accepted the message from {src} after SMTP AUTH{}: an ordinary authenticated submission.", user.map(|u| format!(" as {u}")).unwrap_or_default()),
                evidence,
            ));
        }
        // A webmail or API submission records no network client (or an internal one):
        // the provider's origin header names the browser's address instead.
        if src_hop.from.ip.is_none_or(is_private) {
            out.origin_ip = webmail_origin(ctx).or(out.origin_ip);
        }
        return out;
    }

    // An ISP's smarthost relays for its customers' mail servers. When the unexplained
    // relay's client is itself a server (public, not an access line) whose own header
    // does not contradict the header below and shows it accepting from someone unexplained,
    // that lower server is
    // another candidate, and so on down a connected run; the verdict grades them all.
    let mut above = explained_above.clone();
    let mut top = a;
    while top >= 1 && out.lower_candidates.len() < 4 {
        let c = &hops[top].from;
        let server_like = c.ip.is_some_and(|ip| !is_private(ip))
            && c.rdns
                .as_deref()
                .is_none_or(|r| !residential::is_dynamic(r, c.ip));
        if !server_like || links.below(top) == Link::Mismatch {
            break;
        }
        let k = top - 1;
        let view = roles::View {
            ctx,
            k,
            server_org: roles::server_org(hops, k),
            server_ip: c.ip,
            summary,
            auth,
            entry: e,
        };
        let role = roles::judge(&view);
        if role.kind != HopKind::UnexplainedRelay || hops[k].from.ip == c.ip {
            break;
        }
        above.push(format!(
            "hop {top}: relayed for the mail server {} (smarthost.relay_client)",
            describe(c)
        ));
        out.lower_candidates.push(Candidate {
            hop: k,
            relay_ip: c.ip,
            relay: describe(c),
            source: describe(&hops[k].from),
            relay_org: view.server_org.as_deref().map(str::to_owned),
            explained_above: above.clone(),
            unrelated: unrelated_reasons(&hops[k], view.server_org.as_deref()),
            evidence: {
                let mut v = vec![ctx.ev(e)];
                v.extend((k..e).rev().map(|j| ctx.ev(j)));
                v
            },
            forged_below: forged_at.iter().any(|&j| j < k),
        });
        top = k;
    }

    // Unexplained: hand the candidate to the verdict for grading.
    out.candidate = Some(Candidate {
        hop: a,
        relay_ip: public_relay_ip(hops, a, e),
        relay: public_relay_hop(hops, a, e).map_or(server, |j| describe(&hops[j].from)),
        source: src,
        relay_org: r_org.map(Cow::into_owned),
        explained_above,
        unrelated: reasons,
        evidence,
        forged_below: forged_at.iter().any(|&j| j < a),
    });
    out
}

/// Webmail origin headers (`X-Originating-IP` and kin) name the browser's address when a
/// provider's webmail submitted the message; only a public address counts.
pub fn webmail_origin(ctx: &Ctx<'_>) -> Option<IpAddr> {
    const NAMES: &[&str] = &[
        "X-Originating-IP",
        "X-Sender-IP",
        "X-Source-IP",
        "X-Client-IP",
        "X-Originating-Client-IP",
    ];
    NAMES.iter().find_map(|n| {
        let v: &str = ctx.msg.first(n)?.value();
        let v = v.trim().trim_matches(|c| c == '[' || c == ']').trim();
        v.parse::<IpAddr>().ok().filter(|ip| !is_private(*ip))
    })
}

/// `SPF fail, DKIM none, DMARC fail` from the trusted results.
pub fn auth_phrase(auth: &AuthReport) -> String {
    let mut parts = Vec::new();
    if let Some(s) = &auth.spf {
        parts.push(format!("SPF {s}"));
    }
    if !auth.dkim.is_empty() {
        let mut r: Vec<&str> = auth.dkim.iter().map(|d| d.result.as_str()).collect();
        r.dedup();
        parts.push(format!("DKIM {}", r.join("/")));
    }
    match (&auth.dmarc, auth.alignment.dmarc_pass_relaxed) {
        (Some(d), _) => parts.push(format!("DMARC {d}")),
        (None, Some(false)) => parts.push("DMARC not aligned".to_string()),
        _ => {}
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_spelled_as_display_does() {
        for a in [
            "0.0.0.0",
            "9.10.99.100",
            "198.51.100.25",
            "255.255.255.255",
            "2001:db8::1",
        ] {
            let ip: IpAddr = a.parse().unwrap();
            let mut s = String::new();
            push_ip(&mut s, ip);
            assert_eq!(s, ip.to_string());
        }
        let fp = FromPart {
            ip: Some("203.0.113.7".parse().unwrap()),
            helo: Some("x".into()),
            ..FromPart::default()
        };
        assert_eq!(describe(&fp), "203.0.113.7 (HELO x)");
    }
}
