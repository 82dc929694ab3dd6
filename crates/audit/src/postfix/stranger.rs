//! Walk every smtpd restriction list as Postfix does for a *stranger*: a client outside
//! mynetworks, not SASL-authenticated, with a HELO, sender and foreign recipient of its own
//! choosing. Under the default `smtpd_delay_reject = yes` all five lists (client, helo,
//! sender, relay, recipient) are evaluated at RCPT TO; a stranger relays only when none of
//! them rejects. `permit` ends a list, not the evaluation, so a permit in one list is undone
//! by a reject in another (smtpd_access_readme, "Delayed evaluation").

use super::domains::{is_public_suffix, wide_entry};
use super::main_cf::split_list;
use super::networks::{style_networks, widest, StyleNets, Widest};
use super::params::{Params, Setting};
use super::tables::{is_permit_action, is_reject_action, read, Entry, Table};
use crate::finding::{Effect, Location, Warning};
use crate::netrange::{classify, parse_net, NetClass};
use crate::source::Bundle;
use ipnet::IpNet;

/// The restriction lists in evaluation order.
pub const LISTS: [&str; 5] = [
    "smtpd_client_restrictions",
    "smtpd_helo_restrictions",
    "smtpd_sender_restrictions",
    "smtpd_relay_restrictions",
    "smtpd_recipient_restrictions",
];

/// Why a stranger got past a point in a list: a rule id plus where and what.
#[derive(Debug, Clone)]
pub struct Cause {
    /// The rule this cause is evidence for.
    pub rule: &'static str,
    /// Open or conditional.
    pub effect: Effect,
    /// Where the deciding value is.
    pub location: Location,
    /// The value.
    pub value: String,
    /// Extra explanation.
    pub detail: String,
    /// A specific fix line, if the rule's generic one is not exact.
    pub fix: Option<String>,
}

/// What one restriction does for a stranger.
enum Step {
    Reject,
    /// Permits (ends the list); the cause is None for a harmless final `permit`.
    Permit(Option<Cause>),
    /// Permits only under a deployment condition; evaluation goes on otherwise.
    MaybePermit(Cause),
    /// Lets the stranger through a check that would otherwise reject (the list goes on).
    PassThrough(Cause),
    /// Rejects unless a condition holds (e.g. an unread relay_domains table matches).
    ConditionalReject(Cause),
    Nothing,
}

/// The result of one list.
#[derive(Debug, Clone)]
pub enum ListOutcome {
    /// A reject reached with no permit before it.
    Rejects,
    /// The stranger was permitted (ends the list).
    Permits(Vec<Cause>),
    /// A reject reached, but only after conditional permits.
    ConditionallyRejects(Vec<Cause>),
    /// The list ended without a decision.
    FallsThrough(Vec<Cause>),
}

/// The result for one smtpd service.
#[derive(Debug, Clone)]
pub struct ServiceOutcome {
    /// Causes that let a stranger relay (empty when closed).
    pub causes: Vec<Cause>,
    /// Open, conditional, or closed (None).
    pub effect: Option<Effect>,
    /// The service refuses to start: no working reject in relay/recipient lists.
    pub fatal_no_reject: bool,
}

/// Evaluate all lists for a stranger. `interfaces` are the server's interface addresses
/// with prefix lengths, when known (for `mynetworks_style`).
pub fn evaluate(
    params: &Params<'_>,
    bundle: &Bundle,
    interfaces: &[IpNet],
    warnings: &mut Vec<Warning>,
) -> ServiceOutcome {
    let ctx = Ctx {
        params,
        bundle,
        interfaces,
    };
    let mut outcomes = Vec::new();
    for list in LISTS {
        let setting = params.get(list);
        outcomes.push(ctx.walk(list, &setting, warnings));
    }
    let fatal_no_reject = !has_working_reject(&params.get(LISTS[3]).expanded)
        && !has_working_reject(&params.get(LISTS[4]).expanded);
    if fatal_no_reject || outcomes.iter().any(|o| matches!(o, ListOutcome::Rejects)) {
        return ServiceOutcome {
            causes: Vec::new(),
            effect: None,
            fatal_no_reject,
        };
    }
    // The stranger relays when no list rejects. A list that rejects unless a condition
    // holds needs one of its conditional causes; the lists that permit or fall through
    // contribute their open causes.
    let mut open = Vec::new();
    let mut needed: Vec<Vec<Cause>> = Vec::new();
    for o in outcomes {
        match o {
            ListOutcome::Permits(c) | ListOutcome::FallsThrough(c) => {
                open.extend(c.into_iter().filter(|c| c.effect == Effect::Open));
            }
            ListOutcome::ConditionallyRejects(c) => needed.push(c),
            ListOutcome::Rejects => {}
        }
    }
    if needed.is_empty() {
        if open.is_empty() {
            // Nothing permitted, nothing rejected: the relay check is simply missing.
            let s = params.get(LISTS[4]);
            open.push(Cause {
                rule: "POSTFIX-NO-UNAUTH-DEST",
                effect: Effect::Open,
                location: s.location.clone(),
                value: format!("smtpd_recipient_restrictions = {}", s.raw),
                detail: "No list rejects a stranger's foreign recipient.".into(),
                fix: None,
            });
        }
        return ServiceOutcome {
            causes: open,
            effect: Some(Effect::Open),
            fatal_no_reject,
        };
    }
    // Causes that alone satisfy every conditional list are the answer (e.g. a private
    // mynetworks trusted in both the relay and the recipient list); otherwise each list
    // needs one of its own.
    let same = |a: &Cause, b: &Cause| a.rule == b.rule && a.location == b.location;
    let sufficient: Vec<Cause> = needed[0]
        .iter()
        .filter(|c| needed[1..].iter().all(|l| l.iter().any(|d| same(c, d))))
        .cloned()
        .collect();
    let mut causes = if sufficient.is_empty() {
        needed.into_iter().flatten().collect()
    } else {
        sufficient
    };
    causes.retain(|c| c.effect == Effect::Conditional);
    ServiceOutcome {
        causes,
        effect: Some(Effect::Conditional),
        fatal_no_reject,
    }
}

/// Postfix refuses to start smtpd unless the relay or recipient list has one of these,
/// not after a bare `permit` (smtpd_check.c).
fn has_working_reject(list: &str) -> bool {
    for item in split_list(list) {
        match item.as_str() {
            "permit" => return false,
            "reject_unauth_destination"
            | "defer_unauth_destination"
            | "reject"
            | "defer"
            | "defer_if_permit"
            | "check_relay_domains" => return true,
            _ => {}
        }
    }
    false
}

struct Ctx<'a, 'b> {
    params: &'a Params<'b>,
    bundle: &'a Bundle,
    interfaces: &'a [IpNet],
}

impl Ctx<'_, '_> {
    fn walk(&self, list: &str, setting: &Setting, warnings: &mut Vec<Warning>) -> ListOutcome {
        let items = split_list(&setting.expanded);
        let classes = split_list(&self.params.get("smtpd_restriction_classes").expanded);
        let mut conditional = Vec::new();
        let mut passed = Vec::new();
        let mut i = 0;
        let mut expanded_items: Vec<String> = Vec::new();
        for it in items {
            if classes.contains(&it) {
                expanded_items.extend(split_list(&self.params.get(&it).expanded));
            } else {
                expanded_items.push(it);
            }
        }
        let items = expanded_items;
        while i < items.len() {
            let item = items[i].as_str();
            let arg = items.get(i + 1).map(String::as_str);
            let (step, used) = self.step(list, item, arg, setting, warnings);
            i += 1 + used;
            match step {
                Step::Reject => {
                    return if conditional.is_empty() {
                        ListOutcome::Rejects
                    } else {
                        conditional.extend(passed);
                        ListOutcome::ConditionallyRejects(conditional)
                    };
                }
                Step::Permit(c) => {
                    let mut all: Vec<Cause> = c.into_iter().collect();
                    all.extend(passed);
                    all.extend(conditional);
                    return ListOutcome::Permits(all);
                }
                Step::MaybePermit(c) => conditional.push(c),
                Step::ConditionalReject(c) => {
                    conditional.push(c);
                    conditional.extend(passed);
                    return ListOutcome::ConditionallyRejects(conditional);
                }
                Step::PassThrough(c) => passed.push(c),
                Step::Nothing => {}
            }
        }
        passed.extend(conditional);
        ListOutcome::FallsThrough(passed)
    }

    /// One restriction; returns the step and how many argument tokens it consumed.
    fn step(
        &self,
        list: &str,
        item: &str,
        arg: Option<&str>,
        setting: &Setting,
        warnings: &mut Vec<Warning>,
    ) -> (Step, usize) {
        let here = setting.location.clone();
        let value_line = format!("{list} = {}", setting.raw);
        match item {
            // A bare `permit` ends the list. Postfix ignores any relay check after it and
            // refuses to start without one, so it is reported by its own static rule.
            "permit" => (Step::Permit(None), 0),
            "reject_unauth_destination" | "defer_unauth_destination" | "check_relay_domains" => {
                match self.relay_domains_reach() {
                    Reach::Wide(c) => (Step::PassThrough(c), 0),
                    Reach::Unseen(c) => (Step::ConditionalReject(c), 0),
                    Reach::Narrow => (Step::Reject, 0),
                }
            }
            "reject" | "defer" | "defer_if_permit" => (Step::Reject, 0),
            // Permits what reject_unauth_destination lets through: mail for relay_domains.
            "permit_auth_destination" => match self.relay_domains_reach() {
                Reach::Wide(c) => (Step::Permit(Some(c)), 0),
                Reach::Unseen(c) => (Step::MaybePermit(c), 0),
                Reach::Narrow => (Step::Nothing, 0),
            },
            "permit_mynetworks" => (self.mynetworks(warnings), 0),
            // Postfix does not count an ANONYMOUS login for permit_sasl_authenticated
            // (verified live); anonymous SASL is reported by its own static rule.
            "permit_sasl_authenticated" => (Step::Nothing, 0),
            "permit_tls_clientcerts" => (self.tls_clientcerts(&here, &value_line, warnings), 0),
            "permit_tls_all_clientcerts" => {
                (self.tls_all_clientcerts(&here, &value_line), 0)
            }
            "permit_mx_backup" => {
                let nets = self.params.get("permit_mx_backup_networks");
                if nets.expanded.trim().is_empty() {
                    (
                        Step::MaybePermit(Cause {
                            rule: "POSTFIX-MX-BACKUP-UNRESTRICTED",
                            effect: Effect::Conditional,
                            location: here,
                            value: value_line,
                            detail: format!("`permit_mx_backup` in {list} with empty permit_mx_backup_networks."),
                            fix: None,
                        }),
                        0,
                    )
                } else {
                    (Step::Nothing, 0)
                }
            }
            "check_policy_service"
            | "reject_rbl_client"
            | "reject_rhsbl_client"
            | "reject_rhsbl_sender"
            | "reject_rhsbl_helo"
            | "reject_rhsbl_recipient"
            | "reject_rhsbl_reverse_client"
            | "permit_dnswl_client"
            | "permit_rhswl_client"
            | "reject_dnsbl_client"
            // Keyed on the SASL login name: a stranger has none.
            | "check_sasl_access" => {
                if item == "check_policy_service" {
                    warnings.push(Warning {
                        location: here,
                        message: format!(
                            "{list} calls an external policy service ({}); this audit assumes it never permits — check its own config",
                            arg.unwrap_or("?")
                        ),
                    });
                }
                (Step::Nothing, 1)
            }
            _ if item.starts_with("check_") && item.ends_with("_access") => {
                let Some(spec) = arg else {
                    return (Step::Nothing, 0);
                };
                (self.access(list, item, spec, &here, warnings), 1)
            }
            _ if item.starts_with("reject_")
                || item.starts_with("permit_")
                || item.starts_with("warn_")
                || item.starts_with("defer_")
                || item == "sleep"
                || item == "smtpd_null_access_lookup_key" =>
            {
                (Step::Nothing, usize::from(item == "sleep"))
            }
            _ if item.contains(':') => {
                // A bare table: an access lookup in the context of the list.
                let kind = match list {
                    "smtpd_client_restrictions" => "check_client_access",
                    "smtpd_helo_restrictions" => "check_helo_access",
                    "smtpd_sender_restrictions" => "check_sender_access",
                    _ => "check_recipient_access",
                };
                (self.access(list, kind, item, &here, warnings), 0)
            }
            _ => {
                warnings.push(Warning {
                    location: here,
                    message: format!("unknown restriction `{item}` in {list}; not evaluated"),
                });
                (Step::Nothing, 0)
            }
        }
    }

    /// A cause for a table the audit could not read, named so it can be checked by hand.
    fn unseen(&self, table: &str, used_as: &str, location: &Location) -> Cause {
        Cause {
            rule: "POSTFIX-TABLE-UNSEEN",
            effect: Effect::Conditional,
            location: location.clone(),
            value: table.to_string(),
            detail: format!(
                "`{table}` ({used_as}) is not in the audited files or is an external database; whether it lets a stranger relay depends on what it returns."
            ),
            fix: Some(format!(
                "audit the directory holding {table}, or check by hand that it returns no OK/RELAY/PERMIT for keys a stranger controls"
            )),
        }
    }

    fn mynetworks(&self, warnings: &mut Vec<Warning>) -> Step {
        let nets = self.params.get("mynetworks");
        if !nets.is_default || !nets.expanded.trim().is_empty() {
            let mut unseen = Vec::new();
            let widest = widest(
                &nets.expanded,
                &nets.location,
                self.bundle,
                warnings,
                &mut unseen,
            );
            let value = format!("mynetworks = {}", nets.raw);
            let cause = |rule, effect, location: Location, detail: String| Cause {
                rule,
                effect,
                // An entry inside a table or file is fixed there, not in main.cf.
                fix: (location.file != nets.location.file).then(|| {
                    format!(
                        "delete the wide entry at {location} (keep your own hosts as /32 entries)"
                    )
                }),
                location,
                value: value.clone(),
                detail,
            };
            return match widest {
                Some(Widest {
                    class: NetClass::Everyone,
                    entry,
                    location,
                }) => Step::Permit(Some(cause(
                    "POSTFIX-MYNETWORKS-OPEN",
                    Effect::Open,
                    location,
                    format!("`{entry}` covers every address on the Internet."),
                ))),
                Some(Widest {
                    class: NetClass::HugePublic,
                    entry,
                    location,
                }) => Step::Permit(Some(cause(
                    "POSTFIX-MYNETWORKS-HUGE",
                    Effect::Open,
                    location,
                    format!("`{entry}` trusts a whole provider-sized public range (or every client named under a TLD)."),
                ))),
                Some(Widest {
                    class: NetClass::Private,
                    entry,
                    location,
                }) => Step::MaybePermit(cause(
                    "POSTFIX-MYNETWORKS-PRIVATE",
                    Effect::Conditional,
                    location,
                    format!("`{entry}` is a private/NAT/container range."),
                )),
                _ => match unseen.first() {
                    Some(u) => Step::MaybePermit(self.unseen(&u.table, "mynetworks", &nets.location)),
                    None => Step::Nothing,
                },
            };
        }
        let style = self.params.get("mynetworks_style");
        let style_name = style.expanded.trim();
        if !matches!(style_name, "subnet" | "class") {
            return Step::Nothing;
        }
        let value = format!(
            "mynetworks_style = {style_name}{}",
            if style.is_default {
                " (default: compatibility_level is below 2)"
            } else {
                ""
            }
        );
        let inet = self.params.get("inet_interfaces");
        match style_networks(style_name, &inet.expanded, self.interfaces) {
            StyleNets::LoopbackOnly => Step::Nothing,
            StyleNets::Known(nets) => {
                let worst = nets
                    .iter()
                    .max_by_key(|n| match classify(n) {
                        NetClass::Everyone => 3,
                        NetClass::HugePublic => 2,
                        NetClass::Specific => 1,
                        _ => 0,
                    })
                    .copied();
                let list = nets.iter().map(|n| n.to_string()).collect::<Vec<_>>();
                match worst.map(|n| (n, classify(&n))) {
                    Some((n, NetClass::Everyone | NetClass::HugePublic)) => {
                        Step::Permit(Some(Cause {
                            rule: "POSTFIX-MYNETWORKS-HUGE",
                            effect: Effect::Open,
                            location: style.location.clone(),
                            value,
                            detail: format!("mynetworks is unset, so Postfix computes it from the interface addresses: {} — `{n}` is a provider-sized public range.", list.join(" ")),
                            fix: Some("mynetworks_style = host".into()),
                        }))
                    }
                    _ => Step::MaybePermit(Cause {
                        rule: "POSTFIX-MYNETWORKS-STYLE",
                        effect: Effect::Conditional,
                        location: style.location.clone(),
                        value,
                        detail: format!("mynetworks is unset, so Postfix trusts {}; on a cloud, hosting or NAT network those are other customers.", list.join(" ")),
                        fix: None,
                    }),
                }
            }
            StyleNets::Unknown => Step::MaybePermit(Cause {
                rule: "POSTFIX-MYNETWORKS-STYLE",
                effect: Effect::Conditional,
                location: style.location.clone(),
                value,
                detail: "mynetworks is unset, so Postfix trusts every host on the server's own IP subnets; on a cloud or hosting network those are other customers (give the interface addresses with --interface ADDR/LEN to know how many).".into(),
                fix: None,
            }),
        }
    }

    /// How far relay_domains reaches (what reject_unauth_destination lets through).
    fn relay_domains_reach(&self) -> Reach {
        let rd = self.params.get("relay_domains");
        let parent = split_list(&self.params.get("parent_domain_matches_subdomains").expanded)
            .iter()
            .any(|p| p == "relay_domains");
        let mut unseen = Vec::new();
        // (A table that cannot be read becomes a finding below, not a warning.)
        let mut quiet = Vec::new();
        match wide_entry(
            &rd.expanded,
            &rd.location,
            parent,
            self.bundle,
            &mut quiet,
            &mut unseen,
        ) {
            Some(w) => Reach::Wide(Cause {
                rule: "POSTFIX-RELAY-DOMAINS-WILDCARD",
                effect: Effect::Open,
                location: w.location.clone(),
                value: if w.entry == rd.raw || rd.raw.contains(&w.entry) {
                    format!("relay_domains = {}", rd.raw)
                } else {
                    w.entry.clone()
                },
                detail: format!(
                    "{}, so reject_unauth_destination (and permit_auth_destination) let a stranger's mail for it through.",
                    w.reach
                ),
                // An entry inside a table or file is fixed there, not in main.cf.
                fix: (w.location.file != rd.location.file).then(|| {
                    format!(
                        "delete `{}` from {} (list the domains you relay for by name)",
                        w.entry, w.location.file
                    )
                }),
            }),
            None => match unseen.first() {
                Some(u) => Reach::Unseen(self.unseen(&u.table, "relay_domains", &rd.location)),
                None => Reach::Narrow,
            },
        }
    }

    /// Can a client present a certificate here at all (TLS offered, certificate asked)?
    fn client_certs_asked(&self) -> bool {
        let level = self.params.get("smtpd_tls_security_level");
        let tls_on = match level.expanded.trim() {
            "may" | "encrypt" => true,
            "" => {
                is_yes(&self.params.get("smtpd_use_tls").expanded)
                    || is_yes(&self.params.get("smtpd_enforce_tls").expanded)
            }
            _ => false,
        };
        let has_cert = [
            "smtpd_tls_cert_file",
            "smtpd_tls_chain_files",
            "smtpd_tls_eccert_file",
        ]
        .iter()
        .any(|p| !self.params.get(p).expanded.trim().is_empty());
        let asked = is_yes(&self.params.get("smtpd_tls_ask_ccert").expanded)
            || is_yes(&self.params.get("smtpd_tls_req_ccert").expanded);
        tls_on && has_cert && asked
    }

    fn tls_clientcerts(
        &self,
        here: &Location,
        value_line: &str,
        warnings: &mut Vec<Warning>,
    ) -> Step {
        if !self.client_certs_asked() {
            return Step::Nothing;
        }
        let rc = self.params.get("relay_clientcerts");
        for spec in split_list(&rc.expanded) {
            if !spec.contains(':') {
                continue;
            }
            match read(&spec, self.bundle, &rc.location, warnings) {
                Table::Read(es) => {
                    if let Some(e) = es.iter().find(|e| e.catch_all) {
                        return Step::Permit(Some(Cause {
                            rule: "POSTFIX-TLS-CLIENTCERTS-ANY",
                            effect: Effect::Open,
                            location: e.location.clone(),
                            value: format!("relay_clientcerts = {}", rc.raw),
                            detail: format!("`{spec}` matches every fingerprint, and permit_tls_clientcerts does not require the certificate to be signed by anyone: a stranger presents a self-signed certificate ({value_line})."),
                            fix: None,
                        }));
                    }
                }
                Table::Unreadable(_) => {
                    return Step::MaybePermit(self.unseen(&spec, "relay_clientcerts", here))
                }
            }
        }
        Step::Nothing
    }

    fn tls_all_clientcerts(&self, here: &Location, value_line: &str) -> Step {
        if !self.client_certs_asked() {
            return Step::Nothing;
        }
        let ca_file = self.params.get("smtpd_tls_CAfile");
        let ca_path = self.params.get("smtpd_tls_CApath");
        let append = self.params.get("tls_append_default_CA");
        let public = |why: String, location: Location, value: String| {
            Step::MaybePermit(Cause {
                rule: "POSTFIX-TLS-ALL-CLIENTCERTS-PUBLIC-CA",
                effect: Effect::Conditional,
                location,
                value,
                detail: format!("{why}; with permit_tls_all_clientcerts before the relay check ({value_line}) any client certificate those CAs issue relays."),
                fix: None,
            })
        };
        if is_yes(&append.expanded) {
            return public(
                "tls_append_default_CA = yes trusts the system's public CAs".into(),
                append.location.clone(),
                format!("tls_append_default_CA = {}", append.raw),
            );
        }
        let path = ca_path.expanded.trim();
        if !path.is_empty() {
            return public(
                format!("smtpd_tls_CApath = {path} trusts every CA in that directory"),
                ca_path.location.clone(),
                format!("smtpd_tls_CApath = {}", ca_path.raw),
            );
        }
        let file = ca_file.expanded.trim();
        if file.is_empty() {
            return Step::Nothing;
        }
        let system = [
            "ca-certificates",
            "ca-bundle",
            "cacert.pem",
            "/etc/ssl/cert.pem",
            "tls-ca-bundle",
            "certs/ca-",
        ]
        .iter()
        .any(|s| file.contains(s));
        let certs = self
            .bundle
            .resolve(file)
            .map(|f| f.text.matches("BEGIN CERTIFICATE").count());
        match certs {
            _ if system => public(
                format!("smtpd_tls_CAfile = {file} is the system's public CA bundle"),
                ca_file.location.clone(),
                format!("smtpd_tls_CAfile = {}", ca_file.raw),
            ),
            Some(n) if n > 3 => public(
                format!("smtpd_tls_CAfile = {file} holds {n} CA certificates, a public bundle"),
                ca_file.location.clone(),
                format!("smtpd_tls_CAfile = {}", ca_file.raw),
            ),
            Some(_) => Step::Nothing,
            None => Step::MaybePermit(self.unseen(
                file,
                "smtpd_tls_CAfile for permit_tls_all_clientcerts",
                here,
            )),
        }
    }

    fn access(
        &self,
        list: &str,
        kind: &str,
        spec: &str,
        here: &Location,
        warnings: &mut Vec<Warning>,
    ) -> Step {
        if kind == "check_ccert_access" && !self.client_certs_asked() {
            return Step::Nothing;
        }
        let entries = match read(spec, self.bundle, here, warnings) {
            Table::Read(e) => e,
            Table::Unreadable(_) => {
                return Step::MaybePermit(self.unseen(spec, &format!("{kind} in {list}"), here))
            }
        };
        let parent = split_list(&self.params.get("parent_domain_matches_subdomains").expanded)
            .iter()
            .any(|p| p == "smtpd_access_maps");
        for e in &entries {
            if e.catch_all && is_reject_action(&e.value) {
                return Step::Reject;
            }
            if !is_permit_action(&e.value) {
                continue;
            }
            let Some((effect, reach)) = key_reach(kind, e, parent) else {
                continue;
            };
            let cause = Cause {
                rule: if effect == Effect::Open {
                    "POSTFIX-ACCESS-OK-BEFORE-UNAUTH"
                } else {
                    "POSTFIX-ACCESS-OK-CONDITIONAL"
                },
                effect,
                location: e.location.clone(),
                value: format!("{} {}", e.key, e.value),
                detail: format!(
                    "`{kind} {spec}` in {list} returns `{}` for `{}`: {reach} — and the accept ends the list before reject_unauth_destination.",
                    e.value, e.key,
                ),
                fix: Some(format!(
                    "{list} = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination, {kind} {spec}"
                )),
            };
            return if effect == Effect::Open {
                Step::Permit(Some(cause))
            } else {
                Step::MaybePermit(cause)
            };
        }
        Step::Nothing
    }
}

/// Whether relay_domains lets a stranger's recipient through.
enum Reach {
    Wide(Cause),
    Unseen(Cause),
    Narrow,
}

/// What an accepting access-table entry gives a stranger, by the kind of lookup.
fn key_reach(kind: &str, e: &Entry, parent: bool) -> Option<(Effect, String)> {
    let key = e.key.as_str();
    if e.catch_all {
        return Some((Effect::Open, "the key matches every lookup".into()));
    }
    let suffix = |k: &str| {
        let bare = if parent {
            (!k.starts_with('.')).then_some(k)
        } else {
            k.strip_prefix('.')
        };
        bare.filter(|b| is_public_suffix(b)).map(str::to_string)
    };
    match kind {
        "check_sender_access" | "check_helo_access" => Some((
            Effect::Open,
            "the sender address and HELO name are whatever the client says, so a stranger forges it".into(),
        )),
        "check_recipient_access" => {
            if key.ends_with('@') && key.len() > 1 {
                Some((Effect::Open, format!("`{key}` matches that mailbox at every domain, so a stranger relays to it anywhere")))
            } else {
                suffix(key).map(|s| (Effect::Open, format!("it matches every recipient domain under .{s}")))
            }
        }
        "check_client_access" | "check_reverse_client_hostname_access" | "check_client_a_access" => {
            match parse_net(key).map(|n| classify(&n)) {
                Some(NetClass::Everyone | NetClass::HugePublic) => Some((Effect::Open, "a provider-sized public range of clients".into())),
                Some(NetClass::Private) => Some((Effect::Conditional, "a private/NAT range every client appears from behind NAT or a container proxy".into())),
                Some(_) => None,
                None => suffix(key).map(|s| (Effect::Open, format!("every client whose host name ends in .{s}"))),
            }
        }
        "check_helo_a_access" | "check_helo_mx_access" | "check_helo_ns_access"
        | "check_sender_a_access" | "check_sender_mx_access" | "check_sender_ns_access"
        | "check_recipient_a_access" | "check_recipient_mx_access" | "check_recipient_ns_access"
        | "check_client_mx_access" | "check_client_ns_access"
        | "check_reverse_client_mx_access" | "check_reverse_client_ns_access"
        | "check_reverse_client_a_access" => Some((
            Effect::Conditional,
            "a stranger points the DNS of a name it supplies (or owns) at those hosts".into(),
        )),
        _ => None,
    }
}

/// Items that reject a stranger's foreign recipient.
pub fn is_relay_check(item: &str) -> bool {
    matches!(
        item,
        "reject_unauth_destination"
            | "defer_unauth_destination"
            | "reject"
            | "defer"
            | "check_relay_domains"
    )
}

/// Postfix booleans.
pub fn is_yes(v: &str) -> bool {
    matches!(v.trim().to_ascii_lowercase().as_str(), "yes" | "true" | "1")
}

/// A public suffix (`com`, `co.uk`): with parent-domain matching it covers every domain
/// under it.
pub fn is_tld(s: &str) -> bool {
    is_public_suffix(s)
}
