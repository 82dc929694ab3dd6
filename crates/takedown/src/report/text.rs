//! The human part of the report: what happened, when (UTC), which IP, the proving line,
//! and what we ask — short, because an abuse desk reads hundreds of these a day.

use super::{ReportInput, Source};
use crate::report::evidence::{Conduct, Field};

/// RFC 5322 date in UTC (`Thu, 14 May 2026 21:20:01 +0000`).
pub fn rfc5322(unix: i64) -> String {
    mail_parser::DateTime::from_timestamp(unix).to_rfc822()
}

/// Human UTC time (`Thu, 14 May 2026 21:20:01 UTC`).
pub fn utc(unix: i64) -> String {
    let d = mail_parser::DateTime::from_timestamp(unix).to_rfc822();
    d.trim_end_matches("+0000").trim_end().to_string() + " UTC"
}

fn quote_field(out: &mut String, f: &Field) {
    // Wrap the unfolded header at word boundaries, indented, as evidence is usually read.
    let mut line = format!("  {}:", f.name);
    for word in f.value.split(' ') {
        if line.len() + 1 + word.len() > 74 && line.trim().len() > f.name.len() + 1 {
            out.push_str(&line);
            out.push('\n');
            line = String::from("      ");
        } else {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
}

/// Word-wrap `text` at `width`, continuation lines prefixed with `indent`; ends in `\n`.
fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push_str(&line);
            out.push('\n');
            line = indent.to_string();
        } else if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// Append a prose paragraph, re-wrapped at 72 columns, and a blank line.
fn para(out: &mut String, text: &str) {
    out.push_str(&wrap(text, 72, ""));
    out.push('\n');
}

/// The body text.
pub fn body(input: &ReportInput<'_>) -> String {
    let ev = &input.evidence;
    let ip = input.relay.to_string();
    let mut t = String::new();
    let who = input
        .owner
        .and_then(|o| o.org.clone().or_else(|| o.name.clone()))
        .map(|o| format!("{o} abuse team"))
        .unwrap_or_else(|| "abuse team".into());
    t.push_str(&format!("Hello {who},\n\n"));
    match &input.source {
        Source::Message => {
            let when = ev
                .when_unix
                .map(utc)
                .unwrap_or_else(|| "(date not recorded)".into());
            let by = ev
                .proving
                .as_ref()
                .and_then(Field::receiver)
                .unwrap_or_else(|| "our mail server".into());
            match &ev.conduct {
                Conduct::OpenRelay { source } => {
                    let from = source.map(|s| format!(" ({s})")).unwrap_or_default();
                    para(&mut t, &format!(
                        "The server at IP address {ip} is operating as an open mail relay.\nOn {when} it relayed a message it had accepted from an unrelated outside\nsource{from} to our mail server {by}, without authentication.\n\n"
                    ));
                }
                Conduct::AuthenticatedRelay { user } => {
                    let u = user.as_ref().map(|u| format!(" ({u})")).unwrap_or_default();
                    para(&mut t, &format!(
                        "The server at IP address {ip} sent abusive mail for one of its authenticated\nusers{u}: the account is probably compromised. On {when} it passed\nthe attached message to our mail server {by}.\n\n"
                    ));
                }
                Conduct::DirectSender => {
                    para(&mut t, &format!(
                        "The host at IP address {ip} sent us abusive mail. On {when} it\ndelivered the attached message directly to our mail server {by}.\n\n"
                    ));
                }
            }
            if let Some(p) = &ev.proving {
                para(&mut t, &format!(
                    "The Received header that shows it (line {} of the attached message),\nwritten by our server as it accepted the connection from your host:\n\n",
                    p.line
                ));
                quote_field(&mut t, p);
                t.push('\n');
            }
            if let Some(r) = &ev.relay_own {
                t.push_str(
                    "Below it, the header your host added, naming where it got the message:\n\n",
                );
                quote_field(&mut t, r);
                t.push('\n');
            }
            if !ev.auth_results.is_empty() {
                t.push_str("Authentication results recorded by our server:\n\n");
                for a in &ev.auth_results {
                    quote_field(&mut t, a);
                }
                t.push('\n');
            }
        }
        Source::Probe(p) => {
            para(
                &mut t,
                &format!("The server at IP address {ip} is operating as an open mail relay.\n"),
            );
            let when = p
                .started_at
                .clone()
                .unwrap_or_else(|| "(time not recorded)".into());
            let port = p
                .addr
                .map(|a| a.port().to_string())
                .unwrap_or_else(|| "25".into());
            para(&mut t, &format!(
                "On {when} we connected to {ip} port {port} and it accepted mail from an outside\nsender to an outside recipient without authentication ({}). {}\nThe SMTP transcript of the test is attached.\n\n",
                if p.open_evidence.as_deref() == Some("proven") {
                    "a test message sent through it was delivered to us"
                } else {
                    "the recipient was accepted"
                },
                p.detail
            ));
            if !p.accepted_tests.is_empty() {
                para(
                    &mut t,
                    &format!(
                        "Relay tests it accepted: {}\n\n",
                        p.accepted_tests.join(", ")
                    ),
                );
            }
        }
    }
    if !ev.observations.is_empty() {
        t.push_str("Other observations:\n");
        for o in &ev.observations {
            t.push_str(&format!("  - {o}\n"));
        }
        t.push('\n');
    }
    let ask = match (&input.source, &ev.conduct) {
        (Source::Probe(_), _) | (Source::Message, Conduct::OpenRelay { .. }) => {
            "Please investigate this host and stop it relaying for strangers: the mail server\n\
             should accept mail for outside domains only from authenticated users or its own\n\
             networks (Postfix: mynetworks, smtpd_relay_restrictions; Exim: relay_from_hosts\n\
             and the RCPT ACL; Sendmail: the access map). The host may also be compromised.\n\n"
        }
        (Source::Message, Conduct::AuthenticatedRelay { .. }) => {
            "Please lock the account, reset its credentials and check the host for other\n\
             misuse; the headers above show the authenticated submission.\n\n"
        }
        (Source::Message, Conduct::DirectSender) => {
            "Please investigate this host: it is sending unsolicited or fraudulent mail and\n\
             may be compromised.\n\n"
        }
    };
    para(&mut t, ask);
    if input.original.is_some() {
        para(
            &mut t,
            "The full original message is attached unmodified (message/rfc822).",
        );
    }
    if let Some(o) = input.owner {
        let mut net = Vec::new();
        if let Some(c) = o.cidrs.first() {
            net.push(c.to_string());
        }
        if let Some(n) = &o.name {
            net.push(n.clone());
        }
        if let Some(org) = &o.org {
            net.push(org.clone());
        }
        if !o.asns.is_empty() {
            net.push(
                o.asns
                    .iter()
                    .map(|a| format!("AS{a}"))
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        }
        if let Some(c) = &o.country {
            net.push(c.clone());
        }
        t.push_str(&wrap(&format!("Network: {}", net.join(", ")), 72, "  "));
        if let Some(c) = o.best_abuse() {
            t.push_str(&wrap(
                &format!(
                    "Abuse contact {} from {} ({}).",
                    c.email,
                    c.source.label(),
                    c.found_at
                ),
                72,
                "  ",
            ));
        }
        t.push('\n');
    }
    let r = input.reporter;
    t.push_str("-- \n");
    t.push_str(&match (&r.name, &r.org) {
        (Some(n), Some(o)) => format!("{n}, {o} <{}>\n", r.email),
        (Some(n), None) => format!("{n} <{}>\n", r.email),
        (None, Some(o)) => format!("{o} <{}>\n", r.email),
        (None, None) => format!("{}\n", r.email),
    });
    t.push_str(&format!(
        "Report prepared with relayhunt {}\n",
        env!("CARGO_PKG_VERSION")
    ));
    t
}
