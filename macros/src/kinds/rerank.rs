//! `#[rag_stage(rerank)]`: a reranking call, span `rerank {model}`, CLIENT.

use super::{Decl, End, NameRule, Operation, Return, Scope, SpanKind, Stage, Target, COMMON};
use crate::registry::AttrType;

/// The declaration.
pub(crate) const DECL: Decl = Decl {
    label: "rag_stage(rerank)",
    operation: Operation::Fixed("rerank"),
    span_kind: SpanKind::Client,
    stage: Stage::Fixed("rerank"),
    args: &[
        ("provider", Target::Provider),
        ("model", Target::Model),
        (
            "top_n",
            Target::Extension("llmscope.rerank.top_n", AttrType::Int),
        ),
        ("input", Target::RerankInput),
    ],
    common: COMMON,
    required: &[],
    name: NameRule::OperationModel,
    before: &[],
    returns: &[Return::RerankOutput],
    scope: Scope::Call,
    end: End::BodyReturns,
};
