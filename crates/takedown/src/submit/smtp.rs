//! The submission client: lettre's SMTP connection, driven step by step so each refusal is
//! named (no STARTTLS, untrusted certificate, AUTH in clear, a refused command).

use crate::config::{SmtpSettings, TlsMode};
use crate::report::header_value;
use lettre::address::{Address, Envelope};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use std::time::Duration;

/// Deadline for connecting and for each reply of the server (RFC 5321 §4.5.3.2 suggests
/// minutes; submission servers answer in seconds).
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(60);

/// Why sending failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError {
    #[error("cannot connect to {server}: {reason}")]
    Connect { server: String, reason: String },
    #[error("{server} did not answer {step} within {secs}s")]
    Timeout {
        server: String,
        step: String,
        secs: u64,
    },
    #[error("{server} refused {step}: {reply}")]
    Refused {
        server: String,
        step: String,
        reply: String,
    },
    #[error("{server} does not offer STARTTLS; refusing to send (set smtp_tls = none only for a loopback relay)")]
    NoStartTls { server: String },
    #[error("TLS with {server} failed: {reason}")]
    Tls { server: String, reason: String },
    #[error("refusing AUTH over an unencrypted connection to {server}")]
    PlaintextAuth { server: String },
    #[error("invalid envelope address: {0}")]
    Address(#[from] header_value::AddressError),
    /// RFC 5321 §4.5.3.1.6: text lines are at most 1000 octets including CRLF.
    #[error("the report holds a {len}-byte line (from the attached original); SMTP allows 998 — send the written file with a client that supports BINARYMIME")]
    LineTooLong { len: usize },
}

/// Submit `message` from `from` to `to` through the configured server. Returns the
/// server's final reply (queue id).
pub async fn send(
    s: &SmtpSettings,
    from: &str,
    to: &[String],
    message: &[u8],
) -> Result<String, SubmitError> {
    send_with_timeout(s, from, to, message, REPLY_TIMEOUT).await
}

/// The TLS parameters for `s`: the system's roots plus `smtp_ca_file`.
fn tls_parameters(s: &SmtpSettings, server: &str) -> Result<TlsParameters, SubmitError> {
    let tls_err = |reason: String| SubmitError::Tls {
        server: server.to_string(),
        reason,
    };
    let mut b = TlsParameters::builder(s.host.clone());
    if let Some(f) = &s.ca_file {
        let pem = std::fs::read(f).map_err(|e| tls_err(format!("{}: {e}", f.display())))?;
        let cert =
            Certificate::from_pem(&pem).map_err(|e| tls_err(format!("{}: {e}", f.display())))?;
        b = b.add_root_certificate(cert);
    }
    b.build_rustls().map_err(|e| tls_err(e.to_string()))
}

/// A lettre error as ours, for `step`.
fn failed(
    server: &str,
    step: &str,
    timeout: Duration,
    e: lettre::transport::smtp::Error,
) -> SubmitError {
    let server = server.to_string();
    if e.is_timeout() {
        SubmitError::Timeout {
            server,
            step: step.to_string(),
            secs: timeout.as_secs(),
        }
    } else if e.is_tls() {
        SubmitError::Tls {
            server,
            reason: e.to_string(),
        }
    } else if e.is_permanent() || e.is_transient() {
        SubmitError::Refused {
            server,
            step: step.to_string(),
            reply: e.to_string(),
        }
    } else {
        SubmitError::Connect {
            server,
            reason: format!("{step}: {e}"),
        }
    }
}

/// [`send`] with a chosen deadline for connecting and for each reply.
pub async fn send_with_timeout(
    s: &SmtpSettings,
    from: &str,
    to: &[String],
    message: &[u8],
    timeout: Duration,
) -> Result<String, SubmitError> {
    if let Some(len) = message
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l).len())
        .find(|&n| n > 998)
    {
        return Err(SubmitError::LineTooLong { len });
    }
    let bad = |a: &str| header_value::AddressError::Invalid(a.to_string());
    let parse = |a: &str| -> Result<Address, header_value::AddressError> {
        header_value::address(a)?.parse().map_err(|_| bad(a))
    };
    let from = parse(from)?;
    let to: Vec<Address> = to.iter().map(|t| parse(t)).collect::<Result<_, _>>()?;
    let envelope = Envelope::new(Some(from), to).map_err(|_| bad("(no recipient)"))?;
    let server = format!("{}:{}", s.host, s.port);
    if s.username.is_some() && s.tls == TlsMode::None {
        return Err(SubmitError::PlaintextAuth { server });
    }
    let hello = ClientId::Domain(s.helo.clone());
    let implicit = match s.tls {
        TlsMode::Implicit => Some(tls_parameters(s, &server)?),
        TlsMode::StartTls | TlsMode::None => None,
    };
    let mut conn = AsyncSmtpConnection::connect_tokio1(
        (s.host.as_str(), s.port),
        Some(timeout),
        &hello,
        implicit,
        None,
    )
    .await
    .map_err(|e| failed(&server, "connect", timeout, e))?;
    let data = crlf_lines(message);
    let result = session(&mut conn, s, &server, &hello, &envelope, &data, timeout).await;
    // QUIT, then close; after a failed TLS handshake lettre holds no stream to close.
    if !matches!(result, Err(SubmitError::Tls { .. })) {
        conn.abort().await;
    }
    result
}

/// The message as SMTP carries it (RFC 5321 §2.3.8): every line ends in CRLF — a bare LF
/// would escape the dot-stuffing, which lettre applies after CRLF only, and could end the
/// data early on a lenient server. The last line's CRLF is left out: lettre adds
/// `CRLF . CRLF`.
pub fn crlf_lines(msg: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(msg.len() + msg.len() / 40);
    for line in msg.split_inclusive(|&b| b == b'\n') {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        if !out.is_empty() {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(body);
    }
    out
}

async fn session(
    conn: &mut AsyncSmtpConnection,
    s: &SmtpSettings,
    server: &str,
    hello: &ClientId,
    envelope: &Envelope,
    message: &[u8],
    timeout: Duration,
) -> Result<String, SubmitError> {
    if s.tls == TlsMode::StartTls {
        if !conn.can_starttls() {
            return Err(SubmitError::NoStartTls {
                server: server.to_string(),
            });
        }
        conn.starttls(tls_parameters(s, server)?, hello)
            .await
            .map_err(|e| SubmitError::Tls {
                server: server.to_string(),
                reason: e.to_string(),
            })?;
    }
    if let Some(user) = &s.username {
        if !conn.is_encrypted() {
            return Err(SubmitError::PlaintextAuth {
                server: server.to_string(),
            });
        }
        let creds = Credentials::new(user.clone(), s.password.clone().unwrap_or_default());
        conn.auth(&[Mechanism::Plain], &creds)
            .await
            .map_err(|e| failed(server, "AUTH PLAIN", timeout, e))?;
    }
    let reply = conn
        .send(envelope, message)
        .await
        .map_err(|e| failed(server, "the message", timeout, e))?;
    Ok(format!(
        "{} {}",
        reply.code(),
        reply.message().collect::<Vec<_>>().join(" ")
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_line_ends_in_crlf_and_the_last_is_left_to_the_terminator() {
        assert_eq!(super::crlf_lines(b"a\n.b\r\n..c\n"), b"a\r\n.b\r\n..c");
        assert_eq!(super::crlf_lines(b"a\r\nb"), b"a\r\nb");
    }
}
