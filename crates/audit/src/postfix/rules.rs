//! The Postfix rule table. Rules fed by the stranger walk ([`super::stranger`]) report the
//! causes that walk found on a service that relays; the others read parameters directly.

use super::Model;
use crate::finding::{Effect, Severity};
use crate::rules::{Hit, Rule};

/// Hits of a walk-found cause.
fn causes(m: &Model, rule: &str) -> Vec<Hit> {
    m.causes
        .iter()
        .filter(|(_, c)| c.rule == rule)
        .map(|(scope, c)| {
            let mut h = Hit::new(c.location.clone(), c.value.clone())
                .scope(scope.clone())
                .detail(c.detail.clone());
            if let Some(f) = &c.fix {
                h = h.fix(f.clone());
            }
            h
        })
        .collect()
}

macro_rules! walk_rule {
    ($id:literal) => {
        |m: &Model| causes(m, $id)
    };
}

/// Every Postfix rule.
pub static RULES: &[Rule<Model>] = &[
    Rule {
        id: "POSTFIX-MYNETWORKS-OPEN",
        severity: Severity::Critical,
        effect: Effect::Open,
        title: "mynetworks trusts the whole Internet",
        why: "permit_mynetworks lets every client in mynetworks relay without authentication; 0.0.0.0/0 or ::/0 makes every client a trusted one (the old how-to line from the seed article).",
        fix: "mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128",
        source: "postconf(5) mynetworks; SMTPD_ACCESS_README",
        check: walk_rule!("POSTFIX-MYNETWORKS-OPEN"),
    },
    Rule {
        id: "POSTFIX-MYNETWORKS-HUGE",
        severity: Severity::High,
        effect: Effect::Open,
        title: "mynetworks trusts a huge public range",
        why: "A public range of /16 or wider trusts thousands of hosts you do not run (other customers of your provider); any of them relays through permit_mynetworks.",
        fix: "mynetworks = 127.0.0.0/8 [::1]/128 <your own hosts as /32 entries>",
        source: "postconf(5) mynetworks",
        check: walk_rule!("POSTFIX-MYNETWORKS-HUGE"),
    },
    Rule {
        id: "POSTFIX-MYNETWORKS-PRIVATE",
        severity: Severity::High,
        effect: Effect::Conditional,
        title: "mynetworks trusts a private, NAT or container range",
        why: "Behind NAT port-forwarding, a load balancer, or Docker's userland proxy, every outside client arrives from a private gateway address (e.g. 172.17.0.1); if that range is in mynetworks, everyone relays. The most common cause in container deployments.",
        fix: "mynetworks = 127.0.0.0/8 [::1]/128 <the exact container addresses that submit mail, as /32>",
        source: "postconf(5) mynetworks; docker-mailserver PERMIT_DOCKER docs",
        check: walk_rule!("POSTFIX-MYNETWORKS-PRIVATE"),
    },
    Rule {
        id: "POSTFIX-MYNETWORKS-STYLE",
        severity: Severity::High,
        effect: Effect::Conditional,
        title: "mynetworks_style trusts the server's whole subnet or class",
        why: "With mynetworks unset, `subnet` (the default below compatibility_level 2) or `class` trusts every host on the server's own networks; on shared cloud or hosting subnets those are strangers.",
        fix: "mynetworks_style = host",
        source: "postconf(5) mynetworks_style; COMPATIBILITY_README",
        check: walk_rule!("POSTFIX-MYNETWORKS-STYLE"),
    },
    Rule {
        id: "POSTFIX-PERMIT-BEFORE-UNAUTH",
        severity: Severity::High,
        effect: Effect::Hardening,
        title: "`permit` before the unauth-destination check",
        why: "A bare `permit` accepts every client and ends the list, so the relay check after it never runs: Postfix logs \"restriction reject_unauth_destination after permit is ignored\" and, with no working check left in the relay and recipient lists, refuses to start smtpd (fatal); where another list still rejects, the permit is dead weight hiding the intent.",
        fix: "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination",
        source: "postconf(5) smtpd_relay_restrictions; smtpd_check.c \"after permit is ignored\"",
        check: |m: &Model| m.permit_before_check(),
    },
    Rule {
        id: "POSTFIX-ACCESS-OK-BEFORE-UNAUTH",
        severity: Severity::Critical,
        effect: Effect::Open,
        title: "An access table returns OK for something a stranger controls, before the relay check",
        why: "OK (or RELAY, PERMIT, an all-numerical result) from an access table ends the list before reject_unauth_destination. The sender address and HELO are whatever the client says; a recipient key that is a TLD or a bare `postmaster@` matches mail to other people's domains; a client key for a huge range or a TLD of host names matches thousands of strangers; a catch-all key matches everyone.",
        fix: "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination",
        source: "access(5) OK; SMTPD_ACCESS_README \"Restriction lists\"",
        check: walk_rule!("POSTFIX-ACCESS-OK-BEFORE-UNAUTH"),
    },
    Rule {
        id: "POSTFIX-ACCESS-OK-CONDITIONAL",
        severity: Severity::High,
        effect: Effect::Conditional,
        title: "An access table OK before the relay check depends on DNS or NAT",
        why: "OK keyed on a private client range, or on the MX/NS/A records of a name the client supplies, ends the list before reject_unauth_destination for anyone behind that NAT or able to point DNS at those hosts.",
        fix: "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination",
        source: "access(5); postconf(5) check_sender_mx_access",
        check: walk_rule!("POSTFIX-ACCESS-OK-CONDITIONAL"),
    },
    Rule {
        id: "POSTFIX-NO-UNAUTH-DEST",
        severity: Severity::Critical,
        effect: Effect::Open,
        title: "No restriction rejects a stranger's foreign recipient",
        why: "Neither smtpd_relay_restrictions nor smtpd_recipient_restrictions reaches reject_unauth_destination (or a reject) for a stranger, so mail for any domain is accepted.",
        fix: "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination",
        source: "postconf(5) smtpd_relay_restrictions",
        check: walk_rule!("POSTFIX-NO-UNAUTH-DEST"),
    },
    Rule {
        id: "POSTFIX-MX-BACKUP-UNRESTRICTED",
        severity: Severity::High,
        effect: Effect::Conditional,
        title: "permit_mx_backup without permit_mx_backup_networks",
        why: "permit_mx_backup accepts mail for any domain whose MX lists this server; anyone can publish such an MX for a domain of their own and relay through you.",
        fix: "permit_mx_backup_networks = $mynetworks",
        source: "postconf(5) permit_mx_backup, permit_mx_backup_networks",
        check: walk_rule!("POSTFIX-MX-BACKUP-UNRESTRICTED"),
    },
    Rule {
        id: "POSTFIX-RELAY-DOMAINS-WILDCARD",
        severity: Severity::Critical,
        effect: Effect::Open,
        title: "relay_domains matches every domain or a whole TLD",
        why: "reject_unauth_destination and permit_auth_destination let through recipients in relay_domains; a catch-all table (static:, /./) makes every destination a relay domain, and a public suffix (`net`, `co.uk`, as a list entry, a table key, or an entry of $transport_maps used as relay_domains) makes every domain under it one — with parent_domain_matches_subdomains (the default) the bare `net` form does it, without it `.net`.",
        fix: "relay_domains = $mydestination",
        source: "postconf(5) relay_domains, reject_unauth_destination",
        check: walk_rule!("POSTFIX-RELAY-DOMAINS-WILDCARD"),
    },
    Rule {
        id: "POSTFIX-SASL-ANONYMOUS",
        severity: Severity::Low,
        effect: Effect::Hardening,
        title: "SASL allows anonymous authentication",
        why: "smtpd_sasl_security_options (or smtpd_sasl_tls_security_options, used inside TLS) without noanonymous lets a client log in with the ANONYMOUS mechanism where the SASL backend offers it. Postfix itself does not count an ANONYMOUS login for permit_sasl_authenticated (verified live: AUTH ANONYMOUS succeeds, the relay attempt is refused), but the login still satisfies anything keyed on being authenticated elsewhere (policy services, milters, check_sasl_access) and logs a user that is nobody.",
        fix: "smtpd_sasl_security_options = noanonymous",
        source: "postconf(5) smtpd_sasl_security_options, smtpd_sasl_tls_security_options; SASL_README; smtpd_check.c permit_sasl_auth",
        check: |m: &Model| m.sasl_anonymous(),
    },
    Rule {
        id: "POSTFIX-TABLE-UNSEEN",
        severity: Severity::Medium,
        effect: Effect::Conditional,
        title: "A table that can authorise relaying is not in the audited files",
        why: "An access table before the relay check, a mynetworks or relay_domains table, relay_clientcerts or a CA file decides whether a stranger relays, and its contents are not here (a file outside the audited directory, or SQL/LDAP/socket lookups).",
        fix: "audit the directory that holds the table, or check by hand that it returns no OK/RELAY/PERMIT for keys a stranger controls",
        source: "access(5); postconf(5) mynetworks, relay_domains, relay_clientcerts",
        check: walk_rule!("POSTFIX-TABLE-UNSEEN"),
    },
    Rule {
        id: "POSTFIX-TLS-CLIENTCERTS-ANY",
        severity: Severity::Critical,
        effect: Effect::Open,
        title: "permit_tls_clientcerts with a relay_clientcerts table that matches every certificate",
        why: "permit_tls_clientcerts permits a client whose certificate (or public key) fingerprint is found in relay_clientcerts, whoever signed it; a catch-all table (static:, /./) matches the fingerprint of a certificate the stranger just made itself.",
        fix: "relay_clientcerts = hash:/etc/postfix/relay_clientcerts",
        source: "postconf(5) permit_tls_clientcerts, relay_clientcerts; TLS_README \"Client certificate verification\"",
        check: walk_rule!("POSTFIX-TLS-CLIENTCERTS-ANY"),
    },
    Rule {
        id: "POSTFIX-TLS-ALL-CLIENTCERTS-PUBLIC-CA",
        severity: Severity::High,
        effect: Effect::Conditional,
        title: "permit_tls_all_clientcerts trusting public CAs",
        why: "permit_tls_all_clientcerts permits every client whose certificate verifies against the trusted CAs; Postfix documents it as safe only when a private CA is the only one trusted. With the system's public CA store every holder of a client certificate from any of those CAs relays.",
        fix: "smtpd_tls_CAfile = /etc/postfix/private-client-ca.pem",
        source: "postconf(5) permit_tls_all_clientcerts, smtpd_tls_CAfile, tls_append_default_CA",
        check: walk_rule!("POSTFIX-TLS-ALL-CLIENTCERTS-PUBLIC-CA"),
    },
    Rule {
        id: "POSTFIX-ALLOW-UNTRUSTED-ROUTING",
        severity: Severity::High,
        effect: Effect::Conditional,
        title: "allow_untrusted_routing = yes",
        why: "Strangers may then send user@elsewhere@relaydomain (or %, !) routed addresses to relay_domains; the next hop resolves the inner address and relays on.",
        fix: "allow_untrusted_routing = no",
        source: "postconf(5) allow_untrusted_routing",
        check: |m: &Model| m.param_is(super::stranger::is_yes, "allow_untrusted_routing"),
    },
    Rule {
        id: "POSTFIX-RESOLVE-DEQUOTED",
        severity: Severity::Medium,
        effect: Effect::Conditional,
        title: "resolve_dequoted_address = no",
        why: "Postfix stops looking inside quoted localparts, so \"user@victim\"@yourdomain passes as local and a backup-MX or Sendmail next hop relays it.",
        fix: "resolve_dequoted_address = yes",
        source: "postconf(5) resolve_dequoted_address",
        check: |m: &Model| m.param_is(|v| !super::stranger::is_yes(v), "resolve_dequoted_address"),
    },
    Rule {
        id: "POSTFIX-XCLIENT-BROAD",
        severity: Severity::Critical,
        effect: Effect::Open,
        title: "XCLIENT allowed from a broad range",
        why: "A host in smtpd_authorized_xclient_hosts can claim any client address with XCLIENT ADDR=127.0.0.1 and then passes permit_mynetworks.",
        fix: "smtpd_authorized_xclient_hosts = <your proxy's exact address>/32",
        source: "XCLIENT_README; postconf(5) smtpd_authorized_xclient_hosts",
        check: |m: &Model| m.broad_hosts("smtpd_authorized_xclient_hosts"),
    },
    Rule {
        id: "POSTFIX-XFORWARD-BROAD",
        severity: Severity::Low,
        effect: Effect::Hardening,
        title: "XFORWARD allowed from a broad range",
        why: "XFORWARD does not grant relaying but lets those hosts forge the client name and address logged and passed to filters, hiding a relay abuser.",
        fix: "smtpd_authorized_xforward_hosts = <your content filter's exact address>/32",
        source: "XFORWARD_README",
        check: |m: &Model| m.broad_hosts("smtpd_authorized_xforward_hosts"),
    },
    Rule {
        id: "POSTFIX-COMPAT-ZERO",
        severity: Severity::Medium,
        effect: Effect::Hardening,
        title: "compatibility_level below 1 and no relay restrictions",
        why: "With compatibility_level < 1 smtpd_relay_restrictions defaults to empty: current Postfix refuses to start smtpd (no working reject_unauth_destination), and Postfix before 2.10 relied on a recipient list that is not set here.",
        fix: "compatibility_level = 3.6",
        source: "COMPATIBILITY_README; postconf(5) smtpd_relay_restrictions",
        check: |m: &Model| m.compat_zero.clone().into_iter().collect(),
    },
];
