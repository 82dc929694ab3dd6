//! The `relayhunt` binary: a thin dispatcher over the capability crates.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// mimalloc instead of the system allocator: analysis allocates many small strings per hop,
/// and glibc malloc/free were a quarter of the instructions of a batch run (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Find open mail relays and the attacks that ride on them.
#[derive(Debug, Parser)]
#[command(name = "relayhunt", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// `analyze` flags plus the takedown's `--owner` lookup flags, the `--verify` flags and the
/// store's `--store`.
#[derive(Debug, clap::Args)]
struct AnalyzeArgs {
    #[command(flatten)]
    analyze: relayhunt_analyze::cli::Args,
    #[command(flatten)]
    owner: relayhunt_takedown::cli::OwnerArgs,
    #[command(flatten)]
    store: relayhunt_store::cli::StoreArgs,
    #[command(flatten)]
    verify: relayhunt_verify::cli::VerifyArgs,
}

/// `probe` flags plus the store's `--store`.
#[derive(Debug, clap::Args)]
struct ProbeArgs {
    #[command(flatten)]
    probe: relayhunt_probe::cli::Args,
    #[command(flatten)]
    store: relayhunt_store::cli::StoreArgs,
}

/// `audit` flags plus the store's `--store`.
#[derive(Debug, clap::Args)]
struct AuditArgs {
    #[command(flatten)]
    audit: relayhunt_audit::cli::Args,
    #[command(flatten)]
    store: relayhunt_store::cli::StoreArgs,
}

/// `report` flags plus the store's `--store`.
#[derive(Debug, clap::Args)]
struct ReportCommand {
    #[command(flatten)]
    report: relayhunt_takedown::cli::ReportArgs,
    #[command(flatten)]
    store: relayhunt_store::cli::StoreArgs,
}

/// The store for `--store`, or the exit code after saying why it cannot be opened.
fn open_store(
    command: &str,
    args: &relayhunt_store::cli::StoreArgs,
) -> Result<Option<relayhunt_store::Store>, u8> {
    args.open().map_err(|e| {
        eprintln!("relayhunt {command}: --store: {e}");
        2
    })
}

fn probe(a: ProbeArgs) -> u8 {
    let mut store = match open_store("probe", &a.store) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut log = store.as_mut().map(relayhunt_store::ProbeLog::new);
    relayhunt_probe::cli::run_with_recorder(
        a.probe,
        log.as_mut()
            .map(|l| l as &mut dyn relayhunt_probe::record::ProbeRecorder),
    )
}

fn audit(a: AuditArgs) -> u8 {
    match open_store("audit", &a.store) {
        Ok(mut store) => relayhunt_audit::cli::run_with_recorder(
            a.audit,
            store
                .as_mut()
                .map(|s| s as &mut dyn relayhunt_audit::record::AuditRecorder),
        ),
        Err(code) => code,
    }
}

fn report(a: ReportCommand) -> u8 {
    match open_store("report", &a.store) {
        Ok(mut store) => relayhunt_takedown::cli::run_report_with(
            a.report,
            store
                .as_mut()
                .map(|s| s as &mut dyn relayhunt_takedown::record::ReportRecorder),
        ),
        Err(code) => code,
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Read raw mail and find relay hops, forged chains and auth failures.
    Analyze(AnalyzeArgs),
    /// Test whether an SMTP server relays for strangers.
    Probe(ProbeArgs),
    /// Audit an MTA configuration for open relaying.
    Audit(AuditArgs),
    /// Find the owner and abuse contact of an IP or domain.
    Whois(relayhunt_takedown::cli::WhoisArgs),
    /// Write an abuse report for a relay found in a message.
    Report(ReportCommand),
    /// Canary sink that proves relaying by delivery.
    Canary(relayhunt_probe::cli::CanaryArgs),
    /// List the relays in the store, or show one relay's history.
    Relays(relayhunt_store::cli::RelaysArgs),
    /// Local web UI: paste or upload a message, see its hop chain and verdict.
    Serve(relayhunt_web::cli::Args),
}

/// `analyze`, joined with the owner lookup when `--owner` is given, the live verifier when
/// `--verify` is, and the store when `--store` is.
fn analyze(a: AnalyzeArgs) -> u8 {
    let verifier = match a.verify.build() {
        Ok(v) => v,
        Err(e) => {
            eprintln!("relayhunt: --verify: {e}");
            return 2;
        }
    };
    let lookup = match relayhunt_takedown::cli::AnalyzeOwnerLookup::from_args(&a.owner) {
        Ok(lookup) => lookup,
        Err(e) => {
            eprintln!("relayhunt: --owner: {e}");
            return 2;
        }
    };
    let mut recorder = match a
        .store
        .open()
        .and_then(|store| store.map(relayhunt_store::Recorder::new).transpose())
    {
        Ok(recorder) => recorder,
        Err(e) => {
            eprintln!("relayhunt: --store: {e}");
            return 2;
        }
    };
    relayhunt_analyze::cli::run_with_hooks(
        a.analyze,
        relayhunt_analyze::cli::Hooks {
            owner: lookup
                .as_ref()
                .map(|l| l as &dyn relayhunt_analyze::owner::OwnerLookup),
            recorder: recorder
                .as_mut()
                .map(|r| r as &mut dyn relayhunt_analyze::record::Recorder),
            verifier: verifier
                .as_ref()
                .map(|v| v as &dyn relayhunt_analyze::verification::Verifier),
        },
    )
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Analyze(a) => analyze(a),
        Command::Probe(a) => probe(a),
        Command::Audit(a) => audit(a),
        Command::Whois(a) => relayhunt_takedown::cli::run_whois(a),
        Command::Report(a) => report(a),
        Command::Canary(a) => relayhunt_probe::cli::run_canary(a),
        Command::Relays(a) => relayhunt_store::cli::run_relays(a),
        Command::Serve(a) => relayhunt_web::cli::run(a),
    };
    ExitCode::from(code)
}
