#[derive(llmscope::Usage)]
struct Reply {
    #[usage(output_tokens)]
    tokens: u32,
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o", attrs(custom("gen_ai.usage.cached_tokens") = 3, custom("server.port") = 1))]
fn chat() -> Reply {
    Reply { tokens: 1 }
}

fn main() {}
