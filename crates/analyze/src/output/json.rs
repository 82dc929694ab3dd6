//! The JSON document for one outcome: source location plus the engine's `Report`, or the
//! error. Shape documented in `docs/analyze-json.md`; `schema_version` says which.
//!
//! Compact documents (NDJSON lines) are written by [`super::compact`], our own serde
//! serializer: it writes serde_json's bytes exactly, and renders a report in fewer
//! instructions than sonic-rs (the writer before it) or serde_json (figures in
//! BENCHMARKS.md) because it appends
//! to a `Vec<u8>` directly, scans strings 32 bytes per step and writes the report by
//! hand ([`compact::Json`]: ready field names, no serde walk) after `source`, without
//! `#[serde(flatten)]`, which would make the document a map with every field name escaped
//! as a key. Pretty documents are written by serde_json.
//! [`write_line_using`] can pick serde_json (the reference) for compact documents: the
//! tests check both write the same lines.

use super::compact;
use crate::batch::{Analyzed, Outcome};
use crate::input::Location;
use crate::report::{Report, SCHEMA_VERSION};
use serde::Serialize;
use std::io;

/// One analysed message: `{"source": …, <Report fields>}`. [`compact_report`] writes the
/// same members in the same order without the derive.
#[derive(Serialize)]
struct ReportDoc<'a> {
    source: &'a Location,
    #[serde(flatten)]
    report: &'a Report,
    /// Present with `--owner` only.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    owners: &'a [crate::owner::OwnerNote],
    /// Present with `--verify` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    verification: Option<&'a serde_json::Value>,
}

/// One failure: `{"schema_version": …, "source": …, "error": {kind, message}}`.
#[derive(Serialize)]
struct ErrorDoc<'a> {
    schema_version: &'static str,
    source: &'a Location,
    error: ErrorBody,
}

#[derive(Serialize)]
struct ErrorBody {
    kind: &'static str,
    message: String,
}

/// Which library writes a compact document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    /// [`super::compact`]: the default.
    Compact,
    /// serde_json: the reference.
    SerdeJson,
}

/// The compact JSON document of one analysed message, as `--format ndjson` prints it.
pub fn analyzed(a: &crate::batch::Analyzed) -> io::Result<String> {
    serde_json::to_string(&ReportDoc {
        source: &a.location,
        report: &a.report,
        owners: &a.owners,
        verification: a.verification.as_ref().map(|v| &v.section),
    })
    .map_err(io::Error::other)
}

/// Serialise an outcome; `pretty` for the indented form.
pub fn to_string(outcome: &Outcome, pretty: bool) -> io::Result<String> {
    let mut out = Vec::new();
    write(&mut out, outcome, pretty)?;
    String::from_utf8(out).map_err(io::Error::other)
}

/// Run `$body` with `$doc` bound to the document of `$outcome` (a report or an error; the
/// two are different types, so this is a macro rather than a function).
macro_rules! with_doc {
    ($outcome:expr, |$doc:ident| $body:expr) => {
        match $outcome {
            Outcome::Analyzed(a) => {
                let $doc = &ReportDoc {
                    source: &a.location,
                    report: &a.report,
                    owners: &a.owners,
                    verification: a.verification.as_ref().map(|v| &v.section),
                };
                $body
            }
            Outcome::Failed(f) => {
                let $doc = &ErrorDoc {
                    schema_version: SCHEMA_VERSION,
                    source: f.location(),
                    error: ErrorBody {
                        kind: f.kind(),
                        message: f.reason(),
                    },
                };
                $body
            }
        }
    };
}

/// Append an outcome's document to `out`; `pretty` for the indented form.
pub fn write(out: &mut Vec<u8>, outcome: &Outcome, pretty: bool) -> io::Result<()> {
    if pretty {
        with_doc!(outcome, |doc| serde_json::to_writer_pretty(&mut *out, doc)
            .map_err(io::Error::other))
    } else {
        write_compact(out, outcome, Writer::Compact)
    }
}

fn write_compact(out: &mut Vec<u8>, outcome: &Outcome, writer: Writer) -> io::Result<()> {
    match writer {
        Writer::Compact => match outcome {
            Outcome::Analyzed(a) => compact_report(out, a),
            Outcome::Failed(_) => with_doc!(outcome, |doc| compact::write(out, doc)),
        }
        .map_err(io::Error::other),
        Writer::SerdeJson => {
            with_doc!(outcome, |doc| serde_json::to_writer(&mut *out, doc)
                .map_err(io::Error::other))
        }
    }
}

/// [`ReportDoc`] by [`compact`]'s hand-written writer ([`compact::Json`]): `source`, then
/// the report's fields continuing the same object, then `owners` and `verification` (by the
/// serializer) when present.
fn compact_report(out: &mut Vec<u8>, a: &Analyzed) -> Result<(), compact::Error> {
    use compact::Json;
    out.extend_from_slice(b"{\"source\":");
    a.location.write_json(out);
    compact::write_report_fields(out, &a.report);
    if !a.owners.is_empty() {
        out.extend_from_slice(b",\"owners\":");
        compact::write(out, &a.owners)?;
    }
    if let Some(v) = &a.verification {
        out.extend_from_slice(b",\"verification\":");
        compact::write(out, &v.section)?;
    }
    out.push(b'}');
    Ok(())
}

/// Append an outcome's NDJSON line (document and `\n`) to `out`.
pub fn write_line(out: &mut Vec<u8>, outcome: &Outcome) -> io::Result<()> {
    write_line_using(out, outcome, Writer::Compact)
}

/// [`write_line`] with the given library.
pub fn write_line_using(out: &mut Vec<u8>, outcome: &Outcome, writer: Writer) -> io::Result<()> {
    write_compact(out, outcome, writer)?;
    out.push(b'\n');
    Ok(())
}

thread_local! {
    /// Per-thread scratch for [`render_line`]: grows to the longest line once, then serves
    /// every message rendered on that thread.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// An outcome's NDJSON line as an exact-size buffer, rendered in per-thread scratch space
/// (the analysis workers call this, so rendering runs in parallel).
pub fn render_line(outcome: &Outcome) -> io::Result<Box<[u8]>> {
    SCRATCH.with(|scratch| {
        let mut buf = scratch.borrow_mut();
        buf.clear();
        write_line(&mut buf, outcome)?;
        Ok(Box::from(&buf[..]))
    })
}
