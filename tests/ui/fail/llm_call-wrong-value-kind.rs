#[derive(llmscope::Usage)]
struct Reply {
    #[usage(output_tokens)]
    tokens: u32,
}

#[llmscope::llm_call(provider = 3, model = "gpt-4o", temperature = "hot", max_tokens = 1.5)]
fn chat() -> Reply {
    Reply { tokens: 1 }
}

fn main() {}
