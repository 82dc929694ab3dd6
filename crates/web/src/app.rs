//! The routes, the request guards and the HTML handlers.
//!
//! Guards, outermost first: every response gets the headers of
//! [`crate::security::HEADERS`]; the `Host` header must name this server (a page elsewhere
//! cannot reach it through DNS rebinding); a POST carrying an `Origin` must come from this
//! server's own pages; and the request body is capped at `--max-upload` (413 beyond it,
//! whether its length is declared or it comes chunked: `cap_body`).

use crate::analysis::{analyse, Analysis, AnalysisError};
use crate::pages::error::error_page;
use crate::state::AppState;
use crate::stored::{self, RelayQuery, StoreFail};
use crate::{abuse_report, api, assets, chain_svg, pages};
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use std::net::IpAddr;
use std::sync::Arc;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;

/// Shared state as the handlers see it.
pub type Shared = Arc<AppState>;

/// The whole application.
pub fn router(state: Shared) -> Router {
    let max = state.options.max_upload;
    let mut app = Router::new()
        .route("/", get(home))
        .route("/analyze", post(analyze_form))
        .route("/analysis/{id}", get(analysis_page))
        .route("/analysis/{id}/chain.svg", get(chain_svg_file))
        .route("/analysis/{id}/abuse-report", get(abuse_report_file))
        .route("/relays", get(relays_page))
        .route("/relays/{ip}", get(relay_page))
        .route("/messages/{id}", get(message_page))
        .route("/probes", get(probes_page))
        .route("/probes/{id}", get(probe_run_page))
        .route("/audits", get(audits_page))
        .route("/audits/{id}", get(audit_page))
        .route(assets::CSS_PATH, get(assets::css))
        .merge(api::routes())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(max))
        .layer(RequestBodyLimitLayer::new(max))
        .layer(middleware::from_fn_with_state(state.clone(), cap_body))
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state);
    for h in crate::security::HEADERS {
        app = app.layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static(h.name),
            HeaderValue::from_static(h.value),
        ));
    }
    app
}

/// True when `host` (a `Host` header value) names this server.
fn host_allowed(state: &AppState, host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if name == "localhost" || name.ends_with(".localhost") {
        return true;
    }
    if let Ok(ip) = name.parse::<IpAddr>() {
        return ip.is_loopback() || state.options.allowed_ips.contains(&ip);
    }
    state
        .options
        .allowed_hosts
        .iter()
        .any(|h| h.eq_ignore_ascii_case(&name))
}

async fn guard(State(state): State<Shared>, req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
        .unwrap_or("");
    if !host_allowed(&state, host) {
        return error_page(
            StatusCode::MISDIRECTED_REQUEST,
            "This server answers only to the names it was started for (see --allow-host).",
        );
    }
    if req.method() == Method::POST {
        if let Some(origin) = req.headers().get(header::ORIGIN) {
            let o = origin.to_str().unwrap_or("");
            let same = o
                .split_once("://")
                .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(host));
            if !same {
                return error_page(
                    StatusCode::FORBIDDEN,
                    "Cross-site form posts are refused: submit the form from this server's own page.",
                );
            }
        }
    }
    next.run(req).await
}

fn too_large(max: usize) -> Response {
    error_page(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!(
            "The upload is too large: this server takes at most {max} bytes (see --max-upload)."
        ),
    )
}

/// Cap the request body at `--max-upload`. A declared length over the cap is refused at
/// once; a body of undeclared length (`Transfer-Encoding: chunked`) is read here, refused
/// with 413 the moment it passes the cap (after reading and dropping at most as much again,
/// so the client is reading when the answer comes rather than having its connection
/// reset), and otherwise handed on with its length known. Without this, the limit would
/// surface only inside the multipart parser, as a generic 500.
async fn cap_body(State(state): State<Shared>, req: Request, next: Next) -> Response {
    use axum::body::{Body, HttpBody};
    let max = state.options.max_upload;
    if let Some(len) = req.headers().get(header::CONTENT_LENGTH) {
        return match len.to_str().ok().and_then(|l| l.trim().parse::<u64>().ok()) {
            Some(n) if n > max as u64 => too_large(max),
            Some(_) => next.run(req).await,
            None => error_page(StatusCode::BAD_REQUEST, "Content-Length is not a number."),
        };
    }
    if req.method() == Method::GET || req.method() == Method::HEAD {
        return next.run(req).await;
    }
    let (mut parts, mut body) = req.into_parts();
    let mut data: Vec<u8> = Vec::new();
    let mut over = 0usize;
    loop {
        let frame = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await;
        match frame {
            None => break,
            Some(Ok(f)) => {
                let Ok(chunk) = f.into_data() else { continue };
                if over > 0 || data.len() + chunk.len() > max {
                    over += chunk.len();
                    if over > max {
                        break;
                    }
                } else {
                    data.extend_from_slice(&chunk);
                }
            }
            Some(Err(e)) => {
                return error_page(StatusCode::BAD_REQUEST, &format!("Upload interrupted: {e}"))
            }
        }
    }
    if over > 0 {
        return too_large(max);
    }
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(data.len()));
    parts.headers.remove(header::TRANSFER_ENCODING);
    next.run(Request::from_parts(parts, Body::from(data))).await
}

async fn not_found() -> Response {
    error_page(StatusCode::NOT_FOUND, "No such page.")
}

async fn home(State(state): State<Shared>) -> Response {
    pages::home::render(
        &state.recent(),
        state.options.max_upload,
        store_choice(&state),
    )
    .into_response()
}

/// Whether the form offers to record in the store: `None` without a store, `Some(true)`
/// when every analysis is recorded anyway (`--store`).
fn store_choice(state: &AppState) -> Option<bool> {
    state.store.as_ref().map(|_| state.options.store_all)
}

/// What the form sent: the message (pasted text or an uploaded file, the file wins), the
/// file name, and whether to record it in the store.
pub struct FormInput {
    pub raw: Vec<u8>,
    pub file_name: Option<String>,
    pub store: bool,
}

/// Read the form.
pub async fn read_form(mut form: Multipart) -> Result<FormInput, Response> {
    let mut pasted: Vec<u8> = Vec::new();
    let mut file: Option<(Vec<u8>, Option<String>)> = None;
    let mut store = false;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(error_page(e.status(), &format!("Upload failed: {e}"))),
        };
        let name = field.name().unwrap_or("").to_string();
        let file_name = field.file_name().map(str::to_string);
        let bytes = match field.bytes().await {
            Ok(b) => b,
            Err(e) => return Err(error_page(e.status(), &format!("Upload failed: {e}"))),
        };
        match name.as_str() {
            "eml" if !bytes.is_empty() => file = Some((bytes.to_vec(), file_name)),
            "headers" => pasted = bytes.to_vec(),
            "store" => store = !bytes.is_empty() && bytes.as_ref() != b"0",
            _ => {}
        }
    }
    let (raw, file_name) = file.unwrap_or((pasted, None));
    Ok(FormInput {
        raw,
        file_name,
        store,
    })
}

/// Analyse on the blocking pool (analysis is CPU work; owner lookups block on I/O), and
/// record the result in the store when `store` asks for it or the server records all.
pub async fn run_analysis(
    state: &Shared,
    raw: Vec<u8>,
    file_name: Option<String>,
    store: bool,
) -> Result<Arc<Analysis>, (StatusCode, String)> {
    let st = state.clone();
    let record = store || state.options.store_all;
    if record && state.store.is_none() {
        return Err(StoreFail::Absent.status());
    }
    let done = tokio::task::spawn_blocking(move || {
        let mut a = analyse(&st, raw, file_name)?;
        if let Some(s) = st.store.as_ref().filter(|_| record) {
            match stored::record(s, &a) {
                Ok(r) => a.stored = Some(r),
                Err(e) => a.store_error = Some(e.to_string()),
            }
        }
        Ok::<_, AnalysisError>(a)
    })
    .await
    .map_err(|e| {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("analysis stopped: {e}"),
        )
    })?;
    match done {
        Ok(a) => {
            let a = Arc::new(a);
            state.keep(a.clone());
            Ok(a)
        }
        Err(e @ AnalysisError::Config(_)) => {
            Err((StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
        }
        Err(e) => Err((StatusCode::UNPROCESSABLE_ENTITY, e.to_string())),
    }
}

async fn analyze_form(State(state): State<Shared>, form: Multipart) -> Response {
    let input = match read_form(form).await {
        Ok(x) => x,
        Err(resp) => return resp,
    };
    match run_analysis(&state, input.raw, input.file_name, input.store).await {
        Ok(a) => Redirect::to(&format!("/analysis/{}", a.id)).into_response(),
        Err((status, msg)) => error_page(status, &msg),
    }
}

fn missing_analysis() -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        "No analysis with this id here (the server keeps recent analyses in memory only; upload the message again).",
    )
}

fn reporter_ready(state: &AppState) -> Result<(), String> {
    state.reporter.as_ref().map(|_| ()).map_err(Clone::clone)
}

async fn analysis_page(State(state): State<Shared>, Path(id): Path<String>) -> Response {
    match state.get(&id) {
        Some(a) => pages::analysis::render(&a, reporter_ready(&state)).into_response(),
        None => missing_analysis(),
    }
}

async fn chain_svg_file(State(state): State<Shared>, Path(id): Path<String>) -> Response {
    match state.get(&id) {
        Some(a) => (
            [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
            chain_svg::document(&a.report),
        )
            .into_response(),
        None => missing_analysis(),
    }
}

/// Query of the abuse report download.
#[derive(Debug, Deserialize)]
pub struct ReportQuery {
    /// Recipient (the abuse contact).
    #[serde(default)]
    pub to: String,
    /// `eml` (default), `arf` or `xarf`.
    #[serde(default)]
    pub format: Option<String>,
}

/// The report as a download, or why there is none (status and message).
pub fn abuse_report_response(
    state: &AppState,
    id: &str,
    q: &ReportQuery,
) -> Result<Response, (StatusCode, String)> {
    let a = state.get(id).ok_or((
        StatusCode::NOT_FOUND,
        "no analysis with this id".to_string(),
    ))?;
    let reporter = state.reporter.as_ref().map_err(|e| {
        (
            StatusCode::CONFLICT,
            format!("reports need your identity: {e}"),
        )
    })?;
    let fmt_name = q.format.as_deref().unwrap_or("eml");
    let format = abuse_report::format_named(fmt_name).ok_or((
        StatusCode::BAD_REQUEST,
        format!("unknown format {fmt_name:?}: use eml, arf or xarf"),
    ))?;
    let to = if q.to.trim().is_empty() {
        a.relay_abuse().ok_or((
            StatusCode::BAD_REQUEST,
            "no abuse contact is known for this relay: enter the recipient".to_string(),
        ))?
    } else {
        q.to.clone()
    };
    let now = state.options.now.unwrap_or(a.analysed_unix);
    let built = abuse_report::build(&a, reporter, &to, format, now)
        .map_err(|e| (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    let ctype = match format {
        relayhunt_takedown::report::Format::Xarf => "application/json",
        _ => "message/rfc822",
    };
    let disposition = format!(
        "attachment; filename=\"{}\"",
        abuse_report::file_name(&a, format)
    );
    Ok((
        [
            (header::CONTENT_TYPE, ctype.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        built.bytes,
    )
        .into_response())
}

async fn abuse_report_file(
    State(state): State<Shared>,
    Path(id): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Response {
    abuse_report_response(&state, &id, &q).unwrap_or_else(|(s, m)| error_page(s, &m))
}

fn store_error(f: StoreFail) -> Response {
    let (status, msg) = f.status();
    error_page(status, &msg)
}

/// Query of the list pages: how many rows.
#[derive(Debug, Default, Deserialize)]
pub struct LimitQuery {
    /// Most rows (default 100, 0 = all).
    #[serde(default)]
    pub limit: Option<usize>,
}

async fn relays_page(State(state): State<Shared>, Query(q): Query<RelayQuery>) -> Response {
    let filter = match q.filter(state.options.now.unwrap_or_else(stored::now)) {
        Ok(f) => f,
        Err(e) => return store_error(e),
    };
    match stored::with_store(&state, move |s| s.relays(&filter)).await {
        Ok(relays) => pages::store::relay_list(&q, &relays).into_response(),
        Err(e) => store_error(e),
    }
}

async fn relay_page(
    State(state): State<Shared>,
    Path(ip): Path<String>,
    Query(q): Query<LimitQuery>,
) -> Response {
    let Ok(ip) = ip.parse::<IpAddr>() else {
        return error_page(StatusCode::BAD_REQUEST, "Not an IP address.");
    };
    let limit = q.limit.unwrap_or(100);
    match stored::with_store(&state, move |s| s.relay(ip, limit)).await {
        Ok(h) => pages::store::relay(ip, h.as_ref()).into_response(),
        Err(e) => store_error(e),
    }
}

async fn message_page(State(state): State<Shared>, Path(id): Path<i64>) -> Response {
    match stored::with_store(&state, move |s| s.message(id)).await {
        Ok(Some(m)) => pages::store::message(&m).into_response(),
        Ok(None) => error_page(StatusCode::NOT_FOUND, "No stored message with this id."),
        Err(e) => store_error(e),
    }
}

async fn probes_page(State(state): State<Shared>, Query(q): Query<LimitQuery>) -> Response {
    let limit = q.limit.unwrap_or(100);
    match stored::with_store(&state, move |s| s.probe_runs(limit)).await {
        Ok(runs) => pages::store::probe_runs(&runs).into_response(),
        Err(e) => store_error(e),
    }
}

async fn probe_run_page(State(state): State<Shared>, Path(id): Path<i64>) -> Response {
    match stored::with_store(&state, move |s| s.probe_run(id)).await {
        Ok(Some((run, results))) => pages::store::probe_run(&run, &results).into_response(),
        Ok(None) => error_page(StatusCode::NOT_FOUND, "No probe run with this id."),
        Err(e) => store_error(e),
    }
}

async fn audits_page(State(state): State<Shared>, Query(q): Query<LimitQuery>) -> Response {
    let limit = q.limit.unwrap_or(100);
    match stored::with_store(&state, move |s| s.audits(limit)).await {
        Ok(audits) => pages::store::audits(&audits).into_response(),
        Err(e) => store_error(e),
    }
}

async fn audit_page(State(state): State<Shared>, Path(id): Path<i64>) -> Response {
    match stored::with_store(&state, move |s| s.audit(id)).await {
        Ok(Some(a)) => pages::store::audit(&a).into_response(),
        Ok(None) => error_page(StatusCode::NOT_FOUND, "No audit with this id."),
        Err(e) => store_error(e),
    }
}
