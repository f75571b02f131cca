#[derive(llmscope::Usage)]
struct Reply {
    #[usage(output_tokens)]
    tokens: u32,
}

#[llmscope::llm_call(model = "gpt-4o", attrs("gen_ai.system" = "openai"))]
fn chat() -> Reply {
    Reply { tokens: 1 }
}

fn main() {}
