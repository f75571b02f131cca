#[llmscope::rag_stage(rerank, model = "rerank-v3.5", top_k = 3)]
fn rerank(input: Vec<(String, f64)>) -> Vec<(String, f64)> {
    input
}

fn main() {}
