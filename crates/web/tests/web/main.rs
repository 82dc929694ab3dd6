//! The web UI, tested through its router (pages, SVG, API, guards) and in real Chromium.

mod api;
mod browser;
mod chain;
mod guards;
mod store;
mod support;
mod xss;
