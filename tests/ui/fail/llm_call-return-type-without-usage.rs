#[llmscope::llm_call(provider = "openai", model = "gpt-4o")]
fn chat(prompt: &str) -> Result<String, std::io::Error> {
    Ok(prompt.to_owned())
}

fn main() {}
