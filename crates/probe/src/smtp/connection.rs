//! One SMTP connection over tokio: connect, read bounded replies, send commands, upgrade to TLS.
//!
//! Every wait has a deadline (connect, each reply, each write) and every line crosses the
//! transcript, so a tarpit or a silent peer becomes a timed-out error with the dialogue so far
//! rather than a hung scan.

use super::reply::{Reply, ReplyError, ReplyLimits, ReplyParser};
use super::tls::{self, TlsInfo, TlsMode};
use crate::transcript::{Direction, Transcript};
use rustls::pki_types::ServerName;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// Why a connection could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnError {
    /// The TCP connect failed (refused, no route…).
    #[error("connect to {addr} failed: {source}")]
    Connect {
        /// Target address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The TCP connect did not finish in time.
    #[error("connect to {addr} timed out after {after:?}")]
    ConnectTimeout {
        /// Target address.
        addr: SocketAddr,
        /// The timeout that expired.
        after: Duration,
    },
    /// No complete reply arrived in time (tarpit, silent server).
    #[error("no complete reply to {waiting_for} within {after:?}")]
    ReplyTimeout {
        /// What the reply was for (`banner`, `EHLO`, `RCPT TO`…).
        waiting_for: String,
        /// The timeout that expired.
        after: Duration,
    },
    /// The server did not take our bytes in time.
    #[error("sending {command} timed out after {after:?}")]
    WriteTimeout {
        /// The command being sent.
        command: String,
        /// The timeout that expired.
        after: Duration,
    },
    /// The server closed the connection.
    #[error("server closed the connection while waiting for the reply to {waiting_for}")]
    Closed {
        /// What the reply was for.
        waiting_for: String,
    },
    /// The bytes received are not SMTP.
    #[error("protocol error in the reply to {waiting_for}: {source}")]
    Protocol {
        /// What the reply was for.
        waiting_for: String,
        /// What was wrong.
        source: ReplyError,
    },
    /// Reading or writing failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The TLS handshake failed.
    #[error("TLS handshake failed: {0}")]
    Tls(String),
}

impl ConnError {
    /// Whether this error is a timeout (verdict TIMEOUT rather than PROTOCOL-ERROR).
    pub fn is_timeout(&self) -> bool {
        matches!(
            self,
            Self::ConnectTimeout { .. } | Self::ReplyTimeout { .. } | Self::WriteTimeout { .. }
        )
    }
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// An open SMTP connection.
pub struct Connection {
    stream: Stream,
    parser: ReplyParser,
    peer: SocketAddr,
    reply_timeout: Duration,
}

impl Connection {
    /// Connect over TCP within `connect_timeout`.
    pub async fn connect(
        addr: SocketAddr,
        connect_timeout: Duration,
        reply_timeout: Duration,
        limits: ReplyLimits,
        transcript: &mut Transcript,
    ) -> Result<Self, ConnError> {
        transcript.note(format!("connect {addr}"));
        let tcp = match timeout(connect_timeout, TcpStream::connect(addr)).await {
            Err(_) => {
                return Err(ConnError::ConnectTimeout {
                    addr,
                    after: connect_timeout,
                })
            }
            Ok(Err(source)) => return Err(ConnError::Connect { addr, source }),
            Ok(Ok(s)) => s,
        };
        let _ = tcp.set_nodelay(true);
        transcript.note(format!("connected to {addr}"));
        Ok(Self {
            stream: Stream::Plain(tcp),
            parser: ReplyParser::new(limits),
            peer: addr,
            reply_timeout,
        })
    }

    /// The peer address.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// Whether the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        matches!(self.stream, Stream::Tls(_))
    }

    /// Read one complete reply within the reply timeout.
    pub async fn read_reply(
        &mut self,
        waiting_for: &str,
        transcript: &mut Transcript,
    ) -> Result<Reply, ConnError> {
        let deadline = Instant::now() + self.reply_timeout;
        let mut buf = [0u8; 4096];
        loop {
            match self.parser.next_reply() {
                Ok(Some(reply)) => {
                    let last = reply.lines.len().saturating_sub(1);
                    for (i, line) in reply.lines.iter().enumerate() {
                        let sep = if i == last { ' ' } else { '-' };
                        transcript.push(Direction::Server, &format!("{}{sep}{line}", reply.code));
                    }
                    return Ok(reply);
                }
                Ok(None) => {}
                Err(source) => {
                    transcript.note(format!("protocol error: {source}"));
                    return Err(ConnError::Protocol {
                        waiting_for: waiting_for.to_string(),
                        source,
                    });
                }
            }
            let want = self.parser.room().min(buf.len());
            let read = tokio::time::timeout_at(deadline, self.read(&mut buf[..want])).await;
            match read {
                Err(_) => {
                    transcript.note(format!(
                        "timeout: no complete reply to {waiting_for} within {:?} ({} bytes pending)",
                        self.reply_timeout,
                        self.parser.pending()
                    ));
                    return Err(ConnError::ReplyTimeout {
                        waiting_for: waiting_for.to_string(),
                        after: self.reply_timeout,
                    });
                }
                Ok(Err(e)) => {
                    transcript.note(format!("read error: {e}"));
                    return Err(ConnError::Io(e));
                }
                Ok(Ok(0)) => {
                    transcript.note("connection closed by server");
                    return Err(ConnError::Closed {
                        waiting_for: waiting_for.to_string(),
                    });
                }
                Ok(Ok(n)) => self.parser.feed(&buf[..n]),
            }
        }
    }

    async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match &mut self.stream {
            Stream::Plain(s) => s.read(buf).await,
            Stream::Tls(s) => s.read(buf).await,
        }
    }

    /// Send raw bytes (already CRLF-terminated) within the reply timeout.
    pub async fn write_raw(&mut self, bytes: &[u8], what: &str) -> Result<(), ConnError> {
        let fut = async {
            match &mut self.stream {
                Stream::Plain(s) => {
                    s.write_all(bytes).await?;
                    s.flush().await
                }
                Stream::Tls(s) => {
                    s.write_all(bytes).await?;
                    s.flush().await
                }
            }
        };
        match timeout(self.reply_timeout, fut).await {
            Err(_) => Err(ConnError::WriteTimeout {
                command: what.to_string(),
                after: self.reply_timeout,
            }),
            Ok(r) => r.map_err(ConnError::Io),
        }
    }

    /// Send one command line (CRLF added) and record it.
    pub async fn send(&mut self, line: &str, transcript: &mut Transcript) -> Result<(), ConnError> {
        transcript.push(Direction::Client, line);
        let mut bytes = Vec::with_capacity(line.len() + 2);
        bytes.extend_from_slice(line.as_bytes());
        bytes.extend_from_slice(b"\r\n");
        self.write_raw(&bytes, command_verb(line)).await
    }

    /// Send several command lines in one write (RFC 2920 pipelining) and record them.
    pub async fn send_batch(
        &mut self,
        lines: &[&str],
        transcript: &mut Transcript,
    ) -> Result<(), ConnError> {
        let mut bytes = Vec::with_capacity(lines.iter().map(|l| l.len() + 2).sum());
        for line in lines {
            transcript.push(Direction::Client, line);
            bytes.extend_from_slice(line.as_bytes());
            bytes.extend_from_slice(b"\r\n");
        }
        self.write_raw(&bytes, "pipelined commands").await
    }

    /// Send a command and read its reply.
    pub async fn command(
        &mut self,
        line: &str,
        transcript: &mut Transcript,
    ) -> Result<Reply, ConnError> {
        self.send(line, transcript).await?;
        self.read_reply(command_verb(line), transcript).await
    }

    /// Perform the TLS handshake on this connection (after `220` to STARTTLS, or at once for
    /// implicit TLS). Buffered plaintext is discarded (RFC 3207 §5).
    pub async fn upgrade_tls(
        self,
        mode: TlsMode,
        server_name: Option<&str>,
        transcript: &mut Transcript,
    ) -> Result<(Self, TlsInfo), ConnError> {
        let Stream::Plain(tcp) = self.stream else {
            return Err(ConnError::Tls("connection is already encrypted".into()));
        };
        let (config, outcome) = tls::client_config().map_err(|e| ConnError::Tls(e.to_string()))?;
        let name = server_name
            .and_then(|n| ServerName::try_from(n.to_string()).ok())
            .unwrap_or_else(|| ServerName::IpAddress(self.peer.ip().into()));
        transcript.note(format!("TLS handshake ({mode:?})"));
        let connector = TlsConnector::from(config);
        let handshake = timeout(self.reply_timeout, connector.connect(name, tcp)).await;
        let stream = match handshake {
            Err(_) => {
                transcript.note("TLS handshake timed out");
                return Err(ConnError::ReplyTimeout {
                    waiting_for: "TLS handshake".into(),
                    after: self.reply_timeout,
                });
            }
            Ok(Err(e)) => {
                transcript.note(format!("TLS handshake failed: {e}"));
                return Err(ConnError::Tls(e.to_string()));
            }
            Ok(Ok(s)) => s,
        };
        let info = tls::describe(mode, stream.get_ref().1, &outcome);
        transcript.note(format!(
            "TLS {} {}; certificate subject {:?}, issuer {:?}, valid {} to {}; {}",
            info.version.as_deref().unwrap_or("?"),
            info.cipher.as_deref().unwrap_or("?"),
            info.cert_subject.as_deref().unwrap_or("?"),
            info.cert_issuer.as_deref().unwrap_or("?"),
            info.not_before.as_deref().unwrap_or("?"),
            info.not_after.as_deref().unwrap_or("?"),
            match &info.verify_error {
                None => "verified".to_string(),
                Some(e) => format!("NOT verified (accepted anyway): {e}"),
            }
        ));
        let mut parser = self.parser;
        parser.clear();
        Ok((
            Self {
                stream: Stream::Tls(Box::new(stream)),
                parser,
                peer: self.peer,
                reply_timeout: self.reply_timeout,
            },
            info,
        ))
    }

    /// Best-effort QUIT without waiting long.
    pub async fn quit(mut self, transcript: &mut Transcript) {
        self.reply_timeout = self.reply_timeout.min(Duration::from_secs(2));
        let _ = self.command("QUIT", transcript).await;
    }
}

/// The verb of a command line, for messages (`MAIL FROM:<x>` → `MAIL FROM`).
fn command_verb(line: &str) -> &str {
    let upper = line.get(..9).unwrap_or(line).to_ascii_uppercase();
    if upper.starts_with("MAIL FROM") {
        "MAIL FROM"
    } else if upper.starts_with("RCPT TO") {
        "RCPT TO"
    } else {
        line.split_whitespace().next().unwrap_or(line)
    }
}
