//! The store-backed pages and their JSON: analyses kept on request (and only then, once per
//! message), the relay list with the filters of `relayhunt relays`, one relay's history, a
//! stored message, probe runs with transcripts and audits; and a server without a store.
//! Every scenario with a store runs on SQLite and on PostgreSQL ([`on_both!`]).

use crate::support::{get, post_form, sample, send, state, upload, upload_and_keep, Stores, NOW};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use relayhunt_store::{NewAudit, NewProbeResult, NewProbeRun, NewReport};
use relayhunt_web::{AppState, Options};
use std::sync::Arc;

const SEED_RELAY: &str = "198.51.100.25";
const SEED_SUBJECT: &str = "Urgent: wire transfer needed before 5pm today";

fn store_of(st: &Arc<AppState>) -> std::sync::MutexGuard<'_, relayhunt_store::Store> {
    st.store.as_ref().unwrap().lock().unwrap()
}

async fn analyses_are_kept_only_when_asked_and_once_per_message(stores: &Stores) {
    let st = stores.state(Options::default());
    // The form offers the choice.
    let home = get(&st, "/").await.text();
    assert!(home.contains(r#"name="store""#), "{home}");

    // Not ticked: nothing stored, the relay page says so.
    let url = upload(&st, &sample("seed-relay.eml")).await;
    let page = get(&st, &url).await.text();
    assert!(!page.contains(r#"id="stored""#));
    assert_eq!(store_of(&st).counts().unwrap().messages, 0);
    let relay = get(&st, &format!("/relays/{SEED_RELAY}")).await;
    assert_eq!(relay.status, StatusCode::OK);
    assert!(relay.text().contains(r#"id="not-stored""#));
    assert_eq!(
        get(&st, &format!("/api/relays/{SEED_RELAY}")).await.status,
        StatusCode::NOT_FOUND
    );

    // Ticked: stored, the page links the stored message and the relay's history.
    let url = upload_and_keep(&st, &sample("seed-relay.eml")).await;
    let page = get(&st, &url).await.text();
    assert!(page.contains("Kept in the store as"), "{page}");
    assert!(page.contains(r#"href="/messages/1""#));
    assert!(page.contains(&format!(r#"id="relay-link" href="/relays/{SEED_RELAY}""#)));
    // Again: recognised, not duplicated.
    let url = upload_and_keep(&st, &sample("seed-relay.eml")).await;
    assert!(get(&st, &url)
        .await
        .text()
        .contains("Already in the store as"));
    let c = store_of(&st).counts().unwrap();
    assert_eq!((c.messages, c.relays), (1, 1));

    let h = get(&st, &format!("/api/relays/{SEED_RELAY}")).await.json();
    assert_eq!(h["ip"], SEED_RELAY);
    assert_eq!(h["message_count"], 1);
    assert_eq!(h["messages"][0]["subject"], SEED_SUBJECT);
    assert_eq!(h["messages"][0]["verdict"], "open_relay_suspected");
    assert_eq!(h["messages"][0]["source"], "web upload msg.eml");
    let page = get(&st, &format!("/relays/{SEED_RELAY}")).await.text();
    assert!(page.contains(r#"<td id="message-count">1</td>"#), "{page}");
    assert!(page.contains(SEED_SUBJECT));

    // The stored message, page and JSON.
    let m = get(&st, "/api/messages/1").await.json();
    assert_eq!(m["relay_ip"], SEED_RELAY);
    assert_eq!(m["report"]["relay_ip"], SEED_RELAY);
    assert_eq!(m["report"]["source"]["path"], "web upload msg.eml");
    assert!(m["hops"].as_array().unwrap().len() >= 2);
    let page = get(&st, "/messages/1").await.text();
    assert!(page.contains(SEED_SUBJECT));
    assert!(page.contains(&format!(r#"href="/relays/{SEED_RELAY}""#)));
    assert_eq!(get(&st, "/messages/99").await.status, StatusCode::NOT_FOUND);
}

async fn api_analyze_keeps_with_store_1_and_serve_store_keeps_all(stores: &Stores) {
    let st = stores.state(Options::default());
    let post = |q: &'static str| {
        Request::post(format!("/api/analyze{q}"))
            .body(Body::from(sample("seed-relay.eml")))
            .unwrap()
    };
    let r = send(&st, post("")).await.json();
    assert!(r["analysis"].get("stored").is_none());
    let r = send(&st, post("?store=1")).await.json();
    assert_eq!(r["analysis"]["stored"]["message_id"], 1);
    assert_eq!(r["analysis"]["stored"]["new"], true);

    // `serve --store`: every analysis, no box to tick.
    let all = stores.state(Options {
        store_all: true,
        ..Options::default()
    });
    assert!(!get(&all, "/").await.text().contains(r#"name="store""#));
    upload(&all, &sample("clean.eml")).await;
    upload(&all, &sample("seed-relay.eml")).await;
    assert_eq!(store_of(&all).counts().unwrap().messages, 2);
}

async fn relay_list_filters_like_relayhunt_relays(stores: &Stores) {
    let st = stores.state(Options::default());
    upload_and_keep(&st, &sample("seed-relay.eml")).await;
    let Some(corpus) = crate::support::corpus(crate::browser::CORPUS_RELAY) else {
        return;
    };
    let raw = std::fs::read(corpus).unwrap();
    upload_and_keep(&st, &raw).await;
    let all = get(&st, "/api/relays").await.json();
    let ips: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ip"].as_str().unwrap())
        .collect();
    assert_eq!(ips.len(), 2, "{all}");
    assert!(ips.contains(&SEED_RELAY));
    // A report about the seed relay: the reported filters split the two.
    store_of(&st)
        .add_report(&NewReport {
            relay_ip: Some(SEED_RELAY.parse().unwrap()),
            format: "text".into(),
            recipient: Some("abuse@example.net".into()),
            status: "written".into(),
            ..NewReport::default()
        })
        .unwrap();
    let only = |v: serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r["ip"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        only(get(&st, "/api/relays?reported=yes").await.json()),
        [SEED_RELAY]
    );
    let not = only(get(&st, "/api/relays?reported=no").await.json());
    assert_eq!(not.len(), 1);
    assert_ne!(not[0], SEED_RELAY);
    let by_verdict = only(
        get(&st, "/api/relays?verdict=open_relay_suspected")
            .await
            .json(),
    );
    assert!(
        by_verdict.contains(&SEED_RELAY.to_string()),
        "{by_verdict:?}"
    );
    assert!(only(
        get(&st, "/api/relays?verdict=compromised_account")
            .await
            .json()
    )
    .is_empty());
    // The HTML list takes the same query (as the filter form sends it, empty fields too).
    let page = get(&st, "/relays?since=&verdict=&reported=yes&sort=messages")
        .await
        .text();
    assert!(page.contains(&format!(r#"href="/relays/{SEED_RELAY}""#)));
    assert!(!page.contains(&format!(r#"href="/relays/{}""#, not[0])));
    assert!(page.contains(r#"<option value="yes" selected>"#), "{page}");
    // since: the seed message is from 2026; a far-future `since` lists nothing.
    let future = format!("/api/relays?since=@{}", NOW + 10 * 365 * 86_400);
    assert_eq!(get(&st, &future).await.json(), serde_json::json!([]));
    // Wrong parameters say what to write.
    for bad in [
        "/api/relays?since=yesterday",
        "/api/relays?reported=maybe",
        "/relays?sort=size",
    ] {
        let r = get(&st, bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(
            r.text().contains("use") || r.text().contains("expected"),
            "{bad}: {}",
            r.text()
        );
    }
}

async fn probe_runs_and_audits_are_listed_with_their_details(stores: &Stores) {
    let st = stores.state(Options::default());
    let (run, result) = {
        let mut s = store_of(&st);
        let run = s
            .start_probe_run(&NewProbeRun {
                options: "ports 25; tests 29; confirm".into(),
            })
            .unwrap();
        let result = s
            .add_probe_result(
                run,
                &NewProbeResult {
                    target: "mx.example.net".into(),
                    ip: Some(SEED_RELAY.parse().unwrap()),
                    port: Some(25),
                    verdict: "OPEN".into(),
                    finding: true,
                    open_evidence: Some("proven".into()),
                    detail: "relayed to the canary for an outside sender and recipient".into(),
                    duration_ms: Some(812),
                    transcript: Some(
                        "S: 220 mx.example.net ESMTP\nC: EHLO probe.test\nS: 250 mx.example.net\n"
                            .into(),
                    ),
                    ..NewProbeResult::default()
                },
            )
            .unwrap();
        s.finish_probe_run(run).unwrap();
        let text = "mynetworks = 0.0.0.0/0\nsmtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n";
        let report = relayhunt_audit::audit_text(
            "/etc/postfix/main.cf",
            text,
            Some(relayhunt_audit::Mta::Postfix),
        )
        .unwrap();
        let json = relayhunt_audit::output::json::render(&report);
        s.add_audit(&NewAudit::from_report(&report, &json)).unwrap();
        (run, result)
    };
    let runs = get(&st, "/api/probes").await.json();
    assert_eq!(runs[0]["id"], run);
    assert_eq!(runs[0]["findings"], 1);
    let list = get(&st, "/probes").await.text();
    assert!(list.contains(&format!(r#"href="/probes/{run}""#)));
    let one = get(&st, &format!("/api/probes/{run}")).await.json();
    assert_eq!(one["results"][0]["id"], result);
    assert_eq!(one["results"][0]["verdict"], "OPEN");
    let page = get(&st, &format!("/probes/{run}")).await.text();
    assert!(page.contains("S: 220 mx.example.net ESMTP"), "{page}");
    // The probe shows in the relay's history too.
    let h = get(&st, &format!("/api/relays/{SEED_RELAY}")).await.json();
    assert_eq!(h["probes"][0]["verdict"], "OPEN");
    assert!(get(&st, &format!("/relays/{SEED_RELAY}"))
        .await
        .text()
        .contains(r#"id="relay-probes""#));

    let audits = get(&st, "/api/audits").await.json();
    assert_eq!(audits[0]["verdict"], "OPEN RELAY");
    let id = audits[0]["id"].as_i64().unwrap();
    let a = get(&st, &format!("/api/audits/{id}")).await.json();
    assert_eq!(
        a["report"]["findings"][0]["rule"],
        "POSTFIX-MYNETWORKS-OPEN"
    );
    let page = get(&st, &format!("/audits/{id}")).await.text();
    assert!(page.contains("POSTFIX-MYNETWORKS-OPEN"));
    assert!(page.contains("/etc/postfix/main.cf:1"), "{page}");
    assert!(page.contains("mynetworks = 127.0.0.0/8"));
    assert!(get(&st, "/audits")
        .await
        .text()
        .contains(&format!(r#"href="/audits/{id}""#)));
    assert_eq!(
        get(&st, "/api/audits/77").await.status,
        StatusCode::NOT_FOUND
    );
}

/// Runs each scenario (an `async fn(&Stores)`) as its own test on SQLite, and all of
/// them one after the other on one throwaway PostgreSQL cluster (a database each): the
/// pages and their JSON must not depend on the engine. Used by `xss.rs` too.
macro_rules! on_both {
    ($postgres:ident: $($scenario:path => $sqlite:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $sqlite() {
                $scenario(&$crate::support::Stores::sqlite()).await;
            }
        )+

        #[tokio::test]
        async fn $postgres() {
            let Some(stores) = $crate::support::Stores::postgres() else {
                return;
            };
            $(
                eprintln!("on PostgreSQL: {}", stringify!($scenario));
                $scenario(&stores).await;
            )+
        }
    };
}
pub(crate) use on_both;

on_both! {
    store_pages_on_postgres:
    analyses_are_kept_only_when_asked_and_once_per_message
        => analyses_are_kept_only_when_asked_and_once_per_message_sqlite,
    api_analyze_keeps_with_store_1_and_serve_store_keeps_all
        => api_analyze_keeps_with_store_1_and_serve_store_keeps_all_sqlite,
    relay_list_filters_like_relayhunt_relays => relay_list_filters_like_relayhunt_relays_sqlite,
    probe_runs_and_audits_are_listed_with_their_details
        => probe_runs_and_audits_are_listed_with_their_details_sqlite,
}

#[tokio::test]
async fn without_a_store_the_store_pages_say_how_to_get_one() {
    let st = state();
    for uri in [
        "/relays",
        "/api/relays",
        "/probes",
        "/api/audits",
        "/messages/1",
    ] {
        let r = get(&st, uri).await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{uri}");
        assert!(r.text().contains("without a store"), "{uri}");
    }
    // The form has no box to tick, and a request to keep is refused, not ignored.
    assert!(!get(&st, "/").await.text().contains(r#"name="store""#));
    let r = post_form(
        &st,
        &[
            ("eml", Some("m.eml"), &sample("seed-relay.eml")),
            ("store", None, b"1"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
}
