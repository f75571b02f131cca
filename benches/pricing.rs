//! Pricing registry: lookup with name normalisation, cost, and loading the embedded snapshot.
//!
//! Run: `cargo bench --bench pricing`. Medians are in
//! `target/criterion/pricing_*/*/new/estimates.json`; see `BENCHMARKS.md`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use llmscope_runtime::pricing::{PriceRegistry, ServiceTier, TokenCounts};

/// (label, provider, model): one per normalisation form, plus a miss.
const NAMES: [(&str, &str, &str); 9] = [
    ("exact", "openai", "gpt-4o"),
    ("dated_exact", "openai", "gpt-4o-2024-08-06"),
    ("dated_stripped", "openai", "gpt-4o-2099-01-01"),
    ("provider_prefix", "openai", "openai/gpt-4o"),
    ("family_prefix", "gcp.gemini", "gemini-2.5-pro"),
    (
        "bedrock_regional",
        "aws.bedrock",
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    ),
    (
        "bedrock_region_stripped",
        "aws.bedrock",
        "ca.anthropic.claude-sonnet-4-5-20250929-v1:0",
    ),
    (
        "vertex_pinned",
        "gcp.vertex_ai",
        "claude-sonnet-4-5@20990101",
    ),
    ("unknown", "anthropic", "claude-sonnet-4-5-foo"),
];

fn lookup(c: &mut Criterion) {
    let registry = PriceRegistry::embedded();
    let mut group = c.benchmark_group("pricing_lookup");
    for (label, provider, model) in NAMES {
        assert_eq!(
            registry.lookup(provider, model).is_some(),
            label != "unknown",
            "{label}"
        );
        group.bench_function(label, |b| {
            b.iter(|| {
                registry
                    .lookup(black_box(provider), black_box(model))
                    .map(|m| m.key().len())
            })
        });
    }
    group.finish();
}

fn cost(c: &mut Criterion) {
    let registry = PriceRegistry::embedded();
    let tokens = TokenCounts {
        input_tokens: 300_000,
        cache_read_tokens: 200_000,
        output_tokens: 4_000,
        reasoning_tokens: 2_000,
        ..TokenCounts::default()
    };
    let mut group = c.benchmark_group("pricing_cost");
    group.bench_function("lookup_and_cost_long_context_priority", |b| {
        b.iter(|| {
            registry
                .cost(
                    black_box("openai"),
                    black_box("gpt-5.4"),
                    black_box(&tokens),
                    ServiceTier::Priority,
                )
                .map(|(_, cost)| cost.total)
        })
    });
    group.finish();
}

fn load(c: &mut Criterion) {
    let mut group = c.benchmark_group("pricing_load");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(8));
    // Parses the bytes compiled into the binary every iteration (not the cached static).
    group.bench_function("load_embedded", |b| {
        b.iter(|| black_box(PriceRegistry::load_embedded()).len())
    });
    group.finish();
}

criterion_group!(benches, lookup, cost, load);
criterion_main!(benches);
