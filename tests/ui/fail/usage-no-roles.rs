#[derive(llmscope::Usage)]
struct Reply {
    text: String,
    tokens: u32,
}

fn main() {}
