// A return type without `Usage` compiles once usage capture is switched off explicitly.
#[llmscope::llm_call(provider = "openai", model = "gpt-4o", usage = false)]
fn chat(prompt: &str) -> Result<String, std::io::Error> {
    Ok(prompt.to_owned())
}

// Custom providers and custom enum values far from any well-known one are allowed.
#[llmscope::llm_call(provider = "my_gateway", model = "house-model", usage = false, attrs(custom("app.tenant") = "acme"))]
async fn custom_provider() {}

fn main() {
    let _ = chat("hi");
    let _ = custom_provider();
}
