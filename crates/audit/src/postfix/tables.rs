//! Postfix lookup tables as far as a static audit can read them: `inline:{}`, `static:`,
//! text sources of indexed maps (`hash:`, `lmdb:`, `btree:`, `cdb:`, `texthash:`), `cidr:`,
//! `pcre:` and `regexp:`. The question asked of a table is narrow: which entries return an
//! OK-like action, and does any entry match every possible key?

use crate::finding::{Location, Warning};
use crate::netrange::{classify, parse_net, NetClass};
use crate::source::Bundle;

/// One `key value` entry.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The key (address, domain, network, or `/regex/`).
    pub key: String,
    /// The value (action).
    pub value: String,
    /// Where.
    pub location: Location,
    /// The key matches every lookup (`static:`, `/./`, `0.0.0.0/0`).
    pub catch_all: bool,
}

/// A table's entries, or why they could not be read.
#[derive(Debug, Clone)]
pub enum Table {
    /// Entries read.
    Read(Vec<Entry>),
    /// An external or missing table.
    Unreadable(String),
}

/// Is this access(5) action an accept? `OK`, and the all-numerical results of
/// pop-before-smtp schemes; `RELAY` and `PERMIT`/`permit` too, in any case (Postfix 3.7
/// accepts all of them — checked live in the truth tests). Restrictions given as the action
/// (`permit_auth_destination`, …) are not accepts by themselves.
pub fn is_permit_action(value: &str) -> bool {
    let first = value.split_whitespace().next().unwrap_or("");
    matches!(
        first.to_ascii_lowercase().as_str(),
        "ok" | "relay" | "permit"
    ) || (!first.is_empty()
        && first.chars().all(|c| c.is_ascii_digit())
        && !first.starts_with(['4', '5']))
}

/// Is this access(5) action a rejection?
pub fn is_reject_action(value: &str) -> bool {
    let up = value
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    up.starts_with("REJECT")
        || up.starts_with("DEFER")
        || up.starts_with('4')
        || up.starts_with('5')
}

/// Read the table named `spec` (`type:name`) from the bundle.
pub fn read(
    spec: &str,
    bundle: &Bundle,
    location: &Location,
    warnings: &mut Vec<Warning>,
) -> Table {
    let spec = spec.strip_prefix("proxy:").unwrap_or(spec);
    let Some((kind, name)) = spec.split_once(':') else {
        return Table::Unreadable(format!("`{spec}` is not a type:name table"));
    };
    match kind {
        "static" => Table::Read(vec![Entry {
            key: "*".into(),
            value: name
                .trim_start_matches('{')
                .trim_end_matches('}')
                .trim()
                .to_string(),
            location: location.clone(),
            catch_all: true,
        }]),
        "inline" => {
            let inner = name.trim().trim_start_matches('{').trim_end_matches('}');
            let entries = super::main_cf::split_list(inner)
                .into_iter()
                .filter_map(|kv| {
                    let (k, v) = kv.split_once('=')?;
                    Some(Entry {
                        key: k.trim().to_string(),
                        value: v.trim().to_string(),
                        location: location.clone(),
                        catch_all: false,
                    })
                })
                .collect();
            Table::Read(entries)
        }
        "hash" | "btree" | "lmdb" | "cdb" | "dbm" | "sdbm" | "texthash" | "cidr" | "pcre"
        | "regexp" => {
            let Some(file) = bundle.resolve(name) else {
                warnings.push(Warning {
                    location: location.clone(),
                    message: format!(
                        "table {spec} is not in the audited files; cannot tell whether it returns OK — audit the directory that holds it"
                    ),
                });
                return Table::Unreadable(format!("{name} not found"));
            };
            let file_name = file.path.display().to_string();
            let mut entries = Vec::new();
            for (i, line) in file.text.lines().enumerate() {
                let t = line.trim();
                if t.is_empty() || t.starts_with('#') || t.starts_with("if ") || t == "endif" {
                    continue;
                }
                let (key, value) = if (kind == "pcre" || kind == "regexp") && t.starts_with('/') {
                    match t[1..].find('/') {
                        Some(end) => {
                            let re_end = end + 2;
                            let rest = &t[re_end..];
                            let flags_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                            (
                                t[..re_end + flags_end].to_string(),
                                rest[flags_end..].trim().to_string(),
                            )
                        }
                        None => (t.to_string(), String::new()),
                    }
                } else {
                    match t.split_once(char::is_whitespace) {
                        Some((k, v)) => (k.to_string(), v.trim().to_string()),
                        None => (t.to_string(), String::new()),
                    }
                };
                let catch_all = match kind {
                    "pcre" | "regexp" => matches!(
                        key.trim_end_matches(|c: char| c.is_ascii_alphabetic()),
                        "/./" | "/.*/" | "/^/" | "/.+/" | "/^.*$/" | "/^.*/" | "/.*$/" | "//"
                    ),
                    "cidr" => parse_net(&key).is_some_and(|n| classify(&n) == NetClass::Everyone),
                    _ => false,
                };
                entries.push(Entry {
                    key,
                    value,
                    location: Location {
                        file: file_name.clone(),
                        line: i + 1,
                    },
                    catch_all,
                });
            }
            Table::Read(entries)
        }
        other => {
            warnings.push(Warning {
                location: location.clone(),
                message: format!(
                    "table type `{other}:` ({spec}) is external (database, socket or program); this audit cannot see what it returns — check it by hand"
                ),
            });
            Table::Unreadable(format!("{other}: tables are external"))
        }
    }
}
