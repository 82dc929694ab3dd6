//! What an audit says: findings with rule, place, value, reason and fix; warnings for what
//! could not be understood; and the verdict they add up to.

use crate::detect::Mta;
use serde::Serialize;

/// How bad a finding is; ordered, so a CI threshold can compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Hardening.
    Low,
    /// Risky in some deployments.
    Medium,
    /// Relays for strangers under a plausible condition.
    High,
    /// Relays for strangers as configured.
    Critical,
}

impl Severity {
    /// Lower-case name.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parse a name as given on the command line.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "info" => Severity::Info,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }
}

/// What a finding does to relaying for a stranger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    /// A stranger relays through this config as it stands.
    Open,
    /// A stranger relays when a deployment condition holds (NAT, proxy, shared subnet, DNS).
    Conditional,
    /// Not a relay by itself; removes a safety net.
    Hardening,
}

/// A place in a config file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    /// The file.
    pub file: String,
    /// 1-based line; 0 when the value is a built-in default.
    pub line: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{} (default)", self.file)
        } else {
            write!(f, "{}:{}", self.file, self.line)
        }
    }
}

/// One problem, with everything needed to fix it.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Rule id (e.g. `POSTFIX-MYNETWORKS-OPEN`).
    pub rule: &'static str,
    /// Severity.
    pub severity: Severity,
    /// Effect on relaying.
    pub effect: Effect,
    /// One-line title of the rule.
    pub title: &'static str,
    /// Where the offending setting is.
    pub location: Location,
    /// Where it applies (e.g. the master.cf service `submission`), when narrower than all.
    pub scope: Option<String>,
    /// The offending value as written.
    pub value: String,
    /// Why it lets strangers relay.
    pub why: String,
    /// The exact replacement line.
    pub fix: String,
    /// Documentation the rule comes from.
    pub source: &'static str,
}

/// Something the audit could not understand or check; shown, and counted.
#[derive(Debug, Clone, Serialize)]
pub struct Warning {
    /// Where.
    pub location: Location,
    /// What and what to do.
    pub message: String,
}

/// The overall answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Verdict {
    /// A stranger relays as configured.
    #[serde(rename = "OPEN RELAY")]
    OpenRelay,
    /// A stranger relays under a deployment condition.
    #[serde(rename = "CONDITIONAL")]
    Conditional,
    /// No finding lets a stranger relay.
    #[serde(rename = "CLOSED")]
    Closed,
}

impl Verdict {
    /// Upper-case label.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::OpenRelay => "OPEN RELAY",
            Verdict::Conditional => "CONDITIONAL",
            Verdict::Closed => "CLOSED",
        }
    }
}

/// The result of auditing one config.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The MTA.
    pub mta: Mta,
    /// The input path.
    pub input: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
    /// Warnings.
    pub warnings: Vec<Warning>,
}

impl Report {
    /// Build a report and compute its verdict.
    pub fn new(
        mta: Mta,
        input: String,
        mut findings: Vec<Finding>,
        warnings: Vec<Warning>,
    ) -> Self {
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.location.file.cmp(&b.location.file))
                .then_with(|| a.location.line.cmp(&b.location.line))
                .then_with(|| a.rule.cmp(b.rule))
        });
        findings.dedup_by(|a, b| {
            a.rule == b.rule && a.location == b.location && a.scope == b.scope && a.value == b.value
        });
        let verdict = if findings.iter().any(|f| f.effect == Effect::Open) {
            Verdict::OpenRelay
        } else if findings.iter().any(|f| f.effect == Effect::Conditional) {
            Verdict::Conditional
        } else {
            Verdict::Closed
        };
        Self {
            mta,
            input,
            verdict,
            findings,
            warnings,
        }
    }

    /// True when any finding is at or above `threshold`.
    pub fn fails(&self, threshold: Severity) -> bool {
        self.findings.iter().any(|f| f.severity >= threshold)
    }
}
