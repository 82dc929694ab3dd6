//! smtpd.conf syntax: `\` continuations, `#` comments, quoted strings, `<table>` references,
//! `{ a, b }` inline lists, and `table`, `listen on`, `action`, `match` statements.

use crate::finding::{Location, Warning};
use crate::source::{Bundle, SourceFile};
use std::collections::BTreeMap;

/// A `listen on` line.
#[derive(Debug, Clone)]
pub struct Listener {
    /// Options after the interface.
    pub options: Vec<String>,
    /// Where.
    pub location: Location,
    /// The line.
    pub text: String,
}

/// An `action` line.
#[derive(Debug, Clone)]
pub struct Action {
    /// Its name.
    pub name: String,
    /// `relay`, `mbox`, `maildir`, `lmtp`, `mda`, `forward-only`, `expand-only`.
    pub method: String,
}

/// A `match` line: (negated, condition, argument) triples and the action.
#[derive(Debug, Clone)]
pub struct Match {
    /// Conditions such as ("from", "src", "<t>") flattened to ("from src", Some("<t>")).
    pub conditions: Vec<(bool, String, Option<String>)>,
    /// Action name; None for `reject`.
    pub action: Option<String>,
    /// Where.
    pub location: Location,
    /// The line.
    pub text: String,
}

/// A parsed smtpd.conf.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Tables by name.
    pub tables: BTreeMap<String, Vec<String>>,
    /// Tables whose file is not in the audited files: name → the table spec.
    pub unseen_tables: BTreeMap<String, String>,
    /// Listeners.
    pub listeners: Vec<Listener>,
    /// Actions.
    pub actions: Vec<Action>,
    /// Match rules in order.
    pub matches: Vec<Match>,
}

impl Config {
    /// Items of a `<table>` reference, an inline `{…}` list, or a quoted value.
    pub fn items(&self, arg: &str) -> Vec<String> {
        let a = arg.trim();
        if let Some(name) = a.strip_prefix('<').and_then(|r| r.strip_suffix('>')) {
            return self.tables.get(name).cloned().unwrap_or_default();
        }
        list_items(a)
    }
}

fn list_items(a: &str) -> Vec<String> {
    a.trim_start_matches('{')
        .trim_end_matches('}')
        .split(',')
        .map(|s| {
            let s = s.trim().trim_matches('"');
            s.split('=')
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches('"')
                .to_string()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

fn tokens(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote = false;
    let mut brace = 0usize;
    for ch in line.chars() {
        match ch {
            '"' => {
                quote = !quote;
                cur.push(ch);
            }
            '{' if !quote => {
                brace += 1;
                cur.push(ch);
            }
            '}' if !quote => {
                brace = brace.saturating_sub(1);
                cur.push(ch);
            }
            c if c.is_whitespace() && !quote && brace == 0 => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Parse smtpd.conf.
pub fn parse(file: &SourceFile, bundle: &Bundle, warnings: &mut Vec<Warning>) -> Config {
    let name = file.path.display().to_string();
    let mut c = Config::default();
    let raw: Vec<&str> = file.text.lines().collect();
    let mut i = 0;
    while i < raw.len() {
        let start = i;
        let mut text = raw[i].trim_end().to_string();
        while text.ends_with('\\') && i + 1 < raw.len() {
            text.pop();
            i += 1;
            text.push(' ');
            text.push_str(raw[i].trim());
        }
        i += 1;
        let t = text.split('#').next().unwrap_or("").trim().to_string();
        if t.is_empty() {
            continue;
        }
        let loc = Location {
            file: name.clone(),
            line: start + 1,
        };
        let tk = tokens(&t);
        match tk[0].as_str() {
            "table" if tk.len() >= 3 => {
                let spec = tk[2..].join(" ");
                let items = if spec.starts_with('{') {
                    list_items(&spec)
                } else {
                    let path = spec.split_once(':').map(|(_, p)| p).unwrap_or(&spec);
                    match bundle.resolve(path) {
                        Some(f) => f
                            .text
                            .lines()
                            .map(|l| l.split('#').next().unwrap_or("").trim())
                            .filter(|l| !l.is_empty())
                            .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
                            .collect(),
                        None => {
                            warnings.push(Warning {
                                location: loc.clone(),
                                message: format!("table {} ({spec}) is not in the audited files; a relay rule using it is CONDITIONAL on its contents", tk[1]),
                            });
                            c.unseen_tables.insert(tk[1].clone(), spec.clone());
                            Vec::new()
                        }
                    }
                };
                c.tables.insert(tk[1].clone(), items);
            }
            "listen" if tk.len() >= 3 && tk[1] == "on" => c.listeners.push(Listener {
                options: tk[3..].to_vec(),
                location: loc,
                text: t.clone(),
            }),
            "action" if tk.len() >= 3 => c.actions.push(Action {
                name: tk[1].trim_matches('"').to_string(),
                method: tk[2].clone(),
            }),
            "match" => {
                let mut conditions = Vec::new();
                let mut action = None;
                let mut j = 1;
                let mut neg = false;
                while j < tk.len() {
                    // `!from local` and `! from local` are the same negation.
                    let w = match tk[j].strip_prefix('!') {
                        Some("") => {
                            neg = true;
                            j += 1;
                            continue;
                        }
                        Some(rest) => {
                            neg = true;
                            rest
                        }
                        None => tk[j].as_str(),
                    };
                    match w {
                        "action" => {
                            action = tk.get(j + 1).map(|a| a.trim_matches('"').to_string());
                            j += 2;
                        }
                        "reject" => j += 1,
                        "from" | "for" => {
                            let mut kind = tk.get(j + 1).cloned().unwrap_or_default();
                            let mut next = j + 2;
                            // `from src regex "…"`, `for domain regex "…"`, …
                            if tk.get(next).is_some_and(|t| t == "regex") {
                                kind.push_str(" regex");
                                next += 1;
                            }
                            let takes_arg = matches!(
                                kind.trim_end_matches(" regex"),
                                "src" | "domain" | "rcpt-to" | "mail-from"
                            ) || kind.ends_with(" regex")
                                || (matches!(kind.as_str(), "rdns" | "auth")
                                    && tk.get(next).is_some_and(|a| {
                                        a.starts_with('<')
                                            || a.starts_with('"')
                                            || a.starts_with('{')
                                    }));
                            let arg = if takes_arg {
                                tk.get(next).cloned()
                            } else {
                                None
                            };
                            conditions.push((neg, format!("{w} {kind}"), arg));
                            j = next + usize::from(takes_arg);
                        }
                        "auth" | "helo" | "mail-from" | "rcpt-to" | "tag" | "tls" | "rdns" => {
                            let mut kind = w.to_string();
                            let mut next = j + 1;
                            if tk.get(next).is_some_and(|t| t == "regex") {
                                kind.push_str(" regex");
                                next += 1;
                            }
                            let takes_arg =
                                tk.get(next).is_some_and(|a| {
                                    a.starts_with('<') || a.starts_with('"') || a.starts_with('{')
                                }) || matches!(w, "helo" | "mail-from" | "rcpt-to" | "tag")
                                    || kind.ends_with(" regex");
                            let arg = if takes_arg {
                                tk.get(next).cloned()
                            } else {
                                None
                            };
                            conditions.push((neg, kind, arg));
                            j = next + usize::from(takes_arg);
                        }
                        _ => {
                            warnings.push(Warning {
                                location: loc.clone(),
                                message: format!(
                                    "unknown match option `{w}`; rule evaluated without it"
                                ),
                            });
                            j += 1;
                        }
                    }
                    neg = false;
                }
                c.matches.push(Match {
                    conditions,
                    action,
                    location: loc,
                    text: t.clone(),
                });
            }
            "pki" | "ca" | "smtp" | "queue" | "include" | "filter" | "bounce" | "mta" | "srs"
            | "proc" | "proc-exec" => {}
            other => warnings.push(Warning {
                location: loc,
                message: format!("unknown directive `{other}`, ignored by this audit"),
            }),
        }
    }
    c
}
