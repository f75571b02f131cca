#[derive(llmscope::Usage)]
struct Reply {
    #[usage(output_tokens)]
    tokens: u32,
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o", model = "gpt-4o-mini")]
fn chat() -> Reply {
    Reply { tokens: 1 }
}

fn main() {}
