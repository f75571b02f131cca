//! Quickstart: two simulated LLM calls (no network) annotated with `#[llm_call]`, printed as a
//! trace tree by the embedded terminal exporter. The annotated code is in
//! `examples/common/quickstart.rs`.
//!
//! Run: `cargo run --example quickstart`

#[path = "common/quickstart.rs"]
mod scenario;

use llmscope::export::TerminalExporter;
use llmscope::opentelemetry::trace::TracerProvider as _;
use llmscope::opentelemetry_sdk::trace::SdkTracerProvider;

fn main() {
    // The embedded default: each finished trace is printed as a tree on stdout.
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(TerminalExporter::stdout())
        .build();
    llmscope::install(&provider).expect("installed once");

    // An application span (plain OpenTelemetry API) with two annotated calls under it.
    let answer = scenario::handle_question(&provider.tracer("quickstart"));
    println!("answer: {answer}");

    provider.shutdown().expect("flushed");
}
