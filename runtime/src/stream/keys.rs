//! Every attribute key a streamed call writes, in one place.
//!
//! | key | registered in semconv v1.41.0 | value |
//! |---|---|---|
//! | `gen_ai.request.stream` | yes | `true` on every call that returns a stream |
//! | `gen_ai.response.time_to_first_chunk` | yes | seconds from the call's start to the first chunk |
//! | `gen_ai.response.finish_reasons` | yes | the chunks' finish reasons; `["error"]` when the stream was abandoned before any |
//! | `llmscope.cancelled` | no (llmscope) | `true` when the consumer dropped the stream before its end |
//! | `llmscope.stream.chunks` | no (llmscope) | number of chunks received |
//! | `llmscope.stream.time_per_output_chunk` | no (llmscope) | mean seconds between chunks, from the end of one to the end of the next |
//! | `llmscope.stream.usage_missing` | no (llmscope) | `true` when no chunk carried a token count (for OpenAI: `stream_options.include_usage` was off); no usage or cost attribute is written then |

// Declared once in `crate::keys`; named here for the stream code and its users.

/// `gen_ai.request.stream` (semconv v1.41.0): the request was made in streaming mode.
pub use crate::keys::GEN_AI_REQUEST_STREAM as REQUEST_STREAM;
/// `gen_ai.response.finish_reasons` (semconv v1.41.0).
pub use crate::keys::GEN_AI_RESPONSE_FINISH_REASONS as RESPONSE_FINISH_REASONS;
/// `gen_ai.response.time_to_first_chunk` (semconv v1.41.0): seconds from the start of the
/// call to the first chunk.
pub use crate::keys::GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK as RESPONSE_TIME_TO_FIRST_CHUNK;
/// The finish reason of a stream abandoned before the provider sent one.
pub const FINISH_REASON_ERROR: &str = "error";
/// `llmscope.cancelled`: the consumer dropped the stream before its end.
pub use crate::keys::LLMSCOPE_CANCELLED as CANCELLED;
/// `llmscope.stream.chunks`: the number of chunks received.
pub use crate::keys::LLMSCOPE_STREAM_CHUNKS as CHUNKS;
/// `llmscope.stream.time_per_output_chunk`: the mean time between chunks, in seconds.
pub use crate::keys::LLMSCOPE_STREAM_TIME_PER_OUTPUT_CHUNK as TIME_PER_OUTPUT_CHUNK;
/// `llmscope.stream.usage_missing`: the stream ended without any token count.
pub use crate::keys::LLMSCOPE_STREAM_USAGE_MISSING as USAGE_MISSING;
