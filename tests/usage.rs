//! `#[derive(Usage)]` on real provider response shapes (tests/fixtures/providers).

use llmscope::testing::{attribute, TestTelemetry};
use llmscope::{Usage, UsageData};
use opentelemetry::Value;
use serde::Deserialize;

fn fixture<T: for<'de> Deserialize<'de>>(name: &str) -> T {
    let path = format!(
        "{}/tests/fixtures/providers/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn usage_of<T: Usage>(value: &T) -> UsageData<'_> {
    let mut usage = UsageData::default();
    value.record_usage(&mut usage);
    usage
}

// OpenAI Chat Completions: prompt_tokens includes cached tokens.
#[derive(Deserialize, Usage)]
struct OpenAiChat {
    #[usage(response_id)]
    id: String,
    #[usage(response_model)]
    model: String,
    #[usage(flatten)]
    choices: Vec<OpenAiChoice>,
    #[usage(flatten)]
    usage: OpenAiUsage,
    #[usage(service_tier)]
    service_tier: Option<String>,
}

#[derive(Deserialize, Usage)]
struct OpenAiChoice {
    #[usage(finish_reason)]
    finish_reason: Option<String>,
    #[usage(flatten)]
    message: OpenAiMessage,
}

#[derive(Deserialize, Usage)]
struct OpenAiMessage {
    #[usage(completion)]
    content: Option<String>,
}

#[derive(Deserialize, Usage)]
struct OpenAiUsage {
    #[usage(input_tokens)]
    prompt_tokens: u64,
    #[usage(output_tokens)]
    completion_tokens: u64,
    #[usage(flatten)]
    prompt_tokens_details: Option<PromptDetails>,
    #[usage(flatten)]
    completion_tokens_details: Option<CompletionDetails>,
}

#[derive(Deserialize, Usage)]
struct PromptDetails {
    #[usage(cache_read_tokens)]
    cached_tokens: Option<u32>,
}

#[derive(Deserialize, Usage)]
struct CompletionDetails {
    #[usage(reasoning_tokens)]
    reasoning_tokens: Option<i64>,
}

#[test]
fn openai_chat_input_already_includes_cached_tokens() {
    let response: OpenAiChat = fixture("openai-chat-completion.json");
    let usage = usage_of(&response);
    assert_eq!(usage.input_tokens(), Some(1117));
    assert_eq!(usage.cache_read_tokens(), Some(1024));
    assert_eq!(usage.output_tokens(), Some(46));
    assert_eq!(usage.reasoning_tokens(), Some(0));
    assert_eq!(usage.response_model(), Some("gpt-4o-2024-08-06"));
    assert_eq!(
        usage.response_id(),
        Some("chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG")
    );
    assert_eq!(usage.finish_reasons(), ["stop"]);
    assert_eq!(usage.service_tier(), Some("default"));
    assert_eq!(usage.completion(), ["The capital of France is Paris."]);
}

#[test]
fn openai_reasoning_output_already_includes_reasoning_tokens() {
    let response: OpenAiChat = fixture("openai-reasoning-completion.json");
    let usage = usage_of(&response);
    assert_eq!(usage.input_tokens(), Some(21));
    assert_eq!(usage.output_tokens(), Some(1406));
    assert_eq!(usage.reasoning_tokens(), Some(1344));
    assert_eq!(usage.cache_read_tokens(), Some(0));
}

// Anthropic Messages: input_tokens EXCLUDES cache reads and writes.
#[derive(Deserialize, Usage)]
struct AnthropicMessage {
    #[usage(response_id)]
    id: String,
    #[usage(response_model)]
    model: String,
    #[usage(finish_reason)]
    stop_reason: Option<String>,
    #[usage(flatten)]
    usage: AnthropicUsage,
    #[usage(flatten)]
    content: Vec<AnthropicBlock>,
}

#[derive(Deserialize, Usage)]
struct AnthropicBlock {
    #[usage(completion)]
    text: Option<String>,
}

#[derive(Deserialize, Usage)]
#[usage(input_excludes_cache)]
struct AnthropicUsage {
    #[usage(input_tokens)]
    input_tokens: u64,
    #[usage(output_tokens)]
    output_tokens: u64,
    #[usage(cache_read_tokens)]
    cache_read_input_tokens: Option<u64>,
    #[usage(cache_write_tokens)]
    cache_creation_input_tokens: Option<u64>,
    #[usage(flatten)]
    cache_creation: Option<AnthropicCacheCreation>,
}

#[derive(Deserialize, Usage)]
struct AnthropicCacheCreation {
    #[usage(cache_write_1h_tokens)]
    ephemeral_1h_input_tokens: usize,
}

#[test]
fn anthropic_input_is_made_inclusive_so_cache_is_not_billed_twice() {
    let response: AnthropicMessage = fixture("anthropic-message.json");
    let usage = usage_of(&response);
    // 247 uncached + 1500 cache writes + 8000 cache reads, as semconv defines input_tokens.
    assert_eq!(usage.input_tokens(), Some(247 + 1500 + 8000));
    assert_eq!(usage.cache_read_tokens(), Some(8000));
    assert_eq!(usage.cache_write_tokens(), Some(1500));
    assert_eq!(usage.cache_write_1h_tokens(), Some(0));
    assert_eq!(usage.output_tokens(), Some(384));
    assert_eq!(usage.finish_reasons(), ["end_turn"]);
    assert_eq!(usage.response_model(), Some("claude-sonnet-4-5-20250929"));
}

// Gemini: promptTokenCount includes cached; thoughtsTokenCount is OUTSIDE candidatesTokenCount.
#[derive(Deserialize, Usage)]
#[serde(rename_all = "camelCase")]
struct GeminiResponse {
    #[usage(flatten)]
    candidates: Vec<GeminiCandidate>,
    #[usage(flatten)]
    usage_metadata: GeminiUsage,
    #[usage(response_model)]
    model_version: String,
    #[usage(response_id)]
    response_id: String,
}

#[derive(Deserialize, Usage)]
#[serde(rename_all = "camelCase")]
struct GeminiCandidate {
    #[usage(finish_reason)]
    finish_reason: String,
}

#[derive(Deserialize, Usage)]
#[serde(rename_all = "camelCase")]
#[usage(output_excludes_reasoning)]
struct GeminiUsage {
    #[usage(input_tokens)]
    prompt_token_count: u64,
    #[usage(output_tokens)]
    candidates_token_count: u64,
    #[usage(cache_read_tokens)]
    cached_content_token_count: Option<u64>,
    #[usage(reasoning_tokens)]
    thoughts_token_count: Option<u64>,
}

#[test]
fn gemini_output_is_made_inclusive_of_thoughts() {
    let response: GeminiResponse = fixture("gemini-generate-content.json");
    let usage = usage_of(&response);
    assert_eq!(usage.input_tokens(), Some(250_812));
    assert_eq!(usage.cache_read_tokens(), Some(131_072));
    assert_eq!(usage.output_tokens(), Some(905 + 1300));
    assert_eq!(usage.reasoning_tokens(), Some(1300));
    assert_eq!(usage.finish_reasons(), ["STOP"]);
    assert_eq!(usage.response_model(), Some("gemini-2.5-pro"));
}

#[derive(Deserialize, Usage)]
struct Embeddings {
    #[usage(response_model)]
    model: String,
    #[usage(flatten)]
    usage: EmbeddingUsage,
}

#[derive(Deserialize, Usage)]
struct EmbeddingUsage {
    #[usage(input_tokens)]
    prompt_tokens: u32,
}

#[test]
fn embeddings_have_input_tokens_only() {
    let response: Embeddings = fixture("openai-embeddings.json");
    let usage = usage_of(&response);
    assert_eq!(usage.input_tokens(), Some(8));
    assert_eq!(usage.output_tokens(), None);
    assert_eq!(usage.response_model(), Some("text-embedding-3-small"));
}

#[derive(Usage)]
struct Generic<U> {
    #[usage(flatten)]
    inner: U,
    #[usage(finish_reasons)]
    reasons: Vec<&'static str>,
}

#[test]
fn generic_structs_bound_their_flattened_fields() {
    let value = Generic {
        inner: Some(EmbeddingUsage { prompt_tokens: 3 }),
        reasons: vec!["length", "stop"],
    };
    let usage = usage_of(&value);
    assert_eq!(usage.input_tokens(), Some(3));
    assert_eq!(usage.finish_reasons(), ["length", "stop"]);
}

#[llmscope::llm_call(provider = "anthropic", model = "claude-sonnet-4-5")]
fn anthropic_call() -> Result<AnthropicMessage, std::io::Error> {
    Ok(fixture("anthropic-message.json"))
}

#[test]
fn span_carries_inclusive_usage_and_never_the_completion() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        anthropic_call().unwrap();
    }
    let span = telemetry.span("chat claude-sonnet-4-5");
    assert_eq!(
        attribute(&span, "gen_ai.usage.input_tokens"),
        Some(&Value::I64(9747))
    );
    assert_eq!(
        attribute(&span, "gen_ai.usage.cache_read.input_tokens"),
        Some(&Value::I64(8000))
    );
    assert_eq!(
        attribute(&span, "gen_ai.usage.cache_creation.input_tokens"),
        Some(&Value::I64(1500))
    );
    assert_eq!(
        attribute(&span, "gen_ai.usage.output_tokens"),
        Some(&Value::I64(384))
    );
    // Anthropic's `end_turn`, normalised to semconv's `stop`; the provider's word kept.
    assert_eq!(
        attribute(&span, "gen_ai.response.finish_reasons"),
        Some(&Value::Array(
            vec![opentelemetry::StringValue::from("stop")].into()
        ))
    );
    assert_eq!(
        attribute(&span, "llmscope.response.finish_reasons.raw"),
        Some(&Value::Array(
            vec![opentelemetry::StringValue::from("end_turn")].into()
        ))
    );
    assert_eq!(
        attribute(&span, "gen_ai.response.id"),
        Some(&Value::from("msg_01XFDUDYJgAACzvnptvVoYEL"))
    );
    let exported = format!("{span:?}");
    assert!(
        !exported.contains("the answer is 42"),
        "completion text must not be exported without a capture policy"
    );
}
