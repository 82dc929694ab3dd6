//! Static config audit: say whether an MTA config relays for strangers, and the fix.
//!
//! Data flows one way: [`source`] loads the files of a config (sans-I/O from there on),
//! [`detect`] names the MTA, the per-MTA parser builds a model and evaluates it for a
//! *stranger* — a client outside every trusted network, unauthenticated, sending from and to
//! domains that are not ours — then the MTA's rule table ([`rules`]) turns the model into
//! [`finding::Finding`]s, [`output`] renders the [`finding::Report`] and [`record`] hands it
//! to a store.
//!
//! Verdicts are values (OPEN RELAY / CONDITIONAL / CLOSED); [`error::AuditError`] only means
//! the audit could not be done. Lines the parsers do not understand become warnings in the
//! report, never a silent pass.

pub mod cli;
pub mod detect;
pub mod error;
pub mod exim;
pub mod finding;
pub mod netrange;
pub mod opensmtpd;
pub mod output;
pub mod postfix;
pub mod record;
pub mod rules;
pub mod sendmail;
pub mod source;

pub use detect::Mta;
pub use error::AuditError;
pub use finding::{Effect, Finding, Report, Severity, Verdict, Warning};
pub use source::{Bundle, SourceFile};

use std::path::Path;

/// Facts about the host the config runs on, which some rules need beyond the files.
#[derive(Debug, Clone, Default)]
pub struct HostFacts {
    /// The server's interface addresses with prefix lengths (`203.0.113.5/20`): what
    /// Postfix's `mynetworks_style = subnet/class` trusts is computed from them.
    pub interfaces: Vec<ipnet::IpNet>,
}

/// Audit the config at `path` (a directory or a file), detecting the MTA unless given.
pub fn audit_path(path: &Path, mta: Option<Mta>) -> Result<Report, AuditError> {
    audit_path_on(path, mta, &HostFacts::default())
}

/// [`audit_path`] with facts about the host.
pub fn audit_path_on(
    path: &Path,
    mta: Option<Mta>,
    host: &HostFacts,
) -> Result<Report, AuditError> {
    let bundle = Bundle::load(path)?;
    audit_bundle_on(&bundle, mta, host)
}

/// Audit already-loaded config files.
pub fn audit_bundle(bundle: &Bundle, mta: Option<Mta>) -> Result<Report, AuditError> {
    audit_bundle_on(bundle, mta, &HostFacts::default())
}

/// [`audit_bundle`] with facts about the host.
pub fn audit_bundle_on(
    bundle: &Bundle,
    mta: Option<Mta>,
    host: &HostFacts,
) -> Result<Report, AuditError> {
    let mta = match mta {
        Some(m) => m,
        None => detect::detect(bundle)?,
    };
    let (findings, warnings) = match mta {
        Mta::Postfix => postfix::audit(bundle, &host.interfaces)?,
        Mta::Exim => exim::audit(bundle)?,
        Mta::OpenSmtpd => opensmtpd::audit(bundle)?,
        Mta::Sendmail => sendmail::audit(bundle)?,
    };
    Ok(Report::new(
        mta,
        bundle.root.display().to_string(),
        findings,
        warnings,
    ))
}

/// Audit one config given as text (`name` is used in locations), e.g. from stdin or tests.
pub fn audit_text(name: &str, text: &str, mta: Option<Mta>) -> Result<Report, AuditError> {
    audit_bundle(&Bundle::from_text(name, text), mta)
}
