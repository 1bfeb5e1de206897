//! Throughput of the classifier on one core, and the time to load the built-in model.
//! `cargo bench -p sos-domain --bench classify`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sos_domain::classify::{Classifier, Model, model::BUILTIN_MODEL};
use sos_domain::evaluate::parse_corpus;
use std::hint::black_box;

fn classify(c: &mut Criterion) {
    let model = Model::builtin();
    let texts: Vec<String> = parse_corpus(include_str!("../data/heldout.jsonl"))
        .expect("the held-out corpus parses")
        .into_iter()
        .map(|l| l.text)
        .collect();
    let mut group = c.benchmark_group("classifier");
    group.throughput(Throughput::Elements(texts.len() as u64));
    group.bench_function("classify held-out reports", |b| {
        b.iter(|| {
            for text in &texts {
                black_box(model.classify(black_box(text)));
            }
        })
    });
    group.finish();
    c.bench_function("load built-in model", |b| {
        b.iter(|| Model::from_json(black_box(BUILTIN_MODEL)).expect("valid"))
    });
}

criterion_group!(benches, classify);
criterion_main!(benches);
