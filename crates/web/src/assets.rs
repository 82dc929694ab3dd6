//! Static files compiled into the binary: the server needs nothing from disk or the network.

use axum::http::header;
use axum::response::IntoResponse;

/// Where the stylesheet is served.
pub const CSS_PATH: &str = "/static/app.css";

/// The stylesheet.
pub const CSS: &str = include_str!("../static/app.css");

/// `GET /static/app.css`.
pub async fn css() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS)
}
