#[llmscope::rag_stage(retreive, data_source = "kb")]
fn search() -> Vec<(String, f64)> {
    Vec::new()
}

fn main() {}
