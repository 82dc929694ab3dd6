//! Special-purpose address blocks: addresses no registry answers for.
//!
//! The IANA special-purpose registries (RFC 6890) list blocks that are private, loopback,
//! link-local, reserved for documentation and so on. Asking RDAP or whois about them wastes
//! a query and returns IANA's placeholder record at best, so `whois`, `report` and
//! `analyze --owner` answer them from this table: "no owner: documentation range
//! (RFC 5737)". One row per block, with the RFC that reserves it.

use ipnet::IpNet;
use std::net::IpAddr;

/// Why an address block has no owner to report to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Reserved for examples in documentation (RFC 5737, 3849, 9637).
    Documentation,
    /// Private or unique-local networks (RFC 1918, 4193).
    Private,
    /// Carrier-grade NAT's shared address space (RFC 6598).
    SharedCgn,
    /// The host itself (RFC 1122, 4291).
    Loopback,
    /// Link-local (RFC 3927, 4291).
    LinkLocal,
    /// Benchmarking (RFC 2544, 5180).
    Benchmarking,
    /// Multicast (RFC 5771, 4291).
    Multicast,
    /// Reserved, unspecified, broadcast or protocol-assignment space.
    Reserved,
}

/// One special-purpose block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecialRange {
    /// The block, CIDR.
    pub net: &'static str,
    /// What it is.
    pub class: Class,
    /// Its name, as said to the user ("documentation range").
    pub kind: &'static str,
    /// The RFC that reserves it.
    pub rfc: &'static str,
}

const fn row(
    net: &'static str,
    class: Class,
    kind: &'static str,
    rfc: &'static str,
) -> SpecialRange {
    SpecialRange {
        net,
        class,
        kind,
        rfc,
    }
}

/// The table, most specific blocks first where they nest (the first match wins).
pub const SPECIAL_RANGES: &[SpecialRange] = &[
    // IPv4
    row(
        "0.0.0.0/8",
        Class::Reserved,
        "\"this network\" range",
        "RFC 791 §3.2, RFC 1122 §3.2.1.3",
    ),
    row("10.0.0.0/8", Class::Private, "private range", "RFC 1918"),
    row(
        "100.64.0.0/10",
        Class::SharedCgn,
        "shared address space (carrier-grade NAT)",
        "RFC 6598",
    ),
    row(
        "127.0.0.0/8",
        Class::Loopback,
        "loopback range",
        "RFC 1122 §3.2.1.3",
    ),
    row(
        "169.254.0.0/16",
        Class::LinkLocal,
        "link-local range",
        "RFC 3927",
    ),
    row("172.16.0.0/12", Class::Private, "private range", "RFC 1918"),
    row(
        "192.0.0.0/24",
        Class::Reserved,
        "IETF protocol assignments range",
        "RFC 6890 §2.1",
    ),
    row(
        "192.0.2.0/24",
        Class::Documentation,
        "documentation range (TEST-NET-1)",
        "RFC 5737",
    ),
    row(
        "192.88.99.0/24",
        Class::Reserved,
        "deprecated 6to4 relay anycast range",
        "RFC 7526",
    ),
    row(
        "192.168.0.0/16",
        Class::Private,
        "private range",
        "RFC 1918",
    ),
    row(
        "198.18.0.0/15",
        Class::Benchmarking,
        "benchmarking range",
        "RFC 2544",
    ),
    row(
        "198.51.100.0/24",
        Class::Documentation,
        "documentation range (TEST-NET-2)",
        "RFC 5737",
    ),
    row(
        "203.0.113.0/24",
        Class::Documentation,
        "documentation range (TEST-NET-3)",
        "RFC 5737",
    ),
    row(
        "224.0.0.0/4",
        Class::Multicast,
        "multicast range",
        "RFC 5771",
    ),
    row(
        "255.255.255.255/32",
        Class::Reserved,
        "limited broadcast address",
        "RFC 919, RFC 8190",
    ),
    row(
        "240.0.0.0/4",
        Class::Reserved,
        "reserved range",
        "RFC 1112 §4",
    ),
    // IPv6
    row(
        "::1/128",
        Class::Loopback,
        "loopback address",
        "RFC 4291 §2.5.3",
    ),
    row(
        "::/128",
        Class::Reserved,
        "unspecified address",
        "RFC 4291 §2.5.2",
    ),
    row(
        "100::/64",
        Class::Reserved,
        "discard-only range",
        "RFC 6666",
    ),
    row(
        "2001:2::/48",
        Class::Benchmarking,
        "benchmarking range",
        "RFC 5180",
    ),
    row(
        "2001:db8::/32",
        Class::Documentation,
        "documentation range",
        "RFC 3849",
    ),
    row(
        "3fff::/20",
        Class::Documentation,
        "documentation range",
        "RFC 9637",
    ),
    row("fc00::/7", Class::Private, "unique-local range", "RFC 4193"),
    row(
        "fe80::/10",
        Class::LinkLocal,
        "link-local range",
        "RFC 4291 §2.5.6",
    ),
    row(
        "ff00::/8",
        Class::Multicast,
        "multicast range",
        "RFC 4291 §2.7",
    ),
];

/// The special-purpose block holding `ip`, if any. An IPv4-mapped IPv6 address
/// (`::ffff:10.0.0.1`) is judged by its IPv4 address.
pub fn special_range(ip: IpAddr) -> Option<&'static SpecialRange> {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    SPECIAL_RANGES
        .iter()
        .find(|r| r.net.parse::<IpNet>().is_ok_and(|net| net.contains(&ip)))
}

impl SpecialRange {
    /// "no owner: documentation range (TEST-NET-2), RFC 5737".
    pub fn answer(&self) -> String {
        format!("no owner: {}, {}", self.kind, self.rfc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_a_valid_block_in_canonical_form() {
        for r in SPECIAL_RANGES {
            let net: IpNet = r.net.parse().unwrap_or_else(|e| panic!("{}: {e}", r.net));
            assert_eq!(net.trunc(), net, "{} has host bits set", r.net);
            assert!(r.rfc.starts_with("RFC "), "{}", r.net);
        }
    }

    #[test]
    fn documentation_private_and_other_special_addresses_are_named_with_their_rfc() {
        let cases = [
            ("192.0.2.1", Class::Documentation, "RFC 5737"),
            ("198.51.100.25", Class::Documentation, "RFC 5737"),
            ("203.0.113.254", Class::Documentation, "RFC 5737"),
            ("2001:db8::25", Class::Documentation, "RFC 3849"),
            ("3fff:1::1", Class::Documentation, "RFC 9637"),
            ("10.1.2.3", Class::Private, "RFC 1918"),
            ("172.31.255.255", Class::Private, "RFC 1918"),
            ("192.168.0.1", Class::Private, "RFC 1918"),
            ("100.64.0.1", Class::SharedCgn, "RFC 6598"),
            ("100.127.255.255", Class::SharedCgn, "RFC 6598"),
            ("127.0.0.1", Class::Loopback, "RFC 1122 §3.2.1.3"),
            ("::1", Class::Loopback, "RFC 4291 §2.5.3"),
            ("169.254.10.1", Class::LinkLocal, "RFC 3927"),
            ("fe80::1", Class::LinkLocal, "RFC 4291 §2.5.6"),
            ("fd12:3456::1", Class::Private, "RFC 4193"),
            ("198.19.0.1", Class::Benchmarking, "RFC 2544"),
            ("239.1.1.1", Class::Multicast, "RFC 5771"),
            ("255.255.255.255", Class::Reserved, "RFC 919, RFC 8190"),
            ("::ffff:10.0.0.1", Class::Private, "RFC 1918"),
        ];
        for (ip, class, rfc) in cases {
            let r = special_range(ip.parse().unwrap()).unwrap_or_else(|| panic!("{ip}"));
            assert_eq!((r.class, r.rfc), (class, rfc), "{ip}");
        }
        let doc = special_range("192.0.2.1".parse().unwrap()).unwrap();
        assert!(doc.answer().starts_with("no owner: documentation range"));
    }

    #[test]
    fn public_addresses_next_to_special_blocks_are_not_special() {
        for ip in [
            "192.0.3.1",
            "198.51.101.1",
            "203.0.114.1",
            "100.63.255.255",
            "100.128.0.0",
            "172.32.0.1",
            "198.20.0.1",
            "2001:db9::1",
            "195.129.80.16",
            "2a00:1450:4001::1",
            "::ffff:195.129.80.16",
        ] {
            assert_eq!(special_range(ip.parse().unwrap()), None, "{ip}");
        }
    }
}
