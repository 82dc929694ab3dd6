//! The analysis result of one message: versioned, serialisable, rendered by `output`.

use serde::Serialize;

/// Version of the JSON document; bump on any incompatible change.
pub const SCHEMA_VERSION: &str = "1";

/// Everything the analyzer concluded about one message.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: &'static str,
    /// Hops oldest → newest.
    pub hops: Vec<relayhunt_received::Hop>,
}
