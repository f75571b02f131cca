//! llmscope
pub use llmscope_macros::{llm_call, Usage};
pub use llmscope_runtime::*;
