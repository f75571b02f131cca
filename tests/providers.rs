//! `llmscope::providers` wire types on real `#[llm_call]` spans: each fixture of
//! `tests/fixtures/providers/` (provider response shapes, see its README) is deserialized,
//! returned from an annotated function, and the exported span must carry the tokens in semconv
//! semantics, the finish reasons, the response id and model, and the cost to 1e-9 relative.
//!
//! Expected costs are computed by hand in the comments from LiteLLM 1.109.1's price table
//! (`runtime/data`, USD per token), never by the pricing code.

use llmscope::errors::{classify, ErrorClass};
use llmscope::providers::{anthropic, gemini, openai, ApiError};
use llmscope::testing::{attribute, TestTelemetry};
use opentelemetry::{Array, StringValue, Value};
use opentelemetry_sdk::trace::SpanData;
use serde::de::DeserializeOwned;
use serde_json::Value as Json;

fn text(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/providers/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn fixture<T: DeserializeOwned>(name: &str) -> T {
    serde_json::from_str(&text(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The `data:` payloads of a server-sent-event fixture, `[DONE]` left out.
fn events<T: DeserializeOwned>(name: &str) -> Vec<T> {
    text(name)
        .lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .filter(|data| *data != "[DONE]")
        .map(|data| serde_json::from_str(data).unwrap_or_else(|e| panic!("{name}: {e}: {data}")))
        .collect()
}

fn int(span: &SpanData, key: &str) -> Option<i64> {
    match attribute(span, key) {
        Some(Value::I64(value)) => Some(*value),
        None => None,
        other => panic!("{key} is not an integer: {other:?}"),
    }
}

fn string(span: &SpanData, key: &str) -> Option<String> {
    attribute(span, key).map(|value| value.as_str().into_owned())
}

fn finish_reasons(span: &SpanData) -> Vec<String> {
    match attribute(span, "gen_ai.response.finish_reasons") {
        Some(Value::Array(Array::String(reasons))) => {
            reasons.iter().map(StringValue::to_string).collect()
        }
        other => panic!("finish reasons: {other:?}"),
    }
}

fn assert_cost(span: &SpanData, expected: f64) {
    let Some(Value::F64(cost)) = attribute(span, "llmscope.cost.total") else {
        panic!("no cost on {}: {:?}", span.name, span.attributes);
    };
    let relative = ((cost - expected) / expected).abs();
    assert!(relative < 1e-9, "{}: cost {cost} != {expected}", span.name);
}

/// The semconv v1.41.0 finish reason (`FinishReason` in `gen-ai-output-messages.json`: stop,
/// length, content_filter, tool_call, error) of each provider word the fixtures use, mapped
/// by hand from the providers' API references.
fn semconv_finish(raw: &str) -> &str {
    match raw {
        "stop" | "end_turn" | "stop_sequence" | "STOP" => "stop",
        "length" | "max_tokens" | "MAX_TOKENS" => "length",
        "tool_calls" | "function_call" | "tool_use" => "tool_call",
        "content_filter" | "SAFETY" => "content_filter",
        other => other,
    }
}

/// What a span must show, by key; `None` means absent.
struct Expect<'a> {
    input: i64,
    output: i64,
    cache_read: Option<i64>,
    cache_write: Option<i64>,
    reasoning: Option<i64>,
    id: Option<&'a str>,
    model: &'a str,
    finish: &'a [&'a str],
    cost: f64,
}

fn check(span: &SpanData, expect: Expect<'_>) {
    assert_eq!(int(span, "gen_ai.usage.input_tokens"), Some(expect.input));
    assert_eq!(int(span, "gen_ai.usage.output_tokens"), Some(expect.output));
    assert_eq!(
        int(span, "gen_ai.usage.cache_read.input_tokens"),
        expect.cache_read
    );
    assert_eq!(
        int(span, "gen_ai.usage.cache_creation.input_tokens"),
        expect.cache_write
    );
    assert_eq!(
        int(span, "gen_ai.usage.reasoning.output_tokens"),
        expect.reasoning
    );
    assert_eq!(string(span, "gen_ai.response.id").as_deref(), expect.id);
    assert_eq!(
        string(span, "gen_ai.response.model").as_deref(),
        Some(expect.model)
    );
    if expect.finish.is_empty() {
        assert!(attribute(span, "gen_ai.response.finish_reasons").is_none());
    } else {
        // Normalised to semconv's values; the provider's words kept when any differs.
        let semconv: Vec<&str> = expect
            .finish
            .iter()
            .map(|raw| semconv_finish(raw))
            .collect();
        assert_eq!(finish_reasons(span), semconv, "{}", span.name);
        let raw = match attribute(span, "llmscope.response.finish_reasons.raw") {
            Some(Value::Array(Array::String(values))) => {
                values.iter().map(|v| v.as_str().to_owned()).collect()
            }
            _ => Vec::new(),
        };
        if semconv == expect.finish {
            assert!(raw.is_empty(), "{}: {raw:?}", span.name);
        } else {
            assert_eq!(raw, expect.finish, "{}", span.name);
        }
    }
    assert_cost(span, expect.cost);
}

// ---- OpenAI ------------------------------------------------------------------------------

#[llmscope::llm_call(provider = "openai", model = "gpt-4o")]
fn openai_chat(name: &str) -> openai::ChatCompletion {
    fixture(name)
}

#[llmscope::llm_call(provider = "openai", model = "o3")]
fn openai_reasoning() -> openai::ChatCompletion {
    fixture("openai-reasoning-completion.json")
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4.1")]
fn openai_tool_call() -> openai::ChatCompletion {
    fixture("openai-chat-completion-tool-call.json")
}

#[llmscope::llm_call(provider = "openai", model = "gpt-5")]
fn openai_responses() -> openai::Response {
    fixture("openai-responses.json")
}

#[llmscope::llm_call(
    provider = "openai",
    operation = "embeddings",
    model = "text-embedding-3-small"
)]
fn openai_embed() -> openai::Embeddings {
    fixture("openai-embeddings.json")
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini", stream = true)]
fn openai_stream(name: &str) -> Vec<openai::ChatCompletionChunk> {
    events(name)
}

#[test]
fn openai_chat_completion_input_already_includes_the_cache() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        let response = openai_chat("openai-chat-completion.json");
        assert_eq!(response.choices.len(), 1);
    }
    let span = telemetry.span("chat gpt-4o");
    // gpt-4o-2024-08-06: input 2.5e-6, cache read 1.25e-6, output 1e-5 per token.
    // 1117 input of which 1024 cached: (1117 - 1024) * 2.5e-6 = 0.0002325
    //   + 1024 * 1.25e-6 = 0.00128 + 46 * 1e-5 = 0.00046  => 0.0019725
    check(
        &span,
        Expect {
            input: 1117,
            output: 46,
            cache_read: Some(1024),
            cache_write: None,
            reasoning: Some(0),
            id: Some("chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG"),
            model: "gpt-4o-2024-08-06",
            finish: &["stop"],
            cost: 0.0019725,
        },
    );
    assert_eq!(
        string(&span, "llmscope.response.service_tier").as_deref(),
        Some("default")
    );
}

#[test]
fn openai_reasoning_tokens_are_a_subset_of_output() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        openai_reasoning();
    }
    // o3-2025-04-16: 21 * 2e-6 = 0.000042 + 1406 * 8e-6 = 0.011248  => 0.01129
    check(
        &telemetry.span("chat o3"),
        Expect {
            input: 21,
            output: 1406,
            cache_read: Some(0),
            cache_write: None,
            reasoning: Some(1344),
            id: Some("chatcmpl-o3reason42"),
            model: "o3-2025-04-16",
            finish: &["stop"],
            cost: 0.01129,
        },
    );
}

#[test]
fn openai_tool_call_finishes_with_tool_calls() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        let response = openai_tool_call();
        let call = &response.choices[0].message.tool_calls[0];
        assert_eq!(call.function.name, "web_search");
    }
    // gpt-4.1-2025-04-14: 82 * 2e-6 = 0.000164 + 17 * 8e-6 = 0.000136  => 0.0003
    check(
        &telemetry.span("chat gpt-4.1"),
        Expect {
            input: 82,
            output: 17,
            cache_read: Some(0),
            cache_write: None,
            reasoning: Some(0),
            id: Some("chatcmpl-abc123tool"),
            model: "gpt-4.1-2025-04-14",
            finish: &["tool_calls"],
            cost: 0.0003,
        },
    );
}

#[test]
fn openai_responses_api() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        openai_responses();
    }
    // gpt-5-2025-08-07: 36 * 1.25e-6 = 0.000045 + 87 * 1e-5 = 0.00087  => 0.000915
    check(
        &telemetry.span("chat gpt-5"),
        Expect {
            input: 36,
            output: 87,
            cache_read: Some(0),
            cache_write: None,
            reasoning: Some(64),
            id: Some("resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b"),
            model: "gpt-5-2025-08-07",
            finish: &["stop"],
            cost: 0.000915,
        },
    );
}

#[test]
fn openai_embeddings_bill_input_only() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        openai_embed();
    }
    let span = telemetry.span("embeddings text-embedding-3-small");
    assert_eq!(int(&span, "gen_ai.usage.input_tokens"), Some(8));
    assert_eq!(int(&span, "gen_ai.usage.output_tokens"), None);
    assert_eq!(
        string(&span, "gen_ai.response.model").as_deref(),
        Some("text-embedding-3-small")
    );
    // text-embedding-3-small: 8 * 2e-8 = 1.6e-7
    assert_cost(&span, 1.6e-7);
}

#[test]
fn openai_stream_usage_comes_from_the_last_chunk() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        assert_eq!(openai_stream("openai-chat-stream.sse").len(), 5);
    }
    // gpt-4o-mini-2024-07-18: 19 * 1.5e-7 = 0.00000285 + 3 * 6e-7 = 0.0000018  => 0.00000465
    check(
        &telemetry.span("chat gpt-4o-mini"),
        Expect {
            input: 19,
            output: 3,
            cache_read: Some(0),
            cache_write: None,
            reasoning: Some(0),
            id: Some("chatcmpl-stream1"),
            model: "gpt-4o-mini-2024-07-18",
            finish: &["stop"],
            cost: 0.00000465,
        },
    );
}

#[test]
fn openai_stream_without_usage_has_no_tokens_and_no_cost() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        openai_stream("openai-chat-stream-no-usage.sse");
    }
    let span = telemetry.span("chat gpt-4o-mini");
    assert_eq!(int(&span, "gen_ai.usage.input_tokens"), None);
    assert!(attribute(&span, "llmscope.cost.total").is_none());
    assert_eq!(finish_reasons(&span), ["stop"]);
}

#[test]
fn openai_streamed_tool_call_usage_counts_the_cache() {
    let chunks: Vec<openai::ChatCompletionChunk> = events("openai-chat-stream-tool-call.sse");
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        returns_chunks(&chunks);
    }
    // gpt-4o-2024-08-06: (2210 - 1920) * 2.5e-6 = 0.000725 + 1920 * 1.25e-6 = 0.0024
    //   + 18 * 1e-5 = 0.00018  => 0.003305
    check(
        &telemetry.span("chat gpt-4o"),
        Expect {
            input: 2210,
            output: 18,
            cache_read: Some(1920),
            cache_write: None,
            reasoning: Some(0),
            id: Some("chatcmpl-stream3"),
            model: "gpt-4o-2024-08-06",
            finish: &["tool_calls"],
            cost: 0.003305,
        },
    );
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o", stream = true)]
fn returns_chunks(chunks: &[openai::ChatCompletionChunk]) -> &[openai::ChatCompletionChunk] {
    chunks
}

// ---- Anthropic ---------------------------------------------------------------------------

#[llmscope::llm_call(provider = "anthropic", model = "claude-sonnet-4-5")]
fn anthropic_message(name: &str) -> anthropic::Message {
    fixture(name)
}

#[llmscope::llm_call(provider = "anthropic", model = "claude-sonnet-4-5", stream = true)]
fn anthropic_stream(name: &str) -> Vec<anthropic::StreamEvent> {
    events(name)
}

#[test]
fn anthropic_input_is_made_inclusive_of_cache_reads_and_writes() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        anthropic_message("anthropic-message.json");
    }
    // claude-sonnet-4-5-20250929: input 3e-6, 5-minute write 3.75e-6, read 3e-7, output 1.5e-5.
    // 247 * 3e-6 = 0.000741 + 1500 * 3.75e-6 = 0.005625 + 8000 * 3e-7 = 0.0024
    //   + 384 * 1.5e-5 = 0.00576  => 0.014526
    check(
        &telemetry.span("chat claude-sonnet-4-5"),
        Expect {
            input: 247 + 1500 + 8000,
            output: 384,
            cache_read: Some(8000),
            cache_write: Some(1500),
            reasoning: None,
            id: Some("msg_01XFDUDYJgAACzvnptvVoYEL"),
            model: "claude-sonnet-4-5-20250929",
            finish: &["end_turn"],
            cost: 0.014526,
        },
    );
}

#[test]
fn anthropic_tool_use_message() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        let message = anthropic_message("anthropic-message-tool-use.json");
        assert!(matches!(
            &message.content[1],
            anthropic::ContentBlock::ToolUse { name, .. } if name == "read_page"
        ));
    }
    // claude-haiku-4-5-20251001: 512 * 1e-6 = 0.000512 + 61 * 5e-6 = 0.000305  => 0.000817
    check(
        &telemetry.span("chat claude-sonnet-4-5"),
        Expect {
            input: 512,
            output: 61,
            cache_read: Some(0),
            cache_write: Some(0),
            reasoning: None,
            id: Some("msg_01Aq9w938a90dw8q"),
            model: "claude-haiku-4-5-20251001",
            finish: &["tool_use"],
            cost: 0.000817,
        },
    );
}

#[test]
fn anthropic_stream_reads_message_start_and_the_cumulative_delta() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        anthropic_stream("anthropic-stream.sse");
    }
    // 25 * 3e-6 = 0.000075 + 2048 * 3e-7 = 0.0006144 + 15 * 1.5e-5 = 0.000225  => 0.0009144
    check(
        &telemetry.span("chat claude-sonnet-4-5"),
        Expect {
            input: 25 + 2048,
            output: 15,
            cache_read: Some(2048),
            cache_write: Some(0),
            reasoning: None,
            id: Some("msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY"),
            model: "claude-sonnet-4-5-20250929",
            finish: &["end_turn"],
            cost: 0.0009144,
        },
    );
}

#[test]
fn anthropic_one_hour_cache_writes_are_priced_at_their_own_rate() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        anthropic_stream("anthropic-stream-tool-use.sse");
    }
    let span = telemetry.span("chat claude-sonnet-4-5");
    // 312 * 3e-6 = 0.000936 + 2000 (5 min) * 3.75e-6 = 0.0075 + 4000 (1 h) * 6e-6 = 0.024
    //   + 61 * 1.5e-5 = 0.000915  => 0.033351
    check(
        &span,
        Expect {
            input: 312 + 6000,
            output: 61,
            cache_read: Some(0),
            cache_write: Some(6000),
            reasoning: None,
            id: Some("msg_01ToolStream"),
            model: "claude-sonnet-4-5-20250929",
            finish: &["tool_use"],
            cost: 0.033351,
        },
    );
    assert_eq!(
        int(&span, "llmscope.usage.cache_creation_1h.input_tokens"),
        Some(4000)
    );
}

#[test]
fn anthropic_stream_cut_by_an_error_finishes_with_error() {
    let stream: Vec<anthropic::StreamEvent> = events("anthropic-stream-error.sse");
    let anthropic::StreamEvent::Error { error } = stream.last().unwrap() else {
        panic!("the fixture ends with an error event");
    };
    let body = serde_json::json!({ "type": "error", "error": error });
    assert_eq!(
        llmscope::errors::classify_json(None, &body),
        ErrorClass::Overloaded
    );
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        anthropic_stream("anthropic-stream-error.sse");
    }
    let span = telemetry.span("chat claude-sonnet-4-5");
    assert_eq!(finish_reasons(&span), ["error"]);
    assert_eq!(int(&span, "gen_ai.usage.input_tokens"), Some(80));
}

// ---- Gemini ------------------------------------------------------------------------------

#[llmscope::llm_call(
    provider = "gcp.gemini",
    operation = "generate_content",
    model = "gemini-2.5-pro"
)]
fn gemini_generate() -> gemini::GenerateContentResponse {
    fixture("gemini-generate-content.json")
}

#[llmscope::llm_call(
    provider = "gcp.gemini",
    operation = "generate_content",
    model = "gemini-2.5-flash",
    stream = true
)]
fn gemini_stream() -> Vec<gemini::GenerateContentResponse> {
    events("gemini-stream.sse")
}

#[test]
fn gemini_thoughts_are_added_to_output_and_long_context_is_repriced() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        gemini_generate();
    }
    // gemini-2.5-pro, prompt 250812 > 200k: every token at the above-200k rates.
    // uncached (250812 - 131072) = 119740 * 2.5e-6 = 0.29935
    //   + 131072 * 2.5e-7 = 0.032768 + (905 + 1300) * 1.5e-5 = 0.033075  => 0.365193
    check(
        &telemetry.span("generate_content gemini-2.5-pro"),
        Expect {
            input: 250_812,
            output: 905 + 1300,
            cache_read: Some(131_072),
            cache_write: None,
            reasoning: Some(1300),
            id: Some("mIadaNPBJYOkmNAPrdXm2Qk"),
            model: "gemini-2.5-pro",
            finish: &["STOP"],
            cost: 0.365193,
        },
    );
}

#[test]
fn gemini_stream_takes_the_last_usage_metadata() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        gemini_stream();
    }
    // gemini-2.5-flash: (1204 - 1024) * 3e-7 = 0.000054 + 1024 * 3e-8 = 0.00003072
    //   + 9 * 2.5e-6 = 0.0000225 + 400 reasoning * 2.5e-6 = 0.001  => 0.00110722
    check(
        &telemetry.span("generate_content gemini-2.5-flash"),
        Expect {
            input: 1204,
            output: 9 + 400,
            cache_read: Some(1024),
            cache_write: None,
            reasoning: Some(400),
            id: Some("gem-stream-7Qx"),
            model: "gemini-2.5-flash",
            finish: &["STOP"],
            cost: 0.00110722,
        },
    );
}

// ---- errors ------------------------------------------------------------------------------

/// An error fixture: `{"http_status", "headers"?, "body"}`.
fn error_fixture(name: &str) -> (u16, Json) {
    let fixture: Json = fixture(name);
    let status = fixture["http_status"].as_u64().unwrap() as u16;
    (status, fixture["body"].clone())
}

/// Every error fixture, its expected class (from the fixture README) and retryability.
const ERROR_FIXTURES: &[(&str, ErrorClass, bool)] = &[
    ("openai-error-rate-limit.json", ErrorClass::RateLimit, true),
    (
        "openai-error-context-length.json",
        ErrorClass::ContextLengthExceeded,
        false,
    ),
    (
        "openai-error-content-filter.json",
        ErrorClass::ContentFilter,
        false,
    ),
    ("openai-error-auth.json", ErrorClass::Authentication, false),
    ("openai-error-server.json", ErrorClass::ServerError, true),
    (
        "anthropic-error-rate-limit.json",
        ErrorClass::RateLimit,
        true,
    ),
    (
        "anthropic-error-prompt-too-long.json",
        ErrorClass::ContextLengthExceeded,
        false,
    ),
    (
        "anthropic-error-auth.json",
        ErrorClass::Authentication,
        false,
    ),
    (
        "anthropic-error-overloaded.json",
        ErrorClass::Overloaded,
        true,
    ),
    (
        "gemini-error-resource-exhausted.json",
        ErrorClass::RateLimit,
        true,
    ),
    (
        "gemini-error-invalid-argument.json",
        ErrorClass::ContextLengthExceeded,
        false,
    ),
    (
        "gemini-error-unavailable.json",
        ErrorClass::Overloaded,
        true,
    ),
    ("gemini-error-safety.json", ErrorClass::ContentFilter, false),
];

#[test]
fn every_error_fixture_is_classified_by_the_public_classifier() {
    let dir = format!("{}/tests/fixtures/providers", env!("CARGO_MANIFEST_DIR"));
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.contains("-error-") && name.ends_with(".json"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = ERROR_FIXTURES.iter().map(|f| f.0.to_owned()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "every error fixture is in the table");

    for &(name, class, retryable) in ERROR_FIXTURES {
        let (status, body) = error_fixture(name);
        assert_eq!(classify(Some(status), &body.to_string()), class, "{name}");
        assert_eq!(class.is_retryable(), retryable, "{name}");
    }
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o")]
fn openai_failing(name: &str) -> Result<openai::ChatCompletion, ApiError<openai::ErrorBody>> {
    let (status, body) = error_fixture(name);
    Err(ApiError::new(status, serde_json::from_value(body).unwrap()))
}

#[llmscope::llm_call(provider = "anthropic", model = "claude-sonnet-4-5")]
fn anthropic_failing(name: &str) -> Result<anthropic::Message, ApiError<anthropic::ErrorBody>> {
    let (status, body) = error_fixture(name);
    Err(ApiError::new(status, serde_json::from_value(body).unwrap()))
}

#[llmscope::llm_call(provider = "gcp.gemini", model = "gemini-2.5-flash")]
fn gemini_failing(
    name: &str,
) -> Result<gemini::GenerateContentResponse, ApiError<gemini::ErrorBody>> {
    let (status, body) = error_fixture(name);
    Err(ApiError::new(status, serde_json::from_value(body).unwrap()))
}

#[test]
fn wire_error_types_write_error_type_and_retryable_on_the_span() {
    for &(name, class, retryable) in ERROR_FIXTURES {
        if name == "gemini-error-safety.json" {
            continue; // HTTP 200: not an error body (see the next test)
        }
        let telemetry = TestTelemetry::new();
        {
            let _guard = telemetry.context().attach();
            if name.starts_with("openai") {
                assert!(openai_failing(name).is_err());
            } else if name.starts_with("anthropic") {
                assert!(anthropic_failing(name).is_err());
            } else {
                assert!(gemini_failing(name).is_err());
            }
        }
        let spans = telemetry.spans();
        assert_eq!(spans.len(), 1, "{name}");
        let span = &spans[0];
        assert_eq!(
            string(span, "error.type").as_deref(),
            Some(class.as_str()),
            "{name}"
        );
        assert_eq!(
            attribute(span, "llmscope.error.retryable"),
            Some(&Value::Bool(retryable)),
            "{name}"
        );
        assert!(matches!(
            span.status,
            opentelemetry::trace::Status::Error { .. }
        ));
    }
}

#[test]
fn a_gemini_safety_block_is_a_content_filter_with_http_200() {
    let (status, body) = error_fixture("gemini-error-safety.json");
    assert_eq!(status, 200);
    let response: gemini::GenerateContentResponse = serde_json::from_value(body).unwrap();
    assert!(response.is_blocked());
    let good: gemini::GenerateContentResponse = fixture("gemini-generate-content.json");
    assert!(!good.is_blocked());
}

// ---- retries -----------------------------------------------------------------------------

#[llmscope::llm_call(provider = "openai", model = "gpt-4o", attempt = attempt)]
fn attempt_chat(attempt: i64) -> Result<openai::ChatCompletion, ApiError<openai::ErrorBody>> {
    if attempt == 1 {
        let (status, body) = error_fixture("openai-error-rate-limit.json");
        Err(ApiError::new(status, serde_json::from_value(body).unwrap()).with_retry_after(20.0))
    } else {
        Ok(fixture("openai-chat-completion.json"))
    }
}

#[test]
fn each_retry_attempt_is_its_own_span_with_its_number() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        let mut attempt = 1;
        let response = loop {
            match attempt_chat(attempt) {
                Ok(response) => break response,
                Err(error) if llmscope::ErrorType::retryable(&error) == Some(true) => attempt += 1,
                Err(error) => panic!("{error}"),
            }
        };
        assert_eq!(response.model, "gpt-4o-2024-08-06");
    }
    let mut spans = telemetry.spans();
    spans.sort_by_key(|span| int(span, "llmscope.request.attempt"));
    assert_eq!(spans.len(), 2);
    assert_eq!(int(&spans[0], "llmscope.request.attempt"), Some(1));
    assert_eq!(
        string(&spans[0], "error.type").as_deref(),
        Some("rate_limit")
    );
    assert!(attribute(&spans[0], "llmscope.cost.total").is_none());
    assert_eq!(int(&spans[1], "llmscope.request.attempt"), Some(2));
    assert!(attribute(&spans[1], "error.type").is_none());
    assert_cost(&spans[1], 0.0019725);
}
