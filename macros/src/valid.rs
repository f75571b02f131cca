//! Rules that relate arguments to the annotated function.

use proc_macro2::TokenStream;
use syn::Signature;

use crate::ctxt::Ctxt;

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
