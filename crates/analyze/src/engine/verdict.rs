//! One headline from many findings: the strongest relay conclusion wins, then a forged
//! chain, then anything of medium severity or worse; otherwise the message is clean.

use super::findings as f;
use super::trust::Walk;
use super::Ctx;
use crate::report::{Finding, Severity, Verdict, VerdictKind};

/// Decide the verdict.
pub fn decide(
    ctx: &Ctx<'_>,
    walk: &Walk,
    kind: Option<VerdictKind>,
    severity: Option<Severity>,
    summary: Option<String>,
    findings: &[Finding],
) -> Verdict {
    let worst = findings
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(Severity::Info);
    let relay = walk
        .entry
        .map(|e| super::relay::describe(&ctx.hops[e].from));
    if ctx.hops.is_empty() {
        return Verdict {
            kind: VerdictKind::NoChain,
            severity: worst,
            summary: "No Received headers: the message carries no delivery path to trace.".into(),
        };
    }
    if let (Some(kind), Some(sev), Some(summary)) = (kind, severity, summary) {
        return Verdict {
            kind,
            severity: sev.max(worst),
            summary,
        };
    }
    if findings.iter().any(|x| x.id == f::IMPOSSIBLE_ORDER.id) {
        return Verdict {
            kind: VerdictKind::ForgedChain,
            severity: worst.max(Severity::Medium),
            summary: format!(
                "Forged chain: hop dates below the trust boundary run backwards; {} is where the message really entered.",
                relay.as_deref().unwrap_or("the entry hop's client")
            ),
        };
    }
    if worst >= Severity::Medium {
        let top = findings.iter().find(|x| x.severity == worst);
        return Verdict {
            kind: VerdictKind::Suspicious,
            severity: worst,
            summary: format!(
                "Suspicious: {}{}.",
                top.map(|t| t.title.to_lowercase()).unwrap_or_default(),
                relay
                    .map(|r| format!("; entered your infrastructure from {r}"))
                    .unwrap_or_default()
            ),
        };
    }
    Verdict {
        kind: VerdictKind::Clean,
        severity: worst,
        summary: match relay {
            Some(r) => format!("Nothing suspicious: entered your infrastructure from {r}."),
            None => "Nothing suspicious: the message never left trusted infrastructure.".into(),
        },
    }
}
