//! The process-wide capture policy: destination (span, event, both), truncation that keeps the
//! JSON valid, and the environment mapping. One policy per process, so this file has its own.

use llmscope::capture::{CaptureMode, CapturePolicy, ContentDestination};
use llmscope::testing::{attribute, TestTelemetry};

fn install_policy() {
    // Every test installs the same policy; the first one wins.
    let _ = llmscope::set_capture_policy(
        CapturePolicy::builder()
            .with_mode(CaptureMode::Full)
            .with_destination(ContentDestination::SpanAndEvent)
            .with_max_bytes(256)
            .build()
            .expect("valid policy"),
    );
}

#[derive(llmscope::Usage)]
struct Reply {
    #[usage(completion)]
    text: String,
}

#[llmscope::llm_call(provider = "openai", model = "policy", prompt = prompt)]
fn call(prompt: &str) -> Reply {
    Reply {
        text: "short answer".to_owned(),
    }
}

#[test]
fn content_goes_to_span_attributes_and_to_the_details_event() {
    install_policy();
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        call("hello");
    }
    let span = telemetry.span("chat policy");
    assert!(attribute(&span, "gen_ai.input.messages").is_some());
    let event = span
        .events
        .iter()
        .find(|event| event.name == "gen_ai.client.inference.operation.details")
        .expect("details event");
    let keys: Vec<&str> = event.attributes.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "gen_ai.operation.name",
            "gen_ai.request.model",
            "gen_ai.input.messages",
            "gen_ai.output.messages"
        ]
    );
}

#[test]
fn long_content_is_cut_to_the_limit_and_stays_valid_json() {
    install_policy();
    let telemetry = TestTelemetry::new();
    // Multi-byte characters so a cut in the wrong place would break UTF-8 too.
    let long = "Grüße aus Köln — ".repeat(100);
    {
        let _guard = telemetry.context().attach();
        call(&long);
    }
    let span = telemetry.span("chat policy");
    let json = attribute(&span, "gen_ai.input.messages")
        .unwrap()
        .as_str()
        .into_owned();
    assert!(json.len() <= 256, "{} bytes", json.len());
    let parsed: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    let content = parsed[0]["parts"][0]["content"].as_str().unwrap();
    assert!(content.starts_with("Grüße aus Köln"), "{content}");
    assert!(content.ends_with("…[truncated]"), "{content}");
    assert_eq!(
        attribute(&span, "llmscope.input.truncated"),
        Some(&opentelemetry::Value::Bool(true))
    );
}

fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |name| {
        pairs
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
    }
}

#[test]
fn the_standard_variable_maps_onto_modes_and_destinations() {
    let cases: [(&str, CaptureMode, ContentDestination); 4] = [
        ("NO_CONTENT", CaptureMode::None, ContentDestination::Span),
        ("SPAN_ONLY", CaptureMode::Redacted, ContentDestination::Span),
        (
            "EVENT_ONLY",
            CaptureMode::Redacted,
            ContentDestination::Event,
        ),
        (
            "SPAN_AND_EVENT",
            CaptureMode::Redacted,
            ContentDestination::SpanAndEvent,
        ),
    ];
    for (value, mode, destination) in cases {
        let lookup = move |name: &str| {
            (name == "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT").then(|| value.to_owned())
        };
        let policy = CapturePolicy::from_lookup(lookup).unwrap();
        assert_eq!(
            (policy.mode(), policy.destination()),
            (mode, destination),
            "{value}"
        );
    }
    let policy = CapturePolicy::from_lookup(env(&[
        (
            "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
            "SPAN_ONLY",
        ),
        ("LLMSCOPE_CAPTURE_MODE", "full"),
        ("LLMSCOPE_CAPTURE_MAX_BYTES", "4096"),
    ]))
    .unwrap();
    assert_eq!(
        (policy.mode(), policy.max_bytes()),
        (CaptureMode::Full, 4096)
    );
    assert_eq!(
        CapturePolicy::from_lookup(env(&[])).unwrap().mode(),
        CaptureMode::None
    );
}

#[test]
fn invalid_settings_name_the_variable_and_the_value() {
    let error = CapturePolicy::from_lookup(env(&[(
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
        "ALL",
    )]))
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` value `ALL`: expected \
         `NO_CONTENT`, `SPAN_ONLY`, `EVENT_ONLY` or `SPAN_AND_EVENT`"
    );
    let error =
        CapturePolicy::from_lookup(env(&[("LLMSCOPE_CAPTURE_MAX_BYTES", "lots")])).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid `LLMSCOPE_CAPTURE_MAX_BYTES` value `lots`: expected a number of bytes, at least 64"
    );
    let error = CapturePolicy::from_lookup(env(&[("LLMSCOPE_HASH_KEY", "xyz")])).unwrap_err();
    assert!(error.to_string().contains("LLMSCOPE_HASH_KEY"), "{error}");
}
