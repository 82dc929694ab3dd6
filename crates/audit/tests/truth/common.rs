//! Helpers shared by the truth tests: test data, audit, probe, raw SMTP exchanges.

use relayhunt_audit::{audit_bundle, Bundle, Mta, Report, Verdict};
use relayhunt_mta_harness::Instance;
use relayhunt_probe::{probe_target_blocking, ProbeOptions, TargetResult};
use std::net::SocketAddr;

pub fn data(rel: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

pub fn probe(port: u16, opts: &ProbeOptions) -> TargetResult {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    probe_target_blocking(addr, opts).expect("probe runtime")
}

pub fn audit(mta: Mta, files: &[(&str, &str)]) -> Report {
    audit_bundle(&Bundle::from_files("live", files), Some(mta)).expect("audit")
}

/// Assert audit and probe agree on `expect`; a CONDITIONAL's live side is asserted by the
/// caller, which knows whether the condition holds for the prober.
pub fn agree(name: &str, report: &Report, result: &TargetResult, inst: &Instance, expect: Verdict) {
    let ids: Vec<&str> = report.findings.iter().map(|f| f.rule).collect();
    assert_eq!(
        report.verdict, expect,
        "{name}: audit verdict; findings {ids:?}"
    );
    let probe_open = result.verdict == relayhunt_probe::Verdict::Open;
    // ACCEPTS-THEN-UNKNOWN is the probe's "inconclusive": only routing tricks
    // (user%outside@[server]) were accepted, which a server taking them as odd local
    // addresses does (OpenSMTPD's `match for local`); it is not a relay finding.
    let probe_closed = matches!(
        result.verdict,
        relayhunt_probe::Verdict::Closed | relayhunt_probe::Verdict::AcceptsThenUnknown
    );
    match expect {
        Verdict::OpenRelay => assert!(
            probe_open,
            "{name}: audit OPEN RELAY ({ids:?}) but probe {:?}: {}\nlog:\n{}",
            result.verdict,
            result.detail,
            inst.log()
        ),
        Verdict::Closed => assert!(
            probe_closed,
            "{name}: audit CLOSED but probe {:?}: {} (accepted {:?})\nlog:\n{}",
            result.verdict,
            result.detail,
            result.accepted_tests,
            inst.log()
        ),
        Verdict::Conditional => {}
    }
}

/// A raw SMTP exchange for behaviours the probe's battery does not exercise (XCLIENT,
/// routed addresses to a relay domain). Returns the reply code of each command.
pub fn smtp_codes(port: u16, commands: &[&str]) -> Vec<u16> {
    use std::io::{BufRead, BufReader, Write};
    let stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .expect("timeout");
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut writer = stream;
    let mut read_reply = || -> u16 {
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("reply");
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                return line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
            }
        }
    };
    let mut codes = vec![read_reply()];
    for c in commands {
        writer
            .write_all(format!("{c}\r\n").as_bytes())
            .expect("write");
        codes.push(read_reply());
    }
    codes
}

/// An SMTP exchange from a chosen loopback source address (Sendmail trusts 127.0.0.1
/// itself, hard-wired in its `Relay_ok` ruleset, so the stranger speaks from 127.0.0.2).
pub fn smtp_codes_from(source: [u8; 4], port: u16, commands: &[String]) -> Vec<u16> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket
            .bind(SocketAddr::from((source, 0)))
            .expect("bind source");
        let stream = socket
            .connect(SocketAddr::from(([127, 0, 0, 1], port)))
            .await
            .expect("connect");
        let (r, mut w) = stream.into_split();
        let mut lines = BufReader::new(r).lines();
        let mut read_reply = async || -> u16 {
            loop {
                let fut = lines.next_line();
                let line = tokio::time::timeout(std::time::Duration::from_secs(20), fut)
                    .await
                    .expect("reply in time")
                    .expect("read")
                    .unwrap_or_default();
                if line.len() < 4 || line.as_bytes()[3] != b'-' {
                    return line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
                }
            }
        };
        let mut codes = vec![read_reply().await];
        for c in commands {
            w.write_all(format!("{c}\r\n").as_bytes())
                .await
                .expect("write");
            codes.push(read_reply().await);
        }
        codes
    })
}
