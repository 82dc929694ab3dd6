//! Sendmail: the m4 source (`sendmail.mc`: `FEATURE(...)` lines), the access database source
//! (`access`: `Connect:`, `To:`, `From:` keys with RELAY), and `relay-domains`. The compiled
//! `sendmail.cf` is not read: the .mc is what administrators edit.

pub mod rules;

use crate::error::AuditError;
use crate::finding::{Finding, Location, Warning};
use crate::source::Bundle;

/// A `FEATURE(name)` line.
#[derive(Debug, Clone)]
pub struct Feature {
    /// Feature name.
    pub name: String,
    /// The line.
    pub text: String,
    /// Where.
    pub location: Location,
}

/// An access-db entry.
#[derive(Debug, Clone)]
pub struct AccessEntry {
    /// Tag (`Connect`, `To`, `From`, or empty).
    pub tag: String,
    /// Key without the tag.
    pub key: String,
    /// Value (RELAY, OK, REJECT…).
    pub value: String,
    /// Where.
    pub location: Location,
}

/// The parsed Sendmail inputs.
pub struct Model {
    /// FEATUREs from .mc files.
    pub features: Vec<Feature>,
    /// Access entries.
    pub access: Vec<AccessEntry>,
    /// relay-domains entries.
    pub relay_domains: Vec<(String, Location)>,
}

/// Audit a Sendmail bundle.
pub fn audit(bundle: &Bundle) -> Result<(Vec<Finding>, Vec<Warning>), AuditError> {
    let mut warnings = Vec::new();
    let mut features = Vec::new();
    let mut access = Vec::new();
    let mut relay_domains = Vec::new();
    for f in &bundle.files {
        let fname = f
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let file = f.path.display().to_string();
        if fname.ends_with(".mc") || (bundle.single_file && f.text.contains("FEATURE(")) {
            for (i, line) in f.text.lines().enumerate() {
                let t = line.trim();
                if t.starts_with("dnl") || t.starts_with('#') {
                    continue;
                }
                if let Some(rest) = t.strip_prefix("FEATURE(") {
                    let name: String = rest
                        .trim_start_matches(['`', '\''])
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    features.push(Feature {
                        name,
                        text: t.to_string(),
                        location: Location {
                            file: file.clone(),
                            line: i + 1,
                        },
                    });
                }
            }
        } else if fname == "access"
            || (bundle.single_file && f.text.lines().any(|l| l.starts_with("Connect:")))
        {
            for (i, line) in f.text.lines().enumerate() {
                let t = line.split('#').next().unwrap_or("").trim();
                if t.is_empty() {
                    continue;
                }
                let mut parts = t.splitn(2, char::is_whitespace);
                let key = parts.next().unwrap_or("");
                let value = parts.next().unwrap_or("").trim().to_string();
                let loc = Location {
                    file: file.clone(),
                    line: i + 1,
                };
                if value.is_empty() {
                    warnings.push(Warning {
                        location: loc,
                        message: format!("access entry without a value: {t:?}"),
                    });
                    continue;
                }
                let (tag, key) = match key.split_once(':') {
                    Some((tag, k))
                        if matches!(
                            tag,
                            "Connect"
                                | "To"
                                | "From"
                                | "Spam"
                                | "GreetPause"
                                | "ClientRate"
                                | "ClientConn"
                                | "QGRP"
                                | "Auth"
                                | "SrvTLS"
                                | "CERTISSUER"
                                | "CERTSUBJECT"
                                | "TLS_Clt"
                                | "TLS_Srv"
                                | "Try_TLS"
                        ) =>
                    {
                        (tag.to_string(), k.to_string())
                    }
                    _ => (String::new(), key.to_string()),
                };
                access.push(AccessEntry {
                    tag,
                    key,
                    value,
                    location: loc,
                });
            }
        } else if fname == "relay-domains" {
            for (i, line) in f.text.lines().enumerate() {
                let t = line.split('#').next().unwrap_or("").trim();
                if !t.is_empty() {
                    relay_domains.push((
                        t.to_string(),
                        Location {
                            file: file.clone(),
                            line: i + 1,
                        },
                    ));
                }
            }
        }
    }
    if features.is_empty() && access.is_empty() && relay_domains.is_empty() {
        return Err(AuditError::MissingFile {
            what: "sendmail.mc, access or relay-domains",
            path: bundle.root.clone(),
        });
    }
    if !bundle
        .files
        .iter()
        .any(|f| f.path.extension().is_some_and(|e| e == "mc"))
    {
        warnings.push(Warning {
            location: Location {
                file: bundle.root.display().to_string(),
                line: 0,
            },
            message:
                "no .mc file: FEATUREs (promiscuous_relay, relay_based_on_MX, …) were not checked"
                    .into(),
        });
    }
    let model = Model {
        features,
        access,
        relay_domains,
    };
    Ok((crate::rules::run(rules::RULES, &model), warnings))
}
