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
    let result = match outcome {
        Outcome::Analyzed(a) => {
            let doc = ReportDoc {
                source: &a.location,
                report: &a.report,
                owners: &a.owners,
            };
            if pretty {
                serde_json::to_string_pretty(&doc)
            } else {
                serde_json::to_string(&doc)
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
                serde_json::to_string_pretty(&doc)
            } else {
                serde_json::to_string(&doc)
            }
        }
    };
    result.map_err(io::Error::other)
}
