//! Bounded work on bad input (issue 14): content capture of many or huge messages through
//! `#[llm_call]`, and TOML price override files of 1 and 4 MB.
//!
//! Run: `cargo bench --bench bounded`. Medians are in
//! `target/criterion/bounded_*/*/new/estimates.json`; see `BENCHMARKS.md`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use llmscope::capture::Message;
use llmscope::opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use llmscope::pricing::PriceRegistry;

#[derive(llmscope::Usage)]
struct Reply {
    #[usage(output_tokens)]
    output: u32,
}

#[llmscope::llm_call(provider = "openai", model = "history", prompt = messages, capture = full)]
fn chat_full(messages: &[Message<'_>]) -> Reply {
    Reply { output: 1 }
}

#[llmscope::llm_call(provider = "openai", model = "prompt", prompt = prompt, capture = redacted)]
fn chat_redacted(prompt: &str) -> Reply {
    Reply { output: 1 }
}

fn history(count: usize, size: usize) -> Vec<String> {
    (0..count)
        .map(|index| {
            let mut text = format!("message {index:06} ");
            text.extend(std::iter::repeat_n('x', size - text.len()));
            text
        })
        .collect()
}

fn capture(c: &mut Criterion) {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let _guard = llmscope::scoped(&provider).attach();
    let mut group = c.benchmark_group("bounded_capture");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    for (label, count, size) in [
        ("full_2097x100B", 2_097, 100),
        ("full_10240x1KB", 10_240, 1024),
    ] {
        let texts = history(count, size);
        let messages: Vec<Message<'_>> = texts.iter().map(|t| Message::user(t.as_str())).collect();
        group.bench_function(label, |b| {
            b.iter(|| {
                chat_full(black_box(&messages));
                exporter.reset();
            })
        });
    }
    let prompt = "lorem ipsum ".repeat((100 << 20) / 12);
    group.bench_function("redacted_100MB_prompt", |b| {
        b.iter(|| {
            chat_redacted(black_box(&prompt));
            exporter.reset();
        })
    });
    group.finish();
}

/// A TOML override file of about `bytes` bytes: one model per entry, two prices each.
fn toml_file(bytes: usize) -> std::path::PathBuf {
    let mut text = String::with_capacity(bytes + 128);
    let mut model = 0;
    while text.len() < bytes {
        text.push_str(&format!(
            "[\"model-{model:07}\"]\ninput_cost_per_token = 1.0e-6\noutput_cost_per_token = 2.0e-6\n\n"
        ));
        model += 1;
    }
    let path = std::env::temp_dir().join(format!(
        "llmscope-bench-{}-{}.toml",
        std::process::id(),
        bytes
    ));
    std::fs::write(&path, text).expect("write the override file");
    path
}

fn toml_overrides(c: &mut Criterion) {
    let mut group = c.benchmark_group("bounded_toml");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    for (label, bytes) in [("1MB", 1 << 20), ("4MB", 4 << 20)] {
        let path = toml_file(bytes);
        group.bench_function(label, |b| {
            b.iter(|| {
                PriceRegistry::builder()
                    .with_overrides_file(black_box(&path))
                    .expect("valid overrides")
            })
        });
        let _ = std::fs::remove_file(&path);
    }
    group.finish();
}

criterion_group!(benches, capture, toml_overrides);
criterion_main!(benches);
