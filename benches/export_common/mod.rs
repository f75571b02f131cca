//! Export path throughput, shared by the `export` (mimalloc global allocator) and
//! `export_system` (the system allocator, glibc malloc on Linux) benches: a burst of 1M spans
//! (10 GenAI-like attributes each) through the batch path into a no-op exporter, with the spans/s
//! offered, the share dropped and the peak RSS of the process. Each case runs in a fresh child
//! process so peak RSS is its own. Cases: `llmscope` (our `BatchProcessor`, defaults) and
//! `sdk-default` (the SDK's `BatchSpanProcessor`, defaults), from one producer thread or two
//! (`x2`); `no-export` drops each span in `on_end`: the cost of creating spans, the ceiling of
//! any processor.
//!
//! Run both: `cargo bench --bench export --bench export_system` (figures in BENCHMARKS.md,
//! `## Export`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crate::cases::{self, peak_rss_kib};
use llmscope::export::BatchProcessor;
use llmscope::opentelemetry::trace::{Span as _, Tracer as _, TracerProvider as _};
use llmscope::opentelemetry::KeyValue;
use llmscope::opentelemetry_sdk::error::OTelSdkResult;
use llmscope::opentelemetry_sdk::trace::{
    BatchSpanProcessor, SdkTracerProvider, SpanData, SpanExporter, SpanProcessor,
};

const SPANS: u64 = 1_000_000;
const CASE_VAR: &str = "LLMSCOPE_EXPORT_BENCH_CASE";

/// Counts what it receives and drops it.
#[derive(Debug, Clone, Default)]
struct NoopExporter(Arc<AtomicU64>);

impl SpanExporter for NoopExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.0.fetch_add(batch.len() as u64, Ordering::Relaxed);
        Ok(())
    }
}

/// A processor that counts each span as received and drops it on the producer thread.
#[derive(Debug)]
struct Discard(Arc<AtomicU64>);

impl SpanProcessor for Discard {
    fn on_start(
        &self,
        _: &mut llmscope::opentelemetry_sdk::trace::Span,
        _: &llmscope::opentelemetry::Context,
    ) {
    }
    fn on_end(&self, _span: SpanData) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }
    fn shutdown_with_timeout(&self, _: std::time::Duration) -> OTelSdkResult {
        Ok(())
    }
}

fn burst(provider: &SdkTracerProvider, spans: u64) {
    let tracer = provider.tracer("bench");
    for i in 0..spans {
        // Attributes given at creation in one `Vec`, the way `#[llm_call]` creates its spans
        // (`runtime/src/private.rs`, `start`): `start` + `set_attributes` would regrow the
        // span's attribute `Vec` and measure an allocation pattern the macros never produce.
        let mut span = tracer.build(tracer.span_builder("chat gpt-4o").with_attributes(vec![
            KeyValue::new("gen_ai.operation.name", "chat"),
            KeyValue::new("gen_ai.provider.name", "openai"),
            KeyValue::new("gen_ai.request.model", "gpt-4o"),
            KeyValue::new("gen_ai.request.temperature", 0.2),
            KeyValue::new("gen_ai.request.max_tokens", 512_i64),
            KeyValue::new("server.address", "api.openai.com"),
            KeyValue::new("server.port", 443_i64),
            KeyValue::new("gen_ai.usage.input_tokens", (i % 4000) as i64),
            KeyValue::new("gen_ai.usage.output_tokens", 46_i64),
            KeyValue::new("gen_ai.response.model", "gpt-4o-2024-08-06"),
        ]));
        span.end();
    }
}

fn run_case(case: &str) {
    let exporter = NoopExporter::default();
    let received = Arc::clone(&exporter.0);
    let threads: u64 = if case.ends_with(" x2") { 2 } else { 1 };
    let provider = match case.trim_end_matches(" x2") {
        "llmscope" => SdkTracerProvider::builder()
            .with_span_processor(BatchProcessor::builder(exporter).build())
            .build(),
        "sdk-default" => SdkTracerProvider::builder()
            .with_span_processor(BatchSpanProcessor::builder(exporter).build())
            .build(),
        // The cost of creating and ending the spans alone: every span dropped at once.
        "no-export" => SdkTracerProvider::builder()
            .with_span_processor(Discard(exporter.0.clone()))
            .build(),
        other => panic!("unknown case {other}"),
    };
    let rss_before = peak_rss_kib();
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| burst(&provider, SPANS / threads));
        }
    });
    let offered = start.elapsed();
    provider.force_flush().expect("flush");
    let drained = start.elapsed();
    let got = received.load(Ordering::Relaxed);
    let dropped = SPANS - got;
    println!(
        "{case:<15} offered {:>9.0} spans/s  drained {:>9.0} spans/s  dropped {:>7} ({:>5.2}%)  peak RSS {:>5.1} MB (before burst {:.1} MB)",
        SPANS as f64 / offered.as_secs_f64(),
        SPANS as f64 / drained.as_secs_f64(),
        dropped,
        dropped as f64 * 100.0 / SPANS as f64,
        peak_rss_kib() as f64 / 1024.0,
        rss_before as f64 / 1024.0,
    );
    provider.shutdown().expect("shutdown");
}

/// Runs every case, each in a child process (this executable again), or the one case named by
/// the environment when this process is such a child. `allocator` names the global allocator of
/// the calling bench, for the output.
pub(crate) fn main(allocator: &str) {
    if cases::child(CASE_VAR, run_case) {
        return;
    }
    println!(
        "allocator: {allocator}; burst of {SPANS} spans, 10 attributes each, into a no-op exporter"
    );
    // What one queued span of this shape occupies: the `SpanData` in its batch plus the
    // attribute `Vec` on the heap (the keys and string values are `&'static str`).
    println!(
        "per span: SpanData {} B + 10 attributes {} B",
        std::mem::size_of::<SpanData>(),
        10 * std::mem::size_of::<KeyValue>()
    );
    cases::run_each(
        CASE_VAR,
        &[
            "no-export",
            "no-export x2",
            "llmscope",
            "llmscope",
            "llmscope",
            "llmscope x2",
            "llmscope x2",
            "sdk-default",
            "sdk-default x2",
        ],
    );
}
