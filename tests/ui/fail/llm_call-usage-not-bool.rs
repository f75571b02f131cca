#[llmscope::llm_call(provider = "openai", model = "gpt-4o", usage = "no")]
fn chat() -> String {
    String::new()
}

fn main() {}
