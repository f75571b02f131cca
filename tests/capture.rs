//! Content capture: private by default, hashed, redacted or full on request, never in clear for
//! `Sensitive` values, and checked on the exporter's output bytes.

use llmscope::testing::{attribute, TestTelemetry};
use llmscope::Sensitive;
use opentelemetry::Value;

#[derive(llmscope::Usage)]
struct Reply {
    #[usage(output_tokens)]
    tokens: u32,
    #[usage(finish_reason)]
    finish: &'static str,
    #[usage(completion)]
    text: String,
}

fn reply(text: &str) -> Reply {
    Reply {
        tokens: 3,
        finish: "stop",
        text: text.to_owned(),
    }
}

const PROMPT: &str =
    "Summarise the thread for jane.doe@example.com, key sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz012345";

#[llmscope::llm_call(provider = "openai", model = "default-mode", prompt = prompt, system = "Be brief.")]
fn default_mode(prompt: &str) -> Reply {
    reply(&format!("echo: {prompt}"))
}

#[llmscope::llm_call(provider = "openai", model = "full", prompt = prompt, system = "Be brief.", capture = full)]
fn full(prompt: &str) -> Reply {
    reply("The thread is about the launch.")
}

#[llmscope::llm_call(provider = "openai", model = "redacted", prompt = prompt, capture = redacted)]
fn redacted(prompt: &str) -> Reply {
    reply(&format!("I emailed {}", "jane.doe@example.com"))
}

#[llmscope::llm_call(provider = "openai", model = "hash", prompt = prompt, capture = hash)]
fn hashed(prompt: &str) -> Reply {
    reply("ok")
}

fn string_attr(span: &opentelemetry_sdk::trace::SpanData, key: &str) -> Option<String> {
    attribute(span, key).map(|value| value.as_str().into_owned())
}

fn run<R>(telemetry: &TestTelemetry, call: impl FnOnce() -> R) -> R {
    let _guard = telemetry.context().attach();
    call()
}

#[test]
fn the_default_exports_no_content_at_all() {
    let telemetry = TestTelemetry::new();
    run(&telemetry, || default_mode(PROMPT));
    let span = telemetry.span("chat default-mode");
    let exported = format!("{span:?}");
    assert!(!exported.contains("Summarise"), "{exported}");
    assert!(!exported.contains("echo:"), "{exported}");
    assert!(!exported.contains("Be brief"), "{exported}");
    for key in [
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.system_instructions",
    ] {
        assert_eq!(attribute(&span, key), None, "{key}");
    }
}

#[test]
fn full_mode_writes_semconv_message_json() {
    let telemetry = TestTelemetry::new();
    run(&telemetry, || full("What happened?"));
    let span = telemetry.span("chat full");
    let input: serde_json::Value =
        serde_json::from_str(&string_attr(&span, "gen_ai.input.messages").unwrap()).unwrap();
    assert_eq!(
        input,
        serde_json::json!([{"role": "user", "parts": [{"type": "text", "content": "What happened?"}]}])
    );
    let system: serde_json::Value =
        serde_json::from_str(&string_attr(&span, "gen_ai.system_instructions").unwrap()).unwrap();
    assert_eq!(
        system,
        serde_json::json!([{"type": "text", "content": "Be brief."}])
    );
    let output: serde_json::Value =
        serde_json::from_str(&string_attr(&span, "gen_ai.output.messages").unwrap()).unwrap();
    assert_eq!(
        output,
        serde_json::json!([{
            "role": "assistant",
            "parts": [{"type": "text", "content": "The thread is about the launch."}],
            "finish_reason": "stop"
        }])
    );
}

#[test]
fn redacted_mode_replaces_secrets_with_typed_placeholders() {
    let telemetry = TestTelemetry::new();
    run(&telemetry, || redacted(PROMPT));
    let span = telemetry.span("chat redacted");
    let input = string_attr(&span, "gen_ai.input.messages").unwrap();
    assert!(
        input.contains("[EMAIL]") && input.contains("[API_KEY]"),
        "{input}"
    );
    assert!(
        !input.contains("jane.doe") && !input.contains("sk-proj"),
        "{input}"
    );
    let output = string_attr(&span, "gen_ai.output.messages").unwrap();
    assert!(output.contains("I emailed [EMAIL]"), "{output}");
}

#[test]
fn hash_mode_exports_a_keyed_hash_and_length_only() {
    let telemetry = TestTelemetry::new();
    run(&telemetry, || {
        hashed(PROMPT);
        hashed(PROMPT);
        hashed("something else");
    });
    let spans = telemetry.spans();
    let hashes: Vec<String> = spans
        .iter()
        .map(|span| string_attr(span, "llmscope.input.hash").unwrap())
        .collect();
    assert!(hashes[0].starts_with("hmac-sha256:"));
    assert_eq!(
        hashes[0], hashes[1],
        "deterministic within the deployment key"
    );
    assert_ne!(hashes[0], hashes[2]);
    assert_eq!(
        attribute(&spans[0], "llmscope.input.length"),
        Some(&Value::I64(PROMPT.len() as i64))
    );
    for span in &spans {
        assert_eq!(attribute(span, "gen_ai.input.messages"), None);
        assert!(!format!("{span:?}").contains("Summarise"));
    }
}

#[llmscope::llm_call(provider = "openai", model = "sensitive", prompt = [llmscope::Message::user("Hello"), llmscope::Message::user("")], system = secret, capture = full)]
fn with_sensitive(secret: &Sensitive<String>) -> Reply {
    reply("hi")
}

#[test]
fn sensitive_values_are_never_exported_in_clear_even_in_full_mode() {
    let telemetry = TestTelemetry::new();
    let secret = Sensitive::new("the customer's SSN is 123-45-6789".to_owned());
    run(&telemetry, || with_sensitive(&secret));
    let span = telemetry.span("chat sensitive");
    let system: serde_json::Value =
        serde_json::from_str(&string_attr(&span, "gen_ai.system_instructions").unwrap()).unwrap();
    assert_eq!(
        system,
        serde_json::json!([{"type": "text", "content": "[SENSITIVE]"}])
    );
    assert!(!format!("{span:?}").contains("123-45-6789"));
}

#[derive(Debug)]
struct LeakyError(String);

impl std::fmt::Display for LeakyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[llmscope::llm_call(provider = "openai", model = "attrs", usage = false, attrs(custom("app.note") = note))]
fn user_attribute(note: &str) -> Result<(), LeakyError> {
    Err(LeakyError(format!(
        "auth failed for key AKIAIOSFODNN7EXAMPLE ({note})"
    )))
}

#[test]
fn user_attributes_and_exception_messages_are_redacted_in_every_mode() {
    let telemetry = TestTelemetry::new();
    let _ = run(&telemetry, || user_attribute("call jane.doe@example.com"));
    let span = telemetry.span("chat attrs");
    assert_eq!(
        string_attr(&span, "app.note").as_deref(),
        Some("call [EMAIL]")
    );
    let exported = format!("{span:?}");
    assert!(!exported.contains("AKIAIOSFODNN7EXAMPLE"), "{exported}");
    assert!(!exported.contains("jane.doe@example.com"), "{exported}");
}

/// Content that counts how often it is rendered.
struct Counted;

thread_local! {
    static RENDERED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

impl llmscope::capture::Content for Counted {
    fn messages<'a>(&'a self, role: &'static str, out: &mut Vec<llmscope::Message<'a>>) {
        RENDERED.with(|count| count.set(count.get() + 1));
        out.push(llmscope::Message::new(role, "counted"));
    }
}

#[llmscope::llm_call(provider = "openai", model = "counted", prompt = Counted, capture = full)]
fn counted() -> Reply {
    reply("ok")
}

#[test]
fn nothing_is_rendered_for_spans_that_do_not_record() {
    let telemetry = TestTelemetry::with_builder(
        opentelemetry_sdk::trace::SdkTracerProvider::builder()
            .with_sampler(opentelemetry_sdk::trace::Sampler::AlwaysOff),
    );
    run(&telemetry, counted);
    counted(); // and nothing without a provider
    assert_eq!(RENDERED.with(|count| count.get()), 0);
    let recorded = TestTelemetry::new();
    run(&recorded, counted);
    assert_eq!(RENDERED.with(|count| count.get()), 1);
}

#[llmscope::llm_call(provider = "openai", model = "tags", usage = false, capture = full,
    attrs(custom("app.tags") = tags, custom("app.labels") = labels))]
fn tagged(tags: &Vec<String>, labels: &[&str]) {}

#[test]
fn string_array_attributes_are_redacted_in_every_mode() {
    let telemetry = TestTelemetry::new();
    let tags = vec![
        "plain".to_owned(),
        "key sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz012345".to_owned(),
        r#"{"q":"Line one\n5105 1051 0510 5100"}"#.to_owned(),
    ];
    run(&telemetry, || {
        tagged(&tags, &["ok", "mail jane.doe@example.com"])
    });
    let span = telemetry.span("chat tags");
    let strings = |key: &str| match attribute(&span, key) {
        Some(Value::Array(opentelemetry::Array::String(items))) => items
            .iter()
            .map(|item| item.as_str().to_owned())
            .collect::<Vec<_>>(),
        other => panic!("`{key}` is not a string array: {other:?}"),
    };
    assert_eq!(
        strings("app.tags"),
        ["plain", "key [API_KEY]", r#"{"q":"Line one\n[CARD]"}"#]
    );
    assert_eq!(strings("app.labels"), ["ok", "mail [EMAIL]"]);
}

#[llmscope::tool(name = "search", arguments = arguments, capture = redacted)]
fn search_tool(arguments: &str, result: &str) -> String {
    result.to_owned()
}

#[test]
fn json_tool_content_is_redacted_on_its_decoded_values() {
    let telemetry = TestTelemetry::new();
    // The issue's case: the `n` of `\n` touches the card number.
    let arguments = r#"{"q":"Line one\n5105 1051 0510 5100"}"#;
    // The result carries JSON inside a JSON string (escaped twice) and a key naming an SSN.
    let result = serde_json::json!({
        "inner": r#"{"note":"call me at\t2025550143"}"#,
        "ssn": "078051120",
    })
    .to_string();
    run(&telemetry, || search_tool(arguments, &result));
    let span = telemetry.span("execute_tool search");
    assert_eq!(
        string_attr(&span, "gen_ai.tool.call.arguments").as_deref(),
        Some(r#"{"q":"Line one\n[CARD]"}"#)
    );
    let exported = string_attr(&span, "gen_ai.tool.call.result").unwrap();
    let value: serde_json::Value = serde_json::from_str(&exported).unwrap();
    assert_eq!(value["ssn"], "[SSN]", "{exported}");
    let inner: serde_json::Value = serde_json::from_str(value["inner"].as_str().unwrap()).unwrap();
    assert_eq!(inner["note"], "call me at\t[PHONE]", "{exported}");
}
