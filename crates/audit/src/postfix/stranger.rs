//! Walk every smtpd restriction list as Postfix does for a *stranger*: a client outside
//! mynetworks, not SASL-authenticated, with a HELO, sender and foreign recipient of its own
//! choosing. Under the default `smtpd_delay_reject = yes` all five lists (client, helo,
//! sender, relay, recipient) are evaluated at RCPT TO; a stranger relays only when none of
//! them rejects. `permit` ends a list, not the evaluation, so a permit in one list is undone
//! by a reject in another (smtpd_access_readme, "Delayed evaluation").

use super::main_cf::split_list;
use super::params::{Params, Setting};
use super::tables::{is_permit_action, is_reject_action, read, Table};
use crate::finding::{Effect, Location, Warning};
use crate::netrange::{classify, parse_net, NetClass};
use crate::source::Bundle;

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

/// Evaluate all lists for a stranger.
pub fn evaluate(
    params: &Params<'_>,
    bundle: &Bundle,
    warnings: &mut Vec<Warning>,
) -> ServiceOutcome {
    let ctx = Ctx { params, bundle };
    let mut outcomes = Vec::new();
    for list in LISTS {
        let setting = params.get(list);
        outcomes.push(ctx.walk(list, &setting, warnings));
    }
    let fatal_no_reject = !has_working_reject(&params.get(LISTS[3]).expanded)
        && !has_working_reject(&params.get(LISTS[4]).expanded);
    if fatal_no_reject {
        return ServiceOutcome {
            causes: Vec::new(),
            effect: None,
            fatal_no_reject,
        };
    }
    if outcomes.iter().any(|o| matches!(o, ListOutcome::Rejects)) {
        return ServiceOutcome {
            causes: Vec::new(),
            effect: None,
            fatal_no_reject,
        };
    }
    let mut causes = Vec::new();
    let mut conditional = false;
    for o in outcomes {
        match o {
            ListOutcome::Permits(c) | ListOutcome::FallsThrough(c) => causes.extend(c),
            ListOutcome::ConditionallyRejects(c) => {
                conditional = true;
                causes.extend(c);
            }
            ListOutcome::Rejects => {}
        }
    }
    let any_open = causes.iter().any(|c| c.effect == Effect::Open);
    let effect = if !conditional && (any_open || causes.is_empty()) {
        Effect::Open
    } else {
        Effect::Conditional
    };
    if effect == Effect::Open && !any_open {
        // Nothing permitted, nothing rejected: the relay check is simply missing.
        let s = params.get(LISTS[4]);
        causes.push(Cause {
            rule: "POSTFIX-NO-UNAUTH-DEST",
            effect: Effect::Open,
            location: s.location.clone(),
            value: format!("smtpd_recipient_restrictions = {}", s.raw),
            detail: "No list rejects a stranger's foreign recipient.".into(),
            fix: None,
        });
    }
    if effect == Effect::Conditional {
        causes.retain(|c| c.effect == Effect::Conditional);
    }
    ServiceOutcome {
        causes,
        effect: Some(effect),
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
            "reject"
            | "defer"
            | "defer_if_permit"
            | "reject_unauth_destination"
            | "defer_unauth_destination"
            | "check_relay_domains" => {
                if item.ends_with("unauth_destination") {
                    if let Some(c) = self.relay_domains_wildcard() {
                        return (Step::PassThrough(c), 0);
                    }
                }
                (Step::Reject, 0)
            }
            "permit_mynetworks" => (self.mynetworks(), 0),
            "permit_sasl_authenticated" => {
                let enabled = self.params.get("smtpd_sasl_auth_enable");
                let opts = self.params.get("smtpd_sasl_security_options");
                if is_yes(&enabled.expanded) && !opts.expanded.contains("noanonymous") {
                    (
                        Step::MaybePermit(Cause {
                            rule: "POSTFIX-SASL-ANONYMOUS",
                            effect: Effect::Conditional,
                            location: opts.location.clone(),
                            value: format!("smtpd_sasl_security_options = {}", opts.raw),
                            detail: "With SASL enabled and no `noanonymous`, a backend that offers the ANONYMOUS mechanism lets anyone authenticate and pass permit_sasl_authenticated.".into(),
                            fix: None,
                        }),
                        0,
                    )
                } else {
                    (Step::Nothing, 0)
                }
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
            | "check_sasl_access"
            | "check_ccert_access" => {
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

    fn mynetworks(&self) -> Step {
        let nets = self.params.get("mynetworks");
        if !nets.is_default || !nets.expanded.trim().is_empty() {
            let mut worst: Option<(NetClass, String)> = None;
            for entry in split_list(&nets.expanded) {
                let Some(net) = parse_net(&entry) else {
                    continue;
                };
                let class = classify(&net);
                let rank = |c: NetClass| match c {
                    NetClass::Everyone => 3,
                    NetClass::HugePublic => 2,
                    NetClass::Private => 1,
                    _ => 0,
                };
                if worst.as_ref().is_none_or(|(w, _)| rank(class) > rank(*w)) {
                    worst = Some((class, entry));
                }
            }
            let value = format!("mynetworks = {}", nets.raw);
            return match worst {
                Some((NetClass::Everyone, e)) => Step::Permit(Some(Cause {
                    rule: "POSTFIX-MYNETWORKS-OPEN",
                    effect: Effect::Open,
                    location: nets.location,
                    value,
                    detail: format!("`{e}` covers every address on the Internet."),
                    fix: None,
                })),
                Some((NetClass::HugePublic, e)) => Step::Permit(Some(Cause {
                    rule: "POSTFIX-MYNETWORKS-HUGE",
                    effect: Effect::Open,
                    location: nets.location,
                    value,
                    detail: format!("`{e}` trusts a whole provider-sized public range."),
                    fix: None,
                })),
                Some((NetClass::Private, e)) => Step::MaybePermit(Cause {
                    rule: "POSTFIX-MYNETWORKS-PRIVATE",
                    effect: Effect::Conditional,
                    location: nets.location,
                    value,
                    detail: format!("`{e}` is a private/NAT/container range."),
                    fix: None,
                }),
                _ => Step::Nothing,
            };
        }
        let style = self.params.get("mynetworks_style");
        match style.expanded.trim() {
            "subnet" | "class" => Step::MaybePermit(Cause {
                rule: "POSTFIX-MYNETWORKS-STYLE",
                effect: Effect::Conditional,
                location: style.location.clone(),
                value: format!(
                    "mynetworks_style = {}{}",
                    style.expanded.trim(),
                    if style.is_default {
                        " (default: compatibility_level is below 2)"
                    } else {
                        ""
                    }
                ),
                detail: "mynetworks is unset, so Postfix trusts every host on the server's own IP subnets; on a cloud or hosting network those are other customers.".into(),
                fix: None,
            }),
            _ => Step::Nothing,
        }
    }

    fn relay_domains_wildcard(&self) -> Option<Cause> {
        let rd = self.params.get("relay_domains");
        for entry in split_list(&rd.expanded) {
            let wild = if entry.contains(':') {
                match read(&entry, self.bundle, &rd.location, &mut Vec::new()) {
                    Table::Read(es) => es.iter().any(|e| e.catch_all),
                    Table::Unreadable(_) => false,
                }
            } else {
                entry == "*" || entry == "." || is_tld(entry.trim_start_matches('.'))
            };
            if wild {
                return Some(Cause {
                    rule: "POSTFIX-RELAY-DOMAINS-WILDCARD",
                    effect: Effect::Open,
                    location: rd.location.clone(),
                    value: format!("relay_domains = {}", rd.raw),
                    detail: format!("`{entry}` matches any recipient domain, so reject_unauth_destination never rejects."),
                    fix: None,
                });
            }
        }
        None
    }

    fn access(
        &self,
        list: &str,
        kind: &str,
        spec: &str,
        here: &Location,
        warnings: &mut Vec<Warning>,
    ) -> Step {
        let entries = match read(spec, self.bundle, here, warnings) {
            Table::Read(e) => e,
            Table::Unreadable(_) => return Step::Nothing,
        };
        // What the stranger controls decides how far an OK reaches.
        let stranger_controls_key = matches!(kind, "check_sender_access" | "check_helo_access");
        for e in &entries {
            if e.catch_all && is_reject_action(&e.value) {
                return Step::Reject;
            }
            if !is_permit_action(&e.value) {
                continue;
            }
            let effect = if e.catch_all || stranger_controls_key {
                Some(Effect::Open)
            } else if matches!(
                kind,
                "check_client_access"
                    | "check_reverse_client_hostname_access"
                    | "check_client_a_access"
            ) {
                match parse_net(&e.key).map(|n| classify(&n)) {
                    Some(NetClass::Everyone) | Some(NetClass::HugePublic) => Some(Effect::Open),
                    Some(NetClass::Private) => Some(Effect::Conditional),
                    _ => None,
                }
            } else if matches!(
                kind,
                "check_helo_a_access"
                    | "check_helo_mx_access"
                    | "check_helo_ns_access"
                    | "check_sender_a_access"
                    | "check_sender_mx_access"
                    | "check_sender_ns_access"
            ) {
                Some(Effect::Conditional)
            } else {
                None
            };
            let Some(effect) = effect else { continue };
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
                    "`{kind} {spec}` in {list} returns `{}` for `{}`, which a stranger {} — and OK ends the list before reject_unauth_destination.",
                    e.value,
                    e.key,
                    if effect == Effect::Open { "can supply" } else { "can reach through DNS or NAT" }
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

/// A bare top-level domain: with parent_domain_matches_subdomains it covers every domain
/// under it.
pub fn is_tld(s: &str) -> bool {
    matches!(
        s.to_ascii_lowercase().as_str(),
        "com"
            | "net"
            | "org"
            | "info"
            | "biz"
            | "io"
            | "de"
            | "uk"
            | "co"
            | "ru"
            | "cn"
            | "fr"
            | "nl"
            | "eu"
            | "us"
            | "jp"
            | "br"
            | "it"
            | "es"
            | "pl"
            | "in"
            | "au"
            | "ca"
            | "edu"
            | "gov"
            | "mil"
            | "xyz"
            | "top"
            | "online"
            | "site"
            | "app"
    )
}
