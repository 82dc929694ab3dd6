//! Assembling the report documents: plain .eml, ARF (RFC 5965) and XARF v4 JSON.
//!
//! The MIME structure is mail-builder's (the writer of mail-parser's family), the ARF
//! feedback fields are mail-auth's. The attached original keeps its bytes: it goes in as a
//! binary body with an identity transfer encoding (7bit, 8bit or binary), which mail-builder
//! writes unchanged, inside a boundary checked against it.

use super::evidence::Conduct;
use super::header_value::{self, AddressError};
use super::{text, ReportInput, Source};
use mail_auth::report::{Feedback, FeedbackType};
use mail_builder::headers::address::Address;
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::date::Date;
use mail_builder::headers::raw::Raw;
use mail_builder::mime::{BodyPart, MimePart};
use mail_builder::MessageBuilder;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// multipart/mixed: human text + the original (message/rfc822).
    Eml,
    /// RFC 5965 Abuse Reporting Format: multipart/report; report-type=feedback-report.
    Arf,
    /// XARF v4 JSON, schema 4.2.0 (for abuse desks with an API or web intake).
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

/// Why a report cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The recipient or the reporter's address cannot go into the report.
    #[error(transparent)]
    Address(#[from] AddressError),
    /// XARF's messaging/spam type requires the envelope sender (`smtp_from`) and the
    /// message records no usable one; the report will not invent it.
    #[error("XARF needs the message's envelope sender (smtp_from) and it records none usable ({0}); write --format eml or arf instead")]
    NoEnvelopeSender(String),
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

/// The report's own Message-ID: stable for one relay, time and original.
fn message_id(input: &ReportInput<'_>) -> String {
    use std::hash::{Hash, Hasher};
    let domain = input
        .reporter
        .email
        .rsplit_once('@')
        .map(|(_, d)| d)
        .unwrap_or("localhost");
    let mut h = std::collections::hash_map::DefaultHasher::new();
    input.relay.hash(&mut h);
    input.now_unix.hash(&mut h);
    input.original.map(<[u8]>::len).hash(&mut h);
    format!("relayhunt.{}.{:016x}@{domain}", input.now_unix, h.finish())
}

/// The message around `body`: From, To, Subject, Date, Message-ID, X-Mailer. Every value
/// was cleaned by `header_value`; mail-builder quotes and RFC 2047-encodes what needs it.
fn message<'x>(
    input: &'x ReportInput<'_>,
    subject: &'x str,
    body: MimePart<'x>,
) -> Result<Vec<u8>, AddressError> {
    let r = input.reporter;
    let from = header_value::address(&r.email)?;
    let name = r
        .name
        .as_deref()
        .map(header_value::text)
        .filter(|n| !n.is_empty());
    let to = header_value::address(&input.to)?;
    let bytes = MessageBuilder::new()
        .from(Address::new_address(name, from))
        .to(Address::new_address(None::<&str>, to))
        .subject(subject)
        .date(Date::new(input.now_unix))
        .message_id(message_id(input))
        .header(
            "X-Mailer",
            Raw::new(format!("relayhunt {}", env!("CARGO_PKG_VERSION"))),
        )
        .body(body)
        .write_to_vec()
        .unwrap_or_default();
    Ok(bytes)
}

/// The human explanation, `text/plain; charset=utf-8` (mail-builder picks the transfer
/// encoding that keeps long evidence lines intact).
fn text_part(text: String) -> MimePart<'static> {
    MimePart::new(ContentType::new("text/plain"), BodyPart::Text(text.into()))
}

/// A text attachment (the SMTP transcript of a probe).
fn text_attachment(text: &str, filename: &'static str) -> MimePart<'static> {
    text_part(text.to_string()).attachment(filename)
}

/// The Content-Transfer-Encoding that lets `raw` travel unchanged (RFC 2046 §5.2.1: only
/// 7bit, 8bit or binary are allowed for message/rfc822).
pub fn identity_encoding(raw: &[u8]) -> &'static str {
    let long_line = raw.split(|&b| b == b'\n').any(|l| l.len() > 998);
    let bare_cr =
        raw.windows(2).any(|w| w[0] == b'\r' && w[1] != b'\n') || raw.last() == Some(&b'\r');
    if long_line || bare_cr || raw.contains(&0) {
        "binary"
    } else if raw.is_ascii() {
        "7bit"
    } else {
        "8bit"
    }
}

/// The original message, attached unmodified: an explicit identity transfer encoding makes
/// mail-builder write the bytes as they are.
fn rfc822_part(raw: &[u8]) -> MimePart<'_> {
    MimePart::new(
        ContentType::new("message/rfc822"),
        BodyPart::Binary(raw.into()),
    )
    .transfer_encoding(identity_encoding(raw))
    .attachment("original.eml")
}

/// A boundary that occurs in none of the parts (RFC 2046 §5.1.1): the attached message, and
/// the text quoting it, may contain any line, so the boundary is checked, not trusted.
fn boundary(input: &ReportInput<'_>) -> String {
    let transcript = match &input.source {
        Source::Probe(p) => p.transcript.as_bytes(),
        Source::Message => &[],
    };
    let text = text::body(input);
    let bodies = [
        input.original.unwrap_or_default(),
        transcript,
        text.as_bytes(),
    ];
    let seed = message_id(input);
    (0u32..)
        .map(|n| format!("=_{}_{n}", seed.split('@').next().unwrap_or("relayhunt")))
        .find(|b| {
            !bodies
                .iter()
                .any(|body| memchr::memmem::find(body, b.as_bytes()).is_some())
        })
        .unwrap_or_default()
}

fn multipart<'x>(
    input: &ReportInput<'_>,
    content_type: ContentType<'x>,
    parts: Vec<MimePart<'x>>,
) -> MimePart<'x> {
    MimePart::new(
        content_type.attribute("boundary", boundary(input)),
        BodyPart::Multipart(parts),
    )
}

fn attachments<'x>(input: &'x ReportInput<'_>) -> Vec<MimePart<'x>> {
    let mut parts = Vec::new();
    if let Source::Probe(p) = &input.source {
        parts.push(text_attachment(&p.transcript, "smtp-transcript.txt"));
    }
    if let Some(raw) = input.original {
        parts.push(rfc822_part(raw));
    }
    parts
}

/// RFC 5965 §3.1 feedback-report fields, written by mail-auth's ARF support; every value
/// passes `header_value` first.
fn feedback_report(input: &ReportInput<'_>) -> String {
    let ev = &input.evidence;
    // RFC 5965 §7.3: "abuse" = unsolicited or otherwise abusive email.
    let mut f = Feedback::new(FeedbackType::Abuse)
        .with_user_agent(format!("relayhunt/{}", env!("CARGO_PKG_VERSION")))
        .with_version(1)
        .with_source_ip(input.relay);
    if let Some(m) = ev
        .mail_from
        .as_deref()
        .and_then(|m| header_value::address(m).ok())
    {
        f = f.with_original_mail_from(format!("<{m}>"));
    }
    if let Some(r) = ev
        .rcpt_to
        .as_deref()
        .and_then(|m| header_value::address(m).ok())
    {
        f = f.with_original_rcpt_to(format!("<{r}>"));
    }
    if let Some(t) = input.incident_unix() {
        f = f.with_arrival_date(t);
    }
    // The envelope sender's domain is the one the sender actually used (SPF is checked
    // against it); the From domain is often the impersonated victim. Fall back to it.
    let envelope_domain = ev
        .mail_from
        .as_deref()
        .and_then(|m| m.rsplit_once('@'))
        .and_then(|(_, d)| header_value::domain(d));
    if let Some(d) = envelope_domain.or_else(|| ev.from_domain.clone()) {
        f = f.with_reported_domain(d);
    }
    f.to_arf()
}

/// Build the report in `format`.
pub fn build(input: &ReportInput<'_>, format: Format) -> Result<Built, BuildError> {
    let subject = subject(input);
    let to = header_value::address(&input.to)?;
    let bytes = match format {
        Format::Eml => {
            let mut parts = vec![text_part(text::body(input))];
            parts.extend(attachments(input));
            let body = multipart(input, ContentType::new("multipart/mixed"), parts);
            message(input, &subject, body)?
        }
        Format::Arf => {
            let mut parts = vec![
                text_part(text::body(input)),
                MimePart::new(
                    ContentType::new("message/feedback-report"),
                    BodyPart::Binary(feedback_report(input).into_bytes().into()),
                )
                .transfer_encoding("7bit"),
            ];
            match (&input.source, input.original) {
                // RFC 5965 §2 (e): the third part is the original message or its headers.
                (_, Some(raw)) => parts.push(rfc822_part(raw)),
                (Source::Probe(p), None) => {
                    parts.push(text_attachment(&p.transcript, "smtp-transcript.txt"))
                }
                (Source::Message, None) => {}
            }
            if let (Source::Probe(p), Some(_)) = (&input.source, input.original) {
                parts.push(text_attachment(&p.transcript, "smtp-transcript.txt"));
            }
            let body = multipart(
                input,
                ContentType::new("multipart/report").attribute("report-type", "feedback-report"),
                parts,
            );
            message(input, &subject, body)?
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_declared_for_the_attachment_matches_its_bytes() {
        assert_eq!(identity_encoding(b"Subject: hi\r\n\r\nplain\r\n"), "7bit");
        assert_eq!(
            identity_encoding("Subject: hä\n\nbody\n".as_bytes()),
            "8bit"
        );
        assert_eq!(identity_encoding(&[b'a'; 1200]), "binary");
        assert_eq!(identity_encoding(b"a\rb\r\n"), "binary");
    }
}
