//! Structured content through the capture policy and redaction: a tool-calling conversation
//! (OpenAI, Anthropic and Gemini shapes, with multimodal parts and reasoning) round-trips into
//! `gen_ai.input.messages` / `gen_ai.output.messages` that validate against semconv v1.41.0's
//! JSON schemas (`semconv/v1.41.0/schemas/`), and `#[tool]` arguments and results given as
//! `Serialize` values or `serde_json::Value` are captured as JSON, never as `""`.

#[path = "support/json_schema.rs"]
mod json_schema;

use llmscope::providers::{anthropic, gemini, openai};
use llmscope::testing::{attribute, TestTelemetry};
use opentelemetry_sdk::trace::SpanData;
use serde_json::{json, Value};

const INPUT_SCHEMA: &str = include_str!("../semconv/v1.41.0/schemas/gen-ai-input-messages.json");
const OUTPUT_SCHEMA: &str = include_str!("../semconv/v1.41.0/schemas/gen-ai-output-messages.json");

fn fixture<T: serde::de::DeserializeOwned>(name: &str) -> T {
    let path = format!(
        "{}/tests/fixtures/providers/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The JSON of a content attribute, checked against `schema`.
fn messages(span: &SpanData, key: &str, schema: &str) -> Value {
    let text = attribute(span, key)
        .unwrap_or_else(|| panic!("no {key}: {:?}", span.attributes))
        .as_str()
        .into_owned();
    let value: Value = serde_json::from_str(&text).unwrap();
    let schema: Value = serde_json::from_str(schema).unwrap();
    json_schema::validate(&schema, &value)
        .unwrap_or_else(|error| panic!("{key}: {error}\n{value:#}"));
    value
}

/// An OpenAI chat request's messages: system, a user turn with an image, the assistant's tool
/// call (arguments as JSON text, with an email address in them), the tool's answer.
fn openai_conversation() -> Value {
    json!([
        {"role": "system", "content": "You are a travel assistant."},
        {"role": "user", "content": [
            {"type": "text", "text": "What's the weather where this photo was taken? Mail jane@example.com."},
            {"type": "image_url", "image_url": {"url": "https://example.com/photo.jpg"}},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
        ]},
        {"role": "assistant", "content": null, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {
                "name": "get_weather",
                "arguments": "{\"city\":\"Lisbon\",\n\"notify\":\"jane@example.com\"}"
            }}
        ]},
        {"role": "tool", "tool_call_id": "call_1", "content": "{\"temperature_c\": 21, \"sky\": \"clear\"}"}
    ])
}

#[llmscope::llm_call(
    provider = "openai",
    model = "gpt-4.1",
    prompt = messages,
    capture = redacted,
    output = llmscope::capture::returned
)]
fn openai_turn(messages: &Value) -> openai::ChatCompletion {
    fixture("openai-chat-completion-tool-call.json")
}

#[test]
fn an_openai_tool_conversation_round_trips_into_schema_valid_messages() {
    let conversation = openai_conversation();
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        openai_turn(&conversation);
    }
    let span = telemetry.span("chat gpt-4.1");
    let input = messages(&span, "gen_ai.input.messages", INPUT_SCHEMA);
    assert_eq!(
        input,
        json!([
            {"role": "system", "parts": [{"type": "text", "content": "You are a travel assistant."}]},
            {"role": "user", "parts": [
                {"type": "text", "content": "What's the weather where this photo was taken? Mail [EMAIL]."},
                {"type": "uri", "modality": "image", "mime_type": null, "uri": "https://example.com/photo.jpg"},
                {"type": "blob", "modality": "image", "mime_type": "image/png", "content": "iVBORw0KGgo="}
            ]},
            {"role": "assistant", "parts": [
                // Arguments as JSON, redacted leaf by leaf: the newline escape before the
                // address does not hide it from the detector.
                {"type": "tool_call", "id": "call_1", "name": "get_weather",
                 "arguments": {"city": "Lisbon", "notify": "[EMAIL]"}}
            ]},
            {"role": "tool", "parts": [
                {"type": "tool_call_response", "id": "call_1",
                 "response": {"temperature_c": 21, "sky": "clear"}}
            ]}
        ])
    );
    let output = messages(&span, "gen_ai.output.messages", OUTPUT_SCHEMA);
    assert_eq!(
        output,
        json!([{
            "role": "assistant",
            "parts": [{"type": "tool_call", "id": "call_DdmO9pD3xa9XTPNJ32zg2hcA",
                       "name": "web_search", "arguments": {"query": "rust opentelemetry genai"}}],
            "finish_reason": "tool_call"
        }])
    );
}

/// An Anthropic request's messages: the assistant's thinking and `tool_use`, the user's
/// `tool_result`, and an image given by URL.
fn anthropic_conversation() -> Value {
    json!([
        {"role": "user", "content": [
            {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}},
            {"type": "text", "text": "Read this page for me."}
        ]},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "The user wants page a.", "signature": "sig"},
            {"type": "tool_use", "id": "toolu_1", "name": "read_page", "input": {"url": "https://example.com/a"}}
        ]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": "Page a says hello."}
        ]}
    ])
}

#[llmscope::llm_call(
    provider = "anthropic",
    model = "claude-haiku-4-5",
    prompt = messages,
    capture = full,
    output = llmscope::capture::returned
)]
fn anthropic_turn(messages: &Value) -> anthropic::Message {
    fixture("anthropic-message-tool-use.json")
}

#[test]
fn anthropic_tool_use_thinking_and_tool_results_are_parts() {
    let conversation = anthropic_conversation();
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        anthropic_turn(&conversation);
    }
    let span = telemetry.span("chat claude-haiku-4-5");
    let input = messages(&span, "gen_ai.input.messages", INPUT_SCHEMA);
    assert_eq!(
        input[1]["parts"],
        json!([
            {"type": "reasoning", "content": "The user wants page a."},
            {"type": "tool_call", "id": "toolu_1", "name": "read_page", "arguments": {"url": "https://example.com/a"}}
        ])
    );
    assert_eq!(
        input[2]["parts"],
        json!([{"type": "tool_call_response", "id": "toolu_1", "response": "Page a says hello."}])
    );
    assert_eq!(input[0]["parts"][0]["type"], "uri");
    let output = messages(&span, "gen_ai.output.messages", OUTPUT_SCHEMA);
    assert_eq!(
        output[0]["parts"],
        json!([
            {"type": "text", "content": "I'll look that up."},
            {"type": "tool_call", "id": "toolu_01A09q90qw90lq917835lq9", "name": "read_page",
             "arguments": {"url": "https://example.com/a"}}
        ])
    );
    assert_eq!(output[0]["finish_reason"], "tool_call");
}

#[llmscope::llm_call(
    provider = "gcp.gemini",
    operation = "generate_content",
    model = "gemini-2.5-flash",
    prompt = contents,
    capture = full,
    output = llmscope::capture::returned
)]
fn gemini_turn(contents: &Value) -> gemini::GenerateContentResponse {
    serde_json::from_value(json!({
        "candidates": [{"content": {"role": "model", "parts": [
            {"text": "Checking the forecast.", "thought": true},
            {"functionCall": {"name": "get_weather", "args": {"city": "Porto"}}}
        ]}, "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 30, "candidatesTokenCount": 8, "thoughtsTokenCount": 5},
        "modelVersion": "gemini-2.5-flash"
    }))
    .unwrap()
}

#[test]
fn gemini_function_calls_and_thoughts_are_parts() {
    let contents = json!([
        {"role": "user", "parts": [
            {"text": "Weather in Porto?"},
            {"inlineData": {"mimeType": "audio/wav", "data": "UklGRg=="}}
        ]},
        {"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Porto"}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"sky": "rain"}}}]}
    ]);
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        gemini_turn(&contents);
    }
    let span = telemetry.span("generate_content gemini-2.5-flash");
    let input = messages(&span, "gen_ai.input.messages", INPUT_SCHEMA);
    assert_eq!(
        input[0]["parts"][1],
        json!({"type": "blob", "modality": "audio", "mime_type": "audio/wav", "content": "UklGRg=="})
    );
    assert_eq!(input[1]["parts"][0]["type"], "tool_call");
    assert_eq!(
        input[2]["parts"][0],
        json!({"type": "tool_call_response", "id": null, "response": {"sky": "rain"}})
    );
    let output = messages(&span, "gen_ai.output.messages", OUTPUT_SCHEMA);
    assert_eq!(
        output[0]["parts"],
        json!([
            {"type": "reasoning", "content": "Checking the forecast."},
            {"type": "tool_call", "id": null, "name": "get_weather", "arguments": {"city": "Porto"}}
        ])
    );
}

#[test]
fn without_capture_no_message_is_written() {
    #[llmscope::llm_call(provider = "openai", model = "gpt-4.1", prompt = messages, capture = none, output = llmscope::capture::returned)]
    fn silent(messages: &Value) -> openai::ChatCompletion {
        fixture("openai-chat-completion-tool-call.json")
    }
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        silent(&openai_conversation());
    }
    let span = telemetry.span("chat gpt-4.1");
    assert!(attribute(&span, "gen_ai.input.messages").is_none());
    assert!(attribute(&span, "gen_ai.output.messages").is_none());
    assert!(!format!("{:?}", span.attributes).contains("Lisbon"));
}

#[test]
fn truncation_keeps_structured_messages_valid_json() {
    #[llmscope::llm_call(provider = "openai", model = "gpt-4.1", prompt = messages, capture = full)]
    fn long(messages: &Value) {}
    let mut conversation = openai_conversation();
    conversation[3]["content"] = json!(json!({"page": "x".repeat(200_000)}).to_string());
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        long(&conversation);
    }
    let span = telemetry.span("chat gpt-4.1");
    let input = messages(&span, "gen_ai.input.messages", INPUT_SCHEMA);
    // The newest message alone is longer than the limit: it is kept, cut inside its JSON
    // response (the structure stays: an object whose string leaf ends with the marker).
    let newest = input.as_array().unwrap().last().unwrap();
    assert_eq!(newest["role"], "tool");
    let page = newest["parts"][0]["response"]["page"].as_str().unwrap();
    assert!(
        page.ends_with("…[truncated]"),
        "{}",
        &page[page.len() - 20..]
    );
    assert!(page.len() < 200_000);
    assert_eq!(
        attribute(&span, "llmscope.input.truncated"),
        Some(&opentelemetry::Value::Bool(true))
    );
}

// ---- #[tool]: arguments and results as JSON ----------------------------------------------

#[derive(serde::Serialize)]
struct SearchArgs {
    query: String,
    top_k: u32,
    contact: String,
}

#[derive(serde::Serialize)]
struct Hit {
    url: String,
    score: f64,
}

#[llmscope::tool(name = "web_search", arguments = args, capture = redacted)]
fn web_search(args: &SearchArgs) -> Vec<Hit> {
    vec![Hit {
        url: format!("https://example.com/?q={}", args.query),
        score: 0.5,
    }]
}

#[llmscope::tool(name = "lookup", arguments = args, capture = full)]
fn lookup(args: &Value) -> Result<Value, std::io::Error> {
    Ok(json!({"answer": args["q"]}))
}

#[test]
fn tool_arguments_and_results_are_captured_as_json() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        web_search(&SearchArgs {
            query: "rust".into(),
            top_k: 3,
            contact: "jane@example.com".into(),
        });
        lookup(&json!({"q": "capital of France"})).unwrap();
    }
    let search = telemetry.span("execute_tool web_search");
    let arguments: Value = serde_json::from_str(
        &attribute(&search, "gen_ai.tool.call.arguments")
            .unwrap()
            .as_str(),
    )
    .unwrap();
    assert_eq!(
        arguments,
        json!({"query": "rust", "top_k": 3, "contact": "[EMAIL]"})
    );
    let result: Value = serde_json::from_str(
        &attribute(&search, "gen_ai.tool.call.result")
            .unwrap()
            .as_str(),
    )
    .unwrap();
    assert_eq!(
        result,
        json!([{"url": "https://example.com/?q=rust", "score": 0.5}])
    );

    let lookup = telemetry.span("execute_tool lookup");
    assert_eq!(
        attribute(&lookup, "gen_ai.tool.call.arguments")
            .unwrap()
            .as_str(),
        r#"{"q":"capital of France"}"#
    );
    assert_eq!(
        attribute(&lookup, "gen_ai.tool.call.result")
            .unwrap()
            .as_str(),
        r#"{"answer":"capital of France"}"#
    );
}

#[test]
fn the_schema_check_rejects_what_the_schemas_forbid() {
    let schema: Value = serde_json::from_str(INPUT_SCHEMA).unwrap();
    let valid = json!([{"role": "user", "parts": [{"type": "text", "content": "hi"}]}]);
    assert!(json_schema::validate(&schema, &valid).is_ok());
    for invalid in [
        json!([{"role": "user"}]), // no parts
        // (`{"type": "text"}` without content is valid: it matches GenericPart.)
        json!([{"role": "user", "parts": [{"content": "no type"}]}]), // part without type
        json!({"role": "user", "parts": []}),                         // not an array
    ] {
        assert!(
            json_schema::validate(&schema, &invalid).is_err(),
            "{invalid}"
        );
    }
    let output: Value = serde_json::from_str(OUTPUT_SCHEMA).unwrap();
    let no_finish = json!([{"role": "assistant", "parts": []}]);
    assert!(json_schema::validate(&output, &no_finish).is_err());
}

// ---- bounded: structured content keeps the linear, limited work of plain text ------------

#[llmscope::llm_call(provider = "openai", model = "gpt-4.1", prompt = messages, capture = redacted)]
fn history_turn(messages: &[Value]) {}

/// `count` OpenAI messages: the user's question first, then assistant tool calls (arguments as
/// JSON values of about 1 KB) and tool answers (JSON text) in turn.
fn tool_history(count: usize) -> Vec<Value> {
    let mut history = vec![json!({"role": "user", "content": "Plan a trip to Lisbon."})];
    for index in 1..count {
        history.push(if index % 2 == 1 {
            json!({"role": "assistant", "content": null, "tool_calls": [{
                "id": format!("call_{index:06}"), "type": "function",
                "function": {"name": "search", "arguments": json!({"query": "x".repeat(1000), "page": format!("{index:06}")}).to_string()}
            }]})
        } else {
            json!({"role": "tool", "tool_call_id": format!("call_{:06}", index - 1),
                   "content": json!({"hits": ["y".repeat(1000)], "n": format!("{index:06}")}).to_string()})
        });
    }
    history
}

#[test]
fn a_long_tool_history_is_fitted_with_bounded_work_into_valid_messages() {
    let limit = llmscope::capture_policy().max_bytes();
    let mut reads = Vec::new();
    for count in [1_000, 10_000] {
        let history = tool_history(count);
        let telemetry = TestTelemetry::new();
        let before = llmscope::capture::work();
        {
            let _guard = telemetry.context().attach();
            history_turn(&history);
        }
        reads.push(llmscope::capture::work() - before);
        let span = telemetry.span("chat gpt-4.1");
        let text = attribute(&span, "gen_ai.input.messages")
            .unwrap()
            .as_str()
            .into_owned();
        assert!(text.len() <= limit, "{count}: {} bytes", text.len());
        let input = messages(&span, "gen_ai.input.messages", INPUT_SCHEMA);
        let kept = input.as_array().unwrap();
        // The question that framed the exchange and the newest answer are kept.
        assert_eq!(kept[0]["parts"][0]["content"], "Plan a trip to Lisbon.");
        let newest = kept.last().unwrap();
        // (An even count ends with an assistant's call, its arguments JSON text made JSON.)
        assert_eq!(newest["parts"][0]["type"], "tool_call");
        assert_eq!(
            newest["parts"][0]["arguments"]["page"],
            format!("{:06}", count - 1)
        );
        let omitted = attribute(&span, "llmscope.input.omitted_messages").unwrap();
        assert_eq!(
            omitted,
            &opentelemetry::Value::I64((count - kept.len()) as i64)
        );
    }
    // The redactor saw what was kept, not the history: the same for ten times the messages.
    assert_eq!(reads[0], reads[1]);
    assert!(reads[1] <= limit as u64, "{}", reads[1]);
}

#[test]
fn tool_arguments_too_long_for_the_limit_are_cut_inside_their_json() {
    #[derive(serde::Serialize)]
    struct Note {
        key: &'static str,
        body: String,
        tags: Vec<&'static str>,
    }
    #[llmscope::tool(name = "store", arguments = args, capture = full)]
    fn store(args: &Note) {}
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        store(&Note {
            key: "notes",
            body: "z".repeat(100_000),
            tags: vec!["a"],
        });
    }
    let span = telemetry.span("execute_tool store");
    let text = attribute(&span, "gen_ai.tool.call.arguments")
        .unwrap()
        .as_str()
        .into_owned();
    assert!(text.len() <= llmscope::capture_policy().max_bytes());
    let arguments: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(arguments["key"], "notes");
    assert!(arguments["body"]
        .as_str()
        .unwrap()
        .ends_with("…[truncated]"));
    assert!(
        arguments.get("tags").is_none(),
        "fields after the cut are left out"
    );
    assert_eq!(
        attribute(&span, "llmscope.tool.call.arguments.truncated"),
        Some(&opentelemetry::Value::Bool(true))
    );
}

// ---- what Phoenix shows -------------------------------------------------------------------

/// Spans exported through the OpenInference mapping, as `init()` sets it up with
/// `OTEL_SEMCONV_STABILITY_OPT_IN=openinference`.
fn openinference_spans(run: impl FnOnce()) -> Vec<SpanData> {
    use llmscope::export::{SemconvExporter, SemconvOptions};
    use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
    let memory = InMemorySpanExporter::default();
    let exporter = SemconvExporter::new(
        memory.clone(),
        SemconvOptions::default().with_openinference(true),
    );
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter)
        .build();
    {
        let _guard = llmscope::scoped(&provider).attach();
        run();
    }
    provider.force_flush().unwrap();
    memory.get_finished_spans().unwrap()
}

#[test]
fn phoenix_panels_show_the_redacted_messages_or_nothing_never_metadata() {
    #[llmscope::llm_call(provider = "openai", model = "gpt-4.1", prompt = messages, capture = none, output = llmscope::capture::returned)]
    fn uncaptured(messages: &Value) -> openai::ChatCompletion {
        fixture("openai-chat-completion-tool-call.json")
    }
    let conversation = openai_conversation();
    let spans = openinference_spans(|| {
        uncaptured(&conversation);
        openai_turn(&conversation);
    });
    assert_eq!(spans.len(), 2);
    let silent = spans
        .iter()
        .find(|s| attribute(s, "gen_ai.input.messages").is_none())
        .unwrap();
    assert_eq!(
        attribute(silent, "openinference.span.kind").map(|v| v.as_str().into_owned()),
        Some("LLM".to_owned())
    );
    for key in ["input.value", "output.value"] {
        assert!(
            attribute(silent, key).is_none(),
            "{key}: {:?}",
            silent.attributes
        );
    }
    let captured = spans
        .iter()
        .find(|s| attribute(s, "gen_ai.input.messages").is_some())
        .unwrap();
    assert_eq!(
        attribute(captured, "input.value"),
        attribute(captured, "gen_ai.input.messages")
    );
    assert_eq!(
        attribute(captured, "output.value"),
        attribute(captured, "gen_ai.output.messages")
    );
    let shown = attribute(captured, "input.value").unwrap().as_str();
    assert!(shown.contains("[EMAIL]") && !shown.contains("jane@example.com"));
}
