//! The JSON API and the abuse report download, on the bundled seed message (a BEC phish
//! laundered through an open relay) and on real corpus mail.

use crate::support::{get, owner, post_form, sample, send, state, state_with, upload};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use relayhunt_web::api::ENDPOINTS;
use relayhunt_web::Options;

#[tokio::test]
async fn analyze_returns_the_analyze_json_document_and_links() {
    let st = state();
    let r = send(
        &st,
        Request::post("/api/analyze")
            .body(Body::from(sample("seed-relay.eml")))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let v = r.json();
    let id = v["id"].as_str().unwrap().to_string();
    assert_eq!(
        v["analysis"]["report"]["verdict"]["kind"],
        "open_relay_suspected"
    );
    assert_eq!(v["analysis"]["report"]["relay_ip"], "198.51.100.25");
    assert_eq!(v["analysis"]["report"]["schema_version"], "1");
    assert_eq!(v["links"]["page"], format!("/analysis/{id}"));
    // The same document behind the page, and in the list.
    let again = get(&st, &format!("/api/analysis/{id}")).await.json();
    assert_eq!(again["report"], v["analysis"]["report"]);
    let list = get(&st, "/api/analyses").await.json();
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["relay_ip"], "198.51.100.25");
    // Same bytes, same id: no duplicate.
    let r2 = send(
        &st,
        Request::post("/api/analyze")
            .body(Body::from(sample("seed-relay.eml")))
            .unwrap(),
    )
    .await;
    assert_eq!(r2.json()["id"], id.as_str());
    assert_eq!(
        get(&st, "/api/analyses")
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn pasted_headers_and_uploaded_files_give_the_same_analysis() {
    let st = state();
    let raw = sample("seed-relay.eml");
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\n\nHi" || w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    let pasted = post_form(
        &st,
        &[("headers", None, &raw[..head_end]), ("eml", Some(""), b"")],
    )
    .await;
    assert_eq!(pasted.status, StatusCode::SEE_OTHER);
    let file = upload(&st, &raw).await;
    let a = get(&st, &format!("/api{}", pasted.header("location")))
        .await
        .json();
    let b = get(&st, &format!("/api{}", file)).await.json();
    assert_eq!(a["report"]["verdict"], b["report"]["verdict"]);
    assert_eq!(a["report"]["relay_ip"], b["report"]["relay_ip"]);
    assert_eq!(b["file_name"], "msg.eml");
}

#[tokio::test]
async fn every_endpoint_is_listed_and_documented() {
    let st = state();
    let index = get(&st, "/api").await.json();
    assert_eq!(index.as_array().unwrap().len(), ENDPOINTS.len());
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/web.md"))
        .expect("docs/web.md");
    for e in ENDPOINTS {
        assert!(
            doc.contains(&format!("`{} {}`", e.method, e.path)),
            "docs/web.md does not document `{} {}`",
            e.method,
            e.path
        );
    }
}

/// The seed message with its relay and origin moved to public addresses (198.51.110.25,
/// 203.0.114.77): a documentation address has no owner to report to.
fn seed_public() -> Vec<u8> {
    let seed = String::from_utf8(sample("seed-relay.eml")).unwrap();
    assert!(seed.contains("198.51.100.25") && seed.contains("203.0.113.77"));
    seed.replace("198.51.100.", "198.51.110.")
        .replace("203.0.113.", "203.0.114.")
        .replace("203-0-113-", "203-0-114-")
        .into_bytes()
}

#[tokio::test]
async fn abuse_report_download_is_the_takedown_report_for_the_relay() {
    let st = state_with(
        Options::default(),
        vec![owner(
            "198.51.110.25",
            "SomeCloud Hosting B.V.",
            "abuse@somecloud.example",
        )],
    );
    let url = upload(&st, &seed_public()).await;
    let page = get(&st, &url).await.text();
    assert!(
        page.contains("abuse@somecloud.example"),
        "owner's abuse contact shown"
    );
    assert!(
        page.contains("value=\"abuse@somecloud.example\""),
        "and prefilled"
    );
    let r = get(
        &st,
        &format!("{url}/abuse-report?to=abuse%40somecloud.example&format=eml"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header("content-type"), "message/rfc822");
    assert_eq!(
        r.header("content-disposition"),
        "attachment; filename=\"abuse-report-198.51.110.25.eml\""
    );
    let eml = r.text();
    assert!(
        eml.lines()
            .any(|l| l.starts_with("To:") && l.contains("abuse@somecloud.example")),
        "{eml}"
    );
    assert!(eml.contains("Subject: Open mail relay at 198.51.110.25 (SomeCloud Hosting B.V.)"));
    assert!(eml
        .lines()
        .any(|l| l.starts_with("From:") && l.contains("<analyst@soc.example>")));
    assert!(eml.contains("message/rfc822"), "original attached");
    let arf = get(
        &st,
        &format!("{url}/abuse-report?to=abuse%40somecloud.example&format=arf"),
    )
    .await
    .text();
    assert!(arf.contains("Feedback-Type: abuse"));
    assert!(arf.contains("Source-IP: 198.51.110.25"));
    let xarf = get(
        &st,
        &format!("{url}/abuse-report?to=abuse%40somecloud.example&format=xarf"),
    )
    .await;
    assert_eq!(xarf.status, StatusCode::OK, "{}", xarf.text());
    assert_eq!(xarf.header("content-type"), "application/json");
    let doc: serde_json::Value = serde_json::from_str(&xarf.text()).unwrap();
    assert_eq!(doc["xarf_version"], "4.2.0");
    assert_eq!(
        (&doc["category"], &doc["type"]),
        (&"messaging".into(), &"spam".into())
    );
    assert_eq!(doc["source_identifier"], "198.51.110.25");
    assert_eq!(doc["reporter"]["contact"], "analyst@soc.example");
    // Without a recipient the known abuse contact is used; a bad one is refused.
    let r = get(&st, &format!("{url}/abuse-report")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r
        .text()
        .lines()
        .any(|l| l.starts_with("To:") && l.contains("abuse@somecloud.example")));
    let r = get(
        &st,
        &format!("{url}/abuse-report?to=not%20an%20address%0D%0ABcc:x@y"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn abuse_report_needs_a_reporter_and_a_relay() {
    let st = std::sync::Arc::new(relayhunt_web::AppState::new(
        Options::default(),
        None,
        Err("reporter_email is not set".into()),
    ));
    let url = upload(&st, &sample("seed-relay.eml")).await;
    let page = get(&st, &url).await.text();
    assert!(page.contains("disabled"));
    assert!(page.contains("reporter_email is not set"));
    let r = get(
        &st,
        &format!("{url}/abuse-report?to=abuse%40somecloud.example"),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let st = state();
    let url = upload(&st, b"From: a@b.example\r\nSubject: no chain\r\n\r\nhi\r\n").await;
    let r = get(&st, &format!("{url}/abuse-report?to=abuse%40x.example")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("no untrusted relay"));
}
