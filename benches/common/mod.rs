//! The call every overhead benchmark instruments, written four ways: `#[llm_call]`, raw
//! `opentelemetry_sdk`, raw SDK plus the same cost attributes, and `tracing` +
//! `tracing-opentelemetry` (with and without the cost fields).

#![allow(dead_code)] // each bench uses part of it

pub(crate) mod realistic;

use std::borrow::Cow;
use std::hint::black_box;

use opentelemetry::trace::{SpanKind, TraceContextExt as _, Tracer as _};
use opentelemetry::{Context, KeyValue, StringValue, Value};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, Sampler, SdkTracerProvider, SpanData, SpanExporter,
    TracerProviderBuilder,
};

#[derive(Debug)]
pub(crate) struct NoopExporter;

impl SpanExporter for NoopExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        black_box(batch);
        Ok(())
    }
}

/// A provider from `builder`, exporting through the SDK's batch processor into a no-op exporter.
pub(crate) fn batch_provider(builder: TracerProviderBuilder) -> SdkTracerProvider {
    let processor = BatchSpanProcessor::builder(NoopExporter)
        .with_batch_config(BatchConfigBuilder::default().build())
        .build();
    builder.with_span_processor(processor).build()
}

/// The pipeline `llmscope::init()` builds, minus the exporter: the default sampler
/// configured on the provider (and known to llmscope) and llmscope's own batch processor with
/// its defaults, into a no-op exporter.
pub(crate) fn init_style_provider(sampler: &llmscope::Sampler) -> llmscope::SampledProvider {
    sampler.build(
        SdkTracerProvider::builder()
            .with_span_processor(llmscope::export::BatchProcessor::builder(NoopExporter).build()),
    )
}

/// The default sampler configured on the provider, and the SDK's simple (synchronous)
/// processor into a no-op exporter.
pub(crate) fn simple_provider(sampler: &llmscope::Sampler) -> llmscope::SampledProvider {
    sampler.build(SdkTracerProvider::builder().with_simple_exporter(NoopExporter))
}

/// With an SDK sampler, which llmscope does not see.
pub(crate) fn provider(sampler: Sampler) -> SdkTracerProvider {
    batch_provider(SdkTracerProvider::builder().with_sampler(sampler))
}

/// With an llmscope sampler ([`llmscope::Sampler::build`]).
pub(crate) fn provider_sampled_by(sampler: &llmscope::Sampler) -> llmscope::SampledProvider {
    let processor = BatchSpanProcessor::builder(NoopExporter)
        .with_batch_config(BatchConfigBuilder::default().build())
        .build();
    sampler.build(SdkTracerProvider::builder().with_span_processor(processor))
}

/// The context of a caller whose trace is not sampled (e.g. an incoming `traceparent` with
/// the sampled flag off): parent-based sampling drops everything under it.
pub(crate) fn unsampled_caller() -> Context {
    use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
    Context::new().with_remote_span_context(SpanContext::new(
        TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736_u128),
        SpanId::from(0x00f0_67aa_0ba9_02b7_u64),
        TraceFlags::default(),
        true,
        TraceState::NONE,
    ))
}

pub(crate) struct Request {
    pub(crate) model: String,
    pub(crate) temperature: f64,
    pub(crate) top_p: f64,
    pub(crate) max_tokens: u32,
    pub(crate) seed: i64,
}

#[derive(llmscope::Usage)]
pub(crate) struct Reply {
    /// A constant here; each reply's own in the realistic call ([`realistic`]), as a provider
    /// sends it.
    #[usage(response_id)]
    id: Cow<'static, str>,
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
pub(crate) fn simulated_call(req: &Request) -> Reply {
    black_box(req);
    Reply {
        id: Cow::Borrowed("chatcmpl-123"),
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
pub(crate) fn annotated(req: &Request) -> Reply {
    simulated_call(req)
}

// (b) The same with the raw OpenTelemetry SDK, written by hand.
pub(crate) fn raw_sdk(tracer: &opentelemetry_sdk::trace::SdkTracer, req: &Request) -> Reply {
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
    span.set_attributes(reply_usage(&reply));
    span.end();
    reply
}

// (b') The hand-written equivalent of everything `#[llm_call]` records: (b) plus the cost from
// the same pricing registry and the same 12 cost/audit attributes.
pub(crate) fn raw_sdk_with_cost(
    tracer: &opentelemetry_sdk::trace::SdkTracer,
    req: &Request,
) -> Reply {
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
    let attributes = reply_attributes(&reply);
    let span = cx.span();
    span.set_attributes(attributes);
    span.end();
    reply
}

// (c) The same through `tracing` + `tracing-opentelemetry`, written by hand.
pub(crate) fn with_tracing(req: &Request) -> Reply {
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
    span.record("gen_ai.response.id", &*reply.id);
    span.record("gen_ai.response.finish_reasons", reply.finish_reasons[0]);
    reply
}

/// (c') `tracing` + `tracing-opentelemetry` recording everything `#[llm_call]` records,
/// the cost fields included.
pub(crate) fn with_tracing_and_cost(req: &Request) -> Reply {
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
        llmscope.cost.total = tracing::field::Empty,
        llm.cost.prompt = tracing::field::Empty,
        llm.cost.completion = tracing::field::Empty,
        llm.cost.total = tracing::field::Empty,
        llmscope.cost.input = tracing::field::Empty,
        llmscope.cost.output = tracing::field::Empty,
        llmscope.cost.cache_read = tracing::field::Empty,
        llmscope.cost.cache_write = tracing::field::Empty,
        llmscope.pricing.entry = tracing::field::Empty,
        llmscope.pricing.snapshot = tracing::field::Empty,
        llmscope.pricing.tier = tracing::field::Empty,
    );
    let reply = span.in_scope(|| simulated_call(req));
    record_reply_and_cost(&span, &reply);
    reply
}

#[tracing::instrument(skip_all, fields(model = %req.model))]
pub(crate) fn tracing_instrumented(req: &Request) -> Reply {
    simulated_call(req)
}

pub(crate) fn request() -> Request {
    Request {
        model: "gpt-4o".to_owned(),
        temperature: 0.2,
        top_p: 0.9,
        max_tokens: 512,
        seed: 42,
    }
}

/// The six attributes of the reply, written by hand: usage, response model and id, finish reasons.
fn reply_usage(reply: &Reply) -> [KeyValue; 6] {
    [
        KeyValue::new("gen_ai.usage.input_tokens", i64::from(reply.input_tokens)),
        KeyValue::new("gen_ai.usage.output_tokens", i64::from(reply.output_tokens)),
        KeyValue::new(
            "gen_ai.usage.cache_read.input_tokens",
            i64::from(reply.cached_tokens),
        ),
        KeyValue::new("gen_ai.response.model", reply.model.to_owned()),
        KeyValue::new("gen_ai.response.id", reply.id.to_string()),
        KeyValue::new(
            "gen_ai.response.finish_reasons",
            Value::Array(vec![StringValue::from(reply.finish_reasons[0].to_owned())].into()),
        ),
    ]
}

/// What the hand-written equivalents record from the reply: usage, response attributes and
/// the cost from llmscope's price registry (as an application would compute it).
pub(crate) fn reply_attributes(reply: &Reply) -> Vec<KeyValue> {
    use llmscope::pricing::{ServiceTier, TokenCounts};
    let mut attributes = Vec::with_capacity(17);
    attributes.extend(reply_usage(reply));
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
            KeyValue::new("llmscope.cost.total", cost.total),
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
    attributes
}

/// What the `tracing` equivalents with cost record from the reply: usage, response attributes
/// and the cost from llmscope's price registry, into fields declared `Empty`.
pub(crate) fn record_reply_and_cost(span: &tracing::Span, reply: &Reply) {
    use llmscope::pricing::{ServiceTier, TokenCounts};
    span.record("gen_ai.usage.input_tokens", reply.input_tokens);
    span.record("gen_ai.usage.output_tokens", reply.output_tokens);
    span.record("gen_ai.usage.cache_read.input_tokens", reply.cached_tokens);
    span.record("gen_ai.response.model", reply.model);
    span.record("gen_ai.response.id", &*reply.id);
    span.record("gen_ai.response.finish_reasons", reply.finish_reasons[0]);
    let tokens = TokenCounts {
        input_tokens: u64::from(reply.input_tokens),
        output_tokens: u64::from(reply.output_tokens),
        cache_read_tokens: u64::from(reply.cached_tokens),
        ..TokenCounts::default()
    };
    if let Some((matched, cost)) =
        llmscope::price_registry().cost("openai", reply.model, &tokens, ServiceTier::Standard)
    {
        span.record("llmscope.cost.total", cost.total);
        span.record("llm.cost.prompt", cost.prompt());
        span.record("llm.cost.completion", cost.output);
        span.record("llm.cost.total", cost.total);
        span.record("llmscope.cost.input", cost.input);
        span.record("llmscope.cost.output", cost.output);
        span.record("llmscope.cost.cache_read", cost.cache_read);
        span.record("llmscope.cost.cache_write", cost.cache_write);
        span.record("llmscope.pricing.entry", matched.key());
        span.record("llmscope.pricing.snapshot", matched.snapshot_version());
        span.record("llmscope.pricing.tier", "standard");
    }
}
