//! The realistic call (issue 15), side by side in one run: `#[llm_call]`, the hand-written raw
//! OpenTelemetry SDK code recording the same data, `tracing` + `tracing-opentelemetry` with
//! the same fields, and the floor (a 15-field record pushed into a per-thread ring). Each
//! instrumented variant runs through the pipeline `llmscope::init()` builds (llmscope's batch
//! processor, default sampler; group `realistic`) and through the SDK's simple processor
//! (group `realistic_simple`), both into a no-op exporter. The call: `benches/common/realistic.rs`.
//!
//! Each variant runs twice: back to back (`…`: a saturated loop, which measures throughput —
//! the work done on every thread shares the two cores), and paced (`paced/…`: 20 µs of other
//! work on the caller's thread between two calls, only the call timed), which measures what the
//! caller pays when llmscope's processing thread keeps up, as with real model calls that last
//! milliseconds.
//!
//! Run: `cargo bench --bench realistic`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use opentelemetry::trace::TracerProvider as _;
use tracing_subscriber::layer::SubscriberExt as _;

mod common;
use common::realistic::{annotated, floor, raw_sdk, request, with_tracing};
use common::{init_style_provider, simple_provider};

/// Other work of the caller's between two calls (not timed).
const BETWEEN_CALLS: Duration = Duration::from_micros(20);

/// Times `call` alone, with [`BETWEEN_CALLS`] of spinning before each.
fn paced<R>(iterations: u64, mut call: impl FnMut() -> R) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iterations {
        let until = Instant::now() + BETWEEN_CALLS;
        while Instant::now() < until {
            std::hint::spin_loop();
        }
        let started = Instant::now();
        black_box(call());
        total += started.elapsed();
    }
    total
}

fn variants(
    c: &mut Criterion,
    group_name: &str,
    make: fn(&llmscope::Sampler) -> llmscope::SampledProvider,
) {
    let req = request();
    let mut group = c.benchmark_group(group_name);
    group.measurement_time(Duration::from_secs(3));
    group.warm_up_time(Duration::from_secs(1));
    let sampler = llmscope::Sampler::default_sampler();

    let provider = make(&sampler);
    {
        let _scope = llmscope::scoped(&provider).attach();
        group.bench_function("llm_call", |b| b.iter(|| annotated(black_box(&req))));
        group.bench_function("paced/llm_call", |b| {
            b.iter_custom(|n| paced(n, || annotated(black_box(&req))))
        });
    }
    // As `llmscope::init()` installs it: processed on llmscope's processing thread.
    let deferred = make(&sampler).deferred();
    {
        let _scope = llmscope::scoped(&deferred).attach();
        group.bench_function("llm_call_deferred", |b| {
            b.iter(|| annotated(black_box(&req)))
        });
        group.bench_function("paced/llm_call_deferred", |b| {
            b.iter_custom(|n| paced(n, || annotated(black_box(&req))))
        });
    }
    llmscope::flush_processing();
    let tracer = provider.tracer("bench");
    group.bench_function("raw_sdk", |b| b.iter(|| raw_sdk(&tracer, black_box(&req))));
    group.bench_function("paced/raw_sdk", |b| {
        b.iter_custom(|n| paced(n, || raw_sdk(&tracer, black_box(&req))))
    });
    let layer_provider = make(&sampler);
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(layer_provider.tracer("bench")));
    tracing::subscriber::with_default(subscriber, || {
        group.bench_function("tracing_opentelemetry", |b| {
            b.iter(|| with_tracing(black_box(&req)))
        });
        group.bench_function("paced/tracing_opentelemetry", |b| {
            b.iter_custom(|n| paced(n, || with_tracing(black_box(&req))))
        });
    });
    group.bench_function("floor", |b| b.iter(|| floor(black_box(&req))));
    group.bench_function("paced/floor", |b| {
        b.iter_custom(|n| paced(n, || floor(black_box(&req))))
    });
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
