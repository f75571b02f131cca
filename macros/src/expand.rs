//! Code generation shared by the span macros: the disabled fast path, sync and async
//! wrapping, and recording of the returned value.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned as _;
use syn::{ItemFn, ReturnType};

use crate::args;
use crate::ctxt::Ctxt;
use crate::span_args::{self, SpanArgs, Table, Target};
use crate::valid;

/// The span macros.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    LlmCall,
}

const LLM_OPERATIONS: &[&str] = &["chat", "text_completion", "generate_content", "embeddings"];

const LLM_CALL: Table = Table {
    macro_name: "llm_call",
    args: &[
        ("provider", Target::Provider),
        ("model", Target::Model),
        ("operation", Target::Operation(LLM_OPERATIONS)),
        ("temperature", Target::Semconv("gen_ai.request.temperature")),
        ("top_p", Target::Semconv("gen_ai.request.top_p")),
        ("top_k", Target::Semconv("gen_ai.request.top_k")),
        ("max_tokens", Target::Semconv("gen_ai.request.max_tokens")),
        ("seed", Target::Semconv("gen_ai.request.seed")),
        (
            "frequency_penalty",
            Target::Semconv("gen_ai.request.frequency_penalty"),
        ),
        (
            "presence_penalty",
            Target::Semconv("gen_ai.request.presence_penalty"),
        ),
        (
            "stop_sequences",
            Target::Semconv("gen_ai.request.stop_sequences"),
        ),
        (
            "choice_count",
            Target::Semconv("gen_ai.request.choice.count"),
        ),
        ("stream", Target::Semconv("gen_ai.request.stream")),
        ("conversation_id", Target::Semconv("gen_ai.conversation.id")),
        ("server_address", Target::Semconv("server.address")),
        ("server_port", Target::Semconv("server.port")),
        ("prompt_template", Target::Semconv("gen_ai.prompt.name")),
        (
            "prompt_version",
            Target::Extension("llmscope.prompt.version", crate::registry::AttrType::String),
        ),
        (
            "feature",
            Target::Extension("llmscope.feature", crate::registry::AttrType::String),
        ),
        ("service_tier", Target::ServiceTier),
        ("prompt", Target::Prompt),
        ("system", Target::System),
        ("capture", Target::Capture),
        ("name", Target::Name),
        ("usage", Target::Usage),
        ("attrs", Target::Attrs),
        ("crate", Target::Crate),
    ],
};

/// Attributes semconv marks `sampling_relevant` for GenAI spans (besides the operation, the
/// provider and the request model, which have their own arguments).
const SAMPLING_RELEVANT: &[&str] = &["server.address", "server.port"];

/// Entry point of every span macro.
pub(crate) fn attribute(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let func: ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(error) => {
            let error = valid::not_a_function(kind_name(kind), &item, error);
            return with_error(item, error);
        }
    };
    let cx = Ctxt::new();
    let raw = args::parse_list(&cx, args);
    let table = match kind {
        Kind::LlmCall => &LLM_CALL,
    };
    let parsed = span_args::interpret(&cx, table, raw);
    for flag in &parsed.flags {
        let hint = crate::suggest::did_you_mean(
            &flag.to_string(),
            table.args.iter().map(|(name, _)| *name),
        )
        .map(|near| format!("; did you mean `{near}`?"))
        .unwrap_or_default();
        cx.error_spanned_by(
            flag,
            format_args!("unknown `{}` argument `{flag}`{hint}", table.macro_name),
        );
    }
    valid::check_signature(&cx, kind_name(kind), &func.sig);
    match cx.check() {
        Ok(()) => function(kind, &parsed, func),
        Err(error) => with_error(func.into_token_stream(), error),
    }
}

pub(crate) fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::LlmCall => "llm_call",
    }
}

/// The user's item unchanged, plus the error: one mistake never cascades into others.
pub(crate) fn with_error(item: TokenStream, error: syn::Error) -> TokenStream {
    let error = error.into_compile_error();
    quote!(#item #error)
}

/// Formats names as "`a`, `b` or `c`".
pub(crate) fn backticked(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

fn function(kind: Kind, parsed: &SpanArgs, func: ItemFn) -> TokenStream {
    let krate = &parsed.krate;
    let private = quote!(#krate::__private);
    let (operation, span_kind, default_usage) = match kind {
        Kind::LlmCall => (
            parsed.operation.map(|(op, _)| op).unwrap_or("chat"),
            quote!(#private::Kind::Client),
            true,
        ),
    };
    let capture_usage = parsed.usage.unwrap_or(default_usage);

    // Sampling-relevant attributes (semconv: provider, operation, request model, server
    // address and port) and the name go to the sampler; the rest is added once the span records.
    let mut sampling = Vec::new();
    let mut describe = Vec::new();
    if let Some(provider) = &parsed.provider {
        let value = span_args::value_tokens(krate, crate::registry::AttrType::String, provider);
        sampling.push(quote!(#private::Start::provider(__llmscope_start, #value);));
    }
    if let Some(model) = &parsed.model {
        let value = span_args::value_tokens(krate, crate::registry::AttrType::String, model);
        sampling.push(quote!(#private::Start::model(__llmscope_start, #value);));
    }
    if let Some(tier) = &parsed.service_tier {
        let value = span_args::value_tokens(krate, crate::registry::AttrType::String, tier);
        describe.push(quote!(#private::Start::service_tier(__llmscope_start, #value);));
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
    let name = match (
        &parsed.name,
        parsed.model.as_ref().and_then(span_args::literal_string),
    ) {
        (Some(name), _) => match span_args::literal_string(name) {
            Some(_) => Some(quote!(::std::borrow::Cow::Borrowed(#name))),
            None => Some(quote_spanned! {name.span()=>
                ::std::borrow::Cow::Owned(::std::string::ToString::to_string(&(#name)))
            }),
        },
        (None, Some(model)) => {
            let name = span_args::static_name(&format!("{operation} {model}"), Span::call_site());
            Some(quote!(::std::borrow::Cow::Borrowed(#name)))
        }
        (None, None) => None,
    };
    if let Some(name) = name {
        sampling.push(quote!(#private::Start::name(__llmscope_start, #name);));
    }

    let output_span = output_span(&func.sig);
    let mut record = Vec::new();
    if capture_usage {
        record.push(quote_spanned! {output_span=>
            #private::record_usage(&mut __llmscope_call, &__llmscope_output);
        });
    }
    let mut capture_content = Vec::new();
    if let Some(prompt) = &parsed.prompt {
        capture_content.push(quote_spanned! {prompt.span()=>
            #private::Call::capture_input(__llmscope_capture, &(#prompt));
        });
    }
    if let Some(system) = &parsed.system {
        capture_content.push(quote_spanned! {system.span()=>
            #private::Call::capture_system(__llmscope_capture, &(#system));
        });
    }
    let after_start = if capture_content.is_empty() {
        TokenStream::new()
    } else {
        quote! {
            if let ::core::option::Option::Some(__llmscope_capture) = &mut __llmscope_call {
                #(#capture_content)*
            }
        }
    };
    wrap(
        &Wrapper {
            krate,
            operation: quote!(#operation),
            span_kind,
            capture: parsed.capture,
            sampling,
            describe,
            after_start,
            begin: TokenStream::new(),
            enter: None,
            instrument: None,
            record,
        },
        func,
    )
}

/// The span of the user's return type (or of the fn name when there is none): errors about
/// the returned value point there.
pub(crate) fn output_span(sig: &syn::Signature) -> Span {
    match &sig.output {
        ReturnType::Default => sig.ident.span(),
        ReturnType::Type(_, ty) => ty.span(),
    }
}

/// What each span macro puts around the wrapping all of them share.
pub(crate) struct Wrapper<'a> {
    pub(crate) krate: &'a syn::Path,
    /// `gen_ai.operation.name` (a `&'static str` expression).
    pub(crate) operation: TokenStream,
    /// `Kind::Client` or `Kind::Internal`.
    pub(crate) span_kind: TokenStream,
    /// The call's own capture mode (`capture = …`).
    pub(crate) capture: Option<&'static str>,
    /// Statements on `__llmscope_start` run before the sampler decides.
    pub(crate) sampling: Vec<TokenStream>,
    /// Statements on `__llmscope_start` run only when the span records.
    pub(crate) describe: Vec<TokenStream>,
    /// Runs after the span starts, with `__llmscope_call: Option<Call>` in scope.
    pub(crate) after_start: TokenStream,
    /// Runs first in the recording branch.
    pub(crate) begin: TokenStream,
    /// The guard of a sync body; default `Call::enter(&mut __llmscope_call)`.
    pub(crate) enter: Option<TokenStream>,
    /// The instrumented future of an async body; default `Call::instrument`.
    pub(crate) instrument: Option<TokenStream>,
    /// Reads `__llmscope_output` into `__llmscope_call` before the outcome and the end.
    pub(crate) record: Vec<TokenStream>,
}

/// The function with its body run inside the span: the disabled fast path, sync or async
/// wrapping, and recording of the returned value.
pub(crate) fn wrap(wrapper: &Wrapper<'_>, func: ItemFn) -> TokenStream {
    let Wrapper {
        krate,
        operation,
        span_kind,
        capture,
        sampling,
        describe,
        after_start,
        begin,
        enter,
        instrument,
        record,
    } = wrapper;
    let private = quote!(#krate::__private);
    let capture = match capture {
        None => quote!(::core::option::Option::None),
        Some(mode) => {
            let variant = match *mode {
                "none" => quote!(None),
                "hash" => quote!(Hash),
                "redacted" => quote!(Redacted),
                _ => quote!(Full),
            };
            quote!(::core::option::Option::Some(#krate::capture::CaptureMode::#variant))
        }
    };
    let record = quote! {
        #(#record)*
        {
            #[allow(unused_imports)]
            use #private::RecordOutcome as _;
            (&&&&#private::Outcome(&__llmscope_output)).record_outcome(&mut __llmscope_call);
        }
        #private::Call::end(__llmscope_call);
    };
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
        ..
    } = func;
    let stmts = &block.stmts;
    let fake_return = fake_return(&sig.output);
    let site = quote! {
        static __LLMSCOPE_SITE: #private::Site = #private::Site {
            operation: #operation,
            kind: #span_kind,
            capture: #capture,
        };
        #[allow(unused_mut)]
        let mut __llmscope_call = #private::start(
            &__LLMSCOPE_SITE,
            |__llmscope_start| {
                #(#sampling)*
            },
            |__llmscope_start| {
                #(#describe)*
            },
        );
        #after_start
    };
    let body = if sig.asyncness.is_some() {
        let instrument = instrument.clone().unwrap_or_else(
            || quote!(#private::Call::instrument(&__llmscope_call, __llmscope_body)),
        );
        quote! {
            #site
            let __llmscope_body = async move {
                #fake_return
                #(#stmts)*
            };
            match __llmscope_call {
                ::core::option::Option::None => __llmscope_body.await,
                ::core::option::Option::Some(mut __llmscope_call) => {
                    #begin
                    let __llmscope_output = #instrument.await;
                    #record
                    __llmscope_output
                }
            }
        }
    } else {
        let enter = enter
            .clone()
            .unwrap_or_else(|| quote!(#private::Call::enter(&mut __llmscope_call)));
        quote! {
            #site
            #[allow(unused_mut, clippy::redundant_closure_call)]
            let mut __llmscope_body = move || {
                #fake_return
                #(#stmts)*
            };
            match __llmscope_call {
                ::core::option::Option::None => __llmscope_body(),
                ::core::option::Option::Some(mut __llmscope_call) => {
                    #begin
                    let __llmscope_guard = #enter;
                    let __llmscope_output = __llmscope_body();
                    ::core::mem::drop(__llmscope_guard);
                    #record
                    __llmscope_output
                }
            }
        }
    };
    quote! {
        #(#attrs)*
        #vis #sig {
            #body
        }
    }
}

/// `if false { let r: Ret = loop {}; return r; }`: tells type inference the body's return type
/// (so `?` and `.into()` resolve as in the original function). Skipped for `impl Trait`.
fn fake_return(output: &ReturnType) -> TokenStream {
    let ReturnType::Type(_, ty) = output else {
        return TokenStream::new();
    };
    if contains_impl(ty.to_token_stream()) {
        return TokenStream::new();
    }
    quote_spanned! {ty.span()=>
        #[allow(
            unknown_lints,
            unreachable_code,
            clippy::diverging_sub_expression,
            clippy::let_unit_value,
            clippy::unreachable,
            clippy::let_with_type_underscore,
            clippy::empty_loop,
            clippy::needless_return
        )]
        if false {
            let __llmscope_fake_return: #ty = loop {};
            return __llmscope_fake_return;
        }
    }
}

fn contains_impl(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|token| match token {
        TokenTree::Ident(ident) => ident == "impl",
        TokenTree::Group(group) => contains_impl(group.stream()),
        _ => false,
    })
}
