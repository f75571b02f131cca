//! Streaming chat: an OpenAI-style SSE endpoint (axum, on 127.0.0.1) replays a recorded
//! stream chunk by chunk; a client reads it over real HTTP through an annotated function that
//! returns the stream. The span stays open while the stream is consumed: one run reads it to
//! the end (usage, cost, time to first chunk), one stops after the first chunk (abandoned,
//! with what had arrived). The trace trees are printed on stdout.
//!
//! Run: `cargo run --example streaming_chat`

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::response::sse::{Event, Sse};
use axum::routing::get;
use futures::stream::{self, Stream, StreamExt as _};
use serde::Deserialize;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// A recorded Chat Completions stream with `stream_options.include_usage` (the last chunk has
/// empty `choices` and the usage). From `tests/fixtures/providers/` (made-up values in the
/// provider's shape).
const RECORDED: &str = include_str!("../tests/fixtures/providers/openai-chat-stream.sse");

/// Time between two chunks sent by the server.
const PACE: Duration = Duration::from_millis(40);

// ---- the provider's chunk types, as an application declares them ---------------------

/// One `chat.completion.chunk`.
#[derive(Debug, Deserialize, llmscope::Usage)]
struct ChatChunk {
    #[usage(response_id)]
    id: String,
    #[usage(response_model)]
    model: String,
    #[usage(flatten)]
    choices: Vec<ChunkChoice>,
    /// Only on the last chunk, with `stream_options.include_usage`.
    #[usage(flatten)]
    usage: Option<ChunkUsage>,
}

#[derive(Debug, Deserialize, llmscope::Usage)]
struct ChunkChoice {
    #[usage(flatten)]
    delta: Delta,
    #[usage(finish_reason)]
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize, llmscope::Usage)]
struct Delta {
    #[usage(completion)]
    content: Option<String>,
}

#[derive(Debug, Deserialize, llmscope::Usage)]
struct ChunkUsage {
    #[usage(input_tokens)]
    prompt_tokens: u64,
    #[usage(output_tokens)]
    completion_tokens: u64,
}

/// What can go wrong reading the stream.
#[derive(Debug)]
enum StreamError {
    Io(std::io::Error),
    Json(serde_json::Error),
    Status(String),
}

impl std::fmt::Display for StreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StreamError::Io(error) => write!(f, "connection failed: {error}"),
            StreamError::Json(error) => write!(f, "chunk is not a chat.completion.chunk: {error}"),
            StreamError::Status(line) => write!(f, "the server answered `{line}`"),
        }
    }
}

impl std::error::Error for StreamError {}

impl llmscope::ErrorType for StreamError {
    fn error_type(&self) -> &str {
        match self {
            StreamError::Io(_) => "connection",
            StreamError::Json(_) => "output_parsing",
            StreamError::Status(_) => "http_status",
        }
    }
}

// ---- the server ------------------------------------------------------------------------

/// Replays the recorded events, one every [`PACE`].
async fn completions() -> Sse<impl Stream<Item = Result<Event, std::convert::Infallible>>> {
    let events: Vec<String> = RECORDED
        .split("\n\n")
        .filter_map(|event| event.strip_prefix("data: "))
        .map(str::to_owned)
        .collect();
    Sse::new(stream::iter(events).then(|data| async move {
        tokio::time::sleep(PACE).await;
        Ok(Event::default().data(data))
    }))
}

// ---- the client ------------------------------------------------------------------------

/// Opens the stream: one HTTP/1.0 request (the body is then the raw event stream up to the
/// close), and a stream of the parsed chunks. The span of this call ends when the stream ends
/// or is dropped, not when it is returned.
#[llmscope::llm_call(
    provider = "openai",
    model = "gpt-4o-mini",
    server_address = "127.0.0.1",
    server_port = i64::from(server.port()),
    capture = full
)]
async fn chat_stream(
    server: SocketAddr,
) -> Result<impl Stream<Item = Result<ChatChunk, StreamError>>, StreamError> {
    let mut connection = TcpStream::connect(server).await.map_err(StreamError::Io)?;
    connection
        .write_all(b"GET /v1/chat/completions HTTP/1.0\r\nAccept: text/event-stream\r\n\r\n")
        .await
        .map_err(StreamError::Io)?;
    let mut reader = SseReader {
        connection,
        buffer: Vec::new(),
        headers_read: false,
    };
    reader.read_headers().await?;
    Ok(stream::unfold(reader, |mut reader| async move {
        let item = reader.next_chunk().await?;
        Some((item, reader))
    }))
}

/// Reads `data:` events from the response.
struct SseReader {
    connection: TcpStream,
    buffer: Vec<u8>,
    headers_read: bool,
}

impl SseReader {
    async fn fill(&mut self) -> Result<bool, StreamError> {
        let mut block = [0_u8; 4096];
        let read = self
            .connection
            .read(&mut block)
            .await
            .map_err(StreamError::Io)?;
        self.buffer.extend_from_slice(&block[..read]);
        Ok(read > 0)
    }

    fn take_until(&mut self, separator: &[u8]) -> Option<String> {
        let at = self
            .buffer
            .windows(separator.len())
            .position(|window| window == separator)?;
        let taken: Vec<u8> = self.buffer.drain(..at + separator.len()).collect();
        Some(String::from_utf8_lossy(&taken[..at]).into_owned())
    }

    async fn read_headers(&mut self) -> Result<(), StreamError> {
        while !self.headers_read {
            if let Some(headers) = self.take_until(b"\r\n\r\n") {
                let status = headers.lines().next().unwrap_or_default().to_owned();
                if !status.contains(" 200 ") {
                    return Err(StreamError::Status(status));
                }
                self.headers_read = true;
            } else if !self.fill().await? {
                return Err(StreamError::Status("no response".to_owned()));
            }
        }
        Ok(())
    }

    /// The next chunk; `None` at `[DONE]` or when the server closes.
    async fn next_chunk(&mut self) -> Option<Result<ChatChunk, StreamError>> {
        loop {
            if let Some(event) = self.take_until(b"\n\n") {
                let Some(data) = event.lines().find_map(|line| line.strip_prefix("data: ")) else {
                    continue;
                };
                if data == "[DONE]" {
                    return None;
                }
                return Some(serde_json::from_str(data).map_err(StreamError::Json));
            }
            match self.fill().await {
                Ok(true) => {}
                Ok(false) => return None,
                Err(error) => return Some(Err(error)),
            }
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Trace trees on stdout, nothing else (no OTLP endpoint, no JSONL file).
    let telemetry = llmscope::Telemetry::builder()
        .with_service_name("streaming-chat")
        .with_terminal(true)
        .with_jsonl_path(None)
        .init()?;

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let server = listener.local_addr()?;
    let app = axum::Router::new().route("/v1/chat/completions", get(completions));
    let serving = tokio::spawn(async move { axum::serve(listener, app).await });

    // 1. Read to the end.
    let started = Instant::now();
    let mut chunks = std::pin::pin!(chat_stream(server).await?);
    let mut first = None;
    let mut text = String::new();
    while let Some(chunk) = chunks.next().await {
        first.get_or_insert_with(|| started.elapsed());
        for choice in chunk?.choices {
            text.push_str(choice.delta.content.as_deref().unwrap_or(""));
        }
    }
    println!(
        "full run: {text:?}; first chunk after {:.0?} (seen by the client)",
        first.unwrap_or_default()
    );
    telemetry.flush()?;

    // 2. Stop after the first chunk: the span ends when the stream is dropped.
    let started = Instant::now();
    let mut chunks = Box::pin(chat_stream(server).await?);
    if let Some(chunk) = chunks.next().await {
        println!(
            "early stop: first chunk {} after {:.0?}, then the consumer stops",
            chunk?.id,
            started.elapsed()
        );
    }
    drop(chunks);
    telemetry.flush()?;

    serving.abort();
    telemetry.shutdown()?;
    Ok(())
}
