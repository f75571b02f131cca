//! The quickstart scenario shared by `examples/quickstart.rs` and `tests/conformance*.rs`
//! (included with `#[path]`), so the tests check what the example runs: two simulated LLM
//! calls (no network) under an application span.

use std::time::Duration;

use llmscope::opentelemetry::trace::Tracer;

/// The request your client sends.
pub(crate) struct ChatRequest {
    pub(crate) model: String,
    pub(crate) temperature: f64,
    pub(crate) prompt: String,
}

/// OpenAI-style response: `prompt_tokens` already includes the cached tokens.
#[derive(llmscope::Usage)]
pub(crate) struct ChatResponse {
    #[usage(response_id)]
    id: String,
    #[usage(response_model)]
    model: String,
    #[usage(flatten)]
    usage: TokenUsage,
    #[usage(finish_reasons)]
    finish_reasons: Vec<String>,
    #[usage(completion)] // content: never exported unless the capture policy allows it
    pub(crate) text: String,
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
pub(crate) struct ApiError(String);

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
pub(crate) fn chat(req: &ChatRequest) -> Result<ChatResponse, ApiError> {
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

/// The application span `handle_question` (plain OpenTelemetry API, parented on the current
/// context) with the two annotated calls under it; returns the answer.
pub(crate) fn handle_question<T: Tracer>(tracer: &T) -> String
where
    T::Span: Send + Sync + 'static,
{
    tracer.in_span("handle_question", |_cx| {
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
        chat(&answer).expect("simulated call succeeds").text
    })
}
