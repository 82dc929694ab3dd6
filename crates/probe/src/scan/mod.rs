//! Scanning many targets: target expansion, MX lookup, bounded concurrency and the global
//! connection rate limit, with results streamed as each target finishes.
//!
//! Memory stays bounded by the concurrency: ranges are expanded lazily, at most `concurrency`
//! probes are in flight, and each finished result is handed to the caller at once.

pub mod dns;
pub mod rate;
pub mod targets;

use crate::options::ProbeOptions;
use crate::result::TargetResult;
use crate::session::probe_named;
use dns::Resolve;
use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use targets::{range_addrs, range_size, resolve_named, Target, TargetSpec};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// How to scan.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// Ports for targets without one (25, 587, 465…).
    pub ports: Vec<u16>,
    /// Ports that speak TLS from the first byte.
    pub implicit_tls_ports: Vec<u16>,
    /// Targets probed at once.
    pub concurrency: usize,
    /// Per-target options.
    pub probe: ProbeOptions,
}

/// Something the scan reports.
#[derive(Debug)]
pub enum ScanEvent {
    /// A target was probed.
    Result(Box<TargetResult>),
    /// A target could not be expanded (DNS failure, no addresses).
    Failed {
        /// The target as given.
        target: String,
        /// Why.
        reason: String,
    },
}

/// Totals at the end of a scan.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ScanSummary {
    /// Targets probed.
    pub targets: usize,
    /// Targets that could not be expanded.
    pub failed: usize,
    /// Relay tests that got an answer.
    pub tests: usize,
    /// Count per verdict label.
    pub by_verdict: BTreeMap<String, usize>,
    /// OPEN or ACCEPTS-THEN-UNKNOWN targets.
    pub findings: usize,
    /// Wall time.
    pub elapsed_ms: u64,
}

impl ScanSummary {
    /// Targets per second.
    pub fn targets_per_sec(&self) -> f64 {
        self.targets as f64 / (self.elapsed_ms.max(1) as f64 / 1000.0)
    }

    /// Answered relay tests per second.
    pub fn tests_per_sec(&self) -> f64 {
        self.tests as f64 / (self.elapsed_ms.max(1) as f64 / 1000.0)
    }

    fn add(&mut self, r: &TargetResult) {
        self.targets += 1;
        self.tests += r.tests_run();
        *self
            .by_verdict
            .entry(r.verdict.label().to_string())
            .or_default() += 1;
        if r.verdict.is_finding() {
            self.findings += 1;
        }
    }
}

/// Probe every target of `specs`, calling `on_event` as each finishes.
pub async fn scan<R: Resolve>(
    specs: &[TargetSpec],
    config: &ScanConfig,
    resolver: &R,
    progress: &ProgressBar,
    mut on_event: impl FnMut(ScanEvent),
) -> ScanSummary {
    let start = Instant::now();
    let mut summary = ScanSummary::default();
    let plain = Arc::new(ProbeOptions {
        implicit_tls: false,
        ..config.probe.clone()
    });
    let tls = Arc::new(ProbeOptions {
        implicit_tls: true,
        ..config.probe.clone()
    });
    let sem = Arc::new(Semaphore::new(config.concurrency.max(1)));
    let mut running: JoinSet<TargetResult> = JoinSet::new();
    let ports = &config.ports;
    for spec in specs {
        let batch: Box<dyn Iterator<Item = Target> + Send> = match spec {
            TargetSpec::Addr { ip, port } => {
                let ports: Vec<u16> = port.map_or_else(|| ports.clone(), |p| vec![p]);
                progress.inc_length(ports.len() as u64);
                let ip = *ip;
                Box::new(
                    ports
                        .into_iter()
                        .map(move |p| plain_target(SocketAddr::new(ip, p))),
                )
            }
            TargetSpec::Range(net) => {
                progress.inc_length((range_size(net) as u64).saturating_mul(ports.len() as u64));
                let ports = ports.clone();
                Box::new(range_addrs(*net).flat_map(move |ip| {
                    ports
                        .clone()
                        .into_iter()
                        .map(move |p| plain_target(SocketAddr::new(ip, p)))
                }))
            }
            TargetSpec::Host { .. } | TargetSpec::Domain(_) => {
                match resolve_named(spec, ports, resolver).await {
                    Ok(targets) => {
                        progress.inc_length(targets.len() as u64);
                        Box::new(targets.into_iter())
                    }
                    Err(e) => {
                        summary.failed += 1;
                        on_event(ScanEvent::Failed {
                            target: spec_label(spec),
                            reason: e.to_string(),
                        });
                        continue;
                    }
                }
            }
        };
        for target in batch {
            let Ok(permit) = sem.clone().acquire_owned().await else {
                break;
            };
            while let Some(res) = running.try_join_next() {
                finish(res, &mut summary, progress, &mut on_event);
            }
            let opts = if config.implicit_tls_ports.contains(&target.addr.port()) {
                tls.clone()
            } else {
                plain.clone()
            };
            running.spawn(async move {
                let r = probe_named(
                    &target.label,
                    target.addr,
                    target.host_name.as_deref(),
                    &opts,
                )
                .await;
                drop(permit);
                r
            });
        }
    }
    while let Some(res) = running.join_next().await {
        finish(res, &mut summary, progress, &mut on_event);
    }
    summary.elapsed_ms = start.elapsed().as_millis() as u64;
    summary
}

fn finish(
    res: Result<TargetResult, tokio::task::JoinError>,
    summary: &mut ScanSummary,
    progress: &ProgressBar,
    on_event: &mut impl FnMut(ScanEvent),
) {
    progress.inc(1);
    match res {
        Ok(r) => {
            summary.add(&r);
            on_event(ScanEvent::Result(Box::new(r)));
        }
        Err(e) => {
            summary.failed += 1;
            on_event(ScanEvent::Failed {
                target: "(probe task)".into(),
                reason: e.to_string(),
            });
        }
    }
}

fn plain_target(addr: SocketAddr) -> Target {
    Target {
        label: addr.to_string(),
        addr,
        host_name: None,
    }
}

fn spec_label(spec: &TargetSpec) -> String {
    match spec {
        TargetSpec::Addr { ip, port: Some(p) } => SocketAddr::new(*ip, *p).to_string(),
        TargetSpec::Addr { ip, port: None } => ip.to_string(),
        TargetSpec::Range(n) => n.to_string(),
        TargetSpec::Host { name, port } => format!("{name}:{port}"),
        TargetSpec::Domain(d) => d.clone(),
    }
}
