//! The shape of an audit rule and how a rule's hit becomes a finding.
//!
//! Each MTA module holds its rules as one data table (`postfix::rules::RULES`, …): id,
//! severity, effect, title, why it lets strangers relay, the exact replacement line, the
//! documentation it comes from, and the check — a function from the parsed model to hits.
//! Adding a rule is one table row plus one test.

use crate::detect::Mta;
use crate::finding::{Effect, Finding, Location, Severity};
use serde::Serialize;

/// One audit rule over the model `M` of an MTA's config.
pub struct Rule<M> {
    /// Stable id, `MTA-WHAT` (used in SARIF, `--json`, docs).
    pub id: &'static str,
    /// Severity.
    pub severity: Severity,
    /// What it does to a stranger's relaying.
    pub effect: Effect,
    /// One-line title.
    pub title: &'static str,
    /// Why it lets strangers relay.
    pub why: &'static str,
    /// The exact replacement line (a hit may give a more specific one).
    pub fix: &'static str,
    /// Documentation source.
    pub source: &'static str,
    /// The check.
    pub check: fn(&M) -> Vec<Hit>,
}

/// Metadata of a rule without its check (for SARIF and docs).
#[derive(Debug, Clone, Serialize)]
pub struct RuleInfo {
    /// Id.
    pub id: &'static str,
    /// MTA.
    pub mta: Mta,
    /// Severity.
    pub severity: Severity,
    /// Effect.
    pub effect: Effect,
    /// Title.
    pub title: &'static str,
    /// Why.
    pub why: &'static str,
    /// Fix.
    pub fix: &'static str,
    /// Source.
    pub source: &'static str,
}

impl<M> Rule<M> {
    /// The rule's metadata.
    pub fn info(&self, mta: Mta) -> RuleInfo {
        RuleInfo {
            id: self.id,
            mta,
            severity: self.severity,
            effect: self.effect,
            title: self.title,
            why: self.why,
            fix: self.fix,
            source: self.source,
        }
    }
}

/// A place where a rule's check matched.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Where.
    pub location: Location,
    /// The offending value.
    pub value: String,
    /// Narrower scope (e.g. a master.cf service).
    pub scope: Option<String>,
    /// Specific detail appended to the rule's reason.
    pub detail: Option<String>,
    /// A fix line more specific than the rule's.
    pub fix: Option<String>,
}

impl Hit {
    /// A hit at `location` with `value`.
    pub fn new(location: Location, value: impl Into<String>) -> Self {
        Self {
            location,
            value: value.into(),
            scope: None,
            detail: None,
            fix: None,
        }
    }

    /// Set the scope.
    pub fn scope(mut self, scope: Option<String>) -> Self {
        self.scope = scope;
        self
    }

    /// Add detail.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Give a specific fix.
    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

/// Run every rule of a table over a model.
pub fn run<M>(rules: &[Rule<M>], model: &M) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in rules {
        for hit in (rule.check)(model) {
            let why = match &hit.detail {
                Some(d) => format!("{} {}", rule.why, d),
                None => rule.why.to_string(),
            };
            out.push(Finding {
                rule: rule.id,
                severity: rule.severity,
                effect: rule.effect,
                title: rule.title,
                location: hit.location,
                scope: hit.scope,
                value: hit.value,
                why,
                fix: hit.fix.unwrap_or_else(|| rule.fix.to_string()),
                source: rule.source,
            });
        }
    }
    out
}

/// Metadata of every rule of every MTA.
pub fn catalog() -> Vec<RuleInfo> {
    let mut all = Vec::new();
    all.extend(
        crate::postfix::rules::RULES
            .iter()
            .map(|r| r.info(Mta::Postfix)),
    );
    all.extend(crate::exim::rules::RULES.iter().map(|r| r.info(Mta::Exim)));
    all.extend(
        crate::opensmtpd::rules::RULES
            .iter()
            .map(|r| r.info(Mta::OpenSmtpd)),
    );
    all.extend(
        crate::sendmail::rules::RULES
            .iter()
            .map(|r| r.info(Mta::Sendmail)),
    );
    all
}
