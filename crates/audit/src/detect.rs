//! Telling which MTA a config belongs to, from file names first and contents second.

use crate::error::AuditError;
use crate::source::Bundle;
use serde::Serialize;

/// The MTAs the audit knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Mta {
    /// Postfix (main.cf, master.cf, `postconf -n`/`-M`/`-P` output).
    Postfix,
    /// Exim 4 (exim4.conf, Debian's split conf.d).
    Exim,
    /// OpenSMTPD (smtpd.conf, 6.4+ grammar).
    #[value(name = "opensmtpd")]
    #[serde(rename = "opensmtpd")]
    OpenSmtpd,
    /// Sendmail (sendmail.mc, access, relay-domains).
    Sendmail,
}

impl Mta {
    /// Lower-case name.
    pub fn label(self) -> &'static str {
        match self {
            Mta::Postfix => "postfix",
            Mta::Exim => "exim",
            Mta::OpenSmtpd => "opensmtpd",
            Mta::Sendmail => "sendmail",
        }
    }
}

/// Detect the MTA of a bundle.
pub fn detect(bundle: &Bundle) -> Result<Mta, AuditError> {
    let names: Vec<String> = bundle
        .files
        .iter()
        .filter_map(|f| f.path.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let has = |n: &str| names.iter().any(|x| x == n);
    if !bundle.single_file {
        if has("main.cf") || has("master.cf") {
            return Ok(Mta::Postfix);
        }
        if has("exim4.conf")
            || has("exim.conf")
            || has("exim4.conf.template")
            || has("update-exim4.conf.conf")
            || !bundle.under("conf.d/acl").is_empty()
        {
            return Ok(Mta::Exim);
        }
        if has("smtpd.conf") {
            return Ok(Mta::OpenSmtpd);
        }
        if names.iter().any(|n| n.ends_with(".mc")) || has("sendmail.cf") {
            return Ok(Mta::Sendmail);
        }
    }
    // By content: score each MTA's telltales over all files.
    let mut score = [0usize; 4];
    for f in &bundle.files {
        let name = f
            .path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        match name.as_ref() {
            "main.cf" | "master.cf" => score[0] += 10,
            "exim4.conf" | "exim.conf" => score[1] += 10,
            "smtpd.conf" => score[2] += 10,
            n if n.ends_with(".mc") || n == "access" || n == "relay-domains" => score[3] += 5,
            _ => {}
        }
        for line in f.text.lines().take(5000) {
            let l = line.trim_start();
            if l.starts_with("smtpd_")
                || l.starts_with("mynetworks")
                || l.starts_with("relayhost")
                || l.starts_with("compatibility_level")
                || l.contains(" inet ") && l.contains("smtpd")
            {
                score[0] += 1;
            }
            if l.starts_with("begin acl")
                || l.starts_with("hostlist ")
                || l.starts_with("domainlist ")
                || l.starts_with("acl_smtp_rcpt")
            {
                score[1] += 3;
            }
            if (l.starts_with("match ") && l.contains(" action "))
                || l.starts_with("listen on ")
                || (l.starts_with("action ") && l.contains(" relay"))
            {
                score[2] += 3;
            }
            if l.starts_with("FEATURE(")
                || l.starts_with("Connect:")
                || l.starts_with("DAEMON_OPTIONS")
                || l.starts_with("define(`confDOMAIN")
                || l.starts_with("MAILER(")
            {
                score[3] += 3;
            }
        }
    }
    let best = score.iter().enumerate().max_by_key(|(_, s)| **s);
    match best {
        Some((i, s)) if *s > 0 => Ok([Mta::Postfix, Mta::Exim, Mta::OpenSmtpd, Mta::Sendmail][i]),
        _ => Err(AuditError::UnknownMta {
            path: bundle.root.clone(),
        }),
    }
}
