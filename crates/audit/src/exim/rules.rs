//! The Exim rule table.

use super::Model;
use crate::finding::{Effect, Location, Severity};
use crate::rules::{Hit, Rule};

fn causes(m: &Model, rule: &str) -> Vec<Hit> {
    m.causes
        .iter()
        .filter(|c| c.rule == rule)
        .map(|c| Hit::new(c.location.clone(), c.value.clone()).detail(c.detail.clone()))
        .collect()
}

fn main_opt(m: &Model, name: &str, bad: impl Fn(&str) -> bool) -> Vec<Hit> {
    match m.config.main.get(name) {
        Some(s) if bad(&s.value) => vec![Hit::new(
            s.location.clone(),
            format!("{name} = {}", s.value),
        )],
        _ => Vec::new(),
    }
}

fn restricted_chars_removed(m: &Model) -> Vec<Hit> {
    let Some(acl) = m.config.main.get("acl_smtp_rcpt") else {
        return Vec::new();
    };
    let Some((loc, stmts)) = m.config.acls.get(acl.value.trim()) else {
        return Vec::new();
    };
    let has_rule = stmts.iter().any(|s| {
        s.verb == "deny"
            && s.conditions.iter().any(|(n, v, _)| {
                n == "local_parts" && v.contains('%') && (v.contains('@') || v.contains('!'))
            })
    });
    if has_rule {
        return Vec::new();
    }
    vec![Hit::new(
        Location {
            file: loc.file.clone(),
            line: loc.line,
        },
        format!(
            "{}: no `deny local_parts = ^.*[@%!/|]` statement",
            acl.value
        ),
    )]
}

fn domain_literals(m: &Model) -> Vec<Hit> {
    let allow = m.config.main.get("allow_domain_literals");
    let Some(allow) =
        allow.filter(|s| matches!(s.value.to_ascii_lowercase().as_str(), "true" | "yes"))
    else {
        return Vec::new();
    };
    let local = m.config.lists.get("local_domains");
    if local.is_some_and(|l| l.value.contains("@[]")) {
        vec![Hit::new(
            allow.location.clone(),
            format!(
                "allow_domain_literals = {} with local_domains = {}",
                allow.value,
                local.map(|l| l.value.as_str()).unwrap_or("")
            ),
        )]
    } else {
        Vec::new()
    }
}

/// Every Exim rule.
pub static RULES: &[Rule<Model>] = &[
    Rule {
        id: "EXIM-RELAY-FROM-HOSTS-BROAD",
        severity: Severity::Critical,
        effect: Effect::Open,
        title: "relay_from_hosts (or an accepting hosts list) matches everyone",
        why: "`accept hosts = +relay_from_hosts` lets every listed host relay without authentication; `*`, 0.0.0.0/0 or a provider-sized range lists strangers.",
        fix: "hostlist relay_from_hosts = <; 127.0.0.1 ; ::1",
        source: "Exim spec ch. 42 (ACL hosts); Debian README.Debian dc_relay_nets",
        check: |m: &Model| causes(m, "EXIM-RELAY-FROM-HOSTS-BROAD"),
    },
    Rule {
        id: "EXIM-RELAY-FROM-HOSTS-PRIVATE",
        severity: Severity::High,
        effect: Effect::Conditional,
        title: "relay_from_hosts lists a private, NAT or container range",
        why: "Behind NAT, a load balancer or Docker's userland proxy every outside client arrives from a private gateway address; if the range is trusted, everyone relays.",
        fix: "hostlist relay_from_hosts = <; 127.0.0.1 ; ::1 ; <the exact submitting hosts>",
        source: "Exim spec ch. 42; Docker networking docs (userland-proxy)",
        check: |m: &Model| causes(m, "EXIM-RELAY-FROM-HOSTS-PRIVATE"),
    },
    Rule {
        id: "EXIM-RELAY-TO-DOMAINS-WILDCARD",
        severity: Severity::Critical,
        effect: Effect::Open,
        title: "relay_to_domains (or an accepting domains list) matches every domain",
        why: "`require domains = +local_domains : +relay_to_domains` is the relay check; `*`, a suffix wildcard for a TLD (`*.net`, `*net`, `*.co.uk`) or a regular expression like `^.*\\.net$` in relay_to_domains lets every destination under it through (a plain `net` matches only the domain `net`, verified live).",
        fix: "domainlist relay_to_domains = <the domains you are backup MX for>",
        source: "Exim spec ch. 42 (domains condition); Debian dc_relay_domains",
        check: |m: &Model| causes(m, "EXIM-RELAY-TO-DOMAINS-WILDCARD"),
    },
    Rule {
        id: "EXIM-RELAY-TO-DOMAINS-MX",
        severity: Severity::High,
        effect: Effect::Conditional,
        title: "relay_to_domains matches domains by their MX records",
        why: "`@mx_any` (and `@mx_primary`, `@mx_secondary`) matches every domain whose MX records point at this host; anyone who controls a domain's DNS publishes such an MX and relays through the domain check.",
        fix: "domainlist relay_to_domains = <the domains you are backup MX for, by name>",
        source: "Exim spec 10.8 (domain lists, @mx_any)",
        check: |m: &Model| causes(m, "EXIM-RELAY-TO-DOMAINS-MX"),
    },
    Rule {
        id: "EXIM-LIST-UNSEEN",
        severity: Severity::Medium,
        effect: Effect::Conditional,
        title: "A list file or ACL include that can authorise relaying is not in the audited files",
        why: "A host or domain list item naming a file (`/etc/exim4/relay_hosts`), or an `.include` inside the RCPT ACL, is read by Exim at run time; its contents decide whether a stranger passes and they are not here.",
        fix: "audit the directory that holds the file, or check by hand that it has no wide entries",
        source: "Exim spec 10.3 (file names in lists), 6.9 (.include)",
        check: |m: &Model| causes(m, "EXIM-LIST-UNSEEN"),
    },
    Rule {
        id: "EXIM-ACCEPT-BEFORE-DOMAIN",
        severity: Severity::Critical,
        effect: Effect::Open,
        title: "An `accept` a stranger satisfies comes before the domain check",
        why: "The RCPT ACL stops at the first `accept` whose conditions hold; an unconditional one, or one on something the client chooses (sender), accepts any recipient before `require domains = +local_domains : +relay_to_domains` runs.",
        fix: "require message = relay not permitted\n        domains = +local_domains : +relay_to_domains",
        source: "Exim spec ch. 42.4 (ACL verbs); Debian 30_exim4-config_check_rcpt",
        check: |m: &Model| causes(m, "EXIM-ACCEPT-BEFORE-DOMAIN"),
    },
    Rule {
        id: "EXIM-RESTRICTED-CHARS-REMOVED",
        severity: Severity::Medium,
        effect: Effect::Hardening,
        title: "The restricted-characters rule (`@%!` in local parts) is missing",
        why: "Without `deny local_parts = ^.*[@%!/|]` (Debian's default), addresses like victim%example.net@yourdomain are accepted and a percent-hack-honouring next hop or smarthost relays them on.",
        fix: "deny domains = !+local_domains\n       local_parts = ^[./|] : ^.*[@%!] : ^.*/\\\\.\\\\./",
        source: "Exim spec ch. 42 (Debian and default configure: restricted characters)",
        check: restricted_chars_removed,
    },
    Rule {
        id: "EXIM-PERCENT-HACK-ALL",
        severity: Severity::Medium,
        effect: Effect::Hardening,
        title: "percent_hack_domains = *",
        why: "Exim rewrites user%victim.example@yourdomain to user@victim.example for every domain listed. It does so before the RCPT ACL, so the relay check sees the real destination (verified live: refused with \"relay not permitted\"), but the rewrite revives a routing syntax that filters, logs and downstream hops may treat differently.",
        fix: "percent_hack_domains =",
        source: "Exim spec ch. 14 (percent_hack_domains)",
        check: |m: &Model| main_opt(m, "percent_hack_domains", |v| v.split(':').any(|i| i.trim() == "*")),
    },
    Rule {
        id: "EXIM-DOMAIN-LITERALS",
        severity: Severity::Medium,
        effect: Effect::Hardening,
        title: "Domain literals are accepted as local",
        why: "allow_domain_literals with `@[]` in local_domains accepts user@[your.ip] as local; combined with percent or source routing it becomes a relay path and it bypasses domain-based policy.",
        fix: "allow_domain_literals = false",
        source: "Exim spec ch. 14 (allow_domain_literals), ch. 10 (@[])",
        check: domain_literals,
    },
    Rule {
        id: "EXIM-AUTH-ALWAYS-TRUE",
        severity: Severity::Critical,
        effect: Effect::Open,
        title: "An authenticator accepts any credentials",
        why: "server_condition that is always true makes every AUTH succeed, so `accept authenticated = *` relays for anyone who sends AUTH PLAIN with any password.",
        fix: "server_condition = ${if crypteq{$auth3}{${extract{1}{:}{${lookup{$auth2}lsearch{CONFDIR/passwd}{$value}{*:*}}}}}{1}{0}}",
        source: "Exim spec ch. 33 (server_condition); Debian 30_exim4-config_examples",
        check: |m: &Model| m.always_true_auth.iter().map(|c| Hit::new(c.location.clone(), c.value.clone()).detail(c.detail.clone())).collect(),
    },
];
