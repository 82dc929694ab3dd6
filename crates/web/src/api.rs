//! The JSON API: the data behind every page, documented in docs/web.md.
//!
//! The endpoint list is a table ([`ENDPOINTS`]) served at `GET /api`, so the index, the
//! docs and the tests check against one source.

use crate::app::LimitQuery;
use crate::app::{run_analysis, Shared};
use crate::stored::{self, json_value, RelayQuery, StoreFail};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
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
        returns: "analyse the request body (a raw message or header block): {id, links, analysis}; `?store=1` also keeps it in the store (analysis.stored = {message_id, new, store})",
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
        returns: "relays in the store (as `relayhunt relays --json`); query: since (7d, 2026-11-01), verdict, reported (yes|no), sort (last-seen|messages), limit (default 100, 0 = all)",
    },
    Endpoint {
        method: "GET",
        path: "/api/relays/{ip}",
        page: Some("/relays/{ip}"),
        returns: "one relay's history (as `relayhunt relays show IP --json`): the relay's fields, owner_record, messages, probes, reports; 404 when the store never saw it",
    },
    Endpoint {
        method: "GET",
        path: "/api/messages/{id}",
        page: Some("/messages/{id}"),
        returns: "one stored message: its fields, hops, findings, and report (the `analyze --format ndjson` document)",
    },
    Endpoint {
        method: "GET",
        path: "/api/probes",
        page: Some("/probes"),
        returns: "probe runs in the store, newest first: [{id, started_at, finished_at, options, targets, findings, failures}]; query: limit",
    },
    Endpoint {
        method: "GET",
        path: "/api/probes/{id}",
        page: Some("/probes/{id}"),
        returns: "one probe run and its results with transcripts: {run, results}",
    },
    Endpoint {
        method: "GET",
        path: "/api/audits",
        page: Some("/audits"),
        returns: "audits in the store, newest first: [{id, audited_at, source, mta, verdict, findings, max_severity, warnings}]; query: limit",
    },
    Endpoint {
        method: "GET",
        path: "/api/audits/{id}",
        page: Some("/audits/{id}"),
        returns: "one audit with its report (the `audit --json` document)",
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
        .route("/api/messages/{id}", get(message))
        .route("/api/probes", get(probe_runs))
        .route("/api/probes/{id}", get(probe_run))
        .route("/api/audits", get(audits))
        .route("/api/audits/{id}", get(audit))
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

/// Query of `POST /api/analyze`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct AnalyzeQuery {
    /// `1` (or `true`) keeps the message in the store.
    #[serde(default)]
    pub store: Option<String>,
}

async fn analyze(
    State(state): State<Shared>,
    Query(q): Query<AnalyzeQuery>,
    body: Bytes,
) -> Response {
    let store = matches!(q.store.as_deref(), Some("1" | "true" | "yes"));
    match run_analysis(&state, body.to_vec(), None, store).await {
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

fn store_error(f: StoreFail) -> Response {
    let (status, msg) = f.status();
    error(status, &msg)
}

async fn relay_list(State(state): State<Shared>, Query(q): Query<RelayQuery>) -> Response {
    let filter = match q.filter(state.options.now.unwrap_or_else(stored::now)) {
        Ok(f) => f,
        Err(e) => return store_error(e),
    };
    match stored::with_store(&state, move |s| s.relays(&filter)).await {
        Ok(relays) => Json(relays).into_response(),
        Err(e) => store_error(e),
    }
}

async fn relay(
    State(state): State<Shared>,
    Path(ip): Path<String>,
    Query(q): Query<LimitQuery>,
) -> Response {
    let Ok(ip) = ip.parse::<IpAddr>() else {
        return error(StatusCode::BAD_REQUEST, "not an IP address");
    };
    let limit = q.limit.unwrap_or(100);
    match stored::with_store(&state, move |s| s.relay(ip, limit)).await {
        Ok(Some(h)) => Json(relayhunt_store::cli::HistoryDoc::from(&h)).into_response(),
        Ok(None) => error(
            StatusCode::NOT_FOUND,
            "the store has nothing about this address",
        ),
        Err(e) => store_error(e),
    }
}

async fn message(State(state): State<Shared>, Path(id): Path<i64>) -> Response {
    match stored::with_store(&state, move |s| s.message(id)).await {
        Ok(Some(m)) => {
            let mut v = serde_json::to_value(&m).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("report".into(), json_value(&m.report));
            }
            Json(v).into_response()
        }
        Ok(None) => error(StatusCode::NOT_FOUND, "no stored message with this id"),
        Err(e) => store_error(e),
    }
}

async fn probe_runs(State(state): State<Shared>, Query(q): Query<LimitQuery>) -> Response {
    let limit = q.limit.unwrap_or(100);
    match stored::with_store(&state, move |s| s.probe_runs(limit)).await {
        Ok(runs) => Json(runs).into_response(),
        Err(e) => store_error(e),
    }
}

async fn probe_run(State(state): State<Shared>, Path(id): Path<i64>) -> Response {
    match stored::with_store(&state, move |s| s.probe_run(id)).await {
        Ok(Some((run, results))) => Json(json!({ "run": run, "results": results })).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, "no probe run with this id"),
        Err(e) => store_error(e),
    }
}

async fn audits(State(state): State<Shared>, Query(q): Query<LimitQuery>) -> Response {
    let limit = q.limit.unwrap_or(100);
    match stored::with_store(&state, move |s| s.audits(limit)).await {
        Ok(list) => Json(list).into_response(),
        Err(e) => store_error(e),
    }
}

async fn audit(State(state): State<Shared>, Path(id): Path<i64>) -> Response {
    match stored::with_store(&state, move |s| s.audit(id)).await {
        Ok(Some(a)) => {
            let mut v = serde_json::to_value(&a).unwrap_or_default();
            if let (Some(o), Some(r)) = (v.as_object_mut(), a.report.as_deref()) {
                o.insert("report".into(), json_value(r));
            }
            Json(v).into_response()
        }
        Ok(None) => error(StatusCode::NOT_FOUND, "no audit with this id"),
        Err(e) => store_error(e),
    }
}
