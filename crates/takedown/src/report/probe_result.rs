//! Reading a `relayhunt probe --json` result so a report can carry the SMTP transcript.
//!
//! Read loosely from JSON (`{"results": […]}` as `probe --json` writes it, one object per
//! line as `--ndjson` does, a bare object or array) by field name, so a
//! report can be written from any probe result version that keeps the documented fields
//! (`target`, `addr`, `verdict`, `detail`, `accepted_tests`, `transcript.entries`).

use serde_json::Value;
use std::net::{IpAddr, SocketAddr};

/// The part of a probe result a report needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeEvidence {
    pub target: String,
    pub addr: Option<SocketAddr>,
    pub verdict: String,
    pub open_evidence: Option<String>,
    pub detail: String,
    pub accepted_tests: Vec<String>,
    /// RFC 3339 start of the session.
    pub started_at: Option<String>,
    /// Transcript lines rendered `+   12ms C: RCPT TO:<…>`.
    pub transcript: String,
}

/// Why a probe result file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProbeResultError {
    #[error("probe result is not JSON: {0}")]
    NotJson(String),
    #[error("probe result holds no target{}", .0.map(|ip| format!(" for {ip}")).unwrap_or_default())]
    NoTarget(Option<IpAddr>),
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

fn one(v: &Value) -> Option<ProbeEvidence> {
    let target = s(v, "target")?;
    let mut transcript = String::new();
    let t = v.get("transcript");
    for e in t
        .and_then(|t| t.get("entries"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .take(10_000)
    {
        let ms = e.get("t_ms").and_then(Value::as_u64).unwrap_or(0);
        let dir = s(e, "dir").unwrap_or_else(|| "*".into());
        let line: String = s(e, "line")
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_control() || *c == '\t')
            .collect();
        transcript.push_str(&format!("+{ms:>6}ms {dir}: {line}\n"));
    }
    if t.and_then(|t| t.get("truncated")).and_then(Value::as_bool) == Some(true) {
        transcript.push_str("(transcript truncated by the probe)\n");
    }
    Some(ProbeEvidence {
        addr: s(v, "addr").and_then(|a| a.parse().ok()),
        verdict: s(v, "verdict").unwrap_or_default(),
        open_evidence: s(v, "open_evidence"),
        detail: s(v, "detail").unwrap_or_default(),
        accepted_tests: v
            .get("accepted_tests")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        started_at: t.and_then(|t| s(t, "started_at")),
        target,
        transcript,
    })
}

/// Read a probe result; with `relay`, pick the target at that address, else the first
/// OPEN one, else the first.
pub fn read(text: &str, relay: Option<IpAddr>) -> Result<ProbeEvidence, ProbeResultError> {
    let docs: Vec<Value> = match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(a)) => a,
        Ok(v @ Value::Object(_)) => match v.get("results").and_then(Value::as_array) {
            Some(a) => a.clone(),
            None => vec![v],
        },
        Ok(_) => {
            return Err(ProbeResultError::NotJson(
                "expected an object or array".into(),
            ))
        }
        Err(e) => {
            let lines: Result<Vec<Value>, _> = text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(serde_json::from_str)
                .collect();
            lines.map_err(|_| ProbeResultError::NotJson(e.to_string()))?
        }
    };
    let all: Vec<ProbeEvidence> = docs.iter().filter_map(one).collect();
    let pick = match relay {
        Some(ip) => all.into_iter().find(|p| p.addr.map(|a| a.ip()) == Some(ip)),
        None => {
            let open = all.iter().position(|p| p.verdict == "OPEN");
            open.map(|i| all[i].clone())
                .or_else(|| all.into_iter().next())
        }
    };
    pick.ok_or(ProbeResultError::NoTarget(relay))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPEN: &str = r#"{"target":"a:25","addr":"198.51.100.25:25","verdict":"OPEN","transcript":{"entries":[{"t_ms":5,"dir":"C","line":"RCPT TO:<x@y.test>\r\nDATA"}]}}"#;
    const CLOSED: &str = r#"{"target":"b:25","addr":"192.0.2.80:25","verdict":"CLOSED"}"#;

    #[test]
    fn ndjson_picks_the_open_target_or_the_named_one_and_flattens_control_characters() {
        let nd = format!("{CLOSED}\n{OPEN}\n");
        let p = read(&nd, None).unwrap();
        assert_eq!(p.verdict, "OPEN");
        assert_eq!(p.transcript, "+     5ms C: RCPT TO:<x@y.test>DATA\n");
        let p = read(&nd, Some("192.0.2.80".parse().unwrap())).unwrap();
        assert_eq!(p.target, "b:25");
        assert_eq!(
            read(&nd, Some("203.0.113.1".parse().unwrap())),
            Err(ProbeResultError::NoTarget(Some(
                "203.0.113.1".parse().unwrap()
            )))
        );
        assert!(matches!(
            read("not json at all", None),
            Err(ProbeResultError::NotJson(_))
        ));
    }
}
