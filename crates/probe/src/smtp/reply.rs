//! SMTP replies: a bounded, sans-I/O parser and the classification the verdict works from.
//!
//! Servers under test are hostile by assumption, so the parser enforces its own caps (line
//! length, lines per reply, bytes per reply) and rejects anything that is not `DDD[ -]text`
//! (RFC 5321 §4.2). It never allocates more than the caps, whatever the peer sends.

use serde::{Deserialize, Serialize};

/// Bounds on what one reply may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyLimits {
    /// Longest line accepted, CRLF included (RFC 5321 §4.5.3.1.5 says 512; servers exceed it).
    pub max_line: usize,
    /// Most lines in one multi-line reply.
    pub max_lines: usize,
    /// Most bytes in one reply.
    pub max_bytes: usize,
}

impl Default for ReplyLimits {
    fn default() -> Self {
        Self {
            max_line: 2048,
            max_lines: 128,
            max_bytes: 64 * 1024,
        }
    }
}

/// A complete SMTP reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    /// The three-digit code.
    pub code: u16,
    /// The text of each line, without code, separator and CRLF.
    pub lines: Vec<String>,
}

impl Reply {
    /// The first word of the first line: the name a server gives itself in its banner and in
    /// its EHLO/HELO reply (RFC 5321 §4.2).
    pub fn first_word(&self) -> Option<String> {
        self.lines
            .first()
            .and_then(|l| l.split_whitespace().next())
            .map(str::to_string)
    }

    /// The RFC 3463 enhanced status code of the first line (`5.7.1`), if present.
    pub fn enhanced_status(&self) -> Option<&str> {
        let first = self.lines.first()?;
        let word = first.split_whitespace().next()?;
        let mut parts = word.split('.');
        let ok = parts.next().is_some_and(|c| matches!(c, "2" | "4" | "5"))
            && parts.clone().count() == 2
            && parts
                .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()));
        ok.then_some(word)
    }

    /// All lines joined with a space, for messages.
    pub fn text(&self) -> String {
        self.lines.join(" ")
    }

    /// How this reply answers the command it follows.
    pub fn class(&self) -> ReplyClass {
        classify(self)
    }
}

impl std::fmt::Display for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.text())
    }
}

/// The meaning of a reply for relay testing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReplyClass {
    /// 2xx (and 3xx after DATA): the command was accepted.
    Accepted,
    /// 4xx other than 421: try again later (greylisting, rate limits).
    TempFailed,
    /// 5xx other than authentication: refused.
    Rejected,
    /// 530, 535, 538 or enhanced code 5.7.0/5.7.8/5.7.11 mentioning authentication:
    /// relaying needs a login (RFC 4954 §6).
    AuthRequired,
    /// 421: the server is closing the session (RFC 5321 §3.8).
    Closing,
}

/// Classify a reply (RFC 5321 §4.2.1 first digit, RFC 4954 §6 auth codes).
pub fn classify(reply: &Reply) -> ReplyClass {
    let code = reply.code;
    if code == 421 {
        return ReplyClass::Closing;
    }
    if matches!(code, 530 | 535 | 538) {
        return ReplyClass::AuthRequired;
    }
    if code / 100 == 5 {
        let enhanced_auth = matches!(reply.enhanced_status(), Some("5.7.0" | "5.7.8" | "5.7.11"));
        let text = reply.text().to_ascii_lowercase();
        if enhanced_auth && text.contains("auth") {
            return ReplyClass::AuthRequired;
        }
        return ReplyClass::Rejected;
    }
    match code / 100 {
        2 | 3 => ReplyClass::Accepted,
        4 => ReplyClass::TempFailed,
        _ => ReplyClass::Rejected,
    }
}

/// Why bytes from the server are not a valid reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// A line grew past the limit without a line end (an "endless line").
    #[error("reply line longer than {limit} bytes without a line end")]
    LineTooLong {
        /// The limit that was hit.
        limit: usize,
    },
    /// A multi-line reply went on past the line limit.
    #[error("multi-line reply longer than {limit} lines")]
    TooManyLines {
        /// The limit that was hit.
        limit: usize,
    },
    /// A reply grew past the byte limit.
    #[error("reply larger than {limit} bytes")]
    TooLarge {
        /// The limit that was hit.
        limit: usize,
    },
    /// A line does not start with a three-digit code in 200..=599 followed by ' ', '-' or end.
    #[error("malformed reply line {line:?}: expected a code 200-599 then ' ' or '-'")]
    BadLine {
        /// The offending line (lossily decoded, cut to 200 chars).
        line: String,
    },
    /// A continuation line carries another code than the first line.
    #[error("multi-line reply switched code from {first} to {then}")]
    CodeChanged {
        /// Code of the first line.
        first: u16,
        /// Code of the offending line.
        then: u16,
    },
}

/// Incremental reply parser: feed bytes as they arrive, take complete replies out.
#[derive(Debug)]
pub struct ReplyParser {
    limits: ReplyLimits,
    buf: Vec<u8>,
    lines: Vec<String>,
    code: Option<u16>,
    reply_bytes: usize,
}

impl ReplyParser {
    /// A parser with the given limits.
    pub fn new(limits: ReplyLimits) -> Self {
        Self {
            limits,
            buf: Vec::new(),
            lines: Vec::new(),
            code: None,
            reply_bytes: 0,
        }
    }

    /// How many more bytes the parser will take before it must make progress; callers read at
    /// most this much (never 0 while a reply is incomplete).
    pub fn room(&self) -> usize {
        (self.limits.max_line + 1)
            .saturating_sub(self.buf.len())
            .max(1)
    }

    /// Append received bytes.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received after the last complete reply (pipelined or unsolicited data).
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// Drop any buffered bytes (after a TLS upgrade: RFC 3207 §5 says to discard them).
    pub fn clear(&mut self) {
        self.buf.clear();
        self.lines.clear();
        self.code = None;
        self.reply_bytes = 0;
    }

    /// The next complete reply, `Ok(None)` if more bytes are needed.
    pub fn next_reply(&mut self) -> Result<Option<Reply>, ReplyError> {
        loop {
            let Some(nl) = self.buf.iter().position(|&b| b == b'\n') else {
                if self.buf.len() > self.limits.max_line {
                    return Err(ReplyError::LineTooLong {
                        limit: self.limits.max_line,
                    });
                }
                return Ok(None);
            };
            if nl + 1 > self.limits.max_line {
                return Err(ReplyError::LineTooLong {
                    limit: self.limits.max_line,
                });
            }
            let raw: Vec<u8> = self.buf.drain(..=nl).collect();
            self.reply_bytes += raw.len();
            if self.reply_bytes > self.limits.max_bytes {
                return Err(ReplyError::TooLarge {
                    limit: self.limits.max_bytes,
                });
            }
            let line = String::from_utf8_lossy(&raw);
            let line = line.trim_end_matches(['\r', '\n']);
            let (code, last, text) = parse_line(line)?;
            match self.code {
                None => self.code = Some(code),
                Some(first) if first != code => {
                    return Err(ReplyError::CodeChanged { first, then: code })
                }
                Some(_) => {}
            }
            self.lines.push(text.to_string());
            if last {
                let reply = Reply {
                    code,
                    lines: std::mem::take(&mut self.lines),
                };
                self.code = None;
                self.reply_bytes = 0;
                return Ok(Some(reply));
            }
            if self.lines.len() >= self.limits.max_lines {
                return Err(ReplyError::TooManyLines {
                    limit: self.limits.max_lines,
                });
            }
        }
    }
}

/// Split `250-text` / `250 text` / `250` into (code, is_last, text).
fn parse_line(line: &str) -> Result<(u16, bool, &str), ReplyError> {
    let bad = || ReplyError::BadLine {
        line: line.chars().take(200).collect(),
    };
    let bytes = line.as_bytes();
    if bytes.len() < 3 || !bytes[..3].iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    let code: u16 = line[..3].parse().map_err(|_| bad())?;
    if !(200..=599).contains(&code) {
        return Err(bad());
    }
    match bytes.get(3) {
        None => Ok((code, true, "")),
        Some(b' ') => Ok((code, true, &line[4..])),
        Some(b'-') => Ok((code, false, &line[4..])),
        Some(_) => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(bytes: &[u8]) -> Result<Vec<Reply>, ReplyError> {
        let mut p = ReplyParser::new(ReplyLimits::default());
        p.feed(bytes);
        let mut out = Vec::new();
        while let Some(r) = p.next_reply()? {
            out.push(r);
        }
        Ok(out)
    }

    #[test]
    fn postfix_ehlo_multiline() {
        let r = parse_all(
            b"250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250 SMTPUTF8\r\n",
        )
        .unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].code, 250);
        assert_eq!(r[0].lines.len(), 5);
        assert_eq!(r[0].lines[3], "STARTTLS");
    }

    #[test]
    fn replies_split_across_reads() {
        let mut p = ReplyParser::new(ReplyLimits::default());
        p.feed(b"220 mx.exa");
        assert_eq!(p.next_reply().unwrap(), None);
        p.feed(b"mple.org ESMTP\r\n250 2.1.0 Ok\r\n");
        assert_eq!(p.next_reply().unwrap().unwrap().code, 220);
        assert_eq!(p.next_reply().unwrap().unwrap().code, 250);
        assert_eq!(p.next_reply().unwrap(), None);
    }

    #[test]
    fn endless_line_is_bounded() {
        let mut p = ReplyParser::new(ReplyLimits::default());
        let mut fed = 0;
        let err = loop {
            let chunk = vec![b'A'; p.room().min(1000)];
            fed += chunk.len();
            p.feed(&chunk);
            if let Err(e) = p.next_reply() {
                break e;
            }
            assert!(fed < 10_000, "parser kept accepting an endless line");
        };
        assert!(matches!(err, ReplyError::LineTooLong { .. }));
    }

    #[test]
    fn garbage_and_code_changes_are_errors() {
        assert!(matches!(
            parse_all(b"HTTP/1.1 400 Bad\r\n"),
            Err(ReplyError::BadLine { .. })
        ));
        assert!(matches!(
            parse_all(b"999 what\r\n"),
            Err(ReplyError::BadLine { .. })
        ));
        assert!(matches!(
            parse_all(b"250xok\r\n"),
            Err(ReplyError::BadLine { .. })
        ));
        assert!(matches!(
            parse_all(b"250-a\r\n550 b\r\n"),
            Err(ReplyError::CodeChanged {
                first: 250,
                then: 550
            })
        ));
    }

    #[test]
    fn too_many_lines() {
        let mut bytes = Vec::new();
        for _ in 0..500 {
            bytes.extend_from_slice(b"250-x\r\n");
        }
        assert!(matches!(
            parse_all(&bytes),
            Err(ReplyError::TooManyLines { .. })
        ));
    }

    #[test]
    fn classification() {
        let r = |code, text: &str| Reply {
            code,
            lines: vec![text.to_string()],
        };
        assert_eq!(r(250, "2.1.5 Ok").class(), ReplyClass::Accepted);
        assert_eq!(
            r(354, "End data with <CR><LF>.<CR><LF>").class(),
            ReplyClass::Accepted
        );
        assert_eq!(r(450, "4.7.1 greylisted").class(), ReplyClass::TempFailed);
        assert_eq!(r(421, "4.3.2 shutting down").class(), ReplyClass::Closing);
        assert_eq!(
            r(554, "5.7.1 <x@y>: Relay access denied").class(),
            ReplyClass::Rejected
        );
        assert_eq!(
            r(530, "5.7.0 Authentication required").class(),
            ReplyClass::AuthRequired
        );
        assert_eq!(
            r(550, "5.7.0 Authentication required for relaying").class(),
            ReplyClass::AuthRequired
        );
        assert_eq!(
            r(550, "5.7.1 Unable to relay").enhanced_status(),
            Some("5.7.1")
        );
    }
}
