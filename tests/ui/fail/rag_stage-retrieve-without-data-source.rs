#[llmscope::rag_stage(retrieve, top_k = 5)]
fn search() -> Vec<(String, f64)> {
    Vec::new()
}

fn main() {}
