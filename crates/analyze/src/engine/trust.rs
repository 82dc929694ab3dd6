//! The trust boundary: walking down from your own server to the first hop whose client is
//! outside the infrastructure you trust.
//!
//! The topmost `Received:` header is written by your own MX (or mailbox provider), so it is
//! true. Each trusted header names its client; if that client is also trusted (your own
//! organisation, the same provider's internal hops, a private address, a configured
//! `--trusted` entry, a filtering gateway or forwarder in front of your mailboxes), the
//! header below was written by trusted infrastructure too. The first trusted header with
//! an outside client is the entry hop; its client is the first untrusted relay and every
//! header below it is only that relay's claim.

use super::identity::addr_domain;
use super::identity::{is_private, is_public_name, norm, norm_host, org_cow, org_in};
use super::providers::{self, Provider, ProviderKind};
use crate::config::{TrustKind, TrustedEntry};
use relayhunt_received::Hop;

/// Result of the walk.
#[derive(Debug, Clone, Default)]
pub struct Walk {
    /// Per hop (oldest first): why its header is trusted, `None` when it is a claim.
    pub trusted: Vec<Option<String>>,
    /// Index of the entry hop.
    pub entry: Option<usize>,
    /// True when the walk reached the bottom without leaving trusted infrastructure.
    pub internal_origin: bool,
    /// The entry hop's client has a private address but names another organisation.
    pub private_crossing: bool,
}

/// What the walk trusts.
pub struct Scope<'a> {
    /// Configured entries.
    pub entries: &'a [(TrustKind, TrustedEntry)],
    /// Use the provider table.
    pub builtin: bool,
}

fn cfg_match_host(entries: &[(TrustKind, TrustedEntry)], host: Option<&str>) -> Option<String> {
    if entries.is_empty() {
        return None;
    }
    let h = norm_host(host?);
    entries.iter().find(|e| e.1.matches_host(&h)).map(|e| {
        let (id, what) = e.0.describe();
        [id, ": trusted because ", &h, " is ", what].concat()
    })
}

fn cfg_match_ip(
    entries: &[(TrustKind, TrustedEntry)],
    ip: Option<std::net::IpAddr>,
) -> Option<String> {
    let ip = ip?;
    entries.iter().find(|e| e.1.matches_ip(ip)).map(|e| {
        let (id, what) = e.0.describe();
        format!("{id}: trusted because {ip} is inside {what}")
    })
}

/// A forwarder for the recipient: the client accepted the message for an address in its
/// own (verified, non-dynamic) domain and re-sent it to the address your server received
/// it for. Its header below is trusted like a mailing list's.
fn forwarder_for_recipient(hop: &Hop, lower: Option<&Hop>) -> Option<String> {
    let lower = lower?;
    let f = &hop.from;
    let rdns = f.rdns.as_deref().filter(|r| is_public_name(r))?;
    if super::residential::is_dynamic(rdns, f.ip) {
        return None;
    }
    let client_org = org_cow(rdns)?;
    let original = lower.for_addr.as_deref()?;
    let od = addr_domain(original)?;
    if org_cow(&od) != Some(client_org) {
        return None;
    }
    let now = hop.for_addr.as_deref().and_then(addr_domain);
    if now.as_deref().is_some_and(|d| org_cow(d) == org_cow(&od)) {
        return None;
    }
    Some(format!(
        "trusted.forwarder_auto: trusted because {rdns} accepted the message for {original} in its own domain and re-sent it to you: a forwarder for the recipient"
    ))
}

fn provider_reason(p: &Provider) -> String {
    [
        p.id,
        ": trusted because it is ",
        p.name,
        " (",
        p.reason,
        ")",
    ]
    .concat()
}

/// The provider operating a hop's receiver.
pub fn receiver_provider(hop: &Hop) -> Option<&'static Provider> {
    hop.by
        .host
        .as_deref()
        .and_then(providers::by_host)
        .or_else(|| hop.by.ip.and_then(providers::by_ip))
        .or_else(|| {
            hop.by
                .host
                .as_deref()
                .and_then(super::identity::literal_ip)
                .and_then(providers::by_ip)
        })
}

/// The provider a hop's client belongs to. The HELO name counts only when the receiver
/// recorded no public address that contradicts it.
pub fn client_provider(hop: &Hop) -> Option<&'static Provider> {
    let f = &hop.from;
    if let Some(p) = f.rdns.as_deref().and_then(providers::by_host) {
        return Some(p);
    }
    if let Some(p) = f.ip.and_then(providers::by_ip) {
        return Some(p);
    }
    let helo_ok = match f.ip {
        None => true,
        Some(ip) => is_private(ip),
    };
    if helo_ok {
        return f.helo.as_deref().and_then(providers::by_host);
    }
    None
}

/// Does the receiver of this hop record reverse DNS? (Unknown receivers are assumed to.)
pub fn records_rdns(hop: &Hop) -> bool {
    receiver_provider(hop).is_none_or(|p| p.records_rdns)
}

/// True when the hop records no client at all (local submission, `from userid`).
pub fn no_client(hop: &Hop) -> bool {
    hop.from.ip.is_none() && hop.from.rdns.is_none() && hop.from.helo.is_none()
}

/// True when the hop is a mailbox fetch (fetchmail over POP3/IMAP) by the user's own agent.
pub fn is_fetch(hop: &Hop) -> bool {
    let starts_ci = |v: Option<&str>, p: &[u8]| {
        v.and_then(|v| v.as_bytes().get(..p.len()))
            .is_some_and(|b| b.eq_ignore_ascii_case(p))
    };
    let p = hop.protocol_raw.as_deref();
    hop.non_relay == Some(relayhunt_received::NonRelay::Retrieval)
        || starts_ci(p, b"POP")
        || starts_ci(p, b"IMAP")
        || hop
            .software
            .as_deref()
            .is_some_and(|s| contains_ci(s.as_bytes(), b"fetchmail"))
        || contains_ci(hop.raw.as_bytes(), b"(fetchmail")
}

/// Case-insensitive substring test for an ASCII needle, without lower-casing a copy of
/// the haystack (this runs on every raw `Received:` header the walk looks at).
fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, _)) = needle.split_first() else {
        return true;
    };
    hay.len() >= needle.len()
        && memchr::memchr2_iter(first.to_ascii_lowercase(), first.to_ascii_uppercase(), hay).any(
            |i| {
                hay.get(i..i + needle.len())
                    .is_some_and(|w| w.eq_ignore_ascii_case(needle))
            },
        )
}

/// Is the client of `hop` inside trusted infrastructure? Returns why.
fn client_inside(
    hop: &Hop,
    lower: Option<&Hop>,
    scope: &Scope<'_>,
    home: Option<&'static Provider>,
    home_org: Option<&str>,
) -> Option<String> {
    let f = &hop.from;
    if no_client(hop) {
        return Some(
            "trusted.local: trusted because no client is recorded (local hand-off)".into(),
        );
    }
    if is_fetch(hop) {
        return Some(
            "trusted.fetch: trusted because it is a retrieval from the user's own mailbox (POP/IMAP fetch)".into(),
        );
    }
    if let Some(r) = cfg_match_ip(scope.entries, f.ip)
        .or_else(|| cfg_match_host(scope.entries, f.rdns.as_deref()))
    {
        return Some(r);
    }
    if f.ip.is_none_or(is_private) {
        if let Some(r) = cfg_match_host(scope.entries, f.helo.as_deref()) {
            return Some(r);
        }
    }
    if scope.builtin {
        if let Some(p) = client_provider(hop) {
            let name = f.rdns.as_deref().or(f.helo.as_deref()).unwrap_or("");
            if providers::is_outbound(p, name) {
                // Another customer's mail leaving the provider: not your infrastructure.
                return None;
            }
            let same_as_home = home.is_some_and(|h| h.id == p.id);
            if same_as_home || matches!(p.kind, ProviderKind::Gateway | ProviderKind::Forwarder) {
                return Some(provider_reason(p));
            }
        }
    }
    let by = hop.by.host.as_deref().unwrap_or("");
    let client_names: Vec<&str> = if f.ip.is_none_or(is_private) {
        [f.rdns.as_deref(), f.helo.as_deref()]
            .into_iter()
            .flatten()
            .collect()
    } else {
        f.rdns.as_deref().into_iter().collect()
    };
    let by_norm = norm(by);
    let by_org = org_in(&by_norm);
    let other_org = client_names.iter().any(|n| {
        is_public_name(n)
            && org_in(&norm(n)).is_some_and(|o| Some(o) != by_org && Some(o) != home_org)
    });
    if let Some(r) = forwarder_for_recipient(hop, lower) {
        return Some(r);
    }
    if let Some(ip) = f.ip {
        if is_private(ip) && !other_org {
            return Some(format!(
                "trusted.private: trusted because {ip} is a private/loopback address (internal hop)"
            ));
        }
    }
    if client_names.iter().any(|n| {
        let n = norm(n);
        let o = org_in(&n);
        (o.is_some() && o == by_org) || (home_org.is_some() && o == home_org)
    }) {
        return Some("trusted.same_org: trusted because the client belongs to the receiver's organisation (the recipient's own infrastructure)".into());
    }
    None
}

/// Walk the chain (oldest first) from the top down.
pub fn walk(hops: &[Hop], scope: &Scope<'_>) -> Walk {
    let n = hops.len();
    let mut w = Walk {
        trusted: vec![None; n],
        ..Walk::default()
    };
    if n == 0 {
        return w;
    }
    let top = &hops[n - 1];
    let home = if scope.builtin {
        receiver_provider(top)
    } else {
        None
    };
    let home_org = top.by.host.as_deref().and_then(org_cow);
    let mut reason = cfg_match_host(scope.entries, top.by.host.as_deref())
        .or_else(|| cfg_match_ip(scope.entries, top.by.ip))
        .or_else(|| home.map(provider_reason))
        .unwrap_or_else(|| {
            "trusted.top: trusted because it is the topmost header, written by your own mail server"
                .into()
        });
    let mut i = n - 1;
    loop {
        w.trusted[i] = Some(reason);
        let lower = i.checked_sub(1).map(|j| &hops[j]);
        match client_inside(&hops[i], lower, scope, home, home_org.as_deref()) {
            Some(r) if i > 0 => {
                i -= 1;
                // Prefer what is known about the lower hop's own receiver.
                reason = cfg_match_host(scope.entries, hops[i].by.host.as_deref())
                    .or_else(|| cfg_match_ip(scope.entries, hops[i].by.ip))
                    .or_else(|| {
                        receiver_provider(&hops[i])
                            .filter(|_| scope.builtin)
                            .map(provider_reason)
                    })
                    .unwrap_or(r);
            }
            Some(_) => {
                w.internal_origin = true;
                break;
            }
            None => {
                w.entry = Some(i);
                w.private_crossing = hops[i].from.ip.is_some_and(is_private);
                break;
            }
        }
    }
    w
}
