// `returns = stream` where no stream can be returned.
#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini", returns = stream)]
fn nothing() {}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini", returns = stream)]
fn pair() -> (u32, u32) {
    (1, 2)
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini", returns = stream)]
fn iterator() -> impl Iterator<Item = u32> {
    0..3
}

fn main() {}
