#[llmscope::llm_call(provider = "openai", model = "gpt-4o", usage = false)]
const fn chat() -> u32 {
    1
}

fn main() {}
