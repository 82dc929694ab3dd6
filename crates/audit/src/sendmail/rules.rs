//! The Sendmail rule table (cf/README "Anti-Spam Configuration Control").

use super::Model;
use crate::finding::{Effect, Severity};
use crate::netrange::{classify, parse_net, NetClass};
use crate::postfix::stranger::is_tld;
use crate::rules::{Hit, Rule};

fn feature(m: &Model, name: &str) -> Vec<Hit> {
    m.features
        .iter()
        .filter(|f| f.name == name)
        .map(|f| Hit::new(f.location.clone(), f.text.clone()).fix(format!("dnl {}", f.text)))
        .collect()
}

fn is_relay(v: &str) -> bool {
    v.split_whitespace()
        .next()
        .is_some_and(|w| w.eq_ignore_ascii_case("RELAY"))
}

/// Connect:/untagged RELAY keys that cover many hosts: short IP prefixes or TLDs.
fn short_connect(m: &Model, want: &[NetClass]) -> Vec<Hit> {
    m.access
        .iter()
        .filter(|e| matches!(e.tag.as_str(), "Connect" | "To" | "") && is_relay(&e.value))
        .filter(|e| {
            // To: keys are destinations: only a whole TLD is a wildcard there.
            let class = if e.tag == "To" {
                None
            } else {
                parse_net(&e.key).map(|n| classify(&n))
            };
            match class {
                Some(c) => want.contains(&c),
                None => {
                    want.contains(&NetClass::HugePublic) && is_tld(e.key.trim_start_matches('.'))
                }
            }
        })
        .map(|e| {
            let tag = if e.tag.is_empty() {
                String::new()
            } else {
                format!("{}:", e.tag)
            };
            Hit::new(e.location.clone(), format!("{tag}{} {}", e.key, e.value))
                .fix(format!("{tag}<exact host address> RELAY"))
        })
        .collect()
}

/// Every Sendmail rule.
pub static RULES: &[Rule<Model>] = &[
    Rule {
        id: "SENDMAIL-PROMISCUOUS-RELAY",
        severity: Severity::Critical,
        effect: Effect::Open,
        title: "FEATURE(`promiscuous_relay')",
        why: "Turns off every relay check: anyone may relay to anywhere.",
        fix: "dnl FEATURE(`promiscuous_relay')",
        source: "cf/README promiscuous_relay",
        check: |m: &Model| feature(m, "promiscuous_relay"),
    },
    Rule {
        id: "SENDMAIL-CONNECT-RELAY-SHORT",
        severity: Severity::Critical,
        effect: Effect::Open,
        title: "Access RELAY key (`Connect:`, `To:`) covers a huge range or a TLD",
        why: "A short IP prefix (e.g. `Connect:203 RELAY` = 203.0.0.0/8) or a top-level domain lets every host in it relay; `To:net RELAY` relays to every .net destination.",
        fix: "Connect:<exact host address> RELAY",
        source: "cf/README access_db, \"Connect:\" tag",
        check: |m: &Model| short_connect(m, &[NetClass::Everyone, NetClass::HugePublic]),
    },
    Rule {
        id: "SENDMAIL-CONNECT-RELAY-PRIVATE",
        severity: Severity::High,
        effect: Effect::Conditional,
        title: "Access `Connect:` RELAY key covers a private/NAT range",
        why: "Behind NAT or a proxy every outside client arrives from the gateway's private address; a RELAY entry for that range relays for everyone.",
        fix: "Connect:<exact host address> RELAY",
        source: "cf/README access_db",
        check: |m: &Model| short_connect(m, &[NetClass::Private]),
    },
    Rule {
        id: "SENDMAIL-RELAY-DOMAINS-TLD",
        severity: Severity::Critical,
        effect: Effect::Open,
        title: "A top-level domain in relay-domains",
        why: "relay-domains entries match client host names and recipient domains with all their subdomains; a TLD admits every host and destination under it.",
        fix: "<your domain>",
        source: "cf/README relay-domains (class R)",
        check: |m: &Model| {
            m.relay_domains
                .iter()
                .filter(|(d, _)| d == "*" || is_tld(d.trim_start_matches('.')))
                .map(|(d, l)| Hit::new(l.clone(), d.clone()))
                .collect()
        },
    },
    Rule {
        id: "SENDMAIL-RELAY-ENTIRE-DOMAIN",
        severity: Severity::Medium,
        effect: Effect::Conditional,
        title: "FEATURE(`relay_entire_domain')",
        why: "Every host whose (reverse DNS) name is in your domain relays; anyone who controls a PTR under it, or shares your domain's hosting, relays.",
        fix: "dnl FEATURE(`relay_entire_domain')",
        source: "cf/README relay_entire_domain",
        check: |m: &Model| feature(m, "relay_entire_domain"),
    },
    Rule {
        id: "SENDMAIL-RELAY-BASED-ON-MX",
        severity: Severity::High,
        effect: Effect::Conditional,
        title: "FEATURE(`relay_based_on_MX')",
        why: "Relays for any domain whose MX points at this host; anyone can publish such an MX for a domain they own.",
        fix: "dnl FEATURE(`relay_based_on_MX')",
        source: "cf/README relay_based_on_MX",
        check: |m: &Model| feature(m, "relay_based_on_MX"),
    },
    Rule {
        id: "SENDMAIL-RELAY-LOCAL-FROM",
        severity: Severity::Critical,
        effect: Effect::Open,
        title: "FEATURE(`relay_local_from')",
        why: "Relays when the envelope sender is in a local domain; the sender is whatever the client says.",
        fix: "dnl FEATURE(`relay_local_from')",
        source: "cf/README relay_local_from",
        check: |m: &Model| feature(m, "relay_local_from"),
    },
    Rule {
        id: "SENDMAIL-RELAY-MAIL-FROM",
        severity: Severity::Critical,
        effect: Effect::Open,
        title: "FEATURE(`relay_mail_from')",
        why: "Relays when the envelope sender has RELAY in the access db (From:); the sender is forged at will.",
        fix: "dnl FEATURE(`relay_mail_from')",
        source: "cf/README relay_mail_from",
        check: |m: &Model| feature(m, "relay_mail_from"),
    },
    Rule {
        id: "SENDMAIL-LOOSE-RELAY-CHECK",
        severity: Severity::High,
        effect: Effect::Conditional,
        title: "FEATURE(`loose_relay_check')",
        why: "For user%remote@relaydomain (a domain in relay-domains or RELAY_DOMAIN), Sendmail normally strips @relaydomain and re-checks user@remote for relaying; this feature skips the re-check, so a stranger's victim%remote@relaydomain is accepted (verified live) and handed to relaydomain's next hop, which relays it on if it honours the percent hack.",
        fix: "dnl FEATURE(`loose_relay_check')",
        source: "cf/README loose_relay_check",
        check: |m: &Model| feature(m, "loose_relay_check"),
    },
    Rule {
        id: "SENDMAIL-ACCEPT-UNQUALIFIED-SENDERS",
        severity: Severity::Low,
        effect: Effect::Hardening,
        title: "FEATURE(`accept_unqualified_senders')",
        why: "Accepts senders without a domain from the network, easing forged and untraceable submissions through the relay path.",
        fix: "dnl FEATURE(`accept_unqualified_senders')",
        source: "cf/README accept_unqualified_senders",
        check: |m: &Model| feature(m, "accept_unqualified_senders"),
    },
];
