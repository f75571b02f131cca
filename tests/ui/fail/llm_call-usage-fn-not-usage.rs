fn token_count(reply: &String) -> usize {
    reply.len()
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o", usage = token_count)]
fn chat() -> String {
    String::new()
}

fn main() {}
