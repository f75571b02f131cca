#[llmscope::llm_call(provider = "openai", model = "gpt-4o", usage = false, output = "text")]
fn chat() -> String {
    String::new()
}

fn main() {}
