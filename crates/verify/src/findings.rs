//! The finding ids `--verify` adds, in the same catalogue form as the engine's: stable ids
//! (scripts match on them), titles for people. All start with `verify.` so they are never
//! confused with conclusions drawn from the headers alone.

use relayhunt_analyze::engine::findings::Kind;

macro_rules! kinds {
    ($($name:ident = $id:literal, $title:literal;)*) => {
        $(#[doc = $title] pub const $name: Kind = Kind { id: $id, title: $title };)*
        /// Every finding kind `--verify` can add.
        pub const CATALOG: &[Kind] = &[$($name),*];
    };
}

kinds! {
    RELAY_NOT_IN_SPF = "verify.relay_not_in_spf", "Relay IP is not allowed by the sender domain's SPF record";
    SPF_DISAGREES = "verify.spf_disagrees", "SPF checked again disagrees with the receiver's result";
    DKIM_INVALID = "verify.dkim_invalid", "DKIM signature does not verify";
    DKIM_DISAGREES = "verify.dkim_disagrees", "DKIM checked again disagrees with the receiver's result";
    ARC_BROKEN = "verify.arc_broken", "ARC chain does not verify";
    DMARC_DISAGREES = "verify.dmarc_disagrees", "DMARC checked again disagrees with the receiver's result";
    DMARC_POLICY = "verify.dmarc_policy_not_applied", "Message fails a DMARC policy that asks receivers to reject or quarantine it";
    NO_FCRDNS = "verify.no_fcrdns", "Hop address has no forward-confirmed reverse DNS";
    HELO_UNCONFIRMED = "verify.helo_unconfirmed", "HELO name does not lead back to the hop's address";
    RDNS_CHANGED = "verify.rdns_changed", "Reverse DNS recorded in the header differs from today's";
    DNSBL_LISTED = "verify.dnsbl_listed", "Hop address is on a DNS blocklist";
    DNS_INCOMPLETE = "verify.dns_incomplete", "Some DNS lookups failed; verification is incomplete";
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_unique_and_prefixed() {
        let mut ids: Vec<_> = super::CATALOG.iter().map(|k| k.id).collect();
        assert!(ids.iter().all(|i| i.starts_with("verify.")));
        let engine: Vec<_> = relayhunt_analyze::engine::findings::CATALOG
            .iter()
            .map(|k| k.id)
            .collect();
        assert!(ids.iter().all(|i| !engine.contains(i)));
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }
}
