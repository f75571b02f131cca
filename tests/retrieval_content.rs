//! Retrieved documents' text (`Document::content`) in `gen_ai.retrieval.documents`, through an
//! annotated retrieval function: written as each document's `content` only when the capture
//! mode exports content, redacted in `redacted` mode, the texts together within the policy's
//! byte limit; ids and scores as before in every mode. (Every exporter's bytes are checked for
//! leaked secrets by `tests/capture_property.rs`, whose retrieval returns such documents.)

use std::borrow::Cow;

use llmscope::testing::{attribute, TestTelemetry};
use serde_json::{json, Value};

struct Chunk {
    id: &'static str,
    score: f64,
    text: String,
}

impl llmscope::Document for Chunk {
    fn id(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.id)
    }
    fn score(&self) -> Option<f64> {
        Some(self.score)
    }
    fn content(&self) -> Option<&str> {
        Some(&self.text)
    }
}

fn chunks(text: &str, count: usize) -> Vec<Chunk> {
    (0..count)
        .map(|index| Chunk {
            id: ["a", "b", "c", "d"][index % 4],
            score: 0.9 - index as f64 / 10.0,
            text: text.to_owned(),
        })
        .collect()
}

#[llmscope::rag_stage(retrieve, data_source = "kb", capture = redacted)]
fn retrieve_redacted(text: &str, count: usize) -> Vec<Chunk> {
    chunks(text, count)
}

#[llmscope::rag_stage(retrieve, data_source = "kb", capture = full)]
fn retrieve_full(text: &str, count: usize) -> Vec<Chunk> {
    chunks(text, count)
}

#[llmscope::rag_stage(retrieve, data_source = "kb", capture = hash)]
fn retrieve_hashed(text: &str, count: usize) -> Vec<Chunk> {
    chunks(text, count)
}

#[llmscope::rag_stage(retrieve, data_source = "kb")]
fn retrieve_default(text: &str, count: usize) -> Vec<Chunk> {
    chunks(text, count)
}

fn documents(run: impl FnOnce()) -> (Value, Option<opentelemetry::Value>) {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        run();
    }
    let span = telemetry.span("retrieval kb");
    let text = attribute(&span, "gen_ai.retrieval.documents")
        .unwrap()
        .as_str()
        .into_owned();
    (
        serde_json::from_str(&text).unwrap(),
        attribute(&span, "llmscope.retrieval.documents.truncated").cloned(),
    )
}

#[test]
fn document_text_is_captured_redacted_only_when_the_mode_exports_content() {
    let text = "Refunds go to jane@example.com within 5 days.";
    let (redacted, _) = documents(|| {
        retrieve_redacted(text, 2);
    });
    assert_eq!(
        redacted,
        json!([
            {"id": "a", "score": 0.9, "content": "Refunds go to [EMAIL] within 5 days."},
            {"id": "b", "score": 0.8, "content": "Refunds go to [EMAIL] within 5 days."}
        ])
    );
    let (full, _) = documents(|| {
        retrieve_full(text, 1);
    });
    assert_eq!(full[0]["content"], text);
    for run in [retrieve_hashed, retrieve_default] {
        let (bare, _) = documents(|| {
            run(text, 1);
        });
        assert_eq!(
            bare,
            json!([{"id": "a", "score": 0.9}]),
            "ids and scores only"
        );
    }
}

#[test]
fn the_documents_text_together_stays_within_the_byte_limit() {
    let limit = llmscope::capture_policy().max_bytes();
    let big = "lorem ipsum ".repeat(limit / 12 * 3);
    let (documents, truncated) = documents(|| {
        retrieve_redacted(&big, 8);
    });
    let documents = documents.as_array().unwrap();
    assert_eq!(documents.len(), 8, "every document keeps its id and score");
    let kept: usize = documents
        .iter()
        .filter_map(|document| document["content"].as_str())
        .map(str::len)
        .sum();
    assert!(kept <= limit, "{kept} > {limit}");
    let first = documents[0]["content"].as_str().unwrap();
    assert!(first.starts_with("lorem ipsum") && first.ends_with("…[truncated]"));
    assert!(documents[7].get("content").is_none());
    assert_eq!(truncated, Some(opentelemetry::Value::Bool(true)));
}
