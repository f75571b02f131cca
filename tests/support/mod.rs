//! Helpers shared by the behaviour tests.

use llmscope::export::otlp::Span;

/// Every span of a JSONL trace file, in file order.
pub(crate) fn jsonl_spans(path: &std::path::Path) -> Vec<Span> {
    llmscope::export::read_jsonl(path)
        .unwrap()
        .into_iter()
        .flat_map(|r| r.resource_spans)
        .flat_map(|r| r.scope_spans)
        .flat_map(|s| s.spans)
        .collect()
}
