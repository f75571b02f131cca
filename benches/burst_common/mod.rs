//! A burst of 1,000,000 real `#[llm_call]` calls (the realistic call of
//! `benches/common/realistic.rs`: 15 attributes, three of them the application's strings,
//! usage and cost) through the pipeline `llmscope::init()` builds — the default sampler,
//! processing on llmscope's processing thread, llmscope's `BatchProcessor` with its defaults
//! (32,768 spans, batches of 512) — into a no-op exporter that measures each span it receives.
//! Prints the calls/s offered, the spans dropped, the peak RSS of the process (each case in a
//! fresh child process) and the bytes one exported span holds.
//!
//! Run: `cargo bench --bench burst --bench burst_system` (mimalloc / system allocator; figures
//! in BENCHMARKS.md, "Memory of real spans").

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crate::cases::{self, peak_rss_kib};
use llmscope::export::BatchProcessor;
use llmscope::opentelemetry::trace::Event;
use llmscope::opentelemetry::{Array, KeyValue, Value};
use llmscope::opentelemetry_sdk::error::OTelSdkResult;
use llmscope::opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};

use crate::common::realistic::{annotated, request};

const CALLS: u64 = 1_000_000;
const CASE_VAR: &str = "LLMSCOPE_BURST_BENCH_CASE";

/// Counts the spans it receives, and the heap bytes of one in every 1,024, and drops them.
#[derive(Debug, Clone, Default)]
struct MeasuringExporter {
    spans: Arc<AtomicU64>,
    measured: Arc<AtomicU64>,
    bytes: Arc<AtomicU64>,
}

fn value_bytes(value: &Value) -> usize {
    match value {
        Value::String(text) => text.as_str().len(),
        Value::Array(Array::String(items)) => {
            items.capacity() * std::mem::size_of::<llmscope::opentelemetry::StringValue>()
                + items.iter().map(|item| item.as_str().len()).sum::<usize>()
        }
        Value::Array(Array::I64(items)) => items.capacity() * 8,
        Value::Array(Array::F64(items)) => items.capacity() * 8,
        Value::Array(Array::Bool(items)) => items.capacity(),
        _ => 0,
    }
}

fn attributes_bytes(attributes: &[KeyValue], capacity: usize) -> usize {
    capacity * std::mem::size_of::<KeyValue>()
        + attributes
            .iter()
            .map(|kv| value_bytes(&kv.value))
            .sum::<usize>()
}

/// What one span occupies while it is queued: its `SpanData`, the attribute vector (its
/// capacity) and every string value and event on the heap. String values count their bytes
/// (shared ones too: an upper bound); keys are `&'static str`.
fn span_bytes(span: &SpanData) -> usize {
    std::mem::size_of::<SpanData>()
        + attributes_bytes(&span.attributes, span.attributes.capacity())
        + span.name.len()
        + span
            .events
            .iter()
            .map(|event: &Event| {
                std::mem::size_of::<Event>()
                    + attributes_bytes(&event.attributes, event.attributes.capacity())
            })
            .sum::<usize>()
}

impl SpanExporter for MeasuringExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let before = self.spans.fetch_add(batch.len() as u64, Ordering::Relaxed);
        if before % 1024 < batch.len() as u64 {
            self.measured.fetch_add(1, Ordering::Relaxed);
            self.bytes
                .fetch_add(span_bytes(&batch[0]) as u64, Ordering::Relaxed);
        }
        black_box(batch);
        Ok(())
    }
}

fn run_case(case: &str) {
    let threads: u64 = if case.ends_with(" x2") { 2 } else { 1 };
    let exporter = MeasuringExporter::default();
    // The export queue's capacity: the processor's default unless `BURST_QUEUE` names another.
    let mut builder = BatchProcessor::builder(exporter.clone());
    if let Some(capacity) = std::env::var("BURST_QUEUE")
        .ok()
        .and_then(|capacity| capacity.parse().ok())
    {
        builder = builder.with_queue_capacity(capacity);
    }
    let processor = builder.build();
    let stats = processor.stats();
    let sampler = llmscope::Sampler::default_sampler();
    let provider = sampler
        .build(SdkTracerProvider::builder().with_span_processor(processor))
        .deferred();
    let req = request();
    let rss_before = peak_rss_kib();
    let start = Instant::now();
    // The export queue's backlog, sampled every millisecond while the calls are made: spans
    // queued and not yet handed back by the exporter.
    let producing = AtomicBool::new(true);
    let mut backlog = 0;
    std::thread::scope(|scope| {
        let watcher = scope.spawn(|| {
            let mut most = 0;
            while producing.load(Ordering::Relaxed) {
                let done = stats.exported() + stats.failed() + stats.abandoned();
                most = most.max(stats.queued().saturating_sub(done));
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            most
        });
        let producers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let _scope = llmscope::scoped(&provider).attach();
                    for _ in 0..CALLS / threads {
                        black_box(annotated(black_box(&req)));
                    }
                })
            })
            .collect();
        for producer in producers {
            producer.join().expect("producer");
        }
        producing.store(false, Ordering::Relaxed);
        backlog = watcher.join().expect("watcher");
    });
    let offered = start.elapsed();
    llmscope::flush_processing();
    provider.force_flush().expect("flush");
    let drained = start.elapsed();
    let exported = exporter.spans.load(Ordering::Relaxed);
    let measured = exporter.measured.load(Ordering::Relaxed).max(1);
    println!(
        "{case:<13} offered {:>9.0} calls/s  drained {:>9.0}/s  exported {exported:>7}  dropped {:>6} ({:>5.2}%)  peak RSS {:>5.1} MB (before {:.1} MB)  export backlog ≤ {backlog:>5}  span {:>5} B",
        CALLS as f64 / offered.as_secs_f64(),
        CALLS as f64 / drained.as_secs_f64(),
        stats.dropped(),
        stats.dropped() as f64 * 100.0 / CALLS as f64,
        peak_rss_kib() as f64 / 1024.0,
        rss_before as f64 / 1024.0,
        exporter.bytes.load(Ordering::Relaxed) / measured,
    );
    provider.shutdown().expect("shutdown");
}

/// Runs every case, each in a child process (this executable again), or the case named by the
/// environment when this process is such a child.
pub(crate) fn main(allocator: &str) {
    if cases::child(CASE_VAR, run_case) {
        return;
    }
    println!("allocator: {allocator}; burst of {CALLS} realistic #[llm_call] calls, init() pipeline, no-op exporter");
    cases::run_each(
        CASE_VAR,
        &[
            "llm_call",
            "llm_call",
            "llm_call",
            "llm_call x2",
            "llm_call x2",
        ],
    );
}
