//! `#[agent_step]` / `#[agent_step(step, …)]`: one step of an agent, span `agent_step`,
//! INTERNAL, with its index and decision.

use super::{
    Before, Decl, End, NameRule, Operation, Return, Scope, SpanKind, Stage, Target, COMMON,
};

/// The decisions a step can declare.
const DECISIONS: &[&str] = &["call_tool", "delegate", "final_answer"];

/// The declaration.
pub(crate) const DECL: Decl = Decl {
    label: "agent_step(step)",
    operation: Operation::Fixed("agent_step"),
    span_kind: SpanKind::Internal,
    stage: Stage::None,
    args: &[("decision", Target::Decision(DECISIONS))],
    common: COMMON,
    required: &[],
    name: NameRule::OperationModel,
    before: &[Before::BeginStep],
    returns: &[Return::StepDecision],
    scope: Scope::Call,
    end: End::BodyReturns,
};
