//! `relayhunt canary listen`: a small SMTP server (RFC 5321 receiver subset) that accepts
//! every message, finds canary tokens in it and records them in the ledger.
//!
//! It faces relays it does not trust, so everything is bounded: concurrent sessions, command
//! line length, message size, recipients per message, idle time and session length. It never
//! relays or stores messages; it keeps only the tokens and the envelope.

use super::ledger::{self, Arrival};
use super::token::find_tokens;
use crate::transcript::rfc3339_now;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;

/// Limits and identity of the sink.
#[derive(Debug, Clone)]
pub struct SinkConfig {
    /// Name in the banner and EHLO reply.
    pub hostname: String,
    /// Largest message accepted (bytes); larger ones get 552.
    pub max_message: usize,
    /// Longest command line.
    pub max_line: usize,
    /// Most recipients per message.
    pub max_recipients: usize,
    /// Most simultaneous sessions; extra connections get 421.
    pub max_sessions: usize,
    /// Idle time allowed between commands.
    pub idle_timeout: Duration,
    /// Longest session.
    pub session_timeout: Duration,
    /// Ledger file to append arrivals to, if any.
    pub ledger: Option<PathBuf>,
    /// Print each arrival as an NDJSON line on stdout.
    pub print: bool,
}

impl Default for SinkConfig {
    fn default() -> Self {
        Self {
            hostname: "canary.relayhunt.invalid".into(),
            max_message: 1024 * 1024,
            max_line: 4096,
            max_recipients: 100,
            max_sessions: 256,
            idle_timeout: Duration::from_secs(60),
            session_timeout: Duration::from_secs(600),
            ledger: None,
            print: false,
        }
    }
}

#[derive(Debug, Default)]
struct Shared {
    arrivals: Mutex<Vec<Arrival>>,
    messages: Mutex<u64>,
    notify: Notify,
}

/// A running sink; stops when dropped.
pub struct Sink {
    addrs: Vec<SocketAddr>,
    shared: Arc<Shared>,
    tasks: JoinSet<()>,
}

impl Sink {
    /// Listen on each of `addrs` (port 0 picks a free port).
    pub async fn bind(addrs: &[SocketAddr], config: SinkConfig) -> std::io::Result<Self> {
        let config = Arc::new(config);
        let shared = Arc::new(Shared::default());
        let sessions = Arc::new(Semaphore::new(config.max_sessions.max(1)));
        let mut tasks = JoinSet::new();
        let mut bound = Vec::with_capacity(addrs.len());
        for addr in addrs {
            let listener = TcpListener::bind(addr).await?;
            bound.push(listener.local_addr()?);
            let (config, shared, sessions) = (config.clone(), shared.clone(), sessions.clone());
            tasks.spawn(accept_loop(listener, config, shared, sessions));
        }
        Ok(Self {
            addrs: bound,
            shared,
            tasks,
        })
    }

    /// The bound addresses.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// The first bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addrs[0]
    }

    /// Tokens received so far.
    pub fn arrivals(&self) -> Vec<Arrival> {
        self.shared
            .arrivals
            .lock()
            .map(|a| a.clone())
            .unwrap_or_default()
    }

    /// Messages received so far (with or without a token).
    pub fn messages(&self) -> u64 {
        self.shared.messages.lock().map(|m| *m).unwrap_or(0)
    }

    /// Wait until `token` arrived or `wait` elapsed.
    pub async fn wait_for(&self, token: &str, wait: Duration) -> Option<Arrival> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let notified = self.shared.notify.notified();
            if let Some(a) = self.arrivals().into_iter().find(|a| a.token == token) {
                return Some(a);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }

    /// Run until the tasks end (never, unless every listener fails).
    pub async fn run_forever(mut self) {
        while self.tasks.join_next().await.is_some() {}
    }
}

async fn accept_loop(
    listener: TcpListener,
    config: Arc<SinkConfig>,
    shared: Arc<Shared>,
    sessions: Arc<Semaphore>,
) {
    let mut running = JoinSet::new();
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        while running.try_join_next().is_some() {}
        // Replies are small separate writes; without this, pipelined clients wait for
        // delayed ACKs (Nagle) on every second reply.
        let _ = stream.set_nodelay(true);
        let (config, shared) = (config.clone(), shared.clone());
        match sessions.clone().try_acquire_owned() {
            Ok(permit) => {
                running.spawn(async move {
                    let limit = config.session_timeout;
                    let _ =
                        tokio::time::timeout(limit, session(stream, peer, &config, &shared)).await;
                    drop(permit);
                });
            }
            Err(_) => {
                running.spawn(async move {
                    let mut stream = stream;
                    let _ = stream
                        .write_all(b"421 4.3.2 too many sessions, try later\r\n")
                        .await;
                });
            }
        }
    }
}

/// Why a session ended early.
#[derive(Debug)]
enum End {
    Io,
    Quit,
}

struct LineReader {
    buf: Vec<u8>,
}

impl LineReader {
    /// Whether a complete line is already buffered.
    fn has_line(&self) -> bool {
        self.buf.contains(&b'\n')
    }

    /// Read one line (without CRLF). Lines longer than `max` yield `Ok(None)` after being
    /// discarded up to their end.
    async fn line<R: AsyncRead + Unpin>(
        &mut self,
        r: &mut R,
        max: usize,
        idle: Duration,
    ) -> Result<Option<Vec<u8>>, End> {
        let mut too_long = false;
        loop {
            if let Some(nl) = self.buf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=nl).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok((!too_long && line.len() <= max).then_some(line));
            }
            if self.buf.len() > max {
                too_long = true;
                self.buf.clear();
            }
            let mut chunk = [0u8; 4096];
            let n = match tokio::time::timeout(idle, r.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return Err(End::Io),
                Ok(Ok(n)) => n,
            };
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

async fn session(
    mut stream: TcpStream,
    peer: SocketAddr,
    config: &SinkConfig,
    shared: &Shared,
) -> Result<(), End> {
    let (mut rd, mut wr) = stream.split();
    let mut reader = LineReader { buf: Vec::new() };
    // Replies are collected and written when no further command is already buffered, so a
    // pipelining client (RFC 2920) gets its replies in one segment.
    let mut out: Vec<u8> = Vec::with_capacity(512);
    macro_rules! reply {
        ($($arg:tt)*) => {
            std::io::Write::write_fmt(&mut out, format_args!($($arg)*)).map_err(|_| End::Io)?
        };
    }
    macro_rules! flush_unless_pipelined {
        () => {
            if !reader.has_line() && !out.is_empty() {
                wr.write_all(&out).await.map_err(|_| End::Io)?;
                out.clear();
            }
        };
    }
    reply!("220 {} ESMTP relayhunt canary sink\r\n", config.hostname);
    let mut mail_from: Option<String> = None;
    let mut rcpts: Vec<String> = Vec::new();
    loop {
        flush_unless_pipelined!();
        let Some(line) = reader
            .line(&mut rd, config.max_line, config.idle_timeout)
            .await?
        else {
            reply!("500 5.5.2 line too long\r\n");
            continue;
        };
        let line = String::from_utf8_lossy(&line).into_owned();
        let upper = line.to_ascii_uppercase();
        let verb = upper.split_whitespace().next().unwrap_or("");
        match verb {
            "EHLO" => {
                mail_from = None;
                rcpts.clear();
                reply!(
                    "250-{}\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SIZE {}\r\n250 ENHANCEDSTATUSCODES\r\n",
                    config.hostname,
                    config.max_message
                );
            }
            "HELO" => {
                mail_from = None;
                rcpts.clear();
                reply!("250 {}\r\n", config.hostname);
            }
            "MAIL" if upper.starts_with("MAIL FROM:") => {
                mail_from = Some(path_of(&line[10..]));
                rcpts.clear();
                reply!("250 2.1.0 ok\r\n");
            }
            "RCPT" if upper.starts_with("RCPT TO:") => {
                if mail_from.is_none() {
                    reply!("503 5.5.1 MAIL first\r\n");
                } else if rcpts.len() >= config.max_recipients {
                    reply!("452 4.5.3 too many recipients\r\n");
                } else {
                    rcpts.push(path_of(&line[8..]));
                    reply!("250 2.1.5 ok\r\n");
                }
            }
            "DATA" => {
                if mail_from.is_none() || rcpts.is_empty() {
                    reply!("503 5.5.1 need MAIL and RCPT first\r\n");
                    continue;
                }
                reply!("354 end with <CRLF>.<CRLF>\r\n");
                let mut message: Vec<u8> = Vec::new();
                let mut oversized = false;
                loop {
                    flush_unless_pipelined!();
                    let Some(mut l) = reader.line(&mut rd, 64 * 1024, config.idle_timeout).await?
                    else {
                        oversized = true;
                        continue;
                    };
                    if l == b"." {
                        break;
                    }
                    if l.first() == Some(&b'.') {
                        l.remove(0);
                    }
                    if message.len() + l.len() + 2 > config.max_message {
                        oversized = true;
                        continue;
                    }
                    message.extend_from_slice(&l);
                    message.extend_from_slice(b"\r\n");
                }
                if oversized {
                    reply!("552 5.3.4 message too big\r\n");
                } else {
                    let n = record(
                        peer,
                        mail_from.take().unwrap_or_default(),
                        std::mem::take(&mut rcpts),
                        &message,
                        config,
                        shared,
                    );
                    reply!("250 2.0.0 ok: {n} canary token(s)\r\n");
                }
                mail_from = None;
                rcpts.clear();
            }
            "RSET" => {
                mail_from = None;
                rcpts.clear();
                reply!("250 2.0.0 ok\r\n");
            }
            "NOOP" => reply!("250 2.0.0 ok\r\n"),
            "QUIT" => {
                reply!("221 2.0.0 bye\r\n");
                let _ = wr.write_all(&out).await;
                return Err(End::Quit);
            }
            _ => reply!("502 5.5.1 command not implemented\r\n"),
        }
    }
}

/// `<a@b> SIZE=10` → `a@b`.
fn path_of(arg: &str) -> String {
    let arg = arg.trim();
    let inner = match (arg.find('<'), arg.find('>')) {
        (Some(o), Some(c)) if o < c => &arg[o + 1..c],
        _ => arg.split_whitespace().next().unwrap_or(""),
    };
    inner.chars().take(512).collect()
}

fn record(
    peer: SocketAddr,
    mail_from: String,
    rcpt_to: Vec<String>,
    message: &[u8],
    config: &SinkConfig,
    shared: &Shared,
) -> usize {
    if let Ok(mut m) = shared.messages.lock() {
        *m += 1;
    }
    let header_end = message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(message.len(), |p| p + 2);
    let headers = unfold(&message[..header_end]);
    let subject = headers
        .iter()
        .find(|h| h.len() > 8 && h[..8].eq_ignore_ascii_case("subject:"))
        .map(|h| h[8..].trim().to_string());
    let received: Vec<String> = headers
        .iter()
        .filter(|h| h.len() > 9 && h[..9].eq_ignore_ascii_case("received:"))
        .take(50)
        .map(|h| h[9..].trim().to_string())
        .collect();
    let tokens = find_tokens(message);
    let at = rfc3339_now();
    for token in &tokens {
        let arrival = Arrival {
            token: token.clone(),
            received_at: at.clone(),
            peer: peer.to_string(),
            mail_from: mail_from.clone(),
            rcpt_to: rcpt_to.clone(),
            subject: subject.clone(),
            size: message.len(),
            received: received.clone(),
        };
        if let Some(path) = &config.ledger {
            if let Err(e) = ledger::append(path, &arrival) {
                eprintln!("relayhunt canary: cannot append to {}: {e}", path.display());
            }
        }
        if config.print {
            if let Ok(line) = serde_json::to_string(&arrival) {
                println!("{line}");
            }
        }
        if let Ok(mut a) = shared.arrivals.lock() {
            a.push(arrival);
        }
    }
    shared.notify.notify_waiters();
    tokens.len()
}

/// Header block → one string per header with continuation lines joined.
fn unfold(block: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(block);
    let mut out: Vec<String> = Vec::new();
    for line in text.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                if last.len() < 8192 {
                    last.push(' ');
                    last.push_str(line.trim());
                }
                continue;
            }
        }
        if !line.is_empty() && out.len() < 500 {
            out.push(line.to_string());
        }
    }
    out
}
