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

#[derive(Debug, Subcommand)]
enum Command {
    /// Read raw mail and find relay hops, forged chains and auth failures.
    Analyze(relayhunt_analyze::cli::Args),
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Analyze(a) => relayhunt_analyze::cli::run(a),
        Command::Probe(a) => relayhunt_probe::cli::run(a),
        Command::Audit(a) => relayhunt_audit::cli::run(a),
        Command::Whois(a) => relayhunt_takedown::cli::run_whois(a),
        Command::Report(a) => relayhunt_takedown::cli::run_report(a),
        Command::Canary(a) => relayhunt_probe::cli::run_canary(a),
    };
    ExitCode::from(code)
}
