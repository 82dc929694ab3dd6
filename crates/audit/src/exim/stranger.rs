//! Run the RCPT ACL (`acl_smtp_rcpt`) as Exim would for a stranger: a client at an unknown
//! public address, not authenticated, sending to a foreign domain with a sender of its own
//! choosing. Statements run in order; `accept` with every condition true accepts (relay),
//! `deny`/`require` that fire stop it, and the end of the ACL denies (Exim spec ch. 42).

use super::parse::{split_list, Config, Statement};
use crate::finding::{Effect, Location, Warning};
use crate::netrange::{classify, parse_net, NetClass};
use crate::postfix::domains::is_public_suffix;
use crate::source::Bundle;

/// The config and the files its lists may name (`/etc/exim4/relay_hosts`).
struct Ctx<'a> {
    c: &'a Config,
    bundle: &'a Bundle,
}

/// Why the stranger got through, with the evidence.
#[derive(Debug, Clone)]
pub struct Cause {
    /// Rule id.
    pub rule: &'static str,
    /// Open or conditional.
    pub effect: Effect,
    /// Where.
    pub location: Location,
    /// The offending value.
    pub value: String,
    /// Detail.
    pub detail: String,
}

/// Truth of a condition for the stranger.
#[derive(Debug, Clone)]
enum Truth {
    True,
    False,
    /// True because of a weakness (the cause).
    Weak(Cause),
    Unknown(String),
}

/// Outcome of the ACL.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The causes when a stranger relays.
    pub causes: Vec<Cause>,
    /// Open/conditional, or None when closed.
    pub effect: Option<Effect>,
}

/// Evaluate `acl_smtp_rcpt` for a stranger.
pub fn evaluate(
    c: &Config,
    bundle: &Bundle,
    always_true_auth: Option<&Cause>,
    warnings: &mut Vec<Warning>,
) -> Outcome {
    let cx = Ctx { c, bundle };
    let closed = Outcome {
        causes: Vec::new(),
        effect: None,
    };
    let Some(acl_name) = c.main.get("acl_smtp_rcpt") else {
        // No RCPT ACL: Exim refuses every recipient.
        return closed;
    };
    let Some((_, stmts)) = c.acls.get(acl_name.value.trim()) else {
        warnings.push(Warning {
            location: acl_name.location.clone(),
            message: format!("acl_smtp_rcpt names `{}`, which is not defined in `begin acl`; Exim would fail every RCPT", acl_name.value),
        });
        return closed;
    };
    let mut passed: Vec<Cause> = Vec::new();
    let mut conditional: Vec<Cause> = Vec::new();
    let mut domain_checked = false;
    for s in stmts {
        let mut weak = Vec::new();
        let mut all_true = true;
        let mut any_false = false;
        let mut unknown = None;
        let mut checks_domain = false;
        for (name, value, loc) in &s.conditions {
            let (negated, name) = match name.strip_prefix('!') {
                Some(n) => (true, n.trim()),
                None => (false, name.as_str()),
            };
            if name == "domains" {
                checks_domain = true;
            }
            let mut truth = condition(&cx, name, value, loc, always_true_auth);
            if negated {
                truth = match truth {
                    Truth::True => Truth::False,
                    Truth::False => Truth::True,
                    Truth::Weak(_) => Truth::Unknown(format!("negated `{name}` on a weak list")),
                    u => u,
                };
            }
            match truth {
                Truth::True => {}
                Truth::False => {
                    any_false = true;
                    all_true = false;
                }
                Truth::Weak(cause) => weak.push(cause),
                Truth::Unknown(why) => {
                    all_true = false;
                    unknown = Some(why);
                }
            }
        }
        if any_false {
            if s.verb == "require" {
                // A require whose condition fails for the stranger denies.
                return finish_closed(conditional);
            }
            continue;
        }
        if let Some(why) = unknown {
            warnings.push(Warning {
                location: s.location.clone(),
                message: format!(
                    "`{}` statement not evaluated ({why}); assumed not to fire for a stranger",
                    s.verb
                ),
            });
            continue;
        }
        debug_assert!(all_true);
        let weak_effect = weak.iter().any(|w| w.effect == Effect::Conditional);
        match s.verb.as_str() {
            "accept" => {
                if weak_effect {
                    conditional.extend(weak);
                    continue;
                }
                let mut causes = weak;
                causes.extend(passed.clone());
                if causes.is_empty() && !domain_checked {
                    causes.push(unconditional(s));
                } else if causes.is_empty() {
                    // An accept after a domain check that a foreign domain would fail only
                    // if that check let it through: nothing specific to blame.
                    causes.push(unconditional(s));
                }
                causes.extend(conditional);
                return Outcome {
                    effect: Some(Effect::Open),
                    causes,
                };
            }
            "require" => {
                if checks_domain {
                    domain_checked = true;
                }
                passed.extend(weak);
            }
            "deny" | "drop" | "defer" | "discard" if weak.is_empty() => {
                return finish_closed(conditional);
            }
            _ => {}
        }
        if checks_domain {
            domain_checked = true;
        }
    }
    finish_closed(conditional)
}

/// A deny reached (or the end): closed, unless conditional accepts came first.
fn finish_closed(conditional: Vec<Cause>) -> Outcome {
    if conditional.is_empty() {
        Outcome {
            causes: Vec::new(),
            effect: None,
        }
    } else {
        Outcome {
            causes: conditional,
            effect: Some(Effect::Conditional),
        }
    }
}

fn unconditional(s: &Statement) -> Cause {
    let conds: Vec<String> = s
        .conditions
        .iter()
        .map(|(n, v, _)| format!("{n} = {v}"))
        .collect();
    Cause {
        rule: "EXIM-ACCEPT-BEFORE-DOMAIN",
        effect: Effect::Open,
        location: s.location.clone(),
        value: if conds.is_empty() {
            s.verb.clone()
        } else {
            format!("{} {}", s.verb, conds.join(" "))
        },
        detail:
            "This `accept` fires for a stranger before any `require domains`/`deny domains` check."
                .into(),
    }
}

fn condition(cx: &Ctx<'_>, name: &str, value: &str, loc: &Location, auth: Option<&Cause>) -> Truth {
    if value.contains("${")
        && !matches!(
            name,
            "message" | "log_message" | "logwrite" | "control" | "set" | "add_header"
        )
    {
        return Truth::Unknown(format!("{name} = {value} needs run-time expansion"));
    }
    match name {
        "hosts" => hosts(cx, value, loc, 0),
        "domains" => domains(cx, value, loc, 0),
        // A stand-in for an `.include` inside the ACL that is not in the audited files.
        "__unseen_include" => Truth::Weak(unseen(loc, value, "an `.include`d ACL fragment")),
        "authenticated" => match auth {
            Some(cause) => Truth::Weak(cause.clone()),
            None => Truth::False,
        },
        "senders" | "sender_domains" => {
            let items = split_list(value);
            // `senders = :` is a list of one empty item: the null sender `<>`, which anyone
            // may give in MAIL FROM.
            let null_sender = name == "senders"
                && (value.trim() == ":" || value.trim().starts_with(": ") || value.contains(": :"));
            if null_sender {
                Truth::Weak(Cause {
                    rule: "EXIM-ACCEPT-BEFORE-DOMAIN",
                    effect: Effect::Open,
                    location: loc.clone(),
                    value: format!("{name} = {value}"),
                    detail: "An empty item matches the null sender: a stranger sends MAIL FROM:<> and passes.".into(),
                })
            } else if items.is_empty() {
                Truth::False
            } else if items.iter().all(|i| i.starts_with('!')) {
                Truth::True
            } else {
                Truth::Weak(Cause {
                    rule: "EXIM-ACCEPT-BEFORE-DOMAIN",
                    effect: Effect::Open,
                    location: loc.clone(),
                    value: format!("{name} = {value}"),
                    detail: "The sender address is whatever the client says: a stranger forges a listed sender and passes.".into(),
                })
            }
        }
        "local_parts" | "recipients" => {
            let items = split_list(value);
            if items.iter().any(|i| i == "*" || i == "^.*" || i == "^.*$") {
                Truth::True
            } else {
                Truth::False
            }
        }
        "condition" => match value.trim().to_ascii_lowercase().as_str() {
            "yes" | "true" | "1" => Truth::True,
            "no" | "false" | "0" | "" => Truth::False,
            _ => Truth::Unknown(format!("condition = {value}")),
        },
        "verify" => {
            let v = value.trim();
            if v.starts_with("certificate") || v.starts_with("csa") {
                Truth::False
            } else {
                Truth::True
            }
        }
        "dnslists" | "ratelimit" | "spf" | "dkim_status" | "dkim_signers" | "malware" | "spam"
        | "regex" | "mime_regex" | "decode" | "demime" | "bmi_optin" | "dmarc_status" => {
            Truth::False
        }
        "encrypted" => Truth::True,
        "acl" => Truth::Unknown(format!("nested acl = {value}")),
        // Modifiers: no effect on whether the statement fires.
        "message" | "log_message" | "logwrite" | "control" | "set" | "delay" | "endpass"
        | "add_header" | "remove_header" | "udpsend" | "queue" | "seen" | "log_reject_target"
        | "continue" => Truth::True,
        _ => Truth::Unknown(format!("unknown condition `{name}`")),
    }
}

/// A cause for a list file or include the audit cannot read.
fn unseen(loc: &Location, what: &str, kind: &str) -> Cause {
    Cause {
        rule: "EXIM-LIST-UNSEEN",
        effect: Effect::Conditional,
        location: loc.clone(),
        value: what.to_string(),
        detail: format!("`{what}` ({kind}) is not in the audited files; a stranger relays if it holds a wide entry."),
    }
}

/// Does a stranger's address match a host list?
fn hosts(cx: &Ctx<'_>, value: &str, loc: &Location, depth: usize) -> Truth {
    match_list(cx, value, loc, depth, "hostlist", &|body, loc, value| {
        if body == "*" {
            weak_hosts(loc, value, Effect::Open, "`*` matches every host.")
        } else if let Some(net) = parse_net(body) {
            match classify(&net) {
                NetClass::Everyone => weak_hosts(loc, value, Effect::Open, &format!("`{body}` covers every address.")),
                NetClass::HugePublic => weak_hosts(loc, value, Effect::Open, &format!("`{body}` is a provider-sized public range.")),
                NetClass::Private => weak_hosts(loc, value, Effect::Conditional, &format!("`{body}` is a private/NAT/container range: behind NAT or a proxy every client arrives from it.")),
                _ => Truth::False,
            }
        } else if body.contains(';') {
            Truth::Unknown(format!("lookup `{body}`"))
        } else {
            // Host names, @, @[] and patterns of names: not something a stranger chooses.
            Truth::False
        }
    })
}

fn weak_hosts(loc: &Location, value: &str, effect: Effect, detail: &str) -> Truth {
    Truth::Weak(Cause {
        rule: if effect == Effect::Open {
            "EXIM-RELAY-FROM-HOSTS-BROAD"
        } else {
            "EXIM-RELAY-FROM-HOSTS-PRIVATE"
        },
        effect,
        location: loc.clone(),
        value: value.to_string(),
        detail: detail.to_string(),
    })
}

/// What a domain-list pattern reaches: every domain, or every domain under a public
/// suffix. Exim patterns: `*suffix` compares the end of the domain (`*net`, `*.co.uk`), `^…`
/// is a regular expression (`^.*\.net$`, `\N^.*\N`).
pub fn domain_pattern_reach(body: &str) -> Option<String> {
    let b = body.trim();
    let b = b
        .strip_prefix("\\N")
        .and_then(|r| r.strip_suffix("\\N"))
        .unwrap_or(b);
    if let Some(rest) = b.strip_prefix('*') {
        let sfx = rest.trim_start_matches('.');
        return if sfx.is_empty() || sfx == "*" {
            Some("every domain".into())
        } else if is_public_suffix(sfx) {
            Some(format!("every domain under .{sfx}"))
        } else {
            None
        };
    }
    if let Some(re) = b.strip_prefix('^') {
        let re = re.strip_suffix('$').unwrap_or(re);
        if matches!(re, "" | ".*" | ".+" | ".*.*") {
            return Some("every domain".into());
        }
        let rest = re.strip_prefix(".*").or_else(|| re.strip_prefix(".+"))?;
        let sfx = rest.replace("\\.", ".");
        let sfx = sfx.trim_start_matches('.');
        return (!sfx.is_empty() && is_public_suffix(sfx))
            .then(|| format!("every domain under .{sfx}"));
    }
    None
}

/// Does a foreign domain match a domain list?
fn domains(cx: &Ctx<'_>, value: &str, loc: &Location, depth: usize) -> Truth {
    match_list(cx, value, loc, depth, "domainlist", &|body, loc, value| {
        if let Some(reach) = domain_pattern_reach(body) {
            Truth::Weak(Cause {
                rule: "EXIM-RELAY-TO-DOMAINS-WILDCARD",
                effect: Effect::Open,
                location: loc.clone(),
                value: value.to_string(),
                detail: format!("`{body}` matches {reach}."),
            })
        } else if matches!(body, "@mx_any" | "@mx_primary" | "@mx_secondary")
            || body.starts_with("@mx_any/")
            || body.starts_with("@mx_primary/")
            || body.starts_with("@mx_secondary/")
        {
            Truth::Weak(Cause {
                rule: "EXIM-RELAY-TO-DOMAINS-MX",
                effect: Effect::Conditional,
                location: loc.clone(),
                value: value.to_string(),
                detail: format!("The list holds `{body}`."),
            })
        } else if exact_domain_lookup(body) {
            // Keys looked up exactly: a domain the stranger picks is found only if listed.
            Truth::False
        } else if body.contains(';') {
            Truth::Unknown(format!("lookup `{body}`"))
        } else {
            Truth::False
        }
    })
}

/// Exim list semantics shared by host and domain lists: items in order, first match wins,
/// `!item` negates, `+name` expands a named list (bounded nesting), and a list ending in a
/// negated item matches everything else. `item` judges one plain item of the list at `loc`.
fn match_list(
    cx: &Ctx<'_>,
    value: &str,
    loc: &Location,
    depth: usize,
    kind: &str,
    item: &dyn Fn(&str, &Location, &str) -> Truth,
) -> Truth {
    if depth > 8 {
        return Truth::Unknown("named lists nest too deep".into());
    }
    let items = split_list(value);
    let last_negated = items.last().is_some_and(|i| i.starts_with('!'));
    for entry in &items {
        let (neg, body) = match entry.strip_prefix('!') {
            Some(b) => (true, b.trim()),
            None => (false, entry.as_str()),
        };
        let t = if let Some(n) = body.strip_prefix('+') {
            match cx.c.lists.get(n) {
                Some(l) => match_list(cx, &l.value, &l.location, depth + 1, kind, item),
                None => Truth::Unknown(format!("{kind} +{n} not defined")),
            }
        } else if let Some(keys) = lookup_keys(cx, body, kind) {
            // A file lookup whose keys are list items for this kind of list.
            match keys {
                Some((keys, floc)) => {
                    let inner = format!("<\n {}", keys.join("\n"));
                    match_list(cx, &inner, &floc, depth + 1, kind, item)
                }
                None => Truth::Weak(unseen(loc, body, &format!("a {kind} lookup file"))),
            }
        } else if body.starts_with('/') {
            // A file name: its lines are more items of the list (Exim spec 10.3).
            match cx.bundle.resolve(body) {
                Some(f) => {
                    let items: Vec<String> = f
                        .text
                        .lines()
                        .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
                        .filter(|l| !l.is_empty())
                        .collect();
                    let floc = Location {
                        file: f.path.display().to_string(),
                        line: 1,
                    };
                    let inner = format!("<\n {}", items.join("\n"));
                    match_list(cx, &inner, &floc, depth + 1, kind, item)
                }
                None => Truth::Weak(unseen(loc, body, &format!("a file of {kind} items"))),
            }
        } else {
            item(body, loc, value)
        };
        match (t, neg) {
            (Truth::False, _) => continue,
            (Truth::Unknown(w), _) => return Truth::Unknown(w),
            (_, true) => return Truth::False,
            (t, false) => return t,
        }
    }
    if last_negated {
        Truth::True
    } else {
        Truth::False
    }
}

/// The keys of a single-key file lookup in a list, when they act as list items: in a host
/// list `net-iplsearch;FILE` (keys are networks) and `net-lsearch;FILE` (keys are
/// addresses), in a domain list `wildlsearch;FILE` / `nwildlsearch;FILE` (keys are domain
/// patterns; a plain `lsearch` key is one exact domain, verified live). `Some(None)` when
/// the file is not in the audited files; `None` for lookups this does not read.
#[allow(clippy::type_complexity)]
fn lookup_keys(cx: &Ctx<'_>, body: &str, kind: &str) -> Option<Option<(Vec<String>, Location)>> {
    let (ty, file) = body.split_once(';')?;
    let ty = ty.trim();
    let file = file.trim();
    let readable = match kind {
        "hostlist" => {
            ty.starts_with("net")
                && matches!(
                    ty.split_once('-').map(|(_, b)| b),
                    Some("iplsearch" | "lsearch")
                )
        }
        "domainlist" => matches!(ty, "wildlsearch" | "nwildlsearch"),
        _ => false,
    };
    if !readable || !file.starts_with('/') {
        return None;
    }
    let Some(f) = cx.bundle.resolve(file) else {
        return Some(None);
    };
    let keys = f
        .text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.starts_with(char::is_whitespace))
        .filter_map(|l| {
            let l = l.trim();
            let key = if let Some(rest) = l.strip_prefix('"') {
                rest.split('"').next().unwrap_or("")
            } else {
                l.split(|c: char| c.is_whitespace() || c == ':')
                    .next()
                    .unwrap_or("")
            };
            // An IPv6 network key keeps its colons: `"2001:db8::/32"` is quoted in the file.
            let key = if l.starts_with('"') {
                key
            } else {
                key.trim_end_matches(':')
            };
            (!key.is_empty()).then(|| key.to_string())
        })
        .collect();
    Some(Some((
        keys,
        Location {
            file: f.path.display().to_string(),
            line: 1,
        },
    )))
}

/// A single-key lookup of the whole domain (`lsearch;FILE`, `cdb;FILE`, `dbm;FILE`…), with
/// no partial matching (`partial-`), no default key (`lsearch*`) and no wildcard keys
/// (`wildlsearch`): it matches a foreign domain only if that domain is listed by name.
fn exact_domain_lookup(body: &str) -> bool {
    let Some((ty, _)) = body.split_once(';') else {
        return false;
    };
    let ty = ty.trim();
    matches!(ty, "lsearch" | "cdb" | "dbm" | "dbmnz" | "dbmjz")
}
