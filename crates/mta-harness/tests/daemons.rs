//! Each daemon starts on loopback, answers a banner, relays for a stranger when configured
//! open, refuses when configured closed, and delivers what it relays only to our sink.

use relayhunt_mta_harness::{
    require_or_skip, Exim, EximConfig, Instance, OpenSmtpd, OpenSmtpdConfig, Postfix,
    PostfixConfig, Sink,
};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::Duration;

/// A minimal SMTP conversation; returns the reply code of each command after the banner.
fn converse(port: u16, commands: &[&str]) -> Vec<u16> {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    let mut codes = Vec::new();
    let read_reply = |reader: &mut BufReader<TcpStream>| -> u16 {
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("reply");
            assert!(line.len() >= 3, "short reply {line:?}");
            if line.as_bytes().get(3) != Some(&b'-') {
                return line[..3].parse().expect("code");
            }
        }
    };
    assert_eq!(read_reply(&mut reader), 220);
    for c in commands {
        writer.write_all(format!("{c}\r\n").as_bytes()).unwrap();
        codes.push(read_reply(&mut reader));
    }
    codes
}

/// A one-shot loopback SMTP sink: accepts one message and sends its text down a channel.
fn sink() -> (u16, mpsc::Receiver<String>) {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let _ = serve(stream, &tx);
            });
        }
    });
    (port, rx)
}

fn serve(stream: TcpStream, tx: &mpsc::Sender<String>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut w = stream;
    w.write_all(b"220 sink.test ESMTP\r\n")?;
    let mut in_data = false;
    let mut message = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || message.len() > 1 << 20 {
            return Ok(());
        }
        if in_data {
            if line == ".\r\n" {
                in_data = false;
                w.write_all(b"250 ok\r\n")?;
                let _ = tx.send(std::mem::take(&mut message));
            } else {
                message.push_str(&line);
            }
            continue;
        }
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => w.write_all(b"250-sink.test\r\n250 8BITMIME\r\n")?,
            "DATA" => {
                in_data = true;
                w.write_all(b"354 go\r\n")?
            }
            "QUIT" => {
                w.write_all(b"221 bye\r\n")?;
                return Ok(());
            }
            _ => w.write_all(b"250 ok\r\n")?,
        }
    }
}

/// Relay one message through `open`, check `closed` refuses the same, and see it arrive.
fn check_pair(open: &Instance, closed: &Instance, rx: &mpsc::Receiver<String>) {
    let token = format!("relayhunt-harness-{}", open.port);
    let subject = format!("Subject: {token}");
    let codes = converse(
        open.port,
        &[
            "EHLO prober.test",
            "MAIL FROM:<stranger@example.org>",
            "RCPT TO:<victim@example.net>",
            "DATA",
            &format!("{subject}\r\n\r\nhello\r\n."),
            "QUIT",
        ],
    );
    assert_eq!(
        codes,
        vec![250, 250, 250, 354, 250, 221],
        "open config must relay; log:\n{}",
        open.log()
    );
    let codes = converse(
        closed.port,
        &[
            "EHLO prober.test",
            "MAIL FROM:<stranger@example.org>",
            "RCPT TO:<victim@example.net>",
            "QUIT",
        ],
    );
    assert_eq!(codes[1], 250, "log:\n{}", closed.log());
    assert!(
        (400..600).contains(&codes[2]),
        "closed config must refuse a stranger's RCPT, got {codes:?}; log:\n{}",
        closed.log()
    );
    let got = rx
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| {
            panic!(
                "relayed message never reached the sink; log:\n{}",
                open.log()
            )
        });
    assert!(got.contains(&token), "sink got another message: {got}");
}

#[test]
fn postfix_open_relays_to_sink_closed_refuses() {
    if !require_or_skip("postfix", Postfix::available()) {
        return;
    }
    let (sink_port, rx) = sink();
    let open = Postfix::start(PostfixConfig::open(), sink_port).expect("start open postfix");
    let closed = Postfix::start(PostfixConfig::closed(), sink_port).expect("start closed postfix");
    assert_ne!(open.port, closed.port);
    check_pair(&open, &closed, &rx);
}

#[test]
fn postfix_second_listener_from_master_cf() {
    if !require_or_skip("postfix", Postfix::available()) {
        return;
    }
    let config = PostfixConfig::closed()
        .with_master_cf("127.0.0.1:{PORT2} inet n - n - - smtpd\n  -o mynetworks=0.0.0.0/0");
    let pf = Postfix::start(config, 9).expect("start postfix");
    let port2 = pf.port2.expect("second listener");
    let codes = converse(
        port2,
        &[
            "EHLO p",
            "MAIL FROM:<a@example.org>",
            "RCPT TO:<b@example.net>",
        ],
    );
    assert_eq!(codes, vec![250, 250, 250], "log:\n{}", pf.log());
    let codes = converse(
        pf.port,
        &[
            "EHLO p",
            "MAIL FROM:<a@example.org>",
            "RCPT TO:<b@example.net>",
        ],
    );
    assert!(codes[2] >= 400, "main listener stays closed: {codes:?}");
}

#[test]
fn exim_open_relays_to_sink_closed_refuses() {
    if !require_or_skip("exim", Exim::available()) {
        return;
    }
    let (sink_port, rx) = sink();
    let open = Exim::start(EximConfig::open(), sink_port).expect("start open exim");
    let closed = Exim::start(EximConfig::closed(), sink_port).expect("start closed exim");
    check_pair(&open, &closed, &rx);
    // The library's sink receives what an open relay delivers.
    let lib_sink = Sink::start().expect("sink");
    let open = Exim::start(EximConfig::open(), lib_sink.port).expect("start open exim");
    let codes = converse(
        open.port,
        &[
            "EHLO p",
            "MAIL FROM:<a@example.org>",
            "RCPT TO:<b@example.net>",
            "DATA",
            "Subject: lib-sink-token\r\n\r\nx\r\n.",
            "QUIT",
        ],
    );
    assert_eq!(codes[4], 250, "{}", open.log());
    assert!(
        lib_sink
            .wait_for("lib-sink-token", Duration::from_secs(30))
            .is_some(),
        "{}",
        open.log()
    );
}

#[test]
fn opensmtpd_open_relays_to_sink_closed_refuses() {
    if !require_or_skip("opensmtpd", OpenSmtpd::available()) {
        return;
    }
    let (sink_port, rx) = sink();
    let open = OpenSmtpd::start(OpenSmtpdConfig::open(), sink_port).expect("start open smtpd");
    let closed =
        OpenSmtpd::start(OpenSmtpdConfig::closed(), sink_port).expect("start closed smtpd");
    check_pair(&open, &closed, &rx);
}

#[test]
fn sendmail_starts_and_relays_only_to_the_sink() {
    if !require_or_skip("sendmail", relayhunt_mta_harness::Sendmail::available()) {
        return;
    }
    let sink = Sink::start().expect("sink");
    // 127.0.0.1 is always trusted by Sendmail, so from here the default config relays.
    let sm = relayhunt_mta_harness::Sendmail::start("", sink.port).expect("start sendmail");
    let codes = converse(
        sm.port,
        &[
            "EHLO p.test",
            "MAIL FROM:<a@example.org>",
            "RCPT TO:<b@example.net>",
            "DATA",
            "Subject: sendmail-sink-token\r\n\r\nx\r\n.",
            "QUIT",
        ],
    );
    assert_eq!(codes, vec![250, 250, 250, 354, 250, 221], "{}", sm.log());
    assert!(
        sink.wait_for("sendmail-sink-token", Duration::from_secs(30))
            .is_some(),
        "{}",
        sm.log()
    );
}

#[test]
#[ignore = "helper run by watchdog_cleans_up_after_a_killed_test_process"]
fn helper_start_postfix_and_hang() {
    let pf = Postfix::start(PostfixConfig::closed(), 9).expect("start postfix");
    println!("INSTANCE {} {}", pf.port, pf.dir.display());
    std::thread::sleep(Duration::from_secs(120));
}

#[test]
fn watchdog_cleans_up_after_a_killed_test_process() {
    if !require_or_skip("postfix", Postfix::available()) {
        return;
    }
    let mut helper = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "helper_start_postfix_and_hang",
            "--nocapture",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn helper");
    let mut out = BufReader::new(helper.stdout.take().unwrap());
    let (port, dir) = loop {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "helper ended without an instance"
        );
        if let Some(rest) = line.strip_prefix("INSTANCE ") {
            let (p, d) = rest.trim().split_once(' ').unwrap();
            break (p.parse::<u16>().unwrap(), std::path::PathBuf::from(d));
        }
    };
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_ok(),
        "instance up"
    );
    helper.kill().unwrap(); // SIGKILL: no Drop runs in the helper
    helper.wait().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while (dir.exists() || TcpStream::connect(("127.0.0.1", port)).is_ok())
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(!dir.exists(), "watchdog removed {}", dir.display());
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "watchdog stopped postfix"
    );
}
