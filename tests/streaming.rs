//! Streamed `#[llm_call]`s: one span per call that ends exactly once, with time to first
//! chunk, usage accumulated from the chunks, cost and content; asserted on exported spans.
//!
//! The streams replay the SSE fixtures in `tests/fixtures/providers/` (see its README).

use std::fmt;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::stream::{self, BoxStream, Stream, StreamExt as _};
use llmscope::testing::{attribute, TestTelemetry};
use opentelemetry::trace::{SpanId, Status, TraceContextExt as _};
use opentelemetry::{Array, Context, Value};
use opentelemetry_sdk::trace::{SdkTracerProvider, Span as SdkSpan, SpanData, SpanProcessor};
use serde::Deserialize;

const OPENAI: &str = include_str!("fixtures/providers/openai-chat-stream.sse");
const OPENAI_NO_USAGE: &str = include_str!("fixtures/providers/openai-chat-stream-no-usage.sse");
const OPENAI_TOOL_CALL: &str = include_str!("fixtures/providers/openai-chat-stream-tool-call.sse");
const ANTHROPIC: &str = include_str!("fixtures/providers/anthropic-stream.sse");
const ANTHROPIC_ERROR: &str = include_str!("fixtures/providers/anthropic-stream-error.sse");
const ANTHROPIC_TOOL_USE: &str = include_str!("fixtures/providers/anthropic-stream-tool-use.sse");
const GEMINI: &str = include_str!("fixtures/providers/gemini-stream.sse");

// ---- the providers' chunk types, as an application declares them -------------------------

/// An OpenAI Chat Completions chunk.
#[derive(Debug, Deserialize, llmscope::Usage)]
struct OpenAiChunk {
    #[usage(response_id)]
    id: String,
    #[usage(response_model)]
    model: String,
    #[usage(flatten)]
    choices: Vec<OpenAiChoice>,
    /// Only on the final chunk, and only with `stream_options.include_usage`.
    #[usage(flatten)]
    usage: Option<OpenAiUsage>,
}

#[derive(Debug, Deserialize, llmscope::Usage)]
struct OpenAiChoice {
    #[usage(flatten)]
    delta: OpenAiDelta,
    #[usage(finish_reason)]
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize, llmscope::Usage)]
struct OpenAiDelta {
    #[usage(completion)]
    content: Option<String>,
}

#[derive(Debug, Deserialize, llmscope::Usage)]
struct OpenAiUsage {
    #[usage(input_tokens)]
    prompt_tokens: u64,
    #[usage(output_tokens)]
    completion_tokens: u64,
    #[usage(flatten)]
    prompt_tokens_details: Option<OpenAiPromptDetails>,
}

#[derive(Debug, Deserialize, llmscope::Usage)]
struct OpenAiPromptDetails {
    #[usage(cache_read_tokens)]
    cached_tokens: u64,
}

/// An Anthropic Messages stream event (every event type in one struct).
#[derive(Debug, Deserialize, llmscope::Usage)]
#[usage(input_excludes_cache)]
struct AnthropicEvent {
    /// `message_start`: id, model, input and cache counts.
    #[usage(flatten)]
    message: Option<AnthropicMessage>,
    /// `content_block_delta` (text) and `message_delta` (stop reason).
    #[usage(flatten)]
    delta: Option<AnthropicDelta>,
    /// `message_delta`: the cumulative output count.
    #[usage(flatten)]
    usage: Option<AnthropicUsage>,
}

#[derive(Debug, Deserialize, llmscope::Usage)]
struct AnthropicMessage {
    #[usage(response_id)]
    id: String,
    #[usage(response_model)]
    model: String,
    #[usage(flatten)]
    usage: AnthropicUsage,
}

#[derive(Debug, Deserialize, llmscope::Usage)]
struct AnthropicUsage {
    #[usage(input_tokens)]
    input_tokens: Option<u64>,
    #[usage(output_tokens)]
    output_tokens: Option<u64>,
    #[usage(cache_read_tokens)]
    cache_read_input_tokens: Option<u64>,
    #[usage(cache_write_tokens)]
    cache_creation_input_tokens: Option<u64>,
    #[usage(flatten)]
    cache_creation: Option<AnthropicCacheCreation>,
}

#[derive(Debug, Deserialize, llmscope::Usage)]
struct AnthropicCacheCreation {
    #[usage(cache_write_1h_tokens)]
    ephemeral_1h_input_tokens: u64,
}

#[derive(Debug, Deserialize, llmscope::Usage)]
struct AnthropicDelta {
    #[usage(completion)]
    text: Option<String>,
    #[usage(finish_reason)]
    stop_reason: Option<String>,
}

/// A Gemini `streamGenerateContent?alt=sse` chunk.
#[derive(Debug, Deserialize, llmscope::Usage)]
#[serde(rename_all = "camelCase")]
struct GeminiChunk {
    #[usage(flatten)]
    candidates: Vec<GeminiCandidate>,
    #[usage(flatten)]
    usage_metadata: Option<GeminiUsage>,
    #[usage(response_model)]
    model_version: String,
    #[usage(response_id)]
    response_id: String,
}

#[derive(Debug, Deserialize, llmscope::Usage)]
#[serde(rename_all = "camelCase")]
struct GeminiCandidate {
    #[usage(flatten)]
    content: GeminiContent,
    #[usage(finish_reason)]
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize, llmscope::Usage)]
struct GeminiContent {
    #[usage(flatten)]
    parts: Vec<GeminiPart>,
}

#[derive(Debug, Deserialize, llmscope::Usage)]
struct GeminiPart {
    #[usage(completion)]
    text: Option<String>,
}

#[derive(Debug, Deserialize, llmscope::Usage)]
#[serde(rename_all = "camelCase")]
#[usage(output_excludes_reasoning)]
struct GeminiUsage {
    #[usage(input_tokens)]
    prompt_token_count: u64,
    #[usage(output_tokens)]
    candidates_token_count: u64,
    #[usage(cache_read_tokens)]
    cached_content_token_count: Option<u64>,
    #[usage(reasoning_tokens)]
    thoughts_token_count: Option<u64>,
}

/// An error event in the stream (Anthropic's `event: error`).
#[derive(Debug)]
struct ProviderError {
    kind: String,
    message: String,
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl llmscope::ErrorType for ProviderError {
    fn error_type(&self) -> &str {
        &self.kind
    }
}

/// The events of an SSE body: each `data:` payload but `[DONE]`, parsed as `T`; an
/// `{"type":"error"}` payload becomes an `Err` item.
fn sse<T: for<'de> Deserialize<'de>>(body: &str) -> Vec<Result<T, ProviderError>> {
    body.split("\n\n")
        .filter_map(|event| {
            event
                .lines()
                .find_map(|line| line.strip_prefix("data: "))
                .filter(|data| *data != "[DONE]")
        })
        .map(|data| {
            let json: serde_json::Value =
                serde_json::from_str(data).expect("fixture event is json");
            if json["type"] == "error" {
                Err(ProviderError {
                    kind: json["error"]["type"]
                        .as_str()
                        .unwrap_or("_OTHER")
                        .to_owned(),
                    message: json["error"]["message"].as_str().unwrap_or("").to_owned(),
                })
            } else {
                Ok(serde_json::from_value(json).expect("fixture event matches the chunk type"))
            }
        })
        .collect()
}

// ---- annotated calls -------------------------------------------------------------------

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini", capture = full)]
async fn openai(body: &'static str) -> impl Stream<Item = Result<OpenAiChunk, ProviderError>> {
    stream::iter(sse::<OpenAiChunk>(body))
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o", name = "chat tools")]
fn openai_tools(body: &'static str) -> BoxStream<'static, Result<OpenAiChunk, ProviderError>> {
    stream::iter(sse::<OpenAiChunk>(body)).boxed()
}

#[llmscope::llm_call(provider = "anthropic", model = "claude-sonnet-4-5", capture = full)]
fn anthropic(
    body: &'static str,
) -> Pin<Box<dyn Stream<Item = Result<AnthropicEvent, ProviderError>> + Send>> {
    Box::pin(stream::iter(sse::<AnthropicEvent>(body)))
}

#[llmscope::llm_call(provider = "anthropic", model = "claude-haiku-4-5", capture = full)]
async fn anthropic_error(
    body: &'static str,
) -> Result<impl Stream<Item = Result<AnthropicEvent, ProviderError>>, ProviderError> {
    Ok(stream::iter(sse::<AnthropicEvent>(body)))
}

// The boxed shape is read from the written type (an alias would hide it), hence the long type.
#[allow(clippy::type_complexity)]
#[llmscope::llm_call(
    provider = "anthropic",
    model = "claude-sonnet-4-5",
    name = "chat tool_use"
)]
fn anthropic_tool_use(
    body: &'static str,
) -> Result<Pin<Box<dyn Stream<Item = Result<AnthropicEvent, ProviderError>> + Send>>, ProviderError>
{
    Ok(Box::pin(stream::iter(sse::<AnthropicEvent>(body))))
}

#[llmscope::llm_call(
    provider = "anthropic",
    model = "claude-sonnet-4-5",
    name = "chat refused"
)]
async fn refused(
) -> Result<impl Stream<Item = Result<AnthropicEvent, ProviderError>>, ProviderError> {
    let fail = || -> Result<(), ProviderError> {
        Err(ProviderError {
            kind: "rate_limit_error".into(),
            message: "slow down".into(),
        })
    };
    fail()?;
    Ok(stream::iter(sse::<AnthropicEvent>(ANTHROPIC)))
}

#[llmscope::llm_call(provider = "gcp.gemini", model = "gemini-2.5-flash", operation = "generate_content", capture = full)]
fn gemini(body: &'static str) -> impl Stream<Item = Result<GeminiChunk, ProviderError>> {
    stream::iter(sse::<GeminiChunk>(body))
}

/// A stream that never ends (a connection that hangs after two chunks).
#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini", name = "chat hanging")]
fn hanging() -> impl Stream<Item = Result<OpenAiChunk, ProviderError>> + Send {
    stream::iter(sse::<OpenAiChunk>(OPENAI).into_iter().take(2)).chain(stream::pending())
}

/// A stream whose producer panics after one chunk.
#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini", name = "chat panicking")]
fn panicking() -> impl Stream<Item = Result<OpenAiChunk, ProviderError>> {
    stream::iter(sse::<OpenAiChunk>(OPENAI))
        .enumerate()
        .map(|(index, item)| {
            assert!(index < 1, "the producer failed");
            item
        })
}

/// A text-only stream with no usage to read.
#[llmscope::llm_call(
    provider = "openai",
    model = "gpt-4o-mini",
    name = "chat text",
    usage = false
)]
fn text_only() -> impl Stream<Item = String> {
    stream::iter(["a", "b", "c"].map(String::from))
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini", name = "chat inner")]
fn inner_call() -> OpenAiUsage {
    OpenAiUsage {
        prompt_tokens: 1,
        completion_tokens: 1,
        prompt_tokens_details: None,
    }
}

/// A stream whose producer makes another annotated call while it is polled.
#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini", name = "chat outer")]
fn outer() -> impl Stream<Item = Result<OpenAiChunk, ProviderError>> {
    stream::iter(sse::<OpenAiChunk>(OPENAI)).map(|item| {
        if matches!(&item, Ok(chunk) if chunk.usage.is_some()) {
            let _ = inner_call();
        }
        item
    })
}

// ---- helpers ---------------------------------------------------------------------------

/// Runs `future` to completion on this thread. (Not `futures::executor::block_on`: the SDK's
/// simple span processor exports with that executor, which refuses to run inside itself.)
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime")
        .block_on(future)
}

fn int(span: &SpanData, key: &str) -> Option<i64> {
    match attribute(span, key)? {
        Value::I64(value) => Some(*value),
        other => panic!("`{key}` is not an integer: {other:?}"),
    }
}

fn float(span: &SpanData, key: &str) -> Option<f64> {
    match attribute(span, key)? {
        Value::F64(value) => Some(*value),
        other => panic!("`{key}` is not a double: {other:?}"),
    }
}

fn string(span: &SpanData, key: &str) -> Option<String> {
    attribute(span, key).map(|value| value.as_str().into_owned())
}

fn strings(span: &SpanData, key: &str) -> Vec<String> {
    match attribute(span, key) {
        Some(Value::Array(Array::String(values))) => values
            .iter()
            .map(|value| value.as_str().to_owned())
            .collect(),
        None => Vec::new(),
        Some(other) => panic!("`{key}` is not a string array: {other:?}"),
    }
}

fn assert_close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() <= expected.abs() * 1e-9,
        "{actual} != {expected}"
    );
}

/// The completion captured in `gen_ai.output.messages`.
fn output_text(span: &SpanData) -> String {
    let json: serde_json::Value =
        serde_json::from_str(&string(span, "gen_ai.output.messages").expect("output captured"))
            .unwrap();
    json[0]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|part| part["content"].as_str().unwrap().to_owned())
        .collect()
}

fn assert_abandoned(span: &SpanData) {
    assert_eq!(
        attribute(span, "llmscope.cancelled"),
        Some(&Value::Bool(true))
    );
    assert!(
        matches!(span.status, Status::Error { .. }),
        "{:?}",
        span.status
    );
    assert_eq!(attribute(span, "error.type"), None);
}

// ---- full consumption, per provider ------------------------------------------------------

#[test]
fn openai_stream_consumed_fully_records_usage_cost_ttfc_and_content() {
    let telemetry = TestTelemetry::new();
    let items: Vec<_> = {
        let _guard = telemetry.context().attach();
        block_on(async { openai(OPENAI).await.collect::<Vec<_>>().await })
    };
    assert_eq!(items.len(), 5, "every chunk passes through");

    let span = telemetry.span("chat gpt-4o-mini");
    assert_eq!(
        attribute(&span, "gen_ai.request.stream"),
        Some(&Value::Bool(true))
    );
    assert_eq!(int(&span, "llmscope.stream.chunks"), Some(5));
    let ttfc = float(&span, "gen_ai.response.time_to_first_chunk").expect("ttfc");
    let duration = span
        .end_time
        .duration_since(span.start_time)
        .unwrap()
        .as_secs_f64();
    assert!(ttfc > 0.0 && ttfc <= duration, "{ttfc} vs {duration}");
    assert!(float(&span, "llmscope.stream.time_per_output_chunk").is_some());
    // The final chunk (empty `choices`) carries the usage: 19 in, 3 out, 0 cached.
    assert_eq!(int(&span, "gen_ai.usage.input_tokens"), Some(19));
    assert_eq!(int(&span, "gen_ai.usage.output_tokens"), Some(3));
    assert_eq!(int(&span, "gen_ai.usage.cache_read.input_tokens"), Some(0));
    assert_eq!(
        string(&span, "gen_ai.response.id").as_deref(),
        Some("chatcmpl-stream1")
    );
    assert_eq!(
        string(&span, "gen_ai.response.model").as_deref(),
        Some("gpt-4o-mini-2024-07-18")
    );
    assert_eq!(strings(&span, "gen_ai.response.finish_reasons"), ["stop"]);
    // gpt-4o-mini-2024-07-18 in the LiteLLM table: 1.5e-7 per input token, 6e-7 per output
    // token: 19 × 1.5e-7 + 3 × 6e-7 = 2.85e-6 + 1.8e-6 = 4.65e-6 USD.
    assert_close(float(&span, "llmscope.cost.total").unwrap(), 4.65e-6);
    // The completion is assembled from the deltas, once, with its finish reason.
    assert_eq!(output_text(&span), "Hello there!");
    assert!(string(&span, "gen_ai.output.messages")
        .unwrap()
        .contains(r#""finish_reason":"stop""#));
    assert_eq!(span.events.len(), 0, "no per-chunk events");
    assert_eq!(span.status, Status::Unset);
    assert_eq!(attribute(&span, "llmscope.cancelled"), None);
    assert_eq!(attribute(&span, "llmscope.stream.usage_missing"), None);
}

#[test]
fn openai_stream_without_the_usage_chunk_says_so_instead_of_writing_zeros() {
    let telemetry = TestTelemetry::new();
    let count = {
        let _guard = telemetry.context().attach();
        block_on(async { openai(OPENAI_NO_USAGE).await.count().await })
    };
    let span = telemetry.span("chat gpt-4o-mini");
    assert_eq!(int(&span, "llmscope.stream.chunks"), Some(count as i64));
    assert_eq!(
        attribute(&span, "llmscope.stream.usage_missing"),
        Some(&Value::Bool(true))
    );
    for key in [
        "gen_ai.usage.input_tokens",
        "gen_ai.usage.output_tokens",
        "llmscope.cost.total",
    ] {
        assert_eq!(attribute(&span, key), None, "{key}");
    }
    assert_eq!(output_text(&span), "Hi again.");
    assert_eq!(strings(&span, "gen_ai.response.finish_reasons"), ["stop"]);
}

#[test]
fn openai_tool_call_stream_prices_the_cached_prompt() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        block_on(openai_tools(OPENAI_TOOL_CALL).count());
    }
    let span = telemetry.span("chat tools");
    assert_eq!(int(&span, "gen_ai.usage.input_tokens"), Some(2210));
    assert_eq!(
        int(&span, "gen_ai.usage.cache_read.input_tokens"),
        Some(1920)
    );
    assert_eq!(int(&span, "gen_ai.usage.output_tokens"), Some(18));
    assert_eq!(
        strings(&span, "gen_ai.response.finish_reasons"),
        ["tool_call"]
    );
    // gpt-4o-2024-08-06: input 2.5e-6, cache read 1.25e-6, output 1e-5 per token:
    // (2210 − 1920) × 2.5e-6 + 1920 × 1.25e-6 + 18 × 1e-5 = 7.25e-4 + 2.4e-3 + 1.8e-4 = 3.305e-3.
    assert_close(float(&span, "llmscope.cost.total").unwrap(), 3.305e-3);
    assert_eq!(
        attribute(&span, "gen_ai.output.messages"),
        None,
        "default: no content"
    );
}

#[test]
fn anthropic_stream_adds_message_start_counts_to_the_cumulative_output() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        block_on(anthropic(ANTHROPIC).count());
    }
    let span = telemetry.span("chat claude-sonnet-4-5");
    // message_start: 25 uncached input, 2048 cache read, 0 cache write; the last
    // message_delta: 15 output (cumulative, replacing message_start's 1).
    assert_eq!(int(&span, "gen_ai.usage.input_tokens"), Some(25 + 2048));
    assert_eq!(
        int(&span, "gen_ai.usage.cache_read.input_tokens"),
        Some(2048)
    );
    assert_eq!(
        int(&span, "gen_ai.usage.cache_creation.input_tokens"),
        Some(0)
    );
    assert_eq!(int(&span, "gen_ai.usage.output_tokens"), Some(15));
    assert_eq!(
        string(&span, "gen_ai.response.model").as_deref(),
        Some("claude-sonnet-4-5-20250929")
    );
    assert_eq!(strings(&span, "gen_ai.response.finish_reasons"), ["stop"]);
    // claude-sonnet-4-5-20250929: input 3e-6, cache read 3e-7, output 1.5e-5 per token:
    // 25 × 3e-6 + 2048 × 3e-7 + 15 × 1.5e-5 = 7.5e-5 + 6.144e-4 + 2.25e-4 = 9.144e-4.
    assert_close(float(&span, "llmscope.cost.total").unwrap(), 9.144e-4);
    assert_eq!(output_text(&span), "Hello!");
    // 8 events: message_start, content_block_start, ping, 2 deltas, content_block_stop,
    // message_delta, message_stop.
    assert_eq!(int(&span, "llmscope.stream.chunks"), Some(8));
}

#[test]
fn anthropic_tool_use_stream_splits_the_cache_writes_by_ttl() {
    let telemetry = TestTelemetry::new();
    let events = sse::<AnthropicEvent>(ANTHROPIC_TOOL_USE);
    // What the fixture says, read independently of llmscope.
    let start = events[0].as_ref().unwrap().message.as_ref().unwrap();
    let input = start.usage.input_tokens.unwrap();
    let read = start.usage.cache_read_input_tokens.unwrap();
    let write = start.usage.cache_creation_input_tokens.unwrap();
    let write_1h = start
        .usage
        .cache_creation
        .as_ref()
        .unwrap()
        .ephemeral_1h_input_tokens;
    let output = events
        .iter()
        .filter_map(|event| event.as_ref().ok()?.usage.as_ref()?.output_tokens)
        .next_back()
        .unwrap();
    assert_eq!((write, write_1h), (6000, 4000));
    {
        let _guard = telemetry.context().attach();
        block_on(anthropic_tool_use(ANTHROPIC_TOOL_USE).unwrap().count());
    }
    let span = telemetry.span("chat tool_use");
    assert_eq!(
        int(&span, "gen_ai.usage.input_tokens"),
        Some((input + read + write) as i64)
    );
    assert_eq!(
        int(&span, "llmscope.usage.cache_creation_1h.input_tokens"),
        Some(4000)
    );
    assert_eq!(
        int(&span, "gen_ai.usage.output_tokens"),
        Some(output as i64)
    );
    assert_eq!(
        strings(&span, "gen_ai.response.finish_reasons"),
        ["tool_call"]
    );
    // claude-sonnet-4-5: input 3e-6, cache read 3e-7, 5-minute write 3.75e-6, 1-hour write
    // 6e-6 (2× input), output 1.5e-5 per token.
    let expected = input as f64 * 3e-6
        + read as f64 * 3e-7
        + (write - write_1h) as f64 * 3.75e-6
        + write_1h as f64 * 6e-6
        + output as f64 * 1.5e-5;
    assert_close(float(&span, "llmscope.cost.total").unwrap(), expected);
}

#[test]
fn gemini_stream_takes_the_last_usage_metadata_and_adds_thoughts_to_output() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        block_on(gemini(GEMINI).count());
    }
    let span = telemetry.span("generate_content gemini-2.5-flash");
    // The last chunk: 1204 prompt (1024 cached), 9 candidates + 400 thoughts.
    assert_eq!(int(&span, "gen_ai.usage.input_tokens"), Some(1204));
    assert_eq!(
        int(&span, "gen_ai.usage.cache_read.input_tokens"),
        Some(1024)
    );
    assert_eq!(int(&span, "gen_ai.usage.output_tokens"), Some(409));
    assert_eq!(
        int(&span, "gen_ai.usage.reasoning.output_tokens"),
        Some(400)
    );
    // Gemini's `STOP`, normalised to semconv's `stop`; the provider's word kept beside it.
    assert_eq!(strings(&span, "gen_ai.response.finish_reasons"), ["stop"]);
    assert_eq!(
        strings(&span, "llmscope.response.finish_reasons.raw"),
        ["STOP"]
    );
    assert_eq!(
        string(&span, "gen_ai.response.id").as_deref(),
        Some("gem-stream-7Qx")
    );
    // gemini-2.5-flash: input 3e-7, cache read 3e-8, output and reasoning 2.5e-6 per token:
    // 180 × 3e-7 + 1024 × 3e-8 + 409 × 2.5e-6 = 5.4e-5 + 3.072e-5 + 1.0225e-3 = 1.10722e-3.
    assert_close(float(&span, "llmscope.cost.total").unwrap(), 1.10722e-3);
    assert_eq!(output_text(&span), "The capital of Portugal is Lisbon.");
}

// ---- every exit ends the span once -------------------------------------------------------

#[test]
fn dropping_after_one_chunk_ends_the_span_abandoned_with_what_arrived() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        let mut events = anthropic(ANTHROPIC);
        let first = block_on(events.next()).unwrap().unwrap();
        assert!(first.message.is_some());
        assert!(
            telemetry.spans().is_empty(),
            "open while the stream is held"
        );
        drop(events);
    }
    let span = telemetry.span("chat claude-sonnet-4-5");
    assert_abandoned(&span);
    assert_eq!(strings(&span, "gen_ai.response.finish_reasons"), ["error"]);
    assert_eq!(int(&span, "llmscope.stream.chunks"), Some(1));
    assert!(float(&span, "gen_ai.response.time_to_first_chunk").is_some());
    // message_start's counts arrived and are kept: 25 + 2048 input, 1 output so far.
    assert_eq!(int(&span, "gen_ai.usage.input_tokens"), Some(2073));
    assert_eq!(int(&span, "gen_ai.usage.output_tokens"), Some(1));
}

#[test]
fn dropping_after_some_text_keeps_the_partial_content() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        let events = block_on(openai(OPENAI));
        let taken: Vec<_> = block_on(events.take(2).collect());
        assert_eq!(taken.len(), 2);
    }
    let span = telemetry.span("chat gpt-4o-mini");
    assert_abandoned(&span);
    assert_eq!(output_text(&span), "Hello");
    assert_eq!(
        attribute(&span, "llmscope.stream.usage_missing"),
        Some(&Value::Bool(true))
    );
}

#[test]
fn a_stream_dropped_before_its_first_poll_ends_its_span() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        drop(gemini(GEMINI));
    }
    let span = telemetry.span("generate_content gemini-2.5-flash");
    assert_abandoned(&span);
    assert_eq!(int(&span, "llmscope.stream.chunks"), Some(0));
    assert_eq!(
        attribute(&span, "gen_ai.response.time_to_first_chunk"),
        None
    );
}

#[test]
fn an_error_item_ends_the_span_with_its_error_type_and_the_text_so_far() {
    let telemetry = TestTelemetry::new();
    let items: Vec<_> = {
        let _guard = telemetry.context().attach();
        block_on(async {
            anthropic_error(ANTHROPIC_ERROR)
                .await
                .unwrap()
                .collect()
                .await
        })
    };
    assert!(items.last().unwrap().is_err());
    let span = telemetry.span("chat claude-haiku-4-5");
    assert_eq!(
        string(&span, "error.type").as_deref(),
        Some("overloaded_error")
    );
    assert_eq!(span.status, Status::error("overloaded_error: Overloaded"));
    assert_eq!(attribute(&span, "llmscope.cancelled"), None);
    assert_eq!(output_text(&span), "Partial answ");
    assert_eq!(int(&span, "gen_ai.usage.input_tokens"), Some(80));
    assert_eq!(int(&span, "llmscope.stream.chunks"), Some(4));
}

#[test]
fn an_err_before_any_stream_ends_the_span_as_a_failed_call() {
    let telemetry = TestTelemetry::new();
    let result = {
        let _guard = telemetry.context().attach();
        block_on(refused())
    };
    assert!(result.is_err());
    let span = telemetry.span("chat refused");
    assert_eq!(
        string(&span, "error.type").as_deref(),
        Some("rate_limit_error")
    );
    assert_eq!(attribute(&span, "llmscope.stream.chunks"), None);
    assert_eq!(
        attribute(&span, "gen_ai.request.stream"),
        Some(&Value::Bool(true))
    );
}

#[test]
fn a_panic_in_the_consumer_ends_the_span_abandoned() {
    let telemetry = TestTelemetry::new();
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let _guard = telemetry.context().attach();
        let mut chunks = gemini(GEMINI);
        let _first = block_on(chunks.next());
        panic!("the consumer failed");
    }));
    assert!(outcome.is_err());
    let span = telemetry.span("generate_content gemini-2.5-flash");
    assert_abandoned(&span);
    assert_eq!(int(&span, "llmscope.stream.chunks"), Some(1));
}

#[test]
fn a_panic_while_polling_ends_the_span_with_error_type_panic() {
    let telemetry = TestTelemetry::new();
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let _guard = telemetry.context().attach();
        block_on(panicking().count())
    }));
    assert!(outcome.is_err());
    let span = telemetry.span("chat panicking");
    assert_eq!(string(&span, "error.type").as_deref(), Some("panic"));
    assert!(matches!(span.status, Status::Error { .. }));
    assert_eq!(int(&span, "llmscope.stream.chunks"), Some(1));
}

#[test]
fn a_stream_consumed_on_another_thread_ends_there_with_every_chunk() {
    let telemetry = TestTelemetry::new();
    let events = {
        let _guard = telemetry.context().attach();
        anthropic(ANTHROPIC)
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let count = runtime.block_on(async { tokio::spawn(events.count()).await.unwrap() });
    assert_eq!(count, 8);
    let span = telemetry.span("chat claude-sonnet-4-5");
    assert_eq!(int(&span, "llmscope.stream.chunks"), Some(8));
    assert_eq!(int(&span, "gen_ai.usage.output_tokens"), Some(15));
}

#[test]
fn shutting_the_runtime_down_ends_a_stream_still_being_consumed() {
    let telemetry = TestTelemetry::new();
    let events = {
        let _guard = telemetry.context().attach();
        hanging()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    runtime.spawn(events.for_each(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
        async {}
    }));
    while seen.load(Ordering::SeqCst) < 2 {
        std::thread::yield_now();
    }
    assert!(telemetry.spans().is_empty(), "still open while consumed");
    drop(runtime);
    let span = telemetry.span("chat hanging");
    assert_abandoned(&span);
    assert_eq!(int(&span, "llmscope.stream.chunks"), Some(2));
}

// ---- context -----------------------------------------------------------------------------

#[test]
fn calls_made_while_polled_nest_under_the_stream_and_nothing_leaks_between_polls() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        let mut chunks = outer();
        let before = Context::current().span().span_context().span_id();
        while let Some(_chunk) = block_on(chunks.next()) {
            // Between polls the consumer's context is its own.
            assert_eq!(Context::current().span().span_context().span_id(), before);
            let _ = inner_call();
        }
    }
    let outer_span = telemetry.span("chat outer");
    let inner: Vec<SpanData> = telemetry
        .spans()
        .into_iter()
        .filter(|span| span.name == "chat inner")
        .collect();
    // One inner call made by the producer while polled, five made by the consumer.
    let nested = inner
        .iter()
        .filter(|span| span.parent_span_id == outer_span.span_context.span_id())
        .count();
    let outside = inner
        .iter()
        .filter(|span| span.parent_span_id == SpanId::INVALID)
        .count();
    assert_eq!((nested, outside), (1, 5));
}

// ---- unsampled and no usage ---------------------------------------------------------------

#[test]
fn an_unsampled_stream_passes_every_item_through_and_records_nothing() {
    let telemetry = TestTelemetry::with_sampler(llmscope::sampling::Sampler::always_off());
    let count = {
        let _guard = telemetry.context().attach();
        block_on(async { openai(OPENAI).await.count().await })
    };
    assert_eq!(count, 5);
    assert!(telemetry.spans().is_empty());
}

#[test]
fn without_a_provider_the_stream_is_passed_through() {
    let items: Vec<String> = block_on(text_only().collect());
    assert_eq!(items, ["a", "b", "c"]);
}

#[test]
fn usage_false_counts_chunks_and_marks_usage_missing() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        assert_eq!(block_on(text_only().count()), 3);
    }
    let span = telemetry.span("chat text");
    assert_eq!(int(&span, "llmscope.stream.chunks"), Some(3));
    assert_eq!(
        attribute(&span, "llmscope.stream.usage_missing"),
        Some(&Value::Bool(true))
    );
}

// ---- 10,000 mixed calls ------------------------------------------------------------------

/// Counts the spans the SDK started and ended.
#[derive(Debug, Default, Clone)]
struct OpenSpans {
    started: Arc<AtomicUsize>,
    ended: Arc<AtomicUsize>,
}

impl SpanProcessor for OpenSpans {
    fn on_start(&self, _span: &mut SdkSpan, _cx: &Context) {
        self.started.fetch_add(1, Ordering::SeqCst);
    }
    fn on_end(&self, _span: SpanData) {
        self.ended.fetch_add(1, Ordering::SeqCst);
    }
    fn force_flush(&self) -> opentelemetry_sdk::error::OTelSdkResult {
        Ok(())
    }
    fn shutdown_with_timeout(
        &self,
        _timeout: std::time::Duration,
    ) -> opentelemetry_sdk::error::OTelSdkResult {
        Ok(())
    }
}

#[test]
fn ten_thousand_mixed_calls_end_every_span_exactly_once() {
    let open = OpenSpans::default();
    let telemetry =
        TestTelemetry::with_builder(SdkTracerProvider::builder().with_span_processor(open.clone()));
    // xorshift: a fixed seed, so a failure replays.
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = move |bound: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % bound
    };
    let calls = 10_000;
    let mut exits = [0_usize; 6];
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    for _ in 0..calls {
        let _guard = telemetry.context().attach();
        let exit = next(6) as usize;
        exits[exit] += 1;
        match exit {
            // full consumption, one provider or another
            0 => match next(3) {
                0 => drop(block_on(async { openai(OPENAI).await.count().await })),
                1 => drop(block_on(anthropic(ANTHROPIC).count())),
                _ => drop(block_on(gemini(GEMINI).count())),
            },
            // early drop after a random number of chunks
            1 => {
                let keep = next(4) as usize;
                block_on(anthropic(ANTHROPIC).take(keep).count());
            }
            // never polled
            2 => drop(openai_tools(OPENAI_TOOL_CALL)),
            // an error item
            3 => drop(block_on(async {
                anthropic_error(ANTHROPIC_ERROR)
                    .await
                    .unwrap()
                    .count()
                    .await
            })),
            // a panic in the consumer
            4 => {
                let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
                    let mut chunks = gemini(GEMINI);
                    let _ = block_on(chunks.next());
                    std::panic::resume_unwind(Box::new("consumer failed"));
                }));
                assert!(outcome.is_err());
            }
            // consumed on another task
            _ => {
                let chunks = anthropic(ANTHROPIC);
                runtime.block_on(async { tokio::spawn(chunks.count()).await.unwrap() });
            }
        }
    }
    drop(runtime);
    let spans = telemetry.spans();
    assert!(exits.iter().all(|&count| count > 1000), "{exits:?}");
    assert_eq!(spans.len(), calls, "one span per call");
    assert_eq!(open.started.load(Ordering::SeqCst), calls);
    assert_eq!(
        open.ended.load(Ordering::SeqCst),
        open.started.load(Ordering::SeqCst),
        "no span left open"
    );
    let mut ids: Vec<_> = spans
        .iter()
        .map(|span| u64::from_be_bytes(span.span_context.span_id().to_bytes()))
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), calls, "no span ended twice");
}

// ---- the terminal tree -------------------------------------------------------------------

/// A writer the test reads back.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_terminal_tree_shows_ttfc_chunks_and_an_abandoned_stream() {
    let captured = Captured::default();
    let terminal = llmscope::export::TerminalExporter::builder()
        .with_writer(captured.clone())
        .with_color(false)
        .with_durations(false)
        .build();
    let telemetry =
        TestTelemetry::with_builder(SdkTracerProvider::builder().with_simple_exporter(terminal));
    {
        let _guard = telemetry.context().attach();
        block_on(async { openai(OPENAI).await.count().await });
        let mut events = anthropic(ANTHROPIC);
        block_on(events.next());
    }
    let _ = telemetry.provider().force_flush();
    let tree = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    println!("{tree}");
    let full = tree
        .lines()
        .find(|line| line.starts_with("chat gpt-4o-mini"))
        .unwrap_or_else(|| panic!("{tree}"));
    assert!(
        full.contains("ttfc ") && full.contains("5 chunks"),
        "{full}"
    );
    assert!(!full.contains('✗'), "{full}");
    let abandoned = tree
        .lines()
        .find(|line| line.starts_with("chat claude-sonnet-4-5"))
        .unwrap_or_else(|| panic!("{tree}"));
    assert!(
        abandoned.contains("1 chunk") && abandoned.contains("✗ abandoned"),
        "{abandoned}"
    );
}

// ---- chunk timing ------------------------------------------------------------------------

/// A call whose body takes 30 ms before handing back a stream of four chunks, each 20 ms
/// after the previous one (the first 20 ms after the stream is first polled).
#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini", name = "chat paced")]
fn paced() -> impl Stream<Item = Result<OpenAiChunk, ProviderError>> {
    std::thread::sleep(Duration::from_millis(30));
    stream::iter(sse::<OpenAiChunk>(OPENAI).into_iter().take(4)).map(|item| {
        std::thread::sleep(Duration::from_millis(20));
        item
    })
}

#[test]
fn ttfc_and_the_time_between_chunks_measure_the_real_delays() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        assert_eq!(block_on(paced().count()), 4);
    }
    let span = telemetry.span("chat paced");
    let ttfc = float(&span, "gen_ai.response.time_to_first_chunk").expect("ttfc");
    let per_chunk = float(&span, "llmscope.stream.time_per_output_chunk").expect("per chunk");
    let duration = span
        .end_time
        .duration_since(span.start_time)
        .unwrap()
        .as_secs_f64();
    // Sleeps never end early: the body's 30 ms plus the first chunk's 20 ms come before the
    // first chunk, and 20 ms separate every later one.
    assert!(ttfc >= 0.050, "ttfc {ttfc} s");
    assert!(per_chunk >= 0.020, "time per output chunk {per_chunk} s");
    // And the first chunk plus the three gaps fit in the span (1 ms for the clocks' rounding).
    assert!(
        ttfc + 3.0 * per_chunk <= duration + 0.001,
        "ttfc {ttfc} s + 3 × {per_chunk} s > span {duration} s"
    );
}

// ---- the warning about a stream without usage ----------------------------------------------

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini", name = "chat site a")]
fn no_usage_site_a() -> impl Stream<Item = Result<OpenAiChunk, ProviderError>> {
    stream::iter(sse::<OpenAiChunk>(OPENAI_NO_USAGE))
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini", name = "chat site b")]
fn no_usage_site_b() -> impl Stream<Item = Result<OpenAiChunk, ProviderError>> {
    stream::iter(sse::<OpenAiChunk>(OPENAI_NO_USAGE))
}

/// In the child: five streams without usage from site A, three from site B, interleaved.
#[test]
fn child_streams_without_usage_at_two_call_sites() {
    if std::env::var_os("LLMSCOPE_STREAMING_CHILD").is_none() {
        return;
    }
    let telemetry = TestTelemetry::new();
    let _guard = telemetry.context().attach();
    for round in 0..5 {
        assert_eq!(block_on(no_usage_site_a().count()), 4);
        if round < 3 {
            assert_eq!(block_on(no_usage_site_b().count()), 4);
        }
    }
    assert_eq!(telemetry.spans().len(), 8);
}

#[test]
fn a_stream_without_usage_is_warned_about_once_per_call_site() {
    // What a user with no setup sees: the child's stderr.
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "child_streams_without_usage_at_two_call_sites",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("LLMSCOPE_STREAMING_CHILD", "1")
        .env_remove("OTEL_LOG_LEVEL")
        .env_remove("LLMSCOPE_DIAGNOSTICS")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed: {stderr}");
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("llmscope WARN [stream]"))
        .collect();
    // Two call sites, two lines, though the second comes well within the topic's 10 s rate
    // limit; eight calls, still two lines.
    assert_eq!(warnings.len(), 2, "{stderr}");
    for (line, site) in warnings.iter().zip(["no_usage_site_a", "no_usage_site_b"]) {
        assert!(
            line.starts_with(&format!("llmscope WARN [stream] `streaming::{site}`"))
                && line.contains("stream_options.include_usage = true")
                && !line.contains("held back"),
            "{line}"
        );
    }
}

// ---- a provider client's stream type behind an alias: `returns = stream` -------------------

/// The shape of a client library's stream type, behind an alias as async-openai declares its
/// `ChatCompletionResponseStream`: the macro sees only a path.
type ChatCompletionResponseStream =
    Pin<Box<dyn Stream<Item = Result<OpenAiChunk, ProviderError>> + Send>>;

#[llmscope::llm_call(
    provider = "openai",
    model = "gpt-4o-mini",
    name = "chat alias",
    capture = full,
    returns = stream
)]
async fn create_stream(body: &'static str) -> Result<ChatCompletionResponseStream, ProviderError> {
    Ok(Box::pin(stream::iter(sse::<OpenAiChunk>(body))))
}

#[llmscope::llm_call(
    provider = "openai",
    model = "gpt-4o-mini",
    name = "chat alias plain",
    returns = stream
)]
fn alias_stream(body: &'static str) -> ChatCompletionResponseStream {
    Box::pin(stream::iter(sse::<OpenAiChunk>(body)))
}

#[test]
fn a_stream_type_behind_an_alias_is_recorded_with_returns_stream() {
    let telemetry = TestTelemetry::new();
    let items = {
        let _guard = telemetry.context().attach();
        block_on(async {
            let stream = create_stream(OPENAI).await.expect("a stream");
            // Still open: the span waits for the stream, not for the function.
            assert!(telemetry.spans().is_empty());
            stream.collect::<Vec<_>>().await
        })
    };
    assert_eq!(items.len(), 5, "every chunk passes through");
    let span = telemetry.span("chat alias");
    assert_eq!(
        attribute(&span, "gen_ai.request.stream"),
        Some(&Value::Bool(true))
    );
    assert_eq!(int(&span, "llmscope.stream.chunks"), Some(5));
    assert!(float(&span, "gen_ai.response.time_to_first_chunk").is_some());
    assert_eq!(int(&span, "gen_ai.usage.input_tokens"), Some(19));
    assert_eq!(int(&span, "gen_ai.usage.output_tokens"), Some(3));
    // As for `impl Stream` above: 19 × 1.5e-7 + 3 × 6e-7 = 4.65e-6 USD.
    assert_close(float(&span, "llmscope.cost.total").unwrap(), 4.65e-6);
    assert_eq!(output_text(&span), "Hello there!");
    assert_eq!(span.status, Status::Unset);
}

#[test]
fn a_stream_behind_an_alias_dropped_early_ends_its_span_abandoned() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        let mut chunks = alias_stream(OPENAI);
        assert!(block_on(chunks.next()).is_some());
        assert!(telemetry.spans().is_empty());
    }
    let span = telemetry.span("chat alias plain");
    assert_abandoned(&span);
    assert_eq!(int(&span, "llmscope.stream.chunks"), Some(1));
}
