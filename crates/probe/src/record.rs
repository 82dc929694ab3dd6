//! `probe --store`: the hook through which probe results are kept.
//!
//! The store crate builds on this one, so this crate only says what is handed over; the
//! binary passes the store's implementation in. Results arrive as targets finish (not in
//! target order); each is handed over at once, so a run cut short keeps what it finished.

use crate::scan::ScanSummary;
use crate::TargetResult;

/// Somewhere probe runs are kept.
pub trait ProbeRecorder {
    /// A run starts; `options` sums up the settings in force, for people.
    fn start(&mut self, options: &str) -> Result<(), String>;
    /// One target was probed.
    fn result(&mut self, result: &TargetResult) -> Result<(), String>;
    /// One target could not be probed (no address, DNS failure).
    fn failure(&mut self, target: &str, reason: &str) -> Result<(), String>;
    /// The run is over. Returns one line for stderr saying what was kept.
    fn finish(&mut self, summary: &ScanSummary) -> Result<String, String>;
}
