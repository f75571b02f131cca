#[derive(llmscope::Usage)]
struct Reply {
    #[usage(input_tokens)]
    prompt_tokens: u32,
    #[usage(input_tokens)]
    input_tokens: u32,
    #[usage(output_tokens, reasoning_tokens)]
    output_tokens: u32,
}

fn main() {}
