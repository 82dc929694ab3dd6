//! End to end through the real `relayhunt` binary: `canary listen` as a child process, then
//! `probe --confirm --wait-canary` against it, checking exit codes and the NDJSON result.
//!
//! The binary belongs to the cli crate, so it is found next to this test's own executable
//! (`target/<profile>/relayhunt`); `cargo test --workspace` builds it. When it is missing the
//! test says so and skips.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let profile_dir = exe.parent()?.parent()?;
    let bin = profile_dir.join("relayhunt");
    bin.exists().then_some(bin)
}

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn canary_listen_and_probe_confirm_through_the_binary() {
    let Some(bin) = binary() else {
        eprintln!("SKIPPED: target/<profile>/relayhunt not built; run `cargo test --workspace`");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("tokens.ndjson");
    let mut sink = Child(
        Command::new(&bin)
            .args([
                "canary",
                "listen",
                "--port",
                "0",
                "--duration",
                "60",
                "--tokens-file",
            ])
            .arg(&ledger)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // "relayhunt canary: listening on 127.0.0.1:PORT, recording tokens in …"
    let mut line = String::new();
    BufReader::new(sink.0.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split_whitespace()
        .find(|w| w.starts_with("127.0.0.1:"))
        .map(|w| w.trim_end_matches(','))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    let start = Instant::now();
    let out = Command::new(&bin)
        .args([
            "probe",
            &addr,
            "--confirm",
            "--rcpt",
            "me@canary.test",
            "--wait-canary",
        ])
        .arg(&ledger)
        .args([
            "--canary-wait",
            "10",
            "--tests",
            "outside-plain,percent-hack-ip",
            "--format",
            "ndjson",
            "--no-progress",
        ])
        .output()
        .unwrap();
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["verdict"], "OPEN");
    assert_eq!(result["open_evidence"], "proven");
    let ledger_text = std::fs::read_to_string(&ledger).unwrap();
    assert_eq!(
        ledger_text.lines().count(),
        2,
        "both canaries reached the sink"
    );
    // Usage error: exit 2 with a message naming the problem.
    let out = Command::new(&bin)
        .args(["probe", "127.0.0.0/8"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--i-own-this-range"));
}
