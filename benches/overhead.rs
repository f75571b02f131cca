//! Per-call overhead of `#[llm_call]` against the hand-written equivalents, side by side in one
//! run: raw `opentelemetry_sdk` code, `tracing` + `tracing-opentelemetry`, and a bare call.
//! Every instrumented variant writes the same 15 GenAI attributes through a batch processor
//! into a no-op exporter.
//!
//! Run: `cargo bench --bench overhead`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

mod common;
use common::*;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tracing_subscriber::layer::SubscriberExt as _;

fn overhead(c: &mut Criterion) {
    let req = request();
    let mut group = c.benchmark_group("overhead");
    group.measurement_time(Duration::from_secs(4));
    group.warm_up_time(Duration::from_secs(1));

    group.bench_function("bare", |b| b.iter(|| simulated_call(black_box(&req))));

    let sampled = provider(Sampler::AlwaysOn);
    {
        let _scope = llmscope::scoped(&sampled).attach();
        group.bench_function("llm_call", |b| b.iter(|| annotated(black_box(&req))));
    }
    // Recorded, with the default sampler known to llmscope (its early check runs first).
    let known = llmscope::Sampler::default_sampler();
    let sampled_known = provider_sampled_by(&known);
    {
        let _scope = llmscope::scoped(&sampled_known).attach();
        group.bench_function("llm_call_known_sampler", |b| {
            b.iter(|| annotated(black_box(&req)))
        });
    }

    let tracer = sampled.tracer("bench");
    group.bench_function("raw_sdk", |b| b.iter(|| raw_sdk(&tracer, black_box(&req))));
    group.bench_function("raw_sdk_with_cost", |b| {
        b.iter(|| raw_sdk_with_cost(&tracer, black_box(&req)))
    });

    let layer_provider = provider(Sampler::AlwaysOn);
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(layer_provider.tracer("bench")));
    tracing::subscriber::with_default(subscriber, || {
        group.bench_function("tracing_opentelemetry", |b| {
            b.iter(|| with_tracing(black_box(&req)))
        });
        group.bench_function("tracing_opentelemetry_with_cost", |b| {
            b.iter(|| with_tracing_and_cost(black_box(&req)))
        });
    });

    // Dropped by a sampler llmscope knows (what `llmscope::init` sets up): decided before
    // anything is built.
    let off = llmscope::Sampler::always_off();
    let dropped_early = provider_sampled_by(&off);
    {
        let _scope = llmscope::scoped(&dropped_early).attach();
        group.bench_function("llm_call_unsampled", |b| {
            b.iter(|| annotated(black_box(&req)))
        });
    }
    // Parent-based sampling inside a request whose trace is not sampled.
    let parent_based = llmscope::Sampler::default_sampler();
    let under_unsampled = provider_sampled_by(&parent_based);
    {
        let _caller = unsampled_caller().attach();
        let _scope = llmscope::scoped(&under_unsampled).attach();
        group.bench_function("llm_call_unsampled_caller", |b| {
            b.iter(|| annotated(black_box(&req)))
        });
    }
    // Dropped by an SDK sampler llmscope does not know: the SDK decides on the built span.
    let dropped = provider(Sampler::AlwaysOff);
    {
        let _scope = llmscope::scoped(&dropped).attach();
        group.bench_function("llm_call_unsampled_sdk_sampler", |b| {
            b.iter(|| annotated(black_box(&req)))
        });
    }
    let dropped_tracer = dropped.tracer("bench");
    group.bench_function("raw_sdk_unsampled", |b| {
        b.iter(|| raw_sdk(&dropped_tracer, black_box(&req)))
    });

    group.bench_function("llm_call_no_provider", |b| {
        b.iter(|| annotated(black_box(&req)))
    });
    group.bench_function("tracing_instrument_no_subscriber", |b| {
        b.iter(|| tracing_instrumented(black_box(&req)))
    });

    // Last: a process-wide install cannot be undone.
    llmscope::install(&sampled).expect("first install");
    group.bench_function("llm_call_global_install", |b| {
        b.iter(|| annotated(black_box(&req)))
    });
    group.finish();
    let _ = sampled.shutdown();
    let _ = layer_provider.shutdown();
}

/// The same comparison through the simple (synchronous) processor: no background thread and
/// no queue, so the figures are steadier and show the per-call work itself.
fn overhead_simple(c: &mut Criterion) {
    let req = request();
    let mut group = c.benchmark_group("overhead_simple");
    group.measurement_time(Duration::from_secs(4));
    group.warm_up_time(Duration::from_secs(1));
    let simple = || {
        SdkTracerProvider::builder()
            .with_simple_exporter(NoopExporter)
            .build()
    };

    let sampled = simple();
    {
        let _scope = llmscope::scoped(&sampled).attach();
        group.bench_function("llm_call", |b| b.iter(|| annotated(black_box(&req))));
    }
    let tracer = sampled.tracer("bench");
    group.bench_function("raw_sdk", |b| b.iter(|| raw_sdk(&tracer, black_box(&req))));
    group.bench_function("raw_sdk_with_cost", |b| {
        b.iter(|| raw_sdk_with_cost(&tracer, black_box(&req)))
    });
    let layer_provider = simple();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(layer_provider.tracer("bench")));
    tracing::subscriber::with_default(subscriber, || {
        group.bench_function("tracing_opentelemetry", |b| {
            b.iter(|| with_tracing(black_box(&req)))
        });
        group.bench_function("tracing_opentelemetry_with_cost", |b| {
            b.iter(|| with_tracing_and_cost(black_box(&req)))
        });
    });
    group.finish();
}

criterion_group!(benches, overhead_simple, overhead);
criterion_main!(benches);
