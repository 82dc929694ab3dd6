//! Proof by delivery: canaries sent with `--confirm` must reach the loopback sink with their
//! token, and the verdict must follow what arrived, not what was promised.

mod fakes;

use fakes::{banner, spawn, standard, Action, OnMessage, EHLO_PLAIN};
use relayhunt_probe::battery::by_id;
use relayhunt_probe::canary::ledger;
use relayhunt_probe::canary::sink::{Sink, SinkConfig};
use relayhunt_probe::canary::token::find_tokens;
use relayhunt_probe::{
    probe_target, ConfirmOptions, Mailbox, OpenEvidence, ProbeOptions, Timeouts, Verdict,
};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// A minimal SMTP client used by the fakes to forward what they accepted, and by the tests to
/// talk to the sink directly. Returns every reply line.
async fn smtp_send(to: SocketAddr, from: &str, rcpt: &str, data: &[u8]) -> Vec<String> {
    let stream = TcpStream::connect(to).await.unwrap();
    let (rd, mut wr) = stream.into_split();
    let mut rd = BufReader::new(rd);
    let mut replies = Vec::new();
    async fn reply(rd: &mut BufReader<tokio::net::tcp::OwnedReadHalf>, out: &mut Vec<String>) {
        loop {
            let mut line = String::new();
            if rd.read_line(&mut line).await.unwrap() == 0 {
                return;
            }
            let done = line.as_bytes().get(3) != Some(&b'-');
            out.push(line.trim_end().to_string());
            if done {
                return;
            }
        }
    }
    reply(&mut rd, &mut replies).await;
    for cmd in [
        "EHLO relay.fake.test".to_string(),
        format!("MAIL FROM:<{from}>"),
        format!("RCPT TO:<{rcpt}>"),
        "DATA".to_string(),
    ] {
        wr.write_all(format!("{cmd}\r\n").as_bytes()).await.unwrap();
        reply(&mut rd, &mut replies).await;
    }
    wr.write_all(data).await.unwrap();
    wr.write_all(b".\r\n").await.unwrap();
    reply(&mut rd, &mut replies).await;
    wr.write_all(b"QUIT\r\n").await.unwrap();
    reply(&mut rd, &mut replies).await;
    replies
}

fn confirm_opts(ledger: &Path, wait: Duration) -> ProbeOptions {
    ProbeOptions {
        recipient: Mailbox::parse("you@canary.test").unwrap(),
        battery: ["outside-plain", "percent-hack-ip", "bang-path"]
            .iter()
            .map(|id| by_id(id).unwrap())
            .collect(),
        timeouts: Timeouts {
            connect: Duration::from_secs(2),
            reply: Duration::from_secs(2),
            target: Duration::from_secs(20),
        },
        confirm: Some(ConfirmOptions {
            ledger: Some(ledger.to_path_buf()),
            wait,
        }),
        ..ProbeOptions::default()
    }
}

/// An open relay that forwards plain outside recipients to `sink` and drops the rest (what
/// a server does with a percent hack it takes as a local address).
async fn forwarding_relay(sink: SocketAddr) -> fakes::Fake {
    let forward: OnMessage = Arc::new(move |s, message| {
        let from = s.mail_from.clone().unwrap_or_default();
        let from = from.trim_matches(['<', '>']).to_string();
        let rcpt = s.rcpts.first().cloned().unwrap_or_default();
        let rcpt = rcpt.trim_matches(['<', '>']).to_string();
        if !rcpt.contains('%') && !rcpt.contains('!') {
            let mut data =
                b"Received: from prober by relay.fake.test; Mon, 23 Nov 2026 12:00:00 +0000\r\n"
                    .to_vec();
            data.extend_from_slice(&message);
            tokio::spawn(async move {
                smtp_send(sink, &from, &rcpt, &data).await;
            });
        }
        "250 2.0.0 Ok: queued as 4FAKE\r\n".into()
    });
    spawn(
        banner,
        |s, l| {
            if l.to_ascii_uppercase().starts_with("RCPT TO:") {
                Action::Reply("250 2.1.5 Ok\r\n".into())
            } else {
                standard(s, l, EHLO_PLAIN)
            }
        },
        Some(forward),
        false,
    )
    .await
}

#[tokio::test]
async fn confirm_proves_delivery_through_a_forwarding_relay() {
    let dir = tempfile::tempdir().unwrap();
    let ledger_path = dir.path().join("tokens.ndjson");
    let sink = Sink::bind(
        &["127.0.0.1:0".parse().unwrap()],
        SinkConfig {
            ledger: Some(ledger_path.clone()),
            ..SinkConfig::default()
        },
    )
    .await
    .unwrap();
    let relay = forwarding_relay(sink.local_addr()).await;
    let r = probe_target(
        relay.addr,
        &confirm_opts(&ledger_path, Duration::from_secs(3)),
    )
    .await;
    assert_eq!(
        r.verdict,
        Verdict::Open,
        "{}\n{}",
        r.detail,
        r.transcript.render()
    );
    assert_eq!(r.open_evidence, Some(OpenEvidence::Proven));
    let plain = r.tests.iter().find(|t| t.id == "outside-plain").unwrap();
    let canary = plain.canary.as_ref().unwrap();
    assert!(canary.message_accepted);
    assert!(canary.arrived_at.is_some());
    // The percent hack was accepted and taken but never came out: not proven.
    let hack = r.tests.iter().find(|t| t.id == "percent-hack-ip").unwrap();
    assert!(hack.canary.as_ref().unwrap().message_accepted);
    assert!(hack.canary.as_ref().unwrap().arrived_at.is_none());
    // The sink saw the token in Subject and body, with the relay's Received header.
    let arrivals = ledger::read(&ledger_path).unwrap();
    let a = arrivals.iter().find(|a| a.token == canary.token).unwrap();
    assert_eq!(a.rcpt_to, ["you@canary.test"]);
    assert!(a.subject.as_deref().unwrap().contains(&canary.token));
    assert!(a.received[0].contains("relay.fake.test"));
    assert!(a.peer.starts_with("127.0.0.1:"));
    // The message the relay got carries the token exactly once as a token.
    let msgs = relay.messages.lock().unwrap().clone();
    assert!(msgs
        .iter()
        .any(|m| find_tokens(m) == vec![canary.token.clone()]));
}

#[tokio::test]
async fn blackhole_relay_is_accepts_then_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let ledger_path = dir.path().join("tokens.ndjson");
    let relay = fakes::open_relay().await;
    let r = probe_target(
        relay.addr,
        &confirm_opts(&ledger_path, Duration::from_secs(1)),
    )
    .await;
    assert_eq!(r.verdict, Verdict::AcceptsThenUnknown, "{}", r.detail);
    assert!(r.detail.contains("no canary arrived"), "{}", r.detail);
    assert_eq!(relay.messages.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn data_refused_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    let ledger_path = dir.path().join("tokens.ndjson");
    let refuse: OnMessage = Arc::new(|_, _| "554 5.7.1 Relay access denied\r\n".into());
    let relay = spawn(
        banner,
        |s, l| {
            if l.to_ascii_uppercase().starts_with("RCPT TO:") {
                Action::Reply("250 2.1.5 Ok\r\n".into())
            } else {
                standard(s, l, EHLO_PLAIN)
            }
        },
        Some(refuse),
        false,
    )
    .await;
    let r = probe_target(
        relay.addr,
        &confirm_opts(&ledger_path, Duration::from_secs(1)),
    )
    .await;
    assert_eq!(r.verdict, Verdict::Closed, "{}", r.detail);
    assert!(r.detail.contains("refused every canary"), "{}", r.detail);
}

#[tokio::test]
async fn sink_is_bounded_and_keeps_serving() {
    let sink = Sink::bind(
        &["127.0.0.1:0".parse().unwrap()],
        SinkConfig {
            max_message: 10_000,
            ..SinkConfig::default()
        },
    )
    .await
    .unwrap();
    let addr = sink.local_addr();
    // Oversized message: 552, nothing recorded.
    let big = "X-Token: RH-CANARY-00000000000000000001\r\n".repeat(1000);
    let replies = smtp_send(addr, "a@b.test", "c@d.test", big.as_bytes()).await;
    assert!(replies.iter().any(|r| r.starts_with("552")), "{replies:?}");
    // An endless command line is refused without killing the session.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&vec![b'A'; 100_000]).await.unwrap();
    s.write_all(b"\r\nNOOP\r\n").await.unwrap();
    let mut rd = BufReader::new(s);
    let mut lines = Vec::new();
    for _ in 0..3 {
        let mut l = String::new();
        rd.read_line(&mut l).await.unwrap();
        lines.push(l);
    }
    assert!(lines[1].starts_with("500"), "{lines:?}");
    assert!(lines[2].starts_with("250"), "{lines:?}");
    // A normal canary still gets through, dot-stuffing undone.
    let msg =
        "Subject: relayhunt relay canary RH-CANARY-0123456789abcdef0123\r\n\r\n..leading dot\r\n";
    let replies = smtp_send(addr, "a@b.test", "c@d.test", msg.as_bytes()).await;
    assert!(
        replies
            .iter()
            .any(|r| r.starts_with("250 2.0.0 ok: 1 canary")),
        "{replies:?}"
    );
    let a = sink
        .wait_for("RH-CANARY-0123456789abcdef0123", Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!(a.mail_from, "a@b.test");
    assert_eq!(sink.messages(), 1);
}
