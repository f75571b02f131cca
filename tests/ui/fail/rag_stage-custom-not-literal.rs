const NAME: &str = "dedupe";

#[llmscope::rag_stage(custom = NAME)]
fn dedupe() {}

fn main() {}
