//! `init()` installs for the whole process (its own test binary): llmscope's spans, the
//! `opentelemetry` global provider and, when asked, the tracing-opentelemetry layer, all in
//! one trace; a second `init` is refused.

mod support;

use llmscope::opentelemetry::trace::{Tracer as _, TracerProvider as _};
use llmscope::{SetupError, Telemetry};

#[derive(llmscope::Usage)]
struct Reply {
    #[usage(input_tokens)]
    prompt_tokens: u32,
    #[usage(output_tokens)]
    completion_tokens: u32,
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o")]
fn chat() -> Reply {
    Reply {
        prompt_tokens: 10,
        completion_tokens: 2,
    }
}

#[tracing::instrument]
fn handle_request() {
    chat();
}

#[test]
fn init_installs_spans_global_provider_and_tracing_layer() {
    let dir = std::env::temp_dir().join(format!("llmscope-init-{}", std::process::id()));
    let path = dir.join("traces.jsonl");
    let guard = Telemetry::builder()
        .with_env([("OTEL_SERVICE_NAME", "init-test")])
        .with_terminal(false)
        .with_jsonl_path(Some(path.clone()))
        .with_tracing_layer(true)
        .init()
        .expect("first init");
    assert!(llmscope::is_installed());

    handle_request();
    llmscope::opentelemetry::global::tracer_provider()
        .tracer("app")
        .in_span("global_api_span", |_| {});

    let again = Telemetry::builder()
        .with_env([("OTEL_SERVICE_NAME", "second")])
        .with_terminal(false)
        .with_jsonl_path(None)
        .init();
    assert!(
        matches!(again, Err(SetupError::AlreadyInstalled(_))),
        "{again:?}"
    );
    drop(guard);

    let spans = support::jsonl_spans(&path);
    let find = |name: &str| {
        spans.iter().find(|s| s.name == name).unwrap_or_else(|| {
            panic!(
                "no span {name} in {:?}",
                spans.iter().map(|s| &s.name).collect::<Vec<_>>()
            )
        })
    };
    let outer = find("handle_request");
    let call = find("chat gpt-4o");
    assert_eq!(call.trace_id, outer.trace_id);
    assert_eq!(call.parent_span_id, outer.span_id);
    find("global_api_span");
    std::fs::remove_dir_all(&dir).unwrap();
}
