//! The request guards and response headers: CSP everywhere, the upload cap, Host and
//! Origin checks, and errors that say what to do.

use crate::support::{get, multipart, post_form, sample, send, state, state_with};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use relayhunt_web::security::{CSP, HEADERS};
use relayhunt_web::Options;

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let st = state();
    let url = crate::support::upload(&st, &sample("seed-relay.eml")).await;
    for uri in [
        "/".to_string(),
        url.clone(),
        format!("{url}/chain.svg"),
        "/static/app.css".into(),
        "/api".into(),
        "/relays".into(),
        "/no/such/page".into(),
    ] {
        let r = get(&st, &uri).await;
        for h in HEADERS {
            assert_eq!(r.header(h.name), h.value, "{} on {uri}", h.name);
        }
    }
    assert!(!CSP.contains("unsafe"), "the policy allows nothing unsafe");
    assert!(
        !CSP.contains("script-src"),
        "scripts fall under default-src 'none'"
    );
}

#[tokio::test]
async fn pages_hold_no_script_and_no_inline_style() {
    let st = state();
    let url = crate::support::upload(&st, &sample("seed-relay.eml")).await;
    for uri in ["/", url.as_str(), "/relays"] {
        let html = get(&st, uri).await.text();
        assert!(!html.contains("<script"), "{uri}");
        assert!(
            !html.contains(" style="),
            "{uri}: inline style is blocked by the CSP"
        );
        assert!(!html.contains("<style"), "{uri}");
    }
}

#[tokio::test]
async fn uploads_beyond_the_limit_are_refused_with_413() {
    let st = state_with(
        Options {
            max_upload: 64 * 1024,
            ..Options::default()
        },
        vec![],
    );
    let mut big = sample("seed-relay.eml");
    big.extend(std::iter::repeat_n(b'x', 80 * 1024));
    let r = post_form(&st, &[("eml", Some("big.eml"), &big)]).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text());
    let api = send(
        &st,
        Request::post("/api/analyze")
            .header(header::CONTENT_LENGTH, big.len())
            .body(Body::from(big))
            .unwrap(),
    )
    .await;
    assert_eq!(api.status, StatusCode::PAYLOAD_TOO_LARGE);
    // Within the limit the same message is fine.
    let r = post_form(&st, &[("eml", Some("ok.eml"), &sample("seed-relay.eml"))]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

/// A body sent in chunks, with no length announced (`Transfer-Encoding: chunked` on the wire).
fn chunked(bytes: Vec<u8>) -> Body {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        bytes.chunks(8 * 1024).map(|c| Ok(c.to_vec())).collect();
    Body::from_stream(futures::stream::iter(chunks))
}

#[tokio::test]
async fn chunked_uploads_beyond_the_limit_are_refused_with_413_too() {
    let st = state_with(
        Options {
            max_upload: 64 * 1024,
            ..Options::default()
        },
        vec![],
    );
    let mut big = sample("seed-relay.eml");
    big.extend(std::iter::repeat_n(b'x', 80 * 1024));
    // The form, streamed: the limit is only found while reading a part.
    let (ctype, body) = multipart(&[("eml", Some("big.eml"), &big)]);
    let r = send(
        &st,
        Request::post("/analyze")
            .header(header::CONTENT_TYPE, ctype)
            .body(chunked(body))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text());
    assert!(r.text().contains("too large"), "{}", r.text());
    // The API, streamed.
    let api = send(
        &st,
        Request::post("/api/analyze").body(chunked(big)).unwrap(),
    )
    .await;
    assert_eq!(api.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", api.text());
    // Streamed within the limit is fine.
    let ok = send(
        &st,
        Request::post("/api/analyze")
            .body(chunked(sample("seed-relay.eml")))
            .unwrap(),
    )
    .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text());
}

#[tokio::test]
async fn foreign_host_names_are_refused_against_dns_rebinding() {
    let st = state();
    for host in ["evil.example", "evil.example:8025", "192.0.2.1:8025"] {
        let r = send(
            &st,
            Request::get("/api/analyses")
                .header(header::HOST, host)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, StatusCode::MISDIRECTED_REQUEST, "{host}");
    }
    for host in [
        "127.0.0.1:8025",
        "localhost:8025",
        "[::1]:8025",
        "localhost",
    ] {
        let r = send(
            &st,
            Request::get("/api/analyses")
                .header(header::HOST, host)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{host}");
    }
    let named = state_with(
        Options {
            allowed_hosts: vec!["relayhunt.lan".into()],
            ..Options::default()
        },
        vec![],
    );
    let r = send(
        &named,
        Request::get("/")
            .header(header::HOST, "relayhunt.lan:80")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let st = state();
    let (ctype, body) = multipart(&[("eml", Some("m.eml"), &sample("seed-relay.eml"))]);
    let post = |origin: &'static str| {
        Request::post("/analyze")
            .header(header::CONTENT_TYPE, ctype.clone())
            .header(header::ORIGIN, origin)
            .body(Body::from(body.clone()))
            .unwrap()
    };
    assert_eq!(
        send(&st, post("https://evil.example")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(send(&st, post("null")).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        send(&st, post("http://127.0.0.1:8025")).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn empty_and_unknown_requests_say_what_to_do() {
    let st = state();
    let r = post_form(&st, &[("headers", None, b"  \r\n")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .contains("paste the raw headers or choose an .eml file"));
    let r = get(&st, "/analysis/0123456789abcdef").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.text().contains("upload the message again"));
    let r = get(&st, "/relays/not-an-ip").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}
