//! `#[rag_stage(custom = "dedupe")]`: a stage of the user's own, span and operation named
//! after it, INTERNAL.

use super::{Decl, End, NameRule, Operation, Scope, SpanKind, Stage, COMMON};

/// The declaration.
pub(crate) const DECL: Decl = Decl {
    label: "rag_stage(custom)",
    operation: Operation::CustomStage,
    span_kind: SpanKind::Internal,
    stage: Stage::Custom,
    args: &[],
    common: COMMON,
    required: &[],
    name: NameRule::OperationModel,
    before: &[],
    returns: &[],
    scope: Scope::Call,
    end: End::BodyReturns,
};
