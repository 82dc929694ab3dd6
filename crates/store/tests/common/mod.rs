//! Behaviour every store backend must show, run by `sqlite.rs` against real SQLite files
//! and by `postgres.rs` against a real PostgreSQL server. Inputs are real mail from
//! `../shared/corpus` analysed by the real analyzer.

#![allow(dead_code)]

use relayhunt_analyze::batch::{self, BatchOptions, Outcome};
use relayhunt_analyze::input::{Inputs, ReadOptions};
use relayhunt_analyze::Config;
use relayhunt_store::*;
use std::collections::HashMap;

/// A corpus folder, or `None` (skip printed) on a clone without the shared data
/// (`relayhunt_testdata::shared`: `RELAYHUNT_SHARED`, and a failure under
/// `RELAYHUNT_REQUIRE_SHARED=1`).
pub fn corpus(name: &str) -> Option<String> {
    relayhunt_testdata::shared(&format!("corpus/{name}")).map(|p| p.display().to_string())
}

/// Analyse `paths` the way `analyze --store` does and return the store records.
pub fn analyse(paths: &[String]) -> Vec<NewMessage> {
    let inputs = Inputs::new(paths.to_vec(), ReadOptions::default());
    let opts = BatchOptions {
        digest: true,
        ..BatchOptions::default()
    };
    let cfg = Config {
        now: Some(1_796_083_200),
        ..Config::default()
    };
    let mut out = Vec::new();
    batch::run(inputs, &cfg, &opts, |o| {
        if let Outcome::Analyzed(a) = o {
            let json = relayhunt_analyze::output::json::analyzed(&a).unwrap();
            out.push(NewMessage::from_analyzed(&a, json).unwrap());
        }
        true
    });
    out
}

/// A few hundred real messages: SpamAssassin's test set and a mailing list archive
/// (analysed once per test binary).
pub fn sample() -> Vec<NewMessage> {
    static SAMPLE: std::sync::OnceLock<Vec<NewMessage>> = std::sync::OnceLock::new();
    let msgs = SAMPLE.get_or_init(|| {
        analyse(&[
            corpus("spamassassin_tdata").expect("gated by the corpus check in `all`"),
            corpus("osst_users_publicinbox").expect("gated by the corpus check in `all`"),
        ])
    });
    assert!(msgs.len() > 400, "only {} messages analysed", msgs.len());
    msgs.clone()
}

/// Distinct messages by content hash (the corpus has a few byte-identical copies).
fn distinct(msgs: &[NewMessage]) -> HashMap<&str, &NewMessage> {
    let mut m = HashMap::new();
    for x in msgs {
        m.entry(x.content_hash.as_str()).or_insert(x);
    }
    m
}

/// Storing the same messages twice adds nothing; relay counts count each message once.
pub fn duplicates_are_skipped(store: &mut Store) {
    let msgs = sample();
    let unique = distinct(&msgs);
    let first = store.add_messages(&msgs).unwrap();
    assert_eq!(first.added as usize, unique.len());
    assert_eq!((first.added + first.duplicates) as usize, msgs.len());
    let counts = store.counts().unwrap();
    let again = store.add_messages(&msgs).unwrap();
    assert_eq!(again.added, 0);
    assert_eq!(again.duplicates as usize, msgs.len());
    assert_eq!(
        store.counts().unwrap(),
        counts,
        "a second import changed the store"
    );
    assert_eq!(counts.messages as usize, unique.len());
    let hops: usize = unique.values().map(|m| m.hops.len()).sum();
    let findings: usize = unique.values().map(|m| m.findings.len()).sum();
    assert_eq!(counts.hops as usize, hops);
    assert_eq!(counts.findings as usize, findings);

    // Each relay's message count and first/last seen agree with the messages themselves.
    // (Undated and far-future messages count as seen when stored: their relays' times
    // are not checked.)
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut expected: HashMap<String, (i64, i64, i64)> = HashMap::new();
    for m in unique.values() {
        let Some(ip) = m.relay_ip else { continue };
        let t = m.seen_at.filter(|t| *t <= now + 86_400).unwrap_or(i64::MAX);
        let e = expected.entry(ip.to_string()).or_insert((0, t, t));
        e.0 += 1;
        e.1 = e.1.min(t);
        e.2 = e.2.max(t);
    }
    assert!(expected.len() > 20, "the sample should name many relays");
    let relays = store
        .relays(&RelayFilter {
            order: RelayOrder::MessageCount,
            ..RelayFilter::default()
        })
        .unwrap();
    assert_eq!(relays.len(), expected.len());
    for r in &relays {
        let (n, first, last) = expected[&r.ip];
        assert_eq!(r.message_count, n, "{}", r.ip);
        if first != i64::MAX && last != i64::MAX {
            assert_eq!((r.first_seen, r.last_seen), (first, last), "{}", r.ip);
        }
    }
    assert!(relays
        .windows(2)
        .all(|w| w[0].message_count >= w[1].message_count));
}

/// A stored message comes back with its hops, findings and whole report.
pub fn messages_round_trip(store: &mut Store) {
    let msgs = sample();
    store.add_messages(&msgs).unwrap();
    let with_findings = msgs
        .iter()
        .find(|m| m.findings.len() >= 2 && m.hops.len() >= 3 && m.relay_ip.is_some())
        .expect("a message with hops and findings");
    let got = store
        .message_by_hash(&with_findings.content_hash)
        .unwrap()
        .unwrap();
    assert_eq!(got.hops, with_findings.hops);
    assert_eq!(got.findings, with_findings.findings);
    assert_eq!(got.report, with_findings.report);
    assert_eq!(got.row.subject, with_findings.subject);
    assert_eq!(got.row.verdict, with_findings.verdict);
    assert_eq!(got.row.source, with_findings.source);
    let report: serde_json::Value = serde_json::from_str(&got.report).unwrap();
    assert_eq!(report["verdict"]["kind"], with_findings.verdict.as_str());
    let by_id = store.message(got.row.id).unwrap().unwrap();
    assert_eq!(by_id.row, got.row);
    let ip = with_findings.relay_ip.unwrap();
    let listed = store.messages(Some(ip), 0).unwrap();
    assert!(listed.iter().any(|m| m.id == got.row.id));
    assert!(listed
        .iter()
        .all(|m| m.relay_ip.as_deref() == Some(ip.to_string().as_str())));
    assert!(store.message(i64::MAX).unwrap().is_none());
}

fn probe_result(ip: &str, verdict: &str, finding: bool) -> NewProbeResult {
    NewProbeResult {
        target: format!("{ip}:25"),
        ip: Some(ip.parse().unwrap()),
        port: Some(25),
        verdict: verdict.into(),
        finding,
        open_evidence: finding.then(|| "accepted".into()),
        detail: format!("{verdict} after the battery"),
        duration_ms: Some(40),
        transcript: Some(format!(
            "S: 220 mx.example ESMTP\r\nC: EHLO probe.example\r\nS: 250 mx.example\r\n[{verdict}]"
        )),
        result: Some(format!("{{\"verdict\":\"{verdict}\"}}")),
        server_name: Some("mx.example".into()),
    }
}

/// Probe runs keep each target's result and transcript and feed the relay list.
pub fn probes_are_kept(store: &mut Store) {
    let msgs = sample();
    store.add_messages(&msgs).unwrap();
    let seen: String = msgs.iter().find_map(|m| m.relay_ip).unwrap().to_string();
    let run = store
        .start_probe_run(&NewProbeRun {
            options: "ports 25; tests 29".into(),
        })
        .unwrap();
    let open = store
        .add_probe_result(run, &probe_result(&seen, "OPEN", true))
        .unwrap();
    store
        .add_probe_result(run, &probe_result("127.0.0.9", "CLOSED", false))
        .unwrap();
    store
        .add_probe_result(
            run,
            &NewProbeResult {
                target: "nowhere.invalid:25".into(),
                verdict: "FAILED".into(),
                detail: "no address".into(),
                ..NewProbeResult::default()
            },
        )
        .unwrap();
    store.finish_probe_run(run).unwrap();
    let runs = store.probe_runs(10).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(
        (runs[0].targets, runs[0].findings, runs[0].failures),
        (3, 1, 1)
    );
    assert!(runs[0].finished_at.is_some());
    let (_, results) = store.probe_run(run).unwrap().unwrap();
    assert_eq!(results.len(), 3);
    assert!(results[0].transcript.as_deref().unwrap().contains("[OPEN]"));
    let one = store.probe_result(open).unwrap().unwrap();
    assert_eq!(one.verdict, "OPEN");
    assert_eq!(one.result.as_deref(), Some("{\"verdict\":\"OPEN\"}"));

    let h = store.relay(seen.parse().unwrap(), 0).unwrap().unwrap();
    assert_eq!(h.relay.probe_count, 1);
    assert_eq!(h.relay.last_probe_verdict.as_deref(), Some("OPEN"));
    assert!(h.relay.message_count >= 1);
    assert_eq!(h.probes.len(), 1);
    assert!(
        h.probes[0].transcript.is_none(),
        "histories list, not load, transcripts"
    );
    let only_probed = store
        .relay("127.0.0.9".parse().unwrap(), 0)
        .unwrap()
        .unwrap();
    assert_eq!(only_probed.relay.message_count, 0);
    assert_eq!(only_probed.relay.helo.as_deref(), Some("mx.example"));

    // --verdict matches probe verdicts (any case) and message verdicts.
    let open_relays = store
        .relays(&RelayFilter {
            verdict: Some("open".into()),
            ..RelayFilter::default()
        })
        .unwrap();
    assert_eq!(
        open_relays
            .iter()
            .map(|r| r.ip.as_str())
            .collect::<Vec<_>>(),
        [seen.as_str()]
    );
    let verdict = msgs
        .iter()
        .find(|m| m.relay_ip.is_some() && m.verdict != "clean")
        .map(|m| m.verdict.clone())
        .unwrap();
    let by_message = store
        .relays(&RelayFilter {
            verdict: Some(verdict.clone()),
            ..RelayFilter::default()
        })
        .unwrap();
    assert!(!by_message.is_empty());
    for r in &by_message {
        let h = store.relay(r.ip.parse().unwrap(), 0).unwrap().unwrap();
        assert!(
            h.messages.iter().any(|m| m.verdict == verdict)
                || h.probes
                    .iter()
                    .any(|p| p.verdict.eq_ignore_ascii_case(&verdict)),
            "{} listed for {verdict}",
            r.ip
        );
    }
}

/// Reports are kept with their status, linked to the message, and filter the relay list.
pub fn reports_are_kept(store: &mut Store) {
    let msgs = sample();
    store.add_messages(&msgs).unwrap();
    let m = msgs.iter().find(|m| m.relay_ip.is_some()).unwrap();
    let ip = m.relay_ip.unwrap();
    let before = store.relay(ip, 0).unwrap().unwrap().relay;
    let id = store
        .add_report(&NewReport {
            relay_ip: Some(ip),
            message_hash: Some(m.content_hash.clone()),
            format: "xarf".into(),
            recipient: Some("abuse@example.net".into()),
            status: "written".into(),
            destination: Some("/tmp/report.eml".into()),
            body: Some("report body".into()),
            ..NewReport::default()
        })
        .unwrap();
    assert!(store
        .set_report_status(id, "sent", Some("250 2.0.0 queued"))
        .unwrap());
    assert!(!store.set_report_status(id + 1000, "sent", None).unwrap());
    let h = store.relay(ip, 0).unwrap().unwrap();
    assert_eq!(h.relay.report_count, 1);
    assert_eq!(
        h.relay.last_seen, before.last_seen,
        "reporting is not seeing"
    );
    assert_eq!(h.reports.len(), 1);
    let r = &h.reports[0];
    assert_eq!(r.status, "sent");
    assert_eq!(r.detail.as_deref(), Some("250 2.0.0 queued"));
    let stored = store.message_by_hash(&m.content_hash).unwrap().unwrap();
    assert_eq!(r.message, Some(stored.row.id));

    let reported = store
        .relays(&RelayFilter {
            reported: Some(true),
            ..RelayFilter::default()
        })
        .unwrap();
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0].ip, ip.to_string());
    let not_reported = store
        .relays(&RelayFilter {
            reported: Some(false),
            ..RelayFilter::default()
        })
        .unwrap();
    let all = store.relays(&RelayFilter::default()).unwrap();
    assert_eq!(not_reported.len() + 1, all.len());
    assert!(not_reported.iter().all(|r| r.ip != ip.to_string()));
    assert_eq!(store.reports(None, 0).unwrap().len(), 1);
}

/// `since` keeps relays seen at or after a time; the list is newest first.
pub fn relays_filter_by_time(store: &mut Store) {
    let msgs = sample();
    store.add_messages(&msgs).unwrap();
    let all = store.relays(&RelayFilter::default()).unwrap();
    assert!(all.windows(2).all(|w| w[0].last_seen >= w[1].last_seen));
    let mid = all[all.len() / 2].last_seen;
    let recent = store
        .relays(&RelayFilter {
            since: Some(mid),
            ..RelayFilter::default()
        })
        .unwrap();
    assert_eq!(
        recent.len(),
        all.iter().filter(|r| r.last_seen >= mid).count()
    );
    assert!(recent.len() < all.len() && !recent.is_empty());
    let limited = store
        .relays(&RelayFilter {
            limit: 3,
            ..RelayFilter::default()
        })
        .unwrap();
    assert_eq!(limited, all[..3]);
}

/// Owners looked up for a relay are kept on its row.
pub fn owners_are_kept(store: &mut Store) {
    let msgs = sample();
    let mut m = msgs.iter().find(|m| m.relay_ip.is_some()).unwrap().clone();
    let ip = m.relay_ip.unwrap();
    m.owners = vec![RelayOwner {
        ip: Some(ip),
        summary: "192.0.2.0/24 · Example Net (NL) · abuse: abuse@example.net (rdap)".into(),
        abuse_contact: Some("abuse@example.net".into()),
        json: Some("{\"abuse\":[{\"email\":\"abuse@example.net\"}]}".into()),
    }];
    store.add_messages(&[m]).unwrap();
    let h = store.relay(ip, 0).unwrap().unwrap();
    assert_eq!(h.relay.abuse_contact.as_deref(), Some("abuse@example.net"));
    assert!(h.relay.owner.as_deref().unwrap().contains("Example Net"));
    assert!(h.owner_json.unwrap().contains("abuse@example.net"));
    assert!(!store
        .set_owner("198.51.100.200".parse().unwrap(), &RelayOwner::default())
        .unwrap());
}

/// Audits are kept whole.
pub fn audits_are_kept(store: &mut Store) {
    let id = store
        .add_audit(&NewAudit {
            source: "/etc/postfix".into(),
            mta: Some("postfix".into()),
            verdict: Some("OPEN RELAY".into()),
            findings: 2,
            max_severity: Some("critical".into()),
            warnings: 1,
            report: "{\"findings\":[1,2]}".into(),
        })
        .unwrap();
    let list = store.audits(10).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].report, None);
    let a = store.audit(id).unwrap().unwrap();
    assert_eq!(a.report.as_deref(), Some("{\"findings\":[1,2]}"));
    assert_eq!((a.findings, a.warnings), (2, 1));
    assert_eq!(a.max_severity.as_deref(), Some("critical"));
    assert_eq!(a.verdict.as_deref(), Some("OPEN RELAY"));
}

/// A batch that fails part-way keeps nothing of itself.
pub fn a_failed_batch_keeps_nothing(store: &mut Store) {
    let msgs = sample();
    let mut batch: Vec<NewMessage> = msgs[..50].to_vec();
    batch[40].content_hash = String::new();
    assert!(store.add_messages(&batch).is_err());
    assert_eq!(store.counts().unwrap(), Counts::default());
    batch[40].content_hash = msgs[40].content_hash.clone();
    let ok = store.add_messages(&batch).unwrap();
    assert_eq!(ok.added + ok.duplicates, 50);
}

/// Every behaviour, each on a fresh store from `fresh`. The behaviours that store real
/// mail are skipped (with the printed reason) on a clone without the shared corpus.
pub fn all(fresh: &mut dyn FnMut(&str) -> Store) {
    type Case = (&'static str, fn(&mut Store), bool);
    let cases: &[Case] = &[
        ("duplicates_are_skipped", duplicates_are_skipped, true),
        ("messages_round_trip", messages_round_trip, true),
        ("probes_are_kept", probes_are_kept, true),
        ("reports_are_kept", reports_are_kept, true),
        ("relays_filter_by_time", relays_filter_by_time, true),
        ("owners_are_kept", owners_are_kept, true),
        ("audits_are_kept", audits_are_kept, false),
        (
            "a_failed_batch_keeps_nothing",
            a_failed_batch_keeps_nothing,
            true,
        ),
    ];
    let have_corpus = corpus("spamassassin_tdata").is_some();
    for (name, case, needs_corpus) in cases {
        if *needs_corpus && !have_corpus {
            continue;
        }
        eprintln!("store behaviour: {name}");
        let mut store = fresh(name);
        case(&mut store);
    }
}
