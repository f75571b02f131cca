#[derive(llmscope::Usage)]
struct Reply(u32, u32);

fn main() {}
