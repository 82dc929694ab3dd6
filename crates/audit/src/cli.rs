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
    /// Config directory or file (/etc/postfix, /etc/exim4, smtpd.conf, `postconf -n` output…), or `-` for standard input.
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

/// Read a config piped in (`postconf -n | relayhunt audit -`), bounded like a file.
fn read_stdin() -> Result<String, crate::error::AuditError> {
    use std::io::Read;
    let mut buf = Vec::new();
    std::io::stdin()
        .take(crate::source::MAX_FILE_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|source| crate::error::AuditError::Read {
            path: "-".into(),
            source,
        })?;
    if buf.len() as u64 > crate::source::MAX_FILE_BYTES {
        return Err(crate::error::AuditError::Read {
            path: "-".into(),
            source: std::io::Error::other(format!(
                "standard input exceeds {} bytes; is this a config?",
                crate::source::MAX_FILE_BYTES
            )),
        });
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// Run the subcommand; returns the process exit code (0 ok, 1 findings, 2 error).
pub fn run(args: Args) -> u8 {
    let result = if args.path.as_os_str() == "-" {
        read_stdin().and_then(|text| crate::audit_text("<stdin>", &text, args.mta))
    } else {
        crate::audit_path(&args.path, args.mta)
    };
    let report = match result {
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
    // A closed pipe (`| head`) is not an error worth a panic: stop writing quietly.
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        if let Err(e) = writeln!(out, "{text}").and_then(|()| out.flush()) {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                eprintln!("relayhunt audit: cannot write output: {e}");
                return 2;
            }
        }
    }
    if !args.json && !args.sarif && !report.warnings.is_empty() {
        eprintln!(
            "relayhunt audit: {} part(s) of the config could not be checked; see Warnings",
            report.warnings.len()
        );
    }
    u8::from(report.fails(args.fail_on) || (args.strict && !report.warnings.is_empty()))
}
