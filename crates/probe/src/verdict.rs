//! The verdict: from test outcomes, canary arrivals and session failures to one answer.
//!
//! Sans-I/O and ordered by strength of evidence: a canary that arrived beats everything; an
//! acceptance beats a later failure (the server already agreed to relay); only then do session
//! failures and refusals decide. Acceptance of a plain outside recipient is reported as OPEN
//! (accepted); acceptance of routing tricks alone is ACCEPTS-THEN-UNKNOWN, because many servers
//! take `user%outside@[ip]` as an odd local address and bounce it later — the over-report nmap
//! makes.

use crate::battery::Addressing;
use crate::result::{OpenEvidence, TestOutcome, TestRecord, Verdict};

/// A failure that ended (or prevented) the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fatal {
    /// Which verdict the failure maps to when nothing stronger is known.
    pub kind: FatalKind,
    /// What happened.
    pub message: String,
}

/// Classes of session failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FatalKind {
    /// No TCP/SMTP session (refused, unreachable, 421 at greeting).
    Unreachable,
    /// A time limit expired.
    Timeout,
    /// Not SMTP, TLS required but failed, or too many disconnects.
    Protocol,
    /// 5xx at the greeting: the server refuses us service altogether.
    RefusedAtGreeting,
}

/// How canary confirmation went for this target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConfirmState {
    /// `--confirm` was on.
    pub enabled: bool,
    /// We waited on a ledger for arrivals.
    pub waited: bool,
    /// Seconds waited.
    pub wait_secs: u64,
}

/// The decision with its one-line reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The verdict.
    pub verdict: Verdict,
    /// Evidence strength for OPEN.
    pub open_evidence: Option<OpenEvidence>,
    /// Why.
    pub detail: String,
}

fn decision(verdict: Verdict, open_evidence: Option<OpenEvidence>, detail: String) -> Decision {
    Decision {
        verdict,
        open_evidence,
        detail,
    }
}

/// Decide the verdict for one target.
pub fn decide(tests: &[TestRecord], fatal: Option<&Fatal>, confirm: ConfirmState) -> Decision {
    let ids = |pred: &dyn Fn(&TestRecord) -> bool| -> Vec<&str> {
        tests
            .iter()
            .filter(|t| pred(t))
            .map(|t| t.id.as_str())
            .collect()
    };
    let arrived = ids(&|t| t.canary.as_ref().is_some_and(|c| c.arrived_at.is_some()));
    if !arrived.is_empty() {
        return decision(
            Verdict::Open,
            Some(OpenEvidence::Proven),
            format!(
                "canary delivered through the server via {}",
                arrived.join(", ")
            ),
        );
    }
    let accepted = ids(&|t| t.outcome == TestOutcome::Accepted);
    if !accepted.is_empty() {
        let plain =
            ids(&|t| t.outcome == TestOutcome::Accepted && t.addressing == Addressing::Plain);
        if confirm.enabled {
            let sent = ids(&|t| t.canary.as_ref().is_some_and(|c| c.message_accepted));
            let tried = ids(&|t| t.canary.is_some());
            if sent.is_empty() && !tried.is_empty() && tried.len() == accepted.len() {
                return decision(
                    Verdict::Closed,
                    None,
                    format!(
                        "accepted RCPT for {} but refused every canary message at DATA",
                        accepted.join(", ")
                    ),
                );
            }
            if confirm.waited {
                return decision(
                    Verdict::AcceptsThenUnknown,
                    None,
                    format!(
                        "accepted {} (canary taken by {}) but no canary arrived within {} s",
                        accepted.join(", "),
                        if sent.is_empty() {
                            "none".to_string()
                        } else {
                            sent.join(", ")
                        },
                        confirm.wait_secs
                    ),
                );
            }
        }
        if !plain.is_empty() {
            return decision(
                Verdict::Open,
                Some(OpenEvidence::Accepted),
                format!(
                    "accepted a plain outside recipient without authentication ({}); not proven by delivery",
                    plain.join(", ")
                ),
            );
        }
        return decision(
            Verdict::AcceptsThenUnknown,
            None,
            format!(
                "accepted only routing-trick recipients ({}); the server may treat them as local and bounce",
                accepted.join(", ")
            ),
        );
    }
    if let Some(f) = fatal {
        let verdict = match f.kind {
            FatalKind::Unreachable => Verdict::Unreachable,
            FatalKind::Timeout => Verdict::Timeout,
            FatalKind::Protocol => Verdict::ProtocolError,
            FatalKind::RefusedAtGreeting => Verdict::Closed,
        };
        return decision(verdict, None, f.message.clone());
    }
    let answered: Vec<&TestRecord> = tests
        .iter()
        .filter(|t| {
            matches!(
                t.outcome,
                TestOutcome::Rejected | TestOutcome::TempFailed | TestOutcome::AuthRequired
            )
        })
        .collect();
    let auth = ids(&|t| t.outcome == TestOutcome::AuthRequired);
    if !auth.is_empty() {
        return decision(
            Verdict::AuthRequired,
            None,
            format!(
                "relaying requires authentication ({} of {} tests)",
                auth.len(),
                answered.len()
            ),
        );
    }
    let errors = ids(&|t| t.outcome == TestOutcome::Error);
    if answered.is_empty() {
        return decision(
            Verdict::ProtocolError,
            None,
            format!("no relay test got an answer ({} failed)", errors.len()),
        );
    }
    let temp = answered
        .iter()
        .filter(|t| t.outcome == TestOutcome::TempFailed)
        .count();
    let mut detail = if temp == answered.len() {
        format!(
            "all {} answered tests were deferred with 4xx (greylisting?); none accepted",
            temp
        )
    } else {
        format!("refused all {} answered relay tests", answered.len())
    };
    if !errors.is_empty() {
        detail.push_str(&format!("; {} could not complete", errors.len()));
    }
    decision(Verdict::Closed, None, detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::CanaryRecord;

    fn rec(id: &str, addressing: Addressing, outcome: TestOutcome) -> TestRecord {
        TestRecord {
            id: id.into(),
            addressing,
            mail_from: String::new(),
            rcpt_to: String::new(),
            mail_reply: None,
            rcpt_reply: None,
            outcome,
            error: None,
            canary: None,
            sender_refused: None,
        }
    }

    #[test]
    fn plain_acceptance_is_open_accepted() {
        let t = [
            rec("null-sender", Addressing::Plain, TestOutcome::Rejected),
            rec("outside-plain", Addressing::Plain, TestOutcome::Accepted),
        ];
        let d = decide(&t, None, ConfirmState::default());
        assert_eq!(
            (d.verdict, d.open_evidence),
            (Verdict::Open, Some(OpenEvidence::Accepted))
        );
    }

    #[test]
    fn tricks_only_is_unknown_not_open() {
        let t = [
            rec("outside-plain", Addressing::Plain, TestOutcome::Rejected),
            rec("percent-hack-ip", Addressing::Trick, TestOutcome::Accepted),
        ];
        assert_eq!(
            decide(&t, None, ConfirmState::default()).verdict,
            Verdict::AcceptsThenUnknown
        );
    }

    #[test]
    fn arrival_is_proof_even_after_a_timeout() {
        let mut r = rec("outside-plain", Addressing::Plain, TestOutcome::Accepted);
        r.canary = Some(CanaryRecord {
            token: "t".into(),
            data_reply: None,
            end_reply: None,
            message_accepted: true,
            arrived_at: Some("now".into()),
            arrived_from: None,
        });
        let fatal = Fatal {
            kind: FatalKind::Timeout,
            message: "late".into(),
        };
        let d = decide(
            &[r],
            Some(&fatal),
            ConfirmState {
                enabled: true,
                waited: true,
                wait_secs: 5,
            },
        );
        assert_eq!(
            (d.verdict, d.open_evidence),
            (Verdict::Open, Some(OpenEvidence::Proven))
        );
    }

    #[test]
    fn confirmed_nothing_arrived() {
        let mut r = rec("outside-plain", Addressing::Plain, TestOutcome::Accepted);
        r.canary = Some(CanaryRecord {
            token: "t".into(),
            data_reply: None,
            end_reply: None,
            message_accepted: true,
            arrived_at: None,
            arrived_from: None,
        });
        let d = decide(
            &[r],
            None,
            ConfirmState {
                enabled: true,
                waited: true,
                wait_secs: 5,
            },
        );
        assert_eq!(d.verdict, Verdict::AcceptsThenUnknown);
    }

    #[test]
    fn auth_and_closed_and_fatal() {
        let t = [
            rec("a", Addressing::Plain, TestOutcome::Rejected),
            rec("b", Addressing::Plain, TestOutcome::AuthRequired),
        ];
        assert_eq!(
            decide(&t, None, ConfirmState::default()).verdict,
            Verdict::AuthRequired
        );
        let t = [rec("a", Addressing::Plain, TestOutcome::Rejected)];
        assert_eq!(
            decide(&t, None, ConfirmState::default()).verdict,
            Verdict::Closed
        );
        let f = Fatal {
            kind: FatalKind::Unreachable,
            message: "refused".into(),
        };
        assert_eq!(
            decide(&[], Some(&f), ConfirmState::default()).verdict,
            Verdict::Unreachable
        );
    }
}
