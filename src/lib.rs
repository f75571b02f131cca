//! llmscope
