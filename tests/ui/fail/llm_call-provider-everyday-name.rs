#[llmscope::llm_call(provider = "gemini", model = "gemini-2.5-flash", usage = false)]
fn ask() {}

#[llmscope::rag_stage(embed, provider = "mistral", model = "mistral-embed", usage = false)]
fn embed() {}

fn main() {}
