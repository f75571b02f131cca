//! An axum service with `POST /chat`: the handler answers with retrieve → generate →
//! postprocess, giving the trace `POST /chat` (SERVER) → `retrieval kb-support` →
//! `prompt support_answer` → `chat gpt-4o-mini` → `postprocess`, continuing the caller's W3C
//! `traceparent`. Set up as the README recommends: `llmscope::init()` for the pipeline, and
//! llmscope's tower layer (`propagation::TraceContextLayer`, feature `tower`) for the incoming
//! trace context and the server span — see `router()` in `examples/common/rag.rs`. Providers are
//! simulated; the example serves on an ephemeral port, sends itself one request with a
//! `traceparent`, and prints the trace tree (also appended to `llmscope-traces.jsonl`).
//!
//! Run: `cargo run --example rag_service`

#[path = "common/rag.rs"]
mod scenario;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let telemetry = llmscope::init()?;
    let address = scenario::serve(scenario::router()).await;
    println!("listening on http://{address}");

    // What an upstream service (or a browser SDK) sends.
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let (status, body) =
        scenario::post_chat(address, traceparent, "How long do refunds take?").await;
    println!("POST /chat -> {status} {body}");
    // Prints the tree and reports any span that could not be delivered.
    telemetry.shutdown()?;
    Ok(())
}
