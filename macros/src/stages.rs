//! `#[rag_stage]`, `#[agent_step]` and `#[tool]`: interpretation of their arguments (stage kind,
//! agent or step, the expressions read by hooks) and generation of their spans.
//!
//! The common span arguments go through `span_args::interpret` with one table per kind; what
//! the generated code does around the body (documents, agent accumulator, step decision) is
//! added here.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned as _;
use syn::{Expr, Ident, ItemFn};

use crate::args::{self, RawArg, RawValue};
use crate::ctxt::Ctxt;
use crate::expand::{backticked, with_error};
use crate::registry::AttrType;
use crate::span_args::{self, SpanArgs, Table, Target};
use crate::suggest::did_you_mean;
use crate::valid;

/// The macros of this module.
#[derive(Clone, Copy)]
pub(crate) enum Macro {
    RagStage,
    AgentStep,
    Tool,
}

impl Macro {
    fn name(self) -> &'static str {
        match self {
            Macro::RagStage => "rag_stage",
            Macro::AgentStep => "agent_step",
            Macro::Tool => "tool",
        }
    }
}

/// The stage kinds of `#[rag_stage(kind)]`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Embed,
    Retrieve,
    Rerank,
    Prompt,
    Postprocess,
    Custom,
}

const STAGE_KINDS: &[&str] = &["embed", "retrieve", "rerank", "prompt", "postprocess"];

/// Attributes semconv marks `sampling_relevant` (besides the provider and the request model):
/// set before the sampler decides.
const SAMPLING_RELEVANT: &[&str] = &["server.address", "server.port"];

const DECISIONS: &[&str] = &["call_tool", "delegate", "final_answer"];

const CRATE_ARGS: [(&str, Target); 3] = [
    ("name", Target::Name),
    ("attrs", Target::Attrs),
    ("crate", Target::Crate),
];

macro_rules! table {
    ($name:literal, [$($entry:expr),* $(,)?]) => {
        Table {
            macro_name: $name,
            args: &[$($entry,)* CRATE_ARGS[0], CRATE_ARGS[1], CRATE_ARGS[2]],
        }
    };
}

const EMBED: Table = table!(
    "rag_stage(embed)",
    [
        ("provider", Target::Provider),
        ("model", Target::Model),
        (
            "dimensions",
            Target::Semconv("gen_ai.embeddings.dimension.count")
        ),
        ("server_address", Target::Semconv("server.address")),
        ("server_port", Target::Semconv("server.port")),
        (
            "feature",
            Target::Extension("llmscope.feature", AttrType::String)
        ),
        ("service_tier", Target::ServiceTier),
        ("usage", Target::Usage),
    ]
);

const RETRIEVE: Table = table!(
    "rag_stage(retrieve)",
    [
        ("data_source", Target::Semconv("gen_ai.data_source.id")),
        ("top_k", Target::Semconv("gen_ai.request.top_k")),
        (
            "similarity_threshold",
            Target::Extension("llmscope.retrieval.similarity_threshold", AttrType::Double)
        ),
        ("server_address", Target::Semconv("server.address")),
        ("server_port", Target::Semconv("server.port")),
        ("capture", Target::Capture),
    ]
);

const RERANK: Table = table!(
    "rag_stage(rerank)",
    [
        ("provider", Target::Provider),
        ("model", Target::Model),
        (
            "top_n",
            Target::Extension("llmscope.rerank.top_n", AttrType::Int)
        ),
    ]
);

const PROMPT: Table = table!(
    "rag_stage(prompt)",
    [
        ("template", Target::Semconv("gen_ai.prompt.name")),
        (
            "version",
            Target::Extension("llmscope.prompt.version", AttrType::String)
        ),
    ]
);

const POSTPROCESS: Table = table!("rag_stage(postprocess)", []);

const CUSTOM: Table = table!("rag_stage(custom)", []);

const AGENT: Table = table!(
    "agent_step(agent)",
    [
        ("agent", Target::Semconv("gen_ai.agent.name")),
        ("id", Target::Semconv("gen_ai.agent.id")),
        ("description", Target::Semconv("gen_ai.agent.description")),
        ("version", Target::Semconv("gen_ai.agent.version")),
        ("provider", Target::Provider),
        ("conversation_id", Target::Semconv("gen_ai.conversation.id")),
        (
            "tools",
            Target::Extension("llmscope.agent.tools", AttrType::StringArray)
        ),
        (
            "max_steps",
            Target::Extension("llmscope.agent.max_steps", AttrType::Int)
        ),
    ]
);

const STEP: Table = table!("agent_step(step)", []);

const TOOL: Table = Table {
    macro_name: "tool",
    args: &[
        ("name", Target::Semconv("gen_ai.tool.name")),
        ("call_id", Target::Semconv("gen_ai.tool.call.id")),
        ("type", Target::Semconv("gen_ai.tool.type")),
        ("description", Target::Semconv("gen_ai.tool.description")),
        ("capture", Target::Capture),
        ("attrs", Target::Attrs),
        ("crate", Target::Crate),
    ],
};

/// What a macro generates, once its arguments are interpreted.
struct Spec {
    parsed: SpanArgs,
    operation: String,
    internal: bool,
    /// `llmscope.stage` value.
    stage: Option<String>,
    /// The span name: `(prefix, expression for the second word)`, unless `name` overrides.
    name: Option<(String, Option<Expr>)>,
    usage: bool,
    /// Expressions over the parameters, read before the body runs.
    query: Option<Expr>,
    rerank_input: Option<Expr>,
    tool_arguments: Option<Expr>,
    what: What,
}

enum What {
    Stage(Stage),
    Agent { max_steps: Option<Expr> },
    Step { decision: Option<&'static str> },
    Tool,
}

/// Entry point of `#[rag_stage]`, `#[agent_step]` and `#[tool]`.
pub(crate) fn attribute(which: Macro, args: TokenStream, item: TokenStream) -> TokenStream {
    let func: ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(error) => {
            let error = valid::not_a_function(which.name(), &item, error);
            return with_error(item, error);
        }
    };
    let cx = Ctxt::new();
    let raw = args::parse_list(&cx, args);
    let spec = match which {
        Macro::RagStage => rag_stage(&cx, raw),
        Macro::AgentStep => agent_step(&cx, raw),
        Macro::Tool => tool(&cx, raw),
    };
    valid::check_signature(&cx, which.name(), &func.sig);
    match (cx.check(), spec) {
        (Ok(()), Some(spec)) => generate(&spec, func),
        (Err(error), _) => with_error(func.into_token_stream(), error),
        (Ok(()), None) => unreachable!("a missing spec always records an error"),
    }
}

/// Arguments read by the macro itself (not attributes), with the expressions given.
struct Split {
    kept: Vec<RawArg>,
    given: Vec<(Ident, Expr)>,
    flags: Vec<Ident>,
}

/// Separates the table's arguments (for `span_args::interpret`) from the macro's own
/// `specials` and flags; reports unknown names with a suggestion among both.
fn split(cx: &Ctxt, table: &Table, specials: &[&str], raw: Vec<RawArg>) -> Split {
    let mut split = Split {
        kept: Vec::new(),
        given: Vec::new(),
        flags: Vec::new(),
    };
    let known = || {
        table
            .args
            .iter()
            .map(|(name, _)| *name)
            .chain(specials.iter().copied())
    };
    for arg in raw {
        let name = arg.name.to_string();
        if table.args.iter().any(|(known, _)| *known == name) {
            split.kept.push(arg);
            continue;
        }
        if specials.contains(&name.as_str()) {
            match arg.value {
                RawValue::Expr(expr) => {
                    if split.given.iter().any(|(seen, _)| *seen == name) {
                        cx.error_spanned_by(&arg.name, format_args!("duplicate `{name}` argument"));
                    } else {
                        split.given.push((arg.name, expr));
                    }
                }
                _ => cx.error_spanned_by(&arg.name, format_args!("expected `{name} = …`")),
            }
            continue;
        }
        if let RawValue::Flag = arg.value {
            split.flags.push(arg.name);
            continue;
        }
        let hint = did_you_mean(&name, known())
            .map(|near| format!("; did you mean `{near}`?"))
            .unwrap_or_default();
        cx.error_spanned_by(
            &arg.name,
            format_args!("unknown `{}` argument `{name}`{hint}", table.macro_name),
        );
    }
    split
}

fn unknown_flags(cx: &Ctxt, table: &Table, specials: &[&str], flags: &[Ident]) {
    for flag in flags {
        let name = flag.to_string();
        let hint = did_you_mean(
            &name,
            table
                .args
                .iter()
                .map(|(name, _)| *name)
                .chain(specials.iter().copied()),
        )
        .map(|near| format!("; did you mean `{near}`?"))
        .unwrap_or_default();
        cx.error_spanned_by(
            flag,
            format_args!("unknown `{}` argument `{name}`{hint}", table.macro_name),
        );
    }
}

fn take(specials: &mut Vec<(Ident, Expr)>, name: &str) -> Option<Expr> {
    let index = specials.iter().position(|(ident, _)| *ident == name)?;
    Some(specials.remove(index).1)
}

fn value_of(parsed: &SpanArgs, key: &str) -> Option<Expr> {
    parsed
        .values
        .iter()
        .find(|value| value.key == key)
        .map(|value| value.expr.clone())
}

fn rag_stage(cx: &Ctxt, mut raw: Vec<RawArg>) -> Option<Spec> {
    // The kind: the first flag, or `custom = "name"`.
    let mut kind: Option<(Stage, String)> = None;
    let mut kind_span = Span::call_site();
    let mut rest = Vec::with_capacity(raw.len());
    for arg in raw.drain(..) {
        let name = arg.name.to_string();
        let found = match (&arg.value, name.as_str()) {
            (RawValue::Flag, _) if kind.is_none() => {
                let Some(index) = STAGE_KINDS.iter().position(|known| *known == name) else {
                    let hint = did_you_mean(&name, STAGE_KINDS.iter().copied().chain(["custom"]))
                        .map(|near| format!("; did you mean `{near}`?"))
                        .unwrap_or_else(|| {
                            format!(
                                "; expected {} or `custom = \"name\"`",
                                backticked(STAGE_KINDS)
                            )
                        });
                    cx.error_spanned_by(
                        &arg.name,
                        format_args!("unknown stage kind `{name}`{hint}"),
                    );
                    return None;
                };
                let stage = [
                    Stage::Embed,
                    Stage::Retrieve,
                    Stage::Rerank,
                    Stage::Prompt,
                    Stage::Postprocess,
                ][index];
                Some((stage, name))
            }
            (RawValue::Expr(expr), "custom") if kind.is_none() => {
                match args::string_literal(expr).map(syn::LitStr::value) {
                    Some(custom)
                        if !custom.is_empty() && !custom.chars().any(char::is_whitespace) =>
                    {
                        Some((Stage::Custom, custom))
                    }
                    _ => {
                        cx.error_spanned_by(
                            expr,
                            "expected the stage name as a string literal without spaces: \
                             `custom = \"dedupe\"`",
                        );
                        return None;
                    }
                }
            }
            (RawValue::Flag, _) if STAGE_KINDS.contains(&name.as_str()) => {
                cx.error_spanned_by(
                    &arg.name,
                    "a `rag_stage` has one kind; annotate each stage function separately",
                );
                return None;
            }
            _ => None,
        };
        match found {
            Some(found) => {
                kind_span = arg.name.span();
                kind = Some(found);
            }
            None => rest.push(arg),
        }
    }
    let Some((stage, stage_name)) = kind else {
        let mut expected: Vec<&str> = STAGE_KINDS.to_vec();
        expected.push("custom = \"name\"");
        cx.error_at(
            Span::call_site(),
            format_args!(
                "missing stage kind: expected one of {}",
                backticked(&expected)
            ),
        );
        return None;
    };
    let (table, specials): (&Table, &[&str]) = match stage {
        Stage::Embed => (&EMBED, &[]),
        Stage::Retrieve => (&RETRIEVE, &["query"]),
        Stage::Rerank => (&RERANK, &["input"]),
        Stage::Prompt => (&PROMPT, &[]),
        Stage::Postprocess => (&POSTPROCESS, &[]),
        Stage::Custom => (&CUSTOM, &[]),
    };
    let Split {
        kept,
        mut given,
        flags,
    } = split(cx, table, specials, rest);
    unknown_flags(cx, table, specials, &flags);
    let parsed = span_args::interpret(cx, table, kept);
    let (operation, internal, name) = match stage {
        Stage::Embed => ("embeddings".to_owned(), false, None),
        Stage::Retrieve => {
            let Some(data_source) = value_of(&parsed, "gen_ai.data_source.id") else {
                cx.error_at(
                    kind_span,
                    "`#[rag_stage(retrieve)]` needs `data_source = \"…\"`: the id of the \
                     index or store searched (`gen_ai.data_source.id`, the span name's second word)",
                );
                return None;
            };
            (
                "retrieval".to_owned(),
                false,
                Some(("retrieval".to_owned(), Some(data_source))),
            )
        }
        Stage::Rerank => ("rerank".to_owned(), false, None),
        Stage::Prompt => (
            "prompt".to_owned(),
            true,
            Some(("prompt".to_owned(), value_of(&parsed, "gen_ai.prompt.name"))),
        ),
        Stage::Postprocess => ("postprocess".to_owned(), true, None),
        Stage::Custom => (stage_name.clone(), true, None),
    };
    Some(Spec {
        usage: stage == Stage::Embed && parsed.usage.unwrap_or(true),
        parsed,
        operation,
        internal,
        stage: Some(stage_name),
        name,
        query: take(&mut given, "query"),
        rerank_input: take(&mut given, "input"),
        tool_arguments: None,
        what: What::Stage(stage),
    })
}

fn agent_step(cx: &Ctxt, raw: Vec<RawArg>) -> Option<Spec> {
    let is_agent = raw.iter().any(|arg| {
        let name = arg.name.to_string();
        !matches!(name.as_str(), "name" | "attrs" | "crate")
            && AGENT.args.iter().any(|(known, _)| *known == name)
    });
    if is_agent {
        let Split { kept, flags, .. } = split(cx, &AGENT, &[], raw);
        unknown_flags(cx, &AGENT, &[], &flags);
        let parsed = span_args::interpret(cx, &AGENT, kept);
        let Some(agent) = value_of(&parsed, "gen_ai.agent.name") else {
            cx.error_at(
                Span::call_site(),
                "an agent needs `agent = \"…\"`: its name (`gen_ai.agent.name`, the span name's \
                 second word); write `#[agent_step(step)]` for a step of an agent",
            );
            return None;
        };
        if parsed.provider.is_none() {
            cx.error_spanned_by(
                &agent,
                "an agent needs `provider = \"…\"`: semconv requires `gen_ai.provider.name` on \
                 `invoke_agent` spans; name the provider its model calls go to, e.g. \
                 `provider = \"openai\"`",
            );
            return None;
        }
        let max_steps = value_of(&parsed, "llmscope.agent.max_steps");
        return Some(Spec {
            parsed,
            operation: "invoke_agent".to_owned(),
            internal: true,
            stage: None,
            name: Some(("invoke_agent".to_owned(), Some(agent))),
            usage: false,
            query: None,
            rerank_input: None,
            tool_arguments: None,
            what: What::Agent { max_steps },
        });
    }
    let Split {
        kept,
        mut given,
        flags,
    } = split(cx, &STEP, &["decision"], raw);
    let flags: Vec<Ident> = flags.into_iter().filter(|flag| flag != "step").collect();
    unknown_flags(cx, &STEP, &["decision", "step"], &flags);
    let parsed = span_args::interpret(cx, &STEP, kept);
    let decision = take(&mut given, "decision").and_then(|expr| {
        let name = Ident::new("decision", expr.span());
        args::choice(cx, &name, &expr, DECISIONS).map(|(decision, _)| decision)
    });
    Some(Spec {
        parsed,
        operation: "agent_step".to_owned(),
        internal: true,
        stage: None,
        name: None,
        usage: false,
        query: None,
        rerank_input: None,
        tool_arguments: None,
        what: What::Step { decision },
    })
}

fn tool(cx: &Ctxt, raw: Vec<RawArg>) -> Option<Spec> {
    let Split {
        kept,
        mut given,
        flags,
    } = split(cx, &TOOL, &["arguments"], raw);
    unknown_flags(cx, &TOOL, &["arguments"], &flags);
    let parsed = span_args::interpret(cx, &TOOL, kept);
    let Some(name) = value_of(&parsed, "gen_ai.tool.name") else {
        cx.error_at(
            Span::call_site(),
            "`#[tool]` needs `name = \"…\"`: the tool's name as the model calls it \
             (`gen_ai.tool.name`, the span name's second word)",
        );
        return None;
    };
    Some(Spec {
        parsed,
        operation: "execute_tool".to_owned(),
        internal: true,
        stage: None,
        name: Some(("execute_tool".to_owned(), Some(name))),
        usage: false,
        query: None,
        rerank_input: None,
        tool_arguments: take(&mut given, "arguments"),
        what: What::Tool,
    })
}

fn generate(spec: &Spec, func: ItemFn) -> TokenStream {
    let parsed = &spec.parsed;
    let krate = &parsed.krate;
    let private = quote!(#krate::__private);
    let operation = &spec.operation;
    let span_kind = if spec.internal {
        quote!(#private::Kind::Internal)
    } else {
        quote!(#private::Kind::Client)
    };

    // Attributes known at span creation.
    // Sampling-relevant attributes and the name go to the sampler (as `#[llm_call]` does); the
    // rest only once the span records.
    let mut sampling = Vec::new();
    let mut describe = Vec::new();
    if let Some(stage) = &spec.stage {
        describe.push(quote! {
            #private::Start::attribute(
                __llmscope_start,
                #private::stage_keys::STAGE,
                ::core::option::Option::Some(#private::Value::String(#private::StringValue::from(#stage))),
            );
        });
    }
    for (target, setter, sampled) in [
        (&parsed.provider, quote!(provider), true),
        (&parsed.model, quote!(model), true),
        (&parsed.service_tier, quote!(service_tier), false),
    ] {
        if let Some(expr) = target {
            let value = span_args::value_tokens(krate, AttrType::String, expr);
            let statement = quote!(#private::Start::#setter(__llmscope_start, #value););
            if sampled {
                sampling.push(statement);
            } else {
                describe.push(statement);
            }
        }
    }
    for value in &parsed.values {
        let key = &value.key;
        let tokens = span_args::value_tokens(krate, value.ty, &value.expr);
        let statement = quote!(#private::Start::attribute(__llmscope_start, #key, #tokens););
        if SAMPLING_RELEVANT.contains(&key.as_str()) {
            sampling.push(statement);
        } else {
            describe.push(statement);
        }
    }
    let name = match (&parsed.name, &spec.name) {
        (Some(name), _) => Some(match span_args::literal_string(name) {
            Some(_) => quote!(::std::borrow::Cow::Borrowed(#name)),
            None => quote_spanned! {name.span()=>
                ::std::borrow::Cow::Owned(::std::string::ToString::to_string(&(#name)))
            },
        }),
        (None, Some((prefix, second))) => Some(match second {
            Some(expr) => match span_args::literal_string(expr) {
                Some(word) => {
                    let name = span_args::static_name(&format!("{prefix} {word}"), expr.span());
                    quote!(::std::borrow::Cow::Borrowed(#name))
                }
                None => {
                    let value = span_args::value_tokens(krate, AttrType::String, expr);
                    quote!(#private::stage_name(#prefix, #value))
                }
            },
            None => quote!(::std::borrow::Cow::Borrowed(#prefix)),
        }),
        (None, None) => None,
    };
    if let Some(name) = name {
        sampling.push(quote!(#private::Start::name(__llmscope_start, #name);));
    }

    // Read before the body takes the parameters.
    let mut before = Vec::new();
    if let Some(query) = &spec.query {
        before.push(quote_spanned! {query.span()=>
            {
                #[allow(unused_imports)]
                use #private::CaptureContent as _;
                (&&#private::ContentOf(&(#query)))
                    .capture_content(__llmscope_call_ref, #private::Slot::RetrievalQuery);
            }
        });
    }
    if let Some(input) = &spec.rerank_input {
        before.push(quote_spanned! {input.span()=>
            #private::record_rerank_input(__llmscope_call_ref, &(#input));
        });
    }
    if let Some(arguments) = &spec.tool_arguments {
        before.push(quote_spanned! {arguments.span()=>
            {
                #[allow(unused_imports)]
                use #private::CaptureContent as _;
                (&&#private::ContentOf(&(#arguments)))
                    .capture_content(__llmscope_call_ref, #private::Slot::ToolArguments);
            }
        });
    }
    match &spec.what {
        What::Step { .. } => before.push(quote!(#private::begin_step(__llmscope_call_ref);)),
        What::Tool => before.push(quote!(#private::begin_tool(__llmscope_call_ref);)),
        _ => {}
    }
    let max_steps = match &spec.what {
        What::Agent { max_steps } => {
            let value = match max_steps {
                Some(expr) => span_args::value_tokens(krate, AttrType::Int, expr),
                None => quote!(::core::option::Option::None),
            };
            quote! {
                let __llmscope_max_steps = match &__llmscope_call {
                    ::core::option::Option::Some(_) => #value,
                    ::core::option::Option::None => ::core::option::Option::None,
                };
            }
        }
        _ => TokenStream::new(),
    };

    let output_span = crate::expand::output_span(&func.sig);

    // Recorded from the returned value.
    let mut after = Vec::new();
    if spec.usage {
        after.push(quote_spanned! {output_span=>
            #private::record_usage(&mut __llmscope_call, &__llmscope_output);
        });
    }
    let is_agent = matches!(spec.what, What::Agent { .. });
    match &spec.what {
        What::Stage(Stage::Retrieve) => after.push(quote_spanned! {output_span=>
            #private::record_documents(&mut __llmscope_call, &__llmscope_output);
        }),
        What::Stage(Stage::Rerank) => after.push(quote_spanned! {output_span=>
            #private::record_rerank_output(&mut __llmscope_call, &__llmscope_output);
        }),
        What::Stage(Stage::Prompt) => after.push(quote! {{
            #[allow(unused_imports)]
            use #private::PromptLength as _;
            (&&#private::PromptOf(&__llmscope_output)).record_prompt_length(&mut __llmscope_call);
        }}),
        What::Stage(_) => {}
        What::Agent { .. } => after.push(quote! {{
            #[allow(unused_imports)]
            use #private::IsFailure as _;
            let __llmscope_failed = (&#private::FailureOf(&__llmscope_output)).failed();
            #private::Agent::finish(__llmscope_agent, &mut __llmscope_call, __llmscope_failed);
        }}),
        What::Step { decision } => {
            let declared = match decision {
                Some(decision) => quote!(::core::option::Option::Some(#decision)),
                None => quote!(::core::option::Option::None),
            };
            after.push(quote! {{
                #[allow(unused_imports)]
                use #private::ReadDecision as _;
                let __llmscope_decision = (&#private::DecisionOf(&__llmscope_output)).read_decision();
                #private::finish_step(&mut __llmscope_call, __llmscope_decision, #declared);
            }});
        }
        What::Tool => after.push(quote! {{
            #[allow(unused_imports)]
            use #private::CaptureContent as _;
            (&&#private::ContentOf(&__llmscope_output))
                .capture_content(&mut __llmscope_call, #private::Slot::ToolResult);
        }}),
    }
    let (begin, enter, instrument) = if is_agent {
        (
            quote! {
                let __llmscope_agent = #private::Agent::begin(&__llmscope_call, __llmscope_max_steps);
            },
            Some(quote!(#private::Agent::enter(&__llmscope_agent))),
            Some(quote!(#private::Agent::instrument(&__llmscope_agent, __llmscope_body))),
        )
    } else {
        (TokenStream::new(), None, None)
    };
    crate::expand::wrap(
        &crate::expand::Wrapper {
            krate,
            operation: quote!(#operation),
            span_kind,
            capture: parsed.capture,
            sampling,
            describe,
            after_start: quote! {
                if let ::core::option::Option::Some(__llmscope_call_ref) = &mut __llmscope_call {
                    #(#before)*
                }
                #max_steps
            },
            begin,
            enter,
            instrument,
            record: after,
        },
        func,
    )
}
