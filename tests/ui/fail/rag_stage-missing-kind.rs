#[llmscope::rag_stage(data_source = "kb")]
fn search() -> Vec<(String, f64)> {
    Vec::new()
}

fn main() {}
