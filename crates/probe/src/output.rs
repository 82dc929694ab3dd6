//! Writing results as they arrive: human lines, NDJSON, CSV or one JSON document, plus the
//! end-of-scan summary.
//!
//! Every format streams (JSON writes its array element by element), so output memory does not
//! grow with the number of targets.

use crate::result::{OpenEvidence, TargetResult};
use crate::scan::ScanSummary;
use std::io::Write;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per target; transcripts with `--transcripts`.
    Human,
    /// One JSON `TargetResult` per line.
    Ndjson,
    /// `{"results": [...], "summary": {...}}`.
    Json,
    /// One CSV row per target (no transcript).
    Csv,
}

/// A streaming result writer.
pub struct ResultWriter {
    format: Format,
    out: Box<dyn Write + Send>,
    transcripts: bool,
    count: usize,
}

impl ResultWriter {
    /// Start writing (headers for CSV, the opening of the JSON document).
    pub fn new(
        format: Format,
        mut out: Box<dyn Write + Send>,
        transcripts: bool,
    ) -> std::io::Result<Self> {
        match format {
            Format::Csv => writeln!(
                out,
                "target,addr,verdict,evidence,accepted_tests,tests_answered,reconnects,tls,duration_ms,detail"
            )?,
            Format::Json => write!(out, "{{\"results\":[")?,
            Format::Human | Format::Ndjson => {}
        }
        Ok(Self {
            format,
            out,
            transcripts,
            count: 0,
        })
    }

    /// Write one result.
    pub fn result(&mut self, r: &TargetResult) -> std::io::Result<()> {
        let out = &mut self.out;
        match self.format {
            Format::Ndjson => {
                serde_json::to_writer(&mut *out, r).map_err(std::io::Error::other)?;
                writeln!(out)?;
            }
            Format::Json => {
                if self.count > 0 {
                    write!(out, ",")?;
                }
                serde_json::to_writer(&mut *out, r).map_err(std::io::Error::other)?;
            }
            Format::Csv => {
                let row = [
                    r.target.clone(),
                    r.addr.to_string(),
                    r.verdict.label().to_string(),
                    evidence(r).to_string(),
                    r.accepted_tests.join(" "),
                    r.tests_run().to_string(),
                    r.reconnects.to_string(),
                    r.tls
                        .as_ref()
                        .and_then(|t| t.version.clone())
                        .unwrap_or_default(),
                    r.duration_ms.to_string(),
                    r.detail.clone(),
                ];
                let row: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
                writeln!(out, "{}", row.join(","))?;
            }
            Format::Human => {
                let verdict = match r.open_evidence {
                    Some(e) => format!(
                        "{} ({})",
                        r.verdict,
                        match e {
                            OpenEvidence::Proven => "proven",
                            OpenEvidence::Accepted => "accepted",
                        }
                    ),
                    None => r.verdict.to_string(),
                };
                writeln!(
                    out,
                    "{:<28} {:<22} {} [{} tests, {} ms]",
                    r.target,
                    verdict,
                    r.detail,
                    r.tests_run(),
                    r.duration_ms
                )?;
                if self.transcripts {
                    write!(out, "{}", r.transcript.render())?;
                    writeln!(out)?;
                }
            }
        }
        self.count += 1;
        out.flush()
    }

    /// Write a line for a target that could not be expanded (human format only; the other
    /// formats keep their schema and the failure goes to stderr).
    pub fn failure(&mut self, target: &str, reason: &str) -> std::io::Result<()> {
        if self.format == Format::Human {
            writeln!(self.out, "{target:<28} {:<22} {reason}", "ERROR")?;
        }
        Ok(())
    }

    /// Finish the document.
    pub fn finish(mut self, summary: &ScanSummary) -> std::io::Result<()> {
        if self.format == Format::Json {
            write!(self.out, "],\"summary\":")?;
            serde_json::to_writer(&mut self.out, summary).map_err(std::io::Error::other)?;
            writeln!(self.out, "}}")?;
        }
        self.out.flush()
    }
}

fn evidence(r: &TargetResult) -> &'static str {
    match r.open_evidence {
        Some(OpenEvidence::Proven) => "proven",
        Some(OpenEvidence::Accepted) => "accepted",
        None => "",
    }
}

/// RFC 4180 quoting.
fn csv_field(f: &str) -> String {
    if f.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f.to_string()
    }
}

/// The summary as printed on stderr.
pub fn summary_line(s: &ScanSummary) -> String {
    let verdicts: Vec<String> = s
        .by_verdict
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    format!(
        "{} target(s) in {:.1} s ({:.1} targets/s, {:.1} tests/s){}: {}",
        s.targets,
        s.elapsed_ms as f64 / 1000.0,
        s.targets_per_sec(),
        s.tests_per_sec(),
        if s.failed > 0 {
            format!(", {} not resolvable", s.failed)
        } else {
            String::new()
        },
        if verdicts.is_empty() {
            "nothing probed".to_string()
        } else {
            verdicts.join(", ")
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
