//! Verifying a batch: the hook the analyze batch calls once per chunk of messages.
//!
//! The checks are I/O-bound, so a chunk's messages are verified concurrently on a small
//! tokio runtime, at most `jobs` at a time (a semaphore), sharing one cached resolver. The
//! analyze batch keeps at most a few chunks in memory, so the bytes held here are bounded
//! by its chunk size.

use crate::check::{self, Checker};
use crate::compare;
use crate::dns::Dns;
use relayhunt_analyze::report::Report;
use relayhunt_analyze::verification::{VerificationNote, Verifier};
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Verifies chunks of messages on its own runtime.
pub struct BatchVerifier<D> {
    rt: tokio::runtime::Runtime,
    checker: Arc<Checker<D>>,
    jobs: usize,
}

impl<D: Dns + 'static> BatchVerifier<D> {
    /// Default number of messages verified at once.
    pub const DEFAULT_JOBS: usize = 16;

    /// Verify with `checker`, `jobs` messages at a time.
    pub fn new(checker: Checker<D>, jobs: usize) -> std::io::Result<Self> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("verify")
            .enable_all()
            .build()?;
        Ok(BatchVerifier {
            rt,
            checker: Arc::new(checker),
            jobs: jobs.max(1),
        })
    }

    /// The shared checker (its resolver holds the run's DNS counters).
    pub fn checker(&self) -> &Checker<D> {
        &self.checker
    }

    /// Verify one message and return its `verification` section (for tests and library
    /// users who do not go through the batch).
    pub fn verify_one(&self, raw: &[u8], report: &Report) -> check::Verification {
        self.rt.block_on(check::verify(&self.checker, raw, report))
    }
}

impl<D: Dns + 'static> Verifier for BatchVerifier<D> {
    fn verify(&self, items: &[(&[u8], &Report)]) -> Vec<VerificationNote> {
        self.rt.block_on(async {
            let gate = Arc::new(Semaphore::new(self.jobs));
            let mut set = JoinSet::new();
            for (i, (raw, report)) in items.iter().enumerate() {
                let raw = raw.to_vec();
                let report = (*report).clone();
                let checker = Arc::clone(&self.checker);
                let gate = Arc::clone(&gate);
                set.spawn(async move {
                    let _permit = gate.acquire_owned().await;
                    let v = check::verify(&checker, &raw, &report).await;
                    (i, compare::note(&raw, &report, &v))
                });
            }
            let mut notes: Vec<Option<VerificationNote>> = vec![None; items.len()];
            while let Some(done) = set.join_next().await {
                if let Ok((i, note)) = done {
                    notes[i] = Some(note);
                }
            }
            notes
                .into_iter()
                .map(|n| {
                    n.unwrap_or_else(|| VerificationNote {
                        section: serde_json::json!({ "error": "verification failed on this message (internal error)" }),
                        lines: vec!["verification failed on this message (internal error)".into()],
                        ..VerificationNote::default()
                    })
                })
                .collect()
        })
    }
}
