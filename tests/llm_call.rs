//! `#[llm_call]` behaviour, asserted on the spans the SDK exports.

use llmscope::testing::{attribute, TestTelemetry};
use opentelemetry::trace::{SpanKind, Status};
use opentelemetry::Value;

#[derive(llmscope::Usage)]
struct Reply {
    #[usage(input_tokens)]
    prompt_tokens: u32,
    #[usage(output_tokens)]
    completion_tokens: u32,
    #[usage(response_model)]
    model: String,
}

#[llmscope::llm_call(
    provider = "openai",
    model = "gpt-4o",
    temperature = 0.2,
    max_tokens = 256
)]
fn chat_sync(prompt: &str) -> Reply {
    Reply {
        prompt_tokens: prompt.len() as u32,
        completion_tokens: 7,
        model: "gpt-4o-2024-08-06".into(),
    }
}

#[test]
fn sync_call_emits_one_client_span_with_usage() {
    let telemetry = TestTelemetry::new();
    let reply = {
        let _guard = telemetry.context().attach();
        chat_sync("hello")
    };
    assert_eq!(reply.completion_tokens, 7);
    let span = telemetry.span("chat gpt-4o");
    assert_eq!(span.span_kind, SpanKind::Client);
    assert_eq!(
        attribute(&span, "gen_ai.operation.name"),
        Some(&Value::from("chat"))
    );
    assert_eq!(
        attribute(&span, "gen_ai.provider.name"),
        Some(&Value::from("openai"))
    );
    assert_eq!(
        attribute(&span, "gen_ai.request.temperature"),
        Some(&Value::F64(0.2))
    );
    assert_eq!(
        attribute(&span, "gen_ai.request.max_tokens"),
        Some(&Value::I64(256))
    );
    assert_eq!(
        attribute(&span, "gen_ai.usage.input_tokens"),
        Some(&Value::I64(5))
    );
    assert_eq!(
        attribute(&span, "gen_ai.usage.output_tokens"),
        Some(&Value::I64(7))
    );
    assert_eq!(
        attribute(&span, "gen_ai.response.model"),
        Some(&Value::from("gpt-4o-2024-08-06"))
    );
    assert_eq!(span.status, Status::Unset);
}

#[test]
fn no_provider_means_no_span() {
    let telemetry = TestTelemetry::new();
    let reply = chat_sync("hello");
    assert_eq!(reply.prompt_tokens, 5);
    assert!(telemetry.spans().is_empty());
}

struct ChatRequest {
    model: String,
    temperature: Option<f64>,
    max_tokens: u32,
    stop: Vec<String>,
}

#[llmscope::llm_call(
    provider = "anthropic",
    model = req.model,
    temperature = req.temperature,
    max_tokens = req.max_tokens,
    stop_sequences = req.stop,
    server_address = "api.anthropic.com",
    server_port = 443,
    feature = "summarise_thread",
    prompt_template = "summary",
    prompt_version = "v3",
    attrs("gen_ai.conversation.id" = conversation, custom("app.tenant") = "acme", custom("app.shard") = 7)
)]
async fn chat_async(req: &ChatRequest, conversation: &str) -> Reply {
    tokio::task::yield_now().await;
    Reply {
        prompt_tokens: 10,
        completion_tokens: req.max_tokens.min(3),
        model: req.model.clone(),
    }
}

#[tokio::test]
async fn async_call_takes_values_from_parameters() {
    use opentelemetry::context::FutureExt as _;
    let telemetry = TestTelemetry::new();
    let req = ChatRequest {
        model: "claude-sonnet-4-5".into(),
        temperature: None,
        max_tokens: 64,
        stop: vec!["\n\n".into()],
    };
    chat_async(&req, "conv-1")
        .with_context(telemetry.context())
        .await;
    let span = telemetry.span("chat claude-sonnet-4-5");
    assert_eq!(
        attribute(&span, "gen_ai.request.model"),
        Some(&Value::from("claude-sonnet-4-5"))
    );
    assert_eq!(
        attribute(&span, "gen_ai.request.temperature"),
        None,
        "None is left out"
    );
    assert_eq!(
        attribute(&span, "gen_ai.request.max_tokens"),
        Some(&Value::I64(64))
    );
    assert_eq!(
        attribute(&span, "gen_ai.request.stop_sequences"),
        Some(&Value::Array(
            vec![opentelemetry::StringValue::from("\n\n")].into()
        ))
    );
    assert_eq!(
        attribute(&span, "server.address"),
        Some(&Value::from("api.anthropic.com"))
    );
    assert_eq!(attribute(&span, "server.port"), Some(&Value::I64(443)));
    assert_eq!(
        attribute(&span, "llmscope.feature"),
        Some(&Value::from("summarise_thread"))
    );
    assert_eq!(
        attribute(&span, "gen_ai.prompt.name"),
        Some(&Value::from("summary"))
    );
    assert_eq!(
        attribute(&span, "llmscope.prompt.version"),
        Some(&Value::from("v3"))
    );
    assert_eq!(
        attribute(&span, "gen_ai.conversation.id"),
        Some(&Value::from("conv-1"))
    );
    assert_eq!(attribute(&span, "app.tenant"), Some(&Value::from("acme")));
    assert_eq!(attribute(&span, "app.shard"), Some(&Value::I64(7)));
    assert_eq!(
        attribute(&span, "gen_ai.usage.output_tokens"),
        Some(&Value::I64(3))
    );
}

#[derive(Debug)]
enum ApiError {
    RateLimited,
    #[allow(dead_code)]
    Other(String),
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::RateLimited => f.write_str("429 rate limit exceeded"),
            ApiError::Other(message) => f.write_str(message),
        }
    }
}

impl llmscope::ErrorType for ApiError {
    fn error_type(&self) -> &str {
        match self {
            ApiError::RateLimited => "rate_limit",
            ApiError::Other(_) => "_OTHER",
        }
    }
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini")]
async fn fallible(fail: bool) -> Result<Reply, ApiError> {
    if fail {
        return Err(ApiError::RateLimited);
    }
    let reply = Reply {
        prompt_tokens: 1,
        completion_tokens: 1,
        model: "gpt-4o-mini".into(),
    };
    Ok(reply)
}

#[tokio::test]
async fn err_sets_status_error_type_and_exception_event() {
    use opentelemetry::context::FutureExt as _;
    let telemetry = TestTelemetry::new();
    let result = fallible(true).with_context(telemetry.context()).await;
    assert!(result.is_err());
    let span = telemetry.span("chat gpt-4o-mini");
    assert_eq!(span.status, Status::error("429 rate limit exceeded"));
    assert_eq!(
        attribute(&span, "error.type"),
        Some(&Value::from("rate_limit"))
    );
    assert_eq!(attribute(&span, "gen_ai.usage.input_tokens"), None);
    let event = span
        .events
        .iter()
        .find(|e| e.name == "exception")
        .expect("exception event");
    let message = event
        .attributes
        .iter()
        .find(|kv| kv.key.as_str() == "exception.message");
    assert_eq!(
        message.map(|kv| kv.value.as_str().into_owned()).as_deref(),
        Some("429 rate limit exceeded")
    );
}

#[tokio::test]
async fn ok_result_records_usage_of_the_ok_value() {
    use opentelemetry::context::FutureExt as _;
    let telemetry = TestTelemetry::new();
    fallible(false)
        .with_context(telemetry.context())
        .await
        .unwrap();
    let span = telemetry.span("chat gpt-4o-mini");
    assert_eq!(span.status, Status::Unset);
    assert_eq!(
        attribute(&span, "gen_ai.usage.input_tokens"),
        Some(&Value::I64(1))
    );
    assert_eq!(attribute(&span, "error.type"), None);
}

#[derive(Debug)]
struct PlainError;

#[llmscope::llm_call(provider = "openai", model = "m", usage = false)]
fn debug_only_error() -> Result<(), PlainError> {
    Err(PlainError)
}

#[test]
fn error_without_display_uses_the_type_name() {
    let telemetry = TestTelemetry::new();
    let _guard = telemetry.context().attach();
    assert!(debug_only_error().is_err());
    let span = telemetry.span("chat m");
    assert_eq!(
        attribute(&span, "error.type"),
        Some(&Value::from("llm_call::PlainError"))
    );
    assert_eq!(span.status, Status::error("PlainError"));
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o")]
fn panics() -> Reply {
    panic!("boom")
}

#[test]
fn panic_ends_the_span_with_error_and_keeps_unwinding() {
    let telemetry = TestTelemetry::new();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _guard = telemetry.context().attach();
        panics()
    }));
    assert!(outcome.is_err(), "the panic continues");
    let span = telemetry.span("chat gpt-4o");
    assert_eq!(attribute(&span, "error.type"), Some(&Value::from("panic")));
    assert!(matches!(span.status, Status::Error { .. }));
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o")]
async fn slow() -> Reply {
    tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    unreachable!("cancelled first")
}

#[tokio::test]
async fn dropped_future_ends_the_span_marked_cancelled() {
    use opentelemetry::context::FutureExt as _;
    let telemetry = TestTelemetry::new();
    let outcome = tokio::time::timeout(
        std::time::Duration::from_millis(10),
        slow().with_context(telemetry.context()),
    )
    .await;
    assert!(outcome.is_err(), "timed out");
    let span = telemetry.span("chat gpt-4o");
    assert_eq!(
        attribute(&span, "llmscope.cancelled"),
        Some(&Value::Bool(true))
    );
    assert_eq!(attribute(&span, "error.type"), None);
}

struct Client {
    calls: u32,
    model: &'static str,
}

trait Chat {
    async fn complete(&mut self, prompt: &str) -> Option<Reply>;
}

impl Client {
    #[llmscope::llm_call(provider = "openai", model = self.model)]
    fn by_ref(&self, prompt: &str) -> Reply {
        Reply {
            prompt_tokens: prompt.len() as u32,
            completion_tokens: self.calls,
            model: self.model.to_owned(),
        }
    }

    #[llmscope::llm_call(provider = "openai", model = self.model, operation = text_completion)]
    fn by_mut(&mut self) -> Option<Reply> {
        self.calls += 1;
        None
    }

    #[llmscope::llm_call(
        provider = "openai",
        model = "text-embedding-3-small",
        operation = "embeddings"
    )]
    fn generic<T: AsRef<str>>(&self, input: T) -> impl llmscope::Usage {
        Reply {
            prompt_tokens: input.as_ref().len() as u32,
            completion_tokens: 0,
            model: "text-embedding-3-small".into(),
        }
    }
}

impl Chat for Client {
    #[llmscope::llm_call(provider = "openai", model = self.model, name = "chat completion")]
    async fn complete(&mut self, prompt: &str) -> Option<Reply> {
        self.calls += 1;
        Some(Reply {
            prompt_tokens: prompt.len() as u32,
            completion_tokens: self.calls,
            model: self.model.to_owned(),
        })
    }
}

#[tokio::test]
async fn methods_generics_impl_trait_and_trait_async_fns() {
    use opentelemetry::context::FutureExt as _;
    let telemetry = TestTelemetry::new();
    let mut client = Client {
        calls: 0,
        model: "gpt-4.1",
    };
    {
        let _guard = telemetry.context().attach();
        client.by_ref("abc");
        assert!(client.by_mut().is_none());
        client.generic("four");
    }
    let reply = client
        .complete("hi")
        .with_context(telemetry.context())
        .await
        .expect("some");
    assert_eq!(reply.completion_tokens, 2);

    let names: Vec<_> = telemetry
        .spans()
        .iter()
        .map(|s| s.name.to_string())
        .collect();
    assert_eq!(
        names,
        [
            "chat gpt-4.1",
            "text_completion gpt-4.1",
            "embeddings text-embedding-3-small",
            "chat completion"
        ]
    );
    let embed = telemetry.span("embeddings text-embedding-3-small");
    assert_eq!(
        attribute(&embed, "gen_ai.operation.name"),
        Some(&Value::from("embeddings"))
    );
    assert_eq!(
        attribute(&embed, "gen_ai.usage.input_tokens"),
        Some(&Value::I64(4))
    );
    let completion = telemetry.span("text_completion gpt-4.1");
    assert_eq!(
        attribute(&completion, "gen_ai.usage.input_tokens"),
        None,
        "None records nothing"
    );
}

#[test]
fn unsampled_spans_carry_no_attributes_and_are_not_exported() {
    let telemetry = TestTelemetry::with_builder(
        opentelemetry_sdk::trace::SdkTracerProvider::builder()
            .with_sampler(opentelemetry_sdk::trace::Sampler::AlwaysOff),
    );
    let _guard = telemetry.context().attach();
    chat_sync("hello");
    assert!(telemetry.spans().is_empty());
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini")]
fn inner_call() -> Reply {
    Reply {
        prompt_tokens: 1,
        completion_tokens: 1,
        model: "gpt-4o-mini".into(),
    }
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o")]
fn outer_call() -> Reply {
    let inner = inner_call();
    Reply {
        prompt_tokens: inner.prompt_tokens + 1,
        completion_tokens: 1,
        model: "gpt-4o".into(),
    }
}

#[test]
fn nested_calls_nest_their_spans() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        outer_call();
    }
    let outer = telemetry.span("chat gpt-4o");
    let inner = telemetry.span("chat gpt-4o-mini");
    assert_eq!(inner.parent_span_id, outer.span_context.span_id());
    assert_eq!(inner.span_context.trace_id(), outer.span_context.trace_id());
    assert_eq!(outer.parent_span_id, opentelemetry::trace::SpanId::INVALID);
}

mod renamed {
    pub(crate) use llmscope as telemetry;
}

#[renamed::telemetry::llm_call(crate = renamed::telemetry, provider = "openai", model = "gpt-4o")]
fn through_renamed_path() -> Reply {
    Reply {
        prompt_tokens: 2,
        completion_tokens: 2,
        model: "gpt-4o".into(),
    }
}

#[test]
fn crate_argument_reaches_a_renamed_facade() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        through_renamed_path();
    }
    let span = telemetry.span("chat gpt-4o");
    assert_eq!(
        attribute(&span, "gen_ai.usage.input_tokens"),
        Some(&Value::I64(2))
    );
}

/// A sampler that remembers what it was shown, then drops or keeps the span.
#[derive(Debug, Clone)]
struct RecordingSampler {
    seen: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    keep: bool,
}

impl opentelemetry_sdk::trace::ShouldSample for RecordingSampler {
    fn should_sample(
        &self,
        _parent: Option<&opentelemetry::Context>,
        _trace_id: opentelemetry::trace::TraceId,
        name: &str,
        _kind: &SpanKind,
        attributes: &[opentelemetry::KeyValue],
        _links: &[opentelemetry::trace::Link],
    ) -> opentelemetry_sdk::trace::SamplingResult {
        let mut seen = self.seen.lock().unwrap();
        seen.push(format!("name={name}"));
        seen.extend(attributes.iter().map(|kv| kv.key.to_string()));
        opentelemetry_sdk::trace::SamplingResult {
            decision: if self.keep {
                opentelemetry_sdk::trace::SamplingDecision::RecordAndSample
            } else {
                opentelemetry_sdk::trace::SamplingDecision::Drop
            },
            attributes: Vec::new(),
            trace_state: Default::default(),
        }
    }
}

thread_local! {
    // Per test thread, so tests running in parallel do not see each other's calls.
    static DESCRIBED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn counted_temperature() -> f64 {
    DESCRIBED.with(|count| count.set(count.get() + 1));
    0.5
}

#[llmscope::llm_call(
    provider = "openai",
    model = "gpt-4o",
    server_address = "api.openai.com",
    server_port = 443,
    temperature = counted_temperature()
)]
fn sampled_call() -> Reply {
    Reply {
        prompt_tokens: 1,
        completion_tokens: 1,
        model: "gpt-4o".into(),
    }
}

#[test]
fn the_sampler_sees_the_sampling_relevant_attributes_and_the_name() {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let telemetry = TestTelemetry::with_builder(
        opentelemetry_sdk::trace::SdkTracerProvider::builder().with_sampler(RecordingSampler {
            seen: seen.clone(),
            keep: true,
        }),
    );
    {
        let _guard = telemetry.context().attach();
        sampled_call();
    }
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            "name=chat gpt-4o",
            "gen_ai.operation.name",
            "gen_ai.provider.name",
            "gen_ai.request.model",
            "server.address",
            "server.port"
        ]
    );
    let span = telemetry.span("chat gpt-4o");
    assert_eq!(
        attribute(&span, "gen_ai.request.temperature"),
        Some(&Value::F64(0.5))
    );
    assert_eq!(DESCRIBED.with(|count| count.get()), 1);
}

#[test]
fn a_dropped_span_evaluates_no_other_attribute() {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let telemetry = TestTelemetry::with_builder(
        opentelemetry_sdk::trace::SdkTracerProvider::builder()
            .with_sampler(RecordingSampler { seen, keep: false }),
    );
    {
        let _guard = telemetry.context().attach();
        sampled_call();
    }
    assert_eq!(
        DESCRIBED.with(|count| count.get()),
        0,
        "`temperature` was evaluated"
    );
    assert!(telemetry.spans().is_empty());
}

/// Drops spans whose name starts with `chat`, keeps the others.
#[derive(Debug, Clone)]
struct DropChat;

impl opentelemetry_sdk::trace::ShouldSample for DropChat {
    fn should_sample(
        &self,
        _parent: Option<&opentelemetry::Context>,
        _trace_id: opentelemetry::trace::TraceId,
        name: &str,
        _kind: &SpanKind,
        _attributes: &[opentelemetry::KeyValue],
        _links: &[opentelemetry::trace::Link],
    ) -> opentelemetry_sdk::trace::SamplingResult {
        opentelemetry_sdk::trace::SamplingResult {
            decision: if name.starts_with("chat") {
                opentelemetry_sdk::trace::SamplingDecision::Drop
            } else {
                opentelemetry_sdk::trace::SamplingDecision::RecordAndSample
            },
            attributes: Vec::new(),
            trace_state: Default::default(),
        }
    }
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o")]
fn call_with_child(tracer: &opentelemetry_sdk::trace::SdkTracer) -> Reply {
    use opentelemetry::trace::Tracer as _;
    tracer.in_span("child", |_| {});
    Reply {
        prompt_tokens: 1,
        completion_tokens: 1,
        model: "gpt-4o".into(),
    }
}

#[test]
fn children_of_a_dropped_call_are_dropped_with_it() {
    use opentelemetry::trace::TracerProvider as _;
    let telemetry = TestTelemetry::with_builder(
        opentelemetry_sdk::trace::SdkTracerProvider::builder().with_sampler(
            opentelemetry_sdk::trace::Sampler::ParentBased(Box::new(DropChat)),
        ),
    );
    let tracer = telemetry.provider().tracer("app");
    {
        let _guard = telemetry.context().attach();
        call_with_child(&tracer);
        // Control: the same child outside a dropped call is recorded.
        use opentelemetry::trace::Tracer as _;
        tracer.in_span("child", |_| {});
    }
    let names: Vec<String> = telemetry
        .spans()
        .iter()
        .map(|s| s.name.to_string())
        .collect();
    assert_eq!(names, ["child"], "only the control child is recorded");
}
