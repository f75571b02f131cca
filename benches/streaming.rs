//! Per-chunk overhead of a streamed `#[llm_call]` next to the bare stream it wraps.
//!
//! Each variant consumes a stream of pre-parsed OpenAI `chat.completion.chunk`s (one text
//! delta each, the last one with the usage), polled directly (no executor). The stream is
//! measured at 100 and at 1,000 chunks; the per-chunk cost is the difference divided by 900,
//! which removes the per-call cost (span start and end, pricing) from the figure.
//!
//! Run: `cargo bench --bench streaming`

use std::hint::black_box;
use std::pin::pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use futures::stream::{self, Stream};

mod common;
use common::*;

/// One chunk, as `serde` gives it: id, model, one choice with a text delta.
#[derive(Debug, llmscope::Usage)]
struct Chunk {
    #[usage(response_id)]
    id: String,
    #[usage(response_model)]
    model: String,
    #[usage(flatten)]
    choices: Vec<Choice>,
    #[usage(flatten)]
    usage: Option<ChunkUsage>,
}

#[derive(Debug, llmscope::Usage)]
struct Choice {
    #[usage(completion)]
    content: Option<String>,
    #[usage(finish_reason)]
    finish_reason: Option<String>,
}

#[derive(Debug, llmscope::Usage)]
struct ChunkUsage {
    #[usage(input_tokens)]
    prompt_tokens: u64,
    #[usage(output_tokens)]
    completion_tokens: u64,
}

/// `count` chunks of a completion: a word each, a finish reason and the usage on the last.
fn chunks(count: usize) -> Vec<Chunk> {
    (0..count)
        .map(|index| {
            let last = index + 1 == count;
            Chunk {
                id: "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG".to_owned(),
                model: "gpt-4o-mini-2024-07-18".to_owned(),
                choices: vec![Choice {
                    content: Some(if last {
                        String::new()
                    } else {
                        " word".to_owned()
                    }),
                    finish_reason: last.then(|| "stop".to_owned()),
                }],
                usage: last.then_some(ChunkUsage {
                    prompt_tokens: 1_200,
                    completion_tokens: count as u64,
                }),
            }
        })
        .collect()
}

fn bare(chunks: &[Chunk]) -> impl Stream<Item = &Chunk> {
    stream::iter(chunks)
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini")]
fn annotated(chunks: &[Chunk]) -> impl Stream<Item = &Chunk> {
    stream::iter(chunks)
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini", usage = false)]
fn annotated_without_usage(chunks: &[Chunk]) -> impl Stream<Item = &Chunk> {
    stream::iter(chunks)
}

/// Polls `stream` to its end without an executor.
fn drain<S: Stream>(stream: S) -> usize {
    let mut stream = pin!(stream);
    let mut task = TaskContext::from_waker(std::task::Waker::noop());
    let mut count = 0;
    while let Poll::Ready(Some(item)) = stream.as_mut().poll_next(&mut task) {
        black_box(item);
        count += 1;
    }
    count
}

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
            |b, input| b.iter(|| drain(annotated(black_box(input)))),
        );
        // Recorded (always on, batch processor into a no-op exporter).
        let sampled = provider(opentelemetry_sdk::trace::Sampler::AlwaysOn);
        {
            let _scope = llmscope::scoped(&sampled).attach();
            group.bench_with_input(
                BenchmarkId::new("llm_call_recorded", count),
                &input,
                |b, input| b.iter(|| drain(annotated(black_box(input)))),
            );
            group.bench_with_input(
                BenchmarkId::new("llm_call_recorded_usage_false", count),
                &input,
                |b, input| b.iter(|| drain(annotated_without_usage(black_box(input)))),
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
                |b, input| b.iter(|| drain(annotated(black_box(input)))),
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
                |b, input| b.iter(|| drain(annotated(black_box(input)))),
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
}

criterion_group!(benches, streaming);
criterion_main!(benches);
