//! main.cf syntax (also `postconf -n` and `postconf -P` output): `name = value` lines,
//! continuation lines starting with whitespace, whole-line `#` comments.
//!
//! `postconf -P` lines (`service/type/name = value`) are master.cf overrides written in
//! main.cf syntax; they are returned separately so they apply to their service only.

use crate::finding::{Location, Warning};
use crate::source::SourceFile;

/// One `name = value` setting.
#[derive(Debug, Clone)]
pub struct Param {
    /// Parameter name.
    pub name: String,
    /// Value with continuation lines joined by single spaces.
    pub value: String,
    /// Where it was set.
    pub location: Location,
}

/// A `postconf -P` style per-service override.
#[derive(Debug, Clone)]
pub struct ServiceParam {
    /// Service name (e.g. `submission`).
    pub service: String,
    /// Service type (e.g. `inet`).
    pub kind: String,
    /// The setting.
    pub param: Param,
}

/// Parse main.cf text.
pub fn parse(file: &SourceFile, warnings: &mut Vec<Warning>) -> (Vec<Param>, Vec<ServiceParam>) {
    let name = file.path.display().to_string();
    let mut params: Vec<Param> = Vec::new();
    let mut per_service = Vec::new();
    let mut current: Option<Param> = None;
    let flush = |p: Option<Param>, params: &mut Vec<Param>, per: &mut Vec<ServiceParam>| {
        let Some(p) = p else { return };
        let parts: Vec<&str> = p.name.split('/').collect();
        if parts.len() == 3 {
            per.push(ServiceParam {
                service: parts[0].to_string(),
                kind: parts[1].to_string(),
                param: Param {
                    name: parts[2].to_string(),
                    ..p
                },
            });
        } else {
            params.push(p);
        }
    };
    for (i, line) in file.text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            // postconf(5): blank and comment lines are ignored, even inside a logical line.
            continue;
        }
        if line.starts_with(char::is_whitespace) {
            match current.as_mut() {
                Some(p) => {
                    if !p.value.is_empty() {
                        p.value.push(' ');
                    }
                    p.value.push_str(trimmed);
                }
                None => warnings.push(Warning {
                    location: Location {
                        file: name.clone(),
                        line: i + 1,
                    },
                    message: format!(
                        "continuation line without a parameter before it: {trimmed:?}"
                    ),
                }),
            }
            continue;
        }
        flush(current.take(), &mut params, &mut per_service);
        match trimmed.split_once('=') {
            Some((n, v))
                if !n.trim().is_empty()
                    && n.trim().chars().all(|c| c.is_ascii_alphanumeric() || "_/-.".contains(c)) =>
            {
                current = Some(Param {
                    name: n.trim().to_string(),
                    value: v.trim().to_string(),
                    location: Location { file: name.clone(), line: i + 1 },
                });
            }
            _ => warnings.push(Warning {
                location: Location { file: name.clone(), line: i + 1 },
                message: format!(
                    "not a `name = value` line, ignored by this audit (Postfix would reject it): {trimmed:?}"
                ),
            }),
        }
    }
    flush(current.take(), &mut params, &mut per_service);
    (params, per_service)
}

/// Split a Postfix list value on whitespace and commas, keeping `{...}` groups whole.
pub fn split_list(value: &str) -> Vec<String> {
    split_grouped(value, true)
}

/// Split `text` on whitespace (and commas when `commas` is set) outside `{ ... }` groups,
/// which Postfix keeps whole in both main.cf lists and master.cf fields.
pub(super) fn split_grouped(text: &str, commas: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '{' => {
                depth += 1;
                cur.push(c);
            }
            '}' => {
                depth = depth.saturating_sub(1);
                cur.push(c);
            }
            c if depth == 0 && (c.is_whitespace() || (commas && c == ',')) => {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_lines_join_and_postconf_p_lines_split_off() {
        let f = SourceFile {
            path: "main.cf".into(),
            text: "# c\nsmtpd_relay_restrictions =\n    permit_mynetworks,\n    reject_unauth_destination\nmynetworks = 0.0.0.0/0\nsubmission/inet/smtpd_relay_restrictions = permit_sasl_authenticated,reject\nbogus line\n".into(),
        };
        let mut w = Vec::new();
        let (p, s) = parse(&f, &mut w);
        assert_eq!(p[0].value, "permit_mynetworks, reject_unauth_destination");
        assert_eq!(p[0].location.line, 2);
        assert_eq!(p[1].name, "mynetworks");
        assert_eq!(s[0].service, "submission");
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].location.line, 7);
    }

    #[test]
    fn lists_keep_brace_groups() {
        assert_eq!(
            split_list("check_sender_access inline:{ a.example=OK, b=REJECT }, reject"),
            vec![
                "check_sender_access",
                "inline:{ a.example=OK, b=REJECT }",
                "reject"
            ]
        );
    }
}
