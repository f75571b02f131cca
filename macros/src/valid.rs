//! The one validation pass of the span macros: values against the semconv registry, the keys
//! of `attrs(...)`, required arguments, and what the annotated function must be.

use proc_macro2::TokenStream;
use syn::{Expr, Signature};

use crate::args::{self, LiteralKind};
use crate::ctxt::Ctxt;
use crate::message::{backticked, did_you_mean, hint_or};
use crate::parse::{Args, Origin};
use crate::registry::{self, AttrType};

/// The service tiers the pricing registry knows (`default` is OpenAI's name for `standard`).
const SERVICE_TIERS: &[&str] = &["standard", "default", "batch", "flex", "priority"];

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

/// Provider names people write for which semconv has a well-known `gen_ai.provider.name`
/// value too far away for a spelling suggestion (compared lowercase, `-` read as `_`).
const PROVIDER_NAMES: &[(&str, &str)] = &[
    ("gemini", "gcp.gemini"),
    ("google", "gcp.gen_ai"),
    ("vertex", "gcp.vertex_ai"),
    ("vertexai", "gcp.vertex_ai"),
    ("vertex_ai", "gcp.vertex_ai"),
    ("mistral", "mistral_ai"),
    ("mistralai", "mistral_ai"),
    ("bedrock", "aws.bedrock"),
    ("aws", "aws.bedrock"),
    ("azure", "azure.ai.openai"),
    ("azure_openai", "azure.ai.openai"),
    ("watsonx", "ibm.watsonx.ai"),
    ("ibm", "ibm.watsonx.ai"),
    ("grok", "x_ai"),
    ("xai", "x_ai"),
];

/// Checks every argument value and the required arguments.
pub(crate) fn check(cx: &Ctxt, args: &Args) {
    let provider = registry::lookup("gen_ai.provider.name").expect("in registry");
    let mut keys: Vec<&str> = Vec::new();
    if let Some(expr) = &args.provider {
        if check_value(cx, "`provider`", provider.ty, expr) {
            check_member(cx, provider, expr);
        }
        keys.push(provider.name);
    }
    if let Some(expr) = &args.model {
        check_value(cx, "`model`", AttrType::String, expr);
        keys.push("gen_ai.request.model");
    }
    if let Some(expr) = &args.service_tier {
        check_service_tier(cx, expr);
    }
    // Named arguments first: an `attrs(...)` entry repeating one is the duplicate, wherever
    // it is written.
    for value in &args.values {
        if let Origin::Argument(name) = &value.origin {
            if check_value(cx, &format!("`{name}`"), value.ty, &value.expr) {
                if let Some(attribute) = registry::lookup(&value.key) {
                    check_member(cx, attribute, &value.expr);
                }
            }
            keys.push(&value.key);
        }
    }
    for value in &args.values {
        let (Origin::Semconv(literal) | Origin::Custom(literal)) = &value.origin else {
            continue;
        };
        let key = value.key.as_str();
        if keys.contains(&key) {
            cx.error_spanned_by(literal, format_args!("duplicate attribute `{key}`"));
            continue;
        }
        keys.push(key);
        match &value.origin {
            Origin::Semconv(_) => check_semconv_entry(cx, literal, key, &value.expr),
            _ => {
                if let Some(reason) = invalid_custom_key(key) {
                    cx.error_spanned_by(literal, reason);
                }
            }
        }
    }
    for required in args.decl.required {
        if !args.has(required.arg) {
            cx.error_at(args.mode, required.message);
        }
    }
}

fn check_semconv_entry(cx: &Ctxt, literal: &syn::LitStr, key: &str, expr: &Expr) {
    let Some(attribute) = registry::lookup(key) else {
        let hint = hint_or(
            key,
            registry::ATTRIBUTES
                .iter()
                .filter(|a| a.deprecated.is_none())
                .map(|a| a.name),
            || {
                format!(
                    "; write `custom(\"{key}\") = …` for a key outside the semantic conventions"
                )
            },
        );
        cx.error_spanned_by(literal, format_args!("unknown attribute `{key}`{hint}"));
        return;
    };
    if let Some(deprecation) = &attribute.deprecated {
        let message = match deprecation.renamed_to {
            Some(renamed) => format!("`{key}` is deprecated in semconv v1.41.0; use `{renamed}`"),
            None => format!(
                "`{key}` is deprecated in semconv v1.41.0: {}",
                deprecation.note
            ),
        };
        cx.error_spanned_by(literal, message);
        return;
    }
    if CONTENT_KEYS.contains(&key) {
        cx.error_spanned_by(
            literal,
            format_args!(
                "`{key}` is content and is written only under the capture policy; \
                 it cannot be set through `attrs(...)`"
            ),
        );
        return;
    }
    if check_value(cx, &format!("`{key}`"), attribute.ty, expr) {
        check_member(cx, attribute, expr);
    }
}

fn check_service_tier(cx: &Ctxt, expr: &Expr) {
    if !check_value(cx, "`service_tier`", AttrType::String, expr) {
        return;
    }
    let Some(literal) = args::string_literal(expr) else {
        return;
    };
    let tier = literal.value();
    if SERVICE_TIERS.contains(&tier.as_str()) {
        return;
    }
    let hint = hint_or(&tier, SERVICE_TIERS.iter().copied(), || {
        format!("; expected {}", backticked(SERVICE_TIERS))
    });
    cx.error_spanned_by(literal, format_args!("unknown service tier `{tier}`{hint}"));
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
/// well-known member, or a provider's everyday name, is almost certainly a mistake.
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
    let name = attribute.name;
    if let Some(near) = did_you_mean(&value, attribute.members.iter().copied()) {
        cx.error_spanned_by(
            literal,
            format_args!("unknown `{name}` value `{value}`; did you mean `{near}`?"),
        );
        return;
    }
    if name == "gen_ai.provider.name" {
        let spoken = value.to_lowercase().replace('-', "_");
        if let Some((_, well_known)) = PROVIDER_NAMES.iter().find(|(alias, _)| *alias == spoken) {
            cx.error_spanned_by(
                literal,
                format_args!(
                    "`{value}` is not semconv's name for this provider; write \
                     `provider = \"{well_known}\"`, the well-known `{name}` value \
                     (semconv v1.41.0)"
                ),
            );
        }
    }
}

/// Checks `returns = stream` against the written return type: the macro must be able to
/// hand back a recorded stream of that type.
pub(crate) fn check_returns(cx: &Ctxt, args: &Args, sig: &Signature) {
    let Some(stream) = args.returns_stream else {
        return;
    };
    if let Some((ty, message)) = crate::stream::undeclarable(&sig.output) {
        match ty {
            Some(ty) => cx.error_spanned_by(ty, message),
            None => cx.error_at(stream, message),
        }
    }
}

/// Checks what the span macros cannot wrap.
pub(crate) fn check_signature(cx: &Ctxt, macro_name: &str, sig: &Signature) {
    if let Some(constness) = &sig.constness {
        cx.error_spanned_by(
            constness,
            format_args!("`#[{macro_name}]` cannot be used on a `const fn`"),
        );
    }
    if let Some(variadic) = &sig.variadic {
        cx.error_spanned_by(
            variadic,
            format_args!("`#[{macro_name}]` cannot be used on a variadic function"),
        );
    }
}

/// The error for an item that is not a function with a body.
pub(crate) fn not_a_function(
    macro_name: &str,
    item: &TokenStream,
    error: syn::Error,
) -> syn::Error {
    if let Ok(method) = syn::parse2::<syn::TraitItemFn>(item.clone()) {
        if method.default.is_none() {
            return syn::Error::new_spanned(
                &method.sig,
                format_args!(
                    "`#[{macro_name}]` needs a function body; put it on the implementation of `{}`",
                    method.sig.ident
                ),
            );
        }
    }
    let mut message = syn::Error::new(
        error.span(),
        format_args!("`#[{macro_name}]` can only be used on functions"),
    );
    message.combine(error);
    message
}
