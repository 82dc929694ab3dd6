//! `relayhunt audit PATH`: clap arguments and the run entry point.
//!
//! Exit codes for CI: 0 when no finding reaches the `--fail-on` threshold, 1 when one does,
//! 2 when the input could not be audited.

use crate::detect::Mta;
use crate::finding::Severity;
use crate::record::AuditRecorder;
use std::path::PathBuf;

/// Arguments of `relayhunt audit`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Config directory or file (/etc/postfix, /etc/exim4, smtpd.conf, `postconf -n` output…), or `-` for standard input.
    pub path: PathBuf,
    /// The MTA, when detection from file names and contents is not wanted.
    #[arg(long, value_enum)]
    pub mta: Option<Mta>,
    /// Print the report as JSON (same as `--format json`).
    #[arg(long, conflicts_with_all = ["sarif", "format"])]
    pub json: bool,
    /// Print the report as SARIF 2.1.0 for code-scanning uploads (same as `--format sarif`).
    #[arg(long, conflicts_with = "format")]
    pub sarif: bool,
    /// Output format [default: human].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
    /// Print nothing on stdout; errors still go to stderr, the exit code tells the result.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Exit 1 when a finding is at or above this severity (info, low, medium, high, critical).
    #[arg(long, default_value = "high", value_parser = parse_severity)]
    pub fail_on: Severity,
    /// Also exit 1 when parts of the config could not be checked (warnings).
    #[arg(long)]
    pub strict: bool,
    /// An interface address of the server with its prefix length (`203.0.113.5/20`);
    /// repeatable. Postfix's `mynetworks_style = subnet/class` trusts networks computed from
    /// these, so with them the audit can say how wide that trust is.
    #[arg(long = "interface", value_name = "ADDR/LEN", value_parser = parse_interface)]
    pub interfaces: Vec<ipnet::IpNet>,
    /// Take the interface addresses from this machine (`ip -o addr`), for auditing the
    /// config of the host the audit runs on.
    #[arg(long)]
    pub local_interfaces: bool,
}

fn parse_interface(s: &str) -> Result<ipnet::IpNet, String> {
    s.parse()
        .map_err(|_| format!("`{s}` is not ADDR/LEN (e.g. 203.0.113.5/20 or 2001:db8::5/64)"))
}

/// This machine's interface addresses with prefix lengths, from `ip -o addr show`.
fn local_interfaces() -> Result<Vec<ipnet::IpNet>, String> {
    let out = std::process::Command::new("ip")
        .args(["-o", "addr", "show"])
        .output()
        .map_err(|e| format!("cannot run `ip -o addr show` to read the interface addresses: {e}; give them with --interface ADDR/LEN"))?;
    Ok(parse_ip_addr_output(&String::from_utf8_lossy(&out.stdout)))
}

/// The `inet`/`inet6` addresses of `ip -o addr show` output.
pub fn parse_ip_addr_output(text: &str) -> Vec<ipnet::IpNet> {
    text.lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            words.find(|w| *w == "inet" || *w == "inet6")?;
            words.next()?.parse().ok()
        })
        .collect()
}

/// Output formats of `relayhunt audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Verdict, findings and fixes for people.
    Human,
    /// The report as one JSON document.
    Json,
    /// SARIF 2.1.0.
    Sarif,
}

impl Args {
    /// The output format `--json`, `--sarif` or `--format` select.
    pub fn output_format(&self) -> Format {
        match (self.json, self.sarif, self.format) {
            (true, _, _) => Format::Json,
            (_, true, _) => Format::Sarif,
            (_, _, f) => f.unwrap_or(Format::Human),
        }
    }
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
    run_with_recorder(args, None)
}

/// [`run`], handing the report to `recorder` (`--store`); a recorder error exits 2 after
/// the report is printed.
pub fn run_with_recorder(args: Args, recorder: Option<&mut dyn AuditRecorder>) -> u8 {
    let mut host = crate::HostFacts {
        interfaces: args.interfaces.clone(),
    };
    if args.local_interfaces {
        match local_interfaces() {
            Ok(found) => host.interfaces.extend(found),
            Err(e) => {
                eprintln!("relayhunt audit: {e}");
                return 2;
            }
        }
    }
    let result = if args.path.as_os_str() == "-" {
        read_stdin().and_then(|text| {
            crate::audit_bundle_on(&crate::Bundle::from_text("<stdin>", &text), args.mta, &host)
        })
    } else {
        crate::audit_path_on(&args.path, args.mta, &host)
    };
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("relayhunt audit: {e}");
            return 2;
        }
    };
    let format = args.output_format();
    let text = match format {
        Format::Sarif => crate::output::sarif::render(&report),
        Format::Json => crate::output::json::render(&report),
        Format::Human => crate::output::human::render(&report),
    };
    // A closed pipe (`| head`) is not an error worth a panic: stop writing quietly.
    if !args.quiet {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        if let Err(e) = writeln!(out, "{text}").and_then(|()| out.flush()) {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                eprintln!("relayhunt audit: cannot write output: {e}");
                return 2;
            }
        }
    }
    if let Some(rec) = recorder {
        match rec.record(&report, &crate::output::json::render(&report)) {
            Ok(line) => eprintln!("relayhunt audit: {line}"),
            Err(e) => {
                eprintln!("relayhunt audit: --store: {e}");
                return 2;
            }
        }
    }
    if format == Format::Human && !args.quiet && !report.warnings.is_empty() {
        eprintln!(
            "relayhunt audit: {} part(s) of the config could not be checked; see Warnings",
            report.warnings.len()
        );
    }
    u8::from(report.fails(args.fail_on) || (args.strict && !report.warnings.is_empty()))
}
