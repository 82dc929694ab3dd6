//! Built-in knowledge of large mail providers' infrastructure, as a data table.
//!
//! A hop written by (or received from) one of these is provider-internal: the provider is
//! not an open relay, and its internal hops should not hide the real entry point. Each
//! entry names the host suffixes and address ranges the provider publishes or is known to
//! use in its `Received:` lines, and why. Adding a provider is one entry plus one test.

use super::identity::norm;
use super::memo::Memo;
use ipnet::IpNet;
use std::net::IpAddr;

/// What role a provider plays for mail passing through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// Mailbox / inbound MX provider (Exchange Online, Gmail, …).
    Mailbox,
    /// Filtering gateway in front of an organisation's mailboxes.
    Gateway,
    /// Outbound sending service (accounts authenticate; not an open relay).
    Esp,
    /// Forwarding / backup-MX service: re-sends mail for its customers' domains.
    Forwarder,
}

/// One known provider.
#[derive(Debug)]
pub struct Provider {
    /// Stable id, used in trust reasons.
    pub id: &'static str,
    /// Human name.
    pub name: &'static str,
    /// Role.
    pub kind: ProviderKind,
    /// Host suffixes (a host matches when equal to or a subdomain of one of these).
    pub suffixes: &'static [&'static str],
    /// Address ranges.
    pub nets: &'static [&'static str],
    /// Why these names/ranges identify the provider.
    pub reason: &'static str,
    /// Host patterns (`*.suffix` or `prefix*suffix`) of the provider's outbound service,
    /// which carries mail from its other customers: a hop from one of these into your
    /// tenant crosses from another customer, so the walk stops there.
    pub outbound: &'static [&'static str],
    /// Whether its receivers record the client's reverse DNS (Exchange Online writes only
    /// `from HELO (IP)`, so a missing rDNS there means nothing).
    pub records_rdns: bool,
}

/// The table. Suffixes are specific enough that a random customer host does not match
/// (e.g. `mail.protection.outlook.com`, not `com`).
pub const PROVIDERS: &[Provider] = &[
    Provider {
        id: "provider.exchange_online",
        name: "Microsoft Exchange Online",
        kind: ProviderKind::Mailbox,
        suffixes: &["prod.outlook.com", "protection.outlook.com", "outlook.com", "hotmail.com", "msn.com", "outlook.office365.com"],
        nets: &["40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17", "2603:1000::/24", "2a01:111::/32"],
        reason: "Exchange Online / EOP names its servers *.prod.outlook.com and *.protection.outlook.com (consumer mail: hotmail.com, msn.com, outlook.com) and sends from the ranges in Microsoft's published SPF (spf.protection.outlook.com); 2603:1000::/24 is Microsoft's internal IPv6 space seen in its hop lists",
        outbound: &["*.outbound.protection.outlook.com"],
        records_rdns: false,
    },
    Provider {
        id: "provider.google",
        name: "Google (Gmail / Workspace)",
        kind: ProviderKind::Mailbox,
        suffixes: &["google.com", "googlemail.com", "gmail.com", "googlegroups.com"],
        nets: &["209.85.128.0/17", "74.125.0.0/16", "64.233.160.0/19", "66.102.0.0/20", "66.249.80.0/20", "72.14.192.0/18", "108.177.8.0/21", "172.217.0.0/19", "173.194.0.0/16", "35.190.247.0/24", "2607:f8b0::/32", "2a00:1450::/32", "2001:4860::/32", "2002:a00::/24"],
        reason: "Gmail MX and outbound hosts are *.google.com (mx.google.com, mail-*.google.com) in the ranges of Google's _spf.google.com; its internal hops are written as 2002:a..:: literals",
        outbound: &["mail-*.google.com"],
        records_rdns: true,
    },
    Provider {
        id: "provider.yahoo",
        name: "Yahoo Mail",
        kind: ProviderKind::Mailbox,
        suffixes: &["yahoo.com", "yahoodns.net", "yahoo.net", "yahoo.co.jp"],
        nets: &[],
        reason: "Yahoo MX and relay hosts are *.mail.yahoo.com / *.yahoodns.net",
        outbound: &[],
        records_rdns: true,
    },
    Provider {
        id: "provider.aol",
        name: "AOL Mail",
        kind: ProviderKind::Mailbox,
        suffixes: &["aol.com", "mx.aol.com"],
        nets: &[],
        reason: "AOL MX and relay hosts are *.mx.aol.com",
        outbound: &[],
        records_rdns: true,
    },
    Provider {
        id: "provider.icloud",
        name: "Apple iCloud Mail",
        kind: ProviderKind::Mailbox,
        suffixes: &["icloud.com", "me.com", "mac.com", "apple.com"],
        nets: &["17.0.0.0/8"],
        reason: "iCloud mail hosts are *.icloud.com / *.me.com and Apple owns 17.0.0.0/8",
        outbound: &[],
        records_rdns: true,
    },
    Provider {
        id: "provider.proofpoint",
        name: "Proofpoint",
        kind: ProviderKind::Gateway,
        suffixes: &["pphosted.com", "ppe-hosted.com", "proofpoint.com"],
        nets: &[],
        reason: "Proofpoint-hosted gateways are *.pphosted.com (customer MX records point there)",
        outbound: &[],
        records_rdns: true,
    },
    Provider {
        id: "provider.mimecast",
        name: "Mimecast",
        kind: ProviderKind::Gateway,
        suffixes: &["mimecast.com", "mimecast-offshore.com", "mimecast.co.za"],
        nets: &[],
        reason: "Mimecast gateways are *.mimecast.com",
        outbound: &[],
        records_rdns: true,
    },
    Provider {
        id: "provider.fastmail",
        name: "Fastmail",
        kind: ProviderKind::Mailbox,
        suffixes: &["messagingengine.com", "fastmail.com", "fastmail.fm"],
        nets: &[],
        reason: "Fastmail's MX and internal hosts are *.messagingengine.com",
        outbound: &[],
        records_rdns: true,
    },
    Provider {
        id: "provider.zoho",
        name: "Zoho Mail",
        kind: ProviderKind::Mailbox,
        suffixes: &["zoho.com", "zohomail.com", "zoho.eu"],
        nets: &[],
        reason: "Zoho mail hosts are *.zoho.com / *.zohomail.com",
        outbound: &[],
        records_rdns: true,
    },
    Provider {
        id: "provider.amazon_ses",
        name: "Amazon SES",
        kind: ProviderKind::Esp,
        suffixes: &["amazonses.com"],
        nets: &[],
        reason: "SES sends from *.smtp-out.amazonses.com; senders authenticate with IAM credentials",
        outbound: &[],
        records_rdns: true,
    },
    Provider {
        id: "provider.sendgrid",
        name: "Twilio SendGrid",
        kind: ProviderKind::Esp,
        suffixes: &["sendgrid.net"],
        nets: &[],
        reason: "SendGrid outbound hosts are *.sendgrid.net; senders authenticate with API keys",
        outbound: &[],
        records_rdns: true,
    },
    Provider {
        id: "provider.mailgun",
        name: "Mailgun",
        kind: ProviderKind::Esp,
        suffixes: &["mailgun.net", "mailgun.org"],
        nets: &[],
        reason: "Mailgun outbound hosts are *.mailgun.net; senders authenticate with API keys",
        outbound: &[],
        records_rdns: true,
    },
    Provider {
        id: "provider.newfold",
        name: "Newfold Digital hosting (HostGator, Bluehost)",
        kind: ProviderKind::Esp,
        suffixes: &["hostgator.com", "websitewelcome.com", "bluehost.com", "unifiedlayer.com", "yourhostingaccount.com"],
        nets: &[],
        reason: "HostGator and Bluehost shared-hosting servers send through the *.websitewelcome.com / *.unifiedlayer.com outbound gateways of the same company",
        outbound: &[],
        records_rdns: true,
    },
    Provider {
        id: "provider.godaddy",
        name: "GoDaddy hosting and Workspace mail",
        kind: ProviderKind::Esp,
        suffixes: &["secureserver.net"],
        nets: &[],
        reason: "GoDaddy's hosted mail and relays are *.secureserver.net; customers authenticate",
        outbound: &[],
        records_rdns: true,
    },
    Provider {
        id: "provider.hornetsecurity",
        name: "Hornetsecurity / antispameurope",
        kind: ProviderKind::Gateway,
        suffixes: &["antispameurope.com", "hornetsecurity.com"],
        nets: &[],
        reason: "Hornetsecurity's filtering service relays its customers' inbound and outbound mail through *.antispameurope.com",
        outbound: &[],
        records_rdns: true,
    },
    Provider {
        id: "provider.cisco_secure_email",
        name: "Cisco Secure Email (IronPort cloud)",
        kind: ProviderKind::Gateway,
        suffixes: &["iphmx.com"],
        nets: &[],
        reason: "Cisco's hosted IronPort appliances are esa*.<customer>.iphmx.com and relay their customers' mail",
        outbound: &[],
        records_rdns: true,
    },
    Provider {
        id: "provider.locaweb",
        name: "Locaweb hosting",
        kind: ProviderKind::Esp,
        suffixes: &["locaweb.com.br", "hospedagemdesites.ws"],
        nets: &[],
        reason: "Locaweb's shared hosting (hospedagemdesites.ws) sends through its *.email.locaweb.com.br relays",
        outbound: &[],
        records_rdns: true,
    },
    Provider {
        id: "forwarder.pobox",
        name: "Pobox",
        kind: ProviderKind::Forwarder,
        suffixes: &["pobox.com"],
        nets: &[],
        reason: "Pobox is a mail forwarding service: it re-sends mail for its customers' addresses",
        outbound: &[],
        records_rdns: true,
    },
    Provider {
        id: "forwarder.forwardemail",
        name: "Forward Email",
        kind: ProviderKind::Forwarder,
        suffixes: &["forwardemail.net"],
        nets: &[],
        reason: "Forward Email re-sends mail for its customers' domains",
        outbound: &[],
        records_rdns: true,
    },
    Provider {
        id: "forwarder.improvmx",
        name: "ImprovMX",
        kind: ProviderKind::Forwarder,
        suffixes: &["improvmx.com"],
        nets: &[],
        reason: "ImprovMX re-sends mail for its customers' domains",
        outbound: &[],
        records_rdns: true,
    },
    Provider {
        id: "forwarder.easydns",
        name: "easyDNS mail forwarding / backup MX",
        kind: ProviderKind::Forwarder,
        suffixes: &["easydns.com"],
        nets: &[],
        reason: "easyDNS runs MX forwarding and backup MX for its customers' domains",
        outbound: &[],
        records_rdns: true,
    },
];

/// The provider a host name belongs to.
///
/// Memoised per thread (see [`super::memo`]): the same few names are looked up many
/// times per message, and the table scan compares every suffix.
pub fn by_host(host: &str) -> Option<&'static Provider> {
    thread_local! {
        static MEMO: std::cell::RefCell<Memo<Option<u16>>> = Default::default();
    }
    let i = MEMO.with_borrow_mut(|m| {
        m.get_or(host.as_bytes(), || {
            scan_host(host).and_then(|i| u16::try_from(i).ok())
        })
    });
    i.map(|i| &PROVIDERS[usize::from(i)])
}

/// [`by_host`] without the memo: the table index of the first provider with a matching
/// suffix.
fn scan_host(host: &str) -> Option<usize> {
    let h = norm(host);
    let h = h.as_ref();
    if h.is_empty() {
        return None;
    }
    PROVIDERS.iter().position(|p| {
        p.suffixes.iter().any(|s| {
            h == *s
                || (h.len() > s.len()
                    && h.ends_with(s)
                    && h.as_bytes()[h.len() - s.len() - 1] == b'.')
        })
    })
}

/// Does `host` match a `*.suffix` / `prefix*suffix` pattern?
fn glob(pattern: &str, host: &str) -> bool {
    match pattern.split_once('*') {
        Some((pre, suf)) => {
            host.len() > pre.len() + suf.len() && host.starts_with(pre) && host.ends_with(suf)
        }
        None => host == pattern,
    }
}

/// True when the host is the provider's outbound service (mail from its other customers).
pub fn is_outbound(p: &Provider, host: &str) -> bool {
    let h = norm(host);
    p.outbound.iter().any(|pat| glob(pat, &h))
}

/// The provider an address belongs to.
pub fn by_ip(ip: IpAddr) -> Option<&'static Provider> {
    PROVIDER_NETS
        .iter()
        .find(|(net, _)| net.contains(&ip))
        .map(|(_, p)| *p)
}

/// The table's address ranges parsed once, in table order (so the first provider listing a
/// range wins, as before): parsing them on every lookup cost more than the whole lookup.
static PROVIDER_NETS: std::sync::LazyLock<Vec<(IpNet, &'static Provider)>> =
    std::sync::LazyLock::new(|| {
        PROVIDERS
            .iter()
            .flat_map(|p| {
                p.nets
                    .iter()
                    .filter_map(move |n| n.parse::<IpNet>().ok().map(|net| (net, p)))
            })
            .collect()
    });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_entries_parse_and_match() {
        for p in PROVIDERS {
            for n in p.nets {
                assert!(n.parse::<IpNet>().is_ok(), "{}: bad net {n}", p.id);
            }
        }
        assert_eq!(
            by_host("AM6PR04MB1234.eurprd04.prod.outlook.com").map(|p| p.id),
            Some("provider.exchange_online")
        );
        assert_eq!(
            by_host("mx.google.com").map(|p| p.id),
            Some("provider.google")
        );
        assert!(by_host("notgoogle.com").is_none());
        assert!(by_host("google.com.evil.example").is_none());
        assert_eq!(
            by_ip("2603:10a6:20b:3c4::17".parse().unwrap()).map(|p| p.id),
            Some("provider.exchange_online")
        );
        assert!(by_ip("198.51.100.25".parse().unwrap()).is_none());
        let ms = by_host("POL01-WA2-obe.outbound.protection.outlook.com").unwrap();
        assert!(is_outbound(
            ms,
            "POL01-WA2-obe.outbound.protection.outlook.com"
        ));
        assert!(!is_outbound(
            ms,
            "BN1NAM02FT034.eop-nam02.prod.protection.outlook.com"
        ));
        let g = by_host("mail-sor-f41.google.com").unwrap();
        assert!(is_outbound(g, "mail-sor-f41.google.com"));
        assert!(!is_outbound(g, "mx.google.com"));
    }
}
