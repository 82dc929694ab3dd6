//! From probe results to store records, and the recorder `probe --store` uses.
//!
//! Each target's result is committed as it arrives, so a scan cut short keeps every target
//! it finished; the run row says how far it got (`finished_at` stays empty).

use crate::model::{NewProbeResult, NewProbeRun};
use crate::Store;
use relayhunt_probe::record::ProbeRecorder;
use relayhunt_probe::scan::ScanSummary;
use relayhunt_probe::TargetResult;

impl NewProbeResult {
    /// The record for one probed target (transcript and whole JSON result included).
    pub fn from_target(r: &TargetResult) -> NewProbeResult {
        NewProbeResult {
            target: r.target.clone(),
            ip: Some(r.addr.ip()),
            port: Some(r.addr.port()),
            verdict: r.verdict.label().to_string(),
            finding: r.verdict.is_finding(),
            open_evidence: r.open_evidence.map(|e| match e {
                relayhunt_probe::OpenEvidence::Proven => "proven".to_string(),
                relayhunt_probe::OpenEvidence::Accepted => "accepted".to_string(),
            }),
            detail: r.detail.clone(),
            duration_ms: Some(r.duration_ms),
            transcript: Some(r.transcript.render()),
            result: serde_json::to_string(r).ok(),
            server_name: r.banner.as_ref().and_then(|b| b.first_word()),
        }
    }

    /// The record for a target that could not be probed.
    pub fn failed(target: &str, reason: &str) -> NewProbeResult {
        NewProbeResult {
            target: target.to_string(),
            verdict: "FAILED".into(),
            detail: reason.to_string(),
            ..NewProbeResult::default()
        }
    }
}

/// Keeps a probe run in a store (`probe --store`).
pub struct ProbeLog<'s> {
    store: &'s mut Store,
    run: Option<i64>,
    recorded: u64,
}

impl<'s> ProbeLog<'s> {
    /// A recorder writing into `store`.
    pub fn new(store: &'s mut Store) -> Self {
        ProbeLog {
            store,
            run: None,
            recorded: 0,
        }
    }

    /// The run's id, once started.
    pub fn run(&self) -> Option<i64> {
        self.run
    }

    fn add(&mut self, r: &NewProbeResult) -> Result<(), String> {
        let run = self.run.ok_or("probe run not started")?;
        self.store
            .add_probe_result(run, r)
            .map_err(|e| format!("{}: {e}", r.target))?;
        self.recorded += 1;
        Ok(())
    }
}

impl ProbeRecorder for ProbeLog<'_> {
    fn start(&mut self, options: &str) -> Result<(), String> {
        let id = self
            .store
            .start_probe_run(&NewProbeRun {
                options: options.to_string(),
            })
            .map_err(|e| e.to_string())?;
        self.run = Some(id);
        Ok(())
    }

    fn result(&mut self, result: &TargetResult) -> Result<(), String> {
        self.add(&NewProbeResult::from_target(result))
    }

    fn failure(&mut self, target: &str, reason: &str) -> Result<(), String> {
        self.add(&NewProbeResult::failed(target, reason))
    }

    fn finish(&mut self, _summary: &ScanSummary) -> Result<String, String> {
        let run = self.run.ok_or("probe run not started")?;
        self.store
            .finish_probe_run(run)
            .map_err(|e| e.to_string())?;
        Ok(format!(
            "stored probe run #{run} ({} target(s)) in {}",
            self.recorded,
            self.store.location()
        ))
    }
}
