//! `#[rag_stage(postprocess)]`: work on a model's answer, span `postprocess`, INTERNAL.

use super::{Decl, End, NameRule, Operation, Scope, SpanKind, Stage, COMMON};

/// The declaration.
pub(crate) const DECL: Decl = Decl {
    label: "rag_stage(postprocess)",
    operation: Operation::Fixed("postprocess"),
    span_kind: SpanKind::Internal,
    stage: Stage::Fixed("postprocess"),
    args: &[],
    common: COMMON,
    required: &[],
    name: NameRule::OperationModel,
    before: &[],
    returns: &[],
    scope: Scope::Call,
    end: End::BodyReturns,
};
