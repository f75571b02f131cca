//! The deferred pipeline (`Sampler::build(…).deferred()`, as `llmscope::init()` installs it): the caller only
//! records, llmscope's processing thread builds the span when the call ends. Children made
//! through the OpenTelemetry API and through `tracing` still nest under the call's span, the
//! call nests under the caller's `tracing` span, what the body sets on
//! `Context::current().span()` reaches the span, and the cost is priced on the way.

use llmscope::opentelemetry::trace::{
    SpanId, TraceContextExt as _, Tracer as _, TracerProvider as _,
};
use llmscope::opentelemetry::{Context, KeyValue, Value};
use llmscope::opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tracing_subscriber::layer::SubscriberExt as _;

#[path = "support/deferred.rs"]
mod deferred_support;
use deferred_support::deferred_provider;

#[derive(llmscope::Usage)]
struct Reply {
    #[usage(input_tokens)]
    input_tokens: u32,
    #[usage(output_tokens)]
    output_tokens: u32,
}

#[llmscope::llm_call(provider = "openai", model = model, feature = feature)]
fn chat(
    model: &str,
    feature: &str,
    tracer: &llmscope::opentelemetry_sdk::trace::SdkTracer,
) -> Reply {
    tracer.in_span("db_query", |_| {});
    tracing::info_span!("tool_lookup").in_scope(|| {});
    let cx = Context::current();
    let span = cx.span();
    span.set_attribute(KeyValue::new("app.step", "retrieved"));
    span.add_event("checkpoint", vec![KeyValue::new("app.documents", 3_i64)]);
    Reply {
        input_tokens: 1_000,
        output_tokens: 100,
    }
}

fn span<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    spans.iter().find(|s| s.name == name).unwrap_or_else(|| {
        panic!(
            "no span `{name}` in {:?}",
            spans.iter().map(|s| &s.name).collect::<Vec<_>>()
        )
    })
}

fn parent_of<'a>(spans: &'a [SpanData], name: &str) -> &'a str {
    let child = span(spans, name);
    if child.parent_span_id == SpanId::INVALID {
        return "<root>";
    }
    spans
        .iter()
        .find(|s| s.span_context.span_id() == child.parent_span_id)
        .map(|s| s.name.as_ref())
        .unwrap_or("<missing parent>")
}

fn attribute<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

/// One request: a `tracing` span `handler` around the call, in `scope` (a context from
/// a deferred provider).
fn run(provider: &SdkTracerProvider, scope: &Context, model: &str) {
    let tracer = provider.tracer("app");
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("tracing")));
    tracing::subscriber::with_default(subscriber, || {
        let _scope = scope.clone().attach();
        tracing::info_span!("handler").in_scope(|| {
            chat(model, "summarise_thread", &tracer);
        });
    });
    llmscope::flush_processing();
}

#[test]
fn deferred_spans_nest_both_ways_and_carry_what_the_body_set() {
    let (provider, exporter) = deferred_provider();
    run(&provider, &llmscope::scoped(&provider), "gpt-4o");
    let spans = exporter.get_finished_spans().unwrap();
    assert_eq!(spans.len(), 4, "{spans:#?}");
    assert_eq!(parent_of(&spans, "chat gpt-4o"), "handler");
    assert_eq!(parent_of(&spans, "db_query"), "chat gpt-4o");
    assert_eq!(parent_of(&spans, "tool_lookup"), "chat gpt-4o");
    let chat = span(&spans, "chat gpt-4o");
    let child = span(&spans, "db_query");
    assert_eq!(chat.span_context.trace_id(), child.span_context.trace_id());
    assert!(chat.start_time <= child.start_time && child.end_time <= chat.end_time);
    // Written through the OpenTelemetry API inside the body.
    assert_eq!(attribute(chat, "app.step"), Some(&Value::from("retrieved")));
    let checkpoint = chat
        .events
        .iter()
        .find(|event| event.name == "checkpoint")
        .expect("the body's event");
    assert_eq!(
        checkpoint.attributes,
        vec![KeyValue::new("app.documents", 3_i64)]
    );
    // Priced on the processing thread. gpt-4o: $2.50 per million input tokens, $10 per
    // million output tokens: 1,000 × 2.5e-6 + 100 × 1e-5 = 0.0035.
    let Some(Value::F64(cost)) = attribute(chat, "llm.cost.total") else {
        panic!("no cost: {:?}", chat.attributes);
    };
    assert!((cost - 0.0035).abs() < 1e-12, "{cost}");
    assert_eq!(
        attribute(chat, "llmscope.feature"),
        Some(&Value::from("summarise_thread"))
    );
}

#[test]
fn a_plain_provider_gets_its_spans_built_at_the_start() {
    // A provider built without `Sampler::build`: llmscope neither knows its sampler nor hands
    // it span ids, so its spans are built when the call starts, and children nest as before.
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let scope = llmscope::scoped(&provider);
    run(&provider, &scope, "gpt-4o");
    run(&provider, &scope, "gpt-4o-mini");
    let spans = exporter.get_finished_spans().unwrap();
    assert_eq!(spans.len(), 8, "{spans:#?}");
    let second: Vec<SpanData> = spans[4..].to_vec();
    assert_eq!(parent_of(&second, "chat gpt-4o-mini"), "handler");
    assert_eq!(parent_of(&second, "db_query"), "chat gpt-4o-mini");
    assert_eq!(parent_of(&second, "tool_lookup"), "chat gpt-4o-mini");
    assert_eq!(
        attribute(span(&second, "chat gpt-4o-mini"), "app.step"),
        Some(&Value::from("retrieved"))
    );
}

/// Values that come back call after call end up in copies llmscope keeps for the life of the
/// process (after 8 hits); every span must still carry exactly its own name and values, across
/// that change, for a model that repeats, a non-ASCII one and one too long to be kept.
#[test]
fn repeated_values_give_every_span_its_own_name_and_values() {
    let (provider, exporter) = deferred_provider();
    let tracer = provider.tracer("app");
    let long = format!("gpt-4o-{}", "x".repeat(200));
    let models = ["gpt-4o", "modèle-ü-模型", long.as_str()];
    let features = ["summarise", "classify", "notify bob@example.com"];
    let mut expected = Vec::new();
    {
        let _scope = llmscope::scoped(&provider).attach();
        // Enough calls, with the processing thread caught up now and then, for the values
        // that repeat to be kept for the life of the process and then found by the calling
        // thread, which records them as the kept copies from then on.
        for call in 0..600 {
            let model = models[call % models.len()];
            let feature = features[call / 3 % features.len()];
            chat(model, feature, &tracer);
            expected.push((
                format!("chat {model}"),
                model.to_owned(),
                feature.replace("bob@example.com", "<redacted>"),
            ));
            if call % 20 == 19 {
                llmscope::flush_processing();
            }
        }
    }
    llmscope::flush_processing();
    let spans: Vec<SpanData> = exporter
        .get_finished_spans()
        .unwrap()
        .into_iter()
        .filter(|span| span.name.starts_with("chat "))
        .collect();
    assert_eq!(spans.len(), expected.len());
    let mut seen: Vec<(String, String, String)> = spans
        .iter()
        .map(|span| {
            let text = |key| match attribute(span, key) {
                Some(Value::String(text)) => text.as_str().to_owned(),
                other => panic!("{key}: {other:?}"),
            };
            let mut feature = text("llmscope.feature");
            if let Some(rest) = feature.strip_prefix("notify ") {
                // The secret's value: redacted on every span, whatever was kept or found.
                assert!(
                    !rest.contains("bob@example.com") && rest.starts_with('['),
                    "{feature}"
                );
                feature = "notify <redacted>".to_owned();
            }
            (span.name.to_string(), text("gen_ai.request.model"), feature)
        })
        .collect();
    seen.sort();
    expected.sort();
    assert_eq!(seen, expected);
}
