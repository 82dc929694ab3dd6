//! Criterion bench of `relayhunt_received::parse` over every `Received:` header of the
//! shared corpus (16,000+ real headers of every dialect), reported in headers/s.
//!
//! `cargo bench -p relayhunt-received --bench parse`

#[path = "support/corpus.rs"]
mod corpus;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

fn parse_corpus(c: &mut Criterion) {
    let dir = corpus::corpus_dir(None);
    let headers = corpus::received_headers(&dir);
    assert!(
        !headers.is_empty(),
        "no Received: headers under {} (set RELAYHUNT_SHARED to the shared folder)",
        dir.display()
    );
    let mut g = c.benchmark_group("received");
    g.throughput(Throughput::Elements(headers.len() as u64));
    g.sample_size(20);
    g.bench_function("parse_corpus", |b| {
        b.iter(|| {
            let mut with_ip = 0usize;
            for h in &headers {
                with_ip += usize::from(relayhunt_received::parse(black_box(h)).from.ip.is_some());
            }
            with_ip
        })
    });
    g.finish();
}

criterion_group!(benches, parse_corpus);
criterion_main!(benches);
