//! What each hop below the trust boundary did with the message, decided by a table of rules.
//!
//! A relay is only suspicious when nothing explains why it accepted the message. Every hop
//! between the trust boundary and the origin is therefore given a role by the first rule of
//! [`RULES`] that matches it: a mailbox fetch, local submission, an authenticated login, a
//! hand-off inside one organisation or network block, a known provider, a mailing list, a
//! forwarder for its own domain, or a smarthost relaying for its own customers or sender
//! domain. Only a hop no rule explains is an [`HopKind::UnexplainedRelay`]. Each rule is
//! one sentence with its reason, so an analyst who disagrees with a conclusion can see
//! which rule made it.
//!
//! A hop is judged from its receiving server's point of view: the server is the `by` of
//! hop `k` and (as seen by the next receiver) the client of hop `k + 1`; the client is the
//! `from` of hop `k`.

use super::identity::{
    addr_domain, is_ip_literal, is_private, is_public_name, org_cow, public_org, same_brand,
};
use super::relay;
use super::residential;
use super::trust;
use super::Ctx;
use crate::report::{AuthReport, HopKind, HopRoleInfo, MessageSummary};
use relayhunt_received::{FromPart, Hop, NonRelay, Protocol};
use std::borrow::Cow;
use std::net::IpAddr;

/// Everything a rule may look at for hop `k`.
pub struct View<'c, 'a> {
    /// The message and its parsed hops.
    pub ctx: &'c Ctx<'a>,
    /// Index of the hop judged.
    pub k: usize,
    /// Organisational domain of the receiving server (from what the next receiver recorded
    /// about it, else its own `by` name).
    pub server_org: Option<Cow<'c, str>>,
    /// The receiving server's address as the next receiver recorded it.
    pub server_ip: Option<IpAddr>,
    /// Identity headers.
    pub summary: &'c MessageSummary,
    /// Authentication results written by trusted infrastructure.
    pub auth: &'c AuthReport,
    /// Index of the entry hop (the trust boundary).
    pub entry: usize,
}

impl View<'_, '_> {
    fn hop(&self) -> &Hop {
        &self.ctx.hops[self.k]
    }
}

/// One role rule: if `test` matches, the hop has role `kind`; `test` returns what matched.
pub struct RoleRule {
    /// Stable id (shown in `chain[i].hop_role.rule`).
    pub id: &'static str,
    /// The role it assigns.
    pub kind: HopKind,
    /// Why this evidence explains the hop, in one sentence.
    pub reason: &'static str,
    /// The check.
    pub test: fn(&View<'_, '_>) -> Option<String>,
}

/// The rules, first match wins. Order goes from what the receiver itself recorded
/// (fetch, local pickup, login) to what relates the two ends (organisation, network,
/// provider), then to what the message says about its route (list, forwarder, sender
/// domain, SPF).
pub const RULES: &[RoleRule] = &[
    RoleRule {
        id: "retrieval.fetch",
        kind: HopKind::Retrieval,
        reason: "a POP3/IMAP fetch (fetchmail and kin) moves mail from a mailbox the user owns; it relays nothing",
        test: |v| {
            (trust::is_fetch(v.hop()) || v.hop().non_relay == Some(NonRelay::Retrieval))
                .then(|| "the hop is a mailbox fetch (POP3/IMAP)".into())
        },
    },
    RoleRule {
        id: "origin.local_submission",
        kind: HopKind::Origin,
        reason: "the lowest hop with no network client (`from userid N`, a pickup directory, a local program) is the server submitting mail it was handed locally: the server is where the message started",
        test: |v| {
            let local = trust::no_client(v.hop()) || v.hop().non_relay == Some(NonRelay::LocalPickup);
            (v.k == 0 && local)
                .then(|| "no network client on the lowest hop: local submission".into())
        },
    },
    RoleRule {
        id: "submission.authenticated",
        kind: HopKind::AuthenticatedSubmission,
        reason: "the receiver recorded a login (SMTP AUTH, webmail over HTTP, MAPI): it relayed for an account holder, which is not open relaying even when the account is abused",
        test: |v| {
            let h = v.hop();
            relay::authenticated(h).then(|| match h.auth_user.as_deref() {
                Some(u) => format!("authenticated as {u}"),
                None => format!(
                    "authenticated ({})",
                    h.protocol_raw.as_deref().unwrap_or("login recorded")
                ),
            })
        },
    },
    RoleRule {
        id: "internal.private_client",
        kind: HopKind::ProviderInternal,
        reason: "a private, loopback or unrecorded client address cannot come from the internet: the hand-off happened inside the server's own network",
        test: |v| match v.hop().from.ip {
            Some(ip) if is_private(ip) => Some(format!("client {ip} is a private/loopback address")),
            None => Some("no client address recorded (internal hand-off)".into()),
            _ => None,
        },
    },
    RoleRule {
        id: "internal.same_host",
        kind: HopKind::ProviderInternal,
        reason: "a server handing the message to itself (a content filter or second daemon on the same address) is one machine",
        test: |v| {
            let c = v.hop().from.ip?;
            (Some(c) == v.server_ip).then(|| format!("client and server are both {c}"))
        },
    },
    RoleRule {
        id: "smarthost.customer_line",
        kind: HopKind::CustomerSmarthost,
        reason: "an ISP's smarthost relaying for its own dial-up/DSL/cable customers (the client's verified name is in the relay's organisation) is doing its job",
        test: |v| {
            let c = &v.hop().from;
            let co = verified_org(c)?;
            let so = v.server_org.as_deref()?;
            let dynamic = c
                .rdns
                .as_deref()
                .is_some_and(|r| residential::is_dynamic(r, c.ip));
            (dynamic && same_brand(&co, so))
                .then(|| format!("customer line {} of {so}", relay::describe(c)))
        },
    },
    RoleRule {
        id: "internal.same_org",
        kind: HopKind::ProviderInternal,
        reason: "a client whose verified name (reverse DNS) is in the server's own organisation is one of its own servers",
        test: |v| {
            let co = verified_org(&v.hop().from)?;
            let so = v.server_org.as_deref()?;
            same_brand(&co, so).then(|| format!("client and server are both in {so}"))
        },
    },
    RoleRule {
        id: "internal.helo_same_org",
        kind: HopKind::ProviderInternal,
        reason: "a client the receiver recorded without reverse DNS that names itself in the server's own organisation is taken at its word: the receiver had nothing to contradict it, and the same organisation's servers and customers greet this way",
        test: |v| {
            let c = &v.hop().from;
            if c.rdns.is_some() {
                return None;
            }
            let h = c.helo.as_deref().filter(|h| is_public_name(h))?;
            let so = v.server_org.as_deref()?;
            org_cow(h)
                .is_some_and(|o| same_brand(&o, so))
                .then(|| format!("client greeted as {h}, in {so}, and has no reverse DNS to contradict it"))
        },
    },
    RoleRule {
        id: "internal.same_block",
        kind: HopKind::ProviderInternal,
        reason: "client and server in the same /24 (IPv4) or /48 (IPv6) network block are run by one operator",
        test: |v| {
            let (c, s) = (v.hop().from.ip?, v.server_ip?);
            same_block(c, s).then(|| format!("{c} and {s} share a network block"))
        },
    },
    RoleRule {
        id: "provider.known",
        kind: HopKind::ProviderInternal,
        reason: "mailbox providers, ESPs and outbound filtering services (the provider table) accept mail only from their own account holders and customers",
        test: |v| {
            let above = v.ctx.hops.get(v.k + 1)?;
            let p = trust::client_provider(above)
                .or_else(|| trust::receiver_provider(v.hop()))?;
            Some(format!("{} ({})", p.name, p.id))
        },
    },
    RoleRule {
        id: "list.server",
        kind: HopKind::List,
        reason: "a mailing list server accepts posts for its list address and sends them to every subscriber, as lists do",
        test: |v| relay::list_server(v.ctx, v.summary, v.server_org.as_deref(), v.k),
    },
    RoleRule {
        id: "forwarder.own_domain",
        kind: HopKind::Forwarder,
        reason: "a server that accepted the message for an address in its own domain is that domain's inbound, backup MX or forwarder, not a relay for strangers",
        test: |v| {
            let so = v.server_org.as_deref()?;
            let rcpt = v.hop().for_addr.as_deref().and_then(addr_domain)?;
            let ro = org_cow(&rcpt)?;
            same_brand(&ro, so).then(|| format!("accepted for a recipient at {rcpt}"))
        },
    },
    RoleRule {
        id: "forwarder.arc_sealed",
        kind: HopKind::Forwarder,
        reason: "a server that sealed the message with ARC vouches for the authentication it saw: a forwarder",
        test: |v| {
            let so = v.server_org.as_deref()?;
            relay::arc_sealer(v.ctx, so).map(|d| format!("ARC-sealed as {d}"))
        },
    },
    RoleRule {
        id: "smarthost.sender_domain",
        kind: HopKind::CustomerSmarthost,
        reason: "a server relaying mail whose envelope sender or From address is in its own organisation is its domain's outgoing server (POP-before-SMTP and relaying by IP leave no login trace), unless the client forged the server's own name",
        test: |v| {
            let so = v.server_org.as_deref()?;
            if helo_claims_org(&v.hop().from, so) {
                return None;
            }
            let env = v.hop().envelope_from.as_deref().and_then(addr_domain);
            let rp = v.summary.return_path.as_deref().and_then(addr_domain);
            let from = v.summary.from.as_ref().and_then(|m| m.domain.clone());
            [env, rp, from]
                .into_iter()
                .flatten()
                .find(|d| org_cow(d).is_some_and(|o| same_brand(&o, so)))
                .map(|d| format!("sender domain {d} is the relay's own"))
        },
    },
    RoleRule {
        id: "smarthost.spf_authorised",
        kind: HopKind::CustomerSmarthost,
        reason: "an SPF pass for the relay's address means the sender's domain authorised that server to send for it: its provider or smarthost relaying for an account or customer, unless the session was HELO-only (no login was possible)",
        test: |v| {
            let ip = v.server_ip?;
            if helo_only(v.hop()) {
                return None;
            }
            spf_pass_for(v.auth, ip, v.k + 1 == v.entry)
                .then(|| format!("SPF pass for the relay's address {ip}"))
        },
    },
];

/// The verified organisation of a client: its reverse DNS, or, when the receiver recorded
/// none and the address is private or missing, its HELO name.
pub fn verified_org(c: &FromPart) -> Option<Cow<'_, str>> {
    if let Some(r) = c.rdns.as_deref().filter(|r| is_public_name(r)) {
        return org_cow(r);
    }
    if c.ip.is_none_or(is_private) {
        return c.helo.as_deref().and_then(public_org);
    }
    None
}

/// Does the client's HELO claim the server's organisation while its verified name (rDNS)
/// says otherwise? That is a client dressing up as the relay's own host.
pub fn helo_claims_org(c: &FromPart, server_org: &str) -> bool {
    let Some(h) = c.helo.as_deref().filter(|h| is_public_name(h)) else {
        return false;
    };
    let claims = org_cow(h).is_some_and(|o| same_brand(&o, server_org));
    // Only a verified name that says otherwise makes it a disguise; without reverse DNS
    // the name cannot be checked either way.
    let contradicted = c
        .rdns
        .as_deref()
        .and_then(public_org)
        .is_some_and(|o| !same_brand(&o, server_org));
    claims && contradicted && c.ip.is_some_and(|ip| !is_private(ip))
}

/// Same /24 (IPv4) or /48 (IPv6), both public.
pub fn same_block(a: IpAddr, b: IpAddr) -> bool {
    if is_private(a) || is_private(b) {
        return false;
    }
    match (a, b) {
        (IpAddr::V4(x), IpAddr::V4(y)) => x.octets()[..3] == y.octets()[..3],
        (IpAddr::V6(x), IpAddr::V6(y)) => x.segments()[..3] == y.segments()[..3],
        _ => false,
    }
}

/// The client only said HELO (`with SMTP`): no SMTP AUTH was possible in that session.
/// Only MTAs that write `ESMTP` after EHLO (Sendmail, Postfix, Exim) tell the two apart;
/// qmail, Exchange and most Windows servers write `SMTP` whatever the client said.
pub fn helo_only(hop: &Hop) -> bool {
    let tells_apart = hop
        .software
        .as_deref()
        .is_some_and(|s| s.starts_with("Postfix") || s.starts_with("Exim"))
        || hop.raw.contains(" (8.")
        || hop.raw.contains("Sendmail");
    tells_apart
        && matches!(hop.protocol, Some(Protocol::Smtp))
        && hop
            .protocol_raw
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case("smtp"))
}

/// Trusted SPF pass for `ip`: a `Received-SPF` naming it, or an overall pass when the
/// relay is the entry client (the receiver's SPF check was about it).
pub fn spf_pass_for(auth: &AuthReport, ip: IpAddr, is_entry_client: bool) -> bool {
    let named = auth.received_spf.iter().any(|s| {
        s.trusted
            && s.result == "pass"
            && s.client_ip
                .as_deref()
                .and_then(|c| c.trim().parse::<IpAddr>().ok())
                == Some(ip)
    });
    named || (is_entry_client && auth.spf.as_deref() == Some("pass"))
}

/// Trusted SPF fail/softfail for `ip` (same sources as [`spf_pass_for`]).
pub fn spf_fail_for(auth: &AuthReport, ip: IpAddr, is_entry_client: bool) -> Option<String> {
    let bad = |r: &str| matches!(r, "fail" | "softfail");
    if let Some(s) = auth.received_spf.iter().find(|s| {
        s.trusted
            && bad(&s.result)
            && s.client_ip
                .as_deref()
                .and_then(|c| c.trim().parse::<IpAddr>().ok())
                == Some(ip)
    }) {
        return Some(s.result.clone());
    }
    if is_entry_client {
        if let Some(r) = auth.spf.as_deref().filter(|r| bad(r)) {
            return Some(r.to_string());
        }
    }
    None
}

/// Organisation of the server that wrote hop `k`: what the next receiver verified about it
/// (rDNS; HELO only when that receiver saw a private or no address), else its own `by` name.
pub fn server_org(hops: &[Hop], k: usize) -> Option<Cow<'_, str>> {
    let by = hops[k]
        .by
        .host
        .as_deref()
        .filter(|h| is_public_name(h) && !is_ip_literal(h))
        .and_then(org_cow);
    hops.get(k + 1)
        .and_then(|above| {
            let f = &above.from;
            f.rdns.as_deref().and_then(public_org).or_else(|| {
                // The HELO is the server's own word, as is its `by` name; prefer the
                // `by` name it wrote into its own header, falling back to the HELO.
                by.clone()
                    .or_else(|| f.helo.as_deref().and_then(public_org))
            })
        })
        .or(by)
}

/// Judge hop `k`: the first matching rule, or an unexplained relay.
pub fn judge(v: &View<'_, '_>) -> HopRoleInfo {
    for r in RULES {
        if let Some(why) = (r.test)(v) {
            return HopRoleInfo {
                kind: r.kind,
                rule: r.id,
                why,
            };
        }
    }
    HopRoleInfo {
        kind: HopKind::UnexplainedRelay,
        rule: UNEXPLAINED,
        why: format!(
            "accepted from {} without a recorded login, and no rule relates the client to it",
            relay::describe(&v.hop().from)
        ),
    }
}

/// Rule id of the fallback role.
pub const UNEXPLAINED: &str = "relay.unexplained";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique_and_every_rule_has_a_reason() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        ids.push(UNEXPLAINED);
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n);
        assert!(RULES
            .iter()
            .all(|r| r.reason.len() > 40 && r.id.contains('.')));
    }

    #[test]
    fn network_blocks() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(same_block(ip("198.51.100.7"), ip("198.51.100.200")));
        assert!(!same_block(ip("198.51.100.7"), ip("198.51.101.7")));
        assert!(!same_block(ip("10.0.0.1"), ip("10.0.0.2")));
        assert!(same_block(ip("2001:db8:1::1"), ip("2001:db8:1:ff::2")));
        assert!(!same_block(ip("2001:db8:1::1"), ip("2001:db8:2::1")));
    }

    #[test]
    fn helo_dressed_as_the_relay() {
        let fp = |helo: &str, rdns: Option<&str>| FromPart {
            helo: Some(helo.into()),
            rdns: rdns.map(Into::into),
            ip: Some("192.0.2.9".parse().unwrap()),
            ..FromPart::default()
        };
        assert!(helo_claims_org(
            &fp("mail.victim.example", Some("vps-9.hoster.example")),
            "victim.example"
        ));
        assert!(!helo_claims_org(
            &fp("mail.victim.example", None),
            "victim.example"
        ));
        assert!(!helo_claims_org(
            &fp("mail.victim.example", Some("mail.victim.example")),
            "victim.example"
        ));
        assert!(!helo_claims_org(&fp("homepc", None), "victim.example"));
    }
}
