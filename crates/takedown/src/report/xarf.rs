//! XARF v4 JSON (schema 4.2.0): the same report for abuse desks that take structured input.
//!
//! The shape is the published one (`xarf-core.json` and the type schemas; the takedown
//! tests vendor them and validate every report they build). A message relayed through
//! the host becomes category `messaging`, type `spam`, protocol `smtp`, with the original
//! as `message/rfc822` evidence; a probe finding becomes category `vulnerability`, type
//! `open_service`, service `smtp`, with the SMTP transcript as `text/plain` evidence. Every
//! evidence payload is base64 with its SHA-256 and size, as the schema recommends.
//!
//! Only fields the schemas define are written (the reference validator warns on others),
//! and every value from the message or probe file is bounded to the schema's limits here,
//! so a hostile input yields a shorter field, not an invalid document.

use super::compose::BuildError;
use super::evidence::{Conduct, Field};
use super::header_value;
use super::{text, ReportInput, Source};
use base64::Engine as _;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// The schema version the documents follow (`xarf_version`).
pub const XARF_VERSION: &str = "4.2.0";
/// Largest evidence item the schema admits (`evidence_item.size`, 5 MiB).
pub const MAX_EVIDENCE_BYTES: usize = 5 * 1024 * 1024;
/// `description` of the report (`maxLength` in xarf-core.json).
const MAX_DESCRIPTION: usize = 1000;
/// `org` of a contact and `message_id` of a spam report.
const MAX_NAME: usize = 200;
/// `subject` of a spam report.
const MAX_SUBJECT: usize = 500;
/// Latest instant RFC 3339 can write with a four-digit year (9999-12-31T23:59:59Z).
const LAST_RFC3339: i64 = 253_402_300_799;

/// RFC 3339 UTC, or `None` for an instant a four-digit year cannot hold (a hostile `Date:`).
fn rfc3339(unix: i64) -> Option<String> {
    (0..=LAST_RFC3339)
        .contains(&unix)
        .then(|| mail_parser::DateTime::from_timestamp(unix).to_rfc3339())
}

/// One line, no control characters, at most `max` characters (an ellipsis marks a cut).
fn bounded(s: &str, max: usize) -> String {
    let clean = s
        .chars()
        .take(max * 4)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if clean.chars().count() <= max {
        return clean;
    }
    clean.chars().take(max - 1).collect::<String>() + "…"
}

/// A UUID in version-4 layout (RFC 9562 §5.4) from a digest of what makes the report: the
/// same relay, time and original give the same id, so writing a report twice does not look
/// like two incidents to the desk.
fn report_id(input: &ReportInput<'_>) -> String {
    let mut h = Sha256::new();
    h.update(input.relay.to_string());
    h.update(input.now_unix.to_be_bytes());
    if let Source::Probe(p) = &input.source {
        h.update(p.transcript.as_bytes());
    }
    h.update(input.original.unwrap_or_default());
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex = hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Lower-case hex digits of `bytes`.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `reporter` and `sender` (`contact_info`): the configured organisation, else the domain
/// of the reporter's address (the schema requires an organisation name).
fn contact(input: &ReportInput<'_>) -> Result<Value, BuildError> {
    let r = input.reporter;
    let email = header_value::address(&r.email)?;
    let domain = email
        .rsplit_once('@')
        .and_then(|(_, d)| header_value::domain(d))
        .ok_or_else(|| header_value::AddressError::Invalid(r.email.clone()))?;
    let org = r
        .org
        .as_deref()
        .map(|o| bounded(o, MAX_NAME))
        .filter(|o| !o.is_empty())
        .unwrap_or_else(|| domain.clone());
    Ok(json!({ "org": org, "contact": email, "domain": domain }))
}

/// One `evidence_item`: base64 payload, its SHA-256 and size.
fn evidence_item(content_type: &str, description: &str, bytes: &[u8]) -> Value {
    json!({
        "content_type": content_type,
        "description": description,
        "payload": base64::engine::general_purpose::STANDARD.encode(bytes),
        "hash": format!("sha256:{}", hex(&Sha256::digest(bytes))),
        "size": bytes.len(),
    })
}

/// The original message; over the schema's 5 MiB item limit, its header block only
/// (`text/rfc822-headers`, as ARF allows for the same reason, RFC 5965 §2 (e)).
fn original_item(raw: &[u8]) -> Value {
    if raw.len() <= MAX_EVIDENCE_BYTES {
        return evidence_item("message/rfc822", "Original message, unmodified", raw);
    }
    let end = memchr::memmem::find(raw, b"\r\n\r\n")
        .map(|i| i + 4)
        .or_else(|| memchr::memmem::find(raw, b"\n\n").map(|i| i + 2))
        .unwrap_or(raw.len())
        .min(MAX_EVIDENCE_BYTES);
    evidence_item(
        "text/rfc822-headers",
        "Header block of the original message (the whole message exceeds the 5 MiB evidence limit)",
        &raw[..end],
    )
}

/// The report text, transcript or original cut to the evidence limit.
fn capped(bytes: &[u8]) -> &[u8] {
    &bytes[..bytes.len().min(MAX_EVIDENCE_BYTES)]
}

/// The receiving server named in the proving line (`by host`).
fn receiver(input: &ReportInput<'_>) -> String {
    input
        .evidence
        .proving
        .as_ref()
        .and_then(Field::receiver)
        .unwrap_or_else(|| "our mail server".into())
}

/// The schema's `description`: one sentence on what the host did.
fn description(input: &ReportInput<'_>) -> String {
    let ip = input.relay;
    let s = match (&input.source, &input.evidence.conduct) {
        (Source::Probe(p), _) => {
            let port = p.addr.map(|a| a.port()).unwrap_or(25);
            let how = if p.open_evidence.as_deref() == Some("proven") {
                "a test message sent through it was delivered"
            } else {
                "the outside recipient was accepted"
            };
            format!(
                "Open mail relay: {ip} port {port} accepted mail from an outside sender to an \
                 outside recipient without authentication ({how}). {}",
                p.detail
            )
        }
        (Source::Message, Conduct::OpenRelay { source }) => format!(
            "Open mail relay: {ip} relayed a message it had accepted from an unrelated outside \
             source{} to {} without authentication.",
            source.map(|s| format!(" ({s})")).unwrap_or_default(),
            receiver(input)
        ),
        (Source::Message, Conduct::AuthenticatedRelay { user }) => format!(
            "Probably compromised account: {ip} passed abusive mail for an authenticated \
             user{} to {}.",
            user.as_ref().map(|u| format!(" ({u})")).unwrap_or_default(),
            receiver(input)
        ),
        (Source::Message, Conduct::DirectSender) => format!(
            "Abusive mail: {ip} delivered the message directly to {}.",
            receiver(input)
        ),
    };
    bounded(&s, MAX_DESCRIPTION)
}

/// `tags` (`namespace:predicate`): what the host is, for the desk's routing rules.
fn tags(input: &ReportInput<'_>) -> Vec<&'static str> {
    match (&input.source, &input.evidence.conduct) {
        (Source::Probe(_), _) | (Source::Message, Conduct::OpenRelay { .. }) => {
            vec!["smtp:open-relay"]
        }
        (Source::Message, Conduct::AuthenticatedRelay { .. }) => vec!["smtp:compromised-account"],
        (Source::Message, Conduct::DirectSender) => Vec::new(),
    }
}

/// messaging/spam: `protocol` smtp requires `smtp_from` and `source_port`
/// (types/messaging-spam.json). The envelope sender is the `Return-Path:` or the proving
/// line's `envelope-from`; a message without a usable one cannot be written in this
/// shape, and none is made up.
fn spam_fields(input: &ReportInput<'_>, doc: &mut Map<String, Value>) -> Result<(), BuildError> {
    let ev = &input.evidence;
    let smtp_from = ev
        .mail_from
        .as_deref()
        .and_then(|m| header_value::address(m).ok())
        .ok_or_else(|| {
            BuildError::NoEnvelopeSender(match &ev.mail_from {
                Some(m) => format!("Return-Path <{}>", bounded(m, 80)),
                None => "no Return-Path, nor an envelope-from in the proving Received line".into(),
            })
        })?;
    // The client port when our server recorded it (`[192.0.2.1]:41234`); Received lines
    // rarely do, and then it is the SMTP port the relay serves, as in the schema's example.
    let port = ev
        .proving
        .as_ref()
        .and_then(|p| relayhunt_received::parse(&p.value).from.port)
        .filter(|p| *p > 0)
        .unwrap_or(25);
    doc.insert("source_port".into(), json!(port));
    doc.insert("category".into(), json!("messaging"));
    doc.insert("type".into(), json!("spam"));
    doc.insert("protocol".into(), json!("smtp"));
    doc.insert("smtp_from".into(), json!(smtp_from));
    if let Some(to) = ev
        .rcpt_to
        .as_deref()
        .and_then(|r| header_value::address(r).ok())
    {
        doc.insert("smtp_to".into(), json!(to));
    }
    if let Some(s) = ev
        .subject
        .as_deref()
        .map(|s| bounded(s, MAX_SUBJECT))
        .filter(|s| !s.is_empty())
    {
        doc.insert("subject".into(), json!(s));
    }
    // A Message-ID over the limit is dropped rather than cut: a cut one matches nothing.
    if let Some(id) = ev
        .message_id
        .as_deref()
        .map(header_value::text)
        .filter(|id| !id.is_empty() && id.chars().count() + 2 <= MAX_NAME)
    {
        doc.insert("message_id".into(), json!(format!("<{id}>")));
    }
    Ok(())
}

/// The XARF document, pretty-printed.
pub fn document(input: &ReportInput<'_>) -> Result<String, BuildError> {
    let contact = contact(input)?;
    let timestamp = input
        .incident_unix()
        .and_then(rfc3339)
        .or_else(|| rfc3339(input.now_unix))
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
    let mut doc = Map::new();
    doc.insert("xarf_version".into(), json!(XARF_VERSION));
    doc.insert("report_id".into(), json!(report_id(input)));
    doc.insert("timestamp".into(), json!(timestamp));
    doc.insert("reporter".into(), contact.clone());
    doc.insert("sender".into(), contact);
    doc.insert("source_identifier".into(), json!(input.relay.to_string()));
    let mut evidence = Vec::new();
    match &input.source {
        Source::Message => spam_fields(input, &mut doc)?,
        Source::Probe(p) => {
            if let Some(port) = p.addr.map(|a| a.port()).filter(|p| *p > 0) {
                doc.insert("source_port".into(), json!(port));
            }
            doc.insert("category".into(), json!("vulnerability"));
            doc.insert("type".into(), json!("open_service"));
            doc.insert("service".into(), json!("smtp"));
            doc.insert("evidence_source".into(), json!("vulnerability_scan"));
            evidence.push(evidence_item(
                "text/plain",
                "SMTP transcript of the relay test (C: our client, S: the server)",
                capped(p.transcript.as_bytes()),
            ));
        }
    }
    doc.insert("description".into(), json!(description(input)));
    let tags = tags(input);
    if !tags.is_empty() {
        doc.insert("tags".into(), json!(tags));
    }
    if let Some(raw) = input.original {
        evidence.push(original_item(raw));
    }
    evidence.push(evidence_item(
        "text/plain",
        "The report as the abuse desk reads it: the Received lines that show the relay, \
         and what we ask",
        capped(text::body(input).as_bytes()),
    ));
    doc.insert("evidence".into(), Value::Array(evidence));
    Ok(serde_json::to_string_pretty(&Value::Object(doc)).unwrap_or_default() + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_text_keeps_the_schema_limit_in_characters_not_bytes() {
        let s = bounded(&"Überweisung\r\n".repeat(100), 200);
        assert_eq!(s.chars().count(), 200);
        assert!(s.ends_with('…') && !s.contains('\n'));
        assert_eq!(bounded("short", 200), "short");
    }

    #[test]
    fn instants_past_a_four_digit_year_are_not_written() {
        assert_eq!(rfc3339(0).as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(
            rfc3339(LAST_RFC3339).as_deref(),
            Some("9999-12-31T23:59:59Z")
        );
        assert_eq!(rfc3339(LAST_RFC3339 + 1), None);
        assert_eq!(rfc3339(-1), None);
    }

    #[test]
    fn an_original_over_the_evidence_limit_is_reduced_to_its_headers() {
        let mut raw = b"Subject: big\r\nFrom: a@b.test\r\n\r\n".to_vec();
        raw.resize(MAX_EVIDENCE_BYTES + 10, b'x');
        let item = original_item(&raw);
        assert_eq!(item["content_type"], "text/rfc822-headers");
        assert_eq!(item["size"], 32);
        let small = original_item(b"Subject: s\r\n\r\nbody\r\n");
        assert_eq!(small["content_type"], "message/rfc822");
        assert_eq!(small["size"], 20);
    }
}
