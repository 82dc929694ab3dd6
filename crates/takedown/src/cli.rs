//! Command-line surface of the takedown: `whois` and `report`.

/// Arguments of `relayhunt whois`.
#[derive(Debug, clap::Args)]
pub struct WhoisArgs {}

/// Arguments of `relayhunt report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {}

/// Run `whois`; returns the exit code.
pub fn run_whois(_args: WhoisArgs) -> u8 {
    eprintln!("relayhunt: whois is not built yet");
    2
}

/// Run `report`; returns the exit code.
pub fn run_report(_args: ReportArgs) -> u8 {
    eprintln!("relayhunt: report is not built yet");
    2
}
