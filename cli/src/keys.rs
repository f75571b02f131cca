//! Every attribute key, event name and value the command line reads: the one place to change
//! when the runtime renames one.

/// `gen_ai.operation.name`.
pub(crate) const OPERATION: &str = "gen_ai.operation.name";
/// `gen_ai.provider.name`.
pub(crate) const PROVIDER: &str = "gen_ai.provider.name";
/// `gen_ai.response.model`: preferred over the requested model.
pub(crate) const RESPONSE_MODEL: &str = "gen_ai.response.model";
/// `gen_ai.request.model`.
pub(crate) const REQUEST_MODEL: &str = "gen_ai.request.model";
/// `llmscope.feature`: the product feature a call serves.
pub(crate) const FEATURE: &str = "llmscope.feature";
/// User attributes, first present wins.
pub(crate) const USER: [&str; 2] = ["user.id", "enduser.id"];

/// `gen_ai.usage.input_tokens` (includes cached tokens).
pub(crate) const INPUT_TOKENS: &str = "gen_ai.usage.input_tokens";
/// `gen_ai.usage.output_tokens` (includes reasoning tokens).
pub(crate) const OUTPUT_TOKENS: &str = "gen_ai.usage.output_tokens";
/// `gen_ai.usage.cache_read.input_tokens`.
pub(crate) const CACHE_READ_TOKENS: &str = "gen_ai.usage.cache_read.input_tokens";
/// `gen_ai.usage.cache_creation.input_tokens`.
pub(crate) const CACHE_WRITE_TOKENS: &str = "gen_ai.usage.cache_creation.input_tokens";
/// `gen_ai.usage.reasoning.output_tokens`.
pub(crate) const REASONING_TOKENS: &str = "gen_ai.usage.reasoning.output_tokens";

/// Total cost keys, first present wins: llmscope's own, OpenInference's, the proposed GenAI one.
pub(crate) const COST_TOTAL: [&str; 3] = [
    "llmscope.cost.total",
    "llm.cost.total",
    "gen_ai.usage.cost.amount",
];
/// `llmscope.cost.input`: uncached input.
pub(crate) const COST_INPUT: &str = "llmscope.cost.input";
/// `llmscope.cost.output`.
pub(crate) const COST_OUTPUT: &str = "llmscope.cost.output";
/// `llmscope.cost.cache_read`.
pub(crate) const COST_CACHE_READ: &str = "llmscope.cost.cache_read";
/// `llmscope.cost.cache_write`.
pub(crate) const COST_CACHE_WRITE: &str = "llmscope.cost.cache_write";

/// `error.type`.
pub(crate) const ERROR_TYPE: &str = "error.type";
/// `gen_ai.response.time_to_first_chunk` (seconds, streams).
pub(crate) const TIME_TO_FIRST_CHUNK: &str = "gen_ai.response.time_to_first_chunk";
/// `gen_ai.response.finish_reasons`.
pub(crate) const FINISH_REASONS: &str = "gen_ai.response.finish_reasons";

/// The evaluation event and its attributes.
pub(crate) const EVALUATION_EVENT: &str = "gen_ai.evaluation.result";
/// `gen_ai.evaluation.name`.
pub(crate) const EVALUATION_NAME: &str = "gen_ai.evaluation.name";
/// `gen_ai.evaluation.score.value`.
pub(crate) const EVALUATION_SCORE: &str = "gen_ai.evaluation.score.value";
/// `gen_ai.evaluation.score.label`.
pub(crate) const EVALUATION_LABEL: &str = "gen_ai.evaluation.score.label";
/// The exception event and its message.
pub(crate) const EXCEPTION_EVENT: &str = "exception";
/// `exception.message`.
pub(crate) const EXCEPTION_MESSAGE: &str = "exception.message";

/// Attributes `show` prints for the kinds of span that carry them (retrieval documents and
/// scores, tools, agent steps, streams, stages), in this order.
pub(crate) const DETAILS: &[&str] = &[
    "gen_ai.data_source.id",
    "gen_ai.request.top_k",
    "llmscope.retrieval.similarity_threshold",
    "llmscope.documents.count",
    "gen_ai.retrieval.documents",
    "llmscope.rerank.top_n",
    "llmscope.rerank.scores.before",
    "llmscope.rerank.scores.after",
    "gen_ai.tool.name",
    "gen_ai.tool.call.id",
    "gen_ai.tool.type",
    "gen_ai.agent.name",
    "llmscope.agent.steps",
    "llmscope.agent.tool_calls",
    "llmscope.agent.llm_calls",
    "llmscope.agent.cost.amount",
    "llmscope.agent.outcome",
    "llmscope.agent.step.index",
    "llmscope.agent.step.decision",
    "gen_ai.request.stream",
    "llmscope.stage",
    "llmscope.prompt.version",
    "llmscope.pricing.entry",
    "llmscope.cancelled",
];

/// Operations of generation calls (`latency`'s generation share, LLM call counts).
pub(crate) const GENERATION_OPERATIONS: [&str; 3] = ["chat", "text_completion", "generate_content"];
/// Operations of retrieval work (`latency`'s retrieval share).
pub(crate) const RETRIEVAL_OPERATIONS: [&str; 3] = ["embeddings", "retrieval", "rerank"];
/// Operations whose spans are model calls with usage and cost (`costs`, `diff`).
pub(crate) const MODEL_CALL_OPERATIONS: [&str; 4] =
    ["chat", "text_completion", "generate_content", "embeddings"];

/// OTLP status code of an error.
pub(crate) const STATUS_ERROR: i64 = 2;
