//! Sendmail 8.17: FEATUREs, the access db and relay-domains, against the daemon (its
//! stranger speaks from 127.0.0.2: Sendmail trusts 127.0.0.1 itself).

use crate::common::*;
use relayhunt_audit::{Mta, Verdict};
use relayhunt_mta_harness::{require_or_skip, Sink};

#[test]
fn sendmail_audit_agrees_with_live_daemon() {
    use relayhunt_mta_harness::{Sendmail, SendmailConfig};
    if !require_or_skip("sendmail", Sendmail::available()) {
        return;
    }
    let sink = Sink::start().expect("sink");
    let stranger = [127, 0, 0, 2];
    let relay_attempt = |port: u16, sender: &str| {
        let cmds = vec![
            "EHLO stranger.test".to_string(),
            format!("MAIL FROM:<{sender}>"),
            "RCPT TO:<victim@example.net>".to_string(),
            "QUIT".to_string(),
        ];
        smtp_codes_from(stranger, port, &cmds)[3]
    };
    // Debian's access db as a stranger sees it (its `Connect:127 RELAY` moved to TEST-NET-1).
    let debian_access = data("sendmail/debian-default/access");
    let debian_mc = data("sendmail/debian-default/sendmail.mc");
    let report = audit(
        Mta::Sendmail,
        &[("sendmail.mc", &debian_mc), ("access", &debian_access)],
    );
    assert_eq!(report.verdict, Verdict::Closed);
    let live_access = debian_access.replace("Connect:127\t", "Connect:192.0.2.1\t");
    let inst = Sendmail::start(SendmailConfig::mc("").with_access(live_access), sink.port)
        .expect("debian");
    let code = relay_attempt(inst.port, "a@example.org");
    assert!(
        code >= 500,
        "debian default refuses a stranger: {code}\n{}",
        inst.log()
    );

    // An access entry that relays to a whole TLD (also proves the map is read).
    let access = "Connect:192.0.2.1\tRELAY\nTo:net\tRELAY\n";
    let report = audit(Mta::Sendmail, &[("sendmail.mc", ""), ("access", access)]);
    assert_eq!(report.verdict, Verdict::OpenRelay, "{report:#?}");
    let inst =
        Sendmail::start(SendmailConfig::mc("").with_access(access), sink.port).expect("to-tld");
    assert_eq!(
        relay_attempt(inst.port, "a@example.org"),
        250,
        "To:net RELAY\n{}",
        inst.log()
    );

    let cases: [(&str, &str, Option<&str>, &str); 3] = [
        (
            "promiscuous_relay",
            "FEATURE(`promiscuous_relay')dnl\n",
            None,
            "a@example.org",
        ),
        // relay_local_from trusts the sender's domain: the stranger forges a local sender.
        (
            "relay_local_from",
            "FEATURE(`relay_local_from')dnl\n",
            None,
            "postmaster@relayhunt-sendmail-{PORT}.test",
        ),
        // A TLD in relay-domains makes every .net destination relayable.
        ("relay-domains-tld", "", Some("net\n"), "a@example.org"),
    ];
    for (name, mc, relay_domains, sender) in cases {
        let mut files: Vec<(&str, &str)> = vec![("sendmail.mc", mc)];
        if let Some(rd) = relay_domains {
            files.push(("relay-domains", rd));
        }
        let report = audit(Mta::Sendmail, &files);
        assert_eq!(report.verdict, Verdict::OpenRelay, "{name}: {report:#?}");
        let mut config = SendmailConfig::mc(mc);
        if let Some(rd) = relay_domains {
            config = config.with_relay_domains(rd);
        }
        let inst = Sendmail::start(config, sink.port).expect(name);
        let sender = sender.replace("{PORT}", &inst.port.to_string());
        let code = relay_attempt(inst.port, &sender);
        assert_eq!(
            code,
            250,
            "{name}: audit OPEN RELAY, daemon must relay for the stranger\n{}",
            inst.log()
        );
    }

    // loose_relay_check: the percent hack through a relay domain,
    // `victim%example.net@backup.example`, is accepted with the feature (and handed to
    // backup.example's next hop, which may resolve the inner address) and refused without it
    // (the default strips @backup.example and re-checks victim@example.net for relaying).
    for (mc, accepted) in [("FEATURE(`loose_relay_check')dnl\n", true), ("", false)] {
        let report = audit(
            Mta::Sendmail,
            &[("sendmail.mc", mc), ("relay-domains", "backup.example\n")],
        );
        let has_rule = report
            .findings
            .iter()
            .any(|f| f.rule == "SENDMAIL-LOOSE-RELAY-CHECK");
        assert_eq!(has_rule, accepted, "{report:#?}");
        let inst = Sendmail::start(
            SendmailConfig::mc(mc).with_relay_domains("backup.example\n"),
            sink.port,
        )
        .expect("loose");
        let cmds = vec![
            "EHLO stranger.test".to_string(),
            "MAIL FROM:<a@example.org>".to_string(),
            "RCPT TO:<victim%example.net@backup.example>".to_string(),
            "QUIT".to_string(),
        ];
        let code = smtp_codes_from(stranger, inst.port, &cmds)[3];
        assert_eq!(code == 250, accepted, "{mc:?}: {code}\n{}", inst.log());
    }
}
