//! Why an audit could not be done (as opposed to findings, which are results).

use std::path::PathBuf;

/// An audit that could not run. Findings and parse warnings are not errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// The path could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A config file is larger than we are willing to parse.
    #[error("{path} is {size} bytes, over the {limit}-byte limit for a config file")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Nothing in the input looks like a config of a known MTA.
    #[error("cannot tell which MTA {path} configures: expected main.cf/master.cf (Postfix), exim4.conf or conf.d (Exim), smtpd.conf (OpenSMTPD), sendmail.mc/access (Sendmail); pass --mta to choose")]
    UnknownMta {
        /// The input.
        path: PathBuf,
    },
    /// The MTA was named but its main file is missing.
    #[error("no {what} found in {path}")]
    MissingFile {
        /// What was looked for.
        what: &'static str,
        /// The input.
        path: PathBuf,
    },
}
