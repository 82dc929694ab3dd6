//! What the analyst trusts: receivers, authserv-ids and limits.

/// Analysis options. Built by the CLI from flags and the config file.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Receivers the user trusts: CIDRs (`203.0.113.0/24`) or host patterns (`*.example.org`).
    pub trusted: Vec<String>,
    /// authserv-ids whose Authentication-Results are believed. Empty: the topmost one.
    pub trusted_authserv_ids: Vec<String>,
}
