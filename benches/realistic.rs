//! The realistic call (issue 15), side by side in one run: `#[llm_call]`, the hand-written raw
//! OpenTelemetry SDK code recording the same data, `tracing` + `tracing-opentelemetry` with
//! the same fields, and the floor (a 15-field record pushed into a per-thread ring). Each
//! instrumented variant runs through the pipeline `llmscope::init()` builds (llmscope's batch
//! processor, default sampler; group `realistic`) and through the SDK's simple processor
//! (group `realistic_simple`), both into a no-op exporter. The call: `benches/common/realistic.rs`.
//!
//! Run: `cargo bench --bench realistic`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt as _;

mod common;
use common::realistic::{annotated, floor, raw_sdk, request, with_tracing};
use common::{init_style_provider, simple_provider};

fn variants(
    c: &mut Criterion,
    group_name: &str,
    make: fn(&llmscope::Sampler) -> SdkTracerProvider,
) {
    let req = request();
    let mut group = c.benchmark_group(group_name);
    group.measurement_time(Duration::from_secs(4));
    group.warm_up_time(Duration::from_secs(1));
    let sampler = llmscope::Sampler::default_sampler();

    let provider = make(&sampler);
    {
        let _scope = llmscope::scoped_with_sampler(&provider, &sampler).attach();
        group.bench_function("llm_call", |b| b.iter(|| annotated(black_box(&req))));
    }
    // As `llmscope::init()` installs it: processed on llmscope's processing thread.
    let deferred = make(&sampler);
    {
        let _scope = llmscope::scoped_deferred(&deferred, &sampler).attach();
        group.bench_function("llm_call_deferred", |b| {
            b.iter(|| annotated(black_box(&req)))
        });
    }
    llmscope::flush_processing();
    let tracer = provider.tracer("bench");
    group.bench_function("raw_sdk", |b| b.iter(|| raw_sdk(&tracer, black_box(&req))));
    let layer_provider = make(&sampler);
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(layer_provider.tracer("bench")));
    tracing::subscriber::with_default(subscriber, || {
        group.bench_function("tracing_opentelemetry", |b| {
            b.iter(|| with_tracing(black_box(&req)))
        });
    });
    group.bench_function("floor", |b| b.iter(|| floor(black_box(&req))));
    group.finish();
    let _ = provider.shutdown();
    let _ = deferred.shutdown();
    let _ = layer_provider.shutdown();
}

fn realistic(c: &mut Criterion) {
    variants(c, "realistic", init_style_provider);
}

fn realistic_simple(c: &mut Criterion) {
    variants(c, "realistic_simple", simple_provider);
}

criterion_group!(benches, realistic, realistic_simple);
criterion_main!(benches);
