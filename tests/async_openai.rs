//! async-openai's own types on `#[llm_call]` spans, through the real client over real HTTP to
//! a local fixture server (the scenario of `examples/async_openai.rs`): chat completion, tool
//! call, stream, embeddings and Responses API priced to 1e-9 against the price table (costs by
//! hand in the comments), request and response messages captured as semconv parts, and the
//! client's error classified.

#[path = "../examples/common/openai_client.rs"]
mod scenario;

use futures::StreamExt as _;
use llmscope::capture::{CaptureMode, CapturePolicy};
use llmscope::testing::{attribute, TestTelemetry};
use opentelemetry::Value;
use opentelemetry_sdk::trace::SpanData;
use serde_json::{json, Value as Json};

fn int(span: &SpanData, key: &str) -> Option<i64> {
    match attribute(span, key) {
        Some(Value::I64(value)) => Some(*value),
        _ => None,
    }
}

fn string(span: &SpanData, key: &str) -> Option<String> {
    attribute(span, key).map(|value| value.as_str().into_owned())
}

fn cost(span: &SpanData, expected: f64) {
    let Some(Value::F64(cost)) = attribute(span, "llmscope.cost.total") else {
        panic!("no cost on {}: {:?}", span.name, span.attributes);
    };
    assert!(
        ((cost - expected) / expected).abs() < 1e-9,
        "{}: {cost} != {expected}",
        span.name
    );
}

fn finish_reasons(span: &SpanData) -> String {
    format!("{:?}", attribute(span, "gen_ai.response.finish_reasons"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_openai_calls_are_priced_and_captured() {
    // Content captured (redacted) for this process, as SPAN_ONLY would.
    let _ = llmscope::set_capture_policy(
        CapturePolicy::builder()
            .with_mode(CaptureMode::Redacted)
            .build()
            .unwrap(),
    );
    let base = scenario::server::start().await.unwrap();
    let client = scenario::client(&base);
    let telemetry = TestTelemetry::new();
    let cx = telemetry.context();
    use opentelemetry::context::FutureExt as _;
    async {
        scenario::chat(&client, scenario::chat_request("gpt-4o", false))
            .await
            .unwrap();
        scenario::chat(&client, scenario::chat_request("gpt-4.1", false))
            .await
            .unwrap();
        // The client's stream itself is returned through the annotated function: the span
        // ends when it is read to its end.
        let chunks: Vec<_> =
            scenario::chat_stream(&client, scenario::chat_request("gpt-4o-mini", true))
                .await
                .unwrap()
                .collect()
                .await;
        assert_eq!(chunks.len(), 5);
        let tool_chunks: Vec<_> =
            scenario::chat_stream(&client, scenario::chat_request("gpt-4.1", true))
                .await
                .unwrap()
                .collect()
                .await;
        assert!(tool_chunks.iter().all(Result::is_ok));
        scenario::embed(&client, scenario::embed_request())
            .await
            .unwrap();
        scenario::respond(&client, scenario::response_request())
            .await
            .unwrap();
        scenario::chat(&client, scenario::chat_request("gpt-4o-long", false))
            .await
            .unwrap_err();
        scenario::chat(&client, scenario::chat_request("gpt-4o-locked", false))
            .await
            .unwrap_err();
    }
    .with_context(cx)
    .await;

    let spans = telemetry.spans();
    assert_eq!(
        spans.len(),
        8,
        "{:?}",
        spans.iter().map(|s| &s.name).collect::<Vec<_>>()
    );

    // Chat: gpt-4o-2024-08-06, 1117 input of which 1024 cached, 46 output:
    // 93 * 2.5e-6 = 0.0002325 + 1024 * 1.25e-6 = 0.00128 + 46 * 1e-5 = 0.00046 => 0.0019725
    let chat = telemetry.span("chat gpt-4o");
    assert_eq!(int(&chat, "gen_ai.usage.input_tokens"), Some(1117));
    assert_eq!(
        int(&chat, "gen_ai.usage.cache_read.input_tokens"),
        Some(1024)
    );
    assert_eq!(int(&chat, "gen_ai.usage.output_tokens"), Some(46));
    assert_eq!(
        string(&chat, "gen_ai.response.id").as_deref(),
        Some("chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG")
    );
    assert_eq!(
        string(&chat, "gen_ai.response.model").as_deref(),
        Some("gpt-4o-2024-08-06")
    );
    assert!(finish_reasons(&chat).contains("\"stop\""));
    cost(&chat, 0.0019725);
    // The request messages as semconv parts, redacted.
    let input: Json =
        serde_json::from_str(&string(&chat, "gen_ai.input.messages").unwrap()).unwrap();
    assert_eq!(input.as_array().unwrap().len(), 4);
    assert_eq!(
        input[1]["parts"],
        json!([
            {"type": "text", "content": "Find recent work on Rust and OpenTelemetry; reply to [EMAIL]."},
            {"type": "uri", "modality": "image", "mime_type": null, "uri": "https://example.com/diagram.png"}
        ])
    );
    assert_eq!(
        input[2]["parts"][0],
        json!({"type": "tool_call", "id": "call_0", "name": "web_search", "arguments": {"query": "rust otel"}})
    );
    assert_eq!(
        input[3]["parts"][0],
        json!({"type": "tool_call_response", "id": "call_0", "response": {"hits": 3}})
    );
    let output: Json =
        serde_json::from_str(&string(&chat, "gen_ai.output.messages").unwrap()).unwrap();
    assert_eq!(
        output,
        json!([{"role": "assistant", "parts": [{"type": "text", "content": "The capital of France is Paris."}], "finish_reason": "stop"}])
    );

    // Tool call: gpt-4.1-2025-04-14: 82 * 2e-6 = 0.000164 + 17 * 8e-6 = 0.000136 => 0.0003
    let tool = telemetry
        .spans()
        .into_iter()
        .find(|span| {
            span.name == "chat gpt-4.1"
                && string(span, "gen_ai.response.id").as_deref() != Some("chatcmpl-stream3")
        })
        .expect("the tool call's span");
    assert!(finish_reasons(&tool).contains("\"tool_call\""));
    cost(&tool, 0.0003);
    let output: Json =
        serde_json::from_str(&string(&tool, "gen_ai.output.messages").unwrap()).unwrap();
    assert_eq!(
        output[0]["parts"],
        json!([{"type": "tool_call", "id": "call_DdmO9pD3xa9XTPNJ32zg2hcA", "name": "web_search",
                "arguments": {"query": "rust opentelemetry genai"}}])
    );

    // Stream, over SSE: gpt-4o-mini-2024-07-18: 19 * 1.5e-7 + 3 * 6e-7 = 0.00000465
    let stream = telemetry.span("chat gpt-4o-mini");
    assert_eq!(int(&stream, "gen_ai.usage.input_tokens"), Some(19));
    assert_eq!(int(&stream, "gen_ai.usage.output_tokens"), Some(3));
    assert_eq!(
        string(&stream, "gen_ai.response.id").as_deref(),
        Some("chatcmpl-stream1")
    );
    cost(&stream, 0.00000465);

    // A streamed tool call: its arguments arrive in pieces (`delta.tool_calls[0].function.
    // arguments`: `{"city":` then `"Lisbon",\n"unit":"c"}`) and are assembled into one
    // tool_call part. gpt-4o-2024-08-06: (2210 - 1920) * 2.5e-6 = 0.000725, cache read
    // 1920 * 1.25e-6 = 0.0024, output 18 * 1e-5 = 0.00018 => 0.003305.
    let streamed_tool = telemetry
        .spans()
        .into_iter()
        .find(|span| string(span, "gen_ai.response.id").as_deref() == Some("chatcmpl-stream3"))
        .expect("the streamed tool call's span");
    assert_eq!(int(&streamed_tool, "gen_ai.usage.input_tokens"), Some(2210));
    assert_eq!(
        int(&streamed_tool, "gen_ai.usage.cache_read.input_tokens"),
        Some(1920)
    );
    assert_eq!(
        string(&streamed_tool, "gen_ai.response.model").as_deref(),
        Some("gpt-4o-2024-08-06")
    );
    assert!(finish_reasons(&streamed_tool).contains("\"tool_call\""));
    cost(&streamed_tool, 0.003305);
    let output: Json =
        serde_json::from_str(&string(&streamed_tool, "gen_ai.output.messages").unwrap()).unwrap();
    assert_eq!(
        output,
        json!([{"role": "assistant", "finish_reason": "tool_call", "parts": [
            {"type": "tool_call", "id": "call_Wq2x", "name": "get_weather",
             "arguments": {"city": "Lisbon", "unit": "c"}}
        ]}])
    );

    // Embeddings: text-embedding-3-small: 8 * 2e-8 = 1.6e-7
    let embed = telemetry.span("embeddings text-embedding-3-small");
    assert_eq!(int(&embed, "gen_ai.usage.input_tokens"), Some(8));
    cost(&embed, 1.6e-7);

    // Responses API: gpt-5-2025-08-07: 36 * 1.25e-6 = 0.000045 + 87 * 1e-5 = 0.00087 => 0.000915
    let respond = telemetry.span("chat gpt-5");
    assert_eq!(
        int(&respond, "gen_ai.usage.reasoning.output_tokens"),
        Some(64)
    );
    assert_eq!(
        string(&respond, "gen_ai.response.id").as_deref(),
        Some("resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b")
    );
    cost(&respond, 0.000915);
    let output: Json =
        serde_json::from_str(&string(&respond, "gen_ai.output.messages").unwrap()).unwrap();
    assert_eq!(
        output[0]["parts"],
        json!([{"type": "text", "content": "In a peaceful grove beneath a silver moon..."}])
    );

    // Errors from the client, classified by the taxonomy.
    let long = telemetry.span("chat gpt-4o-long");
    assert_eq!(
        string(&long, "error.type").as_deref(),
        Some("context_length_exceeded")
    );
    assert_eq!(
        attribute(&long, "llmscope.error.retryable"),
        Some(&Value::Bool(false))
    );
    let locked = telemetry.span("chat gpt-4o-locked");
    assert_eq!(
        string(&locked, "error.type").as_deref(),
        Some("authentication")
    );
}

#[test]
fn async_openai_errors_without_a_server_are_classified() {
    use async_openai::error::OpenAIError;
    use llmscope::ErrorType as _;
    let parse = OpenAIError::JSONDeserialize(
        serde_json::from_str::<Json>("{").unwrap_err(),
        "{".to_owned(),
    );
    assert_eq!(parse.error_type(), "output_parsing");
    assert_eq!(
        OpenAIError::InvalidArgument("model is empty".into()).error_type(),
        "invalid_request"
    );
}
