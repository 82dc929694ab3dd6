//! From an audit report to a store record, and the recorder `audit --store` uses.

use crate::model::NewAudit;
use crate::Store;
use relayhunt_audit::record::AuditRecorder;
use relayhunt_audit::Report;

impl NewAudit {
    /// The record for one audit; `json` is the document `audit --json` prints.
    pub fn from_report(r: &Report, json: &str) -> NewAudit {
        NewAudit {
            source: r.input.clone(),
            mta: Some(r.mta.label().to_string()),
            verdict: Some(r.verdict.label().to_string()),
            findings: r.findings.len() as u64,
            max_severity: r
                .findings
                .iter()
                .map(|f| f.severity)
                .max()
                .map(|s| s.label().to_string()),
            warnings: r.warnings.len() as u64,
            report: json.to_string(),
        }
    }
}

impl AuditRecorder for Store {
    fn record(&mut self, report: &Report, json: &str) -> Result<String, String> {
        let id = self
            .add_audit(&NewAudit::from_report(report, json))
            .map_err(|e| e.to_string())?;
        Ok(format!("stored audit #{id} in {}", self.location()))
    }
}
