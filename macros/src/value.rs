//! Code for attribute values: literals become constants (static strings, no allocation),
//! expressions go through the runtime's typed conversion.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned as _;
use syn::{Expr, LitStr, Path};

use crate::args::{self, LiteralKind};
use crate::registry::AttrType;

/// The kind marker type of an attribute type.
fn kind_marker(krate: &Path, ty: AttrType) -> TokenStream {
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

/// Code describing a call with `expr` as the attribute `key` of type `ty` (after the sampling
/// decision, and not a literal): `Start::describe`, which takes the value by reference so that
/// a call processed on its own thread redacts text without copying it first.
pub(crate) fn describe_tokens(krate: &Path, ty: AttrType, key: &str, expr: &Expr) -> TokenStream {
    let marker = kind_marker(krate, ty);
    quote_spanned! {expr.span()=>
        #krate::__private::Start::describe::<#marker, _>(__llmscope_start, #key, &(#expr));
    }
}

/// Code setting the request model from `expr` (not a literal): `Start::model_of`, which takes
/// the value by reference (see [`describe_tokens`]).
pub(crate) fn model_tokens(krate: &Path, expr: &Expr) -> TokenStream {
    let marker = kind_marker(krate, AttrType::String);
    quote_spanned! {expr.span()=>
        #krate::__private::Start::model_of::<#marker, _>(__llmscope_start, &(#expr));
    }
}

pub(crate) fn literal_value(krate: &Path, ty: AttrType, expr: &Expr) -> Option<TokenStream> {
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
