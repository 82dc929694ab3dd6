//! Hostile and odd servers: every case must end as a per-target verdict within its time limit,
//! with the transcript telling what happened.

mod fakes;

use fakes::{answering, banner, spawn, standard, Action, EHLO_AFTER_TLS, EHLO_PLAIN, EHLO_TLS};
use relayhunt_probe::{probe_target, ProbeOptions, TestOutcome, Timeouts, Verdict};
use std::time::{Duration, Instant};

fn quick() -> ProbeOptions {
    ProbeOptions {
        timeouts: Timeouts {
            connect: Duration::from_secs(2),
            reply: Duration::from_millis(800),
            target: Duration::from_secs(20),
        },
        ..ProbeOptions::default()
    }
}

#[tokio::test]
async fn tarpit_without_banner_times_out() {
    let fake = spawn(
        |_| Action::Silence,
        |s, l| standard(s, l, EHLO_PLAIN),
        None,
        false,
    )
    .await;
    let start = Instant::now();
    let r = probe_target(fake.addr, &quick()).await;
    assert_eq!(r.verdict, Verdict::Timeout, "{}", r.transcript.render());
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "took {:?}",
        start.elapsed()
    );
    assert!(r.detail.contains("banner"), "{}", r.detail);
}

#[tokio::test]
async fn dripping_tarpit_times_out_per_reply_not_per_byte() {
    let fake = spawn(
        |_| Action::Drip,
        |s, l| standard(s, l, EHLO_PLAIN),
        None,
        false,
    )
    .await;
    let start = Instant::now();
    let r = probe_target(fake.addr, &quick()).await;
    assert_eq!(r.verdict, Verdict::Timeout);
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "took {:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn endless_line_is_a_protocol_error_quickly() {
    let fake = spawn(
        |_| Action::Endless,
        |s, l| standard(s, l, EHLO_PLAIN),
        None,
        false,
    )
    .await;
    let start = Instant::now();
    let r = probe_target(fake.addr, &quick()).await;
    assert_eq!(r.verdict, Verdict::ProtocolError, "{}", r.detail);
    assert!(r.detail.contains("longer than"), "{}", r.detail);
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn garbage_reply_codes_are_a_protocol_error() {
    let fake = answering(vec![(
        "EHLO",
        Action::Reply("HTTP/1.1 400 Bad Request\r\n".into()),
    )])
    .await;
    let r = probe_target(fake.addr, &quick()).await;
    assert_eq!(r.verdict, Verdict::ProtocolError);
    assert!(r.detail.contains("malformed reply line"), "{}", r.detail);
    // The evidence keeps what was said before the garbage.
    assert!(r.transcript.render().contains("S: 220 fake.example ESMTP"));
}

#[tokio::test]
async fn multiline_replies_are_parsed_and_closed_server_is_closed() {
    let fake = spawn(
        |_| Action::Reply("220-mx.closed.example ESMTP\r\n220-No UCE\r\n220 Be nice\r\n".into()),
        |s, l| {
            let upper = l.to_ascii_uppercase();
            if upper.starts_with("EHLO") {
                Action::Reply("250-mx.closed.example\r\n250-SIZE 52428800\r\n250-AUTH PLAIN LOGIN\r\n250-XCLIENT NAME ADDR\r\n250-ENHANCEDSTATUSCODES\r\n250 SMTPUTF8\r\n".into())
            } else if upper.starts_with("RCPT TO:") {
                Action::Reply("550-5.7.1 Unable to relay\r\n550-5.7.1 Please authenticate\r\n550 5.7.1 first\r\n".into())
            } else {
                standard(s, l, EHLO_PLAIN)
            }
        },
        None,
        false,
    )
    .await;
    let r = probe_target(fake.addr, &quick()).await;
    assert_eq!(r.verdict, Verdict::Closed, "{}", r.detail);
    assert_eq!(r.banner.as_ref().unwrap().lines.len(), 3);
    let ext = r.extensions.as_ref().unwrap();
    assert_eq!(ext.server_name.as_deref(), Some("mx.closed.example"));
    assert!(ext.xclient && ext.smtputf8);
    assert_eq!(ext.auth, ["PLAIN", "LOGIN"]);
    let plain = r.tests.iter().find(|t| t.id == "outside-plain").unwrap();
    assert_eq!(plain.outcome, TestOutcome::Rejected);
    assert_eq!(plain.rcpt_reply.as_ref().unwrap().lines.len(), 3);
    // Templates used the server's own name from EHLO.
    let host = r
        .tests
        .iter()
        .find(|t| t.id == "source-route-host")
        .unwrap();
    assert_eq!(host.rcpt_to, "@mx.closed.example:relaytest@example.net");
    let domain = r
        .tests
        .iter()
        .find(|t| t.id == "source-route-domain")
        .unwrap();
    assert_eq!(domain.rcpt_to, "@closed.example:relaytest@example.net");
}

#[tokio::test]
async fn too_many_reply_lines_is_a_protocol_error() {
    let fake = answering(vec![("EHLO", Action::Reply("250-x\r\n".repeat(10_000)))]).await;
    let r = probe_target(fake.addr, &quick()).await;
    assert_eq!(r.verdict, Verdict::ProtocolError);
    assert!(r.detail.contains("lines"), "{}", r.detail);
}

#[tokio::test]
async fn starttls_failure_is_recorded_and_the_probe_falls_back_to_plaintext() {
    let fake = spawn(
        banner,
        |s, l| {
            let upper = l.to_ascii_uppercase();
            if upper == "STARTTLS" {
                Action::StartTlsGarbage
            } else if upper.starts_with("RCPT TO:") {
                Action::Reply("554 5.7.1 Relay access denied\r\n".into())
            } else {
                standard(s, l, EHLO_TLS)
            }
        },
        None,
        false,
    )
    .await;
    let r = probe_target(fake.addr, &quick()).await;
    assert_eq!(r.verdict, Verdict::Closed, "{}", r.transcript.render());
    assert!(r.tls.is_none());
    assert!(
        r.tls_error
            .as_deref()
            .unwrap()
            .contains("TLS handshake failed"),
        "{:?}",
        r.tls_error
    );
    assert!(r.transcript.render().contains("continuing without TLS"));
}

#[tokio::test]
async fn implicit_tls_failure_is_a_protocol_error() {
    // A plaintext server on a port the probe treats as implicit TLS (465).
    let fake = spawn(banner, |s, l| standard(s, l, EHLO_PLAIN), None, false).await;
    let opts = ProbeOptions {
        implicit_tls: true,
        ..quick()
    };
    let start = Instant::now();
    let r = probe_target(fake.addr, &opts).await;
    assert!(
        matches!(r.verdict, Verdict::ProtocolError | Verdict::Timeout),
        "{:?}",
        r.verdict
    );
    assert!(r.detail.contains("implicit TLS failed"), "{}", r.detail);
    assert!(start.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn starttls_records_an_untrusted_certificate_and_goes_on() {
    let fake = spawn(
        banner,
        |s, l| {
            let upper = l.to_ascii_uppercase();
            if upper.starts_with("EHLO") && s.tls {
                Action::Reply(EHLO_AFTER_TLS.into())
            } else if upper.starts_with("RCPT TO:") {
                if l.contains('%') || l.contains('!') {
                    Action::Reply("250 2.1.5 Ok\r\n".into())
                } else {
                    Action::Reply("554 5.7.1 Relay access denied\r\n".into())
                }
            } else {
                standard(s, l, EHLO_TLS)
            }
        },
        None,
        false,
    )
    .await;
    let r = probe_target(fake.addr, &quick()).await;
    let tls = r.tls.as_ref().expect("TLS was negotiated");
    assert!(
        tls.cert_subject
            .as_deref()
            .unwrap()
            .contains("CN=mx.fake-relay.test"),
        "{tls:?}"
    );
    assert!(!tls.verified);
    assert!(tls.verify_error.is_some());
    assert_eq!(tls.subject_alt_names, ["mx.fake-relay.test"]);
    assert!(tls.not_after.as_deref().unwrap() > "2100");
    assert_eq!(r.extensions_tls.as_ref().unwrap().auth, ["PLAIN", "LOGIN"]);
    // Only percent and bang tricks were accepted: not proof of relaying.
    assert_eq!(r.verdict, Verdict::AcceptsThenUnknown, "{}", r.detail);
    assert!(r.accepted_tests.iter().any(|t| t == "percent-hack-ip"));
    assert!(r.accepted_tests.iter().any(|t| t == "bang-path"));
    assert!(!r.accepted_tests.iter().any(|t| t == "outside-plain"));
}

#[tokio::test]
async fn closing_421_mid_battery_reconnects_and_finishes() {
    let fake = spawn(
        banner,
        |s, l| {
            if l.to_ascii_uppercase().starts_with("RCPT TO:") {
                if s.conn_index == 0 && s.rcpt_commands == 3 {
                    return Action::Close(
                        "421 4.7.0 fake.example Error: too many errors\r\n".into(),
                    );
                }
                Action::Reply("550 5.7.1 Relaying denied\r\n".into())
            } else {
                standard(s, l, EHLO_PLAIN)
            }
        },
        None,
        false,
    )
    .await;
    let r = probe_target(fake.addr, &quick()).await;
    assert_eq!(
        r.verdict,
        Verdict::Closed,
        "{}\n{}",
        r.detail,
        r.transcript.render()
    );
    assert!(r.reconnects >= 1);
    let third = &r.tests[2];
    assert_eq!(
        third.outcome,
        TestOutcome::Rejected,
        "the interrupted test is retried"
    );
    assert!(r
        .tests
        .iter()
        .all(|t| matches!(t.outcome, TestOutcome::Rejected | TestOutcome::Skipped)));
    assert!(r.transcript.render().contains("421 4.7.0"));
}

#[tokio::test]
async fn server_that_always_hangs_up_gives_up_after_the_reconnect_limit() {
    let fake = answering(vec![(
        "MAIL FROM:",
        Action::Close("421 4.3.2 Service shutting down\r\n".into()),
    )])
    .await;
    let r = probe_target(fake.addr, &quick()).await;
    assert_eq!(r.verdict, Verdict::ProtocolError, "{}", r.detail);
    assert!(r.detail.contains("giving up"));
    assert_eq!(
        fake.connections.load(std::sync::atomic::Ordering::SeqCst),
        4
    );
}

#[tokio::test]
async fn refused_connection_is_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let r = probe_target(addr, &quick()).await;
    assert_eq!(r.verdict, Verdict::Unreachable);
    assert!(r.detail.contains("connect"), "{}", r.detail);
}

#[tokio::test]
async fn greeting_554_is_closed() {
    let fake = spawn(
        |_| Action::Close("554 5.7.1 Your IP is on our blocklist\r\n".into()),
        |s, l| standard(s, l, EHLO_PLAIN),
        None,
        false,
    )
    .await;
    let r = probe_target(fake.addr, &quick()).await;
    assert_eq!(r.verdict, Verdict::Closed);
    assert!(r.detail.contains("refuses service at greeting"));
}

#[tokio::test]
async fn whole_target_limit_returns_partial_transcript() {
    // Answers each command after 150 ms: fine per reply, too slow for a 2 s target budget.
    let fake = spawn(
        banner,
        |s, l| {
            let slow = Duration::from_millis(150);
            if l.to_ascii_uppercase().starts_with("RCPT TO:") {
                Action::Delayed(slow, "550 5.7.1 Relaying denied\r\n".into())
            } else {
                match standard(s, l, EHLO_PLAIN) {
                    Action::Reply(r) => Action::Delayed(slow, r),
                    other => other,
                }
            }
        },
        None,
        false,
    )
    .await;
    let opts = ProbeOptions {
        timeouts: Timeouts {
            target: Duration::from_secs(2),
            ..quick().timeouts
        },
        ..quick()
    };
    let start = Instant::now();
    let r = probe_target(fake.addr, &opts).await;
    assert!(start.elapsed() < Duration::from_millis(2600));
    assert_eq!(r.verdict, Verdict::Timeout, "{}", r.detail);
    assert!(r.detail.contains("whole-target"));
    assert!(r.tests.iter().any(|t| t.outcome == TestOutcome::Rejected));
    assert!(r.tests.iter().any(|t| t
        .error
        .as_deref()
        .is_some_and(|e| e.starts_with("not run: whole-target"))));
}

#[tokio::test]
async fn auth_required_server() {
    let fake = answering(vec![(
        "RCPT TO:",
        Action::Reply("530 5.7.0 Authentication required\r\n".into()),
    )])
    .await;
    let r = probe_target(fake.addr, &quick()).await;
    assert_eq!(r.verdict, Verdict::AuthRequired, "{}", r.detail);
}

#[tokio::test]
async fn helo_fallback_when_ehlo_is_refused() {
    let fake = spawn(
        |_| Action::Reply("220 old.example SMTP\r\n".into()),
        |s, l| {
            let upper = l.to_ascii_uppercase();
            if upper.starts_with("EHLO") {
                Action::Reply("502 5.5.1 Command not implemented\r\n".into())
            } else if upper.starts_with("RCPT TO:") {
                Action::Reply("250 ok\r\n".into())
            } else {
                standard(s, l, EHLO_PLAIN)
            }
        },
        None,
        false,
    )
    .await;
    let r = probe_target(fake.addr, &quick()).await;
    assert_eq!(r.greeting_command.as_deref(), Some("HELO"));
    assert_eq!(r.verdict, Verdict::Open);
}

/// RFC 2920: MAIL, RCPT and RSET go out in one write only when PIPELINING is announced.
#[tokio::test]
async fn pipelines_only_when_advertised() {
    use relayhunt_probe::transcript::Direction;
    let client_runs = |r: &relayhunt_probe::TargetResult| {
        let dirs: Vec<Direction> = r
            .transcript
            .entries
            .iter()
            .map(|e| e.dir)
            .filter(|d| *d != Direction::Note)
            .collect();
        dirs.windows(3)
            .filter(|w| w.iter().all(|d| *d == Direction::Client))
            .count()
    };
    let piped = fakes::closed_relay().await;
    let r = probe_target(piped.addr, &quick()).await;
    assert_eq!(r.verdict, Verdict::Closed);
    assert!(client_runs(&r) >= 20, "{}", r.transcript.render());
    // Tests whose sender the server already accepted go four to a write.
    assert!(
        r.transcript
            .entries
            .iter()
            .any(|e| e.line.ends_with("(pipelined)")),
        "{}",
        r.transcript.render()
    );
    assert!(r.tests.iter().all(|t| t.outcome != TestOutcome::Error));
    let plain = spawn(
        banner,
        |s, l| {
            if l.starts_with("EHLO") {
                Action::Reply("250-old.example\r\n250 SIZE 1000000\r\n".into())
            } else if l.starts_with("RCPT") {
                Action::Reply("550 5.7.1 Relaying denied\r\n".into())
            } else {
                standard(s, l, EHLO_PLAIN)
            }
        },
        None,
        false,
    )
    .await;
    let r = probe_target(plain.addr, &quick()).await;
    assert_eq!(r.verdict, Verdict::Closed);
    assert_eq!(client_runs(&r), 0, "{}", r.transcript.render());
}

/// Port 465 style: TLS from the first byte, then SMTP inside it.
#[tokio::test]
async fn implicit_tls_session_is_probed_inside_tls() {
    let fake = spawn(
        banner,
        |s, l| {
            if l.to_ascii_uppercase().starts_with("RCPT TO:") {
                Action::Reply("530 5.7.0 Must issue AUTH first\r\n".into())
            } else {
                standard(s, l, EHLO_AFTER_TLS)
            }
        },
        None,
        true,
    )
    .await;
    let opts = ProbeOptions {
        implicit_tls: true,
        ..quick()
    };
    let r = probe_target(fake.addr, &opts).await;
    assert_eq!(r.verdict, Verdict::AuthRequired, "{}", r.detail);
    let tls = r.tls.as_ref().unwrap();
    assert_eq!(tls.mode, relayhunt_probe::smtp::tls::TlsMode::Implicit);
    assert!(tls.version.is_some());
    assert!(
        r.extensions_tls.is_none(),
        "no STARTTLS on an implicit TLS session"
    );
}
