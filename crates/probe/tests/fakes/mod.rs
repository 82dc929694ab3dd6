//! Loopback SMTP fakes for the probe tests: well-behaved relays, closed servers and hostile
//! ones (tarpits, endless lines, garbage codes, TLS failures, 421 mid-battery). Each listens on
//! 127.0.0.1 with a port chosen by the OS.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// What the fake does in answer to a command (or to the connection, for the banner).
#[derive(Clone)]
pub enum Action {
    /// Send these bytes (CRLF included by the caller).
    Reply(String),
    /// Send these bytes, then close.
    Close(String),
    /// Wait, then send these bytes.
    Delayed(Duration, String),
    /// Never answer; keep the connection open.
    Silence,
    /// Send `220` and run a TLS handshake with the fixture certificate.
    StartTls,
    /// Send `220` and then bytes that are not TLS, then close.
    StartTlsGarbage,
    /// Send `354`, read the message, then reply with what `on_message` returns.
    Data,
    /// Send an endless line (`220 AAAA…` without CRLF) until the client goes away.
    Endless,
    /// Send the banner one byte per 200 ms, forever.
    Drip,
}

/// State of one fake session.
#[derive(Debug, Default)]
pub struct Session {
    /// 0 for the first connection to this fake, then 1, 2…
    pub conn_index: usize,
    pub mail_from: Option<String>,
    pub rcpts: Vec<String>,
    pub rcpt_commands: usize,
    pub tls: bool,
}

pub type Handler = Arc<dyn Fn(&mut Session, &str) -> Action + Send + Sync>;
pub type OnMessage = Arc<dyn Fn(&Session, Vec<u8>) -> String + Send + Sync>;

/// A running fake; its listener stops when dropped.
pub struct Fake {
    pub addr: SocketAddr,
    pub connections: Arc<AtomicUsize>,
    pub messages: Arc<Mutex<Vec<Vec<u8>>>>,
    task: JoinHandle<()>,
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub fn tls_acceptor() -> tokio_rustls::TlsAcceptor {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let cert = CertificateDer::from(include_bytes!("../data/tls/cert.der").to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        include_bytes!("../data/tls/key.der").to_vec(),
    ));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// Start a fake. `on_connect` gives the banner action; `handler` answers each command line;
/// `on_message` answers the end of DATA. `implicit_tls` wraps the connection in TLS first.
pub async fn spawn(
    on_connect: impl Fn(&mut Session) -> Action + Send + Sync + 'static,
    handler: impl Fn(&mut Session, &str) -> Action + Send + Sync + 'static,
    on_message: Option<OnMessage>,
    implicit_tls: bool,
) -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    spawn_on(listener, on_connect, handler, on_message, implicit_tls)
}

/// Like [`spawn`] on a listener of the caller's (e.g. on `[::1]`).
pub fn spawn_on(
    listener: TcpListener,
    on_connect: impl Fn(&mut Session) -> Action + Send + Sync + 'static,
    handler: impl Fn(&mut Session, &str) -> Action + Send + Sync + 'static,
    on_message: Option<OnMessage>,
    implicit_tls: bool,
) -> Fake {
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let messages = Arc::new(Mutex::new(Vec::new()));
    let on_connect = Arc::new(on_connect);
    let handler: Handler = Arc::new(handler);
    let on_message =
        on_message.unwrap_or_else(|| Arc::new(|_, _| "250 2.0.0 queued\r\n".to_string()));
    let (conns, msgs) = (connections.clone(), messages.clone());
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let _ = tcp.set_nodelay(true);
            let index = conns.fetch_add(1, Ordering::SeqCst);
            let (on_connect, handler, on_message, msgs) = (
                on_connect.clone(),
                handler.clone(),
                on_message.clone(),
                msgs.clone(),
            );
            tokio::spawn(async move {
                let mut session = Session {
                    conn_index: index,
                    ..Session::default()
                };
                let stream: Box<dyn Io> = if implicit_tls {
                    match tls_acceptor().accept(tcp).await {
                        Ok(s) => Box::new(s),
                        Err(_) => return,
                    }
                } else {
                    Box::new(tcp)
                };
                let first = on_connect(&mut session);
                let _ = serve(stream, session, first, handler, on_message, msgs).await;
            });
        }
    });
    Fake {
        addr,
        connections,
        messages,
        task,
    }
}

async fn serve(
    mut stream: Box<dyn Io>,
    mut session: Session,
    first: Action,
    handler: Handler,
    on_message: OnMessage,
    msgs: Arc<Mutex<Vec<Vec<u8>>>>,
) -> std::io::Result<()> {
    let mut buf: Vec<u8> = Vec::new();
    let mut action = first;
    loop {
        match action {
            Action::Reply(s) => stream.write_all(s.as_bytes()).await?,
            Action::Delayed(d, s) => {
                tokio::time::sleep(d).await;
                stream.write_all(s.as_bytes()).await?
            }
            Action::Close(s) => {
                stream.write_all(s.as_bytes()).await?;
                let _ = stream.shutdown().await;
                return Ok(());
            }
            Action::Silence => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return Ok(());
            }
            Action::Endless => {
                stream.write_all(b"220 ").await?;
                let chunk = vec![b'A'; 8192];
                loop {
                    stream.write_all(&chunk).await?;
                }
            }
            Action::Drip => {
                for b in b"220 slow.example ESMTP tarpit".iter().cycle() {
                    stream.write_all(&[*b]).await?;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
            Action::StartTls => {
                stream
                    .write_all(b"220 2.0.0 Ready to start TLS\r\n")
                    .await?;
                buf.clear();
                stream = Box::new(tls_acceptor().accept(stream).await?);
                session.tls = true;
            }
            Action::StartTlsGarbage => {
                stream
                    .write_all(b"220 2.0.0 Ready to start TLS\r\n")
                    .await?;
                // Wait for the ClientHello, answer with plaintext nonsense.
                let mut tmp = [0u8; 1024];
                let _ = stream.read(&mut tmp).await;
                stream
                    .write_all(b"this is not a TLS record at all\r\n")
                    .await?;
                let _ = stream.shutdown().await;
                return Ok(());
            }
            Action::Data => {
                stream
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut message = Vec::new();
                loop {
                    let line = read_line(&mut stream, &mut buf).await?;
                    if line == b"." {
                        break;
                    }
                    let line = line.strip_prefix(b".").unwrap_or(&line);
                    message.extend_from_slice(line);
                    message.extend_from_slice(b"\r\n");
                }
                let reply = on_message(&session, message.clone());
                msgs.lock().unwrap().push(message);
                stream.write_all(reply.as_bytes()).await?;
            }
        }
        let line = read_line(&mut stream, &mut buf).await?;
        let line = String::from_utf8_lossy(&line).into_owned();
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("MAIL FROM:") {
            session.mail_from = Some(line[10..].to_string());
        }
        if upper.starts_with("RCPT TO:") {
            session.rcpt_commands += 1;
        }
        action = handler(&mut session, &line);
        if upper.starts_with("RCPT TO:") {
            if let Action::Reply(r) = &action {
                if r.starts_with('2') {
                    session.rcpts.push(line[8..].to_string());
                }
            }
        }
        if upper == "RSET" {
            session.mail_from = None;
            session.rcpts.clear();
        }
    }
}

async fn read_line(stream: &mut Box<dyn Io>, buf: &mut Vec<u8>) -> std::io::Result<Vec<u8>> {
    loop {
        if let Some(nl) = buf.iter().position(|&b| b == b'\n') {
            let mut line: Vec<u8> = buf.drain(..=nl).collect();
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(line);
        }
        let mut tmp = [0u8; 4096];
        let n = stream.read(&mut tmp).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&tmp[..n]);
    }
}

/// Typical answers of a server to the session commands, so handlers only override what their
/// case is about.
pub fn standard(session: &mut Session, line: &str, ehlo: &str) -> Action {
    let upper = line.to_ascii_uppercase();
    let _ = session;
    if upper.starts_with("EHLO") {
        Action::Reply(ehlo.to_string())
    } else if upper.starts_with("HELO") {
        Action::Reply("250 fake.example\r\n".into())
    } else if upper.starts_with("MAIL FROM:") {
        Action::Reply("250 2.1.0 Ok\r\n".into())
    } else if upper == "RSET" {
        Action::Reply("250 2.0.0 Ok\r\n".into())
    } else if upper == "QUIT" {
        Action::Close("221 2.0.0 Bye\r\n".into())
    } else if upper == "DATA" {
        Action::Data
    } else if upper == "STARTTLS" {
        Action::StartTls
    } else {
        Action::Reply("502 5.5.2 Error: command not recognized\r\n".into())
    }
}

pub const EHLO_PLAIN: &str =
    "250-fake.example\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n";
pub const EHLO_TLS: &str =
    "250-mx.fake-relay.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n";
pub const EHLO_AFTER_TLS: &str =
    "250-mx.fake-relay.test\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n";

pub fn banner(_: &mut Session) -> Action {
    Action::Reply("220 fake.example ESMTP\r\n".into())
}

/// The usual banner and [`standard`] answers (EHLO_PLAIN), except for commands starting
/// (in upper case) with one of `overrides`' prefixes: the first such gets its action.
pub async fn answering(overrides: Vec<(&'static str, Action)>) -> Fake {
    spawn(
        banner,
        move |s, l| {
            let upper = l.to_ascii_uppercase();
            match overrides
                .iter()
                .find(|(prefix, _)| upper.starts_with(prefix))
            {
                Some((_, action)) => action.clone(),
                None => standard(s, l, EHLO_PLAIN),
            }
        },
        None,
        false,
    )
    .await
}

/// Accepts every recipient: the textbook open relay.
pub async fn open_relay() -> Fake {
    answering(vec![("RCPT TO:", Action::Reply("250 2.1.5 Ok\r\n".into()))]).await
}

/// Refuses relaying like Postfix does (`554 5.7.1 … Relay access denied`), multi-line.
pub async fn closed_relay() -> Fake {
    answering(vec![(
        "RCPT TO:",
        Action::Reply(
            "554-5.7.1 Relay access denied\r\n554-5.7.1 see https://example.invalid/policy\r\n554 5.7.1 <relaytest@example.net>: Relay access denied\r\n"
                .into(),
        ),
    )])
    .await
}
