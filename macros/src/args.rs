//! The syntax of attribute-macro arguments: a generic list (`name`, `name = value`,
//! `name(...)`) and readers for literal values. What each name means is `parse.rs`'s concern.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt as _;
use syn::parse::{Parse, ParseStream, Parser as _};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, LitStr, Path, Token};

use crate::ctxt::Ctxt;

/// One argument as written: `name`, `name = value` or `name(...)`.
pub(crate) struct RawArg {
    pub(crate) name: Ident,
    pub(crate) value: RawValue,
}

pub(crate) enum RawValue {
    /// `name`
    Flag,
    /// `name = expr`
    Expr(Expr),
    /// `attrs(key = value, ...)`
    List(Vec<AttrEntry>),
}

/// One entry of `attrs(...)`.
pub(crate) struct AttrEntry {
    pub(crate) key: AttrKey,
    pub(crate) value: Expr,
}

/// The key of an `attrs(...)` entry.
pub(crate) enum AttrKey {
    /// `"gen_ai.request.temperature"`: checked against the semconv registry.
    Semconv(LitStr),
    /// `custom("app.tenant")`: outside the registry, not checked.
    Custom(LitStr),
}

impl Parse for RawArg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let name = Ident::parse_any(input)?;
        let value = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            RawValue::Expr(input.parse()?)
        } else if input.peek(syn::token::Paren) {
            let content;
            syn::parenthesized!(content in input);
            let entries = Punctuated::<AttrEntry, Token![,]>::parse_terminated(&content)?;
            RawValue::List(entries.into_iter().collect())
        } else {
            RawValue::Flag
        };
        Ok(RawArg { name, value })
    }
}

impl Parse for AttrEntry {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let key = if input.peek(LitStr) {
            AttrKey::Semconv(input.parse()?)
        } else if input.peek(Ident) {
            let ident: Ident = input.parse()?;
            if ident != "custom" {
                return Err(syn::Error::new(
                    ident.span(),
                    "expected an attribute name as a string literal (`\"gen_ai.request.seed\" = …`) \
                     or a custom key (`custom(\"app.tenant\") = …`)",
                ));
            }
            let content;
            syn::parenthesized!(content in input);
            AttrKey::Custom(content.parse()?)
        } else {
            return Err(input.error(
                "expected an attribute name as a string literal (`\"gen_ai.request.seed\" = …`) \
                 or a custom key (`custom(\"app.tenant\") = …`)",
            ));
        };
        input.parse::<Token![=]>()?;
        let value = input.parse()?;
        Ok(AttrEntry { key, value })
    }
}

/// Parses the argument list; a syntax error is recorded and yields no arguments.
pub(crate) fn parse_list(cx: &Ctxt, tokens: TokenStream) -> Vec<RawArg> {
    match Punctuated::<RawArg, Token![,]>::parse_terminated.parse2(tokens) {
        Ok(args) => args.into_iter().collect(),
        Err(error) => {
            cx.push(error);
            Vec::new()
        }
    }
}

/// The kind of literal a value is, for "wrong value kind" errors.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum LiteralKind {
    Str,
    Int,
    Float,
    Bool,
    Array,
    Other,
}

impl LiteralKind {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            LiteralKind::Str => "a string literal",
            LiteralKind::Int => "an integer literal",
            LiteralKind::Float => "a float literal",
            LiteralKind::Bool => "a boolean literal",
            LiteralKind::Array => "an array",
            LiteralKind::Other => "a literal of another kind",
        }
    }
}

/// The literal kind of `expr`, or `None` if it is not a literal (an expression over the
/// function's parameters, checked by the type system instead).
pub(crate) fn literal_kind(expr: &Expr) -> Option<LiteralKind> {
    match expr {
        Expr::Lit(lit) => Some(match &lit.lit {
            syn::Lit::Str(_) => LiteralKind::Str,
            syn::Lit::Int(_) => LiteralKind::Int,
            syn::Lit::Float(_) => LiteralKind::Float,
            syn::Lit::Bool(_) => LiteralKind::Bool,
            _ => LiteralKind::Other,
        }),
        Expr::Unary(unary) if matches!(unary.op, syn::UnOp::Neg(_)) => {
            match literal_kind(&unary.expr) {
                Some(LiteralKind::Int) => Some(LiteralKind::Int),
                Some(LiteralKind::Float) => Some(LiteralKind::Float),
                _ => None,
            }
        }
        Expr::Array(_) => Some(LiteralKind::Array),
        Expr::Group(group) => literal_kind(&group.expr),
        _ => None,
    }
}

/// The string of a string-literal expression.
pub(crate) fn string_literal(expr: &Expr) -> Option<&LitStr> {
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(lit),
            ..
        }) => Some(lit),
        Expr::Group(group) => string_literal(&group.expr),
        _ => None,
    }
}

/// Reads a `crate = path` value.
pub(crate) fn crate_path(cx: &Ctxt, expr: &Expr) -> Option<Path> {
    match expr {
        Expr::Path(path) if path.qself.is_none() => Some(path.path.clone()),
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(lit),
            ..
        }) => match lit.parse::<Path>() {
            Ok(path) => Some(path),
            Err(_) => {
                cx.error_spanned_by(lit, "expected a path such as `::llmscope`");
                None
            }
        },
        _ => {
            cx.error_spanned_by(expr, "expected a path such as `::llmscope`");
            None
        }
    }
}

/// Reads the path of a function (`extract_usage`, `module::extract`), not a literal.
pub(crate) fn function_path(expr: &Expr) -> Option<Path> {
    match expr {
        Expr::Path(path) if path.qself.is_none() => Some(path.path.clone()),
        Expr::Group(group) => function_path(&group.expr),
        _ => None,
    }
}

/// Reads a boolean literal; `expected` says what else the argument takes.
pub(crate) fn bool_literal(cx: &Ctxt, name: &Ident, expr: &Expr, expected: &str) -> Option<bool> {
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Bool(lit),
            ..
        }) => Some(lit.value),
        _ => {
            cx.error_spanned_by(expr, format_args!("expected {expected} for `{name}`"));
            None
        }
    }
}

/// Reads a bare identifier or a string literal naming one of `choices`.
pub(crate) fn choice(
    cx: &Ctxt,
    name: &Ident,
    expr: &Expr,
    choices: &[&'static str],
) -> Option<(&'static str, Span)> {
    let (text, span) = match expr {
        Expr::Path(path) if path.qself.is_none() && path.path.get_ident().is_some() => {
            let ident = path.path.get_ident().expect("checked");
            (ident.to_string(), ident.span())
        }
        _ => match string_literal(expr) {
            Some(lit) => (lit.value(), lit.span()),
            None => {
                cx.error_spanned_by(
                    expr,
                    format_args!(
                        "expected one of {} for `{name}`",
                        crate::message::backticked(choices)
                    ),
                );
                return None;
            }
        },
    };
    if let Some(found) = choices.iter().find(|choice| **choice == text) {
        return Some((found, span));
    }
    let hint = crate::message::hint_or(&text, choices.iter().copied(), || {
        format!("; expected one of {}", crate::message::backticked(choices))
    });
    cx.error_at(span, format_args!("unknown `{name}` value `{text}`{hint}"));
    None
}
