//! Per-call overhead of `#[llm_call]` against the hand-written equivalents, side by side in one
//! run: raw `opentelemetry_sdk` code, `tracing` + `tracing-opentelemetry`, and a bare call.
//! Every instrumented variant writes the same 15 GenAI attributes through a batch processor
//! into a no-op exporter.
//!
//! Run: `cargo bench --bench overhead`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use opentelemetry::trace::{SpanKind, TraceContextExt as _, Tracer as _, TracerProvider as _};
use opentelemetry::{Context, KeyValue, StringValue, Value};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, Sampler, SdkTracerProvider, SpanData, SpanExporter,
};
use tracing_subscriber::layer::SubscriberExt as _;

#[derive(Debug)]
struct NoopExporter;

impl SpanExporter for NoopExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        black_box(batch);
        Ok(())
    }
}

fn provider(sampler: Sampler) -> SdkTracerProvider {
    let processor = BatchSpanProcessor::builder(NoopExporter)
        .with_batch_config(BatchConfigBuilder::default().build())
        .build();
    SdkTracerProvider::builder()
        .with_sampler(sampler)
        .with_span_processor(processor)
        .build()
}

struct Request {
    model: String,
    temperature: f64,
    top_p: f64,
    max_tokens: u32,
    seed: i64,
}

#[derive(llmscope::Usage)]
struct Reply {
    #[usage(response_id)]
    id: &'static str,
    #[usage(response_model)]
    model: &'static str,
    #[usage(input_tokens)]
    input_tokens: u32,
    #[usage(output_tokens)]
    output_tokens: u32,
    #[usage(cache_read_tokens)]
    cached_tokens: u32,
    #[usage(finish_reasons)]
    finish_reasons: [&'static str; 1],
}

#[inline(never)]
fn simulated_call(req: &Request) -> Reply {
    black_box(req);
    Reply {
        id: "chatcmpl-123",
        model: "gpt-4o-2024-08-06",
        input_tokens: 1117,
        output_tokens: 46,
        cached_tokens: 1024,
        finish_reasons: ["stop"],
    }
}

// (a) 9 attributes at creation + 6 from the usage = 15.
#[llmscope::llm_call(
    provider = "openai",
    model = req.model,
    temperature = req.temperature,
    top_p = req.top_p,
    max_tokens = req.max_tokens,
    seed = req.seed,
    server_address = "api.openai.com",
    server_port = 443
)]
fn annotated(req: &Request) -> Reply {
    simulated_call(req)
}

// (b) The same with the raw OpenTelemetry SDK, written by hand.
fn raw_sdk(tracer: &opentelemetry_sdk::trace::SdkTracer, req: &Request) -> Reply {
    let parent = Context::current();
    let span = tracer
        .span_builder(format!("chat {}", req.model))
        .with_kind(SpanKind::Client)
        .with_attributes(vec![
            KeyValue::new("gen_ai.operation.name", "chat"),
            KeyValue::new("gen_ai.provider.name", "openai"),
            KeyValue::new("gen_ai.request.model", req.model.clone()),
            KeyValue::new("gen_ai.request.temperature", req.temperature),
            KeyValue::new("gen_ai.request.top_p", req.top_p),
            KeyValue::new("gen_ai.request.max_tokens", i64::from(req.max_tokens)),
            KeyValue::new("gen_ai.request.seed", req.seed),
            KeyValue::new("server.address", "api.openai.com"),
            KeyValue::new("server.port", 443_i64),
        ])
        .start_with_context(tracer, &parent);
    let cx = parent.with_span(span);
    let reply = {
        let _guard = cx.clone().attach();
        simulated_call(req)
    };
    let span = cx.span();
    span.set_attributes([
        KeyValue::new("gen_ai.usage.input_tokens", i64::from(reply.input_tokens)),
        KeyValue::new("gen_ai.usage.output_tokens", i64::from(reply.output_tokens)),
        KeyValue::new(
            "gen_ai.usage.cache_read.input_tokens",
            i64::from(reply.cached_tokens),
        ),
        KeyValue::new("gen_ai.response.model", reply.model.to_owned()),
        KeyValue::new("gen_ai.response.id", reply.id.to_owned()),
        KeyValue::new(
            "gen_ai.response.finish_reasons",
            Value::Array(vec![StringValue::from(reply.finish_reasons[0].to_owned())].into()),
        ),
    ]);
    span.end();
    reply
}

// (b') The hand-written equivalent of everything `#[llm_call]` records: (b) plus the cost from
// the same pricing registry and the same 12 cost/audit attributes.
fn raw_sdk_with_cost(tracer: &opentelemetry_sdk::trace::SdkTracer, req: &Request) -> Reply {
    use llmscope::pricing::{ServiceTier, TokenCounts};
    let parent = Context::current();
    let span = tracer
        .span_builder(format!("chat {}", req.model))
        .with_kind(SpanKind::Client)
        .with_attributes(vec![
            KeyValue::new("gen_ai.operation.name", "chat"),
            KeyValue::new("gen_ai.provider.name", "openai"),
            KeyValue::new("gen_ai.request.model", req.model.clone()),
            KeyValue::new("gen_ai.request.temperature", req.temperature),
            KeyValue::new("gen_ai.request.top_p", req.top_p),
            KeyValue::new("gen_ai.request.max_tokens", i64::from(req.max_tokens)),
            KeyValue::new("gen_ai.request.seed", req.seed),
            KeyValue::new("server.address", "api.openai.com"),
            KeyValue::new("server.port", 443_i64),
        ])
        .start_with_context(tracer, &parent);
    let cx = parent.with_span(span);
    let reply = {
        let _guard = cx.clone().attach();
        simulated_call(req)
    };
    let mut attributes = vec![
        KeyValue::new("gen_ai.usage.input_tokens", i64::from(reply.input_tokens)),
        KeyValue::new("gen_ai.usage.output_tokens", i64::from(reply.output_tokens)),
        KeyValue::new(
            "gen_ai.usage.cache_read.input_tokens",
            i64::from(reply.cached_tokens),
        ),
        KeyValue::new("gen_ai.response.model", reply.model.to_owned()),
        KeyValue::new("gen_ai.response.id", reply.id.to_owned()),
        KeyValue::new(
            "gen_ai.response.finish_reasons",
            Value::Array(vec![StringValue::from(reply.finish_reasons[0].to_owned())].into()),
        ),
    ];
    let tokens = TokenCounts {
        input_tokens: u64::from(reply.input_tokens),
        output_tokens: u64::from(reply.output_tokens),
        cache_read_tokens: u64::from(reply.cached_tokens),
        ..TokenCounts::default()
    };
    if let Some((matched, cost)) =
        llmscope::price_registry().cost("openai", reply.model, &tokens, ServiceTier::Standard)
    {
        attributes.extend([
            KeyValue::new("gen_ai.usage.cost.amount", cost.total),
            KeyValue::new("gen_ai.usage.cost.currency", cost.currency),
            KeyValue::new("llm.cost.prompt", cost.prompt()),
            KeyValue::new("llm.cost.completion", cost.output),
            KeyValue::new("llm.cost.total", cost.total),
            KeyValue::new("llmscope.cost.input", cost.input),
            KeyValue::new("llmscope.cost.output", cost.output),
            KeyValue::new("llmscope.cost.cache_read", cost.cache_read),
            KeyValue::new("llmscope.cost.cache_write", cost.cache_write),
            KeyValue::new("llmscope.pricing.entry", matched.key().to_owned()),
            KeyValue::new(
                "llmscope.pricing.snapshot",
                matched.snapshot_version().to_owned(),
            ),
            KeyValue::new("llmscope.pricing.tier", "standard"),
        ]);
    }
    let span = cx.span();
    span.set_attributes(attributes);
    span.end();
    reply
}

// (c) The same through `tracing` + `tracing-opentelemetry`, written by hand.
fn with_tracing(req: &Request) -> Reply {
    let span = tracing::info_span!(
        "chat",
        otel.name = format!("chat {}", req.model),
        otel.kind = "client",
        gen_ai.operation.name = "chat",
        gen_ai.provider.name = "openai",
        gen_ai.request.model = req.model.as_str(),
        gen_ai.request.temperature = req.temperature,
        gen_ai.request.top_p = req.top_p,
        gen_ai.request.max_tokens = req.max_tokens,
        gen_ai.request.seed = req.seed,
        server.address = "api.openai.com",
        server.port = 443,
        gen_ai.usage.input_tokens = tracing::field::Empty,
        gen_ai.usage.output_tokens = tracing::field::Empty,
        gen_ai.usage.cache_read.input_tokens = tracing::field::Empty,
        gen_ai.response.model = tracing::field::Empty,
        gen_ai.response.id = tracing::field::Empty,
        gen_ai.response.finish_reasons = tracing::field::Empty,
    );
    let reply = span.in_scope(|| simulated_call(req));
    span.record("gen_ai.usage.input_tokens", reply.input_tokens);
    span.record("gen_ai.usage.output_tokens", reply.output_tokens);
    span.record("gen_ai.usage.cache_read.input_tokens", reply.cached_tokens);
    span.record("gen_ai.response.model", reply.model);
    span.record("gen_ai.response.id", reply.id);
    span.record("gen_ai.response.finish_reasons", reply.finish_reasons[0]);
    reply
}

#[tracing::instrument(skip_all, fields(model = %req.model))]
fn tracing_instrumented(req: &Request) -> Reply {
    simulated_call(req)
}

fn request() -> Request {
    Request {
        model: "gpt-4o".to_owned(),
        temperature: 0.2,
        top_p: 0.9,
        max_tokens: 512,
        seed: 42,
    }
}

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
    });

    let dropped = provider(Sampler::AlwaysOff);
    {
        let _scope = llmscope::scoped(&dropped).attach();
        group.bench_function("llm_call_unsampled", |b| {
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
    });
    group.finish();
}

criterion_group!(benches, overhead_simple, overhead);
criterion_main!(benches);
