//! The JSON API: the data behind every page, documented in docs/web.md.
//!
//! The endpoint list is a table ([`ENDPOINTS`]) served at `GET /api`, so the index, the
//! docs and the tests check against one source.

use crate::app::{run_analysis, Shared};
use crate::relays;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::json;
use std::net::IpAddr;

/// One API endpoint and what it returns.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    /// The HTML page showing the same data, if any.
    pub page: Option<&'static str>,
    pub returns: &'static str,
}

/// Every endpoint.
pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "GET",
        path: "/api",
        page: None,
        returns: "this list",
    },
    Endpoint {
        method: "POST",
        path: "/api/analyze",
        page: Some("/"),
        returns: "analyse the request body (a raw message or header block): {id, links, analysis}",
    },
    Endpoint {
        method: "GET",
        path: "/api/analyses",
        page: Some("/"),
        returns: "analyses kept by this server, newest first: [{id, subject, from, verdict, severity, relay_ip, links}]",
    },
    Endpoint {
        method: "GET",
        path: "/api/analysis/{id}",
        page: Some("/analysis/{id}"),
        returns: "one analysis: {id, file_name, size, analysed_unix, report, owners, links}; report is the `relayhunt analyze --json` document",
    },
    Endpoint {
        method: "GET",
        path: "/api/relays",
        page: Some("/relays"),
        returns: "relays seen, most messages first: [{ip, rdns, messages, first_seen_unix, last_seen_unix, verdicts, abuse_contact}]",
    },
    Endpoint {
        method: "GET",
        path: "/api/relays/{ip}",
        page: Some("/relays/{ip}"),
        returns: "one relay's history: {summary, messages: [{id, subject, from, date_unix, verdict, severity}]}",
    },
];

/// The API routes.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/api", get(index))
        .route("/api/analyze", post(analyze))
        .route("/api/analyses", get(analyses))
        .route("/api/analysis/{id}", get(analysis))
        .route("/api/relays", get(relay_list))
        .route("/api/relays/{ip}", get(relay))
}

/// `{"error": …}` with a status.
pub fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn links(id: &str) -> serde_json::Value {
    json!({
        "page": format!("/analysis/{id}"),
        "json": format!("/api/analysis/{id}"),
        "svg": format!("/analysis/{id}/chain.svg"),
        "abuse_report": format!("/analysis/{id}/abuse-report"),
    })
}

async fn index() -> Response {
    Json(ENDPOINTS).into_response()
}

async fn analyze(State(state): State<Shared>, body: Bytes) -> Response {
    match run_analysis(&state, body.to_vec(), None).await {
        Ok(a) => (
            StatusCode::CREATED,
            Json(json!({ "id": a.id, "links": links(&a.id), "analysis": &*a })),
        )
            .into_response(),
        Err((status, msg)) => error(status, &msg),
    }
}

async fn analyses(State(state): State<Shared>) -> Response {
    let list: Vec<serde_json::Value> = state
        .recent()
        .iter()
        .map(|a| {
            json!({
                "id": a.id,
                "subject": a.report.summary.subject,
                "from": a.report.summary.from.as_ref().and_then(|m| m.address.clone()),
                "verdict": a.report.verdict.kind,
                "severity": a.report.verdict.severity,
                "relay_ip": a.report.relay_ip,
                "links": links(&a.id),
            })
        })
        .collect();
    Json(list).into_response()
}

async fn analysis(State(state): State<Shared>, Path(id): Path<String>) -> Response {
    match state.get(&id) {
        Some(a) => {
            let mut v = serde_json::to_value(&*a).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("links".into(), links(&a.id));
            }
            Json(v).into_response()
        }
        None => error(StatusCode::NOT_FOUND, "no analysis with this id"),
    }
}

async fn relay_list(State(state): State<Shared>) -> Response {
    Json(relays::list(&state.recent())).into_response()
}

async fn relay(State(state): State<Shared>, Path(ip): Path<String>) -> Response {
    match ip.parse::<IpAddr>() {
        Ok(ip) => Json(relays::history(&state.recent(), ip)).into_response(),
        Err(_) => error(StatusCode::BAD_REQUEST, "not an IP address"),
    }
}
