//! Nesting with apps that use `tracing` + `tracing-opentelemetry` or the OpenTelemetry API,
//! in both directions, across `.await` points and tokio worker threads.

use llmscope::testing::TestTelemetry;
use opentelemetry::context::FutureExt as _;
use opentelemetry::trace::{SpanId, TraceContextExt as _, Tracer as _, TracerProvider as _};
use opentelemetry_sdk::trace::SpanData;
use tracing::instrument::WithSubscriber as _;
use tracing::Instrument as _;
use tracing_subscriber::layer::SubscriberExt as _;

#[derive(llmscope::Usage)]
struct Reply {
    #[usage(output_tokens)]
    tokens: u32,
}

fn subscriber(telemetry: &TestTelemetry) -> tracing::Dispatch {
    let tracer = telemetry.provider().tracer("app");
    tracing::Dispatch::new(
        tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(tracer)),
    )
}

fn parent_of<'a>(spans: &'a [SpanData], name: &str) -> &'a str {
    let span = spans.iter().find(|s| s.name == name).unwrap_or_else(|| {
        panic!(
            "no span `{name}` in {:?}",
            spans.iter().map(|s| &s.name).collect::<Vec<_>>()
        )
    });
    if span.parent_span_id == SpanId::INVALID {
        return "<root>";
    }
    spans
        .iter()
        .find(|s| s.span_context.span_id() == span.parent_span_id)
        .map(|s| s.name.as_ref())
        .unwrap_or("<missing parent>")
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o")]
fn chat_sync() -> Reply {
    let tracer = llmscope_test_tracer();
    tracer.in_span("otel_inside", |_| {});
    let _inner = tracing::info_span!("tracing_inside").entered();
    // An OTel span created while the tracing span is entered nests under that tracing span.
    tracer.in_span("otel_in_tracing", |_| {});
    Reply { tokens: 1 }
}

thread_local! {
    static TEST_TRACER: std::cell::RefCell<Option<opentelemetry_sdk::trace::SdkTracer>> =
        const { std::cell::RefCell::new(None) };
}

fn llmscope_test_tracer() -> opentelemetry_sdk::trace::SdkTracer {
    TEST_TRACER.with(|t| t.borrow().clone().expect("set by the test"))
}

#[tracing::instrument]
fn handler() {
    chat_sync();
}

#[test]
fn sync_nests_under_tracing_and_tracing_nests_under_it() {
    let telemetry = TestTelemetry::new();
    TEST_TRACER.with(|t| *t.borrow_mut() = Some(telemetry.provider().tracer("otel-app")));
    let dispatch = subscriber(&telemetry);
    tracing::dispatcher::with_default(&dispatch, || {
        let _guard = telemetry.context().attach();
        handler();
    });
    let spans = telemetry.spans();
    assert_eq!(parent_of(&spans, "handler"), "<root>");
    assert_eq!(parent_of(&spans, "chat gpt-4o"), "handler");
    assert_eq!(parent_of(&spans, "tracing_inside"), "chat gpt-4o");
    assert_eq!(parent_of(&spans, "otel_inside"), "chat gpt-4o");
    assert_eq!(parent_of(&spans, "otel_in_tracing"), "tracing_inside");
    let trace_ids: std::collections::HashSet<_> =
        spans.iter().map(|s| s.span_context.trace_id()).collect();
    assert_eq!(trace_ids.len(), 1, "one trace");
}

#[test]
fn nests_under_an_opentelemetry_api_span() {
    let telemetry = TestTelemetry::new();
    TEST_TRACER.with(|t| *t.borrow_mut() = Some(telemetry.provider().tracer("otel-app")));
    let tracer = telemetry.provider().tracer("otel-app");
    let _scope = telemetry.context().attach();
    tracer.in_span("request", |_cx| {
        chat_sync();
    });
    let spans = telemetry.spans();
    assert_eq!(parent_of(&spans, "chat gpt-4o"), "request");
    assert_eq!(parent_of(&spans, "otel_inside"), "chat gpt-4o");
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini")]
async fn chat_async(tracer: opentelemetry_sdk::trace::SdkTracer) -> Reply {
    for _ in 0..8 {
        // Let the scheduler move this future to another worker thread.
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    async {
        tokio::task::yield_now().await;
    }
    .instrument(tracing::info_span!("tracing_after_await"))
    .await;
    let otel = tracer.start("otel_after_await");
    opentelemetry::trace::Span::end(&mut { otel });
    // A spawned task keeps its parent when the context is carried.
    tokio::spawn(
        async {
            let _span = tracing::info_span!("spawned").entered();
        }
        .with_current_context()
        .with_current_subscriber(),
    )
    .await
    .unwrap();
    Reply { tokens: 2 }
}

#[tracing::instrument(skip_all)]
async fn async_handler(tracer: opentelemetry_sdk::trace::SdkTracer) {
    tokio::task::yield_now().await;
    chat_async(tracer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn async_nests_both_ways_across_worker_threads() {
    let telemetry = TestTelemetry::new();
    let dispatch = subscriber(&telemetry);
    let tracer = telemetry.provider().tracer("otel-app");
    tokio::spawn(
        async_handler(tracer)
            .with_subscriber(dispatch)
            .with_context(telemetry.context()),
    )
    .await
    .unwrap();
    let spans = telemetry.spans();
    assert_eq!(parent_of(&spans, "async_handler"), "<root>");
    assert_eq!(parent_of(&spans, "chat gpt-4o-mini"), "async_handler");
    assert_eq!(parent_of(&spans, "tracing_after_await"), "chat gpt-4o-mini");
    assert_eq!(parent_of(&spans, "otel_after_await"), "chat gpt-4o-mini");
    assert_eq!(parent_of(&spans, "spawned"), "chat gpt-4o-mini");
}

#[test]
fn span_created_by_the_call_is_current_inside_it() {
    let telemetry = TestTelemetry::new();
    #[llmscope::llm_call(provider = "openai", model = "probe", usage = false)]
    fn probe() -> opentelemetry::trace::SpanContext {
        opentelemetry::Context::current()
            .span()
            .span_context()
            .clone()
    }
    let inside = {
        let _guard = telemetry.context().attach();
        probe()
    };
    let span = telemetry.span("chat probe");
    assert_eq!(inside.span_id(), span.span_context.span_id());
    assert!(
        !opentelemetry::Context::current().has_active_span(),
        "nothing leaks after the call"
    );
}
