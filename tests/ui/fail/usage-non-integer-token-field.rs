#[derive(llmscope::Usage)]
struct Reply {
    #[usage(input_tokens)]
    prompt_tokens: String,
    #[usage(response_model)]
    model: u32,
}

fn main() {}
