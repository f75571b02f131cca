#[derive(llmscope::Usage)]
struct Reply {
    #[usage(output_tokens)]
    tokens: u32,
}

#[llmscope::llm_call(provider = "openai", modle = "gpt-4o")]
fn chat() -> Reply {
    Reply { tokens: 1 }
}

fn main() {}
