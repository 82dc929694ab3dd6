//! Rendering a report: human text, JSON, SARIF 2.1.0.
pub mod human;
pub mod json;
pub mod sarif;
