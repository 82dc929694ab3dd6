//! Start an open and a closed Postfix on loopback (through the MTA harness), both delivering
//! only to the loopback sink port given, print their ports, and keep them running until stdin
//! closes. Used by `bench/probe/run.sh`.
//!
//! Usage: `mta_pair SINK_PORT` → prints `open=PORT closed=PORT` on one line.

use relayhunt_mta_harness::{Postfix, PostfixConfig};
use std::io::Read;

fn main() {
    let sink: u16 = match std::env::args().nth(1).and_then(|p| p.parse().ok()) {
        Some(p) => p,
        None => {
            eprintln!("usage: mta_pair SINK_PORT");
            std::process::exit(2);
        }
    };
    if !Postfix::available() {
        eprintln!("mta_pair: Postfix is not installed (run scripts/install-test-deps.sh)");
        std::process::exit(2);
    }
    let open = Postfix::start(PostfixConfig::open(), sink).unwrap_or_else(|e| {
        eprintln!("mta_pair: cannot start the open Postfix: {e:#}");
        std::process::exit(1)
    });
    let closed = Postfix::start(PostfixConfig::closed(), sink).unwrap_or_else(|e| {
        eprintln!("mta_pair: cannot start the closed Postfix: {e:#}");
        std::process::exit(1)
    });
    println!("open={} closed={}", open.port, closed.port);
    let mut buf = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut buf);
    drop(open);
    drop(closed);
}
