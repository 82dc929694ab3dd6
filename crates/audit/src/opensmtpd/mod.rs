//! OpenSMTPD (6.4+ grammar): tables, `listen on`, `action` and `match` rules. Rules are
//! tried in order for a stranger (not local, not authenticated, choosing its own rDNS name,
//! HELO and sender); the first match decides, no match rejects (smtpd.conf(5)).

pub mod parse;
pub mod rules;

use crate::error::AuditError;
use crate::finding::{Effect, Finding, Location, Warning};
use crate::netrange::{classify, parse_net, NetClass};
use crate::source::Bundle;
use parse::{Config, Match};

/// Why a stranger relays, with the evidence.
#[derive(Debug, Clone)]
pub struct Cause {
    /// Rule id.
    pub rule: &'static str,
    /// Open or conditional.
    pub effect: Effect,
    /// Where.
    pub location: Location,
    /// Value.
    pub value: String,
    /// Detail.
    pub detail: String,
    /// A specific fix.
    pub fix: Option<String>,
}

/// Parsed config plus the causes found.
pub struct Model {
    /// The config.
    pub config: Config,
    /// Causes.
    pub causes: Vec<Cause>,
}

enum Truth {
    True,
    False,
    Weak(Cause),
}

/// Audit an OpenSMTPD config bundle.
pub fn audit(bundle: &Bundle) -> Result<(Vec<Finding>, Vec<Warning>), AuditError> {
    let mut warnings = Vec::new();
    let file = bundle
        .named("smtpd.conf")
        .or_else(|| {
            bundle
                .files
                .iter()
                .find(|f| f.text.contains("listen on") || f.text.contains("match "))
        })
        .ok_or_else(|| AuditError::MissingFile {
            what: "smtpd.conf",
            path: bundle.root.clone(),
        })?;
    let config = parse::parse(file, bundle, &mut warnings);
    let causes = evaluate(&config);
    let model = Model { config, causes };
    Ok((crate::rules::run(rules::RULES, &model), warnings))
}

fn evaluate(c: &Config) -> Vec<Cause> {
    let auth_optional = c
        .listeners
        .iter()
        .find(|l| l.options.iter().any(|o| o == "auth-optional"));
    let auth_required_everywhere = !c.listeners.is_empty()
        && c.listeners
            .iter()
            .all(|l| l.options.iter().any(|o| o == "auth"));
    if auth_required_everywhere {
        return Vec::new();
    }
    let mut conditional = Vec::new();
    for m in &c.matches {
        let mut weak = Vec::new();
        // Without a `from` option a rule means `from local` (smtpd.conf(5)): never a stranger
        // (verified live: `match for any action relay` refuses a client at 127.0.0.2).
        let mut fires = m
            .conditions
            .iter()
            .any(|(_, cond, _)| cond.starts_with("from "));
        for (neg, cond, arg) in &m.conditions {
            let t = condition(c, m, cond, arg.as_deref());
            let t = match (t, *neg) {
                (Truth::True, true) => Truth::False,
                (Truth::False, true) => Truth::True,
                (Truth::Weak(_), true) => Truth::False,
                (t, false) => t,
            };
            match t {
                Truth::True => {}
                Truth::False => fires = false,
                Truth::Weak(cause) => weak.push(cause),
            }
        }
        if !fires {
            continue;
        }
        let relays = match &m.action {
            Some(name) => c
                .actions
                .iter()
                .any(|a| &a.name == name && a.method == "relay"),
            None => false,
        };
        if !relays {
            if weak.is_empty() {
                // Rejected or delivered locally: the stranger's foreign recipient stops here.
                break;
            }
            continue;
        }
        if weak.iter().any(|w| w.effect == Effect::Conditional) {
            conditional.extend(weak);
            continue;
        }
        let mut causes = weak;
        if causes.is_empty() {
            causes.push(Cause {
                rule: "OPENSMTPD-MATCH-ANY-RELAY",
                effect: Effect::Open,
                location: m.location.clone(),
                value: m.text.clone(),
                detail: "This rule matches a stranger and its action relays.".into(),
                fix: Some(format!(
                    "match auth from any for any action {}",
                    m.action.clone().unwrap_or_default()
                )),
            });
        }
        if let Some(l) = auth_optional {
            causes.push(Cause {
                rule: "OPENSMTPD-AUTH-OPTIONAL-RELAY",
                effect: Effect::Open,
                location: l.location.clone(),
                value: l.text.clone(),
                detail: format!("The listener makes AUTH optional and the relay rule at line {} does not require it.", m.location.line),
                fix: Some(format!("match auth from any for any action {}", m.action.clone().unwrap_or_default())),
            });
        }
        causes.extend(conditional);
        return causes;
    }
    conditional
}

fn condition(c: &Config, m: &Match, cond: &str, arg: Option<&str>) -> Truth {
    match cond {
        "from any" | "for any" | "tls" | "helo" | "tag" => Truth::True,
        "from local" | "for local" | "from socket" | "from auth" | "auth" => Truth::False,
        "from src" => src(c, m, arg.unwrap_or("")),
        "from src regex" => match regex_reach(arg.unwrap_or("")) {
            Some(_) => Truth::Weak(Cause {
                rule: "OPENSMTPD-SRC-BROAD",
                effect: Effect::Open,
                location: m.location.clone(),
                value: m.text.clone(),
                detail: format!("`from src regex {}` matches every client address.", arg.unwrap_or("")),
                fix: None,
            }),
            None => unseen_or_false(c, m, arg),
        },
        "from rdns regex" => Truth::Weak(Cause {
            rule: "OPENSMTPD-FROM-MAIL-FROM-OR-RDNS",
            effect: Effect::Conditional,
            location: m.location.clone(),
            value: m.text.clone(),
            detail: format!("`from rdns regex {}` trusts reverse DNS names, which their owners set.", arg.unwrap_or("")),
            fix: None,
        }),
        "from mail-from regex" | "mail-from regex" => Truth::Weak(Cause {
            rule: "OPENSMTPD-FROM-MAIL-FROM-OR-RDNS",
            effect: Effect::Open,
            location: m.location.clone(),
            value: m.text.clone(),
            detail: format!("`{cond} {}` matches on the envelope sender, which a stranger forges.", arg.unwrap_or("")),
            fix: None,
        }),
        "for domain regex" | "for rcpt-to regex" | "rcpt-to regex" => {
            match c.items(arg.unwrap_or("")).iter().find_map(|i| regex_reach(i)) {
                Some(reach) => Truth::Weak(Cause {
                    rule: "OPENSMTPD-DOMAIN-WILDCARD",
                    effect: Effect::Open,
                    location: m.location.clone(),
                    value: m.text.clone(),
                    detail: format!("`{cond} {}` matches {reach}.", arg.unwrap_or("")),
                    fix: None,
                }),
                None => unseen_or_false(c, m, arg),
            }
        }
        "from auth regex" | "auth regex" | "helo regex" => Truth::False,
        "from rdns" => Truth::Weak(Cause {
            rule: "OPENSMTPD-FROM-MAIL-FROM-OR-RDNS",
            effect: if arg.is_some() { Effect::Conditional } else { Effect::Open },
            location: m.location.clone(),
            value: m.text.clone(),
            detail: match arg {
                None => "`from rdns` matches every client whose address has a reverse DNS name — most of the Internet.".into(),
                Some(t) => format!("`from rdns {t}` trusts reverse DNS names, which their owners set."),
            },
            fix: None,
        }),
        "from mail-from" | "mail-from" => Truth::Weak(Cause {
            rule: "OPENSMTPD-FROM-MAIL-FROM-OR-RDNS",
            effect: Effect::Open,
            location: m.location.clone(),
            value: m.text.clone(),
            detail: format!("`{cond} {}` matches on the envelope sender, which a stranger forges.", arg.unwrap_or("")),
            fix: None,
        }),
        "for domain" | "for rcpt-to" | "rcpt-to" => {
            let items = c.items(arg.unwrap_or(""));
            // (`rcpt-to "*@*"` is not a wildcard: refused live.)
            if items.iter().any(|i| {
                i == "*" || i.starts_with("*.") && crate::postfix::stranger::is_tld(&i[2..])
            }) {
                Truth::Weak(Cause {
                    rule: "OPENSMTPD-DOMAIN-WILDCARD",
                    effect: Effect::Open,
                    location: m.location.clone(),
                    value: m.text.clone(),
                    detail: format!("`{cond} {}` matches any destination.", arg.unwrap_or("")),
                    fix: None,
                })
            } else {
                unseen_or_false(c, m, arg)
            }
        }
        _ => Truth::False,
    }
}

/// What a regular expression over domains or addresses reaches: everything (`.*`), or a
/// public suffix (`.*\.net$`).
fn regex_reach(re: &str) -> Option<String> {
    let r = re.trim().trim_matches('"');
    let r = r.strip_prefix('^').unwrap_or(r);
    let r = r.strip_suffix('$').unwrap_or(r);
    if matches!(r, "" | ".*" | ".+" | ".") {
        return Some("everything".into());
    }
    let rest = r.strip_prefix(".*").or_else(|| r.strip_prefix(".+"))?;
    let sfx = rest.replace("\\.", ".");
    let sfx = sfx.trim_start_matches(['.', '@']);
    (!sfx.is_empty() && crate::postfix::domains::is_public_suffix(sfx))
        .then(|| format!("every domain under .{sfx}"))
}

/// A `<table>` argument whose file is not in the audited files: the rule relays if the
/// table holds a wide entry.
fn unseen_or_false(c: &Config, m: &Match, arg: Option<&str>) -> Truth {
    let name = arg
        .unwrap_or("")
        .trim()
        .strip_prefix('<')
        .and_then(|r| r.strip_suffix('>'));
    match name.and_then(|n| c.unseen_tables.get(n).map(|spec| (n, spec))) {
        Some((n, spec)) => Truth::Weak(Cause {
            rule: "OPENSMTPD-TABLE-UNSEEN",
            effect: Effect::Conditional,
            location: m.location.clone(),
            value: m.text.clone(),
            detail: format!("table <{n}> ({spec}) is not in the audited files; this relay rule matches a stranger if it holds a wide entry."),
            fix: None,
        }),
        None => Truth::False,
    }
}

fn src(c: &Config, m: &Match, arg: &str) -> Truth {
    let unseen = unseen_or_false(c, m, Some(arg));
    if matches!(unseen, Truth::Weak(_)) {
        return unseen;
    }
    let mut worst: Option<(NetClass, String)> = None;
    for item in c.items(arg) {
        if let Some(net) = parse_net(&item) {
            let class = classify(&net);
            let rank = |k: NetClass| match k {
                NetClass::Everyone => 3,
                NetClass::HugePublic => 2,
                NetClass::Private => 1,
                _ => 0,
            };
            if worst.as_ref().is_none_or(|(w, _)| rank(class) > rank(*w)) {
                worst = Some((class, item));
            }
        }
    }
    match worst {
        Some((NetClass::Everyone | NetClass::HugePublic, e)) => Truth::Weak(Cause {
            rule: "OPENSMTPD-SRC-BROAD",
            effect: Effect::Open,
            location: m.location.clone(),
            value: m.text.clone(),
            detail: format!("`{e}` in `from src {arg}` covers strangers."),
            fix: None,
        }),
        Some((NetClass::Private, e)) => Truth::Weak(Cause {
            rule: "OPENSMTPD-SRC-PRIVATE",
            effect: Effect::Conditional,
            location: m.location.clone(),
            value: m.text.clone(),
            detail: format!("`{e}` in `from src {arg}` is a private/NAT/container range."),
            fix: None,
        }),
        _ => Truth::False,
    }
}
