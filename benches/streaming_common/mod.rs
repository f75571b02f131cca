//! What the streaming benches consume: pre-parsed OpenAI `chat.completion.chunk`s, a bare
//! stream of them, and the same stream returned by `#[llm_call]` functions.

#![allow(dead_code)] // each bench uses part of it

use std::hint::black_box;
use std::pin::pin;
use std::task::{Context as TaskContext, Poll};

use futures::stream::{self, Stream};
use opentelemetry::context::FutureExt as _;
use opentelemetry::trace::{TraceContextExt as _, Tracer as _};
use opentelemetry::Context;

/// One chunk, as `serde` gives it: id, model, one choice with a text delta.
#[derive(Debug, llmscope::Usage)]
pub(crate) struct Chunk {
    #[usage(response_id)]
    id: String,
    #[usage(response_model)]
    model: String,
    #[usage(flatten)]
    choices: Vec<Choice>,
    #[usage(flatten)]
    usage: Option<ChunkUsage>,
}

#[derive(Debug, llmscope::Usage)]
pub(crate) struct Choice {
    #[usage(completion)]
    content: Option<String>,
    #[usage(finish_reason)]
    finish_reason: Option<String>,
}

#[derive(Debug, llmscope::Usage)]
pub(crate) struct ChunkUsage {
    #[usage(input_tokens)]
    prompt_tokens: u64,
    #[usage(output_tokens)]
    completion_tokens: u64,
}

/// `count` chunks of a completion: a word each, a finish reason and the usage on the last.
pub(crate) fn chunks(count: usize) -> Vec<Chunk> {
    (0..count)
        .map(|index| {
            let last = index + 1 == count;
            Chunk {
                id: "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG".to_owned(),
                model: "gpt-4o-mini-2024-07-18".to_owned(),
                choices: vec![Choice {
                    content: Some(if last {
                        String::new()
                    } else {
                        " word".to_owned()
                    }),
                    finish_reason: last.then(|| "stop".to_owned()),
                }],
                usage: last.then_some(ChunkUsage {
                    prompt_tokens: 1_200,
                    completion_tokens: count as u64,
                }),
            }
        })
        .collect()
}

pub(crate) fn bare(chunks: &[Chunk]) -> impl Stream<Item = &Chunk> {
    stream::iter(chunks)
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini")]
pub(crate) fn streamed(chunks: &[Chunk]) -> impl Stream<Item = &Chunk> {
    stream::iter(chunks)
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini", usage = false)]
pub(crate) fn streamed_without_usage(chunks: &[Chunk]) -> impl Stream<Item = &Chunk> {
    stream::iter(chunks)
}

/// The hand-written floor: a span of the raw SDK made current while the bare stream is polled,
/// with OpenTelemetry's own `WithContext` (what its docs suggest for a stream), and nothing
/// recorded per chunk (no timing, no usage). The span ends when the stream is dropped.
pub(crate) fn with_otel_context<'a>(
    tracer: &opentelemetry_sdk::trace::SdkTracer,
    chunks: &'a [Chunk],
) -> impl Stream<Item = &'a Chunk> {
    let cx = Context::current_with_span(tracer.start("chat gpt-4o-mini"));
    stream::iter(chunks).with_context(cx)
}

/// Polls `stream` to its end without an executor.
pub(crate) fn drain<S: Stream>(stream: S) -> usize {
    let mut stream = pin!(stream);
    let mut task = TaskContext::from_waker(std::task::Waker::noop());
    let mut count = 0;
    while let Poll::Ready(Some(item)) = stream.as_mut().poll_next(&mut task) {
        black_box(item);
        count += 1;
    }
    count
}
