//! Effective parameter values: master.cf `-o` overrides over main.cf over the defaults of the
//! configured compatibility level, with `$name` / `${name}` / `$(name)` expansion and the
//! `${name?value}` / `${name:value}` forms.

use super::defaults::{default, level_major};
use super::main_cf::Param;
use super::master_cf::Service;
use crate::finding::Location;

/// Longest expansion result kept.
const MAX_EXPANSION: usize = 64 * 1024;

thread_local! {
    /// Lookups left in the current top-level expansion.
    static BUDGET: std::cell::Cell<usize> = const { std::cell::Cell::new(10_000) };
}

/// A parameter value as the daemon would see it.
#[derive(Debug, Clone)]
pub struct Setting {
    /// As written (or the default text).
    pub raw: String,
    /// After `$` expansion.
    pub expanded: String,
    /// Where it was set; line 0 means a built-in default.
    pub location: Location,
    /// True when nothing set it explicitly.
    pub is_default: bool,
}

/// Lookup over main.cf params and one service's overrides.
pub struct Params<'a> {
    /// main.cf settings (last wins).
    pub main: &'a [Param],
    /// The service whose `-o` overrides apply, if any.
    pub service: Option<&'a Service>,
    /// Name of main.cf, for default locations.
    pub main_file: &'a str,
}

impl Params<'_> {
    /// The explicit setting of `name`, if any.
    pub fn explicit(&self, name: &str) -> Option<&Param> {
        if let Some(svc) = self.service {
            if let Some(p) = svc.overrides.iter().rev().find(|p| p.name == name) {
                return Some(p);
            }
        }
        self.main.iter().rev().find(|p| p.name == name)
    }

    /// The compatibility level in force (major number).
    pub fn level(&self) -> u32 {
        self.explicit("compatibility_level")
            .map(|p| level_major(&p.value))
            .unwrap_or(0)
    }

    /// The effective setting of `name`.
    pub fn get(&self, name: &str) -> Setting {
        let (raw, location, is_default) = match self.explicit(name) {
            Some(p) => (p.value.clone(), p.location.clone(), false),
            None => (
                default(name, self.level()).unwrap_or("").to_string(),
                Location {
                    file: self.main_file.to_string(),
                    line: 0,
                },
                true,
            ),
        };
        let expanded = self.expand(&raw, 0);
        Setting {
            raw,
            expanded,
            location,
            is_default,
        }
    }

    /// Expand `$name` references. Bounded: depth 12, and a budget of 10,000 lookups and
    /// 64 KiB of output per top-level expansion, so `x = $x $x $x` cannot blow up.
    pub fn expand(&self, text: &str, depth: usize) -> String {
        if depth == 0 {
            BUDGET.with(|b| b.set(10_000));
        }
        if depth > 12 || !text.contains('$') || text.len() > MAX_EXPANSION {
            return text.chars().take(MAX_EXPANSION).collect();
        }
        if BUDGET.with(|b| {
            let left = b.get();
            b.set(left.saturating_sub(1));
            left == 0
        }) {
            return String::new();
        }
        let mut out = String::new();
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c != '$' || i + 1 >= chars.len() {
                out.push(c);
                i += 1;
                continue;
            }
            let next = chars[i + 1];
            if next == '$' {
                out.push('$');
                i += 2;
            } else if next == '{' || next == '(' {
                let close = if next == '{' { '}' } else { ')' };
                // Find the matching close, counting nesting.
                let mut depth_b = 0usize;
                let mut j = i + 1;
                while j < chars.len() {
                    if chars[j] == next {
                        depth_b += 1;
                    } else if chars[j] == close {
                        depth_b -= 1;
                        if depth_b == 0 {
                            break;
                        }
                    }
                    j += 1;
                }
                let inner: String = chars[i + 2..j.min(chars.len())].iter().collect();
                out.push_str(&self.expand_braced(&inner, depth));
                i = j + 1;
            } else if next.is_ascii_alphanumeric() || next == '_' {
                let mut j = i + 1;
                while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
                    j += 1;
                }
                let name: String = chars[i + 1..j].iter().collect();
                out.push_str(&self.get_depth(&name, depth + 1));
                i = j;
            } else {
                out.push(c);
                i += 1;
            }
            if out.len() > MAX_EXPANSION {
                out = out.chars().take(MAX_EXPANSION).collect();
                break;
            }
        }
        out
    }

    fn get_depth(&self, name: &str, depth: usize) -> String {
        let raw = match self.explicit(name) {
            Some(p) => p.value.clone(),
            None => default(name, self.level()).unwrap_or("").to_string(),
        };
        self.expand(&raw, depth)
    }

    /// `name`, `name?value`, `name:value`, `name?{value}:{value}`.
    fn expand_braced(&self, inner: &str, depth: usize) -> String {
        let pos = inner.find(['?', ':']);
        match pos {
            None => self.get_depth(inner.trim(), depth + 1),
            Some(p) => {
                let name = inner[..p].trim();
                let op = &inner[p..p + 1];
                let rest = inner[p + 1..].trim();
                let value = self.get_depth(name, depth + 1);
                let set = !value.trim().is_empty() && !matches!(value.trim(), "no" | "0");
                let (when_set, when_unset) = match rest.split_once("}:{") {
                    Some((a, b)) if rest.starts_with('{') => (
                        a.trim_start_matches('{').to_string(),
                        b.trim_end_matches('}').to_string(),
                    ),
                    _ => {
                        let v = rest
                            .trim_start_matches('{')
                            .trim_end_matches('}')
                            .to_string();
                        if op == "?" {
                            (v, String::new())
                        } else {
                            (String::new(), v)
                        }
                    }
                };
                let chosen = if set { when_set } else { when_unset };
                self.expand(&chosen, depth + 1)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str, value: &str, line: usize) -> Param {
        Param {
            name: name.into(),
            value: value.into(),
            location: Location {
                file: "main.cf".into(),
                line,
            },
        }
    }

    #[test]
    fn self_referencing_expansion_is_bounded() {
        let main = vec![p("x", "$x $x $x $x $x $x", 1), p("mynetworks", "$x", 2)];
        let params = Params {
            main: &main,
            service: None,
            main_file: "main.cf",
        };
        let t = std::time::Instant::now();
        let v = params.get("mynetworks");
        assert!(v.expanded.len() <= MAX_EXPANSION + 16);
        assert!(t.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn expansion_and_compat_defaults() {
        let main = vec![
            p("office", "198.51.100.0/24", 1),
            p("mynetworks", "127.0.0.0/8 $office ${office?[::1]/128}", 2),
        ];
        let params = Params {
            main: &main,
            service: None,
            main_file: "main.cf",
        };
        assert_eq!(
            params.get("mynetworks").expanded,
            "127.0.0.0/8 198.51.100.0/24 [::1]/128"
        );
        assert_eq!(params.level(), 0);
        assert_eq!(params.get("mynetworks_style").expanded, "subnet");
        assert_eq!(params.get("smtpd_relay_restrictions").expanded, "");
        let main = vec![p("compatibility_level", "3.6", 1)];
        let params = Params {
            main: &main,
            service: None,
            main_file: "main.cf",
        };
        assert_eq!(params.get("mynetworks_style").expanded, "host");
        assert!(params.get("smtpd_relay_restrictions").is_default);
    }
}
