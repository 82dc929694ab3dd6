//! The ledger: an NDJSON file with one line per canary token that arrived at the sink.
//!
//! A plain append-only file is the simplest thing both sides can share: the sink appends, the
//! probe (`--wait-canary FILE`) polls it, and an operator can `grep` it. Lines that do not
//! parse are skipped, so a half-written last line is harmless.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::{BufRead, Read, Write};
use std::path::Path;
use std::time::Duration;

/// Longest ledger line read back (bytes).
const MAX_LINE: usize = 64 * 1024;

/// One token seen in a message received by the sink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arrival {
    /// The token.
    pub token: String,
    /// When the message was received, RFC 3339 UTC.
    pub received_at: String,
    /// The address that delivered it: the relay's outbound address.
    pub peer: String,
    /// Envelope sender as given to the sink.
    pub mail_from: String,
    /// Envelope recipients as given to the sink.
    pub rcpt_to: Vec<String>,
    /// Subject header, if any.
    pub subject: Option<String>,
    /// Message size in bytes.
    pub size: usize,
    /// The message's Received headers, top first: the relay path as the relay wrote it.
    pub received: Vec<String>,
}

/// Append one arrival to the ledger, creating it if needed.
pub fn append(path: &Path, arrival: &Arrival) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(arrival).map_err(std::io::Error::other)?;
    line.push(b'\n');
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    f.write_all(&line)
}

/// Read all arrivals; a missing file is an empty ledger.
pub fn read(path: &Path) -> std::io::Result<Vec<Arrival>> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    let mut reader = std::io::BufReader::new(file);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        if buf.len() > MAX_LINE && !buf.ends_with(b"\n") {
            // Skip the rest of an oversized line.
            let mut sink = Vec::new();
            reader.read_until(b'\n', &mut sink)?;
            continue;
        }
        if let Ok(a) = serde_json::from_slice::<Arrival>(&buf) {
            out.push(a);
        }
    }
    Ok(out)
}

/// Poll the ledger until every token in `tokens` arrived or `wait` elapsed; returns those
/// that arrived.
pub async fn wait_for(
    path: &Path,
    tokens: &[String],
    wait: Duration,
) -> std::io::Result<HashMap<String, Arrival>> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let found: HashMap<String, Arrival> = read(path)?
            .into_iter()
            .filter(|a| tokens.contains(&a.token))
            .map(|a| (a.token.clone(), a))
            .collect();
        if found.len() >= tokens.len() || tokio::time::Instant::now() >= deadline {
            return Ok(found);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_then_read_skips_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.ndjson");
        let a = Arrival {
            token: "RH-CANARY-00000000000000000001".into(),
            received_at: "2026-11-23T12:00:00.000Z".into(),
            peer: "127.0.0.1:40000".into(),
            mail_from: "a@b.example".into(),
            rcpt_to: vec!["c@d.example".into()],
            subject: Some("x".into()),
            size: 10,
            received: vec![],
        };
        append(&path, &a).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{not json\n")
            .unwrap();
        append(&path, &a).unwrap();
        let mut s = String::new();
        std::fs::File::open(&path)
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        assert_eq!(s.lines().count(), 3);
        assert_eq!(read(&path).unwrap(), vec![a.clone(), a]);
    }
}
