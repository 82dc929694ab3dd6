//! Does a Postfix domain list (`relay_domains`) authorise a whole TLD or every domain?
//!
//! Matching follows Postfix's `match_hostname()` (verified against Postfix 3.7 in the truth
//! tests). With the list named in `parent_domain_matches_subdomains` (the default for
//! `relay_domains` and `smtpd_access_maps`), a literal `net` or a table key `net` matches
//! `net` and every name below it, while `.net` matches nothing below it; without it, only
//! `.net` reaches the subdomains. A table key `*` never matches (domain tables are looked up
//! by the name and its parents, not by wildcard). So the entries that open relaying are a
//! public suffix in the form the parent style honours, a catch-all table (`static:`, `/./`),
//! and those found through `$transport_maps`-style references and `/file/name` includes.

use super::main_cf::split_list;
use super::tables::{read, Table};
use crate::finding::{Location, Warning};
use crate::source::Bundle;

/// Why a domain list matches far too much.
#[derive(Debug, Clone)]
pub struct WideEntry {
    /// The entry as written (table key, or list element).
    pub entry: String,
    /// Where the entry is (table line, or the parameter).
    pub location: Location,
    /// Human explanation of the reach.
    pub reach: String,
}

/// What a list holds that the audit could not read.
#[derive(Debug, Clone)]
pub struct Unseen {
    /// The table spec or file.
    pub table: String,
}

/// Is `name` a public suffix (a TLD like `net`, or `co.uk`), per the public suffix list?
pub fn is_public_suffix(name: &str) -> bool {
    let n = name.trim_matches('.').to_ascii_lowercase();
    if n.is_empty() {
        return false;
    }
    psl::suffix(n.as_bytes()).is_some_and(|s| s.is_known() && s.as_bytes().len() == n.len())
}

/// The suffix a key reaches below, in the form the parent style honours (`net` with parent
/// matching, `.net` without), if it is a public suffix.
fn suffix_reach(key: &str, parent: bool) -> Option<String> {
    let k = key.trim();
    let bare = if parent {
        if k.starts_with('.') {
            return None;
        }
        k
    } else {
        k.strip_prefix('.')?
    };
    is_public_suffix(bare).then(|| bare.to_ascii_lowercase())
}

/// Check a domain list's expanded value. `parent` says whether the list is named in
/// `parent_domain_matches_subdomains`.
pub fn wide_entry(
    value: &str,
    location: &Location,
    parent: bool,
    bundle: &Bundle,
    warnings: &mut Vec<Warning>,
    unseen: &mut Vec<Unseen>,
) -> Option<WideEntry> {
    wide_in(value, location, parent, bundle, warnings, unseen, 0)
}

fn wide_in(
    value: &str,
    location: &Location,
    parent: bool,
    bundle: &Bundle,
    warnings: &mut Vec<Warning>,
    unseen: &mut Vec<Unseen>,
    depth: usize,
) -> Option<WideEntry> {
    for entry in split_list(value) {
        if entry.starts_with('!') {
            continue;
        }
        if entry.starts_with('/') {
            // A `/file/name` pattern: the file's contents are more list entries.
            if depth > 2 {
                continue;
            }
            match bundle.resolve(&entry) {
                Some(f) => {
                    let loc = Location {
                        file: f.path.display().to_string(),
                        line: 1,
                    };
                    let text: String = f
                        .text
                        .lines()
                        .map(|l| l.split('#').next().unwrap_or(""))
                        .collect::<Vec<_>>()
                        .join(" ");
                    if let Some(w) =
                        wide_in(&text, &loc, parent, bundle, warnings, unseen, depth + 1)
                    {
                        return Some(w);
                    }
                }
                None => unseen.push(Unseen { table: entry }),
            }
            continue;
        }
        if entry.contains(':') {
            match read(&entry, bundle, location, warnings) {
                Table::Read(es) => {
                    for e in es {
                        if e.catch_all {
                            return Some(WideEntry {
                                entry: format!("{} {}", e.key, e.value).trim().to_string(),
                                location: e.location,
                                reach: format!("`{entry}` matches every domain"),
                            });
                        }
                        if let Some(sfx) = suffix_reach(&e.key, parent) {
                            return Some(WideEntry {
                                entry: format!("{} {}", e.key, e.value).trim().to_string(),
                                location: e.location,
                                reach: format!(
                                    "the key `{}` in `{entry}` matches every domain under .{sfx}",
                                    e.key
                                ),
                            });
                        }
                    }
                }
                Table::Unreadable(_) => unseen.push(Unseen { table: entry }),
            }
            continue;
        }
        if let Some(sfx) = suffix_reach(&entry, parent) {
            return Some(WideEntry {
                entry: entry.clone(),
                location: location.clone(),
                reach: format!("`{entry}` matches every domain under .{sfx}"),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_suffixes() {
        assert!(is_public_suffix("net"));
        assert!(is_public_suffix("co.uk"));
        assert!(is_public_suffix(".COM"));
        assert!(!is_public_suffix("example.net"));
        assert!(!is_public_suffix("localhost"));
        assert!(!is_public_suffix("lan"));
        assert!(!is_public_suffix(""));
    }

    #[test]
    fn parent_style_decides_which_spelling_reaches_subdomains() {
        assert_eq!(suffix_reach("net", true).as_deref(), Some("net"));
        assert_eq!(suffix_reach(".net", true), None);
        assert_eq!(suffix_reach("net", false), None);
        assert_eq!(suffix_reach(".net", false).as_deref(), Some("net"));
        assert_eq!(suffix_reach("example.net", true), None);
    }
}
