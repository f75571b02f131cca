use llmscope::Sensitive;

#[derive(llmscope::Usage)]
struct Reply {
    #[usage(completion)]
    text: Sensitive<String>,
}

fn main() {}
