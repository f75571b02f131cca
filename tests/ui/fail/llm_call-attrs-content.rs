#[derive(llmscope::Usage)]
struct Reply {
    #[usage(output_tokens)]
    tokens: u32,
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o", attrs("gen_ai.input.messages" = prompt))]
fn chat(prompt: &str) -> Reply {
    let _ = prompt;
    Reply { tokens: 1 }
}

fn main() {}
