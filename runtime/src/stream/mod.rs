//! Streamed LLM calls: a span that stays open while the returned stream is consumed and
//! ends exactly once, with time to first chunk, chunk timing, usage accumulated from the
//! chunks, cost and the assembled completion.
//!
//! `llmscope::llm_call` on a function returning `impl Stream`, `Result<impl Stream, E>` or a boxed
//! stream (`Pin<Box<dyn Stream …>>`, `BoxStream`, or an alias of one declared with
//! `returns = stream`) wraps the stream in [`RecordedStream`]:
//!
//! - the span ends when the stream yields its last item (`None`), an `Err` item, or is
//!   dropped: early, before its first poll, while a panic unwinds, or when the runtime
//!   that owns it shuts down. An abandoned stream is marked (`llmscope.cancelled`, finish
//!   reason `error` unless the provider sent one, status Error) and keeps the usage and
//!   content that had arrived;
//! - the call's context is current only while the stream is polled;
//! - each chunk is read through [`crate::Usage`] and folded into one total (the latest
//!   count of each kind wins, see [`keys`]); a stream with no count at all is marked
//!   `llmscope.stream.usage_missing` and warned about once per call site;
//! - when the call does not record, polling costs one branch and nothing is allocated.

mod boxed;
mod clock;
pub mod keys;
mod record;
mod wrapper;

// What the macros call: not public API, may change in any release.
#[doc(hidden)]
pub use boxed::{record_boxed, BoxedStream, ReadFn};
#[doc(hidden)]
pub use record::{read_chunk_usage, ChunkTiming, StreamRecord};
#[doc(hidden)]
pub use wrapper::{stream_started, ReadItem, RecordedStream, StreamStart};
