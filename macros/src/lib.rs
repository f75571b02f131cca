//! Procedural macros of [llmscope](https://docs.rs/llmscope). Use them through the `llmscope`
//! facade, which documents them in full.

use proc_macro::TokenStream;

mod args;
mod ctxt;
mod expand;
mod registry;
#[cfg(test)]
mod registry_tests;
mod span_args;
mod suggest;
mod usage;
mod valid;

/// Turns a function that calls an LLM into an OpenTelemetry GenAI span; see `llmscope::llm_call`.
#[proc_macro_attribute]
pub fn llm_call(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(expand::Kind::LlmCall, args.into(), item.into()).into()
}

/// Derives `llmscope::Usage`; see `llmscope::Usage`.
#[proc_macro_derive(Usage, attributes(usage))]
pub fn derive_usage(input: TokenStream) -> TokenStream {
    usage::derive(input.into()).into()
}
