//! `#[derive(Usage)]`: from syn → validate → expand, with a stub impl on error.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned as _;
use syn::{Data, DeriveInput, Fields, Ident, Path, Type};

use crate::ctxt::Ctxt;
use crate::message::{backticked, hint, hint_or};

/// What a field contributes to the usage.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    InputTokens,
    OutputTokens,
    CacheReadTokens,
    CacheWriteTokens,
    CacheWrite1hTokens,
    ReasoningTokens,
    ResponseModel,
    ResponseId,
    FinishReason,
    FinishReasons,
    Completion,
    ServiceTier,
    Flatten,
}

const ROLES: &[(&str, Role)] = &[
    ("input_tokens", Role::InputTokens),
    ("output_tokens", Role::OutputTokens),
    ("cache_read_tokens", Role::CacheReadTokens),
    ("cache_write_tokens", Role::CacheWriteTokens),
    ("cache_write_1h_tokens", Role::CacheWrite1hTokens),
    ("reasoning_tokens", Role::ReasoningTokens),
    ("response_model", Role::ResponseModel),
    ("response_id", Role::ResponseId),
    ("finish_reason", Role::FinishReason),
    ("finish_reasons", Role::FinishReasons),
    ("completion", Role::Completion),
    ("service_tier", Role::ServiceTier),
    ("flatten", Role::Flatten),
];

const CONTAINER: &[&str] = &["input_excludes_cache", "output_excludes_reasoning", "crate"];

struct Field<'a> {
    member: &'a Ident,
    ty: &'a Type,
    role: Role,
}

struct Container {
    krate: Path,
    input_excludes_cache: bool,
    output_excludes_reasoning: bool,
}

/// Expands `#[derive(Usage)]`.
pub(crate) fn derive(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.into_compile_error(),
    };
    let cx = Ctxt::new();
    let container = container(&cx, &input);
    let fields = fields(&cx, &input);
    if fields.is_empty() && !any_field_has_a_role(&input) {
        cx.error_spanned_by(
            &input.ident,
            format_args!(
                "`#[derive(Usage)]` on `{}` records nothing: no field has a `#[usage(...)]` role; \
                 mark the provider's counts (`#[usage(input_tokens)]`, `#[usage(output_tokens)]`, …), \
                 or, to record no usage, remove the derive and write `usage = false` on the \
                 `#[llm_call]` that returns it",
                input.ident
            ),
        );
    }
    match cx.check() {
        Ok(()) => expand(&input, &container, &fields),
        Err(error) => {
            let stub = stub(&input, &container.krate);
            let error = error.into_compile_error();
            quote!(#error #stub)
        }
    }
}

fn container(cx: &Ctxt, input: &DeriveInput) -> Container {
    let mut container = Container {
        krate: syn::parse_quote!(::llmscope),
        input_excludes_cache: false,
        output_excludes_reasoning: false,
    };
    for attr in input
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("usage"))
    {
        let result = attr.parse_nested_meta(|meta| {
            let Some(ident) = meta.path.get_ident() else {
                cx.error_spanned_by(&meta.path, "expected a `usage` container option");
                return Ok(());
            };
            match ident.to_string().as_str() {
                "input_excludes_cache" => set_flag(cx, ident, &mut container.input_excludes_cache),
                "output_excludes_reasoning" => {
                    set_flag(cx, ident, &mut container.output_excludes_reasoning)
                }
                "crate" => container.krate = meta.value()?.parse()?,
                other => {
                    let field_role = ROLES.iter().any(|(name, _)| *name == other);
                    let hint = if field_role {
                        format!("; `{other}` is a field role: put it on the field")
                    } else {
                        hint_or(other, CONTAINER.iter().copied(), || {
                            format!("; expected {}", backticked(CONTAINER))
                        })
                    };
                    cx.error_spanned_by(
                        ident,
                        format_args!("unknown `usage` container option `{other}`{hint}"),
                    );
                }
            }
            Ok(())
        });
        if let Err(error) = result {
            cx.push(error);
        }
    }
    container
}

fn set_flag(cx: &Ctxt, ident: &Ident, flag: &mut bool) {
    if *flag {
        cx.error_spanned_by(ident, format_args!("duplicate `{ident}` option"));
    }
    *flag = true;
}

fn fields<'a>(cx: &Ctxt, input: &'a DeriveInput) -> Vec<Field<'a>> {
    let named = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(named) => named,
            Fields::Unnamed(unnamed) => {
                cx.error_spanned_by(
                    unnamed,
                    "`#[derive(Usage)]` supports structs with named fields only",
                );
                return Vec::new();
            }
            Fields::Unit => {
                cx.error_spanned_by(
                    &input.ident,
                    "`#[derive(Usage)]` supports structs with named fields only",
                );
                return Vec::new();
            }
        },
        Data::Enum(data) => {
            cx.error_spanned_by(
                data.enum_token,
                "`#[derive(Usage)]` supports structs with named fields only",
            );
            return Vec::new();
        }
        Data::Union(data) => {
            cx.error_spanned_by(
                data.union_token,
                "`#[derive(Usage)]` supports structs with named fields only",
            );
            return Vec::new();
        }
    };
    let mut result: Vec<Field<'a>> = Vec::new();
    for field in &named.named {
        let member = field.ident.as_ref().expect("named field");
        let mut field_role: Option<Role> = None;
        for attr in field
            .attrs
            .iter()
            .filter(|attr| attr.path().is_ident("usage"))
        {
            let parsed = attr.parse_nested_meta(|meta| {
                let Some(ident) = meta.path.get_ident() else {
                    cx.error_spanned_by(&meta.path, "expected a `usage` role");
                    return Ok(());
                };
                let name = ident.to_string();
                let Some((_, role)) = ROLES.iter().find(|(known, _)| *known == name) else {
                    let hint = if CONTAINER.contains(&name.as_str()) {
                        format!("; `{name}` is a container option: put it on the struct")
                    } else {
                        hint(&name, ROLES.iter().map(|(known, _)| *known))
                    };
                    cx.error_spanned_by(ident, format_args!("unknown `usage` role `{name}`{hint}"));
                    return Ok(());
                };
                if field_role.is_some() {
                    cx.error_spanned_by(
                        ident,
                        format_args!("field `{member}` already has a `usage` role"),
                    );
                    return Ok(());
                }
                if *role != Role::Flatten {
                    if let Some(first) = result.iter().find(|field| field.role == *role) {
                        cx.error_spanned_by(
                            ident,
                            format_args!(
                                "duplicate `{name}` role (already on field `{}`)",
                                first.member
                            ),
                        );
                        return Ok(());
                    }
                }
                field_role = Some(*role);
                Ok(())
            });
            if let Err(error) = parsed {
                cx.push(error);
            }
        }
        if let Some(role) = field_role {
            result.push(Field {
                member,
                ty: &field.ty,
                role,
            });
        }
    }
    result
}

fn expand(input: &DeriveInput, container: &Container, fields: &[Field<'_>]) -> TokenStream {
    let krate = &container.krate;
    let private = quote!(#krate::__private);
    let ident = &input.ident;
    let mut generics = input.generics.clone();
    let type_params: Vec<&Ident> = input
        .generics
        .type_params()
        .map(|param| &param.ident)
        .collect();
    let mut statements = Vec::new();
    for field in fields {
        let member = field.member;
        let span = field.ty.span();
        let ty = field.ty;
        let (bound, statement) = match field.role {
            Role::InputTokens
            | Role::OutputTokens
            | Role::CacheReadTokens
            | Role::CacheWriteTokens
            | Role::CacheWrite1hTokens
            | Role::ReasoningTokens => {
                let setter = match field.role {
                    Role::InputTokens => quote!(set_input_tokens),
                    Role::OutputTokens => quote!(set_output_tokens),
                    Role::CacheReadTokens => quote!(set_cache_read_tokens),
                    Role::CacheWriteTokens => quote!(set_cache_write_tokens),
                    Role::CacheWrite1hTokens => quote!(set_cache_write_1h_tokens),
                    _ => quote!(set_reasoning_tokens),
                };
                (
                    quote_spanned!(span=> #ty: #private::TokenCount),
                    quote_spanned! {span=>
                        if let ::core::option::Option::Some(__llmscope_tokens) = #private::tokens(&self.#member) {
                            #krate::UsageData::#setter(__llmscope_usage, __llmscope_tokens);
                        }
                    },
                )
            }
            Role::ResponseModel | Role::ResponseId | Role::FinishReason | Role::ServiceTier => {
                let setter = match field.role {
                    Role::ResponseModel => quote!(set_response_model),
                    Role::ResponseId => quote!(set_response_id),
                    Role::FinishReason => quote!(push_finish_reason),
                    _ => quote!(set_service_tier),
                };
                (
                    quote_spanned!(span=> #ty: #private::Text),
                    quote_spanned! {span=>
                        if let ::core::option::Option::Some(__llmscope_text) = #private::text(&self.#member) {
                            #krate::UsageData::#setter(__llmscope_usage, __llmscope_text);
                        }
                    },
                )
            }
            Role::FinishReasons | Role::Completion => {
                let setter = match field.role {
                    Role::FinishReasons => quote!(push_finish_reason),
                    _ => quote!(push_completion),
                };
                (
                    quote_spanned!(span=> #ty: #private::Texts),
                    quote_spanned! {span=>
                        #private::texts(&self.#member, |__llmscope_text| #krate::UsageData::#setter(__llmscope_usage, __llmscope_text));
                    },
                )
            }
            Role::Flatten => (
                quote_spanned!(span=> #ty: #krate::Usage),
                quote_spanned! {span=>
                    #krate::Usage::record_usage(&self.#member, __llmscope_usage);
                },
            ),
        };
        if mentions_any(field.ty.to_token_stream(), &type_params) {
            generics
                .make_where_clause()
                .predicates
                .push(syn::parse_quote!(#bound));
        }
        statements.push(statement);
    }
    if container.input_excludes_cache {
        statements
            .push(quote!(#krate::UsageData::set_input_excludes_cache(__llmscope_usage, true);));
    }
    if container.output_excludes_reasoning {
        statements.push(
            quote!(#krate::UsageData::set_output_excludes_reasoning(__llmscope_usage, true);),
        );
    }
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #krate::Usage for #ident #ty_generics #where_clause {
                fn record_usage<'__llmscope>(
                    &'__llmscope self,
                    __llmscope_usage: &mut #krate::UsageData<'__llmscope>,
                ) {
                    #(#statements)*
                }
            }
        };
    }
}

/// An empty impl emitted next to the errors, so uses of the type as a return value do not
/// add "does not implement `Usage`" errors on top of the real one.
fn stub(input: &DeriveInput, krate: &Path) -> TokenStream {
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #krate::Usage for #ident #ty_generics #where_clause {
                fn record_usage<'__llmscope>(
                    &'__llmscope self,
                    _: &mut #krate::UsageData<'__llmscope>,
                ) {
                }
            }
        };
    }
}

/// Whether a field carries a `#[usage(...)]` attribute (valid or not: an invalid one has its
/// own error).
fn any_field_has_a_role(input: &DeriveInput) -> bool {
    let Data::Struct(data) = &input.data else {
        return true;
    };
    let Fields::Named(named) = &data.fields else {
        return true;
    };
    named
        .named
        .iter()
        .any(|field| field.attrs.iter().any(|attr| attr.path().is_ident("usage")))
}

fn mentions_any(tokens: TokenStream, params: &[&Ident]) -> bool {
    tokens.into_iter().any(|token| match token {
        proc_macro2::TokenTree::Ident(ident) => params.iter().any(|param| **param == ident),
        proc_macro2::TokenTree::Group(group) => mentions_any(group.stream(), params),
        _ => false,
    })
}
