//! The submission client proper.

use crate::config::{SmtpSettings, TlsMode};
use crate::report::header_value;
use base64::Engine as _;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

/// Deadline for the server's reply to one command (RFC 5321 §4.5.3.2 suggests minutes;
/// submission servers answer in seconds).
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest reply accepted (all lines of a multi-line reply).
pub const MAX_REPLY: usize = 64 * 1024;

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
    #[error("{server} sent a malformed or oversized reply to {step}")]
    BadReply { server: String, step: String },
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
    #[error("I/O with {server}: {reason}")]
    Io { server: String, reason: String },
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

struct Session {
    io: BufReader<Box<dyn Stream>>,
    server: String,
    timeout: Duration,
}

impl Session {
    async fn reply(&mut self, step: &str) -> Result<(u16, String), SubmitError> {
        let fut = async {
            let mut all = String::new();
            loop {
                let mut line = Vec::new();
                let n = (&mut self.io)
                    .take(MAX_REPLY as u64 + 1)
                    .read_until(b'\n', &mut line)
                    .await
                    .map_err(|e| SubmitError::Io {
                        server: self.server.clone(),
                        reason: e.to_string(),
                    })?;
                let bad = || SubmitError::BadReply {
                    server: self.server.clone(),
                    step: step.to_string(),
                };
                if n == 0 || all.len() + n > MAX_REPLY || line.len() < 4 {
                    return Err(bad());
                }
                let text = String::from_utf8_lossy(&line).trim_end().to_string();
                let code: u16 = text.get(..3).and_then(|c| c.parse().ok()).ok_or_else(bad)?;
                all.push_str(&text);
                all.push('\n');
                match text.as_bytes().get(3) {
                    Some(b'-') => continue,
                    _ => return Ok((code, all.trim_end().to_string())),
                }
            }
        };
        match tokio::time::timeout(self.timeout, fut).await {
            Ok(r) => r,
            Err(_) => Err(SubmitError::Timeout {
                server: self.server.clone(),
                step: step.to_string(),
                secs: self.timeout.as_secs(),
            }),
        }
    }

    async fn send_raw(&mut self, bytes: &[u8]) -> Result<(), SubmitError> {
        let w = self.io.get_mut();
        let r = tokio::time::timeout(self.timeout, async {
            w.write_all(bytes).await?;
            w.flush().await
        })
        .await;
        match r {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(SubmitError::Io {
                server: self.server.clone(),
                reason: e.to_string(),
            }),
            Err(_) => Err(SubmitError::Timeout {
                server: self.server.clone(),
                step: "write".into(),
                secs: self.timeout.as_secs(),
            }),
        }
    }

    /// Send one command and require a reply in `ok` (first digit).
    async fn cmd(&mut self, line: &str, step: &str, ok: u16) -> Result<String, SubmitError> {
        self.send_raw(format!("{line}\r\n").as_bytes()).await?;
        self.expect(step, ok).await
    }

    async fn expect(&mut self, step: &str, ok: u16) -> Result<String, SubmitError> {
        let (code, text) = self.reply(step).await?;
        if code / 100 != ok {
            return Err(SubmitError::Refused {
                server: self.server.clone(),
                step: step.to_string(),
                reply: text,
            });
        }
        Ok(text)
    }
}

fn tls_config(s: &SmtpSettings) -> Result<rustls::ClientConfig, SubmitError> {
    let server = format!("{}:{}", s.host, s.port);
    let tls_err = |reason: String| SubmitError::Tls {
        server: server.clone(),
        reason,
    };
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(c);
    }
    if let Some(f) = &s.ca_file {
        use rustls::pki_types::pem::PemObject;
        let certs: Vec<_> = rustls::pki_types::CertificateDer::pem_file_iter(f)
            .map_err(|e| tls_err(format!("{}: {e}", f.display())))?
            .collect::<Result<_, _>>()
            .map_err(|e| tls_err(format!("{}: {e}", f.display())))?;
        for c in certs {
            roots
                .add(c)
                .map_err(|e| tls_err(format!("{}: {e}", f.display())))?;
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_err(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// RFC 5321 §4.5.2: a line starting with `.` gets another; lines end in CRLF.
pub fn dot_stuff(msg: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(msg.len() + 64);
    for line in msg.split_inclusive(|&b| b == b'\n') {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        if body.first() == Some(&b'.') {
            out.push(b'.');
        }
        out.extend_from_slice(body);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
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

/// [`send`] with a chosen per-reply deadline.
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
    let from = header_value::address(from)?;
    let to: Vec<String> = to
        .iter()
        .map(|t| header_value::address(t))
        .collect::<Result<_, _>>()?;
    let server = format!("{}:{}", s.host, s.port);
    let tcp = tokio::time::timeout(
        timeout,
        tokio::net::TcpStream::connect((s.host.as_str(), s.port)),
    )
    .await
    .map_err(|_| SubmitError::Timeout {
        server: server.clone(),
        step: "connect".into(),
        secs: timeout.as_secs(),
    })?
    .map_err(|e| SubmitError::Connect {
        server: server.clone(),
        reason: e.to_string(),
    })?;
    let mut sess = Session {
        io: BufReader::new(Box::new(tcp)),
        server: server.clone(),
        timeout,
    };
    sess.expect("greeting", 2).await?;
    let mut ehlo = sess.cmd(&format!("EHLO {}", s.helo), "EHLO", 2).await?;
    let mut encrypted = false;
    if s.tls == TlsMode::StartTls {
        let offers = ehlo.lines().any(|l| {
            l.get(4..)
                .is_some_and(|x| x.trim().eq_ignore_ascii_case("STARTTLS"))
        });
        if !offers {
            return Err(SubmitError::NoStartTls { server });
        }
        sess.cmd("STARTTLS", "STARTTLS", 2).await?;
        let cfg = tls_config(s)?;
        let name = rustls::pki_types::ServerName::try_from(s.host.clone()).map_err(|e| {
            SubmitError::Tls {
                server: server.clone(),
                reason: e.to_string(),
            }
        })?;
        // Anything the server pipelined before the handshake would be injected plaintext
        // (CVE-2011-0411 class): refuse.
        if !sess.io.buffer().is_empty() {
            return Err(SubmitError::Tls {
                server,
                reason: "server sent data before the TLS handshake".into(),
            });
        }
        let plain = sess.io.into_inner();
        let tls = tokio::time::timeout(
            timeout,
            tokio_rustls::TlsConnector::from(Arc::new(cfg)).connect(name, plain),
        )
        .await
        .map_err(|_| SubmitError::Timeout {
            server: server.clone(),
            step: "TLS handshake".into(),
            secs: timeout.as_secs(),
        })?
        .map_err(|e| SubmitError::Tls {
            server: server.clone(),
            reason: e.to_string(),
        })?;
        sess = Session {
            io: BufReader::new(Box::new(tls)),
            server: server.clone(),
            timeout,
        };
        ehlo = sess
            .cmd(&format!("EHLO {}", s.helo), "EHLO after STARTTLS", 2)
            .await?;
        encrypted = true;
    }
    if let Some(user) = &s.username {
        if !encrypted {
            return Err(SubmitError::PlaintextAuth { server });
        }
        let _ = ehlo;
        let pass = s.password.clone().unwrap_or_default();
        let token = base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{pass}"));
        sess.cmd(&format!("AUTH PLAIN {token}"), "AUTH PLAIN", 2)
            .await?;
    }
    sess.cmd(&format!("MAIL FROM:<{from}>"), "MAIL FROM", 2)
        .await?;
    for t in &to {
        sess.cmd(&format!("RCPT TO:<{t}>"), &format!("RCPT TO {t}"), 2)
            .await?;
    }
    sess.cmd("DATA", "DATA", 3).await?;
    sess.send_raw(&dot_stuff(message)).await?;
    let done = sess.expect("end of data", 2).await?;
    let _ = sess.cmd("QUIT", "QUIT", 2).await;
    Ok(done)
}

#[cfg(test)]
mod tests {
    #[test]
    fn dot_stuffing_and_crlf() {
        assert_eq!(
            super::dot_stuff(b"a\n.b\r\n..c"),
            b"a\r\n..b\r\n...c\r\n.\r\n"
        );
    }
}
