#[derive(llmscope::Usage)]
#[usage(input_exclude_cache)]
struct Reply {
    #[usage(input_tokens)]
    prompt_tokens: u32,
}

fn main() {}
