//! Scanning many targets: target expansion, MX lookup, concurrency and the global rate limit.

pub mod rate;
