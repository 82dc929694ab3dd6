//! Assembling the report documents: plain .eml, ARF (RFC 5965) and XARF v4 JSON.

use super::evidence::Conduct;
use super::header_value::{self, AddressError};
use super::mime::{self, Part};
use super::{text, ReportInput, Source};

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// multipart/mixed: human text + the original (message/rfc822).
    Eml,
    /// RFC 5965 Abuse Reporting Format: multipart/report; report-type=feedback-report.
    Arf,
    /// XARF v4 JSON (for abuse desks with an API or web intake).
    Xarf,
}

impl Format {
    /// Name as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Eml => "eml",
            Format::Arf => "arf",
            Format::Xarf => "xarf",
        }
    }

    /// File extension of the output.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Eml | Format::Arf => "eml",
            Format::Xarf => "json",
        }
    }
}

/// A finished report.
#[derive(Debug, Clone)]
pub struct Built {
    pub format: Format,
    pub to: String,
    pub subject: String,
    pub bytes: Vec<u8>,
}

fn subject(input: &ReportInput<'_>) -> String {
    let who = input
        .owner
        .and_then(|o| o.org.clone().or_else(|| o.name.clone()))
        .map(|o| format!(" ({o})"))
        .unwrap_or_default();
    let what = match (&input.source, &input.evidence.conduct) {
        (Source::Probe(_), _) | (Source::Message, Conduct::OpenRelay { .. }) => {
            "Open mail relay at"
        }
        (Source::Message, Conduct::AuthenticatedRelay { .. }) => {
            "Compromised mail account relaying through"
        }
        (Source::Message, Conduct::DirectSender) => "Abusive mail from",
    };
    header_value::text(&format!("{what} {}{who}", input.relay))
}

fn top_headers(
    input: &ReportInput<'_>,
    subject: &str,
) -> Result<Vec<(String, String)>, AddressError> {
    let r = input.reporter;
    let from = header_value::mailbox(r.name.as_deref(), &r.email)?;
    let to = header_value::address(&input.to)?;
    let domain = r
        .email
        .rsplit_once('@')
        .map(|(_, d)| d)
        .unwrap_or("localhost");
    let id = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        input.relay.hash(&mut h);
        input.now_unix.hash(&mut h);
        input.original.map(|o| o.len()).hash(&mut h);
        h.finish()
    };
    Ok(vec![
        ("From".into(), from),
        ("To".into(), to),
        ("Subject".into(), subject.to_string()),
        ("Date".into(), text::rfc5322(input.now_unix)),
        (
            "Message-ID".into(),
            format!("<relayhunt.{}.{id:016x}@{domain}>", input.now_unix),
        ),
        (
            "X-Mailer".into(),
            format!("relayhunt {}", env!("CARGO_PKG_VERSION")),
        ),
    ])
}

fn attachments(input: &ReportInput<'_>) -> Vec<Part> {
    let mut parts = Vec::new();
    if let Source::Probe(p) = &input.source {
        parts.push(mime::text_attachment(&p.transcript, "smtp-transcript.txt"));
    }
    if let Some(raw) = input.original {
        parts.push(mime::rfc822_part(raw, "message/rfc822", "original.eml"));
    }
    parts
}

/// RFC 5965 §3.1 feedback-report fields; every value passes `header_value`.
fn feedback_report(input: &ReportInput<'_>) -> String {
    let ev = &input.evidence;
    let mut f = vec![
        // RFC 5965 §7.3: "abuse" = unsolicited or otherwise abusive email.
        ("Feedback-Type".to_string(), "abuse".to_string()),
        (
            "User-Agent".into(),
            format!("relayhunt/{}", env!("CARGO_PKG_VERSION")),
        ),
        ("Version".into(), "1".into()),
    ];
    if let Some(m) = ev
        .mail_from
        .as_deref()
        .and_then(|m| header_value::address(m).ok())
    {
        f.push(("Original-Mail-From".into(), format!("<{m}>")));
    }
    if let Some(r) = ev
        .rcpt_to
        .as_deref()
        .and_then(|m| header_value::address(m).ok())
    {
        f.push(("Original-Rcpt-To".into(), format!("<{r}>")));
    }
    let arrival = match &input.source {
        Source::Message => ev.when_unix,
        Source::Probe(p) => p
            .started_at
            .as_deref()
            .and_then(crate::rdap::extract::rfc3339_unix),
    };
    if let Some(t) = arrival {
        f.push(("Arrival-Date".into(), text::rfc5322(t)));
    }
    f.push(("Source-IP".into(), input.relay.to_string()));
    f.push(("Incidents".into(), "1".into()));
    // The envelope sender's domain is the one the sender actually used (SPF is checked
    // against it); the From domain is often the impersonated victim. Fall back to it.
    let envelope_domain = ev
        .mail_from
        .as_deref()
        .and_then(|m| m.rsplit_once('@'))
        .and_then(|(_, d)| header_value::domain(d));
    if let Some(d) = envelope_domain.or_else(|| ev.from_domain.clone()) {
        f.push(("Reported-Domain".into(), d));
    }
    let mut out = String::new();
    for (k, v) in f {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out
}

/// Build the report in `format`.
pub fn build(input: &ReportInput<'_>, format: Format) -> Result<Built, AddressError> {
    let subject = subject(input);
    let to = header_value::address(&input.to)?;
    let bytes = match format {
        Format::Eml => {
            let mut parts = vec![mime::text_part(&text::body(input))];
            parts.extend(attachments(input));
            mime::multipart(&top_headers(input, &subject)?, "mixed", &parts)
        }
        Format::Arf => {
            let mut parts = vec![
                mime::text_part(&text::body(input)),
                Part {
                    headers: vec![("Content-Type".into(), "message/feedback-report".into())],
                    body: feedback_report(input).into_bytes(),
                },
            ];
            match (&input.source, input.original) {
                // RFC 5965 §2 (e): the third part is the original message or its headers.
                (_, Some(raw)) => {
                    parts.push(mime::rfc822_part(raw, "message/rfc822", "original.eml"))
                }
                (Source::Probe(p), None) => {
                    let mut hdr = mime::text_attachment(&p.transcript, "smtp-transcript.txt");
                    hdr.headers[0].1 = "text/plain; charset=utf-8".into();
                    parts.push(hdr);
                }
                (Source::Message, None) => {}
            }
            if let (Source::Probe(p), Some(_)) = (&input.source, input.original) {
                parts.push(mime::text_attachment(&p.transcript, "smtp-transcript.txt"));
            }
            mime::multipart(
                &top_headers(input, &subject)?,
                "report; report-type=feedback-report",
                &parts,
            )
        }
        Format::Xarf => super::xarf::document(input)?.into_bytes(),
    };
    Ok(Built {
        format,
        to,
        subject,
        bytes,
    })
}
