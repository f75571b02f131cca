//! An axum service with `POST /chat`: the handler continues the caller's W3C `traceparent` and
//! answers with retrieve → generate → postprocess, giving the trace
//! `POST /chat` (SERVER) → `retrieval kb-support` → `prompt support_answer` →
//! `chat gpt-4o-mini` → `postprocess`. Providers are simulated; the example serves on an
//! ephemeral port, sends itself one request with a `traceparent`, and prints the trace tree.
//!
//! Run: `cargo run --example rag_service`

#[path = "common/rag.rs"]
mod scenario;

use llmscope::export::TerminalExporter;
use llmscope::opentelemetry_sdk::trace::SdkTracerProvider;

#[tokio::main]
async fn main() {
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(TerminalExporter::stdout())
        .build();
    let address = scenario::serve(scenario::router(provider.clone())).await;
    println!("listening on http://{address}");

    // What an upstream service (or a browser SDK) sends.
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let (status, body) =
        scenario::post_chat(address, traceparent, "How long do refunds take?").await;
    println!("POST /chat -> {status} {body}");
    provider.shutdown().expect("flushed");
}
