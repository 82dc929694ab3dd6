//! The `relayhunt` binary: a thin dispatcher over the capability crates.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Find open mail relays and the attacks that ride on them.
#[derive(Debug, Parser)]
#[command(name = "relayhunt", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// `analyze` flags plus the takedown's `--owner` lookup flags and the store's `--store`.
#[derive(Debug, clap::Args)]
struct AnalyzeArgs {
    #[command(flatten)]
    analyze: relayhunt_analyze::cli::Args,
    #[command(flatten)]
    owner: relayhunt_takedown::cli::OwnerArgs,
    #[command(flatten)]
    store: relayhunt_store::cli::StoreArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Read raw mail and find relay hops, forged chains and auth failures.
    Analyze(AnalyzeArgs),
    /// Test whether an SMTP server relays for strangers.
    Probe(relayhunt_probe::cli::Args),
    /// Audit an MTA configuration for open relaying.
    Audit(relayhunt_audit::cli::Args),
    /// Find the owner and abuse contact of an IP or domain.
    Whois(relayhunt_takedown::cli::WhoisArgs),
    /// Write an abuse report for a relay found in a message.
    Report(relayhunt_takedown::cli::ReportArgs),
    /// Canary sink that proves relaying by delivery.
    Canary(relayhunt_probe::cli::CanaryArgs),
    /// List the relays in the store, or show one relay's history.
    Relays(relayhunt_store::cli::RelaysArgs),
}

/// `analyze`, joined with the owner lookup when `--owner` is given and the store when
/// `--store` is.
fn analyze(a: AnalyzeArgs) -> u8 {
    let lookup = match relayhunt_takedown::cli::AnalyzeOwnerLookup::from_args(&a.owner) {
        Ok(lookup) => lookup,
        Err(e) => {
            eprintln!("relayhunt: --owner: {e}");
            return 2;
        }
    };
    let mut store = match a.store.open() {
        Ok(store) => store,
        Err(e) => {
            eprintln!("relayhunt: --store: {e}");
            return 2;
        }
    };
    let mut recorder = store.as_mut().map(relayhunt_store::Recorder::new);
    relayhunt_analyze::cli::run_with_hooks(
        a.analyze,
        relayhunt_analyze::cli::Hooks {
            owner: lookup
                .as_ref()
                .map(|l| l as &dyn relayhunt_analyze::owner::OwnerLookup),
            recorder: recorder
                .as_mut()
                .map(|r| r as &mut dyn relayhunt_analyze::record::Recorder),
        },
    )
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Analyze(a) => analyze(a),
        Command::Probe(a) => relayhunt_probe::cli::run(a),
        Command::Audit(a) => relayhunt_audit::cli::run(a),
        Command::Whois(a) => relayhunt_takedown::cli::run_whois(a),
        Command::Report(a) => relayhunt_takedown::cli::run_report(a),
        Command::Canary(a) => relayhunt_probe::cli::run_canary(a),
        Command::Relays(a) => relayhunt_store::cli::run_relays(a),
    };
    ExitCode::from(code)
}
