//! The RAG scenarios shared by `examples/rag_pipeline.rs`, `examples/rag_service.rs` and
//! `tests/rag.rs` (included with `#[path]`), so the tests check what the examples run.
//!
//! Every provider is simulated in-process: no network, fixed token counts.

// Each includer uses a part of the scenarios (the pipeline example does not serve HTTP).
#![allow(dead_code)]

use std::borrow::Cow;

use axum::extract::MatchedPath;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use llmscope::opentelemetry::trace::{
    FutureExt as _, TraceContextExt as _, Tracer as _, TracerProvider as _,
};
use llmscope::opentelemetry_sdk::trace::SdkTracerProvider;
use llmscope::propagation::TraceContextLayer;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Simulated token counts (the tests compute the expected totals from these).
pub(crate) const EMBED_INPUT_TOKENS: u32 = 9;
/// Input tokens of the simulated answer call.
pub(crate) const ANSWER_INPUT_TOKENS: u32 = 812;
/// Output tokens of the simulated answer call.
pub(crate) const ANSWER_OUTPUT_TOKENS: u32 = 64;

/// A chunk of the knowledge base.
#[derive(Debug, Clone)]
pub(crate) struct Chunk {
    pub(crate) id: String,
    pub(crate) score: f64,
    pub(crate) text: String,
}

impl llmscope::Document for Chunk {
    fn id(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.id)
    }
    fn score(&self) -> Option<f64> {
        Some(self.score)
    }
    fn content(&self) -> Option<&str> {
        Some(&self.text)
    }
}

/// The simulated knowledge base: (id, similarity to any refund question, text).
const KNOWLEDGE_BASE: &[(&str, f64, &str)] = &[
    (
        "policy-refunds#2",
        0.91,
        "Refunds are issued within 14 days of purchase.",
    ),
    (
        "faq#17",
        0.84,
        "Digital goods can be refunded before download.",
    ),
    (
        "policy-shipping#1",
        0.62,
        "Shipping takes 3 to 5 business days.",
    ),
    ("blog#3", 0.41, "Our story began in a garage."),
];

/// An embedding response.
#[derive(llmscope::Usage)]
pub(crate) struct Embedding {
    pub(crate) vector: Vec<f32>,
    #[usage(input_tokens)]
    pub(crate) prompt_tokens: u32,
}

/// A chat completion.
#[derive(llmscope::Usage)]
pub(crate) struct Completion {
    #[usage(response_model)]
    pub(crate) model: String,
    #[usage(input_tokens)]
    pub(crate) prompt_tokens: u32,
    #[usage(output_tokens)]
    pub(crate) completion_tokens: u32,
    #[usage(finish_reason)]
    pub(crate) finish_reason: String,
    #[usage(completion)]
    pub(crate) text: String,
}

/// A failure of a simulated provider.
#[derive(Debug)]
pub(crate) struct ProviderError(pub(crate) String);

impl std::fmt::Display for ProviderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[llmscope::rag_stage(
    embed,
    provider = "openai",
    model = "text-embedding-3-small",
    dimensions = 8
)]
pub(crate) async fn embed(text: &str) -> Result<Embedding, ProviderError> {
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    let mut vector = vec![0.0f32; 8];
    for (index, byte) in text.bytes().enumerate() {
        vector[index % 8] += f32::from(byte) / 255.0;
    }
    Ok(Embedding {
        vector,
        prompt_tokens: EMBED_INPUT_TOKENS,
    })
}

#[llmscope::rag_stage(
    retrieve,
    data_source = "kb-support",
    top_k = 3,
    similarity_threshold = 0.5,
    query = question
)]
pub(crate) async fn retrieve(question: &str, _vector: &[f32]) -> Result<Vec<Chunk>, ProviderError> {
    tokio::time::sleep(std::time::Duration::from_millis(4)).await;
    if question.is_empty() {
        return Err(ProviderError("empty query".to_owned()));
    }
    Ok(KNOWLEDGE_BASE
        .iter()
        .filter(|(_, score, _)| *score >= 0.5)
        .take(3)
        .map(|(id, score, text)| Chunk {
            id: (*id).to_owned(),
            score: *score,
            text: (*text).to_owned(),
        })
        .collect())
}

/// The simulated cross-encoder's scores, by document id.
fn rerank_score(id: &str) -> f64 {
    match id {
        "faq#17" => 0.97,
        "policy-refunds#2" => 0.88,
        _ => 0.12,
    }
}

#[llmscope::rag_stage(
    rerank,
    provider = "cohere",
    model = "rerank-v3.5",
    top_n = 2,
    input = chunks
)]
pub(crate) async fn rerank(_question: &str, chunks: Vec<Chunk>) -> Vec<Chunk> {
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let mut reranked: Vec<Chunk> = chunks
        .into_iter()
        .map(|chunk| Chunk {
            score: rerank_score(&chunk.id),
            ..chunk
        })
        .collect();
    reranked.sort_by(|a, b| b.score.total_cmp(&a.score));
    reranked.truncate(2);
    reranked
}

#[llmscope::rag_stage(prompt, template = "support_answer", version = "v3")]
pub(crate) fn assemble_prompt(question: &str, chunks: &[Chunk]) -> String {
    let mut prompt = String::from("Answer from these documents only.\n");
    for chunk in chunks {
        prompt.push_str(&format!("[{}] {}\n", chunk.id, chunk.text));
    }
    prompt.push_str("Question: ");
    prompt.push_str(question);
    prompt
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini", temperature = 0.1)]
pub(crate) async fn generate(prompt: &str) -> Result<Completion, ProviderError> {
    tokio::time::sleep(std::time::Duration::from_millis(8)).await;
    Ok(Completion {
        model: "gpt-4o-mini-2024-07-18".to_owned(),
        prompt_tokens: ANSWER_INPUT_TOKENS,
        completion_tokens: ANSWER_OUTPUT_TOKENS,
        finish_reason: "stop".to_owned(),
        text: format!(
            "Refunds take up to 14 days ({} prompt chars).",
            prompt.len()
        ),
    })
}

#[llmscope::rag_stage(postprocess)]
pub(crate) fn postprocess(completion: &Completion) -> String {
    completion.text.trim().replace("  ", " ")
}

/// embed → retrieve → rerank → prompt → generate.
pub(crate) async fn pipeline(question: &str) -> Result<String, ProviderError> {
    let embedding = embed(question).await?;
    let chunks = retrieve(question, &embedding.vector).await?;
    let best = rerank(question, chunks).await;
    let prompt = assemble_prompt(question, &best);
    let completion = generate(&prompt).await?;
    Ok(completion.text)
}

/// The pipeline under an application root span `answer_question` (plain OpenTelemetry API),
/// recorded into `provider`.
pub(crate) async fn answer_question(
    provider: &SdkTracerProvider,
    question: &str,
) -> Result<String, ProviderError> {
    let tracer = provider.tracer("rag_pipeline");
    let parent = llmscope::scoped(provider);
    let root = tracer.start_with_context("answer_question", &parent);
    let cx = parent.with_span(root);
    let answer = pipeline(question).with_context(cx.clone()).await;
    cx.span().end();
    answer
}

/// What `POST /chat` does: retrieve → generate → postprocess (the seed trace).
pub(crate) async fn chat(question: &str) -> Result<String, ProviderError> {
    let chunks = retrieve(question, &[]).await?;
    let prompt = assemble_prompt(question, &chunks);
    let completion = generate(&prompt).await?;
    Ok(postprocess(&completion))
}

/// The body of `POST /chat`.
#[derive(serde::Deserialize)]
pub(crate) struct ChatRequest {
    pub(crate) question: String,
}

/// The answer of `POST /chat`.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct ChatResponse {
    pub(crate) answer: String,
}

/// The service: `POST /chat`. llmscope's tower layer (feature `tower`) continues the caller's
/// W3C `traceparent` and records each request as a SERVER span (`POST /chat`, with the matched
/// route and the response status) in the pipeline llmscope's spans go to; the handler's
/// annotated calls are its children.
pub(crate) fn router() -> Router {
    Router::new().route("/chat", post(chat_handler)).layer(
        TraceContextLayer::new()
            .with_server_span()
            .with_route(|extensions| extensions.get::<MatchedPath>().map(MatchedPath::as_str)),
    )
}

/// [`router`] recording into `provider` instead of the process-wide pipeline: tests keep a
/// provider of their own ([`llmscope::scoped`] made current around each request).
pub(crate) fn router_into(provider: &SdkTracerProvider) -> Router {
    let scope = llmscope::scoped(provider);
    router().layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| {
            next.run(request).with_context(scope.clone())
        },
    ))
}

async fn chat_handler(Json(request): Json<ChatRequest>) -> Result<Json<ChatResponse>, StatusCode> {
    chat(&request.question)
        .await
        .map(|answer| Json(ChatResponse { answer }))
        .map_err(|_| StatusCode::BAD_GATEWAY)
}

/// Serves `router` on an ephemeral local port; returns the address.
pub(crate) async fn serve(router: Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a local port");
    let address = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("serve");
    });
    address
}

/// Sends `POST /chat` over a plain TCP connection (HTTP/1.1, `Connection: close`) with
/// `traceparent`; returns the status code and the body.
pub(crate) async fn post_chat(
    address: std::net::SocketAddr,
    traceparent: &str,
    question: &str,
) -> (u16, String) {
    let body = serde_json::json!({ "question": question }).to_string();
    let request = format!(
        "POST /chat HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\ntraceparent: {traceparent}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect to the service");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send the request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .expect("read the response");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}
