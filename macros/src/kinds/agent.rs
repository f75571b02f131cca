//! `#[agent_step(agent = "name", provider = "…", …)]`: an agent root, span
//! `invoke_agent {agent}`, INTERNAL, carrying the totals of everything under it.

use super::{
    Decl, End, NameRule, Operation, Required, Return, Scope, SpanKind, Stage, Target, COMMON,
};
use crate::registry::AttrType;

/// The declaration.
pub(crate) const DECL: Decl = Decl {
    label: "agent_step(agent)",
    operation: Operation::Fixed("invoke_agent"),
    span_kind: SpanKind::Internal,
    stage: Stage::None,
    args: &[
        ("agent", Target::Semconv("gen_ai.agent.name")),
        ("id", Target::Semconv("gen_ai.agent.id")),
        ("description", Target::Semconv("gen_ai.agent.description")),
        ("version", Target::Semconv("gen_ai.agent.version")),
        ("provider", Target::Provider),
        ("conversation_id", Target::Semconv("gen_ai.conversation.id")),
        (
            "tools",
            Target::Extension("llmscope.agent.tools", AttrType::StringArray),
        ),
        (
            "max_steps",
            Target::Extension("llmscope.agent.max_steps", AttrType::Int),
        ),
    ],
    common: COMMON,
    required: &[Required {
        arg: "provider",
        message: "an agent root needs `provider = \"…\"`: semconv requires \
                  `gen_ai.provider.name` on `invoke_agent` spans; name the provider of the \
                  models the agent calls, e.g. `provider = \"openai\"`",
    }],
    name: NameRule::OperationThen("agent"),
    before: &[],
    returns: &[Return::AgentTotals],
    scope: Scope::Agent,
    end: End::BodyReturns,
};
