//! Room for llmscope's own attributes on spans the application fills with its own.
//!
//! The SDK keeps at most `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT` attributes per span (128 by
//! default) and silently drops every one set after that. llmscope writes usage, cost and
//! content when a call *returns*, so an application that set many attributes during the call
//! would push exactly those out. The record of an annotated call (`private/record.rs`) therefore
//! counts: once the span holds the limit minus [`RESERVED`] attributes, the attributes the
//! application sets (`attrs(...)` of the macros, and any set through the OpenTelemetry API
//! while the call runs) are dropped, counted in `llmscope.attributes.dropped` on the span, and
//! reported by a warning at most once per 10 seconds; the last [`RESERVED`] slots are
//! llmscope's own (recognised by their keys: `llmscope.*`, usage, response, cost, content and
//! `error.type`). The count is a length comparison where the attribute is recorded: no wrapper
//! around a span.
//!
//! The limit is read from `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT` as the SDK reads it; a limit set
//! in code on the tracer provider is not visible to llmscope, which then assumes 128.

use std::sync::OnceLock;

use crate::keys;

/// The key counting the application's dropped attributes.
pub(crate) const DROPPED_KEY: &str = keys::LLMSCOPE_ATTRIBUTES_DROPPED;

/// Attribute slots kept for llmscope's own attributes (request, usage, cost, content, error,
/// agent and stage attributes: at most about 45 on one span).
pub(crate) const RESERVED: u32 = 48;

/// The SDK's default attribute limit.
const DEFAULT_LIMIT: u32 = 128;

/// Whether `key` is one llmscope writes after the call started (usage, cost, content, error,
/// its own `llmscope.*` keys): such attributes always find room. The keys set when the span
/// starts are counted before the application's and need no exception.
pub(crate) fn is_own_key(key: &str) -> bool {
    keys::OWN_KEY_PREFIXES
        .iter()
        .any(|prefix| key.starts_with(prefix))
        || key == keys::GEN_AI_INPUT_MESSAGES
        || key == keys::GEN_AI_OUTPUT_MESSAGES
        || key == keys::GEN_AI_SYSTEM_INSTRUCTIONS
        || key == keys::ERROR_TYPE
}

/// How many attributes a span may hold before the application's are refused.
pub(crate) fn application_budget() -> u32 {
    static LIMIT: OnceLock<u32> = OnceLock::new();
    let limit = *LIMIT.get_or_init(|| {
        std::env::var("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT")
            .ok()
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(DEFAULT_LIMIT)
    });
    limit.saturating_sub(RESERVED)
}

/// Counts a span that dropped `dropped` application attributes; the rate-limited warning
/// reports the spans and attributes since its previous line.
pub(crate) fn warn_dropped(dropped: u64) {
    crate::diagnostics::diag_sum!(
        Warn,
        "attributes",
        [spans = 1, dropped = dropped],
        "{spans} spans hit the attribute limit: {dropped} attributes set by the application were \
         dropped to keep llmscope's usage and cost (the application may set {} per span; see \
         `llmscope.attributes.dropped` and OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT)",
        application_budget()
    );
}
