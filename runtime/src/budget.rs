//! Room for llmscope's own attributes on spans the application fills with its own.
//!
//! The SDK keeps at most `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT` attributes per span (128 by
//! default) and silently drops every one set after that. llmscope writes usage, cost and
//! content when a call *returns*, so an application that set many attributes during the call
//! would push exactly those out. The span of an annotated call is therefore wrapped: once it
//! holds the limit minus [`RESERVED`] attributes, the attributes the application sets
//! (`attrs(...)` of the macros, and any set through the OpenTelemetry API while the call runs)
//! are dropped, counted in `llmscope.attributes.dropped` on the span, and reported by a warning
//! at most once per 10 seconds; the last [`RESERVED`] slots are llmscope's own (recognised by their keys:
//! `llmscope.*`, usage, response, cost, content and `error.type`). Below that mark nothing is
//! checked: an attribute costs one comparison more than on a bare SDK span.
//!
//! The limit is read from `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT` as the SDK reads it; a limit set
//! in code on the tracer provider is not visible to llmscope, which then assumes 128.

use std::sync::OnceLock;
use std::time::SystemTime;

use opentelemetry::trace::{Span as _, SpanContext, Status};
use opentelemetry::KeyValue;

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
fn is_own_key(key: &str) -> bool {
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

/// An SDK span that keeps room for llmscope's own attributes (see the module docs).
#[derive(Debug)]
pub(crate) struct BudgetSpan {
    inner: opentelemetry_sdk::trace::Span,
    /// Attributes set so far (llmscope's and the application's).
    attributes: u32,
    /// From this many on, the application's attributes are refused.
    budget: u32,
    /// Attributes of the application dropped so far.
    dropped: u32,
}

impl BudgetSpan {
    /// Wraps `inner`, which holds `attributes` attributes and had `dropped` more of the
    /// application's refused.
    pub(crate) fn new(
        inner: opentelemetry_sdk::trace::Span,
        attributes: u32,
        dropped: u32,
    ) -> Self {
        BudgetSpan {
            inner,
            attributes,
            budget: application_budget(),
            dropped,
        }
    }

    /// Writes the dropped count, once, before the span ends.
    fn report(&mut self) {
        if self.dropped == 0 || !self.inner.is_recording() {
            return;
        }
        let dropped = std::mem::take(&mut self.dropped);
        self.inner
            .set_attribute(KeyValue::new(DROPPED_KEY, i64::from(dropped)));
        warn_dropped(u64::from(dropped));
    }
}

/// Counts a span that dropped `dropped` application attributes; the rate-limited warning
/// reports the spans and attributes since its previous line.
fn warn_dropped(dropped: u64) {
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

impl opentelemetry::trace::Span for BudgetSpan {
    fn add_event_with_timestamp<T>(
        &mut self,
        name: T,
        timestamp: SystemTime,
        attributes: Vec<KeyValue>,
    ) where
        T: Into<std::borrow::Cow<'static, str>>,
    {
        self.inner
            .add_event_with_timestamp(name, timestamp, attributes);
    }

    fn span_context(&self) -> &SpanContext {
        self.inner.span_context()
    }

    fn is_recording(&self) -> bool {
        self.inner.is_recording()
    }

    #[inline]
    fn set_attribute(&mut self, attribute: KeyValue) {
        if self.attributes < self.budget || is_own_key(attribute.key.as_str()) {
            self.attributes = self.attributes.saturating_add(1);
            self.inner.set_attribute(attribute);
        } else {
            self.dropped = self.dropped.saturating_add(1);
        }
    }

    fn set_status(&mut self, status: Status) {
        self.inner.set_status(status);
    }

    fn update_name<T>(&mut self, new_name: T)
    where
        T: Into<std::borrow::Cow<'static, str>>,
    {
        self.inner.update_name(new_name);
    }

    fn add_link(&mut self, span_context: SpanContext, attributes: Vec<KeyValue>) {
        self.inner.add_link(span_context, attributes);
    }

    fn end_with_timestamp(&mut self, timestamp: SystemTime) {
        self.report();
        self.inner.end_with_timestamp(timestamp);
    }
}

impl Drop for BudgetSpan {
    fn drop(&mut self) {
        self.report();
    }
}
