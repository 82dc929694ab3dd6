//! Rendering outcomes: human text (default), JSON documents, or NDJSON lines.
//!
//! The printer streams: each outcome is written as soon as it arrives, so a batch never
//! holds more than one document. JSON and NDJSON go through a 64 KiB buffer (one write per
//! many lines, not one per line), flushed by [`Printer::finish`]; an NDJSON line the
//! analysis worker already rendered ([`crate::batch::Analyzed::line`]) is copied as is. `--json` prints a single pretty document when the run
//! produced exactly one outcome and a JSON array otherwise; to decide without buffering the
//! batch, the first document is held back until the second arrives (or the run ends).

pub mod compact;
pub mod human;
pub mod json;
pub mod summary;

use crate::batch::{Outcome, Rendered, Summary};
use std::io::{self, BufWriter, Write};

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Readable report per message, then a summary.
    Human,
    /// Pretty JSON: one document for one message, an array for several.
    Json,
    /// One compact JSON document per line, streaming.
    Ndjson,
}

/// Writes outcomes to a stream in one format.
pub struct Printer<W: Write> {
    out: BufWriter<W>,
    /// Reused for each document.
    doc: Vec<u8>,
    format: Format,
    color: bool,
    written: usize,
    held: Option<String>,
}

impl<W: Write> Printer<W> {
    /// A printer writing `format` to `out`; `color` enables ANSI colours (human only).
    pub fn new(out: W, format: Format, color: bool) -> Self {
        Printer {
            out: BufWriter::with_capacity(64 * 1024, out),
            doc: Vec::new(),
            format,
            color,
            written: 0,
            held: None,
        }
    }

    /// Write one outcome. Failures are written in the JSON formats only; in human format
    /// the caller reports them on stderr.
    pub fn outcome(&mut self, outcome: &Outcome) -> io::Result<()> {
        match self.format {
            Format::Human => {
                if let Outcome::Analyzed(a) = outcome {
                    if self.written > 0 {
                        writeln!(self.out)?;
                    }
                    self.out
                        .write_all(human::render(&a.location, &a.report, self.color).as_bytes())?;
                    self.out.write_all(human::owners(&a.owners).as_bytes())?;
                    if let Some(v) = &a.verification {
                        self.out.write_all(human::verification(v).as_bytes())?;
                    }
                    // People read this as it comes: no holding back in the buffer.
                    self.out.flush()?;
                    self.written += 1;
                }
            }
            Format::Ndjson => {
                match outcome {
                    // Rendered by the worker before any owners were added.
                    Outcome::Analyzed(a) if a.owners.is_empty() && a.line.is_some() => {
                        self.out.write_all(a.line.as_deref().unwrap_or_default())?
                    }
                    _ => {
                        self.doc.clear();
                        json::write_line(&mut self.doc, outcome)?;
                        self.out.write_all(&self.doc)?;
                    }
                }
                self.written += 1;
            }
            Format::Json => {
                let doc = json::to_string(outcome, true)?;
                match self.written {
                    0 => self.held = Some(doc),
                    1 => {
                        let first = self.held.take().unwrap_or_default();
                        write!(self.out, "[\n{}", indent(&first))?;
                        write!(self.out, ",\n{}", indent(&doc))?;
                    }
                    _ => write!(self.out, ",\n{}", indent(&doc))?,
                }
                self.written += 1;
            }
        }
        Ok(())
    }

    /// Write one item of [`crate::batch::run_rendered`]: a line as the worker rendered it
    /// (NDJSON only), anything else as [`Printer::outcome`] writes it.
    pub fn rendered(&mut self, item: &Rendered) -> io::Result<()> {
        match item {
            Rendered::Line(l) if self.format == Format::Ndjson => {
                self.out.write_all(&l.line)?;
                self.written += 1;
                Ok(())
            }
            Rendered::Line(_) => Err(io::Error::other(
                "a rendered NDJSON line can only be written in the NDJSON format",
            )),
            Rendered::Outcome(o) => self.outcome(o),
        }
    }

    /// Close the output: end the JSON array, or print the summary (human, several messages
    /// or any failure).
    pub fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        match self.format {
            Format::Json => match self.written {
                0 => writeln!(self.out, "[]")?,
                1 => writeln!(self.out, "{}", self.held.take().unwrap_or_default())?,
                _ => writeln!(self.out, "\n]")?,
            },
            Format::Ndjson => {}
            Format::Human => {
                if summary.messages + summary.errors > 1 || summary.errors > 0 {
                    if self.written > 0 {
                        writeln!(self.out)?;
                    }
                    self.out
                        .write_all(summary::render(summary, self.color).as_bytes())?;
                }
            }
        }
        self.out.flush()
    }
}

fn indent(doc: &str) -> String {
    let mut s = String::with_capacity(doc.len() + doc.len() / 8);
    for (i, line) in doc.lines().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        s.push_str("  ");
        s.push_str(line);
    }
    s
}
