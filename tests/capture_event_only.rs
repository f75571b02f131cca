//! Content destination `EVENT_ONLY`: the `gen_ai.client.inference.operation.details` event
//! carries only what semconv v1.41.0 defines for it, spans carry no content, and llmscope's
//! fingerprints stay on the span. One policy per process, so this file has its own.

use llmscope::capture::{CaptureMode, CapturePolicy, ContentDestination};
use llmscope::opentelemetry_sdk::trace::SpanData;
use llmscope::testing::{attribute, TestTelemetry};

fn install_policy() {
    // Every test installs the same policy; the first one wins.
    let _ = llmscope::set_capture_policy(
        CapturePolicy::builder()
            .with_mode(CaptureMode::Full)
            .with_destination(ContentDestination::Event)
            .build()
            .expect("a valid policy"),
    );
}

#[derive(llmscope::Usage)]
struct Reply {
    #[usage(completion)]
    text: String,
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini", prompt = prompt, system = "Be brief.")]
fn chat(prompt: &str) -> Reply {
    Reply {
        text: format!("echo: {prompt}"),
    }
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini", prompt = prompt, capture = hash)]
fn chat_hashed(prompt: &str) -> Reply {
    Reply {
        text: "ok".to_owned(),
    }
}

#[llmscope::tool(name = "lookup", arguments = query)]
fn lookup(query: &str) -> String {
    format!("found {query}")
}

fn details(span: &SpanData) -> Option<Vec<String>> {
    span.events
        .iter()
        .find(|event| event.name == "gen_ai.client.inference.operation.details")
        .map(|event| {
            event
                .attributes
                .iter()
                .map(|kv| kv.key.as_str().to_owned())
                .collect()
        })
}

#[test]
fn the_details_event_holds_the_messages_and_names_the_operation() {
    install_policy();
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        chat("hello");
    }
    let span = telemetry.span("chat gpt-4o-mini");
    assert_eq!(
        details(&span).expect("a details event"),
        [
            "gen_ai.operation.name",
            "gen_ai.request.model",
            "gen_ai.input.messages",
            "gen_ai.system_instructions",
            "gen_ai.output.messages",
        ]
    );
    for key in [
        "gen_ai.input.messages",
        "gen_ai.system_instructions",
        "gen_ai.output.messages",
    ] {
        assert_eq!(attribute(&span, key), None, "`{key}` on the span");
    }
}

#[test]
fn tool_content_has_no_event_and_stays_off_the_span() {
    install_policy();
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        lookup("refund policy");
    }
    let span = telemetry.span("execute_tool lookup");
    assert_eq!(details(&span), None);
    assert_eq!(attribute(&span, "gen_ai.tool.call.arguments"), None);
    assert_eq!(attribute(&span, "gen_ai.tool.call.result"), None);
}

#[test]
fn hashes_go_on_the_span_not_the_event() {
    install_policy();
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        chat_hashed("hello");
    }
    let span = telemetry.span("chat gpt-4o-mini");
    assert!(attribute(&span, "llmscope.input.hash").is_some());
    assert_eq!(
        attribute(&span, "llmscope.input.length"),
        Some(&llmscope::opentelemetry::Value::I64(5))
    );
    assert_eq!(
        details(&span),
        None,
        "nothing the event defines was captured"
    );
}
