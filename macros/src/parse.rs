//! The one parser of the span macros: selects the span kind from the macro and its mode
//! argument, then reads every argument against that kind's table. Values are checked by
//! `valid.rs`; nothing here looks at the semconv registry beyond an attribute's type.

use proc_macro2::Span;
use syn::{Expr, Ident, LitStr, Path};

use crate::args::{self, AttrKey, RawArg, RawValue};
use crate::ctxt::Ctxt;
use crate::kinds::{self, Decl, Macro, Target, CAPTURE_MODES};
use crate::message::{backticked, did_you_mean, hint_or, unknown_argument};
use crate::registry::{self, AttrType};

/// The interpreted arguments of one annotated function.
pub(crate) struct Args {
    /// The span kind.
    pub(crate) decl: &'static Decl,
    /// The token that chose the kind (the stage word, `agent`), where errors about a missing
    /// argument point; the whole attribute when nothing chose it.
    pub(crate) mode: Span,
    pub(crate) krate: Path,
    /// `operation = …` (`#[llm_call]`).
    pub(crate) operation: Option<&'static str>,
    /// The name of a custom stage.
    pub(crate) custom_stage: Option<String>,
    /// `name = …`: the span name override.
    pub(crate) name: Option<Expr>,
    pub(crate) provider: Option<Expr>,
    pub(crate) model: Option<Expr>,
    pub(crate) service_tier: Option<Expr>,
    /// Every other attribute set at span creation, in the order written.
    pub(crate) values: Vec<SpanValue>,
    /// `usage = true | false`.
    pub(crate) usage: Option<bool>,
    /// `usage = path::to::function`: reads the usage from the returned value.
    pub(crate) usage_fn: Option<Path>,
    /// `output = path::to::function`: reads the output messages from the returned value.
    pub(crate) output_fn: Option<Path>,
    /// `capture = …`.
    pub(crate) capture: Option<&'static str>,
    pub(crate) prompt: Option<Expr>,
    pub(crate) system: Option<Expr>,
    pub(crate) query: Option<Expr>,
    pub(crate) tool_arguments: Option<Expr>,
    pub(crate) rerank_input: Option<Expr>,
    /// `decision = …` (a step).
    pub(crate) decision: Option<&'static str>,
    /// `returns = stream`: where `stream` is written.
    pub(crate) returns_stream: Option<Span>,
}

impl Args {
    /// The expression given for the attribute argument `arg`.
    pub(crate) fn value(&self, arg: &str) -> Option<&Expr> {
        self.values
            .iter()
            .find(|value| matches!(&value.origin, Origin::Argument(name) if name == arg))
            .map(|value| &value.expr)
    }

    /// Whether the argument `arg` was given.
    pub(crate) fn has(&self, arg: &str) -> bool {
        match arg {
            "provider" => self.provider.is_some(),
            "model" => self.model.is_some(),
            _ => self.value(arg).is_some(),
        }
    }
}

/// An attribute set at span creation.
pub(crate) struct SpanValue {
    pub(crate) key: String,
    pub(crate) ty: AttrType,
    pub(crate) expr: Expr,
    pub(crate) origin: Origin,
}

/// Where a [`SpanValue`] was written.
pub(crate) enum Origin {
    /// A named argument (`temperature = 0.2`).
    Argument(Ident),
    /// `attrs("gen_ai.…" = value)`: checked against the registry.
    Semconv(LitStr),
    /// `attrs(custom("app.key") = value)`.
    Custom(LitStr),
}

/// Parses the arguments of `which`; `None` when the span kind cannot be told (the error is
/// recorded).
pub(crate) fn parse(cx: &Ctxt, which: Macro, tokens: proc_macro2::TokenStream) -> Option<Args> {
    let raw = args::parse_list(cx, tokens);
    let selected = select(cx, which, raw)?;
    Some(read(cx, selected))
}

/// The span kind chosen, and the arguments left to read against its table.
struct Selected {
    decl: &'static Decl,
    mode: Span,
    custom_stage: Option<String>,
    rest: Vec<RawArg>,
    /// Names that chose the mode, offered in suggestions (`step`).
    mode_words: &'static [&'static str],
}

fn selected(decl: &'static Decl, rest: Vec<RawArg>) -> Selected {
    Selected {
        decl,
        mode: Span::call_site(),
        custom_stage: None,
        rest,
        mode_words: &[],
    }
}

/// Chooses the span kind: the macro alone, the stage word of `#[rag_stage]`, or the first
/// argument of `#[agent_step]`.
fn select(cx: &Ctxt, which: Macro, raw: Vec<RawArg>) -> Option<Selected> {
    match which {
        Macro::LlmCall => Some(selected(&kinds::llm_call::DECL, raw)),
        Macro::Tool => Some(selected(&kinds::tool::DECL, raw)),
        Macro::RagStage => select_stage(cx, raw),
        Macro::AgentStep => select_agent(cx, raw),
    }
}

/// The RAG stage words and their declarations (`custom = "name"` besides).
const STAGES: &[(&str, &Decl)] = &[
    ("embed", &kinds::embed::DECL),
    ("retrieve", &kinds::retrieve::DECL),
    ("rerank", &kinds::rerank::DECL),
    ("prompt", &kinds::prompt::DECL),
    ("postprocess", &kinds::postprocess::DECL),
];

/// `#[rag_stage(kind, …)]`: the first flag, or `custom = "name"`, is the stage kind.
fn select_stage(cx: &Ctxt, raw: Vec<RawArg>) -> Option<Selected> {
    let words: Vec<&str> = STAGES.iter().map(|(word, _)| *word).collect();
    let mut chosen: Option<Selected> = None;
    let mut rest = Vec::with_capacity(raw.len());
    for arg in raw {
        let name = arg.name.to_string();
        match (&arg.value, chosen.is_some()) {
            (RawValue::Flag, false) => {
                let Some((_, decl)) = STAGES.iter().find(|(word, _)| *word == name) else {
                    let hint = hint_or(&name, words.iter().copied().chain(["custom"]), || {
                        format!("; expected {} or `custom = \"name\"`", backticked(&words))
                    });
                    cx.error_spanned_by(
                        &arg.name,
                        format_args!("unknown stage kind `{name}`{hint}"),
                    );
                    return None;
                };
                chosen = Some(Selected {
                    mode: arg.name.span(),
                    ..selected(decl, Vec::new())
                });
            }
            (RawValue::Expr(expr), false) if name == "custom" => {
                match args::string_literal(expr).map(LitStr::value) {
                    Some(custom)
                        if !custom.is_empty() && !custom.chars().any(char::is_whitespace) =>
                    {
                        chosen = Some(Selected {
                            mode: arg.name.span(),
                            custom_stage: Some(custom),
                            ..selected(&kinds::custom::DECL, Vec::new())
                        });
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
            (RawValue::Flag, true) if words.contains(&name.as_str()) => {
                cx.error_spanned_by(
                    &arg.name,
                    "a `rag_stage` has one kind; annotate each stage function separately",
                );
                return None;
            }
            _ => rest.push(arg),
        }
    }
    let Some(mut chosen) = chosen else {
        let mut expected = words;
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
    chosen.rest = rest;
    Some(chosen)
}

/// `#[agent_step]`: the first argument decides. `agent = "…"` makes an agent root; `step`, any
/// other step argument or no argument at all makes a step.
fn select_agent(cx: &Ctxt, mut raw: Vec<RawArg>) -> Option<Selected> {
    let root = &kinds::agent::DECL;
    let step = &kinds::step::DECL;
    let Some(first) = raw.first() else {
        return Some(selected(step, raw));
    };
    let first_name = first.name.to_string();
    let is_step_arg = |name: &str| known(step, name).is_some();
    if first_name == "agent" {
        let mode = first.name.span();
        return Some(Selected {
            mode,
            ..selected(root, raw)
        });
    }
    if first_name == "step" && matches!(first.value, RawValue::Flag) {
        raw.remove(0);
        return Some(Selected {
            mode_words: &["step"],
            ..selected(step, raw)
        });
    }
    if is_step_arg(&first_name) {
        return Some(Selected {
            mode_words: &["step"],
            ..selected(step, raw)
        });
    }
    if known(root, &first_name).is_some() {
        cx.error_spanned_by(
            &first.name,
            format_args!(
                "`{first_name}` is an argument of an agent root, which starts with \
                 `agent = \"…\"` (its name, `gen_ai.agent.name`): write \
                 `#[agent_step(agent = \"…\", provider = \"…\", {first_name} = …)]`, or \
                 `#[agent_step(step)]` for a step of an agent"
            ),
        );
        return None;
    }
    // Neither mode: suggest among both modes' first words and the step's arguments.
    let candidates = ["agent", "step"]
        .into_iter()
        .chain(step.args.iter().chain(step.common).map(|(name, _)| *name));
    let near = did_you_mean(&first_name, candidates.clone());
    cx.error_spanned_by(
        &first.name,
        unknown_argument("agent_step", &first_name, candidates),
    );
    // Read the rest in the mode the suggestion names, so later errors speak of the right one.
    let decl = if near == Some("agent") { root } else { step };
    raw.remove(0);
    Some(selected(decl, raw))
}

/// The target of `name` in `decl`'s table.
fn known(decl: &Decl, name: &str) -> Option<Target> {
    decl.args
        .iter()
        .chain(decl.common)
        .find(|(known, _)| *known == name)
        .map(|(_, target)| *target)
}

/// Reads every argument against the chosen kind's table, recording each problem.
fn read(cx: &Ctxt, selected: Selected) -> Args {
    let Selected {
        decl,
        mode,
        custom_stage,
        rest,
        mode_words,
    } = selected;
    let mut args = Args {
        decl,
        mode,
        krate: syn::parse_quote!(::llmscope),
        operation: None,
        custom_stage,
        name: None,
        provider: None,
        model: None,
        service_tier: None,
        values: Vec::new(),
        usage: None,
        usage_fn: None,
        output_fn: None,
        capture: None,
        prompt: None,
        system: None,
        query: None,
        tool_arguments: None,
        rerank_input: None,
        decision: None,
        returns_stream: None,
    };
    let mut seen: Vec<String> = Vec::new();
    for arg in rest {
        let name = arg.name.to_string();
        let Some(target) = known(decl, &name) else {
            if decl.label == kinds::step::DECL.label && name == "agent" {
                cx.error_spanned_by(
                    &arg.name,
                    "`agent = \"…\"` makes an agent root and comes first: \
                     `#[agent_step(agent = \"…\", provider = \"…\", …)]`",
                );
                continue;
            }
            let candidates = decl
                .args
                .iter()
                .chain(decl.common)
                .map(|(known, _)| *known)
                .chain(mode_words.iter().copied());
            cx.error_spanned_by(&arg.name, unknown_argument(decl.label, &name, candidates));
            continue;
        };
        if seen.contains(&name) {
            cx.error_spanned_by(&arg.name, format_args!("duplicate `{name}` argument"));
            continue;
        }
        seen.push(name.clone());
        match (target, arg.value) {
            (Target::Attrs, RawValue::List(entries)) => {
                for entry in entries {
                    let (ty, origin) = match entry.key {
                        AttrKey::Semconv(literal) => (
                            registry::lookup(&literal.value())
                                .map_or(AttrType::Any, |attribute| attribute.ty),
                            Origin::Semconv(literal),
                        ),
                        AttrKey::Custom(literal) => (AttrType::Any, Origin::Custom(literal)),
                    };
                    let key = match &origin {
                        Origin::Semconv(literal) | Origin::Custom(literal) => literal.value(),
                        Origin::Argument(_) => unreachable!("an `attrs` entry"),
                    };
                    args.values.push(SpanValue {
                        key,
                        ty,
                        expr: entry.value,
                        origin,
                    });
                }
            }
            (Target::Attrs, _) => cx.error_spanned_by(
                &arg.name,
                "expected `attrs(\"gen_ai.…\" = value, custom(\"app.key\") = value, …)`",
            ),
            (_, RawValue::Flag) => {
                cx.error_spanned_by(&arg.name, format_args!("expected a value: `{name} = …`"))
            }
            (_, RawValue::List(_)) => {
                cx.error_spanned_by(&arg.name, format_args!("expected `{name} = …`, not a list"))
            }
            (target, RawValue::Expr(expr)) => value_arg(cx, &mut args, arg.name, target, expr),
        }
    }
    args
}

fn value_arg(cx: &Ctxt, args: &mut Args, name: Ident, target: Target, expr: Expr) {
    match target {
        Target::Provider => args.provider = Some(expr),
        Target::Model => args.model = Some(expr),
        Target::Operation(choices) => {
            args.operation = args::choice(cx, &name, &expr, choices).map(|(choice, _)| choice)
        }
        Target::Semconv(key) => {
            let attribute = registry::lookup(key).expect("argument tables name registry keys");
            args.values.push(SpanValue {
                key: key.to_owned(),
                ty: attribute.ty,
                expr,
                origin: Origin::Argument(name),
            });
        }
        Target::Extension(key, ty) => args.values.push(SpanValue {
            key: key.to_owned(),
            ty,
            expr,
            origin: Origin::Argument(name),
        }),
        Target::Name => args.name = Some(expr),
        Target::Crate => {
            if let Some(path) = args::crate_path(cx, &expr) {
                args.krate = path;
            }
        }
        Target::Usage => match args::function_path(&expr) {
            Some(path) => args.usage_fn = Some(path),
            None => {
                args.usage = args::bool_literal(
                    cx,
                    &name,
                    &expr,
                    "`true`, `false` or the path of a function `fn(&T) -> impl llmscope::Usage`",
                )
            }
        },
        Target::Output => match args::function_path(&expr) {
            Some(path) => args.output_fn = Some(path),
            None => cx.error_spanned_by(
                &expr,
                "expected the path of a function `fn(&T) -> impl llmscope::capture::Content` for `output`",
            ),
        },
        Target::ServiceTier => args.service_tier = Some(expr),
        Target::Capture => {
            args.capture = args::choice(cx, &name, &expr, CAPTURE_MODES).map(|(mode, _)| mode)
        }
        Target::Prompt => args.prompt = Some(expr),
        Target::System => args.system = Some(expr),
        Target::Query => args.query = Some(expr),
        Target::ToolArguments => args.tool_arguments = Some(expr),
        Target::RerankInput => args.rerank_input = Some(expr),
        Target::Decision(choices) => {
            args.decision = args::choice(cx, &name, &expr, choices).map(|(choice, _)| choice)
        }
        Target::Returns(choices) => {
            args.returns_stream = args::choice(cx, &name, &expr, choices).map(|(_, span)| span)
        }
        Target::Attrs => unreachable!("handled by the caller"),
    }
}
