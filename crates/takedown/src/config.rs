//! Reporter identity and SMTP submission settings: a `key = value` file plus environment.
//!
//! Reports go out under the user's name, so nothing is assumed: the identity comes from
//! `~/.config/relayhunt/report.conf` (or `--config`), each key overridable by an
//! environment variable `RELAYHUNT_<KEY>` (upper-case), which is also the way to keep the
//! SMTP password out of files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Who sends the report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reporter {
    pub name: Option<String>,
    pub email: String,
    pub org: Option<String>,
}

/// TLS policy for submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// STARTTLS must succeed before anything else (default; RFC 8314 §3.3 advises TLS).
    StartTls,
    /// TLS from the first byte (submissions, port 465; RFC 8314 §3.3).
    Implicit,
    /// Plain text (only for a local relay on loopback).
    None,
}

/// SMTP submission settings (RFC 6409).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Extra CA certificate (PEM) to trust, e.g. a company CA.
    pub ca_file: Option<PathBuf>,
    /// Name to say in EHLO.
    pub helo: String,
}

/// The keys the file may hold, with their meaning (documented in docs/takedown.md).
pub const KEYS: &[(&str, &str)] = &[
    ("reporter_name", "display name on the report's From:"),
    (
        "reporter_email",
        "mailbox the report is sent from (required)",
    ),
    (
        "reporter_org",
        "organisation named in the signature and XARF",
    ),
    ("smtp_host", "submission server (required for --send)"),
    ("smtp_port", "submission port, default 587"),
    (
        "smtp_tls",
        "starttls (default), tls (implicit TLS, port 465) or none (loopback relays only)",
    ),
    ("smtp_username", "AUTH user"),
    (
        "smtp_password",
        "AUTH password (prefer the RELAYHUNT_SMTP_PASSWORD variable)",
    ),
    (
        "smtp_ca_file",
        "extra PEM CA to trust for the submission server",
    ),
    (
        "smtp_helo",
        "EHLO name, default: the domain of reporter_email",
    ),
];

/// Why the configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("{file}:{line}: {problem}")]
    Syntax {
        file: String,
        line: usize,
        problem: String,
    },
    #[error("cannot read {file}: {reason}")]
    Read { file: String, reason: String },
    #[error("{key} is not set: add `{key} = …` to {file} or set RELAYHUNT_{}", key.to_ascii_uppercase())]
    Missing { key: &'static str, file: String },
    #[error("{key} = {value:?} is invalid: {reason}")]
    Invalid {
        key: &'static str,
        value: String,
        reason: String,
    },
}

/// The settings as read.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    values: BTreeMap<String, String>,
    file: String,
}

/// Default config file: `$XDG_CONFIG_HOME/relayhunt/report.conf` or `~/.config/relayhunt/report.conf`.
pub fn default_file() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|x| !x.is_empty()) {
        return Some(PathBuf::from(x).join("relayhunt/report.conf"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config/relayhunt/report.conf"))
}

impl Settings {
    /// Parse file text (`key = value`, `#` comments).
    pub fn parse(text: &str, file: &str) -> Result<Self, ConfigError> {
        let mut values = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let l = line.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            let (k, v) = l.split_once('=').ok_or_else(|| ConfigError::Syntax {
                file: file.into(),
                line: i + 1,
                problem: "expected `key = value`".into(),
            })?;
            let k = k.trim().to_ascii_lowercase();
            if !KEYS.iter().any(|(n, _)| *n == k) {
                return Err(ConfigError::Syntax {
                    file: file.into(),
                    line: i + 1,
                    problem: format!(
                        "unknown key {k:?}; known: {}",
                        KEYS.iter().map(|k| k.0).collect::<Vec<_>>().join(", ")
                    ),
                });
            }
            values.insert(k, v.trim().trim_matches('"').to_string());
        }
        Ok(Settings {
            values,
            file: file.into(),
        })
    }

    /// Read `path` if it exists (a missing default file is not an error), then apply the
    /// environment.
    pub fn load(path: Option<&Path>, explicit: bool) -> Result<Self, ConfigError> {
        let mut s = match path {
            Some(p) if p.exists() || explicit => {
                let text = std::fs::read_to_string(p).map_err(|e| ConfigError::Read {
                    file: p.display().to_string(),
                    reason: e.to_string(),
                })?;
                Settings::parse(&text, &p.display().to_string())?
            }
            Some(p) => Settings {
                file: p.display().to_string(),
                ..Settings::default()
            },
            None => Settings {
                file: "the config file".into(),
                ..Settings::default()
            },
        };
        for (k, _) in KEYS {
            if let Ok(v) = std::env::var(format!("RELAYHUNT_{}", k.to_ascii_uppercase())) {
                s.values.insert((*k).to_string(), v);
            }
        }
        Ok(s)
    }

    fn get(&self, k: &str) -> Option<&str> {
        self.values
            .get(k)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    fn need(&self, k: &'static str) -> Result<&str, ConfigError> {
        self.get(k).ok_or_else(|| ConfigError::Missing {
            key: k,
            file: self.file.clone(),
        })
    }

    /// The reporter identity.
    pub fn reporter(&self) -> Result<Reporter, ConfigError> {
        let email = self.need("reporter_email")?;
        let email =
            crate::report::header_value::address(email).map_err(|e| ConfigError::Invalid {
                key: "reporter_email",
                value: email.into(),
                reason: e.to_string(),
            })?;
        Ok(Reporter {
            name: self.get("reporter_name").map(str::to_string),
            email,
            org: self.get("reporter_org").map(str::to_string),
        })
    }

    /// The submission settings.
    pub fn smtp(&self) -> Result<SmtpSettings, ConfigError> {
        let host = self.need("smtp_host")?.to_string();
        let implicit = self
            .get("smtp_tls")
            .is_some_and(|t| matches!(t.to_ascii_lowercase().as_str(), "tls" | "implicit"));
        let port = match self.get("smtp_port") {
            None if implicit => 465,
            None => 587,
            Some(p) => p.parse().map_err(|_| ConfigError::Invalid {
                key: "smtp_port",
                value: p.into(),
                reason: "not a port number".into(),
            })?,
        };
        let tls = match self.get("smtp_tls").map(str::to_ascii_lowercase).as_deref() {
            None | Some("starttls") => TlsMode::StartTls,
            Some("tls" | "implicit") => TlsMode::Implicit,
            Some("none") => TlsMode::None,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    key: "smtp_tls",
                    value: other.into(),
                    reason: "use starttls, tls (implicit, port 465) or none".into(),
                })
            }
        };
        let reporter = self.reporter()?;
        let helo = self
            .get("smtp_helo")
            .map(str::to_string)
            .or_else(|| reporter.email.rsplit_once('@').map(|(_, d)| d.to_string()))
            .unwrap_or_else(|| "localhost".into());
        Ok(SmtpSettings {
            host,
            port,
            tls,
            username: self.get("smtp_username").map(str::to_string),
            password: self.get("smtp_password").map(str::to_string),
            ca_file: self.get("smtp_ca_file").map(PathBuf::from),
            helo,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_keys_are_checked_and_errors_name_the_line() {
        let s = Settings::parse(
            "# me\nreporter_email = desk@example.org\nsmtp_host=smtp.example.org\n",
            "r.conf",
        )
        .unwrap();
        assert_eq!(s.reporter().unwrap().email, "desk@example.org");
        let smtp = s.smtp().unwrap();
        assert_eq!(
            (smtp.port, smtp.tls, smtp.helo.as_str()),
            (587, TlsMode::StartTls, "example.org")
        );
        let e = Settings::parse("reporter_emial = x@y.test\n", "r.conf").unwrap_err();
        assert!(e.to_string().starts_with("r.conf:1: unknown key"), "{e}");
        let e =
            Settings::parse("reporter_email = x@y.test\r\nBcc: z@q.test\n", "r.conf").unwrap_err();
        assert!(e.to_string().contains("r.conf:2"), "{e}");
        let s = Settings::parse("reporter_email = \"x@y.test>\"\n", "r.conf").unwrap();
        assert!(s.reporter().is_err());
    }
}
