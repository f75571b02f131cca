#[derive(llmscope::Usage)]
struct Reply {
    #[usage(output_tokens)]
    tokens: u32,
}

struct Request {
    model: String,
    temperature: String,
}

#[llmscope::llm_call(provider = "openai", model = req.model, temperature = req.temperature)]
fn chat(req: &Request) -> Reply {
    let _ = req;
    Reply { tokens: 1 }
}

fn main() {}
