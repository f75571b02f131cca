//! Which return types are streams, and the code that hands back a recorded stream (the
//! `End::BodyOrStream` strategy: the span ends when the returned stream finishes or is
//! dropped).
//!
//! The shape is read from the written return type, because the wrapping differs by shape
//! (an opaque `impl Stream` can become the wrapper, a boxed stream must be boxed again, a
//! `Result` is wrapped in its `Ok` arm); what each item *is* (a chunk with usage, an `Err`
//! item) is decided by traits at the expansion site, never by type names. A type the macro
//! cannot see through (an alias such as a provider client's `ChatCompletionResponseStream`)
//! is a stream only when the user says so, `returns = stream`: it is then re-boxed through
//! the runtime's `BoxedStream` trait, whose missing impl is the error on a type that is not a
//! boxed stream.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{GenericArgument, Ident, PathArguments, ReturnType, Type, TypeParamBound};

/// How a returned stream is written.
pub(crate) enum Shape {
    /// `impl Stream<Item = …>` (with any other bounds).
    Impl,
    /// A boxed stream: `Pin<Box<dyn Stream …>>`, `BoxStream<'_, …>`, `LocalBoxStream<'_, …>`.
    Boxed(Type),
    /// A type declared a stream by `returns = stream` that is none of the above (an alias):
    /// it must be a boxed stream, which the runtime's `BoxedStream` trait checks.
    Declared(Type),
    /// `Result<S, E>` (or a one-argument `Result<S>` alias) with `S` one of the above.
    Result {
        ok: Box<Shape>,
        /// The error type, when written (pins `?` inside the body).
        error: Option<Type>,
    },
}

/// The shape of a function's return type, if it returns a stream; `declared` is
/// `returns = stream` (the type is then a stream even when its shape is not recognised).
pub(crate) fn shape(output: &ReturnType, declared: bool) -> Option<Shape> {
    match output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) => match shape_of(ty) {
            Some(shape) => Some(shape),
            None if declared => declared_shape(ty),
            None => None,
        },
    }
}

/// The shape of a type declared a stream: a `Result` of one, or the type itself.
fn declared_shape(ty: &Type) -> Option<Shape> {
    match ty {
        Type::Paren(inner) => declared_shape(&inner.elem),
        Type::Group(inner) => declared_shape(&inner.elem),
        Type::Path(path) if path.qself.is_none() => {
            let last = path.path.segments.last()?;
            let args = type_arguments(&last.arguments);
            if last.ident == "Result" {
                if let Some(ok) = args.first() {
                    let ok = shape_of(ok).or_else(|| declared_shape(ok))?;
                    return Some(Shape::Result {
                        ok: Box::new(ok),
                        error: args.get(1).map(|error| (*error).clone()),
                    });
                }
            }
            Some(Shape::Declared(ty.clone()))
        }
        _ => None,
    }
}

/// What `returns = stream` cannot wrap in `output`: the type to point at and why.
pub(crate) fn undeclarable(output: &ReturnType) -> Option<(Option<&Type>, &'static str)> {
    let ReturnType::Type(_, ty) = output else {
        return Some((
            None,
            "`returns = stream` needs a return type: this function returns `()`",
        ));
    };
    if shape(output, true).is_some() {
        return None;
    }
    let mut inner: &Type = ty;
    while let Type::Paren(paren) = inner {
        inner = &paren.elem;
    }
    let message = match inner {
        Type::ImplTrait(_) => {
            "`returns = stream` needs a `Stream` bound here: write `impl Stream<Item = …>`"
        }
        _ => {
            "`returns = stream` needs a stream type here: `Pin<Box<dyn Stream<Item = …> + Send>>`, \
             `BoxStream<'_, …>`, an alias of one, or a `Result` of one"
        }
    };
    Some((Some(ty), message))
}

fn shape_of(ty: &Type) -> Option<Shape> {
    match ty {
        Type::Paren(inner) => shape_of(&inner.elem),
        Type::Group(inner) => shape_of(&inner.elem),
        Type::ImplTrait(bounds) => has_stream_bound(bounds.bounds.iter()).then_some(Shape::Impl),
        Type::Path(path) if path.qself.is_none() => {
            let last = path.path.segments.last()?;
            let args = type_arguments(&last.arguments);
            match last.ident.to_string().as_str() {
                "BoxStream" | "LocalBoxStream" => Some(Shape::Boxed(ty.clone())),
                "Pin" => {
                    let boxed = args.first()?;
                    is_boxed_dyn_stream(boxed).then(|| Shape::Boxed(ty.clone()))
                }
                "Result" => {
                    let ok = shape_of(args.first()?)?;
                    Some(Shape::Result {
                        ok: Box::new(ok),
                        error: args.get(1).map(|error| (*error).clone()),
                    })
                }
                _ => None,
            }
        }
        _ => None,
    }
}

fn type_arguments(arguments: &PathArguments) -> Vec<&Type> {
    match arguments {
        PathArguments::AngleBracketed(args) => args
            .args
            .iter()
            .filter_map(|arg| match arg {
                GenericArgument::Type(ty) => Some(ty),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn is_boxed_dyn_stream(ty: &Type) -> bool {
    let Type::Path(path) = ty else { return false };
    let Some(last) = path.path.segments.last() else {
        return false;
    };
    if last.ident != "Box" {
        return false;
    }
    match type_arguments(&last.arguments).first() {
        Some(Type::TraitObject(object)) => has_stream_bound(object.bounds.iter()),
        _ => false,
    }
}

fn has_stream_bound<'a>(mut bounds: impl Iterator<Item = &'a TypeParamBound>) -> bool {
    bounds.any(|bound| match bound {
        TypeParamBound::Trait(bound) => bound
            .path
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "Stream"),
        _ => false,
    })
}

/// `if false { return Err::<_, E>(loop {}) }` for a `Result` whose `Ok` type is opaque: the
/// body's `?` then converts into the written error type, as in the original function.
pub(crate) fn fake_return(shape: &Shape) -> TokenStream {
    match shape {
        Shape::Result {
            error: Some(error), ..
        } => quote! {
            #[allow(unreachable_code, clippy::diverging_sub_expression, clippy::empty_loop, clippy::needless_return)]
            if false {
                let __llmscope_fake_error: #error = loop {};
                return ::core::result::Result::Err(__llmscope_fake_error);
            }
        },
        _ => TokenStream::new(),
    }
}

/// The value handed back when the call does not record (`__llmscope_output` in scope).
pub(crate) fn off(shape: &Shape, private: &TokenStream) -> TokenStream {
    match shape {
        Shape::Impl => quote!(#private::RecordedStream::off(__llmscope_output)),
        Shape::Boxed(_) | Shape::Declared(_) => quote!(__llmscope_output),
        Shape::Result { ok, .. } => {
            let inner = off(ok, private);
            quote! {
                match __llmscope_output {
                    ::core::result::Result::Ok(__llmscope_output) => ::core::result::Result::Ok(#inner),
                    ::core::result::Result::Err(__llmscope_error) => ::core::result::Result::Err(__llmscope_error),
                }
            }
        }
    }
}

/// The end of the recording branch (`__llmscope_call`, `__llmscope_output` and
/// `__llmscope_started` in scope): the stream takes the call and ends its span; an `Err`
/// before any stream ends it here. `function` is named in the runtime's diagnostics.
pub(crate) fn end(
    shape: &Shape,
    private: &TokenStream,
    read_usage: bool,
    output: Span,
    function: &Ident,
) -> TokenStream {
    match shape {
        Shape::Impl => record(private, read_usage, output, function),
        Shape::Boxed(ty) => {
            let record = record(private, read_usage, output, function);
            quote! {{
                let __llmscope_boxed: #ty = ::std::boxed::Box::pin(#record);
                __llmscope_boxed
            }}
        }
        Shape::Declared(ty) => {
            // Spanned at the type: a type that is not a boxed stream is reported there.
            let arguments = record_arguments(private, read_usage, output, function);
            quote_spanned! {ty.span()=>
                #private::record_boxed::<#ty>(#arguments)
            }
        }
        Shape::Result { ok, .. } => {
            let inner = end(ok, private, read_usage, output, function);
            quote! {
                match __llmscope_output {
                    ::core::result::Result::Ok(__llmscope_output) => ::core::result::Result::Ok(#inner),
                    ::core::result::Result::Err(__llmscope_error) => {
                        let __llmscope_failed =
                            ::core::result::Result::<::core::convert::Infallible, _>::Err(__llmscope_error);
                        {
                            #[allow(unused_imports)]
                            use #private::RecordOutcome as _;
                            (&&&&#private::Dispatch(&__llmscope_failed)).record_outcome(&mut __llmscope_call);
                        }
                        #private::Call::end(__llmscope_call);
                        match __llmscope_failed {
                            ::core::result::Result::Err(__llmscope_error) => ::core::result::Result::Err(__llmscope_error),
                            ::core::result::Result::Ok(__llmscope_never) => match __llmscope_never {},
                        }
                    }
                }
            }
        }
    }
}

/// `RecordedStream::record(…)` with the reader of this item type: usage through `Usage`
/// (spanned at the return type, so a chunk type without it is reported there), and an `Err`
/// item recorded as the call's error.
fn record(private: &TokenStream, read_usage: bool, output: Span, function: &Ident) -> TokenStream {
    let arguments = record_arguments(private, read_usage, output, function);
    quote!(#private::RecordedStream::record(#arguments))
}

/// The arguments of `RecordedStream::record` (and `BoxedStream::record_boxed`).
fn record_arguments(
    private: &TokenStream,
    read_usage: bool,
    output: Span,
    function: &Ident,
) -> TokenStream {
    let usage = if read_usage {
        quote_spanned! {output=>
            #private::read_chunk_usage(__llmscope_record, __llmscope_item);
        }
    } else {
        TokenStream::new()
    };
    quote! {
        __llmscope_output,
        __llmscope_call,
        &__LLMSCOPE_SITE,
        ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#function)),
        __llmscope_started,
        |__llmscope_item, __llmscope_record| {
            #usage
            #[allow(unused_imports)]
            use #private::IsFailure as _;
            if (&#private::Dispatch(__llmscope_item)).failed() {
                #[allow(unused_imports)]
                use #private::RecordOutcome as _;
                (&&&&#private::Dispatch(__llmscope_item))
                    .record_outcome(#private::StreamRecord::call(__llmscope_record));
                true
            } else {
                false
            }
        },
        #read_usage,
    }
}
