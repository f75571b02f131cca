//! A retrieval-augmented answer: embed → retrieve → rerank → prompt → generate, each stage a
//! span (`#[rag_stage]`, `#[llm_call]`), printed as a trace tree. Providers are simulated.
//!
//! Run: `cargo run --example rag_pipeline`

#[path = "common/rag.rs"]
mod scenario;

use llmscope::export::TerminalExporter;
use llmscope::opentelemetry_sdk::trace::SdkTracerProvider;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(TerminalExporter::stdout())
        .build();
    let answer = scenario::answer_question(&provider, "How long do refunds take?")
        .await
        .expect("simulated providers succeed");
    println!("answer: {answer}");
    provider.shutdown().expect("flushed");
}
