//! Quickstart: two simulated LLM calls (no network) annotated with `#[llm_call]`, exported by
//! `llmscope::init()`'s embedded default: a trace tree on stdout and a line in
//! `./llmscope-traces.jsonl`, which the `llmscope` command line opens. The annotated code is in
//! `examples/common/quickstart.rs`.
//!
//! Run: `cargo run --example quickstart`

#[path = "common/quickstart.rs"]
mod scenario;

use llmscope::opentelemetry::trace::TracerProvider as _;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The embedded default (no `OTEL_EXPORTER_OTLP_*` set): each finished trace is printed as a
    // tree on stdout and appended to ./llmscope-traces.jsonl.
    let telemetry = llmscope::init()?;

    // An application span (plain OpenTelemetry API) with two annotated calls under it.
    let tracer = llmscope::opentelemetry::global::tracer_provider().tracer("quickstart");
    let answer = scenario::handle_question(&tracer);
    println!("answer: {answer}");

    // Flushes: the tree is printed and the JSONL line written here; any span that could not
    // be delivered is reported as an error.
    telemetry.shutdown()?;

    // Where the embedded default writes (`Telemetry::builder().with_jsonl_path` changes it).
    let file = llmscope::setup::DEFAULT_JSONL_PATH;
    if let Some(last) = llmscope::export::read_jsonl(file)?
        .iter()
        .flat_map(|request| &request.resource_spans)
        .flat_map(|resource| &resource.scope_spans)
        .flat_map(|scope| &scope.spans)
        .last()
    {
        let trace_id: String = last.trace_id.iter().map(|b| format!("{b:02x}")).collect();
        println!(
            "\nOpen these traces with the llmscope command line (`cargo install --path cli`):\n  \
             llmscope traces {file}\n  \
             llmscope show {} {file}\n  \
             llmscope costs {file}\n  \
             llmscope report {file} -o report.html",
            &trace_id[..8]
        );
    }
    Ok(())
}
