//! `#[rag_stage(prompt)]`: prompt assembly, span `prompt {template}`, INTERNAL.

use super::{Decl, End, NameRule, Operation, Return, Scope, SpanKind, Stage, Target, COMMON};
use crate::registry::AttrType;

/// The declaration.
pub(crate) const DECL: Decl = Decl {
    label: "rag_stage(prompt)",
    operation: Operation::Fixed("prompt"),
    span_kind: SpanKind::Internal,
    stage: Stage::Fixed("prompt"),
    args: &[
        ("template", Target::Semconv("gen_ai.prompt.name")),
        (
            "version",
            Target::Extension("llmscope.prompt.version", AttrType::String),
        ),
    ],
    common: COMMON,
    required: &[],
    name: NameRule::OperationThen("template"),
    before: &[],
    returns: &[Return::PromptLength],
    scope: Scope::Call,
    end: End::BodyReturns,
};
