//! The async-openai scenario shared by `examples/async_openai.rs` and `tests/async_openai.rs`
//! (included with `#[path]`): the real async-openai client, over real HTTP, against a local
//! axum server on 127.0.0.1 that serves OpenAI-shaped fixtures (JSON and server-sent events).
//! Each annotated function returns async-openai's own types: no wrapper, no newtype.

use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::types::chat::{
    ChatCompletionRequestMessage, CreateChatCompletionRequest, CreateChatCompletionResponse,
    CreateChatCompletionStreamResponse,
};
use async_openai::types::embeddings::{CreateEmbeddingRequest, CreateEmbeddingResponse};
use async_openai::types::responses::{CreateResponse, Response};
use async_openai::Client;

/// A chat completion: usage, cost, finish reasons, the request messages and the answer
/// (with its tool calls) captured as the policy allows.
#[llmscope::llm_call(
    provider = "openai",
    model = request.model,
    prompt = request.messages,
    output = llmscope::capture::returned
)]
pub(crate) async fn chat(
    client: &Client<OpenAIConfig>,
    request: CreateChatCompletionRequest,
) -> Result<CreateChatCompletionResponse, OpenAIError> {
    client.chat().create(request).await
}

/// A streamed chat completion: the client's stream is returned as it is, and the span ends
/// when it is read to its end (or dropped), with the usage of the last chunk
/// (`stream_options.include_usage`), the text and the tool calls assembled from the chunks.
#[llmscope::llm_call(provider = "openai", model = request.model, prompt = request.messages)]
pub(crate) async fn chat_stream(
    client: &Client<OpenAIConfig>,
    request: CreateChatCompletionRequest,
) -> Result<
    impl futures::Stream<Item = Result<CreateChatCompletionStreamResponse, OpenAIError>>,
    OpenAIError,
> {
    client.chat().create_stream(request).await
}

/// Embeddings: input tokens only.
#[llmscope::llm_call(provider = "openai", operation = "embeddings", model = request.model)]
pub(crate) async fn embed(
    client: &Client<OpenAIConfig>,
    request: CreateEmbeddingRequest,
) -> Result<CreateEmbeddingResponse, OpenAIError> {
    client.embeddings().create(request).await
}

/// The Responses API.
#[llmscope::llm_call(provider = "openai", model = "gpt-5", output = llmscope::capture::returned)]
pub(crate) async fn respond(
    client: &Client<OpenAIConfig>,
    request: CreateResponse,
) -> Result<Response, OpenAIError> {
    client.responses().create(request).await
}

/// A client for the fixture server at `base` (`http://127.0.0.1:PORT/v1`).
pub(crate) fn client(base: &str) -> Client<OpenAIConfig> {
    Client::with_config(
        OpenAIConfig::new()
            .with_api_base(base)
            .with_api_key("sk-test-not-a-real-key"),
    )
}

/// OpenAI-shaped request messages, as an application builds them (here from JSON): a system
/// prompt, a user question with an image, the assistant's tool call and the tool's answer.
pub(crate) fn conversation() -> Vec<ChatCompletionRequestMessage> {
    serde_json::from_value(serde_json::json!([
        {"role": "system", "content": "You are a research assistant."},
        {"role": "user", "content": [
            {"type": "text", "text": "Find recent work on Rust and OpenTelemetry; reply to jane@example.com."},
            {"type": "image_url", "image_url": {"url": "https://example.com/diagram.png"}}
        ]},
        {"role": "assistant", "tool_calls": [{"id": "call_0", "type": "function",
            "function": {"name": "web_search", "arguments": "{\"query\":\"rust otel\"}"}}]},
        {"role": "tool", "tool_call_id": "call_0", "content": "{\"hits\": 3}"}
    ]))
    .expect("valid OpenAI chat messages")
}

/// The requests of the scenario.
pub(crate) fn chat_request(model: &str, stream: bool) -> CreateChatCompletionRequest {
    let mut body = serde_json::json!({"model": model, "messages": conversation()});
    if stream {
        body["stream"] = true.into();
        body["stream_options"] = serde_json::json!({"include_usage": true});
    }
    serde_json::from_value(body).expect("a valid chat request")
}

/// An embeddings request.
pub(crate) fn embed_request() -> CreateEmbeddingRequest {
    serde_json::from_value(serde_json::json!({
        "model": "text-embedding-3-small", "input": "Rust and OpenTelemetry"
    }))
    .expect("a valid embeddings request")
}

/// A Responses API request.
pub(crate) fn response_request() -> CreateResponse {
    serde_json::from_value(serde_json::json!({
        "model": "gpt-5", "input": "Write a one-line poem about the moon."
    }))
    .expect("a valid responses request")
}

/// The fixture server: OpenAI's routes on 127.0.0.1, answering from the provider fixtures.
pub(crate) mod server {
    use axum::body::Bytes;
    use axum::http::{header, StatusCode};
    use axum::response::{IntoResponse, Response};
    use axum::routing::post;
    use axum::Router;

    const CHAT: &str = include_str!("../../tests/fixtures/providers/openai-chat-completion.json");
    const TOOL_CALL: &str =
        include_str!("../../tests/fixtures/providers/openai-chat-completion-tool-call.json");
    const STREAM: &str = include_str!("../../tests/fixtures/providers/openai-chat-stream.sse");
    const STREAM_TOOL_CALL: &str =
        include_str!("../../tests/fixtures/providers/openai-chat-stream-tool-call.sse");
    const EMBEDDINGS: &str = include_str!("../../tests/fixtures/providers/openai-embeddings.json");
    const RESPONSES: &str = include_str!("../../tests/fixtures/providers/openai-responses.json");
    const CONTEXT_LENGTH: &str =
        include_str!("../../tests/fixtures/providers/openai-error-context-length.json");
    const AUTH: &str = include_str!("../../tests/fixtures/providers/openai-error-auth.json");

    fn json(status: StatusCode, body: String) -> Response {
        (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
    }

    /// An error fixture (`{"http_status", "body"}`) as the provider sends it.
    fn error(fixture: &str) -> Response {
        let fixture: serde_json::Value = serde_json::from_str(fixture).expect("fixture json");
        let status = fixture["http_status"].as_u64().expect("http_status") as u16;
        json(
            StatusCode::from_u16(status).expect("a status code"),
            fixture["body"].to_string(),
        )
    }

    /// The model picks the answer: `gpt-4.1` calls a tool, `gpt-4o-long` overflows the
    /// context, `gpt-4o-locked` is refused, anything else answers; `stream: true` streams (a
    /// tool call for `gpt-4.1`).
    async fn chat(body: Bytes) -> Response {
        let request: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        if request["stream"] == true {
            let body = if request["model"] == "gpt-4.1" {
                STREAM_TOOL_CALL
            } else {
                STREAM
            };
            return ([(header::CONTENT_TYPE, "text/event-stream")], body).into_response();
        }
        match request["model"].as_str() {
            Some("gpt-4.1") => json(StatusCode::OK, TOOL_CALL.to_owned()),
            Some("gpt-4o-long") => error(CONTEXT_LENGTH),
            Some("gpt-4o-locked") => error(AUTH),
            _ => json(StatusCode::OK, CHAT.to_owned()),
        }
    }

    /// Serves until the process ends; returns the API base (`http://127.0.0.1:PORT/v1`).
    pub(crate) async fn start() -> std::io::Result<String> {
        let app = Router::new()
            .route("/v1/chat/completions", post(chat))
            .route(
                "/v1/embeddings",
                post(|| async { json(StatusCode::OK, EMBEDDINGS.to_owned()) }),
            )
            .route(
                "/v1/responses",
                post(|| async { json(StatusCode::OK, RESPONSES.to_owned()) }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(format!("http://{address}/v1"))
    }
}
