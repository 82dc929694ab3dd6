//! Do two adjacent `Received:` headers connect? The server that wrote the lower header
//! (its `by`) must be the client the upper header recorded (its `from`).
//!
//! A definite mismatch means the lower header was not written by that client: it was
//! fabricated by the sender, or the client hides its path. Names are compared by exact host
//! and organisational domain; names outside the public DNS (`corp.local`, bare labels) can
//! neither confirm nor refute, so they give [`Link::Unknown`] instead of a false alarm.

use super::identity::{
    first_label_of, is_private, is_public_name, literal_ip, norm, org_in, same_brand,
};
use super::providers;
use relayhunt_received::Hop;
use std::borrow::Cow;

/// How two adjacent hops connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// The lower header's `by` is the upper header's client.
    Match,
    /// They name different, unrelated hosts.
    Mismatch,
    /// Not enough information to tell.
    Unknown,
}

/// Compare `lower.by` with `upper.from`. Names are normalised once and compared as
/// borrowed slices: this runs for every adjacent pair of hops, several times per message.
pub fn link(lower: &Hop, upper: &Hop) -> Link {
    let client_ip = upper.from.ip;
    if let (Some(a), Some(b)) = (lower.by.ip, client_ip) {
        if a == b {
            return Link::Match;
        }
    }
    let Some(by) = lower.by.host.as_deref().map(norm).filter(|b| !b.is_empty()) else {
        return Link::Unknown;
    };
    if let Some(by_ip) = literal_ip(&by) {
        return match client_ip {
            Some(c) if c == by_ip => Link::Match,
            Some(c) if !is_private(c) && !is_private(by_ip) => Link::Mismatch,
            _ => Link::Unknown,
        };
    }
    let names: [Option<Cow<'_, str>>; 2] = [upper.from.rdns.as_deref(), upper.from.helo.as_deref()]
        .map(|n| n.map(norm).filter(|n| !n.is_empty()));
    let names = || names.iter().flatten().map(|n| n.as_ref());
    if names().any(|n| n == by) {
        return Link::Match;
    }
    let by_org = org_in(&by);
    if names().any(|n| org_in(n).zip(by_org).is_some_and(|(a, b)| same_brand(a, b))) {
        return Link::Match;
    }
    let by_label = first_label_of(&by);
    if !by_label.is_empty() && names().any(|n| first_label_of(n) == by_label) {
        return Link::Match;
    }
    let by_provider = providers::by_host(&by).map(|p| p.id);
    if by_provider.is_some()
        && (names().any(|n| providers::by_host(n).map(|p| p.id) == by_provider)
            || client_ip.and_then(providers::by_ip).map(|p| p.id) == by_provider)
    {
        return Link::Match;
    }
    // Only two public names can contradict each other; the client side needs a name the
    // receiver verified (rDNS) or, failing that, its HELO.
    let public_client = names().any(is_public_name);
    if is_public_name(&by) && public_client {
        return Link::Mismatch;
    }
    // A public by-name against a client the receiver knew only by a public IP with no
    // name: the by-host should have had that IP; we cannot check without DNS.
    Link::Unknown
}

/// [`link`] of each adjacent pair of a message's hops, each pair compared once: the relay
/// assessment asks about the same pairs from several of its steps (the relay's own header,
/// the forged-below scan, the walk down the explained hops, the candidates below).
pub struct Links<'h> {
    hops: &'h [Hop],
    memo: Vec<std::cell::Cell<Option<Link>>>,
}

impl<'h> Links<'h> {
    /// Nothing compared yet.
    pub fn new(hops: &'h [Hop]) -> Self {
        Links {
            hops,
            memo: vec![std::cell::Cell::new(None); hops.len()],
        }
    }

    /// How hop `upper - 1` connects to hop `upper`; [`Link::Unknown`] when there is no such
    /// pair.
    pub fn below(&self, upper: usize) -> Link {
        let (Some(cell), Some(lower), Some(hop)) = (
            self.memo.get(upper),
            upper.checked_sub(1).and_then(|l| self.hops.get(l)),
            self.hops.get(upper),
        ) else {
            return Link::Unknown;
        };
        if let Some(known) = cell.get() {
            return known;
        }
        let l = link(lower, hop);
        cell.set(Some(l));
        l
    }
}
