#[llmscope::llm_call(provider = "openai", model = "gpt-4o", usage = false, prompt = tokens)]
fn chat(tokens: &[u32]) {
    let _ = tokens;
}

fn main() {}
