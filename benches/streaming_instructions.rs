//! Per-chunk cost of a streamed `#[llm_call]`, measured two ways that hold up on a loaded
//! machine where criterion's wall-clock medians swing by 2×:
//!
//! - `streaming_instructions <variant> <chunks> <calls>` drains `calls` streams of `chunks`
//!   chunks once; `scripts/streaming_instructions.sh` runs it under valgrind at 100 and 1,000
//!   chunks and prints the instructions per chunk (the difference divided by 900);
//! - `streaming_instructions <variant> time` prints the per-chunk time from the *fastest* of
//!   many drains at 100 and at 1,000 chunks (a drain that was preempted is never the fastest).
//!
//! The streams and calls are those of `benches/streaming.rs` (`benches/streaming_common`).
//! Variants: `bare`, `no_provider`, `unsampled_root`, `recorded` (a scoped provider: the
//! call's context carries the scope and the span), `recorded_global` (an installed provider:
//! the context carries the span only), `recorded_usage_false`, and the hand-written floor
//! `otel_with_context` / `otel_with_context_global` (a raw SDK span made current per poll by
//! OpenTelemetry's `WithContext`, nothing recorded per chunk; with the scope / span only).

use std::hint::black_box;

use opentelemetry::trace::TracerProvider as _;
use std::time::{Duration, Instant};

mod common;
use common::*;
mod streaming_common;
use streaming_common::*;

/// The raw SDK tracer of the `otel_with_context` variants.
static TRACER: std::sync::OnceLock<opentelemetry_sdk::trace::SdkTracer> =
    std::sync::OnceLock::new();

/// Drains one stream of `input` through `variant`.
fn run(variant: &str, input: &[Chunk]) -> usize {
    match variant {
        "bare" => drain(bare(black_box(input))),
        "otel_with_context" | "otel_with_context_global" => drain(with_otel_context(
            TRACER.get().expect("set in main"),
            black_box(input),
        )),
        "recorded_usage_false" => drain(streamed_without_usage(black_box(input))),
        _ => drain(streamed(black_box(input))),
    }
}

/// The fastest of `rounds` drains of `input`.
fn fastest(variant: &str, input: &[Chunk], rounds: usize) -> Duration {
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            black_box(run(variant, input));
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let variant = args.next().unwrap_or_default();
    let mode = args.next().unwrap_or_default();
    let calls = args.next().and_then(|calls| calls.parse::<usize>().ok());
    // Under `cargo bench` (no variant given, `--bench` passed) there is nothing to measure.
    if ![
        "bare",
        "no_provider",
        "unsampled_root",
        "recorded",
        "recorded_global",
        "recorded_usage_false",
        "otel_with_context",
        "otel_with_context_global",
    ]
    .contains(&variant.as_str())
    {
        eprintln!(
            "usage: streaming_instructions <variant> (<chunks> <calls> | time) \
             (see scripts/streaming_instructions.sh)"
        );
        return;
    }
    let sampled = provider(opentelemetry_sdk::trace::Sampler::AlwaysOn);
    let off = llmscope::Sampler::always_off();
    let dropped = provider_sampled_by(&off);
    let _scope = match variant.as_str() {
        "recorded" | "recorded_usage_false" | "otel_with_context" => {
            Some(llmscope::scoped(&sampled).attach())
        }
        "unsampled_root" => Some(llmscope::scoped(&dropped).attach()),
        "recorded_global" => {
            llmscope::install(&sampled).expect("the first provider installed");
            None
        }
        _ => None,
    };
    TRACER.get_or_init(|| sampled.tracer("hand-written"));
    if mode == "time" {
        let small = chunks(100);
        let large = chunks(1_000);
        // Warm up, then take the fastest of many drains of each length.
        fastest(&variant, &large, 200);
        let small_time = fastest(&variant, &small, 2_000);
        let large_time = fastest(&variant, &large, 2_000);
        let per_chunk = (large_time.as_secs_f64() - small_time.as_secs_f64()) / 900.0 * 1e9;
        println!(
            "{variant:<22} 100: {:>9.0} ns  1000: {:>9.0} ns  per chunk: {per_chunk:>6.1} ns",
            small_time.as_secs_f64() * 1e9,
            large_time.as_secs_f64() * 1e9,
        );
        return;
    }
    let count = mode.parse::<usize>().expect("a chunk count");
    let input = chunks(count);
    for _ in 0..calls.unwrap_or(1) {
        black_box(run(&variant, &input));
    }
}
