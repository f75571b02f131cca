//! Procedural macros of [llmscope](https://docs.rs/llmscope). Use them through the `llmscope`
//! facade, which documents them in full.
//!
//! One pipeline for every span macro: `parse` (the span kind, chosen from the macro and its
//! mode argument, and its arguments, read against the kind's table in `kinds/`) → `valid`
//! (every error on the user's token, accumulated in a `Ctxt`) → `expand` (the wrapped
//! function). `usage` is the derive.

use proc_macro::TokenStream;

mod args;
mod ctxt;
mod expand;
mod kinds;
mod message;
#[cfg(test)]
mod module_graph_tests;
mod parse;
mod registry;
#[cfg(test)]
mod registry_tests;
mod stream;
mod usage;
mod valid;
mod value;

use kinds::Macro;

/// Turns a function that calls an LLM into an OpenTelemetry GenAI span; see `llmscope::llm_call`.
#[proc_macro_attribute]
pub fn llm_call(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(Macro::LlmCall, args.into(), item.into()).into()
}

/// Turns a stage of a retrieval-augmented pipeline into a span; see `llmscope::rag_stage`.
#[proc_macro_attribute]
pub fn rag_stage(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(Macro::RagStage, args.into(), item.into()).into()
}

/// Turns an agent run or one of its steps into a span; see `llmscope::agent_step`.
#[proc_macro_attribute]
pub fn agent_step(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(Macro::AgentStep, args.into(), item.into()).into()
}

/// Turns a tool implementation into an `execute_tool` span; see `llmscope::tool`.
#[proc_macro_attribute]
pub fn tool(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(Macro::Tool, args.into(), item.into()).into()
}

/// Derives `llmscope::Usage`; see `llmscope::Usage`.
#[proc_macro_derive(Usage, attributes(usage))]
pub fn derive_usage(input: TokenStream) -> TokenStream {
    usage::derive(input.into()).into()
}
