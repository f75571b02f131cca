//! A retrieval-augmented answer: embed → retrieve → rerank → prompt → generate, each stage a
//! span (`#[rag_stage]`, `#[llm_call]`), printed as a trace tree. Providers are simulated.
//!
//! Run: `cargo run --example rag_pipeline`

#[path = "common/rag.rs"]
mod scenario;

use llmscope::export::TerminalExporter;
use llmscope::opentelemetry::trace::{FutureExt as _, TraceContextExt as _, Tracer as _, TracerProvider as _};
use llmscope::opentelemetry::Context;
use llmscope::opentelemetry_sdk::trace::SdkTracerProvider;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(TerminalExporter::stdout())
        .build();
    llmscope::install(&provider).expect("installed once");

    let tracer = provider.tracer("rag_pipeline");
    let root = tracer.start("answer_question");
    let cx = Context::current().with_span(root);
    let answer = scenario::pipeline("How long do refunds take?")
        .with_context(cx.clone())
        .await
        .expect("simulated providers succeed");
    cx.span().end();
    println!("answer: {answer}");
    provider.shutdown().expect("flushed");
}
