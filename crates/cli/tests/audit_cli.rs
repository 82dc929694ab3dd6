//! `relayhunt audit` through the real binary: a config piped in on standard input.

use std::io::Write;
use std::process::{Command, Stdio};

fn audit_stdin(config: &str, extra: &[&str]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_relayhunt"))
        .arg("audit")
        .arg("-")
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(config.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The seed's cause: `mynetworks = 0.0.0.0/0` from an old how-to, as `postconf -n` prints it.
const SEED_OPEN: &str = "compatibility_level = 3.6
inet_interfaces = all
myhostname = mail-relay.somecloud.example
mynetworks = 0.0.0.0/0
smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated defer_unauth_destination
";

/// The seed's fix.
const SEED_FIXED: &str = "compatibility_level = 3.6
inet_interfaces = all
myhostname = mail-relay.somecloud.example
mynetworks = 127.0.0.0/8 [::1]/128
smtpd_recipient_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
";

#[test]
fn postconf_output_piped_in_is_audited_open_with_the_fix() {
    let (code, out, err) = audit_stdin(SEED_OPEN, &["--mta", "postfix", "--json"]);
    assert_eq!(code, 1, "{out}{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect(&out);
    let text = doc.to_string();
    assert!(text.contains("0.0.0.0/0"), "{text}");
    assert!(doc["verdict"] == "OPEN RELAY", "{text}");
}

#[test]
fn the_seed_fix_piped_in_is_closed_and_exits_zero() {
    let (code, out, err) = audit_stdin(SEED_FIXED, &["--mta", "postfix"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("CLOSED"), "{out}");
}

#[test]
fn format_flags_agree_with_their_shorthands_and_quiet_keeps_the_exit_code() {
    let (_, json, _) = audit_stdin(SEED_OPEN, &["--mta", "postfix", "--json"]);
    let (_, format_json, _) = audit_stdin(SEED_OPEN, &["--mta", "postfix", "--format", "json"]);
    assert_eq!(json, format_json);
    let (_, sarif, _) = audit_stdin(SEED_OPEN, &["--mta", "postfix", "--sarif"]);
    let (_, format_sarif, _) = audit_stdin(SEED_OPEN, &["--mta", "postfix", "--format", "sarif"]);
    assert_eq!(sarif, format_sarif);
    assert!(sarif.contains("\"version\": \"2.1.0\""), "{sarif}");
    let (code, out, err) = audit_stdin(SEED_OPEN, &["--mta", "postfix", "-q"]);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    let (code, _, err) = audit_stdin(SEED_OPEN, &["--json", "--format", "human"]);
    assert_eq!(code, 2, "--json and --format are one choice: {err}");
}
