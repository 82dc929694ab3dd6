//! Active relay testing: talk SMTP to a server and prove whether it relays for strangers.
//!
//! Layers, from pure to I/O: [`battery`] (the relay tests as data) and [`verdict`] (deciding
//! from outcomes) are sans-I/O; [`smtp`] parses bounded replies and carries them over tokio
//! with TLS; [`session`] runs the battery against one target; [`scan`] fans out over many
//! targets; [`canary`] proves relaying by delivery; [`output`] writes results and [`record`]
//! hands them to a store.

pub mod battery;
pub mod canary;
pub mod cli;
pub mod options;
pub mod output;
pub mod record;
pub mod result;
pub mod scan;
pub mod session;
pub mod smtp;
pub mod transcript;
pub mod verdict;

pub use options::{ConfirmOptions, Mailbox, ProbeOptions, StarttlsPolicy, Timeouts};
pub use result::{OpenEvidence, TargetResult, TestOutcome, TestRecord, Verdict};
pub use session::{probe_named, probe_target};

/// Blocking wrapper around [`probe_target`] for callers without a tokio runtime.
pub fn probe_target_blocking(
    target: std::net::SocketAddr,
    opts: &ProbeOptions,
) -> std::io::Result<TargetResult> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(rt.block_on(probe_target(target, opts)))
}
