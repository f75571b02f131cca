//! Runs the example scenarios (quickstart, RAG pipeline, RAG service, research agent: the code
//! under `examples/common/`, included by the test crate) through `llmscope::Telemetry` with a
//! JSONL file as the destination, and reads back what was written.

use std::path::PathBuf;

use llmscope::export::otlp::Span;
use llmscope::opentelemetry::trace::{FutureExt as _, TracerProvider as _};
use llmscope::Telemetry;

use crate::{agent, quickstart, rag};

/// What an upstream caller of the RAG service sends.
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// Runs every scenario once with `OTEL_SEMCONV_STABILITY_OPT_IN` set to `opt_in` (if any) and
/// returns every exported span, read from the JSONL file.
pub(crate) async fn run(label: &str, opt_in: Option<&str>) -> Vec<Span> {
    let path: PathBuf = std::env::temp_dir().join(format!(
        "llmscope-conformance-{}-{label}.jsonl",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    let mut env = Vec::new();
    if let Some(opt_in) = opt_in {
        env.push((
            "OTEL_SEMCONV_STABILITY_OPT_IN".to_owned(),
            opt_in.to_owned(),
        ));
    }
    let guard = Telemetry::builder()
        .with_env(env)
        .with_terminal(false)
        .with_jsonl_path(Some(path.clone()))
        .with_service_name("llmscope-conformance")
        .build()
        .expect("telemetry builds");
    let sampled = guard.tracer_provider().expect("enabled");
    let scope = llmscope::scoped(sampled);
    let provider = sampled.provider().clone();

    // Quickstart: two chat calls under an application span.
    {
        let _attached = scope.clone().attach();
        quickstart::handle_question(&provider.tracer("quickstart"));
    }

    // RAG pipeline: embed → retrieve → rerank → prompt → generate.
    rag::answer_question(&provider, "How long do refunds take?")
        .await
        .expect("simulated providers succeed");

    // RAG service: `POST /chat` continuing a traceparent; once answered, once failing in
    // retrieval (an empty question), so `error.type` is checked too.
    let address = rag::serve(rag::router_into(&provider)).await;
    let (status, _) = rag::post_chat(address, TRACEPARENT, "How long do refunds take?").await;
    assert_eq!(status, 200, "the RAG service answers");
    let (status, _) = rag::post_chat(address, TRACEPARENT, "").await;
    assert_eq!(status, 502, "an empty question fails in retrieval");

    // Research agent: steps, tools, a sub-agent.
    agent::research("Is intermittent fasting effective?")
        .with_context(scope)
        .await
        .expect("simulated agent succeeds");

    guard.flush().expect("flushed");
    drop(guard);
    let spans: Vec<Span> = llmscope::export::read_jsonl(&path)
        .expect("the JSONL file reads back")
        .into_iter()
        .flat_map(|request| request.resource_spans)
        .flat_map(|resource| resource.scope_spans)
        .flat_map(|scope| scope.spans)
        .collect();
    let _ = std::fs::remove_file(&path);
    spans
}
