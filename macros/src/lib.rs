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
mod stages;
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

/// Turns a stage of a retrieval-augmented pipeline into a span; see `llmscope::rag_stage`.
#[proc_macro_attribute]
pub fn rag_stage(args: TokenStream, item: TokenStream) -> TokenStream {
    stages::attribute(stages::Macro::RagStage, args.into(), item.into()).into()
}

/// Turns an agent run or one of its steps into a span; see `llmscope::agent_step`.
#[proc_macro_attribute]
pub fn agent_step(args: TokenStream, item: TokenStream) -> TokenStream {
    stages::attribute(stages::Macro::AgentStep, args.into(), item.into()).into()
}

/// Turns a tool implementation into an `execute_tool` span; see `llmscope::tool`.
#[proc_macro_attribute]
pub fn tool(args: TokenStream, item: TokenStream) -> TokenStream {
    stages::attribute(stages::Macro::Tool, args.into(), item.into()).into()
}
