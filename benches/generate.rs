//! The generate pipeline, phase by phase: catalog load (whole, and one persona's part),
//! renderer set-up, resolve, compose, render of one policy (tera, parse back, check), the whole
//! of `generate` (compose, pack, render, lint) and each output format.
//!
//! `cargo bench --bench generate`. Whole-process time is measured with hyperfine
//! (`benches/compare-policy-sentry.sh`).

use criterion::{criterion_group, criterion_main, Criterion};
use mlrole::catalog::Catalog;
use mlrole::compose::{self, Target};
use mlrole::generate::{self, Format};
use mlrole::render::Renderer;
use mlrole::request::{FieldLabels, RoleSpec};
use std::hint::black_box;

fn data_scientist() -> RoleSpec {
    RoleSpec {
        persona: Some("data-scientist".into()),
        account: Some("111122223333".into()),
        region: Some("us-east-1".into()),
        buckets: vec!["my-ml-data".into()],
        pass_roles: vec!["arn:aws:iam::111122223333:role/service-role/SageMaker-Compute".into()],
        ..RoleSpec::default()
    }
}

fn bench(c: &mut Criterion) {
    c.bench_function("catalog load (built-in)", |b| {
        b.iter(|| Catalog::load(black_box(None)))
    });
    c.bench_function("catalog load, data-scientist's part (built-in)", |b| {
        b.iter(|| Catalog::load_for(black_box(None), Some("data-scientist"), &[]))
    });
    c.bench_function("renderer set-up (built-in templates)", |b| {
        b.iter(|| Renderer::new(black_box(None)))
    });
    let Ok(catalog) = Catalog::load(None) else {
        panic!("the built-in catalog loads");
    };
    let Ok(renderer) = Renderer::new(None) else {
        panic!("the built-in templates load");
    };
    let spec = data_scientist();
    let Ok(request) = spec.resolve(&catalog, &FieldLabels::default()) else {
        panic!("the data scientist spec resolves");
    };
    c.bench_function("resolve data-scientist spec", |b| {
        b.iter(|| spec.resolve(black_box(&catalog), &FieldLabels::default()))
    });
    c.bench_function("compose data-scientist", |b| {
        b.iter(|| compose::compose(&catalog, black_box(&request), Target::Policy))
    });
    let Ok(plan) = compose::compose(&catalog, &request, Target::Policy) else {
        panic!("the data scientist composes");
    };
    let Ok(packed) = mlrole::policy::pack(
        &plan.statements,
        mlrole::policy::MANAGED_POLICY_LIMIT,
        request.max_policies,
    ) else {
        panic!("the data scientist's statements pack");
    };
    let mut context = tera::Context::new();
    context.insert("policy_name", "SageMaker-DataScientist-permissions-1");
    context.insert("role", &plan.role);
    context.insert("statements", &packed[0]);
    let _ = renderer.render_policy("permission-policy.json.tera", &context);
    c.bench_function(
        "render data-scientist's first permission policy (tera, parse back, check)",
        |b| b.iter(|| renderer.render_policy("permission-policy.json.tera", black_box(&context))),
    );
    // Warm the IAM reference (decoded lazily per service) outside the timed loops.
    let _ = generate::generate(&catalog, &renderer, &request);
    c.bench_function(
        "generate data-scientist (compose, pack, render, lint)",
        |b| b.iter(|| generate::generate(&catalog, &renderer, black_box(&request))),
    );
    for format in Format::ALL {
        c.bench_function(
            &format!("produce data-scientist --format {}", format.as_str()),
            |b| {
                b.iter(|| {
                    generate::produce(&catalog, &renderer, black_box(&request), format, false)
                })
            },
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
