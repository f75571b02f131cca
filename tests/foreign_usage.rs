//! `usage = path` and `output = path`: usage and output messages read from a type of another
//! crate (`serde_json::Value`) through plain functions, with no newtype and no `Usage` impl.

use llmscope::capture::Message;
use llmscope::testing::{attribute, TestTelemetry};
use llmscope::UsageData;
use opentelemetry::Value;
use serde_json::{json, Value as Json};

/// Reads an OpenAI-shaped chat completion held as a `serde_json::Value`.
fn openai_usage(response: &Json) -> UsageData<'_> {
    let mut usage = UsageData::default();
    let count = |pointer: &str| response.pointer(pointer).and_then(Json::as_u64);
    if let Some(input) = count("/usage/prompt_tokens") {
        usage.set_input_tokens(input);
    }
    if let Some(output) = count("/usage/completion_tokens") {
        usage.set_output_tokens(output);
    }
    if let Some(cached) = count("/usage/prompt_tokens_details/cached_tokens") {
        usage.set_cache_read_tokens(cached);
    }
    if let Some(model) = response["model"].as_str() {
        usage.set_response_model(model);
    }
    if let Some(id) = response["id"].as_str() {
        usage.set_response_id(id);
    }
    for choice in response["choices"].as_array().into_iter().flatten() {
        if let Some(reason) = choice["finish_reason"].as_str() {
            usage.push_finish_reason(reason);
        }
        if let Some(text) = choice.pointer("/message/content").and_then(Json::as_str) {
            usage.push_completion(text);
        }
    }
    usage
}

/// The assistant messages of the same value, for `output = …`.
fn openai_output(response: &Json) -> Vec<Message<'_>> {
    response["choices"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|choice| choice.pointer("/message/content").and_then(Json::as_str))
        .map(|text| Message::assistant(format!("[from output fn] {text}")))
        .collect()
}

fn fixture() -> Json {
    let path = format!(
        "{}/tests/fixtures/providers/openai-chat-completion.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o", usage = openai_usage)]
fn chat_value() -> Json {
    fixture()
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o", usage = openai_usage)]
fn chat_result(fail: bool) -> Result<Json, std::io::Error> {
    if fail {
        Err(std::io::Error::other("connection reset"))
    } else {
        Ok(fixture())
    }
}

#[llmscope::llm_call(
    provider = "openai",
    model = "gpt-4o",
    capture = full,
    usage = openai_usage,
    output = openai_output
)]
fn chat_with_output() -> Result<Json, std::io::Error> {
    let mut response = fixture();
    response["choices"][0]["finish_reason"] = json!("length");
    Ok(response)
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o", capture = full, usage = false, output = openai_output)]
fn chat_output_only() -> Json {
    fixture()
}

fn int(span: &opentelemetry_sdk::trace::SpanData, key: &str) -> Option<i64> {
    match attribute(span, key) {
        Some(Value::I64(value)) => Some(*value),
        _ => None,
    }
}

#[test]
fn usage_is_read_from_a_serde_json_value_through_a_function() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        chat_value();
    }
    let span = telemetry.span("chat gpt-4o");
    assert_eq!(int(&span, "gen_ai.usage.input_tokens"), Some(1117));
    assert_eq!(
        int(&span, "gen_ai.usage.cache_read.input_tokens"),
        Some(1024)
    );
    assert_eq!(int(&span, "gen_ai.usage.output_tokens"), Some(46));
    assert_eq!(
        attribute(&span, "gen_ai.response.id").map(|v| v.as_str().into_owned()),
        Some("chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG".to_owned())
    );
    // gpt-4o-2024-08-06: 93 * 2.5e-6 + 1024 * 1.25e-6 + 46 * 1e-5 = 0.0019725
    let Some(Value::F64(cost)) = attribute(&span, "llmscope.cost.total") else {
        panic!("no cost: {:?}", span.attributes);
    };
    assert!(((cost - 0.0019725) / 0.0019725).abs() < 1e-9, "{cost}");
}

#[test]
fn a_result_gives_the_function_its_ok_value_and_an_error_records_no_usage() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        chat_result(false).unwrap();
        chat_result(true).unwrap_err();
    }
    let spans = telemetry.spans();
    assert_eq!(spans.len(), 2);
    let ok = spans
        .iter()
        .find(|s| attribute(s, "error.type").is_none())
        .unwrap();
    let failed = spans
        .iter()
        .find(|s| attribute(s, "error.type").is_some())
        .unwrap();
    assert_eq!(int(ok, "gen_ai.usage.input_tokens"), Some(1117));
    assert_eq!(int(failed, "gen_ai.usage.input_tokens"), None);
}

#[test]
fn the_output_function_gives_the_output_messages_once() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        chat_with_output().unwrap();
        chat_output_only();
    }
    let spans = telemetry.spans();
    assert_eq!(spans.len(), 2);
    for span in &spans {
        let outputs: Vec<_> = span
            .attributes
            .iter()
            .filter(|kv| kv.key.as_str() == "gen_ai.output.messages")
            .collect();
        assert_eq!(outputs.len(), 1, "written once: {:?}", span.attributes);
        let messages: Json = serde_json::from_str(&outputs[0].value.as_str()).unwrap();
        assert_eq!(
            messages,
            json!([{
                "role": "assistant",
                "parts": [{"type": "text", "content": "[from output fn] The capital of France is Paris."}],
                // The usage function's finish reason; none without usage (`usage = false`).
                "finish_reason": if int(span, "gen_ai.usage.input_tokens").is_some() { "length" } else { "stop" },
            }])
        );
    }
    let with_usage = spans
        .iter()
        .find(|s| int(s, "gen_ai.usage.input_tokens").is_some())
        .expect("usage = openai_usage records usage");
    assert_eq!(int(with_usage, "gen_ai.usage.output_tokens"), Some(46));
}
