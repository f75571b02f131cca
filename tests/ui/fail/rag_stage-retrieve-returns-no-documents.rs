#[llmscope::rag_stage(retrieve, data_source = "kb")]
fn search() -> String {
    String::new()
}

fn main() {}
