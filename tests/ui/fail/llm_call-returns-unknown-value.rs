// Misspelt `returns` and its value: did you mean.
#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini", returns = steam)]
fn value() -> u32 {
    0
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini", retruns = stream)]
fn argument() -> u32 {
    0
}

fn main() {}
