//! XARF v4 JSON: the same report for abuse desks that take structured input.
//!
//! A message relayed through the host is reported as class `Messaging`, type `Spam` with
//! the original as a base64 `message/rfc822` sample; a probe finding as class
//! `Vulnerability`, type `Open`, service `smtp`, with the transcript as a `text/plain`
//! sample.

use super::header_value::{self, AddressError};
use super::{text, ReportInput, Source};
use base64::Engine as _;
use serde_json::{json, Map, Value};

fn rfc3339(unix: i64) -> String {
    mail_parser::DateTime::from_timestamp(unix).to_rfc3339()
}

/// The XARF document, pretty-printed.
pub fn document(input: &ReportInput<'_>) -> Result<String, AddressError> {
    let r = input.reporter;
    let email = header_value::address(&r.email)?;
    let mut reporter = Map::new();
    if let Some(o) = &r.org {
        reporter.insert("ReporterOrg".into(), json!(o));
    }
    if let Some((_, d)) = email.rsplit_once('@') {
        reporter.insert("ReporterOrgDomain".into(), json!(d));
    }
    reporter.insert("ReporterOrgEmail".into(), json!(email));
    reporter.insert("ReporterContactEmail".into(), json!(email));
    if let Some(n) = &r.name {
        reporter.insert("ReporterContactName".into(), json!(n));
    }
    let ev = &input.evidence;
    let mut report = Map::new();
    let mut samples = Vec::new();
    match &input.source {
        Source::Message => {
            report.insert("ReportClass".into(), json!("Messaging"));
            report.insert("ReportType".into(), json!("Spam"));
            report.insert(
                "Date".into(),
                json!(rfc3339(ev.when_unix.unwrap_or(input.now_unix))),
            );
            report.insert("SourceIp".into(), json!(input.relay.to_string()));
            if let Some(m) = &ev.mail_from {
                report.insert("SmtpMailFromAddress".into(), json!(m));
            }
            if let Some(m) = &ev.rcpt_to {
                report.insert("SmtpRcptToAddress".into(), json!(m));
            }
            if let Some(s) = &ev.subject {
                report.insert("SmtpMessageSubject".into(), json!(s));
            }
        }
        Source::Probe(p) => {
            report.insert("ReportClass".into(), json!("Vulnerability"));
            report.insert("ReportType".into(), json!("Open"));
            report.insert("Service".into(), json!("smtp"));
            let when = p
                .started_at
                .as_deref()
                .and_then(crate::rdap::extract::rfc3339_unix)
                .unwrap_or(input.now_unix);
            report.insert("Date".into(), json!(rfc3339(when)));
            report.insert("SourceIp".into(), json!(input.relay.to_string()));
            if let Some(a) = p.addr {
                report.insert("SourcePort".into(), json!(a.port()));
            }
            samples.push(json!({
                "ContentType": "text/plain",
                "Base64Encoded": false,
                "Description": "SMTP transcript of the relay test",
                "Payload": p.transcript,
            }));
        }
    }
    if let Some(raw) = input.original {
        samples.push(json!({
            "ContentType": "message/rfc822",
            "Base64Encoded": true,
            "Description": "Original message, unmodified",
            "Payload": base64::engine::general_purpose::STANDARD.encode(raw),
        }));
    }
    if !samples.is_empty() {
        report.insert("Samples".into(), Value::Array(samples));
    }
    report.insert("AdditionalComments".into(), json!(text::body(input)));
    let doc = json!({
        "Version": "2",
        "ReporterInfo": reporter,
        "Disclosure": true,
        "Report": report,
    });
    Ok(serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n")
}
