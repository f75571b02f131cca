#[llmscope::rag_stage(embed, retrieve)]
fn both() {}

fn main() {}
