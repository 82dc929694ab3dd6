//! `analyze --store`: the hook through which analysed messages are kept.
//!
//! The store crate builds on this one, so this crate only defines where analysed messages
//! go; the binary passes the store's implementation in. The recorder sees every analysed
//! message in input order, after the owner lookup (`--owner`), whether or not anything is
//! printed (`--quiet` still records). Its JSON document comes pre-rendered by the analysis
//! worker in [`Analyzed::line`] unless owners or verification notes were added afterwards.

use crate::batch::Analyzed;

/// Somewhere analysed messages are kept.
pub trait Recorder {
    /// Keep one analysed message. An `Err` (what failed and where) stops the run, which
    /// then exits 2; what was recorded before stays recorded.
    fn record(&mut self, analyzed: &Analyzed) -> Result<(), String>;

    /// The batch is over: make everything recorded durable. Returns one line for stderr
    /// saying what was kept.
    fn finish(&mut self) -> Result<String, String>;
}
