//! Error pages: what went wrong and what to do, with the matching HTTP status.

use super::layout::page;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;

/// A page saying `message` with `status`.
pub fn error_page(status: StatusCode, message: &str) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    let body = html! {
        h1 { (title) }
        p.error { (message) }
        p { a href="/" { "Back to the analysis form" } }
    };
    (status, page(title, None, body)).into_response()
}
