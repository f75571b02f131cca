//! `#[rag_stage(embed)]`: an embedding call, span `embeddings {model}`, CLIENT, priced as
//! `#[llm_call]` is.

use super::{Decl, End, NameRule, Operation, Return, Scope, SpanKind, Stage, Target, COMMON};
use crate::registry::AttrType;

/// The declaration.
pub(crate) const DECL: Decl = Decl {
    label: "rag_stage(embed)",
    operation: Operation::Fixed("embeddings"),
    span_kind: SpanKind::Client,
    stage: Stage::Fixed("embed"),
    args: &[
        ("provider", Target::Provider),
        ("model", Target::Model),
        (
            "dimensions",
            Target::Semconv("gen_ai.embeddings.dimension.count"),
        ),
        ("server_address", Target::Semconv("server.address")),
        ("server_port", Target::Semconv("server.port")),
        (
            "feature",
            Target::Extension("llmscope.feature", AttrType::String),
        ),
        ("service_tier", Target::ServiceTier),
        ("usage", Target::Usage),
    ],
    common: COMMON,
    required: &[],
    name: NameRule::OperationModel,
    before: &[],
    returns: &[Return::Usage],
    scope: Scope::Call,
    end: End::BodyReturns,
};
