//! `relayhunt audit PATH`: clap arguments and the run entry point.
//!
//! Exit codes for CI: 0 when no finding reaches the `--fail-on` threshold, 1 when one does,
//! 2 when the input could not be audited.

use crate::detect::Mta;
use crate::finding::Severity;
use std::path::PathBuf;

/// Arguments of `relayhunt audit`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Config directory or file (/etc/postfix, /etc/exim4, smtpd.conf, `postconf -n` output…).
    pub path: PathBuf,
    /// The MTA, when detection from file names and contents is not wanted.
    #[arg(long, value_enum)]
    pub mta: Option<Mta>,
    /// Print the report as JSON.
    #[arg(long, conflicts_with = "sarif")]
    pub json: bool,
    /// Print the report as SARIF 2.1.0 (for code-scanning uploads).
    #[arg(long)]
    pub sarif: bool,
    /// Exit 1 when a finding is at or above this severity (info, low, medium, high, critical).
    #[arg(long, default_value = "high", value_parser = parse_severity)]
    pub fail_on: Severity,
    /// Also exit 1 when parts of the config could not be checked (warnings).
    #[arg(long)]
    pub strict: bool,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s)
        .ok_or_else(|| format!("`{s}` is not one of info, low, medium, high, critical"))
}

/// Run the subcommand; returns the process exit code (0 ok, 1 findings, 2 error).
pub fn run(args: Args) -> u8 {
    let report = match crate::audit_path(&args.path, args.mta) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("relayhunt audit: {e}");
            return 2;
        }
    };
    let text = if args.sarif {
        crate::output::sarif::render(&report)
    } else if args.json {
        crate::output::json::render(&report)
    } else {
        crate::output::human::render(&report)
    };
    println!("{text}");
    if !args.json && !args.sarif && !report.warnings.is_empty() {
        eprintln!(
            "relayhunt audit: {} part(s) of the config could not be checked; see Warnings",
            report.warnings.len()
        );
    }
    u8::from(report.fails(args.fail_on) || (args.strict && !report.warnings.is_empty()))
}
