#[derive(llmscope::Usage)]
enum Reply {
    Text(String),
}

fn main() {}
