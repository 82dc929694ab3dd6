//! master.cf syntax (also `postconf -M` output): one service per entry, eight fields, then
//! `-o name=value` (or `-o { name = value }`) overrides that apply to that service only.
//! A submission or smtps listener with its own `-o` restrictions is a separate door into
//! the server and is evaluated on its own.

use super::main_cf::Param;
use crate::finding::{Location, Warning};
use crate::source::SourceFile;

/// One master.cf service.
#[derive(Debug, Clone)]
pub struct Service {
    /// Service name (`smtp`, `submission`, `127.0.0.1:2525`, …).
    pub name: String,
    /// Type (`inet`, `unix`, `pass`, …).
    pub kind: String,
    /// Command (`smtpd`, `postscreen`, …).
    pub command: String,
    /// Where the service is defined.
    pub location: Location,
    /// `-o` overrides, in order.
    pub overrides: Vec<Param>,
}

impl Service {
    /// Does this service accept SMTP from the network with smtpd restrictions?
    pub fn is_smtpd(&self) -> bool {
        self.command == "smtpd" && (self.kind == "inet" || self.kind == "pass")
    }
}

/// Parse master.cf text.
pub fn parse(file: &SourceFile, warnings: &mut Vec<Warning>) -> Vec<Service> {
    let name = file.path.display().to_string();
    // Join continuation lines first, remembering the first line of each entry.
    let mut entries: Vec<(usize, String)> = Vec::new();
    for (i, line) in file.text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if line.starts_with(char::is_whitespace) {
            if let Some(last) = entries.last_mut() {
                last.1.push(' ');
                last.1.push_str(t);
                continue;
            }
        }
        entries.push((i + 1, t.to_string()));
    }
    let mut out = Vec::new();
    for (line, text) in entries {
        let loc = Location {
            file: name.clone(),
            line,
        };
        let fields = tokens(&text);
        if fields.len() < 8 {
            warnings.push(Warning {
                location: loc,
                message: format!("master.cf entry with fewer than 8 fields, ignored: {text:?}"),
            });
            continue;
        }
        let mut overrides = Vec::new();
        let mut i = 8;
        while i < fields.len() {
            if fields[i] == "-o" && i + 1 < fields.len() {
                let arg = fields[i + 1]
                    .trim_start_matches('{')
                    .trim_end_matches('}')
                    .trim();
                match arg.split_once('=') {
                    Some((n, v)) => overrides.push(Param {
                        name: n.trim().to_string(),
                        value: v.trim().to_string(),
                        location: loc.clone(),
                    }),
                    None => warnings.push(Warning {
                        location: loc.clone(),
                        message: format!("`-o {arg}` is not name=value, ignored"),
                    }),
                }
                i += 2;
            } else {
                i += 1;
            }
        }
        out.push(Service {
            name: fields[0].clone(),
            kind: fields[1].clone(),
            command: fields[7].clone(),
            location: loc,
            overrides,
        });
    }
    out
}

/// Split a master.cf entry into fields, keeping `{ ... }` groups whole.
fn tokens(text: &str) -> Vec<String> {
    super::main_cf::split_grouped(text, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn submission_overrides_are_per_service() {
        let f = SourceFile {
            path: "master.cf".into(),
            text: "smtp      inet  n       -       y       -       -       smtpd\n\
                   submission inet n       -       y       -       -       smtpd\n  \
                   -o syslog_name=postfix/submission\n  -o { smtpd_relay_restrictions = permit_sasl_authenticated, reject }\n\
                   pickup    unix  n       -       y       60      1       pickup\n"
                .into(),
        };
        let mut w = Vec::new();
        let s = parse(&f, &mut w);
        assert!(w.is_empty());
        assert_eq!(s.len(), 3);
        assert!(s[1].is_smtpd());
        assert_eq!(s[1].overrides[1].name, "smtpd_relay_restrictions");
        assert_eq!(s[1].overrides[1].value, "permit_sasl_authenticated, reject");
        assert!(!s[2].is_smtpd());
    }
}
