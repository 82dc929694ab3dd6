//! Parser throughput over every `Received:` header of the shared corpus.
//!
//! `cargo run --release -p relayhunt-received --example throughput [CORPUS_DIR]`
//! Prints headers/s and MB/s of header text (single thread), best of five passes.
//! The criterion bench (`cargo bench -p relayhunt-received --bench parse`) measures the same
//! work with confidence intervals.

#[path = "../benches/support/corpus.rs"]
mod corpus;

use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let dir = corpus::corpus_dir(std::env::args().nth(1).map(PathBuf::from));
    let headers = corpus::received_headers(&dir);
    let bytes: usize = headers.iter().map(String::len).sum();
    let mut best = f64::MAX;
    let mut with_ip = 0;
    for _ in 0..5 {
        let t = Instant::now();
        with_ip = 0;
        for h in &headers {
            with_ip += usize::from(
                std::hint::black_box(relayhunt_received::parse(h))
                    .from
                    .ip
                    .is_some(),
            );
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "{} headers, {:.1} MB, best pass {:.3} s: {:.0} headers/s, {:.1} MB/s (client IP on {})",
        headers.len(),
        bytes as f64 / 1e6,
        best,
        headers.len() as f64 / best,
        bytes as f64 / 1e6 / best,
        with_ip
    );
}
