//! `report --send`: SMTP submission with STARTTLS and AUTH PLAIN against a loopback sink.

use clap::Parser;
use mail_parser::{MessageParser, PartType};
use relayhunt_takedown::cli::{run_report, ReportArgs};
use relayhunt_takedown::config::{SmtpSettings, TlsMode};
use relayhunt_takedown::submit::{send, SubmitError};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::net::SocketAddr;

use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

/// What the sink saw.
#[derive(Debug, Default, Clone)]
struct Log {
    commands: Vec<String>,
    data: Vec<u8>,
}

#[derive(Clone, Copy)]
struct SinkOpts {
    offer_starttls: bool,
    /// TLS from the first byte (port 465 style) instead of a plain greeting.
    implicit_tls: bool,
}

enum Phase {
    StartTls,
    Done,
}

async fn session<S: AsyncRead + AsyncWrite + Unpin>(
    s: S,
    tls: bool,
    opts: SinkOpts,
    log: Arc<Mutex<Log>>,
) -> (Phase, S) {
    let mut io = BufReader::new(s);
    loop {
        let mut line = Vec::new();
        if io.read_until(b'\n', &mut line).await.unwrap_or(0) == 0 {
            return (Phase::Done, io.into_inner());
        }
        let cmd = String::from_utf8_lossy(&line).trim_end().to_string();
        log.lock().unwrap().commands.push(if tls {
            format!("[tls] {cmd}")
        } else {
            cmd.clone()
        });
        let upper = cmd.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            if opts.offer_starttls && !tls {
                b"250-sink.test\r\n250-STARTTLS\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n"
            } else {
                b"250-sink.test\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n"
            }
        } else if upper == "STARTTLS" {
            io.get_mut()
                .write_all(b"220 2.0.0 go ahead\r\n")
                .await
                .unwrap();
            return (Phase::StartTls, io.into_inner());
        } else if upper.starts_with("AUTH PLAIN") {
            b"235 2.7.0 Authentication successful\r\n"
        } else if upper == "DATA" {
            io.get_mut()
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await
                .unwrap();
            let mut data = Vec::new();
            loop {
                let mut l = Vec::new();
                if io.read_until(b'\n', &mut l).await.unwrap_or(0) == 0 || l == b".\r\n" {
                    break;
                }
                // RFC 5321 §4.5.2: remove the stuffed dot.
                data.extend_from_slice(if l.starts_with(b"..") { &l[1..] } else { &l });
            }
            log.lock().unwrap().data = data;
            b"250 2.0.0 Ok: queued as SINK42\r\n"
        } else if upper == "QUIT" {
            io.get_mut().write_all(b"221 2.0.0 Bye\r\n").await.unwrap();
            return (Phase::Done, io.into_inner());
        } else {
            b"250 2.1.0 Ok\r\n"
        };
        io.get_mut().write_all(reply).await.unwrap();
    }
}

async fn start_sink(opts: SinkOpts) -> (SocketAddr, Arc<Mutex<Log>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let log = Arc::new(Mutex::new(Log::default()));
    let l2 = log.clone();
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(crate::support::data("tls/server.pem"))
            .unwrap()
            .map(Result::unwrap)
            .collect();
    let key = PrivateKeyDer::from_pem_file(crate::support::data("tls/server.key")).unwrap();
    let cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let (log, acceptor) = (l2.clone(), acceptor.clone());
            tokio::spawn(async move {
                if opts.implicit_tls {
                    if let Ok(mut tls) = acceptor.accept(tcp).await {
                        tls.write_all(b"220 sink.test ESMTP\r\n").await.unwrap();
                        session(tls, true, opts, log).await;
                    }
                    return;
                }
                tcp.write_all(b"220 sink.test ESMTP\r\n").await.unwrap();
                if let (Phase::StartTls, tcp) = session(tcp, false, opts, log.clone()).await {
                    if let Ok(tls) = acceptor.accept(tcp).await {
                        session(tls, true, opts, log).await;
                    }
                }
            });
        }
    });
    (addr, log)
}

#[derive(Parser)]
struct Cmd {
    #[command(flatten)]
    args: ReportArgs,
}

fn settings(port: u16, tls: TlsMode, user: Option<&str>, ca: bool) -> SmtpSettings {
    SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        tls,
        username: user.map(str::to_string),
        password: Some("s3cret".into()),
        ca_file: ca.then(|| crate::support::data("tls/ca.pem")),
        helo: "example.org".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_send_submits_over_starttls_with_auth_and_delivers_the_report_intact() {
    let (addr, log) = start_sink(SinkOpts {
        offer_starttls: true,
        implicit_tls: false,
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("report.conf");
    std::fs::write(
        &conf,
        format!(
            "reporter_name = Jane Analyst\nreporter_email = abuse-desk@example.org\nsmtp_host = 127.0.0.1\nsmtp_port = {}\nsmtp_username = jane\nsmtp_password = s3cret\nsmtp_ca_file = {}\n",
            addr.port(),
            crate::support::data("tls/ca.pem").display()
        ),
    )
    .unwrap();
    let Some(msg) = relayhunt_testdata::shared(
        "corpus/spamassassin_public/spam/00235.45b5f386cf62b5865d9d4440d8b78aab.eml",
    ) else {
        return;
    };
    let out = dir.path().join("r.eml");
    let argv = [
        "report",
        msg.to_str().unwrap(),
        "--relay",
        "195.129.80.16",
        "--no-lookup",
        "--to",
        "abuse@nwcgroup.test",
        "--send",
        "--config",
        conf.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    let args = Cmd::try_parse_from(argv).unwrap().args;
    let code = tokio::task::spawn_blocking(move || run_report(args))
        .await
        .unwrap();
    assert_eq!(code, 0);
    let log = log.lock().unwrap().clone();
    let auth = log
        .commands
        .iter()
        .find(|c| c.starts_with("[tls] AUTH PLAIN "))
        .expect("AUTH after TLS");
    assert_eq!(
        b64(auth.trim_start_matches("[tls] AUTH PLAIN ")),
        b"\0jane\0s3cret"
    );
    let order: Vec<String> = log
        .commands
        .iter()
        .map(|c| c.split(' ').take(2).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        order,
        [
            "EHLO example.org",
            "STARTTLS",
            "[tls] EHLO",
            "[tls] AUTH",
            "[tls] MAIL",
            "[tls] RCPT",
            "[tls] DATA",
            "[tls] QUIT"
        ]
        .map(String::from)
    );
    assert!(log
        .commands
        .contains(&"[tls] MAIL FROM:<abuse-desk@example.org>".to_string()));
    assert!(log
        .commands
        .contains(&"[tls] RCPT TO:<abuse@nwcgroup.test>".to_string()));
    // What arrived is the written report with CRLF line ends.
    let written = std::fs::read(&out).unwrap();
    let crlf = |b: &[u8]| {
        String::from_utf8_lossy(b)
            .replace("\r\n", "\n")
            .into_bytes()
    };
    assert_eq!(crlf(&log.data), crlf(&written));
    let m = MessageParser::default().parse(&log.data).unwrap();
    assert_eq!(
        m.to().and_then(|a| a.first()).and_then(|a| a.address()),
        Some("abuse@nwcgroup.test")
    );
    let original = std::fs::read(&msg).unwrap();
    let original = &original[original.iter().position(|&b| b == b'\n').unwrap() + 1..];
    let attached = m.parts.iter().find_map(|p| match p.body {
        PartType::Message(_) => log.data.get(p.offset_body as usize..p.offset_end as usize),
        _ => None,
    });
    assert_eq!(attached.map(crlf), Some(crlf(original)));
}

#[tokio::test]
async fn a_server_without_starttls_gets_nothing() {
    let (addr, log) = start_sink(SinkOpts {
        offer_starttls: false,
        implicit_tls: false,
    })
    .await;
    let e = send(
        &settings(addr.port(), TlsMode::StartTls, Some("jane"), true),
        "desk@example.org",
        &["abuse@x.test".into()],
        b"Subject: x\r\n\r\nx\r\n",
    )
    .await
    .unwrap_err();
    assert!(matches!(e, SubmitError::NoStartTls { .. }), "{e}");
    assert!(!log
        .lock()
        .unwrap()
        .commands
        .iter()
        .any(|c| c.contains("AUTH") || c.contains("MAIL")));
}

#[tokio::test]
async fn an_untrusted_certificate_stops_the_submission_before_auth() {
    let (addr, log) = start_sink(SinkOpts {
        offer_starttls: true,
        implicit_tls: false,
    })
    .await;
    let e = send(
        &settings(addr.port(), TlsMode::StartTls, Some("jane"), false),
        "desk@example.org",
        &["abuse@x.test".into()],
        b"Subject: x\r\n\r\nx\r\n",
    )
    .await
    .unwrap_err();
    assert!(matches!(e, SubmitError::Tls { .. }), "{e}");
    assert!(!log
        .lock()
        .unwrap()
        .commands
        .iter()
        .any(|c| c.contains("AUTH")));
}

#[tokio::test]
async fn auth_is_never_sent_in_clear_and_envelope_addresses_cannot_carry_commands() {
    let (addr, log) = start_sink(SinkOpts {
        offer_starttls: true,
        implicit_tls: false,
    })
    .await;
    let e = send(
        &settings(addr.port(), TlsMode::None, Some("jane"), true),
        "desk@example.org",
        &["abuse@x.test".into()],
        b"x\r\n",
    )
    .await
    .unwrap_err();
    assert!(matches!(e, SubmitError::PlaintextAuth { .. }), "{e}");
    let e = send(
        &settings(addr.port(), TlsMode::None, None, true),
        "desk@example.org",
        &["abuse@x.test>\r\nRCPT TO:<victim@corp.test".into()],
        b"x\r\n",
    )
    .await
    .unwrap_err();
    assert!(matches!(e, SubmitError::Address(_)), "{e}");
    assert!(!log
        .lock()
        .unwrap()
        .commands
        .iter()
        .any(|c| c.contains("AUTH") || c.contains("victim")));
}

fn b64(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let clean: Vec<u8> = s.bytes().filter(|c| *c != b'=').collect();
    let mut out = Vec::new();
    for chunk in clean.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= u32::from(val(c)) << (18 - 6 * i);
        }
        for i in 0..chunk.len().saturating_sub(1) {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

#[tokio::test]
async fn a_line_longer_than_smtp_allows_is_refused_before_connecting() {
    let (addr, log) = start_sink(SinkOpts {
        offer_starttls: true,
        implicit_tls: false,
    })
    .await;
    let msg = format!("Subject: x\r\n\r\n{}\r\n", "y".repeat(2952));
    let e = send(
        &settings(addr.port(), TlsMode::StartTls, None, true),
        "desk@example.org",
        &["abuse@x.test".into()],
        msg.as_bytes(),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, SubmitError::LineTooLong { len: 2952 }), "{e}");
    assert!(log.lock().unwrap().commands.is_empty());
}

#[tokio::test]
async fn implicit_tls_submits_with_auth_from_the_first_byte() {
    let (addr, log) = start_sink(SinkOpts {
        offer_starttls: false,
        implicit_tls: true,
    })
    .await;
    let reply = send(
        &settings(addr.port(), TlsMode::Implicit, Some("jane"), true),
        "desk@example.org",
        &["abuse@x.test".into()],
        b"Subject: x\n\n.leading dot\nbody\n",
    )
    .await
    .unwrap();
    assert!(reply.contains("queued as SINK42"), "{reply}");
    let log = log.lock().unwrap().clone();
    assert!(
        log.commands.iter().all(|c| c.starts_with("[tls] ")),
        "{:?}",
        log.commands
    );
    assert!(log
        .commands
        .iter()
        .any(|c| c.starts_with("[tls] AUTH PLAIN ")));
    // CRLF line ends, the leading dot stuffed on the wire and removed by the sink.
    assert_eq!(log.data, b"Subject: x\r\n\r\n.leading dot\r\nbody\r\n");
}
