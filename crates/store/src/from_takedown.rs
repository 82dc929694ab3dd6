//! From the takedown's written and sent reports to store records (`report --store`).
//!
//! The report names the message it is about by its raw bytes; the store links it to the
//! stored message with the same SHA-256, when that message was stored (`analyze --store`).
//! The owner the report looked up is kept on the relay.

use crate::from_analyze::hex;
use crate::model::{NewReport, RelayOwner};
use crate::Store;
use relayhunt_takedown::record::{ReportRecorder, WrittenReport};
use sha2::Digest;

impl ReportRecorder for Store {
    fn written(&mut self, r: &WrittenReport<'_>) -> Result<i64, String> {
        let id = self
            .add_report(&NewReport {
                relay_ip: Some(r.relay),
                message_hash: r.message.map(|m| hex(&sha2::Sha256::digest(m))),
                probe_result: None,
                format: r.format.to_string(),
                recipient: Some(r.recipient.to_string()),
                status: "written".into(),
                destination: Some(r.path.display().to_string()),
                detail: None,
                body: Some(String::from_utf8_lossy(r.bytes).into_owned()),
            })
            .map_err(|e| e.to_string())?;
        if let Some(o) = r.owner {
            let summary = [
                o.cidrs.first().map(|c| c.to_string()),
                o.name.clone(),
                o.org.clone(),
                o.country.clone(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ");
            let owner = RelayOwner {
                ip: Some(r.relay),
                summary,
                abuse_contact: o.best_abuse().map(|a| a.email.clone()),
                json: serde_json::to_string(o).ok(),
            };
            self.set_owner(r.relay, &owner).map_err(|e| e.to_string())?;
        }
        Ok(id)
    }

    fn status(&mut self, id: i64, status: &str, detail: &str) -> Result<(), String> {
        self.set_report_status(id, status, Some(detail))
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}
