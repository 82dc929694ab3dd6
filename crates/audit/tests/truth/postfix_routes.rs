//! Postfix: every other route by which a stranger's RCPT to a foreign domain is accepted —
//! mynetworks tables and files, access tables (recipient TLDs, `postmaster@`, RELAY/PERMIT
//! actions, client host names and short prefixes, tables outside the audited files), client
//! certificates, anonymous SASL, relay_domains spellings and permit_auth_destination —
//! against one Postfix 3.7 daemon per main.cf, each case on its own smtpd listener.
//!
//! The client address a rule keys on is staged from loopback with XCLIENT (the daemon
//! trusts XCLIENT from 127.0.0.1 only; the audited config is the same minus that line, which
//! the audit does not flag either). Client certificates are presented with `openssl
//! s_client`. A case's audit sees main.cf with the service's `-o` settings as main.cf lines
//! plus the tables "in the audited directory"; a table kept out of it is what an audit of
//! main.cf alone sees.

use crate::common::*;
use relayhunt_audit::{Mta, Report, Verdict};
use relayhunt_mta_harness::{require_or_skip, Instance, Postfix, PostfixConfig, Sink};
use relayhunt_probe::ProbeOptions;
use std::path::Path;
use std::process::{Command, Stdio};

/// What the case's session is.
enum Session {
    /// EHLO, MAIL FROM:<a@example.org>, RCPT TO:<rcpt>.
    Plain { rcpt: &'static str },
    /// As Plain, after XCLIENT with these attributes.
    Xclient {
        attrs: &'static str,
        rcpt: &'static str,
    },
    /// As Plain with this sender.
    Sender { sender: &'static str },
    /// STARTTLS presenting this certificate (file stem in the instance dir), then as Plain.
    Cert { stem: &'static str },
    /// AUTH ANONYMOUS, then as Plain.
    Anonymous,
}

struct Case {
    name: &'static str,
    /// Settings: main.cf lines for the audit, `-o` overrides for the live listener.
    settings: &'static [&'static str],
    /// Tables the audit sees (also written for the daemon).
    tables: &'static [(&'static str, &'static str)],
    /// Tables only the daemon sees (outside the audited directory).
    hidden: &'static [(&'static str, &'static str)],
    session: Session,
    verdict: Verdict,
    rule: Option<&'static str>,
    /// The live relay attempt is accepted.
    relays: bool,
}

const BASE: &str = "compatibility_level = 3.6\nmynetworks = 192.0.2.1/32\n\
smtpd_tls_cert_file = {DIR}/server.crt\nsmtpd_tls_key_file = {DIR}/server.key\n\
smtpd_tls_security_level = may\n";

const CASES: &[Case] = &[
    Case {
        // The gap: mynetworks from a cidr: table (0.0.0.0/0 in it) was called CLOSED.
        name: "mynetworks-cidr-table",
        settings: &["mynetworks = cidr:{DIR}/trusted.cidr"],
        tables: &[("trusted.cidr", "# office, VPN and \"temporarily\" everyone\n192.0.2.0/24 OK\n0.0.0.0/0 OK\n")],
        hidden: &[],
        session: Session::Plain { rcpt: "victim@example.net" },
        verdict: Verdict::OpenRelay,
        rule: Some("POSTFIX-MYNETWORKS-OPEN"),
        relays: true,
    },
    Case {
        name: "mynetworks-file",
        settings: &["mynetworks = {DIR}/trusted_networks"],
        tables: &[("trusted_networks", "# branch offices\n192.0.2.0/24\n198.0.0.0/8\n")],
        hidden: &[],
        session: Session::Xclient { attrs: "ADDR=198.51.100.7", rcpt: "victim@example.net" },
        verdict: Verdict::OpenRelay,
        rule: Some("POSTFIX-MYNETWORKS-HUGE"),
        relays: true,
    },
    Case {
        name: "recipient-access-tld",
        settings: &["smtpd_relay_restrictions = permit_mynetworks, check_recipient_access texthash:{DIR}/rcpt, reject_unauth_destination"],
        tables: &[("rcpt", "# partners\nnet OK\n")],
        hidden: &[],
        session: Session::Plain { rcpt: "victim@example.net" },
        verdict: Verdict::OpenRelay,
        rule: Some("POSTFIX-ACCESS-OK-BEFORE-UNAUTH"),
        relays: true,
    },
    Case {
        name: "recipient-access-postmaster",
        settings: &["smtpd_relay_restrictions = permit_mynetworks, check_recipient_access texthash:{DIR}/rcpt, reject_unauth_destination"],
        tables: &[("rcpt", "# always take mail for the role accounts\npostmaster@ OK\n")],
        hidden: &[],
        session: Session::Plain { rcpt: "postmaster@example.net" },
        verdict: Verdict::OpenRelay,
        rule: Some("POSTFIX-ACCESS-OK-BEFORE-UNAUTH"),
        relays: true,
    },
    Case {
        name: "recipient-access-one-domain",
        settings: &["smtpd_relay_restrictions = permit_mynetworks, check_recipient_access texthash:{DIR}/rcpt, reject_unauth_destination"],
        tables: &[("rcpt", "partner.example OK\n")],
        hidden: &[],
        session: Session::Plain { rcpt: "victim@example.net" },
        verdict: Verdict::Closed,
        rule: None,
        relays: false,
    },
    Case {
        name: "sender-access-relay-action",
        settings: &["smtpd_relay_restrictions = permit_mynetworks, check_sender_access texthash:{DIR}/senders, reject_unauth_destination"],
        tables: &[("senders", "orders@shop.example RELAY\n")],
        hidden: &[],
        session: Session::Sender { sender: "orders@shop.example" },
        verdict: Verdict::OpenRelay,
        rule: Some("POSTFIX-ACCESS-OK-BEFORE-UNAUTH"),
        relays: true,
    },
    Case {
        name: "client-access-hostname-tld",
        settings: &["smtpd_relay_restrictions = permit_mynetworks, check_client_access texthash:{DIR}/clients, reject_unauth_destination"],
        tables: &[("clients", "com PERMIT\n")],
        hidden: &[],
        session: Session::Xclient { attrs: "ADDR=198.51.100.7 NAME=mail.stranger.com", rcpt: "victim@example.net" },
        verdict: Verdict::OpenRelay,
        rule: Some("POSTFIX-ACCESS-OK-BEFORE-UNAUTH"),
        relays: true,
    },
    Case {
        name: "client-access-short-prefix",
        settings: &["smtpd_relay_restrictions = permit_mynetworks, check_client_access texthash:{DIR}/clients, reject_unauth_destination"],
        tables: &[("clients", "198.51 OK\n")],
        hidden: &[],
        session: Session::Xclient { attrs: "ADDR=198.51.100.7", rcpt: "victim@example.net" },
        verdict: Verdict::OpenRelay,
        rule: Some("POSTFIX-ACCESS-OK-BEFORE-UNAUTH"),
        relays: true,
    },
    // A table outside the audited files: CONDITIONAL either way, and the daemon shows both
    // sides — it relays when the table says OK for the client, and not otherwise.
    Case {
        name: "unseen-table-says-ok",
        settings: &["smtpd_relay_restrictions = permit_mynetworks, check_client_access texthash:{DIR}/hidden_clients, reject_unauth_destination"],
        tables: &[],
        hidden: &[("hidden_clients", "198.51.100.7 OK\n")],
        session: Session::Xclient { attrs: "ADDR=198.51.100.7", rcpt: "victim@example.net" },
        verdict: Verdict::Conditional,
        rule: Some("POSTFIX-TABLE-UNSEEN"),
        relays: true,
    },
    Case {
        name: "unseen-table-says-reject",
        settings: &["smtpd_relay_restrictions = permit_mynetworks, check_client_access texthash:{DIR}/hidden_clients2, reject_unauth_destination"],
        tables: &[],
        hidden: &[("hidden_clients2", "198.51.100.7 REJECT\n")],
        session: Session::Xclient { attrs: "ADDR=198.51.100.7", rcpt: "victim@example.net" },
        verdict: Verdict::Conditional,
        rule: Some("POSTFIX-TABLE-UNSEEN"),
        relays: false,
    },
    Case {
        name: "tls-clientcerts-catch-all",
        settings: &[
            "smtpd_tls_ask_ccert = yes",
            "relay_clientcerts = static:trusted",
            "smtpd_relay_restrictions = permit_mynetworks, permit_tls_clientcerts, reject_unauth_destination",
        ],
        tables: &[],
        hidden: &[],
        session: Session::Cert { stem: "selfsigned" },
        verdict: Verdict::OpenRelay,
        rule: Some("POSTFIX-TLS-CLIENTCERTS-ANY"),
        relays: true,
    },
    Case {
        // Certificates are never asked for: nobody can present one.
        name: "tls-clientcerts-not-asked",
        settings: &[
            "relay_clientcerts = static:trusted",
            "smtpd_relay_restrictions = permit_mynetworks, permit_tls_clientcerts, reject_unauth_destination",
        ],
        tables: &[],
        hidden: &[],
        session: Session::Cert { stem: "selfsigned" },
        verdict: Verdict::Closed,
        rule: None,
        relays: false,
    },
    Case {
        // A CA bundle of several CAs stands in for the public store: a holder of a
        // certificate from any of them relays; the stranger with a self-signed one does not.
        name: "tls-all-clientcerts-bundle",
        settings: &[
            "smtpd_tls_ask_ccert = yes",
            "smtpd_tls_CAfile = {DIR}/bundle.pem",
            "smtpd_relay_restrictions = permit_mynetworks, permit_tls_all_clientcerts, reject_unauth_destination",
        ],
        tables: &[],
        hidden: &[],
        session: Session::Cert { stem: "client" },
        verdict: Verdict::Conditional,
        rule: Some("POSTFIX-TLS-ALL-CLIENTCERTS-PUBLIC-CA"),
        relays: true,
    },
    Case {
        name: "tls-all-clientcerts-bundle-stranger",
        settings: &[
            "smtpd_tls_ask_ccert = yes",
            "smtpd_tls_CAfile = {DIR}/bundle.pem",
            "smtpd_relay_restrictions = permit_mynetworks, permit_tls_all_clientcerts, reject_unauth_destination",
        ],
        tables: &[],
        hidden: &[],
        session: Session::Cert { stem: "selfsigned" },
        verdict: Verdict::Conditional,
        rule: Some("POSTFIX-TLS-ALL-CLIENTCERTS-PUBLIC-CA"),
        relays: false,
    },
    Case {
        // ANONYMOUS logs in, but Postfix does not count it for permit_sasl_authenticated.
        name: "sasl-anonymous",
        settings: &[
            "smtpd_sasl_auth_enable = yes",
            "smtpd_sasl_security_options =",
            "smtpd_sasl_path = smtpd",
            "cyrus_sasl_config_path = {DIR}",
        ],
        tables: &[],
        hidden: &[("smtpd.conf", "pwcheck_method: auxprop\nmech_list: ANONYMOUS\n")],
        session: Session::Anonymous,
        verdict: Verdict::Closed,
        rule: Some("POSTFIX-SASL-ANONYMOUS"),
        relays: false,
    },
];

/// Certificates for the TLS cases, made with openssl in the instance's file list: the
/// server's, a stranger's self-signed one, and a client certificate from the first of four
/// CAs whose certificates form `bundle.pem`.
fn certificates() -> Vec<(String, String)> {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(d)
            .stdin(Stdio::null())
            .output()
            .expect("openssl (installed with postfix's ssl-cert) runs");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let selfsigned = |stem: &str, cn: &str, ca: bool| {
        let (crt, key, subj) = (
            format!("{stem}.crt"),
            format!("{stem}.key"),
            format!("/CN={cn}"),
        );
        let mut args = vec![
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", &key, "-out",
            &crt, "-subj", &subj,
        ];
        if ca {
            args.extend([
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=keyCertSign",
            ]);
        }
        openssl(&args);
    };
    selfsigned("server", "relayhunt-server.test", false);
    selfsigned("selfsigned", "stranger.test", false);
    for i in 0..4 {
        selfsigned(&format!("ca{i}"), &format!("Relayhunt Test CA {i}"), true);
    }
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "client.key",
        "-out",
        "client.csr",
        "-subj",
        "/CN=client.test",
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        "client.csr",
        "-CA",
        "ca0.crt",
        "-CAkey",
        "ca0.key",
        "-CAcreateserial",
        "-out",
        "client.crt",
        "-days",
        "2",
    ]);
    let read = |n: &str| std::fs::read_to_string(d.join(n)).expect("generated file");
    let bundle: String = (0..4).map(|i| read(&format!("ca{i}.crt"))).collect();
    let mut files: Vec<(String, String)> = ["server", "selfsigned", "client"]
        .iter()
        .flat_map(|s| [format!("{s}.crt"), format!("{s}.key")])
        .map(|n| {
            let t = read(&n);
            (n, t)
        })
        .collect();
    files.push(("bundle.pem".into(), bundle));
    files
}

/// An SMTP exchange over STARTTLS with a client certificate, through `openssl s_client`.
/// Returns the codes of the replies after the handshake (EHLO, MAIL, RCPT, QUIT).
fn starttls_codes(port: u16, dir: &Path, stem: &str, commands: &[String]) -> Vec<u16> {
    use std::io::{Read, Write};
    let mut child = Command::new("openssl")
        .args([
            "s_client",
            "-quiet",
            "-ign_eof",
            "-starttls",
            "smtp",
            "-connect",
        ])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(dir.join(format!("{stem}.crt")))
        .arg("-key")
        .arg(dir.join(format!("{stem}.key")))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_client");
    let mut input = child.stdin.take().expect("stdin");
    let text: String = commands.iter().map(|c| format!("{c}\r\n")).collect();
    input.write_all(text.as_bytes()).expect("write");
    // Keep stdin open until the server closes after QUIT (-ign_eof), bounded by a timer.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while child.try_wait().expect("wait").is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "s_client did not finish"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    drop(input);
    let mut out = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut out)
        .expect("read");
    out.lines()
        .filter(|l| l.len() >= 4 && l.as_bytes()[3] == b' ')
        .filter_map(|l| l[..3].parse().ok())
        .collect()
}

/// The RCPT reply of a case's session against `port`.
fn rcpt_reply(case: &Case, port: u16, dir: &Path) -> u16 {
    let mail = |sender: &str, rcpt: &str| {
        vec![
            "EHLO stranger.test".to_string(),
            format!("MAIL FROM:<{sender}>"),
            format!("RCPT TO:<{rcpt}>"),
            "QUIT".to_string(),
        ]
    };
    let codes = |cmds: Vec<String>| {
        let refs: Vec<&str> = cmds.iter().map(String::as_str).collect();
        smtp_codes(port, &refs)
    };
    match &case.session {
        Session::Plain { rcpt } => codes(mail("a@example.org", rcpt))[3],
        Session::Sender { sender } => codes(mail(sender, "victim@example.net"))[3],
        Session::Xclient { attrs, rcpt } => {
            let mut cmds = vec!["EHLO stranger.test".to_string(), format!("XCLIENT {attrs}")];
            cmds.extend(mail("a@example.org", rcpt));
            let c = codes(cmds);
            assert_eq!(c[2], 220, "{}: XCLIENT accepted: {c:?}", case.name);
            c[5]
        }
        Session::Anonymous => {
            let mut cmds = vec![
                "EHLO stranger.test".to_string(),
                "AUTH ANONYMOUS c3RyYW5nZXI=".to_string(),
            ];
            cmds.extend(mail("a@example.org", "victim@example.net").split_off(1));
            let c = codes(cmds);
            assert_eq!(
                c[2], 235,
                "{}: the anonymous login itself succeeds: {c:?}",
                case.name
            );
            c[4]
        }
        Session::Cert { stem } => {
            let c = starttls_codes(
                port,
                dir,
                stem,
                &mail("a@example.org", "victim@example.net"),
            );
            assert!(c.len() >= 3, "{}: TLS session replies {c:?}", case.name);
            c[2]
        }
    }
}

/// The audit of a case: BASE plus its settings as main.cf lines, plus its visible tables
/// and the generated certificate files.
fn audit_case(
    base: &str,
    settings: &[&str],
    tables: &[(&str, &str)],
    generated: &[(String, String)],
) -> Report {
    let main_cf = format!("{base}{}\n", settings.join("\n")).replace("{DIR}", "/etc/postfix");
    let mut files: Vec<(&str, &str)> = vec![("main.cf", &main_cf)];
    files.extend(tables.iter().copied());
    files.extend(generated.iter().map(|(n, t)| (n.as_str(), t.as_str())));
    audit(Mta::Postfix, &files)
}

fn check(
    name: &str,
    report: &Report,
    verdict: Verdict,
    rule: Option<&str>,
    code: u16,
    relays: bool,
    inst: &Instance,
) {
    let ids: Vec<&str> = report.findings.iter().map(|f| f.rule).collect();
    assert_eq!(
        report.verdict, verdict,
        "{name}: audit verdict; findings {ids:?}\n{report:#?}"
    );
    if let Some(rule) = rule {
        assert!(ids.contains(&rule), "{name}: {rule} expected in {ids:?}");
    }
    assert_eq!(
        code == 250,
        relays,
        "{name}: audit {} but the daemon answered the relay attempt with {code}\n{}",
        verdict.label(),
        inst.log()
    );
    // OPEN must mean relays, CLOSED must mean refused; CONDITIONAL cases state their side.
    match verdict {
        Verdict::OpenRelay => assert_eq!(code, 250, "{name}"),
        Verdict::Closed => assert!(code >= 400, "{name}: {code}"),
        Verdict::Conditional => {}
    }
}

#[test]
fn postfix_authorisation_routes_agree_with_live_daemon() {
    if !require_or_skip("postfix", Postfix::available()) {
        return;
    }
    let sink = Sink::start().expect("sink");
    let mut config = PostfixConfig::main_cf(format!(
        "{BASE}# live only: the tests stage client addresses with XCLIENT from loopback\n\
         smtpd_authorized_xclient_hosts = 127.0.0.1\n"
    ));
    let certs = certificates();
    for (name, text) in &certs {
        config = config.with_file(name, text);
    }
    for case in CASES {
        // Each case's tables under its own name in the one instance dir.
        let own = |text: &str| {
            case.tables
                .iter()
                .chain(case.hidden)
                .fold(text.to_string(), |t, (n, _)| {
                    t.replace(
                        &format!("{{DIR}}/{n}"),
                        &format!("{{DIR}}/{}.{n}", case.name),
                    )
                })
        };
        for (n, t) in case.tables.iter().chain(case.hidden) {
            // (A file found by its name alone, like Cyrus SASL's smtpd.conf, keeps it.)
            let by_path = case
                .settings
                .iter()
                .any(|s| s.contains(&format!("{{DIR}}/{n}")));
            let name = if by_path {
                format!("{}.{n}", case.name)
            } else {
                n.to_string()
            };
            config = config.with_file(name, *t);
        }
        let overrides: Vec<String> = case
            .settings
            .iter()
            .map(|s| {
                let (n, v) = s.split_once('=').expect("name = value");
                own(&format!("{}={}", n.trim(), v.trim()))
            })
            .collect();
        config = config.with_service(case.name, overrides);
    }
    let inst = Postfix::start(config, sink.port).expect("postfix");
    for case in CASES {
        let report = audit_case(BASE, case.settings, case.tables, &certs);
        let port = inst.service_port(case.name).expect("service port");
        let code = rcpt_reply(case, port, &inst.dir);
        check(
            case.name,
            &report,
            case.verdict,
            case.rule,
            code,
            case.relays,
            &inst,
        );
    }
    // The headline case through the whole probe battery as well.
    let port = inst.service_port("mynetworks-cidr-table").expect("port");
    let report = audit_case(BASE, CASES[0].settings, CASES[0].tables, &certs);
    agree(
        "mynetworks-cidr-table",
        &report,
        &probe(port, &ProbeOptions::default()),
        &inst,
        Verdict::OpenRelay,
    );
}

/// relay_domains spellings, one entry at a time: the audit of a config holding only that
/// entry, against the daemon holding them all (entries match independently), once with
/// Postfix's default parent_domain_matches_subdomains and once with it emptied.
#[test]
fn postfix_relay_domains_spellings_agree_with_live_daemon() {
    if !require_or_skip("postfix", Postfix::available()) {
        return;
    }
    let sink = Sink::start().expect("sink");
    let base = "compatibility_level = 3.6\nmynetworks = 192.0.2.1/32\n";
    let tables: &[(&str, &str)] = &[
        ("relay_table", "# domains we are backup MX for\nnet OK\n"),
        ("dot_table", ".info OK\n"),
        ("star_table", "* OK\n"),
        // transport(5) entries used as relay_domains (relay_domains = $transport_maps).
        (
            "transport",
            "example.com smtp:[10.0.0.5]\nco.uk smtp:[10.0.0.6]\n",
        ),
    ];
    // (parent_domain_matches_subdomains line, entry, recipient, relays)
    let default_parent = "";
    let no_parent = "parent_domain_matches_subdomains =\n";
    let cases: &[(&str, &str, &str, bool)] = &[
        (
            default_parent,
            "texthash:{DIR}/relay_table",
            "victim@example.net",
            true,
        ),
        (
            default_parent,
            "texthash:{DIR}/dot_table",
            "victim@example.info",
            false,
        ),
        (
            default_parent,
            "texthash:{DIR}/star_table",
            "victim@example.biz",
            false,
        ),
        (
            default_parent,
            "texthash:{DIR}/transport",
            "victim@example.co.uk",
            true,
        ),
        (default_parent, ".org", "victim@example.org", false),
        (default_parent, "io", "victim@example.io", true),
        (
            no_parent,
            "texthash:{DIR}/relay_table",
            "victim@example.net",
            false,
        ),
        (
            no_parent,
            "texthash:{DIR}/dot_table",
            "victim@example.info",
            true,
        ),
        (no_parent, ".org", "victim@example.org", true),
        (no_parent, "io", "victim@example.io", false),
    ];
    for parent in [default_parent, no_parent] {
        let entries: Vec<&str> = cases
            .iter()
            .filter(|c| c.0 == parent)
            .map(|c| c.1)
            .collect();
        let mut config = PostfixConfig::main_cf(format!(
            "{base}{parent}relay_domains = {}\n",
            entries.join(", ")
        ))
        // permit_auth_destination permits what relay_domains covers.
        .with_service(
            "auth-destination",
            ["smtpd_relay_restrictions=permit_mynetworks,permit_auth_destination,reject"],
        );
        for (n, t) in tables {
            config = config.with_file(*n, *t);
        }
        let inst = Postfix::start(config, sink.port).expect("postfix");
        for (p, entry, rcpt, relays) in cases.iter().filter(|c| c.0 == parent) {
            let line = format!("{p}relay_domains = {entry}");
            let report = audit_case(base, &[line.as_str()], tables, &[]);
            let expect = if *relays {
                Verdict::OpenRelay
            } else {
                Verdict::Closed
            };
            let rule = relays.then_some("POSTFIX-RELAY-DOMAINS-WILDCARD");
            let name = format!(
                "relay_domains = {entry} ({})",
                if p.is_empty() {
                    "parent matching"
                } else {
                    "no parent matching"
                }
            );
            let cmds = [
                "EHLO stranger.test".to_string(),
                "MAIL FROM:<a@example.org>".into(),
                format!("RCPT TO:<{rcpt}>"),
                "QUIT".into(),
            ];
            let refs: Vec<&str> = cmds.iter().map(String::as_str).collect();
            for port in [
                inst.port,
                inst.service_port("auth-destination").expect("port"),
            ] {
                let code = smtp_codes(port, &refs)[3];
                check(&name, &report, expect, rule, code, *relays, &inst);
            }
            // With permit_auth_destination in place of reject_unauth_destination too.
            let restr =
                "smtpd_relay_restrictions = permit_mynetworks, permit_auth_destination, reject";
            let report = audit_case(base, &[line.as_str(), restr], tables, &[]);
            assert_eq!(report.verdict, expect, "{name} via permit_auth_destination");
        }
    }
}

/// What `mynetworks_style` trusts is computed by Postfix from the interface addresses; the
/// audit computes it from `--interface` the same way. Checked against Postfix's own
/// computation (`postconf -h mynetworks`) on a host whose interfaces carry public
/// addresses: a private network namespace with the addresses on its loopback device, so
/// nothing on the machine changes and nothing can leave it.
#[test]
fn postfix_mynetworks_style_matches_postfix_own_computation() {
    if !require_or_skip("postfix", Postfix::available()) {
        return;
    }
    let ns_ok = Command::new("unshare")
        .args(["-n", "ip", "link", "set", "lo", "up"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ns_ok {
        // A capability of the environment, not an MTA: skip loudly everywhere.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: network namespaces (unshare -n) or `ip` are not available here"
        );
        return;
    }
    let interfaces = ["150.136.7.9/24", "203.0.113.5/20"];
    let cases = [
        ("class", "all", Verdict::OpenRelay),
        ("subnet", "all", Verdict::Conditional),
        ("class", "203.0.113.5", Verdict::Conditional),
        ("subnet", "203.0.113.5", Verdict::Conditional),
        ("class", "loopback-only", Verdict::Closed),
    ];
    for (style, inet, verdict) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let main_cf = format!(
            "compatibility_level = 3.6\nmynetworks_style = {style}\ninet_interfaces = {inet}\n"
        );
        std::fs::write(dir.path().join("main.cf"), &main_cf).expect("main.cf");
        std::fs::write(dir.path().join("master.cf"), "").expect("master.cf");
        let adds: String = interfaces
            .iter()
            .map(|a| format!("ip addr add {a} dev lo && "))
            .collect();
        let out = Command::new("unshare")
            .args(["-n", "sh", "-c"])
            .arg(format!(
                "ip link set lo up && {adds}postconf -c '{}' -h mynetworks",
                dir.path().display()
            ))
            .stderr(Stdio::null())
            .output()
            .expect("unshare");
        let postfix_nets: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .filter(|n| !n.starts_with("127.") && !n.starts_with("[::1]"))
            .map(str::to_string)
            .collect();
        let given: Vec<ipnet::IpNet> = interfaces.iter().map(|a| a.parse().unwrap()).collect();
        let ours = match relayhunt_audit::postfix::networks::style_networks(style, inet, &given) {
            relayhunt_audit::postfix::networks::StyleNets::Known(n) => {
                n.iter().map(|n| n.to_string()).collect()
            }
            relayhunt_audit::postfix::networks::StyleNets::LoopbackOnly => Vec::new(),
            other => panic!("{style} on {inet}: {other:?}"),
        };
        assert_eq!(ours, postfix_nets, "{style} on {inet}: audit vs postconf");
        let bundle = relayhunt_audit::Bundle::from_files("etc/postfix", &[("main.cf", &main_cf)]);
        let host = relayhunt_audit::HostFacts { interfaces: given };
        let report =
            relayhunt_audit::audit_bundle_on(&bundle, Some(Mta::Postfix), &host).expect("audit");
        assert_eq!(report.verdict, verdict, "{style} on {inet}: {report:#?}");
    }
}
