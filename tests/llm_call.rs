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
