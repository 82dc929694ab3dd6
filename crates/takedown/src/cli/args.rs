//! The flags of `whois` and `report`, as clap parses them.

use crate::report::Format;
use std::net::IpAddr;
use std::path::PathBuf;

/// Largest message `report` reads (bytes).
pub const MAX_MESSAGE: u64 = 64 * 1024 * 1024;

/// How owner lookups are made (shared by `whois` and `report`).
#[derive(Debug, Clone, clap::Args)]
pub struct LookupArgs {
    /// Cache directory for owner answers [default: ~/.cache/relayhunt/owner].
    #[arg(long, value_name = "DIR", env = "RELAYHUNT_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Do not read or write the owner cache.
    #[arg(long)]
    pub no_cache: bool,
    /// How long a cached owner stays valid, in hours.
    #[arg(long, value_name = "HOURS", default_value_t = 24)]
    pub cache_ttl: u64,
    /// Per-query time limit in seconds (RDAP request incl. redirects; whois exchange).
    #[arg(long, value_name = "SECS", default_value_t = 15.0, alias = "timeout")]
    pub lookup_timeout: f64,
    /// Minimum pause between two queries to the same server, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub interval_ms: u64,
    /// Directory holding IANA RDAP bootstrap files (ipv4.json, ipv6.json, dns.json) to use
    /// instead of fetching them from IANA.
    #[arg(long, value_name = "DIR", env = "RELAYHUNT_RDAP_BOOTSTRAP")]
    pub rdap_bootstrap: Option<PathBuf>,
    /// Allow plain-http RDAP servers (private mirrors, test fixtures).
    #[arg(long, env = "RELAYHUNT_RDAP_ALLOW_HTTP")]
    pub rdap_allow_http: bool,
    /// Skip RDAP, ask whois only.
    #[arg(long)]
    pub no_rdap: bool,
    /// Root whois server, where referrals start.
    #[arg(long, value_name = "HOST", default_value = crate::lookup::IANA_WHOIS, env = "RELAYHUNT_WHOIS_ROOT")]
    pub whois_root: String,
    /// Connect to ADDR when a referral names SERVER (`whois.ripe.net=10.0.0.5:43`);
    /// repeatable, or comma-separated in the variable.
    #[arg(
        long = "whois-route",
        value_name = "SERVER=ADDR",
        env = "RELAYHUNT_WHOIS_ROUTES",
        value_delimiter = ','
    )]
    pub whois_routes: Vec<String>,
    /// Ask only the whois servers given with --whois-route (private mirrors, offline use).
    #[arg(long)]
    pub whois_only_routed: bool,
}

/// Arguments of `relayhunt whois`.
#[derive(Debug, clap::Args)]
pub struct WhoisArgs {
    /// IP addresses and/or domain names; `-` reads them from standard input, one per line
    /// (`#` comments and blank lines skipped).
    #[arg(required = true, value_name = "IP|DOMAIN")]
    pub targets: Vec<String>,
    /// JSON output: one document for one target, an array for several (same as
    /// `--format json`).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Output format [default: human].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<WhoisFormat>,
    /// Print nothing on stdout; errors still go to stderr, the exit code tells the result.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Flag domains registered within this many days.
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub new_days: i64,
    #[command(flatten)]
    pub lookup: LookupArgs,
}

/// Output formats of `relayhunt whois`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WhoisFormat {
    /// Readable owner and domain summaries.
    Human,
    /// Pretty JSON: one document for one target, an array for several.
    Json,
    /// One compact JSON object per target and line, written as each answer arrives.
    Ndjson,
}

impl WhoisArgs {
    /// The output format `--json` / `--format` select.
    pub fn output_format(&self) -> WhoisFormat {
        if self.json {
            WhoisFormat::Json
        } else {
            self.format.unwrap_or(WhoisFormat::Human)
        }
    }
}

/// Arguments of `relayhunt report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The message that came through the relay (raw RFC 5322, `-` for stdin).
    #[arg(value_name = "MESSAGE")]
    pub message: Option<PathBuf>,
    /// The relay to report (default: the relay the analysis finds in the message).
    #[arg(long, value_name = "IP")]
    pub relay: Option<IpAddr>,
    /// A `relayhunt probe --json` result whose transcript the report carries.
    #[arg(long, value_name = "FILE")]
    pub probe_result: Option<PathBuf>,
    /// Receivers you trust (CIDR, IP or host pattern), as for `analyze --trusted`; they
    /// decide which hop is the entry from the outside, i.e. which relay is reported.
    #[arg(long, value_name = "CIDR|HOST")]
    pub trusted: Vec<String>,
    /// Mention sender domains registered within this many days of the message.
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub new_days: i64,
    /// Report format [default: eml].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
    /// The report as JSON: XARF (same as `--format xarf`).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Where to write the report [default: abuse-report-<IP>.<eml|json>].
    #[arg(short, long, value_name = "FILE", alias = "out")]
    pub output: Option<PathBuf>,
    /// Print nothing but errors (no summary of what was written or sent).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Send to this address instead of the looked-up abuse contact.
    #[arg(long, value_name = "ADDR")]
    pub to: Option<String>,
    /// Do not look the owner up (requires --to).
    #[arg(long, requires = "to")]
    pub no_lookup: bool,
    /// Submit the report by SMTP as configured (default: write the file only).
    #[arg(long)]
    pub send: bool,
    /// Reporter and SMTP settings [default: ~/.config/relayhunt/report.conf].
    #[arg(long, value_name = "FILE", env = "RELAYHUNT_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub lookup: LookupArgs,
}

impl ReportArgs {
    /// The report format `--json` / `--format` select.
    pub fn report_format(&self) -> Format {
        if self.json {
            Format::Xarf
        } else {
            self.format.unwrap_or(Format::Eml)
        }
    }
}
