use std::pin::Pin;

use futures::stream::{self, BoxStream, Stream, StreamExt as _};

#[derive(llmscope::Usage)]
struct Chunk {
    #[usage(completion)]
    text: String,
}

#[derive(Debug)]
struct ApiError;

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("api error")
    }
}

fn connect() -> Result<(), ApiError> {
    Ok(())
}

/// A client library's stream type behind aliases: the macro is told it is a stream.
type ChunkStream = Pin<Box<dyn Stream<Item = Result<Chunk, ApiError>> + Send>>;
type LocalChunks<'a> = futures::stream::LocalBoxStream<'a, Chunk>;

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini", returns = stream)]
async fn alias_result() -> Result<ChunkStream, ApiError> {
    connect()?;
    Ok(Box::pin(stream::iter([Ok(Chunk { text: String::new() })])))
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini", returns = "stream")]
fn local_alias<'a>(text: &'a str) -> LocalChunks<'a> {
    stream::iter([Chunk { text: text.to_owned() }]).boxed_local()
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini", returns = stream)]
fn declared_and_recognised() -> impl Stream<Item = Chunk> {
    stream::iter([Chunk { text: String::new() }])
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini")]
fn sync_impl() -> impl Stream<Item = Chunk> {
    stream::iter([Chunk { text: String::new() }])
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini")]
async fn async_result(fail: bool) -> Result<impl Stream<Item = Result<Chunk, ApiError>>, ApiError> {
    connect()?;
    if fail {
        return Err(ApiError);
    }
    Ok(stream::iter([Ok(Chunk { text: String::new() })]))
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini")]
fn boxed() -> Pin<Box<dyn Stream<Item = Chunk> + Send>> {
    Box::pin(stream::iter([Chunk { text: String::new() }]))
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini")]
async fn box_stream<'a>(text: &'a str) -> BoxStream<'a, Chunk> {
    stream::iter([Chunk { text: text.to_owned() }]).boxed()
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini", usage = false)]
fn text_only() -> impl Stream<Item = String> + Send + 'static {
    stream::iter([String::new()])
}

fn main() {
    let _ = (sync_impl(), async_result(false), boxed(), box_stream("a"), text_only());
}
