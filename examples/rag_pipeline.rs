//! A retrieval-augmented answer: embed → retrieve → rerank → prompt → generate, each stage a
//! span (`#[rag_stage]`, `#[llm_call]`). Set up as the README recommends, with
//! `llmscope::init()`: with no `OTEL_*` endpoint set, the trace is printed as a tree and
//! appended to `llmscope-traces.jsonl`. Providers are simulated.
//!
//! Run: `cargo run --example rag_pipeline`

#[path = "common/rag.rs"]
mod scenario;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let telemetry = llmscope::init()?;
    let provider = telemetry.tracer_provider().expect("not disabled");
    let answer = scenario::answer_question(provider, "How long do refunds take?")
        .await
        .map_err(|e| e.to_string())?;
    println!("answer: {answer}");
    // Prints the tree and reports any span that could not be delivered.
    telemetry.shutdown()?;
    Ok(())
}
