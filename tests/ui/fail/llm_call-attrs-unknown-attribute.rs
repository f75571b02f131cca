#[derive(llmscope::Usage)]
struct Reply {
    #[usage(output_tokens)]
    tokens: u32,
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o", attrs("gen_ai.request.temprature" = 0.7))]
fn chat() -> Reply {
    Reply { tokens: 1 }
}

fn main() {}
