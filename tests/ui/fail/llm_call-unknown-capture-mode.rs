#[llmscope::llm_call(provider = "openai", model = "gpt-4o", usage = false, capture = redact)]
fn chat() {}

fn main() {}
