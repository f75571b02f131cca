//! The span kinds, one declaration each: what a kind accepts and what its span carries.
//!
//! A declaration is data: the parser reads its argument table, the validation pass its required
//! arguments, the generator everything else. Adding a span kind is adding a file here and
//! selecting it in `parse::select`; adding a way to end a span is a
//! variant of [`End`] and its arm in `expand::end`.

use crate::registry::AttrType;

pub(crate) mod agent;
pub(crate) mod custom;
pub(crate) mod embed;
pub(crate) mod llm_call;
pub(crate) mod postprocess;
pub(crate) mod prompt;
pub(crate) mod rerank;
pub(crate) mod retrieve;
pub(crate) mod step;
pub(crate) mod tool;

/// The attribute macro a user wrote; it selects a [`Decl`] (see `parse::select`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Macro {
    LlmCall,
    RagStage,
    AgentStep,
    Tool,
}

impl Macro {
    /// The macro's name as the user writes it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Macro::LlmCall => "llm_call",
            Macro::RagStage => "rag_stage",
            Macro::AgentStep => "agent_step",
            Macro::Tool => "tool",
        }
    }
}

/// One span kind.
pub(crate) struct Decl {
    /// The name in messages: `llm_call`, `rag_stage(retrieve)`, `agent_step(agent)`.
    pub(crate) label: &'static str,
    /// `gen_ai.operation.name`.
    pub(crate) operation: Operation,
    /// The OpenTelemetry span kind.
    pub(crate) span_kind: SpanKind,
    /// `llmscope.stage`, for the RAG stages.
    pub(crate) stage: Stage,
    /// The kind's own arguments, in the order suggestions prefer.
    pub(crate) args: &'static [Arg],
    /// The arguments it shares with other kinds ([`COMMON`] or [`ATTRS_AND_CRATE`]).
    pub(crate) common: &'static [Arg],
    /// Arguments without which the kind cannot produce its span, with the message saying why.
    pub(crate) required: &'static [Required],
    /// The span name.
    pub(crate) name: NameRule,
    /// Hooks run on the parameters after the span starts and before the body runs.
    pub(crate) before: &'static [Before],
    /// Hooks run on the returned value before the outcome is recorded.
    pub(crate) returns: &'static [Return],
    /// What the body runs inside.
    pub(crate) scope: Scope,
    /// When the span ends.
    pub(crate) end: End,
}

/// An argument name and what it sets.
pub(crate) type Arg = (&'static str, Target);

/// `name`, `attrs(...)` and `crate`: taken by every kind whose `name` is not one of its own
/// attributes.
pub(crate) const COMMON: &[Arg] = &[
    ("name", Target::Name),
    ("attrs", Target::Attrs),
    ("crate", Target::Crate),
];

/// `attrs(...)` and `crate`, for a kind whose `name` is an attribute (`#[tool(name = …)]`).
pub(crate) const ATTRS_AND_CRATE: &[Arg] = &[("attrs", Target::Attrs), ("crate", Target::Crate)];

/// Attributes semconv marks `sampling_relevant` for GenAI spans, besides the operation, the
/// provider and the request model (which have their own setters): set before the sampler
/// decides, for every kind.
pub(crate) const SAMPLING_RELEVANT: &[&str] = &["server.address", "server.port"];

/// The capture modes of `capture = …`.
pub(crate) const CAPTURE_MODES: &[&str] = &["none", "hash", "redacted", "full"];

/// What an argument name sets.
#[derive(Clone, Copy)]
pub(crate) enum Target {
    /// `gen_ai.provider.name`, remembered for pricing.
    Provider,
    /// `gen_ai.request.model`, remembered for pricing; the default span name's second word.
    Model,
    /// `gen_ai.operation.name`: one of a fixed set, static.
    Operation(&'static [&'static str]),
    /// A semconv attribute: its type comes from the registry.
    Semconv(&'static str),
    /// An llmscope attribute outside semconv, with its type.
    Extension(&'static str, AttrType),
    /// The span name override.
    Name,
    /// `crate = path`.
    Crate,
    /// `attrs(...)`.
    Attrs,
    /// `usage = false` skips [`Return::Usage`]; `usage = path` reads the usage through a function.
    Usage,
    /// `output = path`: the output messages, read from the returned value through a function.
    Output,
    /// `service_tier`: prices the call (`standard`, `batch`, `flex`, `priority`).
    ServiceTier,
    /// `capture = none | hash | redacted | full`.
    Capture,
    /// `prompt = …`: content captured as `gen_ai.input.messages`.
    Prompt,
    /// `system = …`: content captured as `gen_ai.system_instructions`.
    System,
    /// `query = …`: content captured as `gen_ai.retrieval.query.text`.
    Query,
    /// `arguments = …`: content captured as `gen_ai.tool.call.arguments`.
    ToolArguments,
    /// `input = …`: the documents before reranking.
    RerankInput,
    /// `decision = …`: a step's declared decision, one of a fixed set.
    Decision(&'static [&'static str]),
    /// `returns = stream`: the return type is a stream the macro cannot see through (an
    /// alias), one of a fixed set.
    Returns(&'static [&'static str]),
}

/// A required argument.
pub(crate) struct Required {
    /// The argument's name.
    pub(crate) arg: &'static str,
    /// The error when it is missing.
    pub(crate) message: &'static str,
}

/// Where `gen_ai.operation.name` comes from.
#[derive(Clone, Copy)]
pub(crate) enum Operation {
    /// Always this value.
    Fixed(&'static str),
    /// The `operation = …` argument, else this default.
    Argument(&'static str),
    /// The custom stage's name (`#[rag_stage(custom = "dedupe")]`).
    CustomStage,
}

/// The OpenTelemetry span kind.
#[derive(Clone, Copy)]
pub(crate) enum SpanKind {
    /// A call to a remote service (a model, an index).
    Client,
    /// Work inside the process.
    Internal,
}

/// The `llmscope.stage` attribute.
#[derive(Clone, Copy)]
pub(crate) enum Stage {
    /// Not a RAG stage.
    None,
    /// This stage word.
    Fixed(&'static str),
    /// The custom stage's name.
    Custom,
}

/// How the span name is made when the user gives no `name = …`.
#[derive(Clone, Copy)]
pub(crate) enum NameRule {
    /// `{operation} {model}` (`{operation}` without a model): a literal model is folded at
    /// compile time, an expression is joined by the runtime.
    OperationModel,
    /// `{operation} {value of this argument}` (`{operation}` when it is absent).
    OperationThen(&'static str),
}

/// A hook on the parameters, run when the span records, before the body.
#[derive(Clone, Copy)]
pub(crate) enum Before {
    /// Counts a step in the nearest agent.
    BeginStep,
    /// Counts a tool call in the nearest agent.
    BeginTool,
}

/// A hook on the returned value.
#[derive(Clone, Copy)]
pub(crate) enum Return {
    /// Token usage and cost through `Usage` (unless `usage = false`).
    Usage,
    /// `gen_ai.retrieval.documents` through `Retrieved`.
    Documents,
    /// Scores after reranking.
    RerankOutput,
    /// `llmscope.prompt.length` when the prompt is text.
    PromptLength,
    /// The step's decision, read from the value or declared.
    StepDecision,
    /// The tool's result, as content.
    ToolResult,
    /// The agent's totals and outcome.
    AgentTotals,
}

/// What the body runs inside.
#[derive(Clone, Copy)]
pub(crate) enum Scope {
    /// The call's span context.
    Call,
    /// The span context plus the agent's accumulator of totals (`max_steps` decides the outcome).
    Agent,
}

/// When the span ends. Each variant has one arm in `expand::end`.
#[derive(Clone, Copy)]
pub(crate) enum End {
    /// When the body returns, panics or (async) its future is dropped.
    BodyReturns,
    /// As [`End::BodyReturns`], unless the function returns a stream (`impl Stream`,
    /// `Result<impl Stream, E>`, a boxed stream, or a type declared a stream with
    /// `returns = stream`): then the span ends when the returned stream finishes or is
    /// dropped (see `stream.rs`).
    BodyOrStream,
}
