//! Classifying trusted-network entries (Postfix mynetworks, Exim hostlists, OpenSMTPD `src`
//! tables, Sendmail `Connect:` keys) by who they let in.
//!
//! The classes follow what goes wrong in practice: "everyone" (0.0.0.0/0, ::/0, `*`), huge
//! public ranges (one entry covering whole providers), and private, CGNAT and Docker ranges,
//! which behind NAT, a load balancer or Docker's userland proxy contain the address every
//! outside client appears to come from.

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Who a trusted-network entry admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetClass {
    /// Any address (0.0.0.0/0, ::/0, `*`, or a prefix shorter than /8 or /16 for IPv6).
    Everyone,
    /// A public range of at least a /16 (IPv4) or /32 (IPv6): thousands of strangers.
    HugePublic,
    /// Private (RFC 1918), CGNAT (RFC 6598), unique-local or link-local addresses: safe only
    /// when no NAT, proxy or container gateway presents outside clients from them.
    Private,
    /// Loopback or link-local (never reached from beyond the host or link).
    Loopback,
    /// A reasonably small public range or single host.
    Specific,
}

/// Parse an address or CIDR as written in MTA configs: `1.2.3.4`, `1.2.3.0/24`,
/// `[::1]/128`, `[2001:db8::]/32`, `::ffff:127.0.0.0/104`, Exim's `::::1` (colons doubled
/// inside colon-separated lists), and Sendmail-style short prefixes (`10`, `192.168`).
pub fn parse_net(s: &str) -> Option<IpNet> {
    let s = s.trim().trim_matches(|c| c == '"' || c == '\'');
    let s = s.replace("::::", "::").replace("[", "").replace("]", "");
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a.to_string(), Some(p.parse::<u8>().ok()?)),
        None => (s.to_string(), None),
    };
    if let Ok(ip) = addr.parse::<IpAddr>() {
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let net = IpNet::new(ip, prefix.unwrap_or(max)).ok()?;
        return Some(net.trunc());
    }
    // Sendmail/Exim short IPv4 prefixes: "10" = 10.0.0.0/8, "192.168" = 192.168.0.0/16.
    if prefix.is_none() {
        let parts: Vec<&str> = addr.split('.').filter(|p| !p.is_empty()).collect();
        if !parts.is_empty() && parts.len() < 4 && parts.iter().all(|p| p.parse::<u8>().is_ok()) {
            let mut octets = [0u8; 4];
            for (i, p) in parts.iter().enumerate() {
                octets[i] = p.parse().ok()?;
            }
            let net = Ipv4Net::new(Ipv4Addr::from(octets), (parts.len() * 8) as u8).ok()?;
            return Some(IpNet::V4(net));
        }
    }
    None
}

/// Classify a network.
pub fn classify(net: &IpNet) -> NetClass {
    match net {
        IpNet::V4(n) => classify_v4(n),
        IpNet::V6(n) => classify_v6(n),
    }
}

fn classify_v4(n: &Ipv4Net) -> NetClass {
    let private: [Ipv4Net; 4] = [
        "10.0.0.0/8".parse().expect("literal"),
        "172.16.0.0/12".parse().expect("literal"),
        "192.168.0.0/16".parse().expect("literal"),
        "100.64.0.0/10".parse().expect("literal"),
    ];
    // Link-local addresses never arrive from beyond the link: as safe as loopback.
    let link_local: Ipv4Net = "169.254.0.0/16".parse().expect("literal");
    let loopback: Ipv4Net = "127.0.0.0/8".parse().expect("literal");
    if n.prefix_len() < 8 {
        return NetClass::Everyone;
    }
    if loopback.contains(n) || link_local.contains(n) {
        return NetClass::Loopback;
    }
    if private.iter().any(|p| p.contains(n)) {
        return NetClass::Private;
    }
    if n.prefix_len() <= 16 {
        return NetClass::HugePublic;
    }
    NetClass::Specific
}

fn classify_v6(n: &Ipv6Net) -> NetClass {
    if let Some(v4) = n.network().to_ipv4_mapped() {
        if n.prefix_len() >= 96 {
            let p = n.prefix_len() - 96;
            if let Ok(m) = Ipv4Net::new(v4, p) {
                return classify_v4(&m);
            }
        }
    }
    if n.network() == Ipv6Addr::LOCALHOST && n.prefix_len() == 128 {
        return NetClass::Loopback;
    }
    let ula: Ipv6Net = "fc00::/7".parse().expect("literal");
    let link: Ipv6Net = "fe80::/10".parse().expect("literal");
    if link.contains(n) {
        return NetClass::Loopback;
    }
    if ula.contains(n) {
        return NetClass::Private;
    }
    if n.prefix_len() < 16 {
        return NetClass::Everyone;
    }
    if n.prefix_len() <= 32 {
        return NetClass::HugePublic;
    }
    NetClass::Specific
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(s: &str) -> NetClass {
        classify(&parse_net(s).unwrap_or_else(|| panic!("parse {s}")))
    }

    #[test]
    fn classes_of_real_mynetworks_entries() {
        assert_eq!(class("0.0.0.0/0"), NetClass::Everyone);
        assert_eq!(class("[::]/0"), NetClass::Everyone);
        assert_eq!(class("127.0.0.0/8"), NetClass::Loopback);
        assert_eq!(class("[::ffff:127.0.0.0]/104"), NetClass::Loopback);
        assert_eq!(class("[::1]/128"), NetClass::Loopback);
        assert_eq!(class("::::1"), NetClass::Loopback);
        assert_eq!(class("172.17.0.0/16"), NetClass::Private);
        assert_eq!(class("192.168.1.0/24"), NetClass::Private);
        assert_eq!(class("100.64.0.0/10"), NetClass::Private);
        assert_eq!(class("[fd00::]/8"), NetClass::Private);
        assert_eq!(class("52.0.0.0/11"), NetClass::HugePublic);
        assert_eq!(class("198.51.100.25"), NetClass::Specific);
        assert_eq!(class("10"), NetClass::Private);
        assert_eq!(class("203.0"), NetClass::HugePublic);
        assert!(parse_net("mail.example.org").is_none());
    }
}
