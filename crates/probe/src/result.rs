//! Probe results: the verdict per target with every test's replies and the full transcript.
//!
//! These types are the evidence format other tools consume (abuse reports attach them), so
//! they are `Serialize + Deserialize` and their JSON shape is documented in `docs/probe.md`.
//! Add fields freely; do not rename or remove them.

use crate::battery::Addressing;
use crate::smtp::ehlo::Extensions;
use crate::smtp::reply::Reply;
use crate::smtp::tls::TlsInfo;
use crate::transcript::Transcript;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// The answer to "is this server an open relay?".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Verdict {
    /// It relays for strangers; `open_evidence` says whether that is proven or inferred.
    #[serde(rename = "OPEN")]
    Open,
    /// Every relay test was refused.
    #[serde(rename = "CLOSED")]
    Closed,
    /// Relaying was refused pending authentication (530/535, 5.7.0).
    #[serde(rename = "AUTH-REQUIRED")]
    AuthRequired,
    /// Some variant was accepted at RCPT (or DATA) but delivery was not confirmed: only routing
    /// tricks were accepted, or the canary did not arrive in time.
    #[serde(rename = "ACCEPTS-THEN-UNKNOWN")]
    AcceptsThenUnknown,
    /// No SMTP session could be opened (refused, no route, refused service at greeting).
    #[serde(rename = "UNREACHABLE")]
    Unreachable,
    /// A connect, reply or whole-target time limit expired.
    #[serde(rename = "TIMEOUT")]
    Timeout,
    /// The server spoke something that is not SMTP, or TLS failed where it was required.
    #[serde(rename = "PROTOCOL-ERROR")]
    ProtocolError,
}

impl Verdict {
    /// The label used in output.
    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "OPEN",
            Self::Closed => "CLOSED",
            Self::AuthRequired => "AUTH-REQUIRED",
            Self::AcceptsThenUnknown => "ACCEPTS-THEN-UNKNOWN",
            Self::Unreachable => "UNREACHABLE",
            Self::Timeout => "TIMEOUT",
            Self::ProtocolError => "PROTOCOL-ERROR",
        }
    }

    /// Whether this is a finding (exit code 1).
    pub fn is_finding(self) -> bool {
        matches!(self, Self::Open | Self::AcceptsThenUnknown)
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// How an OPEN verdict is supported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OpenEvidence {
    /// A canary sent through the server arrived at the sink.
    Proven,
    /// The server accepted a plain outside recipient; no delivery was checked.
    Accepted,
}

/// What happened to one relay test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TestOutcome {
    /// MAIL FROM and RCPT TO were both accepted.
    Accepted,
    /// Refused with 5xx (at MAIL FROM or RCPT TO).
    Rejected,
    /// Refused with 4xx (greylisting, rate limit).
    TempFailed,
    /// Refused pending authentication.
    AuthRequired,
    /// The test could not complete (connection lost, limits reached); see `error`.
    Error,
    /// Not run: same addresses as an earlier test once expanded, or the battery stopped.
    Skipped,
}

/// The canary sent through one accepted variant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CanaryRecord {
    /// The unique token in Subject and body.
    pub token: String,
    /// Reply to `DATA`.
    pub data_reply: Option<Reply>,
    /// Reply after the message (`250 queued` means the relay took it).
    pub end_reply: Option<Reply>,
    /// Whether the relay took the message.
    pub message_accepted: bool,
    /// When the canary reached the sink (RFC 3339), if it did.
    pub arrived_at: Option<String>,
    /// Address the canary was delivered from, per the sink.
    pub arrived_from: Option<String>,
}

/// One relay test as run against the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestRecord {
    /// Battery id (`outside-plain`, `percent-hack-ip`…).
    pub id: String,
    /// Plain outside recipient or routing trick.
    pub addressing: Addressing,
    /// Reverse-path sent (without brackets; empty = `<>`).
    pub mail_from: String,
    /// Forward-path sent.
    pub rcpt_to: String,
    /// Reply to MAIL FROM.
    pub mail_reply: Option<Reply>,
    /// Reply to RCPT TO (absent when MAIL FROM was refused).
    pub rcpt_reply: Option<Reply>,
    /// The result.
    pub outcome: TestOutcome,
    /// Why the test did not complete, or which test it duplicates.
    pub error: Option<String>,
    /// The canary sent through it (`--confirm`).
    pub canary: Option<CanaryRecord>,
    /// The battery's sender when the server refused it and the test was retried with the
    /// plain outside sender (`mail_from` then holds the sender actually used).
    #[serde(default)]
    pub sender_refused: Option<SenderRefusal>,
}

/// A sender the server refused before the test was retried with another one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderRefusal {
    /// The refused reverse-path.
    pub mail_from: String,
    /// The server's reply to it.
    pub reply: Reply,
}

/// Everything learned about one target.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetResult {
    /// The target as the user named it (`mx.example.org:25`, `192.0.2.1:587`).
    pub target: String,
    /// The address probed.
    pub addr: SocketAddr,
    /// The verdict.
    pub verdict: Verdict,
    /// For OPEN: proven by delivery or inferred from acceptance.
    pub open_evidence: Option<OpenEvidence>,
    /// One sentence saying why.
    pub detail: String,
    /// Ids of the tests the server accepted.
    pub accepted_tests: Vec<String>,
    /// The greeting.
    pub banner: Option<Reply>,
    /// `EHLO` or `HELO`, whichever the server took.
    pub greeting_command: Option<String>,
    /// Extensions announced before TLS.
    pub extensions: Option<Extensions>,
    /// Extensions announced after STARTTLS.
    pub extensions_tls: Option<Extensions>,
    /// The TLS session, if one was set up.
    pub tls: Option<TlsInfo>,
    /// Why TLS failed, if it did.
    pub tls_error: Option<String>,
    /// Every test, in battery order.
    pub tests: Vec<TestRecord>,
    /// Connections opened after the first (421, dropped, error-limit refresh).
    pub reconnects: u32,
    /// Wall time spent on the target.
    pub duration_ms: u64,
    /// The dialogue.
    pub transcript: Transcript,
}

impl TargetResult {
    /// How many tests reached a server answer.
    pub fn tests_run(&self) -> usize {
        self.tests
            .iter()
            .filter(|t| !matches!(t.outcome, TestOutcome::Skipped | TestOutcome::Error))
            .count()
    }
}
