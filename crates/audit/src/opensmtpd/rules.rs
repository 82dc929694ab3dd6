//! The OpenSMTPD rule table.

use super::Model;
use crate::finding::{Effect, Severity};
use crate::rules::{Hit, Rule};

fn causes(m: &Model, rule: &str) -> Vec<Hit> {
    m.causes
        .iter()
        .filter(|c| c.rule == rule)
        .map(|c| {
            let h = Hit::new(c.location.clone(), c.value.clone()).detail(c.detail.clone());
            match &c.fix {
                Some(f) => h.fix(f.clone()),
                None => h,
            }
        })
        .collect()
}

/// Every OpenSMTPD rule.
pub static RULES: &[Rule<Model>] = &[
    Rule {
        id: "OPENSMTPD-MATCH-ANY-RELAY",
        severity: Severity::Critical,
        effect: Effect::Open,
        title: "`match from any … action relay` without auth",
        why: "The first matching rule decides; `from any` (or `! from local`) with a relay action and no `auth` relays for every client.",
        fix: "match auth from any for any action \"outbound\"",
        source: "smtpd.conf(5) MATCH RULES",
        check: |m: &Model| causes(m, "OPENSMTPD-MATCH-ANY-RELAY"),
    },
    Rule {
        id: "OPENSMTPD-SRC-BROAD",
        severity: Severity::Critical,
        effect: Effect::Open,
        title: "`from src` trusts everyone or a huge range",
        why: "A relay rule `from src <table>` with 0.0.0.0/0 or a provider-sized range lets those strangers relay without auth.",
        fix: "table trusted { 127.0.0.1, <your hosts> }",
        source: "smtpd.conf(5) from src; table(5)",
        check: |m: &Model| causes(m, "OPENSMTPD-SRC-BROAD"),
    },
    Rule {
        id: "OPENSMTPD-SRC-PRIVATE",
        severity: Severity::High,
        effect: Effect::Conditional,
        title: "`from src` trusts a private, NAT or container range",
        why: "Behind NAT or Docker's userland proxy every outside client arrives from the gateway's private address; a relay rule for that range relays for everyone.",
        fix: "table trusted { 127.0.0.1, <the exact submitting hosts> }",
        source: "smtpd.conf(5) from src",
        check: |m: &Model| causes(m, "OPENSMTPD-SRC-PRIVATE"),
    },
    Rule {
        id: "OPENSMTPD-FROM-MAIL-FROM-OR-RDNS",
        severity: Severity::Critical,
        effect: Effect::Open,
        title: "Relay rule keyed on the sender address or reverse DNS",
        why: "`from mail-from` and `mail-from` match the envelope sender, which the client chooses; `from rdns` matches names their owners set. Neither identifies a trusted client.",
        fix: "match auth from any for any action \"outbound\"",
        source: "smtpd.conf(5) from mail-from, from rdns",
        check: |m: &Model| causes(m, "OPENSMTPD-FROM-MAIL-FROM-OR-RDNS"),
    },
    Rule {
        id: "OPENSMTPD-AUTH-OPTIONAL-RELAY",
        severity: Severity::Critical,
        effect: Effect::Open,
        title: "auth-optional listener with a relay rule that lacks auth",
        why: "`auth-optional` lets unauthenticated sessions through the listener; a relay rule without `auth` then relays for them.",
        fix: "match auth from any for any action \"outbound\"",
        source: "smtpd.conf(5) listen on … auth-optional",
        check: |m: &Model| causes(m, "OPENSMTPD-AUTH-OPTIONAL-RELAY"),
    },
    Rule {
        id: "OPENSMTPD-DOMAIN-WILDCARD",
        severity: Severity::Critical,
        effect: Effect::Open,
        title: "Relay rule `for domain` matches every domain",
        why: "`for domain \"*\"` (or a TLD wildcard) in a relay rule that strangers match makes every destination relayable.",
        fix: "match from any for domain <local_domains> action \"local\"",
        source: "smtpd.conf(5) for domain",
        check: |m: &Model| causes(m, "OPENSMTPD-DOMAIN-WILDCARD"),
    },
    Rule {
        id: "OPENSMTPD-TABLE-UNSEEN",
        severity: Severity::Medium,
        effect: Effect::Conditional,
        title: "A relay rule's table is not in the audited files",
        why: "A `match … action relay` rule keys on a table (`from src <t>`, `for domain <t>`) whose file is not here; whether a stranger relays depends on what it holds.",
        fix: "audit the directory that holds the table, or check by hand that it has no wide entries",
        source: "smtpd.conf(5) table; table(5)",
        check: |m: &Model| causes(m, "OPENSMTPD-TABLE-UNSEEN"),
    },
];
