//! The example scenarios with every kind of content captured (mode `full`, on spans and on the
//! `gen_ai.client.inference.operation.details` event) still conform to semconv v1.41.0: the
//! content attributes, the event's required `gen_ai.operation.name`, and nothing on the event
//! that its definition does not list. The capture policy is per process, hence this separate
//! test binary (`tests/conformance.rs` checks the default, content off).

#[path = "../examples/common/agent.rs"]
mod agent;
#[path = "../examples/common/quickstart.rs"]
mod quickstart;
#[path = "../examples/common/rag.rs"]
mod rag;

#[path = "conformance/checker.rs"]
mod checker;
#[path = "conformance/scenarios.rs"]
mod scenarios;

use std::collections::BTreeSet;

use checker::{check, Registry};
use llmscope::capture::{CaptureMode, CapturePolicy, ContentDestination};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_with_content_on_spans_and_events_conforms() {
    llmscope::set_capture_policy(
        CapturePolicy::builder()
            .with_mode(CaptureMode::Full)
            .with_destination(ContentDestination::SpanAndEvent)
            .build()
            .expect("a valid policy"),
    )
    .expect("the first and only policy of this process");
    let registry = Registry::load();
    let spans = scenarios::run("content", None).await;
    let report = check(&registry, &spans);
    assert!(
        report.violations.is_empty(),
        "{} violations of semconv v1.41.0 with content captured:\n{}",
        report.violations.len(),
        report.render()
    );

    // Content was captured, so the check saw it.
    let span_keys: BTreeSet<&str> = spans
        .iter()
        .flat_map(|span| &span.attributes)
        .map(|kv| kv.key.as_str())
        .collect();
    for key in [
        "gen_ai.output.messages",
        "gen_ai.retrieval.query.text",
        "gen_ai.tool.call.arguments",
        "gen_ai.tool.call.result",
    ] {
        assert!(span_keys.contains(key), "no span carries `{key}`");
    }
    let details: Vec<_> = spans
        .iter()
        .flat_map(|span| &span.events)
        .filter(|event| event.name == "gen_ai.client.inference.operation.details")
        .collect();
    assert!(!details.is_empty(), "no details event");
    for event in details {
        assert!(
            event
                .attributes
                .iter()
                .any(|kv| kv.key == "gen_ai.output.messages"),
            "a details event without the output messages"
        );
    }
}
