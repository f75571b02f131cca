//! Tool calls assembled from streamed pieces (issue 12): OpenAI's
//! `delta.tool_calls[i].function.arguments` fragments by index and Anthropic's
//! `input_json_delta` pieces of a `tool_use` block become one `tool_call` part of the captured
//! output message, schema-valid, when a `#[llm_call]` returns a stream of the provider wire
//! types (the SSE fixtures in `tests/fixtures/providers/`, see its README). Without content
//! capture nothing of them is kept.

#[path = "support/json_schema.rs"]
mod json_schema;

use futures::stream::{self, Stream, StreamExt as _};
use llmscope::providers::{anthropic, openai};
use llmscope::testing::{attribute, TestTelemetry};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

const OUTPUT_SCHEMA: &str = include_str!("../semconv/v1.41.0/schemas/gen-ai-output-messages.json");
const OPENAI_TOOL_CALL: &str = include_str!("fixtures/providers/openai-chat-stream-tool-call.sse");
const ANTHROPIC_TOOL_USE: &str = include_str!("fixtures/providers/anthropic-stream-tool-use.sse");

/// Runs `future` to completion on this thread (not `futures::executor::block_on`: the SDK's
/// simple processor exports with it, and executors do not nest).
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime")
        .block_on(future)
}

/// The `data:` events of an SSE body, parsed (`[DONE]` ends it).
fn events<T: DeserializeOwned>(body: &str) -> Vec<T> {
    body.lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .filter(|data| *data != "[DONE]")
        .map(|data| serde_json::from_str(data).expect("fixture event is json"))
        .collect()
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o", capture = full)]
fn openai_stream(body: &'static str) -> impl Stream<Item = openai::ChatCompletionChunk> {
    stream::iter(events::<openai::ChatCompletionChunk>(body))
}

#[llmscope::llm_call(provider = "anthropic", model = "claude-sonnet-4-5", capture = full)]
fn anthropic_stream(body: &'static str) -> impl Stream<Item = anthropic::StreamEvent> {
    stream::iter(events::<anthropic::StreamEvent>(body))
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o", capture = none)]
fn openai_stream_uncaptured(body: &'static str) -> impl Stream<Item = openai::ChatCompletionChunk> {
    stream::iter(events::<openai::ChatCompletionChunk>(body))
}

fn output(span: &opentelemetry_sdk::trace::SpanData) -> Value {
    let text = attribute(span, "gen_ai.output.messages")
        .unwrap_or_else(|| panic!("no output messages: {:?}", span.attributes))
        .as_str()
        .into_owned();
    let value: Value = serde_json::from_str(&text).unwrap();
    let schema: Value = serde_json::from_str(OUTPUT_SCHEMA).unwrap();
    json_schema::validate(&schema, &value).unwrap_or_else(|error| panic!("{error}\n{value:#}"));
    value
}

#[test]
fn openai_argument_fragments_are_joined_by_index_into_one_tool_call() {
    // What the fixture says, read independently: the pieces of call 0's arguments.
    let pieces: Vec<String> = events::<Value>(OPENAI_TOOL_CALL)
        .iter()
        .flat_map(|chunk| chunk["choices"].as_array().cloned().unwrap_or_default())
        .flat_map(|choice| {
            choice["delta"]["tool_calls"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|call| call["function"]["arguments"].as_str().map(str::to_owned))
        .filter(|piece| !piece.is_empty())
        .collect();
    assert_eq!(pieces.len(), 2, "{pieces:?}");
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        block_on(openai_stream(OPENAI_TOOL_CALL).count());
    }
    let span = telemetry.span("chat gpt-4o");
    let arguments: Value = serde_json::from_str(&pieces.concat()).unwrap();
    assert_eq!(
        output(&span),
        json!([{"role": "assistant", "finish_reason": "tool_call", "parts": [
            {"type": "tool_call", "id": "call_Wq2x", "name": "get_weather", "arguments": arguments}
        ]}])
    );
}

#[test]
fn anthropic_input_json_deltas_are_joined_into_the_tool_use_call() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        block_on(anthropic_stream(ANTHROPIC_TOOL_USE).count());
    }
    let span = telemetry.span("chat claude-sonnet-4-5");
    let output = output(&span);
    let parts = output[0]["parts"].as_array().unwrap();
    let call = parts
        .iter()
        .find(|part| part["type"] == "tool_call")
        .unwrap_or_else(|| panic!("{output:#}"));
    // `{"city": "Lis` + `bon"}`: split inside a string, joined whole.
    assert_eq!(
        call,
        &json!({"type": "tool_call", "id": "toolu_01Abc", "name": "get_weather",
                "arguments": {"city": "Lisbon"}})
    );
    assert_eq!(output[0]["finish_reason"], "tool_call");
}

#[test]
fn without_capture_no_piece_is_kept() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        block_on(openai_stream_uncaptured(OPENAI_TOOL_CALL).count());
    }
    let span = telemetry.span("chat gpt-4o");
    assert!(attribute(&span, "gen_ai.output.messages").is_none());
    assert!(!format!("{:?}", span.attributes).contains("Lisbon"));
    assert_eq!(
        attribute(&span, "gen_ai.usage.input_tokens"),
        Some(&opentelemetry::Value::I64(2210))
    );
}
