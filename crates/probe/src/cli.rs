//! Command-line surface of this capability: clap arguments and the `run` entry point.

/// Arguments of the subcommand.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run the subcommand; returns the process exit code (0 ok, 1 findings, 2 error).
pub fn run(_args: Args) -> u8 {
    eprintln!("relayhunt: this subcommand is not built yet");
    2
}

/// Arguments of `relayhunt canary`.
#[derive(Debug, clap::Args)]
pub struct CanaryArgs {}

/// Run `canary`; returns the exit code.
pub fn run_canary(_args: CanaryArgs) -> u8 {
    eprintln!("relayhunt: canary is not built yet");
    2
}
