//! The quickstart scenario sent wherever the standard `OTEL_*` variables say, through
//! `llmscope::init()`: an app span with two annotated chat calls (simulated, no network).
//!
//! ```sh
//! cargo run --example send_traces            # nothing set: terminal tree + llmscope-traces.jsonl
//! scripts/phoenix.sh start                   # prints PHOENIX_URL=http://127.0.0.1:<port>
//! OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:<port> \
//! OTEL_RESOURCE_ATTRIBUTES=openinference.project.name=llmscope-quickstart \
//!   cargo run --example send_traces          # OTLP/HTTP protobuf to Phoenix
//! ```
//!
//! OTLP needs the `otlp-http` (or `otlp-grpc`) feature of `llmscope`; the examples and tests
//! of this repository build with both.

use std::time::Duration;

use llmscope::opentelemetry::trace::{Tracer as _, TracerProvider as _};

#[derive(llmscope::Usage)]
struct ChatResponse {
    #[usage(response_model)]
    model: String,
    #[usage(input_tokens)]
    prompt_tokens: u32,
    #[usage(output_tokens)]
    completion_tokens: u32,
    #[usage(cache_read_tokens)]
    cached_tokens: Option<u32>,
    #[usage(finish_reason)]
    finish_reason: String,
}

#[llmscope::llm_call(provider = "openai", model = model, temperature = 0.2, feature = "support_answer")]
fn chat(model: &str, prompt: &str) -> ChatResponse {
    std::thread::sleep(Duration::from_millis(15 + prompt.len() as u64 % 20));
    ChatResponse {
        model: format!("{model}-2024-08-06"),
        prompt_tokens: 1117 + prompt.len() as u32,
        completion_tokens: 46,
        cached_tokens: Some(1024),
        finish_reason: "stop".to_owned(),
    }
}

fn main() -> Result<(), llmscope::SetupError> {
    let telemetry = llmscope::init()?;
    let tracer = llmscope::opentelemetry::global::tracer_provider().tracer("send_traces");
    tracer.in_span("handle_question", |_cx| {
        chat(
            "gpt-4o-mini",
            "Rewrite as a search query: capital of France?",
        );
        chat(
            "gpt-4o",
            "Answer using the documents: what is the capital of France?",
        );
    });
    drop(telemetry); // flushes; spans dropped for a full queue are reported here
    Ok(())
}
