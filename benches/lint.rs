//! Lints a typical 30-statement SageMaker execution-role policy.
//!
//! `cargo bench --bench lint`. The reference is loaded once before timing,
//! so this measures the linter itself; process start-up is measured with
//! hyperfine (see reference/BENCHMARKS.md).

use criterion::{criterion_group, criterion_main, Criterion};
use mlrole::lint::{self, DocumentKind};
use std::hint::black_box;

const POLICY: &str = include_str!("../tests/lint/bench/sagemaker-30-statements.json");
const BUNDLE: &str = include_str!("../tests/lint/good/bundle.json");

fn bench(c: &mut Criterion) {
    // Decode the services the policy uses outside the timed loop.
    let _ = lint::lint_document(POLICY, DocumentKind::Identity);
    c.bench_function("lint 30-statement SageMaker policy", |b| {
        b.iter(|| lint::lint_document(black_box(POLICY), DocumentKind::Identity))
    });
    c.bench_function("lint bundle", |b| {
        b.iter(|| lint::lint_file_contents(black_box(BUNDLE)))
    });
    c.bench_function("summary 30-statement SageMaker policy", |b| {
        b.iter(|| lint::summary(black_box(POLICY)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
