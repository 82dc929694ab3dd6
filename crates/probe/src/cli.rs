//! Command-line surface: `relayhunt probe` and `relayhunt canary listen`.
//!
//! Flags are parsed by clap, then validated into [`ScanConfig`] / [`SinkConfig`] in one place
//! (`build_config`), so usage errors (exit 2) are separated from findings (exit 1).

use crate::battery::{self, BATTERY};
use crate::canary::sink::{Sink, SinkConfig};
use crate::options::{ConfirmOptions, Mailbox, ProbeOptions, StarttlsPolicy, Timeouts};
use crate::output::{summary_line, Format, ResultWriter};
use crate::record::ProbeRecorder;
use crate::scan::dns::SystemResolver;
use crate::scan::rate::RateLimiter;
use crate::scan::targets::{check_ranges, parse_target, parse_targets_file, TargetSpec};
use crate::scan::{scan, ScanConfig, ScanEvent};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Test whether SMTP servers relay mail for strangers.
///
/// Runs a battery of relay tests (every nmap smtp-open-relay variant and more) per target and
/// never sends a message unless --confirm is given.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Targets: host, host:port, IP, [IPv6]:port, CIDR range, or a bare domain (its MX hosts).
    pub targets: Vec<String>,
    /// Read more targets from FILE (one per line, # comments).
    #[arg(short = 'f', long, value_name = "FILE")]
    pub targets_file: Option<PathBuf>,
    /// Ports for targets without one.
    #[arg(short, long, value_delimiter = ',', default_value = "25")]
    pub port: Vec<u16>,
    /// Ports that use implicit TLS (RFC 8314).
    #[arg(long, value_delimiter = ',', default_value = "465")]
    pub implicit_tls_port: Vec<u16>,
    /// Name to send in EHLO/HELO.
    #[arg(long, value_name = "NAME", default_value = "probe.relayhunt.invalid")]
    pub ehlo: String,
    /// Outside recipient: a mailbox you control (required with --confirm).
    #[arg(long, value_name = "ADDR")]
    pub rcpt: Option<String>,
    /// Outside recipient domain when --rcpt is not given (recipient relaytest@DOMAIN).
    #[arg(long, value_name = "DOMAIN", default_value = "example.net")]
    pub to_domain: String,
    /// Outside sender address.
    #[arg(long, value_name = "ADDR", default_value = "antispam@example.org")]
    pub from: String,
    /// Send a canary message through each accepted variant to prove relaying by delivery.
    #[arg(long, requires = "rcpt")]
    pub confirm: bool,
    /// Ledger written by `relayhunt canary listen --tokens-file`; wait for canaries there.
    #[arg(long, value_name = "FILE", requires = "confirm")]
    pub wait_canary: Option<PathBuf>,
    /// Seconds to wait for canaries.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub canary_wait: u64,
    /// Run only these tests (comma-separated ids; see --list-tests).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub tests: Vec<String>,
    /// Print the battery and exit.
    #[arg(long)]
    pub list_tests: bool,
    /// Targets probed at once.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Global limit on new connections per second.
    #[arg(long, value_name = "PER_SEC")]
    pub rate: Option<f64>,
    /// Connect timeout in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub connect_timeout: f64,
    /// Timeout for each reply in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub reply_timeout: f64,
    /// Timeout for a whole target in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300.0)]
    pub target_timeout: f64,
    /// Never upgrade with STARTTLS.
    #[arg(long)]
    pub no_starttls: bool,
    /// Allow ranges larger than a /16.
    #[arg(long)]
    pub i_own_this_range: bool,
    /// JSON output: `{"results": [...], "summary": {...}}` (same as `--format json`).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Output format [default: human].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
    /// Write results to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Include full transcripts in human output.
    #[arg(long)]
    pub transcripts: bool,
    /// Never show the progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Print nothing on stdout (results still go to --output) and no progress or summary on
    /// stderr; errors still go to stderr, the exit code tells the result.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Worker threads [default: one per core; 1 runs everything on the calling thread].
    #[arg(long, short = 'j', value_name = "N", alias = "threads")]
    pub jobs: Option<usize>,
}

impl Args {
    /// The output format `--json` / `--format` select.
    pub fn output_format(&self) -> Format {
        if self.json {
            Format::Json
        } else {
            self.format.unwrap_or(Format::Human)
        }
    }
}

/// The async runtime for `threads` workers (`None`: one per core).
fn runtime(threads: Option<usize>) -> std::io::Result<tokio::runtime::Runtime> {
    match threads {
        Some(1) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        Some(n) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n.max(1))
            .enable_all()
            .build(),
        None => tokio::runtime::Runtime::new(),
    }
}

/// A usage or input error (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(String);

fn secs(v: f64, flag: &str) -> Result<Duration, UsageError> {
    if v.is_finite() && v > 0.0 && v < 1e7 {
        Ok(Duration::from_secs_f64(v))
    } else {
        Err(UsageError(format!(
            "{flag} must be a positive number of seconds, got {v}"
        )))
    }
}

/// Validate flags into the scan configuration and target list.
pub fn build_config(args: &Args) -> Result<(Vec<TargetSpec>, ScanConfig), UsageError> {
    let mut specs = Vec::new();
    for t in &args.targets {
        specs.push(parse_target(t).map_err(|e| UsageError(e.to_string()))?);
    }
    if let Some(path) = &args.targets_file {
        specs.extend(parse_targets_file(path).map_err(|e| UsageError(e.to_string()))?);
    }
    if specs.is_empty() {
        return Err(UsageError(
            "no targets given (try `relayhunt probe 127.0.0.1:25`)".into(),
        ));
    }
    check_ranges(&specs, args.i_own_this_range).map_err(|e| UsageError(e.to_string()))?;
    let recipient = match &args.rcpt {
        Some(r) => Mailbox::parse(r)
            .ok_or_else(|| UsageError(format!("--rcpt {r:?} is not local@domain")))?,
        None => Mailbox::parse(&format!("relaytest@{}", args.to_domain)).ok_or_else(|| {
            UsageError(format!("--to-domain {:?} is not a domain", args.to_domain))
        })?,
    };
    let sender = Mailbox::parse(&args.from)
        .ok_or_else(|| UsageError(format!("--from {:?} is not local@domain", args.from)))?;
    let battery = if args.tests.is_empty() {
        BATTERY.iter().collect()
    } else {
        args.tests
            .iter()
            .map(|id| {
                battery::by_id(id)
                    .ok_or_else(|| UsageError(format!("unknown test id {id:?} (see --list-tests)")))
            })
            .collect::<Result<Vec<_>, _>>()?
    };
    if args.ehlo.is_empty() || args.ehlo.contains(char::is_whitespace) {
        return Err(UsageError("--ehlo must be a single name".into()));
    }
    if args.port.is_empty() || args.port.contains(&0) {
        return Err(UsageError("--port needs ports between 1 and 65535".into()));
    }
    let rate = match args.rate {
        Some(r) if !(r.is_finite() && r > 0.0) => {
            return Err(UsageError(format!("--rate must be positive, got {r}")))
        }
        Some(r) => Some(Arc::new(RateLimiter::new(r))),
        None => None,
    };
    let probe = ProbeOptions {
        ehlo_name: args.ehlo.clone(),
        recipient,
        sender,
        timeouts: Timeouts {
            connect: secs(args.connect_timeout, "--connect-timeout")?,
            reply: secs(args.reply_timeout, "--reply-timeout")?,
            target: secs(args.target_timeout, "--target-timeout")?,
        },
        starttls: if args.no_starttls {
            StarttlsPolicy::Never
        } else {
            StarttlsPolicy::Opportunistic
        },
        battery,
        confirm: args.confirm.then(|| ConfirmOptions {
            ledger: args.wait_canary.clone(),
            wait: Duration::from_secs(args.canary_wait),
        }),
        rate,
        ..ProbeOptions::default()
    };
    Ok((
        specs,
        ScanConfig {
            ports: args.port.clone(),
            implicit_tls_ports: args.implicit_tls_port.clone(),
            concurrency: args.concurrency.max(1),
            probe,
        },
    ))
}

fn list_tests() {
    println!(
        "{:<24} {:<9} {:<34} {:<40} source",
        "id", "kind", "MAIL FROM", "RCPT TO"
    );
    for t in BATTERY {
        let kind = match t.addressing {
            battery::Addressing::Plain => "plain",
            battery::Addressing::Trick => "trick",
        };
        println!(
            "{:<24} {:<9} {:<34} {:<40} {}",
            t.id,
            kind,
            format!("<{}>", t.mail_from),
            format!("<{}>", t.rcpt_to),
            t.source
        );
    }
}

/// Run `relayhunt probe`; returns the exit code (0 nothing open, 1 findings, 2 error).
pub fn run(args: Args) -> u8 {
    run_with_recorder(args, None)
}

/// The settings of a run in one line, as a store keeps them.
fn options_line(args: &Args, config: &ScanConfig) -> String {
    let ports: Vec<String> = config.ports.iter().map(u16::to_string).collect();
    let mut line = format!(
        "ports {}; tests {}; ehlo {}; from {}; rcpt {}",
        ports.join(","),
        config.probe.battery.len(),
        args.ehlo,
        config.probe.sender,
        config.probe.recipient
    );
    if args.confirm {
        line.push_str("; confirm");
    }
    if args.no_starttls {
        line.push_str("; no-starttls");
    }
    line
}

/// [`run`], handing every result to `recorder` (`--store`). A recorder error is reported
/// once; the scan goes on, and the run exits 2.
pub fn run_with_recorder(args: Args, mut recorder: Option<&mut dyn ProbeRecorder>) -> u8 {
    if args.list_tests {
        list_tests();
        return 0;
    }
    let (specs, config) = match build_config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("relayhunt probe: {e}");
            return 2;
        }
    };
    let mut record_error: Option<String> = None;
    if let Some(rec) = recorder.as_mut() {
        if let Err(e) = rec.start(&options_line(&args, &config)) {
            eprintln!("relayhunt probe: --store: {e}");
            return 2;
        }
    }
    let out: Box<dyn std::io::Write + Send> = match &args.output {
        Some(path) => match std::fs::File::create(path) {
            Ok(f) => Box::new(std::io::BufWriter::new(f)),
            Err(e) => {
                eprintln!("relayhunt probe: cannot create {}: {e}", path.display());
                return 2;
            }
        },
        None if args.quiet => Box::new(std::io::sink()),
        None => Box::new(std::io::stdout()),
    };
    let rt = match runtime(args.jobs) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("relayhunt probe: cannot start the async runtime: {e}");
            return 2;
        }
    };
    rt.block_on(async move {
        let needs_dns = specs
            .iter()
            .any(|s| matches!(s, TargetSpec::Host { .. } | TargetSpec::Domain(_)));
        let resolver = if needs_dns {
            match SystemResolver::new() {
                Ok(r) => Some(r),
                Err(e) => {
                    eprintln!("relayhunt probe: {e}");
                    return 2;
                }
            }
        } else {
            None
        };
        let mut writer = match ResultWriter::new(args.output_format(), out, args.transcripts) {
            Ok(w) => w,
            Err(e) => {
                eprintln!("relayhunt probe: cannot write output: {e}");
                return 2;
            }
        };
        let progress = if !args.quiet && !args.no_progress && std::io::stderr().is_terminal() {
            let pb = ProgressBar::new(0);
            pb.set_style(
                ProgressStyle::with_template(
                    "{spinner} {pos}/{len} targets [{elapsed_precise}] {wide_bar} {per_sec}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            pb
        } else {
            ProgressBar::hidden()
        };
        let mut write_error = None;
        let record_error = &mut record_error;
        let mut on_event = |ev: ScanEvent| {
            if let (Some(rec), None) = (recorder.as_mut(), &record_error) {
                let recorded = match &ev {
                    ScanEvent::Result(r) => rec.result(r),
                    ScanEvent::Failed { target, reason } => rec.failure(target, reason),
                };
                if let Err(e) = recorded {
                    progress.suspend(|| eprintln!("relayhunt probe: --store: {e}"));
                    *record_error = Some(e);
                }
            }
            let res = match ev {
                ScanEvent::Result(r) => writer.result(&r),
                ScanEvent::Failed { target, reason } => {
                    progress.suspend(|| eprintln!("relayhunt probe: {target}: {reason}"));
                    writer.failure(&target, &reason)
                }
            };
            if let Err(e) = res {
                write_error.get_or_insert(e);
            }
        };
        let summary = match &resolver {
            Some(r) => scan(&specs, &config, r, &progress, &mut on_event).await,
            None => {
                let r = crate::scan::dns::StaticResolver::default();
                scan(&specs, &config, &r, &progress, &mut on_event).await
            }
        };
        progress.finish_and_clear();
        if let Err(e) = writer.finish(&summary) {
            write_error.get_or_insert(e);
        }
        if let (Some(rec), None) = (recorder.as_mut(), &record_error) {
            match rec.finish(&summary) {
                Ok(line) if !args.quiet => eprintln!("relayhunt probe: {line}"),
                Ok(_) => {}
                Err(e) => {
                    eprintln!("relayhunt probe: --store: {e}");
                    *record_error = Some(e);
                }
            }
        }
        if record_error.is_some() {
            return 2;
        }
        if let Some(e) = write_error {
            eprintln!("relayhunt probe: writing results failed: {e}");
            return 2;
        }
        if !args.quiet {
            eprintln!("{}", summary_line(&summary));
        }
        if summary.findings > 0 {
            1
        } else if summary.targets == 0 {
            2
        } else {
            0
        }
    })
}

/// Arguments of `relayhunt canary`.
#[derive(Debug, clap::Args)]
pub struct CanaryArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: CanaryCommand,
}

/// `relayhunt canary` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum CanaryCommand {
    /// Run an SMTP sink that records canary tokens from relayed messages.
    Listen(ListenArgs),
}

/// Arguments of `relayhunt canary listen`.
#[derive(Debug, clap::Args)]
pub struct ListenArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Port to listen on (0 picks one and prints it).
    #[arg(short, long, default_value_t = 2525)]
    pub port: u16,
    /// Listen on COUNT consecutive ports starting at --port (benchmarks, many fake targets).
    #[arg(long, default_value_t = 1)]
    pub count: u16,
    /// Append each arrival as an NDJSON line to FILE (read by `probe --wait-canary FILE`).
    #[arg(long, value_name = "FILE")]
    pub tokens_file: Option<PathBuf>,
    /// Host name in the banner.
    #[arg(long, default_value = "canary.relayhunt.invalid")]
    pub hostname: String,
    /// Largest message accepted, in bytes.
    #[arg(long, default_value_t = 1024 * 1024)]
    pub max_message_size: usize,
    /// Most simultaneous sessions.
    #[arg(long, default_value_t = 256)]
    pub max_sessions: usize,
    /// Stop after SECS seconds (default: run until interrupted).
    #[arg(long, value_name = "SECS")]
    pub duration: Option<u64>,
    /// Do not print arrivals on stdout.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Run `relayhunt canary`; returns the exit code.
pub fn run_canary(args: CanaryArgs) -> u8 {
    let CanaryCommand::Listen(a) = args.command;
    let count = a.count.max(1);
    if a.port != 0 && u32::from(a.port) + u32::from(count) - 1 > 65535 {
        eprintln!(
            "relayhunt canary: --port {} with --count {count} runs past port 65535",
            a.port
        );
        return 2;
    }
    let addrs: Vec<SocketAddr> = (0..count)
        .map(|i| SocketAddr::new(a.bind, if a.port == 0 { 0 } else { a.port + i }))
        .collect();
    let config = SinkConfig {
        hostname: a.hostname.clone(),
        max_message: a.max_message_size,
        max_sessions: a.max_sessions.max(1),
        ledger: a.tokens_file.clone(),
        print: !a.quiet,
        ..SinkConfig::default()
    };
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("relayhunt canary: cannot start the async runtime: {e}");
            return 2;
        }
    };
    rt.block_on(async move {
        let sink = match Sink::bind(&addrs, config).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!(
                    "relayhunt canary: cannot listen on {}:{}: {e}",
                    a.bind, a.port
                );
                return 2;
            }
        };
        let first = sink.local_addr();
        let n = sink.local_addrs().len();
        eprintln!(
            "relayhunt canary: listening on {first}{}{}",
            if n > 1 {
                format!(" and {} more consecutive ports", n - 1)
            } else {
                String::new()
            },
            a.tokens_file
                .as_ref()
                .map(|p| format!(", recording tokens in {}", p.display()))
                .unwrap_or_default()
        );
        let stop = async {
            match a.duration {
                Some(s) => tokio::time::sleep(Duration::from_secs(s)).await,
                None => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        };
        tokio::select! {
            _ = stop => {}
            _ = sink.run_forever() => {}
        }
        0
    })
}
