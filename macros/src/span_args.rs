//! The arguments of the span macros (`#[llm_call]`, `#[rag_stage]`, `#[agent_step]`):
//! interpretation of the raw list against each macro's table, and value checking.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned as _;
use syn::{Expr, Ident, LitStr, Path};

use crate::args::{self, AttrKey, LiteralKind, RawArg, RawValue};
use crate::ctxt::Ctxt;
use crate::registry::{self, AttrType};
use crate::suggest::did_you_mean;

/// What an argument name sets.
#[derive(Clone, Copy)]
pub(crate) enum Target {
    /// `gen_ai.provider.name`, remembered for pricing.
    Provider,
    /// `gen_ai.request.model`, the span name's second word.
    Model,
    /// `gen_ai.operation.name`: a fixed choice, static.
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
    /// `usage = false`.
    Usage,
    /// `service_tier`: prices the call (`standard`, `batch`, `flex`, `priority`).
    ServiceTier,
    /// `prompt = …`: content captured as `gen_ai.input.messages`.
    Prompt,
    /// `system = …`: content captured as `gen_ai.system_instructions`.
    System,
    /// `capture = none | hash | redacted | full`.
    Capture,
}

/// The capture modes.
pub(crate) const CAPTURE_MODES: &[&str] = &["none", "hash", "redacted", "full"];

/// The service tiers the pricing registry knows (`default` is OpenAI's name for `standard`).
const SERVICE_TIERS: &[&str] = &["standard", "default", "batch", "flex", "priority"];

/// One macro's argument table.
pub(crate) struct Table {
    pub(crate) macro_name: &'static str,
    pub(crate) args: &'static [(&'static str, Target)],
}

/// A value to set at span creation.
pub(crate) struct SpanValue {
    pub(crate) key: String,
    pub(crate) ty: AttrType,
    pub(crate) expr: Expr,
}

/// The interpreted arguments of a span macro.
pub(crate) struct SpanArgs {
    pub(crate) krate: Path,
    pub(crate) operation: Option<(&'static str, Span)>,
    pub(crate) name: Option<Expr>,
    pub(crate) provider: Option<Expr>,
    pub(crate) model: Option<Expr>,
    pub(crate) values: Vec<SpanValue>,
    pub(crate) usage: Option<bool>,
    pub(crate) service_tier: Option<Expr>,
    pub(crate) prompt: Option<Expr>,
    pub(crate) system: Option<Expr>,
    pub(crate) capture: Option<&'static str>,
    /// Positional flags (`#[rag_stage(retrieve)]`), left for the macro to interpret.
    pub(crate) flags: Vec<Ident>,
}

/// Interprets `raw` against `table`, recording every problem in `cx`.
pub(crate) fn interpret(cx: &Ctxt, table: &Table, raw: Vec<RawArg>) -> SpanArgs {
    let mut parsed = SpanArgs {
        krate: syn::parse_quote!(::llmscope),
        operation: None,
        name: None,
        provider: None,
        model: None,
        values: Vec::new(),
        usage: None,
        service_tier: None,
        prompt: None,
        system: None,
        capture: None,
        flags: Vec::new(),
    };
    let mut seen: Vec<String> = Vec::new();
    let mut seen_keys: Vec<String> = Vec::new();
    for arg in raw {
        let name = arg.name.to_string();
        let Some((_, target)) = table.args.iter().find(|(known, _)| *known == name) else {
            if let RawValue::Flag = arg.value {
                parsed.flags.push(arg.name);
                continue;
            }
            let hint = did_you_mean(&name, table.args.iter().map(|(known, _)| *known))
                .map(|near| format!("; did you mean `{near}`?"))
                .unwrap_or_default();
            cx.error_spanned_by(
                &arg.name,
                format_args!("unknown `{}` argument `{name}`{hint}", table.macro_name),
            );
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
                    attr_entry(cx, &mut parsed, &mut seen_keys, entry);
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
            (target, RawValue::Expr(expr)) => {
                value_arg(cx, &mut parsed, &mut seen_keys, &arg.name, *target, expr)
            }
        }
    }
    parsed
}

fn value_arg(
    cx: &Ctxt,
    parsed: &mut SpanArgs,
    seen_keys: &mut Vec<String>,
    name: &Ident,
    target: Target,
    expr: Expr,
) {
    let label = format!("`{name}`");
    match target {
        Target::Provider => {
            let attribute = registry::lookup("gen_ai.provider.name").expect("in registry");
            if check_value(cx, &label, attribute.ty, &expr) {
                check_member(cx, attribute, &expr);
                seen_keys.push(attribute.name.to_owned());
                parsed.provider = Some(expr);
            }
        }
        Target::Model => {
            if check_value(cx, &label, AttrType::String, &expr) {
                seen_keys.push("gen_ai.request.model".to_owned());
                parsed.model = Some(expr);
            }
        }
        Target::Operation(choices) => {
            parsed.operation = args::choice(cx, name, &expr, choices);
        }
        Target::Semconv(key) => {
            let attribute = registry::lookup(key).expect("argument tables name registry keys");
            if check_value(cx, &label, attribute.ty, &expr) {
                check_member(cx, attribute, &expr);
                seen_keys.push(key.to_owned());
                parsed.values.push(SpanValue {
                    key: key.to_owned(),
                    ty: attribute.ty,
                    expr,
                });
            }
        }
        Target::Extension(key, ty) => {
            if check_value(cx, &label, ty, &expr) {
                seen_keys.push(key.to_owned());
                parsed.values.push(SpanValue {
                    key: key.to_owned(),
                    ty,
                    expr,
                });
            }
        }
        Target::Name => parsed.name = Some(expr),
        Target::Crate => {
            if let Some(path) = args::crate_path(cx, &expr) {
                parsed.krate = path;
            }
        }
        Target::Usage => parsed.usage = args::bool_literal(cx, name, &expr),
        Target::ServiceTier => {
            if !check_value(cx, &label, AttrType::String, &expr) {
                return;
            }
            if let Some(literal) = args::string_literal(&expr) {
                let tier = literal.value();
                if !SERVICE_TIERS.contains(&tier.as_str()) {
                    let hint = did_you_mean(&tier, SERVICE_TIERS.iter().copied())
                        .map(|near| format!("; did you mean `{near}`?"))
                        .unwrap_or_else(|| {
                            format!("; expected {}", crate::expand::backticked(SERVICE_TIERS))
                        });
                    cx.error_spanned_by(
                        literal,
                        format_args!("unknown service tier `{tier}`{hint}"),
                    );
                    return;
                }
            }
            parsed.service_tier = Some(expr);
        }
        Target::Prompt => parsed.prompt = Some(expr),
        Target::System => parsed.system = Some(expr),
        Target::Capture => {
            parsed.capture = args::choice(cx, name, &expr, CAPTURE_MODES).map(|(mode, _)| mode)
        }
        Target::Attrs => unreachable!("handled by the caller"),
    }
}

/// Attributes that carry content: only the capture policy may write them.
const CONTENT_KEYS: &[&str] = &[
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
    "gen_ai.retrieval.query.text",
    "gen_ai.retrieval.documents",
    "gen_ai.tool.definitions",
    "gen_ai.prompt",
    "gen_ai.completion",
];

fn attr_entry(
    cx: &Ctxt,
    parsed: &mut SpanArgs,
    seen_keys: &mut Vec<String>,
    entry: args::AttrEntry,
) {
    let literal = entry.key.literal().clone();
    let key = literal.value();
    if seen_keys.contains(&key) {
        cx.error_spanned_by(&literal, format_args!("duplicate attribute `{key}`"));
        return;
    }
    match &entry.key {
        AttrKey::Semconv(_) => {
            let Some(attribute) = registry::lookup(&key) else {
                let hint = did_you_mean(
                    &key,
                    registry::ATTRIBUTES
                        .iter()
                        .filter(|a| a.deprecated.is_none())
                        .map(|a| a.name),
                )
                    .map(|near| format!("; did you mean `{near}`?"))
                    .unwrap_or_else(|| {
                        format!("; write `custom(\"{key}\") = …` for a key outside the semantic conventions")
                    });
                cx.error_spanned_by(&literal, format_args!("unknown attribute `{key}`{hint}"));
                return;
            };
            if let Some(deprecation) = &attribute.deprecated {
                let message = match deprecation.renamed_to {
                    Some(renamed) => {
                        format!("`{key}` is deprecated in semconv v1.41.0; use `{renamed}`")
                    }
                    None => format!(
                        "`{key}` is deprecated in semconv v1.41.0: {}",
                        deprecation.note
                    ),
                };
                cx.error_spanned_by(&literal, message);
                return;
            }
            if CONTENT_KEYS.contains(&key.as_str()) {
                cx.error_spanned_by(
                    &literal,
                    format_args!(
                        "`{key}` is content and is written only under the capture policy; \
                         it cannot be set through `attrs(...)`"
                    ),
                );
                return;
            }
            if check_value(cx, &format!("`{key}`"), attribute.ty, &entry.value) {
                check_member(cx, attribute, &entry.value);
                seen_keys.push(key.clone());
                parsed.values.push(SpanValue {
                    key,
                    ty: attribute.ty,
                    expr: entry.value,
                });
            }
        }
        AttrKey::Custom(_) => {
            if let Some(reason) = invalid_custom_key(&key) {
                cx.error_spanned_by(&literal, reason);
                return;
            }
            seen_keys.push(key.clone());
            parsed.values.push(SpanValue {
                key,
                ty: AttrType::Any,
                expr: entry.value,
            });
        }
    }
}

fn invalid_custom_key(key: &str) -> Option<String> {
    if key.is_empty() {
        return Some("a custom attribute key cannot be empty".to_owned());
    }
    if registry::lookup(key).is_some() {
        return Some(format!(
            "`{key}` is a semantic-convention attribute; write `\"{key}\" = …` so its type is checked"
        ));
    }
    for reserved in ["gen_ai.", "llmscope."] {
        if key.starts_with(reserved) {
            return Some(format!(
                "`{key}` is not a known attribute and the `{reserved}` namespace is reserved; \
                 use your own prefix such as `app.`"
            ));
        }
    }
    if key.chars().any(char::is_whitespace) {
        return Some(format!("attribute key `{key}` contains whitespace"));
    }
    None
}

/// Checks that a literal value has the attribute's type; expressions are checked by the
/// type system through `__private::value`. Returns false after recording an error.
fn check_value(cx: &Ctxt, label: &str, ty: AttrType, expr: &Expr) -> bool {
    let Some(kind) = args::literal_kind(expr) else {
        return true;
    };
    let ok = match ty {
        AttrType::String => kind == LiteralKind::Str,
        AttrType::Int => kind == LiteralKind::Int,
        AttrType::Double => matches!(kind, LiteralKind::Int | LiteralKind::Float),
        AttrType::Boolean => kind == LiteralKind::Bool,
        AttrType::StringArray => kind == LiteralKind::Array && array_of(expr, LiteralKind::Str),
        AttrType::IntArray => kind == LiteralKind::Array && array_of(expr, LiteralKind::Int),
        AttrType::DoubleArray => kind == LiteralKind::Array && array_of(expr, LiteralKind::Float),
        AttrType::BooleanArray => kind == LiteralKind::Array && array_of(expr, LiteralKind::Bool),
        AttrType::Any => kind != LiteralKind::Other,
    };
    if !ok {
        cx.error_spanned_by(
            expr,
            format_args!(
                "{label} expects {}, found {}",
                expected(ty),
                kind.describe()
            ),
        );
    }
    ok
}

fn array_of(expr: &Expr, element: LiteralKind) -> bool {
    let Expr::Array(array) = expr else {
        return false;
    };
    array
        .elems
        .iter()
        .all(|elem| match args::literal_kind(elem) {
            Some(kind) => {
                kind == element || (element == LiteralKind::Float && kind == LiteralKind::Int)
            }
            None => true,
        })
}

fn expected(ty: AttrType) -> &'static str {
    match ty {
        AttrType::String => "a string",
        AttrType::Int => "an integer",
        AttrType::Double => "a number",
        AttrType::Boolean => "a boolean",
        AttrType::StringArray => "an array of strings",
        AttrType::IntArray => "an array of integers",
        AttrType::DoubleArray => "an array of numbers",
        AttrType::BooleanArray => "an array of booleans",
        AttrType::Any => "a scalar or an array",
    }
}

/// Semconv enums are open (custom values are allowed), but a value one typo away from a
/// well-known member is almost certainly a mistake.
fn check_member(cx: &Ctxt, attribute: &registry::Attribute, expr: &Expr) {
    if attribute.members.is_empty() {
        return;
    }
    let Some(literal) = args::string_literal(expr) else {
        return;
    };
    let value = literal.value();
    if attribute.members.contains(&value.as_str()) {
        return;
    }
    if let Some(near) = did_you_mean(&value, attribute.members.iter().copied()) {
        cx.error_spanned_by(
            literal,
            format_args!(
                "unknown `{}` value `{value}`; did you mean `{near}`?",
                attribute.name
            ),
        );
    }
}

/// The kind marker type of an attribute type.
pub(crate) fn kind_marker(krate: &Path, ty: AttrType) -> TokenStream {
    let marker = match ty {
        AttrType::String => quote!(Str),
        AttrType::Int => quote!(Int),
        AttrType::Double => quote!(Double),
        AttrType::Boolean => quote!(Bool),
        AttrType::StringArray => quote!(StrArray),
        AttrType::IntArray => quote!(IntArray),
        AttrType::DoubleArray => quote!(DoubleArray),
        AttrType::BooleanArray => quote!(BoolArray),
        AttrType::Any => quote!(Any),
    };
    quote!(#krate::__private::kind::#marker)
}

/// Code producing `Option<Value>` for `expr` as an attribute of type `ty`: literals become
/// constants (static strings, no allocation); expressions go through the typed conversion.
pub(crate) fn value_tokens(krate: &Path, ty: AttrType, expr: &Expr) -> TokenStream {
    if let Some(tokens) = literal_value(krate, ty, expr) {
        return quote!(::core::option::Option::Some(#tokens));
    }
    let marker = kind_marker(krate, ty);
    quote_spanned! {expr.span()=>
        #krate::__private::value::<#marker, _>(&(#expr))
    }
}

fn literal_value(krate: &Path, ty: AttrType, expr: &Expr) -> Option<TokenStream> {
    let private = quote!(#krate::__private);
    match (args::literal_kind(expr)?, ty) {
        (LiteralKind::Str, AttrType::String | AttrType::Any) => {
            let lit = args::string_literal(expr)?;
            Some(quote!(#private::Value::String(#private::StringValue::from(#lit))))
        }
        (LiteralKind::Int, AttrType::Int | AttrType::Any) => {
            let value = int_value(expr)?;
            let lit = proc_macro2::Literal::i64_suffixed(value);
            Some(quote!(#private::Value::I64(#lit)))
        }
        (LiteralKind::Int | LiteralKind::Float, AttrType::Double)
        | (LiteralKind::Float, AttrType::Any) => {
            let value = float_value(expr)?;
            let lit = proc_macro2::Literal::f64_suffixed(value);
            Some(quote!(#private::Value::F64(#lit)))
        }
        (LiteralKind::Bool, AttrType::Boolean | AttrType::Any) => {
            Some(quote!(#private::Value::Bool(#expr)))
        }
        (LiteralKind::Array, AttrType::StringArray) => {
            let Expr::Array(array) = expr else {
                return None;
            };
            let elems = array
                .elems
                .iter()
                .map(|elem| {
                    args::string_literal(elem).map(|lit| quote!(#private::StringValue::from(#lit)))
                })
                .collect::<Option<Vec<_>>>()?;
            Some(quote!(#private::Value::Array(#private::Array::String(::std::vec![#(#elems),*]))))
        }
        _ => None,
    }
}

fn int_value(expr: &Expr) -> Option<i64> {
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(lit),
            ..
        }) => lit.base10_parse::<i64>().ok(),
        Expr::Unary(unary) if matches!(unary.op, syn::UnOp::Neg(_)) => {
            int_value(&unary.expr).map(|v| -v)
        }
        Expr::Group(group) => int_value(&group.expr),
        _ => None,
    }
}

fn float_value(expr: &Expr) -> Option<f64> {
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Float(lit),
            ..
        }) => lit.base10_parse::<f64>().ok(),
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(lit),
            ..
        }) => lit.base10_parse::<f64>().ok(),
        Expr::Unary(unary) if matches!(unary.op, syn::UnOp::Neg(_)) => {
            float_value(&unary.expr).map(|v| -v)
        }
        Expr::Group(group) => float_value(&group.expr),
        _ => None,
    }
}

/// Literal string value of `expr`, if it is one.
pub(crate) fn literal_string(expr: &Expr) -> Option<String> {
    args::string_literal(expr).map(LitStr::value)
}

/// Tokens for a `&'static str` span name known at compile time.
pub(crate) fn static_name(name: &str, span: Span) -> TokenStream {
    LitStr::new(name, span).into_token_stream()
}
