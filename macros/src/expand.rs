//! The one generator of the span macros: from a span kind's declaration and the parsed
//! arguments to the wrapped function (the disabled fast path, sync and async wrapping, the
//! hooks, and the end strategy).

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned as _;
use syn::{ItemFn, ReturnType};

use crate::ctxt::Ctxt;
use crate::kinds::{
    Before, End, Macro, NameRule, Operation, Return, Scope, SpanKind, Stage, SAMPLING_RELEVANT,
};
use crate::parse::{self, Args};
use crate::registry::AttrType;
use crate::stream;
use crate::{valid, value};

/// Entry point of every span macro: parse, validate, generate; on an error the user's item
/// comes back unchanged with every error recorded.
pub(crate) fn attribute(which: Macro, args: TokenStream, item: TokenStream) -> TokenStream {
    let func: ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(error) => {
            let error = valid::not_a_function(which.name(), &item, error);
            return with_error(item, error);
        }
    };
    let cx = Ctxt::new();
    let parsed = parse::parse(&cx, which, args);
    if let Some(parsed) = &parsed {
        valid::check(&cx, parsed);
        valid::check_returns(&cx, parsed, &func.sig);
    }
    valid::check_signature(&cx, which.name(), &func.sig);
    match (cx.check(), parsed) {
        (Ok(()), Some(parsed)) => function(&parsed, func),
        (Err(error), _) => with_error(func.into_token_stream(), error),
        (Ok(()), None) => unreachable!("a kind that cannot be told always records an error"),
    }
}

/// The user's item unchanged, plus the error: one mistake never cascades into others.
pub(crate) fn with_error(item: TokenStream, error: syn::Error) -> TokenStream {
    let error = error.into_compile_error();
    quote!(#item #error)
}

/// The wrapped function for valid arguments.
fn function(args: &Args, func: ItemFn) -> TokenStream {
    let decl = args.decl;
    let krate = &args.krate;
    let private = quote!(#krate::__private);
    let operation: &str = match decl.operation {
        Operation::Fixed(operation) => operation,
        Operation::Argument(default) => args.operation.unwrap_or(default),
        Operation::CustomStage => args
            .custom_stage
            .as_deref()
            .expect("a custom stage has a name"),
    };
    let span_kind = match decl.span_kind {
        SpanKind::Client => quote!(#private::Kind::Client),
        SpanKind::Internal => quote!(#private::Kind::Internal),
    };

    // The name and the sampling-relevant attributes go to the sampler; the rest is added once
    // the span records.
    let mut sampling = Vec::new();
    let mut describe = Vec::new();
    let stage = match decl.stage {
        Stage::None => None,
        Stage::Fixed(word) => Some(word),
        Stage::Custom => args.custom_stage.as_deref(),
    };
    if let Some(stage) = stage {
        describe.push(quote! {
            #private::Start::literal(
                __llmscope_start,
                #private::keys::LLMSCOPE_STAGE,
                #private::Value::String(#private::StringValue::from(#stage)),
            );
        });
    }
    // A compile-time literal is passed as such: it holds none of the application's data (never
    // redacted) and no run-time allocation (the span shares it).
    if let Some(provider) = &args.provider {
        sampling.push(
            match value::literal_value(krate, AttrType::String, provider) {
                Some(literal) => {
                    quote!(#private::Start::literal_provider(__llmscope_start, #literal);)
                }
                None => {
                    let value = value::value_tokens(krate, AttrType::String, provider);
                    quote!(#private::Start::provider(__llmscope_start, #value);)
                }
            },
        );
    }
    if let Some(model) = &args.model {
        sampling.push(match value::literal_value(krate, AttrType::String, model) {
            Some(literal) => quote!(#private::Start::literal_model(__llmscope_start, #literal);),
            None => value::model_tokens(krate, model),
        });
    }
    if let Some(tier) = &args.service_tier {
        describe.push(match value::literal_value(krate, AttrType::String, tier) {
            Some(literal) => {
                quote!(#private::Start::literal_service_tier(__llmscope_start, #literal);)
            }
            None => {
                let value = value::value_tokens(krate, AttrType::String, tier);
                quote!(#private::Start::service_tier(__llmscope_start, #value);)
            }
        });
    }
    for value in &args.values {
        let key = &value.key;
        if SAMPLING_RELEVANT.contains(&key.as_str()) {
            sampling.push(match value::literal_value(krate, value.ty, &value.expr) {
                Some(literal) => {
                    quote!(#private::Start::literal(__llmscope_start, #key, #literal);)
                }
                None => {
                    let tokens = value::value_tokens(krate, value.ty, &value.expr);
                    quote!(#private::Start::attribute(__llmscope_start, #key, #tokens);)
                }
            });
        } else if let Some(literal) = value::literal_value(krate, value.ty, &value.expr) {
            // A compile-time literal holds none of the application's data: never redacted.
            describe.push(quote!(#private::Start::literal(__llmscope_start, #key, #literal);));
        } else {
            describe.push(value::describe_tokens(krate, value.ty, key, &value.expr));
        }
    }
    if let Some(name) = span_name(args, operation) {
        sampling.push(quote!(#private::Start::name(__llmscope_start, #name);));
    }
    let shape = match decl.end {
        End::BodyOrStream => stream::shape(&func.sig.output, args.returns_stream.is_some()),
        End::BodyReturns => None,
    };
    if shape.is_some() {
        // A stream's usage comes from its chunks (`Usage` on the chunk type); a function
        // over the returned value would see the stream, not the chunks.
        let foreign = [("usage", &args.usage_fn), ("output", &args.output_fn)];
        if let Some((name, Some(path))) = foreign.iter().find(|(_, path)| path.is_some()) {
            let error = syn::Error::new_spanned(
                path,
                format!(
                    "`{name} = path` reads a returned value, not a stream: implement \
                     `llmscope::Usage` on the chunk type instead"
                ),
            )
            .to_compile_error();
            return quote!(#error #func);
        }
    }
    // The attributes a recorded call holds: the operation, each request attribute, and what
    // the return value adds (usage and cost: up to 6 counts, 4 response attributes and 11 cost
    // attributes; other hooks: a few).
    let returned = if decl
        .returns
        .iter()
        .any(|hook| matches!(hook, Return::Usage))
        && args.usage != Some(false)
    {
        21
    } else {
        4
    };
    let attribute_count = 1
        + usize::from(stage.is_some())
        + usize::from(args.provider.is_some())
        + usize::from(args.model.is_some())
        + usize::from(args.service_tier.is_some())
        + args.values.len()
        + usize::from(shape.is_some())
        + returned;
    if shape.is_some()
        && !args
            .values
            .iter()
            .any(|value| value.key == "gen_ai.request.stream")
    {
        describe.push(quote! {
            #private::Start::literal(
                __llmscope_start,
                #private::stream_keys::REQUEST_STREAM,
                #private::Value::Bool(true),
            );
        });
    }

    // Read from the parameters once the span records, before the body takes them.
    let mut before = Vec::new();
    if let Some(prompt) = &args.prompt {
        before.push(quote_spanned! {prompt.span()=>
            #private::Call::capture_input(__llmscope_call_ref, &(#prompt));
        });
    }
    if let Some(system) = &args.system {
        before.push(quote_spanned! {system.span()=>
            #private::Call::capture_system(__llmscope_call_ref, &(#system));
        });
    }
    for (content, slot) in [
        (&args.query, quote!(RetrievalQuery)),
        (&args.tool_arguments, quote!(ToolArguments)),
    ] {
        if let Some(content) = content {
            before.push(quote_spanned! {content.span()=>
                {
                    #[allow(unused_imports)]
                    use #private::CaptureContent as _;
                    (&&&&#private::Dispatch(&(#content)))
                        .capture_content(__llmscope_call_ref, #private::Slot::#slot);
                }
            });
        }
    }
    if let Some(input) = &args.rerank_input {
        before.push(quote_spanned! {input.span()=>
            #private::record_rerank_input(__llmscope_call_ref, &(#input));
        });
    }
    for hook in decl.before {
        before.push(match hook {
            Before::BeginStep => quote!(#private::begin_step(__llmscope_call_ref);),
            Before::BeginTool => quote!(#private::begin_tool(__llmscope_call_ref);),
        });
    }
    let mut after_start = if before.is_empty() {
        TokenStream::new()
    } else {
        quote! {
            if let ::core::option::Option::Some(__llmscope_call_ref) = &mut __llmscope_call {
                #(#before)*
            }
        }
    };
    if shape.is_some() {
        after_start.extend(quote! {
            let __llmscope_started = #private::stream_started(&__llmscope_call);
        });
    }

    // Read from the returned value, before the outcome and the end.
    let output_span = output_span(&func.sig);
    let mut record = Vec::new();
    for hook in decl.returns {
        record.push(match hook {
            Return::Usage => match usage_and_output(args, &private, output_span) {
                Some(tokens) => tokens,
                None => continue,
            },
            Return::Documents => quote_spanned! {output_span=>
                #private::record_documents(&mut __llmscope_call, &__llmscope_output);
            },
            Return::RerankOutput => quote_spanned! {output_span=>
                #private::record_rerank_output(&mut __llmscope_call, &__llmscope_output);
            },
            Return::PromptLength => quote! {{
                #[allow(unused_imports)]
                use #private::PromptLength as _;
                (&&#private::Dispatch(&__llmscope_output)).record_prompt_length(&mut __llmscope_call);
            }},
            Return::StepDecision => {
                let declared = match args.decision {
                    Some(decision) => quote!(::core::option::Option::Some(#decision)),
                    None => quote!(::core::option::Option::None),
                };
                quote! {{
                    #[allow(unused_imports)]
                    use #private::ReadDecision as _;
                    let __llmscope_decision = (&#private::Dispatch(&__llmscope_output)).read_decision();
                    #private::finish_step(&mut __llmscope_call, __llmscope_decision, #declared);
                }}
            }
            Return::ToolResult => quote! {{
                #[allow(unused_imports)]
                use #private::CaptureContent as _;
                (&&&&#private::Dispatch(&__llmscope_output))
                    .capture_content(&mut __llmscope_call, #private::Slot::ToolResult);
            }},
            Return::AgentTotals => quote! {{
                #[allow(unused_imports)]
                use #private::IsFailure as _;
                let __llmscope_failed = (&#private::Dispatch(&__llmscope_output)).failed();
                #private::Agent::finish(__llmscope_agent, &mut __llmscope_call, __llmscope_failed);
            }},
        });
    }

    let (begin, enter, instrument) = match decl.scope {
        Scope::Call => (
            TokenStream::new(),
            quote!(#private::Call::enter(&mut __llmscope_call)),
            quote!(#private::Call::instrument(&__llmscope_call, __llmscope_body)),
        ),
        Scope::Agent => {
            let max_steps = match args.value("max_steps") {
                Some(expr) => value::value_tokens(krate, AttrType::Int, expr),
                None => quote!(::core::option::Option::None),
            };
            after_start.extend(quote! {
                let __llmscope_max_steps = match &__llmscope_call {
                    ::core::option::Option::Some(_) => #max_steps,
                    ::core::option::Option::None => ::core::option::Option::None,
                };
            });
            (
                quote! {
                    let __llmscope_agent = #private::Agent::begin(&__llmscope_call, __llmscope_max_steps);
                },
                quote!(#private::Agent::enter(&__llmscope_agent)),
                quote!(#private::Agent::instrument(&__llmscope_agent, __llmscope_body)),
            )
        }
    };
    wrap(
        &Wrapper {
            krate,
            operation: quote!(#operation),
            span_kind,
            attribute_count,
            capture: args.capture,
            sampling,
            describe,
            after_start,
            begin,
            enter,
            instrument,
            end: match &shape {
                Some(shape) => stream::end(
                    shape,
                    &private,
                    args.usage != Some(false),
                    output_span,
                    &func.sig.ident,
                ),
                None => end(decl.end, krate, &record),
            },
            off: match &shape {
                Some(shape) => stream::off(shape, &private),
                None => quote!(__llmscope_output),
            },
            fake_return: shape.as_ref().map(stream::fake_return),
        },
        func,
    )
}

/// Reads the usage (through `Usage`, or `usage = path`) and the output messages
/// (`output = path`) from the returned value; `None` when neither is read. A function
/// receives the `Ok` value of a `Result` and the returned value otherwise.
fn usage_and_output(args: &Args, private: &TokenStream, output_span: Span) -> Option<TokenStream> {
    let ok_value = quote! {
        #[allow(unused_imports)]
        use #private::{OkValueOfPlain as _, OkValueOfResult as _};
        let __llmscope_value = (&&#private::Dispatch(&__llmscope_output)).ok_value();
    };
    let Some(output) = &args.output_fn else {
        return match (&args.usage_fn, args.usage) {
            (Some(usage), _) => Some(quote_spanned! {usage.span()=> {
                #ok_value
                if let ::core::option::Option::Some(__llmscope_value) = __llmscope_value {
                    let __llmscope_usage = #usage(__llmscope_value);
                    #private::record_usage(&mut __llmscope_call, &__llmscope_usage);
                }
            }}),
            (None, Some(false)) => None,
            (None, _) => Some(quote_spanned! {output_span=>
                #private::record_usage(&mut __llmscope_call, &__llmscope_output);
            }),
        };
    };
    // With `output = …` the usage's completion text is not captured: the function's
    // messages are the output, written once with the usage's first finish reason.
    let finish = match (&args.usage_fn, args.usage) {
        (Some(usage), _) => quote_spanned! {usage.span()=>
            match __llmscope_value {
                ::core::option::Option::Some(__llmscope_value) => {
                    let __llmscope_usage = #usage(__llmscope_value);
                    #private::record_usage_except_output(&mut __llmscope_call, &__llmscope_usage)
                }
                ::core::option::Option::None => ::core::option::Option::None,
            }
        },
        (None, Some(false)) => quote!(::core::option::Option::None),
        (None, _) => quote_spanned! {output_span=>
            #private::record_usage_except_output(&mut __llmscope_call, &__llmscope_output)
        },
    };
    Some(quote_spanned! {output.span()=> {
        #ok_value
        let __llmscope_finish: ::core::option::Option<::std::string::String> = #finish;
        if let ::core::option::Option::Some(__llmscope_value) = __llmscope_value {
            let __llmscope_content = #output(__llmscope_value);
            #private::capture_output(
                &mut __llmscope_call,
                &__llmscope_content,
                ::core::option::Option::as_deref(&__llmscope_finish),
            );
        }
    }})
}

/// The span name, unless the runtime makes it (`{operation} {model}` for a model known only
/// at run time, `{operation}` without one).
fn span_name(args: &Args, operation: &str) -> Option<TokenStream> {
    let krate = &args.krate;
    if let Some(name) = &args.name {
        return Some(match value::literal_string(name) {
            Some(_) => quote!(::std::borrow::Cow::Borrowed(#name)),
            None => quote_spanned! {name.span()=>
                ::std::borrow::Cow::Owned(::std::string::ToString::to_string(&(#name)))
            },
        });
    }
    match args.decl.name {
        NameRule::OperationModel => {
            let model = value::literal_string(args.model.as_ref()?)?;
            let name = value::static_name(&format!("{operation} {model}"), Span::call_site());
            Some(quote!(::std::borrow::Cow::Borrowed(#name)))
        }
        NameRule::OperationThen(arg) => Some(match args.value(arg) {
            Some(expr) => match value::literal_string(expr) {
                Some(word) => {
                    let name = value::static_name(&format!("{operation} {word}"), expr.span());
                    quote!(::std::borrow::Cow::Borrowed(#name))
                }
                None => {
                    let value = value::value_tokens(krate, AttrType::String, expr);
                    quote!(#krate::__private::stage_name(#operation, #value))
                }
            },
            None => quote!(::std::borrow::Cow::Borrowed(#operation)),
        }),
    }
}

/// The end of the recording branch, with `__llmscope_call` and `__llmscope_output` in scope:
/// the return hooks, the outcome, the end of the span, and the value handed back. A new way to
/// end a span (a returned stream that ends it when it finishes or is dropped) is one more arm.
fn end(strategy: End, krate: &syn::Path, record: &[TokenStream]) -> TokenStream {
    let private = quote!(#krate::__private);
    match strategy {
        End::BodyReturns | End::BodyOrStream => quote! {
            #(#record)*
            {
                #[allow(unused_imports)]
                use #private::RecordOutcome as _;
                (&&&&#private::Dispatch(&__llmscope_output)).record_outcome(&mut __llmscope_call);
            }
            #private::Call::end(__llmscope_call);
            __llmscope_output
        },
    }
}

/// The span of the user's return type (or of the fn name when there is none): errors about
/// the returned value point there.
fn output_span(sig: &syn::Signature) -> Span {
    match &sig.output {
        ReturnType::Default => sig.ident.span(),
        ReturnType::Type(_, ty) => ty.span(),
    }
}

/// What a span kind puts around the wrapping all of them share.
struct Wrapper<'a> {
    krate: &'a syn::Path,
    /// `gen_ai.operation.name` (a `&'static str` expression).
    operation: TokenStream,
    /// `Kind::Client` or `Kind::Internal`.
    span_kind: TokenStream,
    /// About how many attributes a recorded call holds.
    attribute_count: usize,
    /// The call's own capture mode (`capture = …`).
    capture: Option<&'static str>,
    /// Statements on `__llmscope_start` run before the sampler decides.
    sampling: Vec<TokenStream>,
    /// Statements on `__llmscope_start` run only when the span records.
    describe: Vec<TokenStream>,
    /// Runs after the span starts, with `__llmscope_call: Option<Call>` in scope.
    after_start: TokenStream,
    /// Runs first in the recording branch.
    begin: TokenStream,
    /// The guard of a sync body.
    enter: TokenStream,
    /// The instrumented future of an async body.
    instrument: TokenStream,
    /// The end of the recording branch ([`end`]).
    end: TokenStream,
    /// The value handed back when the call does not record, from `__llmscope_output`.
    off: TokenStream,
    /// Replaces the type-inference hint of the body (a returned stream's own).
    fake_return: Option<TokenStream>,
}

/// The function with its body run inside the span: the disabled fast path, sync or async
/// wrapping, and recording of the returned value.
fn wrap(wrapper: &Wrapper<'_>, func: ItemFn) -> TokenStream {
    let Wrapper {
        krate,
        operation,
        span_kind,
        attribute_count,
        capture,
        sampling,
        describe,
        after_start,
        begin,
        enter,
        instrument,
        end,
        off,
        fake_return: stream_fake_return,
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
            quote!(::core::option::Option::Some(#private::CaptureMode::#variant))
        }
    };
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
        ..
    } = func;
    let stmts = &block.stmts;
    let fake_return = match stream_fake_return {
        Some(tokens) => tokens.clone(),
        None => fake_return(&sig.output),
    };
    let site = quote! {
        static __LLMSCOPE_SITE: #private::Site = #private::Site {
            operation: #operation,
            kind: #span_kind,
            capture: #capture,
            attributes: #attribute_count,
            learned: #private::AttributeCount::new(),
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
        quote! {
            #site
            let __llmscope_body = async move {
                #fake_return
                #(#stmts)*
            };
            match __llmscope_call {
                ::core::option::Option::None => {
                    let __llmscope_output = __llmscope_body.await;
                    #off
                }
                ::core::option::Option::Some(mut __llmscope_call) => {
                    #begin
                    let __llmscope_output = #instrument.await;
                    #end
                }
            }
        }
    } else {
        quote! {
            #site
            #[allow(unused_mut, clippy::redundant_closure_call)]
            let mut __llmscope_body = move || {
                #fake_return
                #(#stmts)*
            };
            match __llmscope_call {
                ::core::option::Option::None => {
                    let __llmscope_output = __llmscope_body();
                    #off
                }
                ::core::option::Option::Some(mut __llmscope_call) => {
                    #begin
                    let __llmscope_guard = #enter;
                    let __llmscope_output = __llmscope_body();
                    ::core::mem::drop(__llmscope_guard);
                    #end
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
