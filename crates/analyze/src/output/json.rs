//! The JSON document for one outcome: source location plus the engine's `Report`, or the
//! error. Shape documented in `docs/analyze-json.md`; `schema_version` says which.

use crate::batch::Outcome;
use crate::input::Location;
use crate::report::{Report, SCHEMA_VERSION};
use serde::Serialize;
use std::io;

/// One analysed message: `{"source": …, <Report fields>}`.
#[derive(Serialize)]
struct ReportDoc<'a> {
    source: &'a Location,
    #[serde(flatten)]
    report: &'a Report,
    /// Present with `--owner` only.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    owners: &'a [crate::owner::OwnerNote],
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

/// Serialise an outcome; `pretty` for the indented form.
pub fn to_string(outcome: &Outcome, pretty: bool) -> io::Result<String> {
    let mut out = Vec::new();
    write(&mut out, outcome, pretty)?;
    String::from_utf8(out).map_err(io::Error::other)
}

/// Append an outcome's document to `out`; `pretty` for the indented form.
pub fn write(out: &mut Vec<u8>, outcome: &Outcome, pretty: bool) -> io::Result<()> {
    let result = match outcome {
        Outcome::Analyzed(a) => {
            let doc = ReportDoc {
                source: &a.location,
                report: &a.report,
                owners: &a.owners,
            };
            if pretty {
                serde_json::to_writer_pretty(out, &doc)
            } else {
                serde_json::to_writer(out, &doc)
            }
        }
        Outcome::Failed(f) => {
            let doc = ErrorDoc {
                schema_version: SCHEMA_VERSION,
                source: f.location(),
                error: ErrorBody {
                    kind: f.kind(),
                    message: f.reason(),
                },
            };
            if pretty {
                serde_json::to_writer_pretty(out, &doc)
            } else {
                serde_json::to_writer(out, &doc)
            }
        }
    };
    result.map_err(io::Error::other)
}

/// Append an outcome's NDJSON line (document and `\n`) to `out`.
pub fn write_line(out: &mut Vec<u8>, outcome: &Outcome) -> io::Result<()> {
    write(out, outcome, false)?;
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
