//! `relayhunt analyze` end to end: the real binary on the bundled samples, stdin, mbox
//! batches, JSON/NDJSON, colours, exit codes, limits, config files and missing paths.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_relayhunt");

fn sample(name: &str) -> String {
    format!("{}/../../samples/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn relayhunt(args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("analyze")
        .args(args)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .output()
        .expect("run relayhunt")
}

fn with_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .arg("analyze")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn relayhunt");
    let mut stdin = child.stdin.take().unwrap();
    let data = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn mbox_of(dir: &Path, name: &str, messages: &[&[u8]]) -> PathBuf {
    let mut w = Vec::new();
    for m in messages {
        w.extend_from_slice(b"From MAILER-DAEMON Thu May 14 21:20:04 2026\n");
        for line in m.split_inclusive(|&b| b == b'\n') {
            let gt = line.iter().position(|&b| b != b'>').unwrap_or(line.len());
            if line[gt..].starts_with(b"From ") {
                w.push(b'>');
            }
            w.extend_from_slice(line);
        }
        w.extend_from_slice(b"\n");
    }
    let p = dir.join(name);
    std::fs::write(&p, w).unwrap();
    p
}

#[test]
fn seed_sample_headline_names_the_relay_and_exits_1() {
    let out = relayhunt(&[&sample("seed-relay.eml")]);
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    let headline = stdout.lines().nth(1).unwrap();
    assert!(headline.starts_with("OPEN RELAY SUSPECTED"), "{headline}");
    assert!(headline.contains("198.51.100.25"), "{headline}");
    assert!(stdout.contains("trust boundary"));
    // The table reads oldest first: the residential origin row comes before the boundary.
    let origin = stdout.find("adsl-203-0-113-77").unwrap();
    let boundary = stdout.find("---- trust boundary").unwrap();
    assert!(origin < boundary);
    assert!(stdout.contains("line 22: Received: from mail-relay.somecloud.example (198.51.100.25)"));
    // Piped output carries no colour escapes.
    assert!(!stdout.contains('\x1b'));
}

#[test]
fn colours_only_when_asked_and_never_with_no_color() {
    let out = relayhunt(&["--color", "always", &sample("seed-relay.eml")]);
    assert!(
        text(&out.stdout).contains("\x1b[1;35m"),
        "critical in magenta"
    );
    let out = Command::new(BIN)
        .args(["analyze", "--color", "auto", &sample("seed-relay.eml")])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!text(&out.stdout).contains('\x1b'));
}

#[test]
fn stdin_with_dash_and_without_paths() {
    let raw = std::fs::read(sample("seed-relay.eml")).unwrap();
    for args in [&["-"][..], &[][..]] {
        let out = with_stdin(args, &raw);
        let stdout = text(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            stdout.starts_with("== - ==\nOPEN RELAY SUSPECTED"),
            "{stdout}"
        );
    }
    // A pasted header block (no body, no blank line) is enough.
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let out = with_stdin(&["--json", "-"], &raw[..end]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["verdict"]["kind"], "open_relay_suspected");
    assert_eq!(doc["relay_ip"], "198.51.100.25");
}

#[test]
fn stdin_mbox_in_ndjson_streams_one_line_per_message_in_order() {
    let seed = std::fs::read(sample("seed-relay.eml")).unwrap();
    let clean = std::fs::read(sample("clean.eml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let msgs: Vec<&[u8]> = (0..40)
        .map(|i| if i % 2 == 0 { &seed[..] } else { &clean[..] })
        .collect();
    let p = mbox_of(dir.path(), "in.mbox", &msgs);
    let out = with_stdin(
        &["--format", "ndjson", "-j", "2"],
        &std::fs::read(p).unwrap(),
    );
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 40);
    for (i, doc) in lines.iter().enumerate() {
        assert_eq!(doc["source"]["path"], "-");
        assert_eq!(doc["source"]["message"], i + 1);
        let want = if i % 2 == 0 {
            "open_relay_suspected"
        } else {
            "clean"
        };
        assert_eq!(doc["verdict"]["kind"], want, "message {}", i + 1);
        assert_eq!(doc["schema_version"], "1");
    }
    // NDJSON keeps stdout machine-only; the batch summary goes to stderr.
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("40 messages analysed, 0 errors"),
        "{stderr}"
    );
    assert!(stderr.contains("open_relay_suspected 20"), "{stderr}");
    assert!(stderr.contains("20  198.51.100.25"), "{stderr}");
}

#[test]
fn json_is_one_document_for_one_message_and_an_array_for_several() {
    let out = relayhunt(&["--json", &sample("clean.eml")]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc.is_object());
    assert_eq!(doc["source"]["path"], sample("clean.eml"));
    assert_eq!(doc["source"]["message"], serde_json::Value::Null);
    assert_eq!(doc["verdict"]["kind"], "clean");
    assert_eq!(out.status.code(), Some(0));

    let out = relayhunt(&[
        "--format",
        "json",
        &sample("clean.eml"),
        &sample("compromised-account.eml"),
        "/nonexistent/relayhunt/missing.eml",
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let arr = doc.as_array().unwrap();
    assert_eq!(arr.len(), 3);
    assert_eq!(arr[1]["verdict"]["kind"], "compromised_account");
    assert_eq!(arr[1]["relay_ip"], "198.51.100.40");
    assert_eq!(arr[2]["error"]["kind"], "input");
    assert_eq!(
        arr[2]["source"]["path"],
        "/nonexistent/relayhunt/missing.eml"
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn missing_file_exits_2_after_analysing_the_others() {
    let out = relayhunt(&["nope/missing.eml", &sample("seed-relay.eml")]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("relayhunt: nope/missing.eml: no such file or folder; check the path"),
        "{stderr}"
    );
    let stdout = text(&out.stdout);
    assert!(stdout.contains("OPEN RELAY SUSPECTED"), "{stdout}");
    assert!(stdout.contains("1 messages analysed, 1 errors"), "{stdout}");
}

const SEVERITIES: [&str; 5] = ["info", "low", "medium", "high", "critical"];

fn rank(sev: &serde_json::Value) -> usize {
    SEVERITIES
        .iter()
        .position(|s| sev == s)
        .unwrap_or_else(|| panic!("unknown severity {sev}"))
}

#[test]
fn fail_on_threshold_decides_exit_code() {
    for name in [
        "seed-relay.eml",
        "clean.eml",
        "mailing-list.eml",
        "compromised-account.eml",
    ] {
        let s = sample(name);
        let out = relayhunt(&["--json", &s]);
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        // The worst severity of the verdict and every finding decides.
        let worst = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| rank(&f["severity"]))
            .fold(rank(&doc["verdict"]["severity"]), usize::max);
        for (i, threshold) in SEVERITIES.iter().enumerate() {
            let code = relayhunt(&["-q", "--fail-on", threshold, &s]).status.code();
            let want = if worst >= i { 1 } else { 0 };
            assert_eq!(
                code,
                Some(want),
                "{name} worst {} --fail-on {threshold}",
                SEVERITIES[worst]
            );
        }
        // Default threshold: high.
        let code = relayhunt(&["-q", &s]).status.code();
        assert_eq!(code, Some(if worst >= 3 { 1 } else { 0 }), "{name} default");
    }
    assert_eq!(
        relayhunt(&["-q", &sample("seed-relay.eml")]).status.code(),
        Some(1),
        "the seed scenario must fail the default threshold"
    );
    let c = sample("compromised-account.eml");
    let bad = relayhunt(&["--fail-on", "severe", &c]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("unknown severity"));
    let quiet = relayhunt(&["--quiet", &c]);
    assert!(quiet.stdout.is_empty());
}

#[test]
fn config_file_sets_threshold_and_bad_lines_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("relayhunt.toml");
    // Every verdict is at least `info`, so fail_on = info fails on any analysed message.
    std::fs::write(
        &cfg,
        "# analyst settings\n[analyze]\nfail_on = \"info\"\ntrusted = [\"192.0.2.0/24\"]\n",
    )
    .unwrap();
    let c = sample("clean.eml");
    let cfg_s = cfg.to_string_lossy().into_owned();
    assert_eq!(relayhunt(&["-q", &c]).status.code(), Some(0));
    assert_eq!(
        relayhunt(&["-q", "--config", &cfg_s, &c]).status.code(),
        Some(1)
    );
    // Flags override the file.
    assert_eq!(
        relayhunt(&["-q", "--config", &cfg_s, "--fail-on", "critical", &c])
            .status
            .code(),
        Some(0)
    );
    std::fs::write(&cfg, "fail_on = high\nmax_header_bytes = lots\n").unwrap();
    let out = relayhunt(&["--config", &cfg_s, &c]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("line 2: `max_header_bytes` expects a whole number"),
        "{stderr}"
    );
    let out = relayhunt(&["--trusted", "not a host!", &c]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn huge_header_block_is_cut_with_a_clear_warning() {
    let dir = tempfile::tempdir().unwrap();
    let mut raw = std::fs::read(sample("seed-relay.eml")).unwrap();
    let at = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 2;
    let pad: Vec<u8> = (0..2200)
        .flat_map(|i| format!("X-Pad-{i}: {}\r\n", "p".repeat(1000)).into_bytes())
        .collect();
    raw.splice(at..at, pad);
    let p = mbox_of(
        dir.path(),
        "huge.mbox",
        &[&std::fs::read(sample("clean.eml")).unwrap(), &raw],
    );
    let ps = p.to_string_lossy().into_owned();
    let out = relayhunt(&["--json", &ps]);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "relayhunt: {ps} message 2: header block exceeds 1048576 bytes; raise --max-header-bytes or check the file"
        )),
        "{stderr}"
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc[1]["truncated"], true);
    assert_eq!(doc[1]["verdict"]["kind"], "open_relay_suspected");
    assert_eq!(
        out.status.code(),
        Some(1),
        "a cut header is a warning, not an input error"
    );
    let out = relayhunt(&["--json", "--max-header-bytes", "4000000", &ps]);
    assert!(!text(&out.stderr).contains("header block exceeds"));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc[1]["truncated"], false);
}

#[test]
fn folder_of_samples_prints_reports_and_a_summary() {
    let out = relayhunt(&[&format!("{}/../../samples", env!("CARGO_MANIFEST_DIR"))]);
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout.matches("\n== ").count() + usize::from(stdout.starts_with("== ")),
        4
    );
    assert!(
        stdout.contains("Summary: 4 messages analysed, 0 errors"),
        "{stdout}"
    );
    assert!(stdout.contains("top relay IPs"), "{stdout}");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn pipes_given_as_paths_are_read_like_files() {
    // `relayhunt analyze <(zcat x.gz)` hands over /dev/fd/N, a pipe, not a regular file.
    let raw = std::fs::read(sample("seed-relay.eml")).unwrap();
    let out = with_stdin(&["--json", "/dev/stdin"], &raw);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["relay_ip"], "198.51.100.25");
}

#[test]
fn closed_output_pipe_ends_a_big_batch_early() {
    let dir = tempfile::tempdir().unwrap();
    let seed = std::fs::read(sample("seed-relay.eml")).unwrap();
    let msgs: Vec<&[u8]> = std::iter::repeat_n(&seed[..], 20_000).collect();
    let p = mbox_of(dir.path(), "big.mbox", &msgs);
    let started = std::time::Instant::now();
    let mut child = Command::new(BIN)
        .args(["analyze", "--format", "ndjson", "--no-progress"])
        .arg(&p)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    assert!(first.starts_with(b"{\"source\""));
    drop(stdout);
    let status = child.wait().unwrap();
    let stderr = {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut s).unwrap();
        s
    };
    assert!(!stderr.contains("cannot write output"), "{stderr}");
    assert!(!stderr.contains("20000 messages analysed"), "{stderr}");
    assert!(
        status.code().is_some(),
        "killed by a signal instead of exiting"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}

/// Peak resident memory (VmHWM, KiB) of a running process, polled until it exits.
fn peak_rss_kib(child: &mut std::process::Child) -> u64 {
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_path) {
            if let Some(kib) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak = peak.max(kib);
            }
        }
        if child.try_wait().unwrap().is_some() {
            return peak;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[test]
fn memory_stays_flat_on_a_large_mbox() {
    let dir = tempfile::tempdir().unwrap();
    let seed = std::fs::read(sample("seed-relay.eml")).unwrap();
    let small = mbox_of(dir.path(), "small.mbox", &vec![&seed[..]; 1_000]);
    let large = mbox_of(dir.path(), "large.mbox", &vec![&seed[..]; 12_000]);
    let run = |p: &Path| {
        let mut child = Command::new(BIN)
            .args(["analyze", "--format", "ndjson", "--no-progress", "-j", "2"])
            .arg(p)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let peak = peak_rss_kib(&mut child);
        assert_eq!(child.wait().unwrap().code(), Some(1));
        peak
    };
    let (small_peak, large_peak) = (run(&small), run(&large));
    let large_mb = std::fs::metadata(&large).unwrap().len() / 1024 / 1024;
    eprintln!("peak RSS: {small_peak} KiB for 1,000 messages, {large_peak} KiB for 12,000 ({large_mb} MiB)");
    assert!(large_mb > 30);
    // 12× the input costs at most allocator noise, far less than the extra input: a reader
    // that collected the mbox would grow by more than 30 MiB.
    assert!(
        large_peak < small_peak + 16 * 1024,
        "peak grew from {small_peak} KiB to {large_peak} KiB"
    );
    assert!(large_peak < 64 * 1024 + small_peak);
}

#[test]
fn output_is_identical_whatever_the_number_of_jobs() {
    let Some(dir) = relayhunt_testdata::shared("corpus/phishing_pot") else {
        return;
    };
    let run = |jobs: &str| {
        let out = Command::new(BIN)
            .args([
                "analyze",
                "--format",
                "ndjson",
                "--no-progress",
                "--now",
                "1800000000",
                "-j",
                jobs,
            ])
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.code().is_some_and(|c| c < 2),
            "{}",
            text(&out.stderr)
        );
        out.stdout
    };
    let one = run("1");
    let two = run("2");
    assert!(one == two, "NDJSON differs between -j 1 and -j 2");
    let docs: Vec<serde_json::Value> = text(&one)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(docs.len() > 800, "{} documents", docs.len());
    let paths: Vec<&str> = docs
        .iter()
        .map(|d| d["source"]["path"].as_str().unwrap())
        .collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted, "folder order is sorted path order");
}

#[test]
fn trusted_flag_moves_the_boundary_down_to_the_relay() {
    // Declaring the relay itself trusted (as its own postmaster would) makes the hop it wrote
    // the entry hop: the residential client becomes the first untrusted address.
    let s = sample("seed-relay.eml");
    let doc = |args: &[&str]| -> serde_json::Value {
        let out = relayhunt(args);
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let before = doc(&["--json", &s]);
    assert_eq!(before["relay_ip"], "198.51.100.25");
    assert_eq!(before["boundary"]["entry_hop"], 1);
    let after = doc(&["--json", "--trusted", "198.51.100.0/24", &s]);
    assert_eq!(after["relay_ip"], "203.0.113.77");
    assert_eq!(after["boundary"]["entry_hop"], 0);
    assert_ne!(after["verdict"]["kind"], "open_relay_suspected");
}
