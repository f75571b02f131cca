//! `#[llm_call]`: one call to a model, span `{operation} {model}`, CLIENT.

use super::{Decl, End, NameRule, Operation, Return, Scope, SpanKind, Stage, Target, COMMON};
use crate::registry::AttrType;

/// The operations an LLM call can be.
const OPERATIONS: &[&str] = &["chat", "text_completion", "generate_content", "embeddings"];

/// What `returns = …` can declare.
const RETURNS: &[&str] = &["stream"];

/// The declaration.
pub(crate) const DECL: Decl = Decl {
    label: "llm_call",
    operation: Operation::Argument("chat"),
    span_kind: SpanKind::Client,
    stage: Stage::None,
    args: &[
        ("provider", Target::Provider),
        ("model", Target::Model),
        ("operation", Target::Operation(OPERATIONS)),
        ("temperature", Target::Semconv("gen_ai.request.temperature")),
        ("top_p", Target::Semconv("gen_ai.request.top_p")),
        ("top_k", Target::Semconv("gen_ai.request.top_k")),
        ("max_tokens", Target::Semconv("gen_ai.request.max_tokens")),
        ("seed", Target::Semconv("gen_ai.request.seed")),
        (
            "frequency_penalty",
            Target::Semconv("gen_ai.request.frequency_penalty"),
        ),
        (
            "presence_penalty",
            Target::Semconv("gen_ai.request.presence_penalty"),
        ),
        (
            "stop_sequences",
            Target::Semconv("gen_ai.request.stop_sequences"),
        ),
        (
            "choice_count",
            Target::Semconv("gen_ai.request.choice.count"),
        ),
        ("stream", Target::Semconv("gen_ai.request.stream")),
        ("conversation_id", Target::Semconv("gen_ai.conversation.id")),
        ("server_address", Target::Semconv("server.address")),
        ("server_port", Target::Semconv("server.port")),
        ("prompt_template", Target::Semconv("gen_ai.prompt.name")),
        (
            "prompt_version",
            Target::Extension("llmscope.prompt.version", AttrType::String),
        ),
        (
            "feature",
            Target::Extension("llmscope.feature", AttrType::String),
        ),
        (
            "attempt",
            Target::Extension("llmscope.request.attempt", AttrType::Int),
        ),
        ("service_tier", Target::ServiceTier),
        ("prompt", Target::Prompt),
        ("system", Target::System),
        ("capture", Target::Capture),
        ("usage", Target::Usage),
        ("returns", Target::Returns(RETURNS)),
        ("output", Target::Output),
    ],
    common: COMMON,
    required: &[],
    name: NameRule::OperationModel,
    before: &[],
    returns: &[Return::Usage],
    scope: Scope::Call,
    end: End::BodyOrStream,
};
