#[derive(llmscope::Usage)]
struct Reply {
    #[usage(output_tokens)]
    tokens: u32,
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o", service_tier = "prority")]
fn chat() -> Reply {
    Reply { tokens: 1 }
}

fn main() {}
