//! `relayhunt serve`: a local web UI over the analyzer and the takedown report writer.
//!
//! Every string shown here was written by whoever sent the message, so the design keeps
//! attacker text inert by construction: pages and the hop-chain SVG are built with maud,
//! which escapes every interpolated value; no page carries script; every response carries a
//! strict Content-Security-Policy (`security`); request bodies are capped (`app`).
//!
//! Flow: `app` routes a request → `pages/*` (HTML) or `api` (JSON) → `analysis` (bytes in,
//! a kept [`analysis::Analysis`] out, through `relayhunt_analyze`) → `chain_svg` draws the
//! hop chain → `abuse_report` writes the takedown document. `stored` reads the store for the
//! relay, message, probe and audit pages (`pages/store`) and records analyses in it. `cli` is
//! `relayhunt serve`.

pub mod abuse_report;
pub mod analysis;
pub mod api;
pub mod app;
pub mod assets;
pub mod chain_svg;
pub mod cli;
pub mod pages;
pub mod security;
pub mod state;
pub mod stored;
pub mod text;

pub use app::router;
pub use state::{AppState, Options};
