//! Command-line surface of the takedown: `whois` and `report`.
//!
//! Flags are parsed by clap (`args`), turned into a lookup engine (`engine`), and the work
//! is done by the library; `render` prints owners and domains for people. Per-target errors
//! are printed and change the exit status without stopping a batch (0 ok, 1 finding — a
//! newly registered domain —, 2 error).

mod args;
mod engine;
mod owner_hook;
mod render;
mod report_cmd;
mod whois_cmd;

pub use args::{LookupArgs, ReportArgs, WhoisArgs, WhoisFormat, MAX_MESSAGE};
pub use owner_hook::{AnalyzeOwnerLookup, OwnerArgs};
pub use render::render_owner;
pub use report_cmd::{run_report, run_report_with};
pub use whois_cmd::{run_whois, run_whois_to};
