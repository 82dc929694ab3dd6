//! Exim configuration syntax: `\` continuations, `#` comments, macros (`NAME = value`,
//! upper-case first letter) and their substitution, `.ifdef`/`.ifndef`/`.else`/`.endif`,
//! `.include`, the `begin SECTION` split, named lists (`hostlist`, `domainlist`, …), ACL
//! statements (verb line plus `condition = value` lines) and authenticator blocks.
//!
//! Debian's split config (`conf.d/{main,acl,router,transport,retry,rewrite,auth}`) is joined
//! in the order update-exim4.conf uses, and the `DEBCONFxxxDEBCONF` placeholders are filled
//! from `update-exim4.conf.conf` (`dc_relay_nets`, `dc_relay_domains`, …).

use crate::finding::{Location, Warning};
use crate::source::{Bundle, SourceFile};
use std::collections::BTreeMap;

/// A line of config after preprocessing, with its origin.
#[derive(Debug, Clone)]
pub struct Line {
    /// Text (continuations joined, macros substituted).
    pub text: String,
    /// Where it started.
    pub location: Location,
}

/// A `name = value` setting.
#[derive(Debug, Clone)]
pub struct Setting {
    /// Value.
    pub value: String,
    /// Where.
    pub location: Location,
}

/// A named list.
#[derive(Debug, Clone)]
pub struct NamedList {
    /// `hostlist`, `domainlist`, `addresslist`, `localpartlist`.
    pub kind: String,
    /// Raw list text.
    pub value: String,
    /// Where.
    pub location: Location,
}

/// One ACL statement.
#[derive(Debug, Clone)]
pub struct Statement {
    /// `accept`, `deny`, `require`, `warn`, `drop`, `defer`, `discard`.
    pub verb: String,
    /// Conditions and modifiers, in order.
    pub conditions: Vec<(String, String, Location)>,
    /// Where the verb is.
    pub location: Location,
}

/// One authenticator.
#[derive(Debug, Clone)]
pub struct Authenticator {
    /// Its name.
    pub name: String,
    /// Options.
    pub options: BTreeMap<String, Setting>,
    /// Where it starts.
    pub location: Location,
}

/// A parsed Exim config.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Main-section options.
    pub main: BTreeMap<String, Setting>,
    /// Named lists.
    pub lists: BTreeMap<String, NamedList>,
    /// ACLs by name.
    pub acls: BTreeMap<String, (Location, Vec<Statement>)>,
    /// Authenticators.
    pub authenticators: Vec<Authenticator>,
    /// The file the config mostly comes from.
    pub main_file: String,
}

/// Longest logical line kept after macro substitution.
const MAX_LINE: usize = 64 * 1024;
/// Most preprocessed lines (bounds `.include` loops).
const MAX_LINES: usize = 200_000;

const VERBS: &[&str] = &[
    "accept", "deny", "require", "warn", "drop", "defer", "discard",
];

/// Collect the config text of a bundle: one file, exim4.conf(.template), or conf.d.
pub fn collect(bundle: &Bundle, warnings: &mut Vec<Warning>) -> Option<(String, Vec<Line>)> {
    let mut macros: BTreeMap<String, String> = BTreeMap::new();
    let mut debconf: BTreeMap<String, String> = BTreeMap::new();
    if let Some(u) = bundle.named("update-exim4.conf.conf") {
        for l in u.text.lines() {
            if let Some((k, v)) = l.trim().split_once('=') {
                if let Some(k) = k.trim().strip_prefix("dc_") {
                    let v = v.trim().trim_matches('\'').trim_matches('"').to_string();
                    debconf.insert(k.to_string(), v);
                }
            }
        }
    }
    seed_debian_macros(&debconf, &mut macros);
    let mut lines = Vec::new();
    let mut cond_stack: Vec<bool> = Vec::new();
    // update-exim4.conf puts exim4.conf.localmacros before the config (split or not).
    if let Some(lm) = bundle.named("exim4.conf.localmacros") {
        preprocess(
            lm,
            bundle,
            &mut macros,
            &debconf,
            &mut cond_stack,
            &mut lines,
            warnings,
            0,
        );
    }
    let single = [
        "exim4.conf",
        "exim.conf",
        "exim4.conf.template",
        "configure",
    ]
    .iter()
    .find_map(|n| bundle.named(n))
    .or_else(|| {
        if bundle.single_file {
            bundle.files.first()
        } else {
            None
        }
    });
    let mut files: Vec<(&SourceFile, Option<&str>)> = Vec::new();
    let main_file;
    if let Some(f) = single {
        files.push((f, None));
        main_file = f.path.display().to_string();
    } else {
        let order = [
            ("main", None),
            ("acl", Some("acl")),
            ("router", Some("routers")),
            ("transport", Some("transports")),
            ("retry", Some("retry")),
            ("rewrite", Some("rewrite")),
            ("auth", Some("authenticators")),
        ];
        for (dir, section) in order {
            let fs = bundle.under(&format!("conf.d/{dir}"));
            let mut first = true;
            for f in fs {
                files.push((f, if first { section } else { None }));
                first = false;
            }
        }
        if files.is_empty() {
            return None;
        }
        main_file = bundle.root.join("conf.d").display().to_string();
    }
    for (f, section) in files {
        if let Some(s) = section {
            if !f.text.lines().any(|l| l.trim() == format!("begin {s}")) {
                lines.push(Line {
                    text: format!("begin {s}"),
                    location: Location {
                        file: f.path.display().to_string(),
                        line: 0,
                    },
                });
            }
        }
        preprocess(
            f,
            bundle,
            &mut macros,
            &debconf,
            &mut cond_stack,
            &mut lines,
            warnings,
            0,
        );
    }
    Some((main_file, lines))
}

/// The macros update-exim4.conf seeds from update-exim4.conf.conf.
fn seed_debian_macros(dc: &BTreeMap<String, String>, macros: &mut BTreeMap<String, String>) {
    if dc.is_empty() {
        return;
    }
    let list = |v: &str| {
        if v.contains(';') {
            format!("<; {v}")
        } else {
            v.to_string()
        }
    };
    let other = dc.get("other_hostnames").map(String::as_str).unwrap_or("");
    let mut local = "@:localhost".to_string();
    if !other.trim().is_empty() {
        local.push(':');
        local.push_str(&other.replace(';', ":"));
    }
    macros.insert("MAIN_LOCAL_DOMAINS".into(), local);
    let rd = dc.get("relay_domains").map(String::as_str).unwrap_or("");
    macros.insert("MAIN_RELAY_TO_DOMAINS".into(), list(rd));
    let rn = dc.get("relay_nets").map(String::as_str).unwrap_or("");
    let rn = if rn.contains(';') {
        format!("<; {rn} ; 127.0.0.1 ; ::1")
    } else {
        format!("{rn} : 127.0.0.1 : ::::1")
    };
    macros.insert("MAIN_RELAY_NETS".into(), rn);
    if let Some(t) = dc.get("eximconfig_configtype") {
        macros.insert(format!("DCconfig_{t}"), "1".into());
        macros.insert("DC_eximconfig_configtype".into(), t.clone());
    }
}

#[allow(clippy::too_many_arguments)]
fn preprocess(
    f: &SourceFile,
    bundle: &Bundle,
    macros: &mut BTreeMap<String, String>,
    debconf: &BTreeMap<String, String>,
    cond: &mut Vec<bool>,
    out: &mut Vec<Line>,
    warnings: &mut Vec<Warning>,
    depth: usize,
) {
    let name = f.path.display().to_string();
    let raw: Vec<&str> = f.text.lines().collect();
    let mut i = 0;
    while i < raw.len() {
        let start = i;
        let mut text = raw[i].trim_end().to_string();
        while text.ends_with('\\') && i + 1 < raw.len() {
            text.pop();
            i += 1;
            text.push_str(raw[i].trim());
        }
        i += 1;
        let loc = Location {
            file: name.clone(),
            line: start + 1,
        };
        let t = text.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let active = cond.iter().all(|c| *c);
        if let Some(rest) = t
            .strip_prefix(".ifdef")
            .or_else(|| t.strip_prefix(".ifndef"))
        {
            let defined = macros.contains_key(rest.trim());
            cond.push(if t.starts_with(".ifdef") {
                defined
            } else {
                !defined
            });
            continue;
        }
        if t.starts_with(".elifdef") || t.starts_with(".elifndef") {
            if let Some(last) = cond.last_mut() {
                *last = false;
            }
            continue;
        }
        if t == ".else" {
            if let Some(last) = cond.last_mut() {
                *last = !*last;
            }
            continue;
        }
        if t == ".endif" {
            cond.pop();
            continue;
        }
        if !active {
            continue;
        }
        let mut t = substitute(t, macros);
        for (k, v) in debconf {
            t = t.replace(&format!("DEBCONF{k}DEBCONF"), v);
        }
        if let Some(path) = t
            .strip_prefix(".include_if_exists")
            .or_else(|| t.strip_prefix(".include"))
        {
            let path = path.trim();
            match bundle.resolve(path) {
                Some(inc) if depth < 8 && out.len() < MAX_LINES => {
                    let inc = inc.clone();
                    preprocess(
                        &inc,
                        bundle,
                        macros,
                        debconf,
                        cond,
                        out,
                        warnings,
                        depth + 1,
                    )
                }
                _ if t.starts_with(".include_if_exists") => {}
                _ => {
                    warnings.push(Warning {
                        location: loc.clone(),
                        message: format!(".include {path} is not in the audited files; its settings were not checked"),
                    });
                    // Inside an ACL the missing fragment may hold an accept: keep its place.
                    let since_begin: Vec<&Line> = out
                        .iter()
                        .rev()
                        .take_while(|l| !l.text.starts_with("begin "))
                        .collect();
                    let in_acl = out
                        .iter()
                        .rev()
                        .find_map(|l| l.text.strip_prefix("begin "))
                        .is_some_and(|s| s.trim() == "acl")
                        && since_begin.iter().any(|l| l.text.ends_with(':'));
                    if in_acl {
                        for text in ["accept".to_string(), format!("__unseen_include = {path}")] {
                            out.push(Line {
                                text,
                                location: loc.clone(),
                            });
                        }
                    }
                }
            }
            continue;
        }
        if t.starts_with('.') {
            warnings.push(Warning {
                location: loc,
                message: format!("unknown preprocessor line ignored: {t:?}"),
            });
            continue;
        }
        // Macro definition: upper-case first letter, `NAME = value` or `NAME == value`.
        if t.starts_with(|c: char| c.is_ascii_uppercase()) {
            if let Some((n, v)) = t.split_once('=') {
                let n = n.trim();
                if n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    let v = v.trim_start_matches('=').trim();
                    macros.insert(n.to_string(), v.to_string());
                    continue;
                }
            }
        }
        out.push(Line {
            text: t,
            location: loc,
        });
    }
}

/// Replace macro names (longest first) in `text`.
fn substitute(text: &str, macros: &BTreeMap<String, String>) -> String {
    if macros.is_empty() || !text.chars().any(|c| c.is_ascii_uppercase()) {
        return text.to_string();
    }
    let mut names: Vec<&String> = macros.keys().collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let mut out = text.to_string();
    for _ in 0..4 {
        let before = out.clone();
        for n in &names {
            if out.contains(n.as_str()) {
                out = replace_word(&out, n, &macros[*n]);
            }
            if out.len() > MAX_LINE {
                // A macro that contains itself: stop growing.
                out.truncate(out.floor_char_boundary(MAX_LINE));
                return out;
            }
        }
        if out == before {
            break;
        }
    }
    out
}

fn replace_word(text: &str, word: &str, with: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(pos) = rest.find(word) {
        let before_ok = rest[..pos]
            .chars()
            .last()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
        let after = &rest[pos + word.len()..];
        let after_ok = after
            .chars()
            .next()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
        out.push_str(&rest[..pos]);
        out.push_str(if before_ok && after_ok { with } else { word });
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Parse preprocessed lines into a config.
pub fn parse(main_file: String, lines: &[Line], warnings: &mut Vec<Warning>) -> Config {
    let mut c = Config {
        main_file,
        ..Config::default()
    };
    let mut section = "main".to_string();
    let mut acl: Option<String> = None;
    let mut auth: Option<usize> = None;
    for line in lines {
        let t = line.text.trim();
        if let Some(s) = t.strip_prefix("begin ") {
            section = s.trim().to_string();
            acl = None;
            auth = None;
            continue;
        }
        match section.as_str() {
            "main" => {
                let mut words = t.splitn(2, char::is_whitespace);
                let first = words.next().unwrap_or("");
                if matches!(
                    first,
                    "hostlist" | "domainlist" | "addresslist" | "localpartlist"
                ) {
                    if let Some((n, v)) = words.next().unwrap_or("").split_once('=') {
                        c.lists.insert(
                            n.trim().to_string(),
                            NamedList {
                                kind: first.into(),
                                value: v.trim().into(),
                                location: line.location.clone(),
                            },
                        );
                        continue;
                    }
                }
                match t.split_once('=') {
                    Some((n, v)) => {
                        c.main.insert(
                            n.trim().to_string(),
                            Setting {
                                value: v.trim().into(),
                                location: line.location.clone(),
                            },
                        );
                    }
                    None => {
                        // Boolean options may be given bare (`allow_domain_literals`, `no_x`).
                        if t.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_') {
                            let (n, v) =
                                match t.strip_prefix("no_").or_else(|| t.strip_prefix("not_")) {
                                    Some(n) => (n, "false"),
                                    None => (t, "true"),
                                };
                            c.main.insert(
                                n.into(),
                                Setting {
                                    value: v.into(),
                                    location: line.location.clone(),
                                },
                            );
                        } else {
                            warnings.push(Warning {
                                location: line.location.clone(),
                                message: format!(
                                    "main-section line not understood, ignored: {t:?}"
                                ),
                            });
                        }
                    }
                }
            }
            "acl" => {
                if t.ends_with(':') && !t.contains(char::is_whitespace) {
                    let name = t.trim_end_matches(':').to_string();
                    c.acls
                        .insert(name.clone(), (line.location.clone(), Vec::new()));
                    acl = Some(name);
                    continue;
                }
                let Some(name) = &acl else {
                    warnings.push(Warning {
                        location: line.location.clone(),
                        message: format!("ACL line outside any ACL: {t:?}"),
                    });
                    continue;
                };
                let stmts = &mut c.acls.get_mut(name).expect("inserted").1;
                let first = t
                    .split(|ch: char| ch.is_whitespace() || ch == '=')
                    .next()
                    .unwrap_or("");
                let rest_cond =
                    if VERBS.contains(&first) && !t[first.len()..].trim_start().starts_with('=') {
                        stmts.push(Statement {
                            verb: first.into(),
                            conditions: Vec::new(),
                            location: line.location.clone(),
                        });
                        t[first.len()..].trim()
                    } else {
                        t
                    };
                if rest_cond.is_empty() {
                    continue;
                }
                let Some(stmt) = stmts.last_mut() else {
                    warnings.push(Warning {
                        location: line.location.clone(),
                        message: format!("condition before any ACL verb: {t:?}"),
                    });
                    continue;
                };
                match rest_cond.split_once('=') {
                    Some((n, v)) => stmt.conditions.push((
                        n.trim().to_string(),
                        v.trim().to_string(),
                        line.location.clone(),
                    )),
                    None => stmt.conditions.push((
                        rest_cond.to_string(),
                        String::new(),
                        line.location.clone(),
                    )),
                }
            }
            "authenticators" => {
                if t.ends_with(':') && !t.contains(char::is_whitespace) {
                    c.authenticators.push(Authenticator {
                        name: t.trim_end_matches(':').into(),
                        options: BTreeMap::new(),
                        location: line.location.clone(),
                    });
                    auth = Some(c.authenticators.len() - 1);
                    continue;
                }
                if let (Some(a), Some((n, v))) = (auth, t.split_once('=')) {
                    c.authenticators[a].options.insert(
                        n.trim().into(),
                        Setting {
                            value: v.trim().into(),
                            location: line.location.clone(),
                        },
                    );
                }
            }
            _ => {}
        }
    }
    c
}

/// Split an Exim list: `:` separated, `::` is a literal colon, `<X` changes the separator.
pub fn split_list(value: &str) -> Vec<String> {
    let v = value.trim();
    let (sep, body) = match v.strip_prefix('<') {
        Some(rest) if !rest.is_empty() => {
            let s = rest.chars().next().unwrap_or(':');
            (s, rest[s.len_utf8()..].trim_start())
        }
        _ => (':', v),
    };
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = body.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == sep {
            if sep == ':' && i + 1 < chars.len() && chars[i + 1] == ':' {
                cur.push(':');
                i += 2;
                continue;
            }
            out.push(cur.trim().to_string());
            cur.clear();
        } else {
            cur.push(chars[i]);
        }
        i += 1;
    }
    if !cur.trim().is_empty() || !out.is_empty() {
        out.push(cur.trim().to_string());
    }
    out.retain(|s| !s.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_like_exim() {
        assert_eq!(
            split_list("127.0.0.1 : ::::1 : 10.0.0.0/8"),
            vec!["127.0.0.1", "::1", "10.0.0.0/8"]
        );
        assert_eq!(split_list("<; 127.0.0.1 ; ::1"), vec!["127.0.0.1", "::1"]);
        assert_eq!(split_list(":"), Vec::<String>::new());
        assert_eq!(split_list("*"), vec!["*"]);
    }
}
