#[derive(llmscope::Usage)]
struct Reply {
    #[usage(input_token)]
    prompt_tokens: u32,
    #[usage(input_excludes_cache)]
    output_tokens: u32,
}

fn main() {}
