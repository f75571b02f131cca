//! Per-chunk overhead of a streamed `#[llm_call]` next to the bare stream it wraps.
//!
//! Each variant consumes a stream of pre-parsed OpenAI `chat.completion.chunk`s (one text
//! delta each, the last one with the usage), polled directly (no executor). The stream is
//! measured at 100 and at 1,000 chunks; the per-chunk cost is the difference divided by 900,
//! which removes the per-call cost (span start and end, pricing) from the figure. The group
//! `streaming_installed` records through a provider installed as `llmscope::init()` installs
//! its own (the other recorded variants use a scoped provider). Each group also drains the
//! hand-written floor, `otel_with_context`: a raw SDK span made current per poll by
//! OpenTelemetry's own `WithContext`, recording nothing per chunk, under the same context.
//!
//! Run: `cargo bench --bench streaming`

use std::hint::black_box;
use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

mod common;
use common::*;
mod streaming_common;
use streaming_common::*;

fn streaming(c: &mut Criterion) {
    let mut group = c.benchmark_group("streaming");
    group.measurement_time(Duration::from_secs(3));
    group.warm_up_time(Duration::from_secs(1));
    for count in [100_usize, 1_000] {
        let input = chunks(count);
        group.throughput(Throughput::Elements(count as u64));
        group.bench_with_input(BenchmarkId::new("bare", count), &input, |b, input| {
            b.iter(|| drain(bare(black_box(input))))
        });
        // No provider installed: the wrapper is off.
        group.bench_with_input(
            BenchmarkId::new("llm_call_no_provider", count),
            &input,
            |b, input| b.iter(|| drain(streamed(black_box(input)))),
        );
        // Recorded (always on, batch processor into a no-op exporter).
        let sampled = provider(opentelemetry_sdk::trace::Sampler::AlwaysOn);
        {
            let _scope = llmscope::scoped(&sampled).attach();
            group.bench_with_input(
                BenchmarkId::new("llm_call_recorded", count),
                &input,
                |b, input| b.iter(|| drain(streamed(black_box(input)))),
            );
            group.bench_with_input(
                BenchmarkId::new("llm_call_recorded_usage_false", count),
                &input,
                |b, input| b.iter(|| drain(streamed_without_usage(black_box(input)))),
            );
            let tracer = sampled.tracer("hand-written");
            group.bench_with_input(
                BenchmarkId::new("otel_with_context", count),
                &input,
                |b, input| b.iter(|| drain(with_otel_context(&tracer, black_box(input)))),
            );
        }
        // Unsampled inside a trace that is not sampled (parent-based): the wrapper is off.
        let parent_based = llmscope::Sampler::default_sampler();
        let under_unsampled = provider_sampled_by(&parent_based);
        {
            let _caller = unsampled_caller().attach();
            let _scope = llmscope::scoped(&under_unsampled).attach();
            group.bench_with_input(
                BenchmarkId::new("llm_call_unsampled_caller", count),
                &input,
                |b, input| b.iter(|| drain(streamed(black_box(input)))),
            );
        }
        // Unsampled at the root of a trace (dropped by a sampler llmscope knows).
        let off = llmscope::Sampler::always_off();
        let dropped = provider_sampled_by(&off);
        {
            let _scope = llmscope::scoped(&dropped).attach();
            group.bench_with_input(
                BenchmarkId::new("llm_call_unsampled_root", count),
                &input,
                |b, input| b.iter(|| drain(streamed(black_box(input)))),
            );
        }
    }
    group.finish();
    // What the two unavoidable per-chunk steps of a recorded stream cost on their own.
    let mut parts = c.benchmark_group("streaming_parts");
    parts.bench_function("instant_now", |b| b.iter(std::time::Instant::now));
    let sampled = provider(opentelemetry_sdk::trace::Sampler::AlwaysOn);
    let cx = llmscope::scoped(&sampled);
    parts.bench_function("context_attach", |b| {
        b.iter(|| drop(black_box(cx.clone().attach())))
    });
    parts.finish();
    // Recorded through a provider installed as `llmscope::init()` installs its own (default
    // sampler known to llmscope, deferred processing, batch processor): the call's context holds
    // the span only. Last, since an installed provider stays for the process.
    let mut installed = c.benchmark_group("streaming_installed");
    installed.measurement_time(Duration::from_secs(3));
    installed.warm_up_time(Duration::from_secs(1));
    let init_style = init_style_provider(&llmscope::Sampler::default_sampler()).deferred();
    llmscope::install(&init_style).expect("the first provider installed");
    let tracer = init_style.provider().tracer("hand-written");
    for count in [100_usize, 1_000] {
        let input = chunks(count);
        installed.throughput(Throughput::Elements(count as u64));
        installed.bench_with_input(
            BenchmarkId::new("llm_call_recorded", count),
            &input,
            |b, input| b.iter(|| drain(streamed(black_box(input)))),
        );
        installed.bench_with_input(
            BenchmarkId::new("otel_with_context", count),
            &input,
            |b, input| b.iter(|| drain(with_otel_context(&tracer, black_box(input)))),
        );
    }
    installed.finish();
}

criterion_group!(benches, streaming);
criterion_main!(benches);
