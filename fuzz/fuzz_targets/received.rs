//! Fuzz target: arbitrary bytes, decoded lossily as a message reader would, into the
//! `Received:` parser. Any panic, hang or runaway allocation is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let value = String::from_utf8_lossy(data);
    let hop = relayhunt_received::parse(&value);
    assert!(hop.raw.len() <= relayhunt_received::MAX_RECEIVED_LEN);
});
