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

/// `gen_ai.request.stream` (semconv v1.41.0): the request was made in streaming mode.
pub const REQUEST_STREAM: &str = "gen_ai.request.stream";
/// `gen_ai.response.time_to_first_chunk` (semconv v1.41.0): seconds from the start of the
/// call to the first chunk.
pub const RESPONSE_TIME_TO_FIRST_CHUNK: &str = "gen_ai.response.time_to_first_chunk";
/// `gen_ai.response.finish_reasons` (semconv v1.41.0).
pub const RESPONSE_FINISH_REASONS: &str = "gen_ai.response.finish_reasons";
/// The finish reason of a stream abandoned before the provider sent one.
pub const FINISH_REASON_ERROR: &str = "error";
/// `llmscope.cancelled`: the consumer dropped the stream before its end.
pub const CANCELLED: &str = "llmscope.cancelled";
/// `llmscope.stream.chunks`: the number of chunks received.
pub const CHUNKS: &str = "llmscope.stream.chunks";
/// `llmscope.stream.time_per_output_chunk`: the mean time between chunks, in seconds.
pub const TIME_PER_OUTPUT_CHUNK: &str = "llmscope.stream.time_per_output_chunk";
/// `llmscope.stream.usage_missing`: the stream ended without any token count.
pub const USAGE_MISSING: &str = "llmscope.stream.usage_missing";
