//! The default output conforms to semconv v1.41.0: the example scenarios (quickstart, RAG
//! pipeline, RAG service, research agent) run through `llmscope::Telemetry` into a JSONL file,
//! and every span and event read back is checked against the registry YAML in
//! `semconv/v1.41.0/model/` (see `conformance/checker.rs`). Then each
//! `OTEL_SEMCONV_STABILITY_OPT_IN` value is run and must add exactly what the docs list.
//! Content capture is off here (the default); `tests/conformance_content.rs` runs the same
//! scenarios with every kind of content captured on spans and events.

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

use checker::{check, Registry, Violation};
use llmscope::export::otlp::any_value::Value as Any;
use llmscope::export::otlp::{span, Span};
use llmscope::export::otlp::{AnyValue, ArrayValue, KeyValue};

fn keys(spans: &[Span]) -> BTreeSet<String> {
    spans
        .iter()
        .flat_map(|span| {
            span.attributes
                .iter()
                .chain(span.events.iter().flat_map(|event| &event.attributes))
        })
        .map(|kv| kv.key.clone())
        .collect()
}

fn string<'a>(span: &'a Span, key: &str) -> Option<&'a str> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
            Any::StringValue(text) => Some(text.as_str()),
            _ => None,
        })
}

fn double(span: &Span, key: &str) -> Option<f64> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
            Any::DoubleValue(value) => Some(*value),
            _ => None,
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_output_conforms_to_semconv_v1_41_0() {
    let registry = Registry::load();
    let spans = scenarios::run("default", None).await;
    let report = check(&registry, &spans);
    assert!(
        report.violations.is_empty(),
        "{} violations of semconv v1.41.0 in the default output:\n{}",
        report.violations.len(),
        report.render()
    );

    // The check covered every kind of span the scenarios make.
    let operations: BTreeSet<&str> = spans
        .iter()
        .filter_map(|span| string(span, "gen_ai.operation.name"))
        .collect();
    for operation in [
        "chat",
        "embeddings",
        "retrieval",
        "invoke_agent",
        "execute_tool",
    ] {
        assert!(
            operations.contains(operation),
            "no `{operation}` span: {operations:?}"
        );
    }
    let own: BTreeSet<&str> = spans
        .iter()
        .filter_map(|span| string(span, "llmscope.operation.name"))
        .collect();
    assert_eq!(
        own,
        BTreeSet::from(["agent_step", "postprocess", "prompt", "rerank"]),
        "spans with no registered operation say what they are with `llmscope.operation.name`"
    );
    assert!(
        spans
            .iter()
            .any(|span| string(span, "error.type").is_some()),
        "the failing request is checked too"
    );
    assert!(
        report.checked > 100,
        "only {} attributes checked",
        report.checked
    );
    // Cost is on every priced call under the project's and OpenInference's keys.
    let priced: Vec<&Span> = spans
        .iter()
        .filter(|span| double(span, "llmscope.cost.total").is_some())
        .collect();
    assert!(priced.len() >= 10, "{} priced spans", priced.len());
    for span in priced {
        assert_eq!(
            double(span, "llmscope.cost.total"),
            double(span, "llm.cost.total"),
            "{}",
            span.name
        );
    }
}

/// What each `OTEL_SEMCONV_STABILITY_OPT_IN` value adds (the README's table lists the same),
/// and the only violations it may bring.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_opt_in_adds_only_what_the_docs_list() {
    let registry = Registry::load();
    let default = keys(&scenarios::run("baseline", None).await);

    // `openinference`: OpenInference's own keys, no semconv violation.
    let spans = scenarios::run("openinference", Some("openinference")).await;
    let added: BTreeSet<String> = keys(&spans).difference(&default).cloned().collect();
    let documented = BTreeSet::from([
        "openinference.span.kind",
        "llm.model_name",
        "llm.provider",
        "llm.token_count.prompt",
        "llm.token_count.completion",
        "llm.token_count.total",
        "llm.token_count.prompt_details.cache_read",
        "llm.token_count.prompt_details.cache_write",
        "llm.token_count.completion_details.reasoning",
    ]);
    assert!(
        added.iter().all(|key| documented.contains(key.as_str())),
        "undocumented: {added:?}"
    );
    for key in [
        "openinference.span.kind",
        "llm.model_name",
        "llm.token_count.total",
    ] {
        assert!(added.contains(key), "`openinference` did not add `{key}`");
    }
    let report = check(&registry, &spans);
    assert!(report.violations.is_empty(), "{}", report.render());
    let kinds: BTreeSet<&str> = spans
        .iter()
        .filter_map(|span| string(span, "openinference.span.kind"))
        .collect();
    assert!(
        kinds.contains("RERANKER") && kinds.contains("AGENT"),
        "{kinds:?}"
    );

    // `gen_ai/dup`: the pre-1.37 `gen_ai.system`, deprecated in v1.41.0 (and so reported).
    let spans = scenarios::run("dup", Some("gen_ai/dup")).await;
    let added: BTreeSet<String> = keys(&spans).difference(&default).cloned().collect();
    assert_eq!(added, BTreeSet::from(["gen_ai.system".to_owned()]));
    let report = check(&registry, &spans);
    assert!(!report.violations.is_empty());
    assert!(
        report
            .violations
            .iter()
            .all(|v| v.key == "gen_ai.system" && v.reason == "deprecated in semconv v1.41.0"),
        "{}",
        report.render()
    );

    // `gen_ai_latest_experimental`: the proposed cost attributes, not in the v1.41.0 registry.
    let spans = scenarios::run("latest", Some("gen_ai_latest_experimental")).await;
    let added: BTreeSet<String> = keys(&spans).difference(&default).cloned().collect();
    let proposed = [
        "gen_ai.usage.cost.amount",
        "gen_ai.usage.cost.currency",
        "gen_ai.usage.cost.source",
    ];
    assert_eq!(
        added,
        proposed.iter().map(|key| key.to_string()).collect(),
        "`gen_ai_latest_experimental` adds the proposed cost attributes only"
    );
    let report = check(&registry, &spans);
    let reported: BTreeSet<&str> = report.violations.iter().map(|v| v.key.as_str()).collect();
    assert_eq!(reported, BTreeSet::from(proposed), "{}", report.render());
    assert!(report
        .violations
        .iter()
        .all(|v| v.reason == "not registered in semconv v1.41.0"));
    let mut priced = 0;
    for span in &spans {
        if let Some(amount) = double(span, "gen_ai.usage.cost.amount") {
            priced += 1;
            assert_eq!(Some(amount), double(span, "llmscope.cost.total"));
            assert_eq!(string(span, "gen_ai.usage.cost.currency"), Some("USD"));
            assert_eq!(string(span, "gen_ai.usage.cost.source"), Some("local"));
        }
    }
    assert!(priced >= 10, "{priced} spans with the proposed cost");

    // All three at once: the union.
    let spans = scenarios::run(
        "all",
        Some("openinference, gen_ai/dup, gen_ai_latest_experimental"),
    )
    .await;
    let all = keys(&spans);
    for key in ["llm.token_count.total", "gen_ai.system"]
        .into_iter()
        .chain(proposed)
    {
        assert!(all.contains(key), "missing `{key}` with every opt-in");
    }
}

fn kv(key: &str, value: Any) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn text(value: &str) -> Any {
    Any::StringValue(value.to_owned())
}

/// The checker finds each kind of violation, naming the span, the key and the reason.
#[test]
fn the_checker_reports_each_kind_of_violation() {
    let registry = Registry::load();
    let chat = Span {
        name: "chat gpt-4o".to_owned(),
        kind: span::SpanKind::Client as i32,
        attributes: vec![
            kv("gen_ai.operation.name", text("chat")),
            // `gen_ai.provider.name` missing: required on inference spans.
            kv("gen_ai.request.model", text("gpt-4o")),
            kv("gen_ai.usage.cost.amount", Any::DoubleValue(0.1)),
            kv("gen_ai.usage.input_tokens", text("12")),
            kv("gen_ai.system", text("openai")),
            kv("server.port", Any::IntValue(443)),
            kv(
                "gen_ai.response.finish_reasons",
                Any::ArrayValue(ArrayValue {
                    values: vec![AnyValue {
                        value: Some(Any::IntValue(1)),
                    }],
                }),
            ),
            kv("error.type", text("rate_limit")), // open enum: any value
            kv("llmscope.anything", text("not checked")),
        ],
        events: vec![span::Event {
            name: "gen_ai.client.inference.operation.details".to_owned(),
            attributes: vec![kv("gen_ai.tool.call.arguments", text("{}"))],
            ..Default::default()
        }],
        ..Default::default()
    };
    let step = Span {
        name: "agent_step".to_owned(),
        attributes: vec![
            kv("gen_ai.operation.name", text("agent_step")),
            kv("gen_ai.provider.name", text("openai")),
        ],
        ..Default::default()
    };
    let report = check(&registry, &[chat, step]);
    let found: Vec<(String, Option<String>, String, String)> = report
        .violations
        .iter()
        .map(
            |Violation {
                 span,
                 event,
                 key,
                 reason,
             }| { (span.clone(), event.clone(), key.clone(), reason.clone()) },
        )
        .collect();
    let event = Some("gen_ai.client.inference.operation.details".to_owned());
    let details = "event.gen_ai.client.inference.operation.details";
    let expected = [
        ("agent_step", None, "gen_ai.operation.name", "value `agent_step` is not one of the registry's members (chat, generate_content, text_completion, embeddings, retrieval, create_agent, invoke_agent, execute_tool, invoke_workflow)".to_owned()),
        ("chat gpt-4o", None, "gen_ai.provider.name", "required by `span.gen_ai.inference.client` and missing".to_owned()),
        ("chat gpt-4o", None, "gen_ai.response.finish_reasons", "expected a string array, found an array".to_owned()),
        ("chat gpt-4o", None, "gen_ai.system", "deprecated in semconv v1.41.0".to_owned()),
        ("chat gpt-4o", None, "gen_ai.usage.cost.amount", "not registered in semconv v1.41.0".to_owned()),
        ("chat gpt-4o", None, "gen_ai.usage.input_tokens", "expected an int, found a string".to_owned()),
        ("chat gpt-4o", event.clone(), "gen_ai.operation.name", format!("required by `{details}` and missing")),
        ("chat gpt-4o", event.clone(), "gen_ai.tool.call.arguments", format!("not an attribute of `{details}`")),
    ];
    let expected: Vec<(String, Option<String>, String, String)> = expected
        .into_iter()
        .map(|(span, event, key, reason)| (span.to_owned(), event, key.to_owned(), reason))
        .collect();
    assert_eq!(found, expected, "\n{}", report.render());
    assert!(report.render().contains(
        "span `chat gpt-4o`, event `gen_ai.client.inference.operation.details`: \
         `gen_ai.operation.name`: required by"
    ));
}
