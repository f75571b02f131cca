//! `#[rag_stage]` through the facade: the span trees and attributes of the RAG examples
//! (their scenarios are included from `examples/common/rag.rs`).

#[path = "../examples/common/rag.rs"]
mod scenario;

use llmscope::opentelemetry::trace::{SpanId, SpanKind, Status, TraceId};
use llmscope::opentelemetry::Value;
use llmscope::opentelemetry_sdk::trace::SpanData;
use llmscope::testing::{attribute, TestTelemetry};

/// `(name, kind, parent name)` of every span, sorted, the parent found among the spans.
fn tree(spans: &[SpanData]) -> Vec<(String, SpanKind, Option<String>)> {
    let mut tree: Vec<_> = spans
        .iter()
        .map(|span| {
            let parent = spans
                .iter()
                .find(|other| other.span_context.span_id() == span.parent_span_id)
                .map(|parent| parent.name.to_string());
            (span.name.to_string(), span.span_kind.clone(), parent)
        })
        .collect();
    tree.sort_by(|a, b| a.0.cmp(&b.0));
    tree
}

fn node(name: &str, kind: SpanKind, parent: Option<&str>) -> (String, SpanKind, Option<String>) {
    (name.to_owned(), kind, parent.map(str::to_owned))
}

fn string(span: &SpanData, key: &str) -> Option<String> {
    attribute(span, key).map(|value| value.as_str().into_owned())
}

fn int(span: &SpanData, key: &str) -> Option<i64> {
    match attribute(span, key) {
        Some(Value::I64(value)) => Some(*value),
        _ => None,
    }
}

fn double(span: &SpanData, key: &str) -> Option<f64> {
    match attribute(span, key) {
        Some(Value::F64(value)) => Some(*value),
        _ => None,
    }
}

fn doubles(span: &SpanData, key: &str) -> Option<Vec<f64>> {
    match attribute(span, key) {
        Some(Value::Array(llmscope::opentelemetry::Array::F64(values))) => Some(values.clone()),
        _ => None,
    }
}

#[tokio::test]
async fn pipeline_spans_embed_retrieve_rerank_prompt_generate() {
    let telemetry = TestTelemetry::new();
    let answer = scenario::answer_question(telemetry.provider(), "How long do refunds take?")
        .await
        .unwrap();
    assert!(answer.starts_with("Refunds take up to 14 days"));

    let spans = telemetry.spans();
    let root = Some("answer_question");
    assert_eq!(
        tree(&spans),
        vec![
            node("answer_question", SpanKind::Internal, None),
            node("chat gpt-4o-mini", SpanKind::Client, root),
            node("embeddings text-embedding-3-small", SpanKind::Client, root),
            node("prompt support_answer", SpanKind::Internal, root),
            node("rerank rerank-v3.5", SpanKind::Client, root),
            node("retrieval kb-support", SpanKind::Client, root),
        ]
    );
    let trace = spans[0].span_context.trace_id();
    assert!(spans
        .iter()
        .all(|span| span.span_context.trace_id() == trace));

    let embed = telemetry.span("embeddings text-embedding-3-small");
    assert_eq!(
        string(&embed, "gen_ai.operation.name").as_deref(),
        Some("embeddings")
    );
    assert_eq!(string(&embed, "llmscope.stage").as_deref(), Some("embed"));
    assert_eq!(
        string(&embed, "gen_ai.provider.name").as_deref(),
        Some("openai")
    );
    assert_eq!(int(&embed, "gen_ai.embeddings.dimension.count"), Some(8));
    assert_eq!(
        int(&embed, "gen_ai.usage.input_tokens"),
        Some(i64::from(scenario::EMBED_INPUT_TOKENS))
    );
    // text-embedding-3-small: $0.02 per million input tokens.
    let expected = f64::from(scenario::EMBED_INPUT_TOKENS) * 0.02 / 1e6;
    let cost = double(&embed, "llmscope.cost.total").unwrap();
    assert!((cost - expected).abs() < 1e-15, "{cost} != {expected}");

    let retrieval = telemetry.span("retrieval kb-support");
    assert_eq!(
        string(&retrieval, "gen_ai.operation.name").as_deref(),
        Some("retrieval")
    );
    assert_eq!(
        string(&retrieval, "gen_ai.data_source.id").as_deref(),
        Some("kb-support")
    );
    assert_eq!(double(&retrieval, "gen_ai.request.top_k"), Some(3.0));
    assert_eq!(
        double(&retrieval, "llmscope.retrieval.similarity_threshold"),
        Some(0.5)
    );
    assert_eq!(int(&retrieval, "llmscope.documents.count"), Some(3));
    let documents: serde_json::Value =
        serde_json::from_str(&string(&retrieval, "gen_ai.retrieval.documents").unwrap()).unwrap();
    assert_eq!(
        documents,
        serde_json::json!([
            {"id": "policy-refunds#2", "score": 0.91},
            {"id": "faq#17", "score": 0.84},
            {"id": "policy-shipping#1", "score": 0.62},
        ])
    );
    // Content stays out: no query text, no document text anywhere.
    for span in &spans {
        assert_eq!(attribute(span, "gen_ai.retrieval.query.text"), None);
        for kv in &span.attributes {
            let value = kv.value.as_str();
            assert!(
                !value.contains("How long do refunds"),
                "{} leaks the query",
                kv.key
            );
            assert!(
                !value.contains("within 14 days"),
                "{} leaks a document",
                kv.key
            );
        }
    }

    let rerank = telemetry.span("rerank rerank-v3.5");
    assert_eq!(
        string(&rerank, "gen_ai.request.model").as_deref(),
        Some("rerank-v3.5")
    );
    assert_eq!(int(&rerank, "llmscope.rerank.top_n"), Some(2));
    assert_eq!(
        doubles(&rerank, "llmscope.rerank.scores.before"),
        Some(vec![0.91, 0.84, 0.62])
    );
    assert_eq!(
        doubles(&rerank, "llmscope.rerank.scores.after"),
        Some(vec![0.97, 0.88])
    );
    assert_eq!(int(&rerank, "llmscope.documents.count"), Some(2));

    let prompt = telemetry.span("prompt support_answer");
    assert_eq!(
        string(&prompt, "gen_ai.prompt.name").as_deref(),
        Some("support_answer")
    );
    assert_eq!(
        string(&prompt, "llmscope.prompt.version").as_deref(),
        Some("v3")
    );
    let expected_prompt = scenario::assemble_prompt(
        "How long do refunds take?",
        &[
            scenario::Chunk {
                id: "faq#17".to_owned(),
                score: 0.97,
                text: "Digital goods can be refunded before download.".to_owned(),
            },
            scenario::Chunk {
                id: "policy-refunds#2".to_owned(),
                score: 0.88,
                text: "Refunds are issued within 14 days of purchase.".to_owned(),
            },
        ],
    );
    assert_eq!(
        int(&prompt, "llmscope.prompt.length"),
        Some(expected_prompt.chars().count() as i64)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_continues_the_incoming_traceparent() {
    let telemetry = TestTelemetry::new();
    let address = scenario::serve(scenario::router_into(telemetry.provider())).await;
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller = "00f067aa0ba902b7";
    let (status, body) = scenario::post_chat(
        address,
        &format!("00-{trace}-{caller}-01"),
        "How long do refunds take?",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let response: scenario::ChatResponse = serde_json::from_str(&body).unwrap();
    assert!(response.answer.starts_with("Refunds take up to 14 days"));

    let spans = telemetry.spans();
    let http = Some("POST /chat");
    assert_eq!(
        tree(&spans),
        vec![
            node("POST /chat", SpanKind::Server, None),
            node("chat gpt-4o-mini", SpanKind::Client, http),
            node("postprocess", SpanKind::Internal, http),
            node("prompt support_answer", SpanKind::Internal, http),
            node("retrieval kb-support", SpanKind::Client, http),
        ]
    );
    let trace = TraceId::from_hex(trace).unwrap();
    assert!(spans
        .iter()
        .all(|span| span.span_context.trace_id() == trace));
    let server = telemetry.span("POST /chat");
    assert_eq!(server.parent_span_id, SpanId::from_hex(caller).unwrap());
    assert!(server.parent_span_is_remote);
    assert_eq!(int(&server, "http.response.status_code"), Some(200));
    // Made by llmscope's tower layer (the example writes no span of its own), with the route
    // axum matched.
    assert_eq!(server.instrumentation_scope.name(), "llmscope");
    assert_eq!(
        string(&server, "http.request.method").as_deref(),
        Some("POST")
    );
    assert_eq!(string(&server, "http.route").as_deref(), Some("/chat"));
    assert_eq!(string(&server, "url.path").as_deref(), Some("/chat"));
    assert_eq!(server.status, Status::Unset);

    let postprocess = telemetry.span("postprocess");
    // Semconv v1.41.0 registers no such operation: llmscope's own key names it.
    assert_eq!(string(&postprocess, "gen_ai.operation.name"), None);
    assert_eq!(
        string(&postprocess, "llmscope.operation.name").as_deref(),
        Some("postprocess")
    );
    assert_eq!(
        string(&postprocess, "llmscope.stage").as_deref(),
        Some("postprocess")
    );
    let chat = telemetry.span("chat gpt-4o-mini");
    assert_eq!(
        int(&chat, "gen_ai.usage.output_tokens"),
        Some(i64::from(scenario::ANSWER_OUTPUT_TOKENS))
    );
    // Causal order: retrieval ends before the model call starts, which ends before postprocess.
    let retrieval = telemetry.span("retrieval kb-support");
    assert!(retrieval.end_time <= chat.start_time);
    assert!(chat.end_time <= postprocess.start_time);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_retrieval_marks_the_stage_and_the_request() {
    let telemetry = TestTelemetry::new();
    let address = scenario::serve(scenario::router_into(telemetry.provider())).await;
    let (status, _) = scenario::post_chat(
        address,
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "",
    )
    .await;
    assert_eq!(status, 502);
    let spans = telemetry.spans();
    assert_eq!(
        tree(&spans),
        vec![
            node("POST /chat", SpanKind::Server, None),
            node("retrieval kb-support", SpanKind::Client, Some("POST /chat")),
        ]
    );
    // A 5xx answer marks the server span (HTTP semantic conventions).
    let server = telemetry.span("POST /chat");
    assert_eq!(int(&server, "http.response.status_code"), Some(502));
    assert_eq!(string(&server, "error.type").as_deref(), Some("502"));
    assert!(matches!(server.status, Status::Error { .. }));
    let retrieval = telemetry.span("retrieval kb-support");
    assert!(matches!(retrieval.status, Status::Error { .. }));
    assert!(string(&retrieval, "error.type")
        .unwrap()
        .ends_with("ProviderError"));
    assert_eq!(int(&retrieval, "llmscope.documents.count"), Some(0));
}

#[llmscope::rag_stage(custom = "dedupe")]
fn dedupe(mut ids: Vec<&'static str>) -> Vec<&'static str> {
    ids.dedup();
    ids
}

#[test]
fn a_custom_stage_is_an_internal_span_named_after_it() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        assert_eq!(dedupe(vec!["a", "a", "b"]), ["a", "b"]);
    }
    let span = telemetry.span("dedupe");
    assert_eq!(span.span_kind, SpanKind::Internal);
    // Semconv v1.41.0 registers no such operation: llmscope's own key names it.
    assert_eq!(string(&span, "gen_ai.operation.name"), None);
    assert_eq!(
        string(&span, "llmscope.operation.name").as_deref(),
        Some("dedupe")
    );
    assert_eq!(string(&span, "llmscope.stage").as_deref(), Some("dedupe"));
}

#[test]
fn stages_build_nothing_without_a_provider() {
    assert_eq!(dedupe(vec!["x"]), ["x"]);
}

#[llmscope::rag_stage(retrieve, data_source = "kb-open", query = question, capture = full)]
fn open_search(question: &str) -> Vec<(String, f64)> {
    vec![(format!("doc-{}", question.len()), 0.5)]
}

#[test]
fn the_query_is_captured_only_when_the_policy_allows() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        open_search("refund window");
    }
    let span = telemetry.span("retrieval kb-open");
    assert!(string(&span, "gen_ai.retrieval.query.text")
        .unwrap()
        .contains("refund window"));
}
