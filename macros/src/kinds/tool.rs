//! `#[tool(name = "…", …)]`: one tool execution, span `execute_tool {name}`, INTERNAL.

use super::{
    Before, Decl, End, NameRule, Operation, Required, Return, Scope, SpanKind, Stage, Target,
    ATTRS_AND_CRATE,
};

/// The declaration.
pub(crate) const DECL: Decl = Decl {
    label: "tool",
    operation: Operation::Fixed("execute_tool"),
    span_kind: SpanKind::Internal,
    stage: Stage::None,
    args: &[
        ("name", Target::Semconv("gen_ai.tool.name")),
        ("call_id", Target::Semconv("gen_ai.tool.call.id")),
        ("type", Target::Semconv("gen_ai.tool.type")),
        ("description", Target::Semconv("gen_ai.tool.description")),
        ("capture", Target::Capture),
        ("arguments", Target::ToolArguments),
    ],
    common: ATTRS_AND_CRATE,
    required: &[Required {
        arg: "name",
        message: "`#[tool]` needs `name = \"…\"`: the tool's name as the model calls it \
                  (`gen_ai.tool.name`, the span name's second word)",
    }],
    name: NameRule::OperationThen("name"),
    before: &[Before::BeginTool],
    returns: &[Return::ToolResult],
    scope: Scope::Call,
    end: End::BodyReturns,
};
