//! The probe against real daemons started on loopback by the MTA harness: OPEN for each open
//! configuration, CLOSED for each safe one, and delivery proven through the open Postfix into
//! relayhunt's own canary sink. Every daemon delivers only to that loopback sink.
//!
//! Skips loudly when a daemon is not installed, unless `RELAYHUNT_REQUIRE_MTAS=1`.

use relayhunt_mta_harness::{
    require_or_skip, Exim, EximConfig, Instance, OpenSmtpd, OpenSmtpdConfig, Postfix, PostfixConfig,
};
use relayhunt_probe::canary::sink::{Sink, SinkConfig};
use relayhunt_probe::{
    probe_target, ConfirmOptions, Mailbox, OpenEvidence, ProbeOptions, TargetResult, TestOutcome,
    Timeouts, Verdict,
};
use std::path::Path;
use std::time::Duration;

fn opts() -> ProbeOptions {
    ProbeOptions {
        timeouts: Timeouts {
            connect: Duration::from_secs(5),
            reply: Duration::from_secs(20),
            target: Duration::from_secs(120),
        },
        ..ProbeOptions::default()
    }
}

async fn sink(ledger: Option<&Path>) -> Sink {
    Sink::bind(
        &["127.0.0.1:0".parse().unwrap()],
        SinkConfig {
            ledger: ledger.map(Path::to_path_buf),
            ..SinkConfig::default()
        },
    )
    .await
    .unwrap()
}

async fn start<F>(what: &str, f: F) -> Instance
where
    F: FnOnce() -> anyhow_free::Result<Instance> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e:#}"))
}

/// The harness returns `anyhow::Result`; name it without depending on anyhow here.
mod anyhow_free {
    pub type Result<T> = std::result::Result<T, Box<dyn std::fmt::Display + Send>>;
}

fn explain(r: &TargetResult, instance: &Instance) -> String {
    format!(
        "{} {}\n{}\n--- daemon log ---\n{}",
        r.verdict,
        r.detail,
        r.transcript.render(),
        instance.log()
    )
}

async fn run(instance: &Instance) -> TargetResult {
    probe_target(instance.addr(), &opts()).await
}

fn boxed<T>(r: Result<T, impl std::fmt::Display + Send + 'static>) -> anyhow_free::Result<T> {
    r.map_err(|e| Box::new(format!("{e:#}")) as Box<dyn std::fmt::Display + Send>)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postfix_open_is_open_and_closed_is_closed() {
    if !require_or_skip("postfix", Postfix::available()) {
        return;
    }
    let sink = sink(None).await;
    let port = sink.local_addr().port();
    let open = start("open Postfix", move || {
        boxed(Postfix::start(PostfixConfig::open(), port))
    })
    .await;
    let r = run(&open).await;
    assert_eq!(r.verdict, Verdict::Open, "{}", explain(&r, &open));
    assert_eq!(r.open_evidence, Some(OpenEvidence::Accepted));
    assert!(r.accepted_tests.iter().any(|t| t == "outside-plain"));
    assert!(r.banner.as_ref().unwrap().text().contains("ESMTP"));
    let closed = start("closed Postfix", move || {
        boxed(Postfix::start(PostfixConfig::closed(), port))
    })
    .await;
    let r = run(&closed).await;
    assert_eq!(r.verdict, Verdict::Closed, "{}", explain(&r, &closed));
    let plain = r.tests.iter().find(|t| t.id == "outside-plain").unwrap();
    // Debian's defer_unauth_destination answers 454 (temporary), reject_unauth_destination 554.
    assert!(matches!(
        plain.outcome,
        TestOutcome::Rejected | TestOutcome::TempFailed
    ));
    let text = plain.rcpt_reply.as_ref().unwrap().text();
    assert!(text.contains("Relay access denied"), "{text}");
    assert_eq!(sink.messages(), 0, "no DATA was sent, nothing may arrive");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postfix_confirm_proves_delivery_to_the_sink() {
    if !require_or_skip("postfix", Postfix::available()) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("tokens.ndjson");
    let sink = sink(Some(&ledger)).await;
    let port = sink.local_addr().port();
    let open = start("open Postfix", move || {
        boxed(Postfix::start(PostfixConfig::open(), port))
    })
    .await;
    let o = ProbeOptions {
        recipient: Mailbox::parse("you@canary.example").unwrap(),
        battery: vec![relayhunt_probe::battery::by_id("outside-plain").unwrap()],
        confirm: Some(ConfirmOptions {
            ledger: Some(ledger.clone()),
            wait: Duration::from_secs(60),
        }),
        ..opts()
    };
    let r = probe_target(open.addr(), &o).await;
    assert_eq!(r.verdict, Verdict::Open, "{}", explain(&r, &open));
    assert_eq!(
        r.open_evidence,
        Some(OpenEvidence::Proven),
        "{}",
        explain(&r, &open)
    );
    let canary = r.tests[0].canary.as_ref().unwrap();
    let arrival = sink
        .arrivals()
        .into_iter()
        .find(|a| a.token == canary.token)
        .unwrap();
    assert_eq!(arrival.rcpt_to, ["you@canary.example"]);
    // Postfix added its Received header on the way: the path is on record.
    assert!(
        arrival
            .received
            .iter()
            .any(|h| h.contains("Postfix") || h.contains("ESMTP")),
        "{:?}",
        arrival.received
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exim_open_is_open_and_closed_is_closed() {
    if !require_or_skip("exim4", Exim::available()) {
        return;
    }
    let sink = sink(None).await;
    let port = sink.local_addr().port();
    let open = start("open Exim", move || {
        boxed(Exim::start(EximConfig::open(), port))
    })
    .await;
    let r = run(&open).await;
    assert_eq!(r.verdict, Verdict::Open, "{}", explain(&r, &open));
    let closed = start("closed Exim", move || {
        boxed(Exim::start(EximConfig::closed(), port))
    })
    .await;
    let r = run(&closed).await;
    assert_eq!(r.verdict, Verdict::Closed, "{}", explain(&r, &closed));
    // Exim refuses the nmap sender `antispam@[127.0.0.1]` ("domain literals not allowed"), which
    // would leave the recipient trick untested; the probe retries with the outside sender.
    let hack = r.tests.iter().find(|t| t.id == "percent-hack-ip").unwrap();
    let refused = hack
        .sender_refused
        .as_ref()
        .expect("sender refusal recorded");
    assert_eq!(refused.mail_from, "antispam@[127.0.0.1]");
    assert!(
        refused.reply.text().contains("domain literals"),
        "{}",
        refused.reply
    );
    assert_eq!(hack.mail_from, "antispam@example.org");
    assert!(hack.rcpt_reply.is_some(), "the recipient trick was tested");
    // Exim's limit of 3 syntax errors per session did not cost a single test.
    assert!(
        r.tests.iter().all(|t| t.outcome != TestOutcome::Error),
        "{}",
        explain(&r, &closed)
    );
    assert_eq!(sink.messages(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opensmtpd_open_is_open_and_closed_is_closed() {
    if !require_or_skip("opensmtpd", OpenSmtpd::available()) {
        return;
    }
    let sink = sink(None).await;
    let port = sink.local_addr().port();
    let open = start("open OpenSMTPD", move || {
        boxed(OpenSmtpd::start(OpenSmtpdConfig::open(), port))
    })
    .await;
    let r = run(&open).await;
    assert_eq!(r.verdict, Verdict::Open, "{}", explain(&r, &open));
    let closed = start("closed OpenSMTPD", move || {
        boxed(OpenSmtpd::start(OpenSmtpdConfig::closed(), port))
    })
    .await;
    let r = run(&closed).await;
    assert_eq!(r.verdict, Verdict::Closed, "{}", explain(&r, &closed));
    assert_eq!(sink.messages(), 0);
}
