//! Fuzz target: arbitrary bytes as a whole raw message through the analyzer (header split,
//! every `Received:` parsed, chain, trust boundary, findings). Any panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let cfg = relayhunt_analyze::Config::default();
    let _ = relayhunt_analyze::analyze_bytes(data, &cfg);
});
