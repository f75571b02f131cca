//! Quickstart: two simulated LLM calls (no network) annotated with `#[llm_call]`, exported by
//! `llmscope::init()`'s embedded default: a trace tree on stdout and a line in
//! `./llmscope-traces.jsonl`, which the `llmscope` command line opens.
//!
//! Run: `cargo run --example quickstart`

use std::time::Duration;

use llmscope::opentelemetry::trace::{TraceContextExt as _, Tracer as _, TracerProvider as _};

/// The request your client sends.
struct ChatRequest {
    model: String,
    temperature: f64,
    prompt: String,
}

/// OpenAI-style response: `prompt_tokens` already includes the cached tokens.
#[derive(llmscope::Usage)]
struct ChatResponse {
    #[usage(response_id)]
    id: String,
    #[usage(response_model)]
    model: String,
    #[usage(flatten)]
    usage: TokenUsage,
    #[usage(finish_reasons)]
    finish_reasons: Vec<String>,
    #[usage(completion)] // content: never exported unless the capture policy allows it
    text: String,
}

#[derive(llmscope::Usage)]
struct TokenUsage {
    #[usage(input_tokens)]
    prompt_tokens: u32,
    #[usage(output_tokens)]
    completion_tokens: u32,
    #[usage(cache_read_tokens)]
    cached_tokens: Option<u32>,
}

#[derive(Debug)]
struct ApiError(String);

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[llmscope::llm_call(
    provider = "openai",
    model = req.model,
    temperature = req.temperature,
    max_tokens = 512,
    server_address = "api.openai.com",
    server_port = 443,
    feature = "support_answer"
)]
fn chat(req: &ChatRequest) -> Result<ChatResponse, ApiError> {
    // A real client would call the provider here; we simulate latency and a response.
    std::thread::sleep(Duration::from_millis(12 + req.prompt.len() as u64 % 20));
    let cached = (req.prompt.len() > 40).then_some(1024);
    Ok(ChatResponse {
        id: format!("chatcmpl-{}", req.prompt.len()),
        model: format!("{}-2024-08-06", req.model),
        usage: TokenUsage {
            prompt_tokens: 1117 + req.prompt.len() as u32,
            completion_tokens: 46,
            cached_tokens: cached,
        },
        finish_reasons: vec!["stop".to_owned()],
        text: "The capital of France is Paris.".to_owned(),
    })
}

fn main() -> Result<(), llmscope::SetupError> {
    // The embedded default (no `OTEL_EXPORTER_OTLP_*` set): each finished trace is printed as a
    // tree on stdout and appended to ./llmscope-traces.jsonl.
    let telemetry = llmscope::init()?;

    // An application span (plain OpenTelemetry API) with two annotated calls under it.
    let tracer = llmscope::opentelemetry::global::tracer_provider().tracer("quickstart");
    let trace_id = tracer.in_span("handle_question", |cx| {
        let rewrite = ChatRequest {
            model: "gpt-4o-mini".to_owned(),
            temperature: 0.0,
            prompt: "Rewrite as a search query: capital of France?".to_owned(),
        };
        let query = chat(&rewrite).expect("simulated call succeeds");
        let answer = ChatRequest {
            model: "gpt-4o".to_owned(),
            temperature: 0.2,
            prompt: format!("Answer using the documents for: {}", query.id),
        };
        let reply = chat(&answer).expect("simulated call succeeds");
        println!("answer: {}", reply.text);
        cx.span().span_context().trace_id().to_string()
    });

    drop(telemetry); // flushes: the tree is printed and the JSONL line written here
                     // Where the embedded default writes (`Telemetry::builder().with_jsonl_path` changes it).
    let file = "llmscope-traces.jsonl";
    if std::path::Path::new(file).exists() {
        println!(
            "\nOpen these traces with the llmscope command line (`cargo install --path cli`):\n  \
             llmscope traces {file}\n  \
             llmscope show {} {file}\n  \
             llmscope costs {file}\n  \
             llmscope report {file} -o report.html",
            &trace_id[..8]
        );
    }
    Ok(())
}
