//! Every attribute key llmscope writes, in one place.
//!
//! The semantic-convention keys are the generated constants of [`crate::semconv`] (v1.41.0),
//! re-exported here under their generated names; llmscope's own keys (`llmscope.*`), the
//! OpenInference keys written for Phoenix and the proposed GenAI cost keys are declared here
//! once, each named after its key. Every other part of the runtime names keys through this
//! module (a test in `tests/keys.rs` holds it to that).
//!
//! ```
//! use llmscope::keys;
//!
//! assert_eq!(keys::GEN_AI_REQUEST_MODEL, "gen_ai.request.model");
//! assert_eq!(keys::LLMSCOPE_COST_TOTAL, "llmscope.cost.total");
//! ```

/// `gen_ai.system`: the provider under its pre-v1.37 name (deprecated in semconv), written on
/// export for backends that still read it.
#[allow(deprecated)]
pub use crate::semconv::GEN_AI_SYSTEM;
pub use crate::semconv::{
    ERROR_TYPE, EXCEPTION_MESSAGE, EXCEPTION_TYPE, GEN_AI_INPUT_MESSAGES, GEN_AI_OPERATION_NAME,
    GEN_AI_OUTPUT_MESSAGES, GEN_AI_PROVIDER_NAME, GEN_AI_REQUEST_MODEL, GEN_AI_REQUEST_STREAM,
    GEN_AI_RESPONSE_FINISH_REASONS, GEN_AI_RESPONSE_ID, GEN_AI_RESPONSE_MODEL,
    GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, GEN_AI_RETRIEVAL_DOCUMENTS, GEN_AI_RETRIEVAL_QUERY_TEXT,
    GEN_AI_SYSTEM_INSTRUCTIONS, GEN_AI_TOOL_CALL_ARGUMENTS, GEN_AI_TOOL_CALL_RESULT,
    GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    GEN_AI_USAGE_INPUT_TOKENS, GEN_AI_USAGE_OUTPUT_TOKENS, GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
};

// ----- llmscope's own keys: the call -----

/// `llmscope.operation.name`: what a span is when no registered `gen_ai.operation.name` fits
/// (`rerank`, `prompt`, `postprocess`, `agent_step`, custom stages).
pub const LLMSCOPE_OPERATION_NAME: &str = "llmscope.operation.name";
/// `llmscope.error.retryable`: whether retrying the failed request may succeed (from the
/// error's class, see `llmscope::errors`).
pub const LLMSCOPE_ERROR_RETRYABLE: &str = "llmscope.error.retryable";
/// `llmscope.request.attempt`: the attempt number of a retried request (1 for the first).
pub const LLMSCOPE_REQUEST_ATTEMPT: &str = "llmscope.request.attempt";
/// `llmscope.cancelled`: the call's future was dropped before it completed.
pub const LLMSCOPE_CANCELLED: &str = "llmscope.cancelled";
/// `llmscope.abandoned`: a span ended without its call completing (read by the terminal tree).
pub const LLMSCOPE_ABANDONED: &str = "llmscope.abandoned";
/// `llmscope.stream.abandoned`: a returned stream was dropped before it finished.
pub const LLMSCOPE_STREAM_ABANDONED: &str = "llmscope.stream.abandoned";
/// `llmscope.stream.chunks`: the number of chunks a streamed call received.
pub const LLMSCOPE_STREAM_CHUNKS: &str = "llmscope.stream.chunks";
/// `llmscope.stream.time_per_output_chunk`: the mean time between a stream's chunks, in
/// seconds (from the end of one to the end of the next).
pub const LLMSCOPE_STREAM_TIME_PER_OUTPUT_CHUNK: &str = "llmscope.stream.time_per_output_chunk";
/// `llmscope.stream.usage_missing`: the stream ended without any token count (for OpenAI:
/// `stream_options.include_usage` was off); no usage or cost attribute is written then.
pub const LLMSCOPE_STREAM_USAGE_MISSING: &str = "llmscope.stream.usage_missing";
/// `llmscope.feature`: the product feature a call serves (for cost attribution).
pub const LLMSCOPE_FEATURE: &str = "llmscope.feature";
/// `llmscope.prompt.version`: the version of the prompt template.
pub const LLMSCOPE_PROMPT_VERSION: &str = "llmscope.prompt.version";
/// `llmscope.usage.cache_creation_1h.input_tokens`: one-hour-TTL cache writes (a subset of
/// cache creation).
pub const LLMSCOPE_USAGE_CACHE_CREATION_1H_INPUT_TOKENS: &str =
    "llmscope.usage.cache_creation_1h.input_tokens";
/// `llmscope.retrieval.documents.truncated`: a retrieved document's captured text was cut (the
/// documents' text together holds at most the capture policy's `max_bytes`).
pub const LLMSCOPE_RETRIEVAL_DOCUMENTS_TRUNCATED: &str = "llmscope.retrieval.documents.truncated";
/// `llmscope.response.finish_reasons.raw`: the provider's own finish reasons, when any differs
/// from the semconv value written in `gen_ai.response.finish_reasons`.
pub const LLMSCOPE_RESPONSE_FINISH_REASONS_RAW: &str = "llmscope.response.finish_reasons.raw";
/// `llmscope.response.service_tier`: the service tier the provider reports.
pub const LLMSCOPE_RESPONSE_SERVICE_TIER: &str = "llmscope.response.service_tier";
/// `llmscope.request.service_tier`: the service tier requested (prices the call).
pub const LLMSCOPE_REQUEST_SERVICE_TIER: &str = "llmscope.request.service_tier";
/// `llmscope.attributes.dropped`: attributes the application set on the span that were
/// dropped to keep room for llmscope's own (usage, cost, content, error).
pub const LLMSCOPE_ATTRIBUTES_DROPPED: &str = "llmscope.attributes.dropped";

// ----- llmscope's own keys: cost -----

/// `llmscope.cost.total`: total cost of the call in USD (semconv v1.41.0 has no cost
/// attribute; the proposed `gen_ai.usage.cost.*` are added on export only with
/// `OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental`).
pub const LLMSCOPE_COST_TOTAL: &str = "llmscope.cost.total";
/// `llmscope.cost.input`: cost of the uncached input tokens in USD.
pub const LLMSCOPE_COST_INPUT: &str = "llmscope.cost.input";
/// `llmscope.cost.output`: cost of the output tokens (reasoning included) in USD.
pub const LLMSCOPE_COST_OUTPUT: &str = "llmscope.cost.output";
/// `llmscope.cost.cache_read`: cost of the cache reads in USD.
pub const LLMSCOPE_COST_CACHE_READ: &str = "llmscope.cost.cache_read";
/// `llmscope.cost.cache_write`: cost of the cache writes in USD.
pub const LLMSCOPE_COST_CACHE_WRITE: &str = "llmscope.cost.cache_write";
/// `llmscope.pricing.entry`: the price-table entry that priced the call.
pub const LLMSCOPE_PRICING_ENTRY: &str = "llmscope.pricing.entry";
/// `llmscope.pricing.snapshot`: the version of the price table.
pub const LLMSCOPE_PRICING_SNAPSHOT: &str = "llmscope.pricing.snapshot";
/// `llmscope.pricing.tier`: the service tier the call was priced at.
pub const LLMSCOPE_PRICING_TIER: &str = "llmscope.pricing.tier";

// ----- llmscope's own keys: content stand-ins -----
//
// When the capture policy withholds or bounds content, its stand-ins are written under these
// bases with a suffix: `.hash`, `.length`, `.truncated`, `.omitted_messages`.

/// `llmscope.input`: base key of the input messages' stand-ins.
pub const LLMSCOPE_INPUT: &str = "llmscope.input";
/// `llmscope.system_instructions`: base key of the system instructions' stand-ins.
pub const LLMSCOPE_SYSTEM_INSTRUCTIONS: &str = "llmscope.system_instructions";
/// `llmscope.output`: base key of the output messages' stand-ins.
pub const LLMSCOPE_OUTPUT: &str = "llmscope.output";
/// `llmscope.tool.call.arguments`: base key of a tool's arguments' stand-ins.
pub const LLMSCOPE_TOOL_CALL_ARGUMENTS: &str = "llmscope.tool.call.arguments";
/// `llmscope.tool.call.result`: base key of a tool's result's stand-ins.
pub const LLMSCOPE_TOOL_CALL_RESULT: &str = "llmscope.tool.call.result";
/// `llmscope.retrieval.query`: base key of a retrieval query's stand-ins.
pub const LLMSCOPE_RETRIEVAL_QUERY: &str = "llmscope.retrieval.query";

// ----- llmscope's own keys: RAG stages -----

/// `llmscope.stage`: the pipeline stage (`embed`, `retrieve`, `rerank`, `prompt`,
/// `postprocess` or a custom name).
pub const LLMSCOPE_STAGE: &str = "llmscope.stage";
/// `llmscope.documents.count`: documents returned by a retrieve or rerank stage.
pub const LLMSCOPE_DOCUMENTS_COUNT: &str = "llmscope.documents.count";
/// `llmscope.retrieval.similarity_threshold`: the minimum similarity a document needs.
pub const LLMSCOPE_RETRIEVAL_SIMILARITY_THRESHOLD: &str = "llmscope.retrieval.similarity_threshold";
/// `llmscope.rerank.top_n`: how many documents the reranker keeps.
pub const LLMSCOPE_RERANK_TOP_N: &str = "llmscope.rerank.top_n";
/// `llmscope.rerank.scores.before`: the scores of the reranker's input, in input order.
pub const LLMSCOPE_RERANK_SCORES_BEFORE: &str = "llmscope.rerank.scores.before";
/// `llmscope.rerank.scores.after`: the scores the reranker returned, in output order.
pub const LLMSCOPE_RERANK_SCORES_AFTER: &str = "llmscope.rerank.scores.after";
/// `llmscope.prompt.length`: characters of the assembled prompt.
pub const LLMSCOPE_PROMPT_LENGTH: &str = "llmscope.prompt.length";

// ----- llmscope's own keys: agents -----

/// `llmscope.agent.tools`: the names of the tools the agent may call.
pub const LLMSCOPE_AGENT_TOOLS: &str = "llmscope.agent.tools";
/// `llmscope.agent.max_steps`: the agent's step limit.
pub const LLMSCOPE_AGENT_MAX_STEPS: &str = "llmscope.agent.max_steps";
/// `llmscope.agent.steps`: steps the agent took.
pub const LLMSCOPE_AGENT_STEPS: &str = "llmscope.agent.steps";
/// `llmscope.agent.tool_calls`: tool calls the agent made.
pub const LLMSCOPE_AGENT_TOOL_CALLS: &str = "llmscope.agent.tool_calls";
/// `llmscope.agent.llm_calls`: recorded LLM calls under the agent, sub-agents included.
pub const LLMSCOPE_AGENT_LLM_CALLS: &str = "llmscope.agent.llm_calls";
/// `llmscope.agent.usage.input_tokens`: their input tokens (not `gen_ai.usage.*`, which
/// backends sum per span: the calls already carry those).
pub const LLMSCOPE_AGENT_USAGE_INPUT_TOKENS: &str = "llmscope.agent.usage.input_tokens";
/// `llmscope.agent.usage.output_tokens`: their output tokens.
pub const LLMSCOPE_AGENT_USAGE_OUTPUT_TOKENS: &str = "llmscope.agent.usage.output_tokens";
/// `llmscope.agent.cost.amount`: their cost in USD (priced calls only).
pub const LLMSCOPE_AGENT_COST_AMOUNT: &str = "llmscope.agent.cost.amount";
/// `llmscope.agent.cost.total`: the agent's total cost in USD, as other versions wrote it (the
/// terminal tree reads it before [`LLMSCOPE_AGENT_COST_AMOUNT`]).
pub const LLMSCOPE_AGENT_COST_TOTAL: &str = "llmscope.agent.cost.total";
/// `llmscope.agent.unpriced_llm_calls`: calls with usage but no price.
pub const LLMSCOPE_AGENT_UNPRICED_LLM_CALLS: &str = "llmscope.agent.unpriced_llm_calls";
/// `llmscope.agent.outcome`: `completed`, `step_limit` or `error`.
pub const LLMSCOPE_AGENT_OUTCOME: &str = "llmscope.agent.outcome";
/// `llmscope.agent.step.index`: the 1-based index of the step in its agent.
pub const LLMSCOPE_AGENT_STEP_INDEX: &str = "llmscope.agent.step.index";
/// `llmscope.agent.step.decision`: `call_tool`, `delegate` or `final_answer`.
pub const LLMSCOPE_AGENT_STEP_DECISION: &str = "llmscope.agent.step.decision";

// ----- metric names -----

/// `llmscope.export.dropped_spans`: the observable counter of spans the exporter dropped.
pub const LLMSCOPE_EXPORT_DROPPED_SPANS: &str = "llmscope.export.dropped_spans";

// ----- keys outside semconv v1.41.0 written on export -----

/// `gen_ai.usage.cost.amount`: the proposed GenAI cost (not in semconv v1.41.0), written on
/// export with `gen_ai_latest_experimental` only.
pub const GEN_AI_USAGE_COST_AMOUNT: &str = "gen_ai.usage.cost.amount";
/// `gen_ai.usage.cost.currency`: the proposed GenAI cost's ISO 4217 code (`USD`).
pub const GEN_AI_USAGE_COST_CURRENCY: &str = "gen_ai.usage.cost.currency";
/// `gen_ai.usage.cost.source`: the proposed GenAI cost's origin (`local`: computed here).
pub const GEN_AI_USAGE_COST_SOURCE: &str = "gen_ai.usage.cost.source";
/// `gen_ai.usage.cache_write.input_tokens`: the newer GenAI name of cache writes (read by the
/// terminal tree beside [`GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS`]).
pub const GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS: &str = "gen_ai.usage.cache_write.input_tokens";

/// `llm.cost.prompt` (OpenInference): input + cache read + cache write cost.
pub const LLM_COST_PROMPT: &str = "llm.cost.prompt";
/// `llm.cost.completion` (OpenInference): output cost.
pub const LLM_COST_COMPLETION: &str = "llm.cost.completion";
/// `llm.cost.total` (OpenInference): total cost.
pub const LLM_COST_TOTAL: &str = "llm.cost.total";
/// `llm.model_name` (OpenInference): the response model, else the request model.
pub const LLM_MODEL_NAME: &str = "llm.model_name";
/// `llm.provider` (OpenInference): the provider.
pub const LLM_PROVIDER: &str = "llm.provider";
/// `input.value` (OpenInference): the captured input (Phoenix's Input panel), never metadata.
pub const INPUT_VALUE: &str = "input.value";
/// `input.mime_type` (OpenInference): `application/json` or `text/plain`.
pub const INPUT_MIME_TYPE: &str = "input.mime_type";
/// `output.value` (OpenInference): the captured output (Phoenix's Output panel), never metadata.
pub const OUTPUT_VALUE: &str = "output.value";
/// `output.mime_type` (OpenInference): `application/json` or `text/plain`.
pub const OUTPUT_MIME_TYPE: &str = "output.mime_type";
/// `llm.token_count.prompt` (OpenInference): input tokens.
pub const LLM_TOKEN_COUNT_PROMPT: &str = "llm.token_count.prompt";
/// `llm.token_count.completion` (OpenInference): output tokens.
pub const LLM_TOKEN_COUNT_COMPLETION: &str = "llm.token_count.completion";
/// `llm.token_count.total` (OpenInference): input + output tokens.
pub const LLM_TOKEN_COUNT_TOTAL: &str = "llm.token_count.total";
/// `llm.token_count.prompt_details.cache_read` (OpenInference): cache reads.
pub const LLM_TOKEN_COUNT_PROMPT_DETAILS_CACHE_READ: &str =
    "llm.token_count.prompt_details.cache_read";
/// `llm.token_count.prompt_details.cache_write` (OpenInference): cache writes.
pub const LLM_TOKEN_COUNT_PROMPT_DETAILS_CACHE_WRITE: &str =
    "llm.token_count.prompt_details.cache_write";
/// `llm.token_count.completion_details.reasoning` (OpenInference): reasoning tokens.
pub const LLM_TOKEN_COUNT_COMPLETION_DETAILS_REASONING: &str =
    "llm.token_count.completion_details.reasoning";

// ----- HTTP server spans (`propagation::TraceContextLayer`; semconv HTTP, stable) -----

/// `http.request.method`: the request method (`_OTHER` for a non-standard one).
pub const HTTP_REQUEST_METHOD: &str = "http.request.method";
/// `http.route`: the matched route template (`/users/{id}`).
pub const HTTP_ROUTE: &str = "http.route";
/// `http.response.status_code`: the response status code.
pub const HTTP_RESPONSE_STATUS_CODE: &str = "http.response.status_code";
/// `url.path`: the path of the request URL.
pub const URL_PATH: &str = "url.path";

// ----- event names -----

/// `gen_ai.client.inference.operation.details`: the semconv event carrying an inference's
/// content when the capture mode writes content to events.
pub const GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS: &str =
    "gen_ai.client.inference.operation.details";

// ----- key families (crate-private) -----

/// The prefix of llmscope's own keys.
pub(crate) const LLMSCOPE_PREFIX: &str = "llmscope.";

/// Prefixes of the keys llmscope writes after a call started (usage, response, content, cost,
/// its own `llmscope.*`): the attribute budget always finds room for them.
pub(crate) const OWN_KEY_PREFIXES: [&str; 6] = [
    LLMSCOPE_PREFIX,
    "gen_ai.usage.",
    "gen_ai.response.",
    "gen_ai.tool.call.",
    "gen_ai.retrieval.",
    "llm.cost.",
];
