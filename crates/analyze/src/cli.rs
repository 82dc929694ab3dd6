//! `relayhunt analyze`: flags and config file → validated settings → batch → output.
//!
//! Two stages, as in ripgrep: raw flags and `--config` lines are merged into [`Settings`]
//! (every value checked, errors exit 2 before any work), then the batch runs. Exit codes:
//! `0` no message at or above `--fail-on`; `1` at least one message whose verdict or a
//! finding is at or above it; `2` usage, config or input error. A path that cannot be read
//! (missing, unreadable) makes the run exit 2 after every other path has been analysed
//! and reported; a single bad message inside a readable mbox or folder (too large, not a
//! message) is reported on stderr and counted but does not change the exit code, unless no
//! message at all could be analysed.

use crate::batch::{self, BatchOptions, Outcome, Rendered, Summary};
use crate::input::{Inputs, ReadOptions};
use crate::message::Limits;
use crate::output::{Format, Printer};
use crate::owner::OwnerLookup;
use crate::record::Recorder;
use crate::report::Severity;
use crate::verification::Verifier;
use crate::Config;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

/// Arguments of `relayhunt analyze`.
#[derive(Debug, Default, clap::Args)]
#[command(
    after_help = "Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, \
2 usage or input error (a missing or unreadable path; other paths are still analysed).\n\
JSON schema: docs/analyze-json.md."
)]
pub struct Args {
    /// Messages to analyse: .eml files, mbox files, maildir or plain folders (recursive),
    /// `-` for standard input (the default when stdin is not a terminal).
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
    /// JSON output: one pretty document for one message, a JSON array for several.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Output format.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
    /// Receivers you trust: CIDR, IP or host pattern (`*.example.org`); repeatable.
    #[arg(long = "trusted", value_name = "CIDR|HOSTPATTERN")]
    pub trusted: Vec<String>,
    /// authserv-id whose Authentication-Results you believe; repeatable.
    #[arg(long = "trusted-authserv-id", value_name = "ID")]
    pub trusted_authserv_ids: Vec<String>,
    /// Settings file: `key = value` lines (TOML subset); flags override it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Exit 1 when a verdict or finding reaches this severity [default: high].
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,
    /// Largest header block read per message, in bytes [default: 1048576].
    #[arg(long, value_name = "N")]
    pub max_header_bytes: Option<usize>,
    /// Most header fields kept per message [default: 5000].
    #[arg(long, value_name = "N")]
    pub max_header_fields: Option<usize>,
    /// Messages larger than this many bytes are skipped with an error [default: 67108864].
    #[arg(long, value_name = "N")]
    pub max_message_bytes: Option<usize>,
    /// Worker threads [default: one per core].
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Never show the progress spinner.
    #[arg(long)]
    pub no_progress: bool,
    /// Print nothing on stdout; errors still go to stderr, the exit code tells the result.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Colours: auto (terminal and no NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Analysis time as Unix seconds (for reproducible future-date checks).
    #[arg(long, value_name = "UNIX", hide = true)]
    pub now: Option<i64>,
}

/// When to colour human output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal unless `NO_COLOR` is set.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Everything a run needs, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Paths to read (`-` = stdin).
    pub paths: Vec<String>,
    /// Engine configuration.
    pub config: Config,
    /// Output format.
    pub format: Format,
    /// Exit-1 threshold.
    pub fail_on: Severity,
    /// Header split limits.
    pub limits: Limits,
    /// Input reading options.
    pub read: ReadOptions,
    /// Worker threads (0 = all cores).
    pub jobs: usize,
    /// Progress spinner allowed.
    pub progress: bool,
    /// No stdout output.
    pub quiet: bool,
    /// Colour choice.
    pub color: ColorChoice,
}

/// A problem with flags or the config file (exit 2).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    /// No path given and stdin is a terminal.
    #[error("no input: give files, folders or `-` for standard input (see --help)")]
    NoInput,
    /// The config file could not be read.
    #[error("cannot read config file {path}: {source}")]
    ConfigRead {
        /// The file.
        path: String,
        /// Why.
        source: io::Error,
    },
    /// A config line is wrong.
    #[error("config file {path} line {line}: {reason}")]
    ConfigLine {
        /// The file.
        path: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong and what is expected.
        reason: String,
    },
    /// A value is out of range or malformed.
    #[error("{0}")]
    Invalid(String),
}

/// Run the subcommand; returns the process exit code (0 ok, 1 findings, 2 error).
pub fn run(args: Args) -> u8 {
    run_with_owner(args, None)
}

/// Run the subcommand, looking up the owners of the relay and origin IPs of every
/// message with `owner` (`--owner`; the binary passes the RDAP/whois lookup in).
pub fn run_with_owner(args: Args, owner: Option<&dyn OwnerLookup>) -> u8 {
    run_with_hooks(
        args,
        Hooks {
            owner,
            ..Hooks::default()
        },
    )
}

/// What the binary joins into a run from other crates.
#[derive(Default)]
pub struct Hooks<'a> {
    /// Owner lookup for relay and origin IPs (`--owner`).
    pub owner: Option<&'a dyn OwnerLookup>,
    /// Where analysed messages are kept (`--store`).
    pub recorder: Option<&'a mut dyn Recorder>,
    /// Live re-checks over DNS (`--verify`; see [`crate::verification`]).
    pub verifier: Option<&'a dyn Verifier>,
}

/// Run the subcommand with the owner lookup, recorder and verifier in `hooks`.
pub fn run_with_hooks(args: Args, hooks: Hooks<'_>) -> u8 {
    let settings = match settings(args, io::stdin().is_terminal()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("relayhunt: {e}");
            return 2;
        }
    };
    let stdout = io::stdout();
    let color = match settings.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            stdout.is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
        }
    };
    let progress = settings.progress && io::stderr().is_terminal();
    let (summary, _, record_failed) =
        execute_with_hooks(&settings, stdout.lock(), color, progress, hooks);
    if record_failed {
        return 2;
    }
    exit_code(&summary, settings.fail_on)
}

/// The exit code for a finished batch (see the module documentation).
pub fn exit_code(summary: &Summary, fail_on: Severity) -> u8 {
    if summary.path_errors > 0 || (summary.messages == 0 && summary.errors > 0) {
        2
    } else if summary.at_or_above(fail_on) > 0 {
        1
    } else {
        0
    }
}

/// Run the batch writing to `out`; failures and warnings go to stderr. Returns the summary
/// and whether output was cut short (closed pipe).
pub fn execute<W: Write>(
    settings: &Settings,
    out: W,
    color: bool,
    progress: bool,
) -> (Summary, bool) {
    execute_with_owner(settings, out, color, progress, None)
}

/// [`execute`], adding the owners of each message's relay and origin IPs when `owner` is
/// given. Lookups run on the ordered output side, one message at a time: the lookup
/// caches per network and paces itself, so a batch does not hammer the registries.
pub fn execute_with_owner<W: Write>(
    settings: &Settings,
    out: W,
    color: bool,
    progress: bool,
    owner: Option<&dyn OwnerLookup>,
) -> (Summary, bool) {
    let hooks = Hooks {
        owner,
        ..Hooks::default()
    };
    let (summary, broken, _) = execute_with_hooks(settings, out, color, progress, hooks);
    (summary, broken)
}

/// [`execute_with_owner`], also verifying every message over live DNS when
/// `hooks.verifier` is given (`--verify`) and handing every analysed message to
/// `hooks.recorder` (which then sees it even with `--quiet`). Returns the summary, whether output was cut
/// short, and whether recording failed (reported on stderr; the batch stops there).
pub fn execute_with_hooks<W: Write>(
    settings: &Settings,
    out: W,
    color: bool,
    progress: bool,
    hooks: Hooks<'_>,
) -> (Summary, bool, bool) {
    let Hooks {
        owner,
        mut recorder,
        verifier,
    } = hooks;
    if settings.format == Format::Ndjson
        && !settings.quiet
        && owner.is_none()
        && recorder.is_none()
        && verifier.is_none()
    {
        let (summary, broken) = execute_lines(settings, out, progress);
        return (summary, broken, false);
    }
    let inputs = Inputs::new(settings.paths.clone(), settings.read);
    let opts = BatchOptions {
        jobs: settings.jobs,
        limits: settings.limits,
        progress,
        // Printing NDJSON with nothing joined in went to `execute_lines` above. Here the
        // workers render a line only for a recorder, which keeps that same document (so it
        // is rendered once, in parallel, and printed as is under `--format ndjson`), and not
        // when owners or verification notes are added to it afterwards.
        render_ndjson: recorder.is_some() && owner.is_none() && verifier.is_none(),
        digest: recorder.is_some(),
        ..BatchOptions::default()
    };
    let mut printer = Printer::new(out, settings.format, color);
    let mut broken = false;
    let mut record_failed = false;
    let quiet = settings.quiet;
    let summary = batch::run_in_place(inputs, &settings.config, &opts, verifier, |outcome| {
        let printing = !(quiet || broken);
        if let (Some(lookup), Outcome::Analyzed(a), true) =
            (owner, &mut *outcome, printing || recorder.is_some())
        {
            a.owners = crate::owner::owners_of(&a.report, lookup);
            crate::owner::relate(&mut a.report, &a.owners);
        }
        if let (Some(rec), Outcome::Analyzed(a)) = (recorder.as_mut(), &*outcome) {
            if let Err(e) = rec.record(a) {
                eprintln!("relayhunt: --store: {e}");
                record_failed = true;
                return false;
            }
        }
        warn(outcome);
        if quiet || broken {
            return !broken || recorder.is_some();
        }
        if let Err(e) = printer.outcome(outcome) {
            write_failed(&e);
            broken = true;
        }
        !broken || recorder.is_some()
    });
    if let (Some(rec), false) = (recorder.as_mut(), record_failed) {
        match rec.finish() {
            Ok(line) => {
                if !quiet {
                    eprintln!("relayhunt: {line}");
                }
            }
            Err(e) => {
                eprintln!("relayhunt: --store: {e}");
                record_failed = true;
            }
        }
    }
    if !quiet && !broken {
        broken = finish(settings, &mut printer, &summary);
    }
    (summary, broken, record_failed)
}

/// `--format ndjson` with nothing joined in (no owners, store or verification): the lines
/// are rendered by the workers, which drop each report as soon as its line is made
/// ([`batch::run_rendered`]); the summary needs only what [`batch::Tally`] keeps.
fn execute_lines<W: Write>(settings: &Settings, out: W, progress: bool) -> (Summary, bool) {
    let inputs = Inputs::new(settings.paths.clone(), settings.read);
    let opts = BatchOptions {
        jobs: settings.jobs,
        limits: settings.limits,
        progress,
        ..BatchOptions::default()
    };
    let mut printer = Printer::new(out, settings.format, false);
    let mut broken = false;
    let summary = batch::run_rendered(inputs, &settings.config, &opts, |item| {
        match item {
            Rendered::Line(l) => warn_truncated(&l.location, l.truncated_by),
            Rendered::Outcome(o) => warn(o),
        }
        if let Err(e) = printer.rendered(item) {
            write_failed(&e);
            broken = true;
        }
        !broken
    });
    if !broken {
        broken = finish(settings, &mut printer, &summary);
    }
    (summary, broken)
}

/// Report on stderr what stdout does not show: a failed item, a cut header block.
fn warn(outcome: &Outcome) {
    match outcome {
        Outcome::Failed(f) => eprintln!("relayhunt: {f}"),
        Outcome::Analyzed(a) => warn_truncated(&a.location, a.truncated_by),
    }
}

fn warn_truncated(location: &crate::input::Location, hit: Option<crate::message::LimitHit>) {
    if let Some(hit) = hit {
        eprintln!("relayhunt: {location}: {hit} (analysed the part that fits)");
    }
}

/// A write to stdout failed; a closed pipe (`| head`) is not worth a message.
fn write_failed(e: &io::Error) {
    if e.kind() != io::ErrorKind::BrokenPipe {
        eprintln!("relayhunt: cannot write output: {e}");
    }
}

/// End the output and, for several items in a machine format, print the summary on
/// stderr. True when the output broke while ending it.
fn finish<W: Write>(settings: &Settings, printer: &mut Printer<W>, summary: &Summary) -> bool {
    let broken = match printer.finish(summary) {
        Ok(()) => false,
        Err(e) => {
            write_failed(&e);
            true
        }
    };
    if settings.format != Format::Human && summary.messages + summary.errors > 1 {
        eprint!("{}", crate::output::summary::render(summary, false));
    }
    broken
}

/// Merge flags and the config file into validated settings.
pub fn settings(args: Args, stdin_is_terminal: bool) -> Result<Settings, UsageError> {
    let mut file = match &args.config {
        Some(path) => FileSettings::load(path)?,
        None => FileSettings::default(),
    };
    let mut paths = args.paths;
    if paths.is_empty() {
        if stdin_is_terminal {
            return Err(UsageError::NoInput);
        }
        paths.push("-".into());
    }
    let mut config = Config {
        trusted: std::mem::take(&mut file.trusted),
        mx_hosts: std::mem::take(&mut file.mx_hosts),
        forwarders: std::mem::take(&mut file.forwarders),
        list_servers: std::mem::take(&mut file.list_servers),
        trusted_authserv_ids: std::mem::take(&mut file.trusted_authserv_ids),
        ..Config::default()
    };
    config.trusted.extend(args.trusted);
    config
        .trusted_authserv_ids
        .extend(args.trusted_authserv_ids);
    if let Some(v) = file.skew_tolerance_secs {
        config.skew_tolerance_secs = v;
    }
    if let Some(v) = file.huge_delay_secs {
        config.huge_delay_secs = v;
    }
    if let Some(v) = file.builtin_providers {
        config.builtin_providers = v;
    }
    config.now = args.now.or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .and_then(|d| i64::try_from(d.as_secs()).ok())
    });
    config
        .check()
        .map_err(|e| UsageError::Invalid(format!("{e}")))?;
    let format = if args.json {
        Format::Json
    } else {
        args.format.or(file.format).unwrap_or(Format::Human)
    };
    let limits = Limits {
        max_header_bytes: args
            .max_header_bytes
            .or(file.max_header_bytes)
            .unwrap_or(Limits::DEFAULT_MAX_HEADER_BYTES),
        max_header_fields: args
            .max_header_fields
            .or(file.max_header_fields)
            .unwrap_or(Limits::DEFAULT_MAX_HEADER_FIELDS),
    };
    if limits.max_header_bytes == 0 || limits.max_header_fields == 0 {
        return Err(UsageError::Invalid(
            "--max-header-bytes and --max-header-fields must be at least 1".into(),
        ));
    }
    let max_message_bytes = args
        .max_message_bytes
        .or(file.max_message_bytes)
        .unwrap_or(ReadOptions::DEFAULT_MAX_MESSAGE_BYTES);
    if max_message_bytes == 0 {
        return Err(UsageError::Invalid(
            "--max-message-bytes must be at least 1".into(),
        ));
    }
    Ok(Settings {
        paths,
        config,
        format,
        fail_on: args.fail_on.or(file.fail_on).unwrap_or(Severity::High),
        limits,
        read: ReadOptions { max_message_bytes },
        jobs: args.jobs.or(file.jobs).unwrap_or(0),
        progress: !args.no_progress && !args.quiet,
        quiet: args.quiet,
        color: args.color,
    })
}

/// Values read from a `--config` file; `None`/empty = not set there.
///
/// The format is a TOML subset: `key = value` lines, `#` comments, values bare, quoted
/// (`"…"`) or lists (`["a", "b"]`), optional `[analyze]` section (other sections are for
/// other subcommands and skipped). Keys: `trusted`, `mx_hosts`, `forwarders`,
/// `list_servers`, `trusted_authserv_id(s)`, `fail_on`,
/// `format`, `max_header_bytes`, `max_header_fields`, `max_message_bytes`, `jobs`,
/// `skew_tolerance_secs`, `huge_delay_secs`, `builtin_providers`. List keys may repeat.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct FileSettings {
    /// `trusted`.
    pub trusted: Vec<String>,
    /// `mx_hosts`.
    pub mx_hosts: Vec<String>,
    /// `forwarders`.
    pub forwarders: Vec<String>,
    /// `list_servers`.
    pub list_servers: Vec<String>,
    /// `trusted_authserv_id` / `trusted_authserv_ids`.
    pub trusted_authserv_ids: Vec<String>,
    /// `fail_on`.
    pub fail_on: Option<Severity>,
    /// `format`.
    pub format: Option<Format>,
    /// `max_header_bytes`.
    pub max_header_bytes: Option<usize>,
    /// `max_header_fields`.
    pub max_header_fields: Option<usize>,
    /// `max_message_bytes`.
    pub max_message_bytes: Option<usize>,
    /// `jobs`.
    pub jobs: Option<usize>,
    /// `skew_tolerance_secs`.
    pub skew_tolerance_secs: Option<i64>,
    /// `huge_delay_secs`.
    pub huge_delay_secs: Option<i64>,
    /// `builtin_providers`.
    pub builtin_providers: Option<bool>,
}

impl FileSettings {
    /// Read and parse a config file.
    pub fn load(path: &std::path::Path) -> Result<FileSettings, UsageError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| UsageError::ConfigRead {
            path: shown.clone(),
            source,
        })?;
        FileSettings::parse(&text).map_err(|(line, reason)| UsageError::ConfigLine {
            path: shown,
            line,
            reason,
        })
    }

    /// Parse config text; errors carry the 1-based line and the reason.
    pub fn parse(text: &str) -> Result<FileSettings, (usize, String)> {
        let mut s = FileSettings::default();
        let mut in_section = true;
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            let line = strip_comment(raw).trim();
            if line.is_empty() {
                continue;
            }
            if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                in_section = section.trim() == "analyze";
                continue;
            }
            if !in_section {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err((n, format!("expected `key = value`, got {line:?}")));
            };
            let key = key.trim();
            let values = parse_value(value.trim()).map_err(|r| (n, r))?;
            let one = || -> Result<&str, (usize, String)> {
                match values.as_slice() {
                    [v] => Ok(v.as_str()),
                    _ => Err((n, format!("`{key}` takes a single value"))),
                }
            };
            let number = |v: &str| -> Result<usize, (usize, String)> {
                v.replace('_', "")
                    .parse()
                    .map_err(|_| (n, format!("`{key}` expects a whole number, got {v:?}")))
            };
            let signed = |v: &str| -> Result<i64, (usize, String)> {
                v.replace('_', "")
                    .parse()
                    .map_err(|_| (n, format!("`{key}` expects a whole number, got {v:?}")))
            };
            match key {
                "trusted" => s.trusted.extend(values),
                "mx_hosts" | "mx_host" => s.mx_hosts.extend(values),
                "forwarders" | "forwarder" => s.forwarders.extend(values),
                "list_servers" | "list_server" => s.list_servers.extend(values),
                "trusted_authserv_id" | "trusted_authserv_ids" => {
                    s.trusted_authserv_ids.extend(values)
                }
                "fail_on" => s.fail_on = Some(one()?.parse().map_err(|e| (n, format!("{e}")))?),
                "format" => {
                    s.format = Some(match one()? {
                        "human" => Format::Human,
                        "json" => Format::Json,
                        "ndjson" => Format::Ndjson,
                        other => {
                            return Err((
                                n,
                                format!("unknown format {other:?}: expected human, json or ndjson"),
                            ))
                        }
                    })
                }
                "max_header_bytes" => s.max_header_bytes = Some(number(one()?)?),
                "max_header_fields" => s.max_header_fields = Some(number(one()?)?),
                "max_message_bytes" => s.max_message_bytes = Some(number(one()?)?),
                "jobs" => s.jobs = Some(number(one()?)?),
                "skew_tolerance_secs" => s.skew_tolerance_secs = Some(signed(one()?)?),
                "huge_delay_secs" => s.huge_delay_secs = Some(signed(one()?)?),
                "builtin_providers" => {
                    s.builtin_providers = Some(match one()? {
                        "true" => true,
                        "false" => false,
                        other => {
                            return Err((
                                n,
                                format!("`{key}` expects true or false, got {other:?}"),
                            ))
                        }
                    })
                }
                other => return Err((n, format!("unknown key `{other}`"))),
            }
        }
        Ok(s)
    }
}

/// Drop a `#` comment that is not inside quotes.
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted => return &line[..i],
            _ => {}
        }
    }
    line
}

/// `bare`, `"quoted"` or `["a", "b"]` → the values.
fn parse_value(v: &str) -> Result<Vec<String>, String> {
    if let Some(inner) = v.strip_prefix('[') {
        let inner = inner
            .strip_suffix(']')
            .ok_or_else(|| "list not closed with `]` (lists must fit on one line)".to_string())?;
        return inner
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(unquote)
            .collect();
    }
    Ok(vec![unquote(v)?])
}

fn unquote(v: &str) -> Result<String, String> {
    if let Some(inner) = v.strip_prefix('"') {
        return inner
            .strip_suffix('"')
            .map(str::to_string)
            .ok_or_else(|| format!("unterminated quote in {v:?}"));
    }
    if v.is_empty() {
        return Err("missing value after `=`".into());
    }
    Ok(v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_file_subset_of_toml() {
        let text = r#"
# our gateways
trusted = ["203.0.113.0/24", "*.mx.example.org"]
trusted = 198.51.100.7   # one more
trusted_authserv_id = "mx.example.org"
fail_on = medium
max_header_bytes = 2_000_000

[probe]
target = ignored

[analyze]
builtin_providers = false
"#;
        let s = FileSettings::parse(text).unwrap();
        assert_eq!(
            s.trusted,
            ["203.0.113.0/24", "*.mx.example.org", "198.51.100.7"]
        );
        assert_eq!(s.trusted_authserv_ids, ["mx.example.org"]);
        assert_eq!(s.fail_on, Some(Severity::Medium));
        assert_eq!(s.max_header_bytes, Some(2_000_000));
        assert_eq!(s.builtin_providers, Some(false));
        let err = FileSettings::parse("trusted = 1.2.3.4\nfail_on = severe\n").unwrap_err();
        assert_eq!(err.0, 2);
        assert!(err.1.contains("unknown severity"), "{}", err.1);
        assert_eq!(
            FileSettings::parse("colour = red").unwrap_err().1,
            "unknown key `colour`"
        );
    }

    #[test]
    fn flags_override_and_extend_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("relayhunt.conf");
        std::fs::write(&cfg, "trusted = 10.0.0.0/8\nfail_on = low\njobs = 3\n").unwrap();
        let args = Args {
            paths: vec!["x.eml".into()],
            trusted: vec!["192.0.2.0/24".into()],
            config: Some(cfg),
            fail_on: Some(Severity::Critical),
            ..Args::default()
        };
        let s = settings(args, true).unwrap();
        assert_eq!(s.config.trusted, ["10.0.0.0/8", "192.0.2.0/24"]);
        assert_eq!(s.fail_on, Severity::Critical);
        assert_eq!(s.jobs, 3);
        assert!(matches!(
            settings(Args::default(), true),
            Err(UsageError::NoInput)
        ));
        let s = settings(Args::default(), false).unwrap();
        assert_eq!(s.paths, ["-"]);
        let bad = Args {
            paths: vec!["x".into()],
            trusted: vec!["not a host!".into()],
            ..Args::default()
        };
        assert!(matches!(settings(bad, true), Err(UsageError::Invalid(_))));
    }
}
