//! The session transcript: every line sent and received, with timestamps, kept as evidence.
//!
//! Abuse desks ask for the exact dialogue, so the transcript records `C:` (client), `S:`
//! (server) and `*` (relayhunt's own notes: connects, TLS, timeouts) lines with the offset from
//! the start of the target in milliseconds. It is bounded (entries and line length) because a
//! hostile server decides how much it says.

use serde::{Deserialize, Serialize};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Most entries kept per target.
pub const MAX_ENTRIES: usize = 4000;
/// Longest line kept, in characters.
pub const MAX_LINE: usize = 1000;

/// Who produced a transcript line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    /// Sent by relayhunt.
    #[serde(rename = "C")]
    Client,
    /// Received from the server.
    #[serde(rename = "S")]
    Server,
    /// A note by relayhunt (connection events, TLS details, errors).
    #[serde(rename = "*")]
    Note,
}

/// One line of the transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Milliseconds since the start of the target.
    pub t_ms: u64,
    /// Who said it.
    pub dir: Direction,
    /// The line, without CRLF.
    pub line: String,
}

/// The transcript of one target.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Transcript {
    /// Wall-clock start, RFC 3339 UTC.
    pub started_at: String,
    /// The lines, in order.
    pub entries: Vec<Entry>,
    /// Whether lines were dropped after [`MAX_ENTRIES`].
    pub truncated: bool,
    #[serde(skip)]
    start: Option<Instant>,
}

impl Default for Transcript {
    fn default() -> Self {
        Self::new()
    }
}

impl Transcript {
    /// Start a transcript now.
    pub fn new() -> Self {
        Self {
            started_at: rfc3339_now(),
            entries: Vec::new(),
            truncated: false,
            start: Some(Instant::now()),
        }
    }

    /// Record a line.
    pub fn push(&mut self, dir: Direction, line: &str) {
        if self.entries.len() >= MAX_ENTRIES {
            self.truncated = true;
            return;
        }
        let start = *self.start.get_or_insert_with(Instant::now);
        let mut kept: String = line.chars().take(MAX_LINE).collect();
        if kept.len() < line.len() {
            kept.push('…');
        }
        let line = kept;
        self.entries.push(Entry {
            t_ms: start.elapsed().as_millis() as u64,
            dir,
            line,
        });
    }

    /// Record a note.
    pub fn note(&mut self, line: impl AsRef<str>) {
        self.push(Direction::Note, line.as_ref());
    }

    /// Milliseconds since the start.
    pub fn elapsed_ms(&self) -> u64 {
        self.start.map_or(0, |s| s.elapsed().as_millis() as u64)
    }

    /// Human-readable form, one `+ms C: line` per entry, as pasted into abuse reports.
    pub fn render(&self) -> String {
        let mut out = format!("# transcript started {}\n", self.started_at);
        for e in &self.entries {
            let tag = match e.dir {
                Direction::Client => "C:",
                Direction::Server => "S:",
                Direction::Note => "* ",
            };
            out.push_str(&format!("{:>7}ms {tag} {}\n", e.t_ms, e.line));
        }
        if self.truncated {
            out.push_str("# (transcript truncated)\n");
        }
        out
    }
}

/// The current time as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn rfc3339_now() -> String {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    rfc3339(d.as_secs() as i64, d.subsec_millis())
}

/// Format Unix seconds as RFC 3339 UTC (civil-from-days, H. Hinnant's algorithm).
pub fn rfc3339(secs: i64, millis: u32) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_known_dates() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400, 5), "2000-02-29T00:00:00.005Z");
        assert_eq!(rfc3339(1_795_434_246, 0), "2026-11-23T11:44:06.000Z");
    }

    #[test]
    fn bounded() {
        let mut t = Transcript::new();
        for _ in 0..MAX_ENTRIES + 10 {
            t.push(Direction::Server, &"x".repeat(5000));
        }
        assert_eq!(t.entries.len(), MAX_ENTRIES);
        assert!(t.truncated);
        assert!(t.entries[0].line.chars().count() <= MAX_LINE + 1);
    }
}
