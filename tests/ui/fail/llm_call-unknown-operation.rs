#[derive(llmscope::Usage)]
struct Reply {
    #[usage(output_tokens)]
    tokens: u32,
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o", operation = chta)]
fn chat() -> Reply {
    Reply { tokens: 1 }
}

fn main() {}
