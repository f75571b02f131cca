//! Extra attribute sets derived at export time: OpenInference, pre-1.37 GenAI names, and the
//! proposed GenAI attributes newer than semconv v1.41.0.

use std::time::Duration;

use opentelemetry::{Key, KeyValue, Value};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use opentelemetry_sdk::Resource;

use crate::keys;

/// Which attribute sets to emit besides the GenAI semconv v1.41 ones.
///
/// `OTEL_SEMCONV_STABILITY_OPT_IN` (comma-separated) selects them in [`crate::setup`]:
///
/// | value | adds |
/// |---|---|
/// | `openinference` | `openinference.span.kind`, `llm.model_name`, `llm.provider`, `llm.token_count.*` |
/// | `gen_ai/dup` | the pre-1.37 `gen_ai.system` next to `gen_ai.provider.name` (deprecated in v1.41.0) |
/// | `gen_ai_latest_experimental` | the proposed cost attributes `gen_ai.usage.cost.amount` (= `llmscope.cost.total`), `gen_ai.usage.cost.currency` (`USD`), `gen_ai.usage.cost.source` (`local`), not in the v1.41.0 registry |
///
/// Without any of them the output conforms to the semconv v1.41.0 registry
/// (`tests/conformance.rs`). Other values (`http`, …) are accepted and change nothing here.
///
/// ```
/// use llmscope::export::SemconvOptions;
///
/// let options = SemconvOptions::from_opt_in("http/dup, openinference");
/// assert!(options.openinference);
/// assert!(!options.legacy_names);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SemconvOptions {
    /// Add `openinference.span.kind`, `llm.model_name`, `llm.provider`, `llm.token_count.*`.
    pub openinference: bool,
    /// Add pre-1.37 GenAI names (`gen_ai.system`) alongside the current ones.
    pub legacy_names: bool,
    /// Add the proposed GenAI attributes newer than semconv v1.41.0 (`gen_ai.usage.cost.*`).
    pub latest_experimental: bool,
}

impl SemconvOptions {
    /// Options from an `OTEL_SEMCONV_STABILITY_OPT_IN` value.
    pub fn from_opt_in(value: &str) -> Self {
        let mut options = SemconvOptions::default();
        for token in value.split(',').map(str::trim) {
            match token {
                "openinference" => options.openinference = true,
                "gen_ai/dup" => options.legacy_names = true,
                "gen_ai_latest_experimental" => options.latest_experimental = true,
                _ => {}
            }
        }
        options
    }

    /// With or without the OpenInference attributes.
    pub fn with_openinference(mut self, on: bool) -> Self {
        self.openinference = on;
        self
    }

    /// With or without the pre-1.37 names.
    pub fn with_legacy_names(mut self, on: bool) -> Self {
        self.legacy_names = on;
        self
    }

    /// With or without the proposed GenAI attributes newer than semconv v1.41.0.
    pub fn with_latest_experimental(mut self, on: bool) -> Self {
        self.latest_experimental = on;
        self
    }

    fn any(self) -> bool {
        self.openinference || self.legacy_names || self.latest_experimental
    }
}

/// A [`SpanExporter`] that adds the attribute sets of [`SemconvOptions`] to each span, then
/// hands the batch to the wrapped exporter. It runs on the export thread, so the instrumented
/// call pays nothing for it; with no option set it passes batches through untouched.
///
/// ```
/// use llmscope::export::{SemconvExporter, SemconvOptions};
/// use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
///
/// let memory = InMemorySpanExporter::default();
/// let options = SemconvOptions::default().with_openinference(true);
/// let provider = SdkTracerProvider::builder()
///     .with_simple_exporter(SemconvExporter::new(memory.clone(), options))
///     .build();
/// # use opentelemetry::trace::{Tracer as _, TracerProvider as _};
/// provider.tracer("doc").in_span("handle", |_| {});
/// let span = &memory.get_finished_spans().unwrap()[0];
/// let kind = span.attributes.iter().find(|kv| kv.key.as_str() == "openinference.span.kind");
/// assert_eq!(kind.unwrap().value.as_str(), "CHAIN");
/// ```
#[derive(Debug)]
pub struct SemconvExporter<E> {
    inner: E,
    options: SemconvOptions,
}

impl<E> SemconvExporter<E> {
    /// Wraps `inner`.
    pub fn new(inner: E, options: SemconvOptions) -> Self {
        SemconvExporter { inner, options }
    }
}

impl<E: SpanExporter> SpanExporter for SemconvExporter<E> {
    fn export(
        &self,
        mut batch: Vec<SpanData>,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        if self.options.any() {
            for span in &mut batch {
                map_span(&mut span.attributes, self.options);
            }
        }
        self.inner.export(batch)
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

fn find<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a Value> {
    attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

fn int(attributes: &[KeyValue], key: &str) -> Option<i64> {
    match find(attributes, key)? {
        Value::I64(v) => Some(*v),
        _ => None,
    }
}

/// The OpenInference span kind of a GenAI operation name (or of llmscope's own operation name,
/// for spans no registered value fits).
fn span_kind(operation: Option<&str>) -> &'static str {
    match operation {
        Some("chat" | "text_completion" | "generate_content") => "LLM",
        Some("embeddings") => "EMBEDDING",
        Some("execute_tool") => "TOOL",
        Some("invoke_agent" | "create_agent") => "AGENT",
        Some("retrieval" | "retrieve") => "RETRIEVER",
        Some("rerank") => "RERANKER",
        _ => "CHAIN",
    }
}

fn map_span(attributes: &mut Vec<KeyValue>, options: SemconvOptions) {
    let mut added: Vec<KeyValue> = Vec::new();
    let mut add = |attributes: &[KeyValue], key: &'static str, value: Value| {
        if find(attributes, key).is_none() {
            added.push(KeyValue::new(Key::from_static_str(key), value));
        }
    };
    let provider = find(attributes, keys::GEN_AI_PROVIDER_NAME).cloned();
    if options.legacy_names {
        if let Some(provider) = &provider {
            // Written on purpose: the legacy opt-in exists for backends that read the old name.
            #[allow(deprecated)]
            add(attributes, keys::GEN_AI_SYSTEM, provider.clone());
        }
    }
    if options.latest_experimental {
        if let Some(total @ Value::F64(_)) = find(attributes, keys::LLMSCOPE_COST_TOTAL).cloned() {
            add(attributes, keys::GEN_AI_USAGE_COST_AMOUNT, total);
            add(
                attributes,
                keys::GEN_AI_USAGE_COST_CURRENCY,
                Value::from("USD"),
            );
            add(
                attributes,
                keys::GEN_AI_USAGE_COST_SOURCE,
                Value::from("local"),
            );
        }
    }
    if options.openinference {
        let operation = find(attributes, keys::GEN_AI_OPERATION_NAME)
            .or_else(|| find(attributes, keys::LLMSCOPE_OPERATION_NAME))
            .map(|v| v.as_str());
        add(
            attributes,
            "openinference.span.kind",
            Value::from(span_kind(operation.as_deref())),
        );
        let model = find(attributes, keys::GEN_AI_RESPONSE_MODEL)
            .or_else(|| find(attributes, keys::GEN_AI_REQUEST_MODEL))
            .cloned();
        if let Some(model) = model {
            add(attributes, keys::LLM_MODEL_NAME, model);
        }
        if let Some(provider) = provider {
            add(attributes, keys::LLM_PROVIDER, provider);
        }
        let input = int(attributes, keys::GEN_AI_USAGE_INPUT_TOKENS);
        let output = int(attributes, keys::GEN_AI_USAGE_OUTPUT_TOKENS);
        if let Some(input) = input {
            add(attributes, keys::LLM_TOKEN_COUNT_PROMPT, Value::I64(input));
        }
        if let Some(output) = output {
            add(
                attributes,
                keys::LLM_TOKEN_COUNT_COMPLETION,
                Value::I64(output),
            );
        }
        if input.is_some() || output.is_some() {
            let total = input.unwrap_or(0) + output.unwrap_or(0);
            add(attributes, keys::LLM_TOKEN_COUNT_TOTAL, Value::I64(total));
        }
        for (from, to) in [
            (
                keys::GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
                keys::LLM_TOKEN_COUNT_PROMPT_DETAILS_CACHE_READ,
            ),
            (
                keys::GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
                keys::LLM_TOKEN_COUNT_PROMPT_DETAILS_CACHE_WRITE,
            ),
            (
                keys::GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
                keys::LLM_TOKEN_COUNT_COMPLETION_DETAILS_REASONING,
            ),
        ] {
            if let Some(v) = int(attributes, from) {
                add(attributes, to, Value::I64(v));
            }
        }
        add_openinference_values(attributes, &mut add);
    }
    attributes.extend(added);
}

/// OpenInference's `input.value` / `output.value` (what Phoenix shows in its Input and
/// Output panels): the captured, already redacted content, or nothing. Never response
/// metadata: with content not captured the panels stay empty rather than showing
/// `{"id": …, "model": …}` as if it were the model's answer.
fn add_openinference_values(
    attributes: &[KeyValue],
    add: &mut impl FnMut(&[KeyValue], &'static str, Value),
) {
    let pairs = [
        (
            keys::GEN_AI_INPUT_MESSAGES,
            keys::INPUT_VALUE,
            keys::INPUT_MIME_TYPE,
        ),
        (
            keys::GEN_AI_TOOL_CALL_ARGUMENTS,
            keys::INPUT_VALUE,
            keys::INPUT_MIME_TYPE,
        ),
        (
            keys::GEN_AI_RETRIEVAL_QUERY_TEXT,
            keys::INPUT_VALUE,
            keys::INPUT_MIME_TYPE,
        ),
        (
            keys::GEN_AI_OUTPUT_MESSAGES,
            keys::OUTPUT_VALUE,
            keys::OUTPUT_MIME_TYPE,
        ),
        (
            keys::GEN_AI_TOOL_CALL_RESULT,
            keys::OUTPUT_VALUE,
            keys::OUTPUT_MIME_TYPE,
        ),
    ];
    for (from, value_key, mime_key) in pairs {
        let Some(Value::String(text)) = find(attributes, from) else {
            continue;
        };
        let text = text.as_str();
        let trimmed = text.trim_start();
        let mime = if (trimmed.starts_with('{') || trimmed.starts_with('['))
            && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
        {
            "application/json"
        } else {
            "text/plain"
        };
        add(attributes, value_key, Value::from(text.to_owned()));
        add(attributes, mime_key, Value::from(mime));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a Value> {
        find(attributes, key)
    }

    fn llm_attributes() -> Vec<KeyValue> {
        vec![
            KeyValue::new("gen_ai.operation.name", "chat"),
            KeyValue::new("gen_ai.provider.name", "openai"),
            KeyValue::new("gen_ai.request.model", "gpt-4o"),
            KeyValue::new("gen_ai.response.model", "gpt-4o-2024-08-06"),
            KeyValue::new("gen_ai.usage.input_tokens", 1200_i64),
            KeyValue::new("gen_ai.usage.output_tokens", 80_i64),
            KeyValue::new("gen_ai.usage.cache_read.input_tokens", 1024_i64),
        ]
    }

    #[test]
    fn openinference_values_are_the_captured_messages_or_absent() {
        let mut attributes = llm_attributes();
        attributes.push(KeyValue::new(keys::GEN_AI_RESPONSE_ID, "chatcmpl-1"));
        map_span(
            &mut attributes,
            SemconvOptions::default().with_openinference(true),
        );
        for key in [
            keys::INPUT_VALUE,
            keys::OUTPUT_VALUE,
            keys::INPUT_MIME_TYPE,
            keys::OUTPUT_MIME_TYPE,
        ] {
            assert_eq!(get(&attributes, key), None, "{key} without content");
        }

        let input = r#"[{"role":"user","parts":[{"type":"text","content":"[EMAIL] asks"}]}]"#;
        let output = r#"[{"role":"assistant","parts":[{"type":"text","content":"Paris."}],"finish_reason":"stop"}]"#;
        let mut attributes = llm_attributes();
        attributes.push(KeyValue::new(keys::GEN_AI_INPUT_MESSAGES, input));
        attributes.push(KeyValue::new(keys::GEN_AI_OUTPUT_MESSAGES, output));
        map_span(
            &mut attributes,
            SemconvOptions::default().with_openinference(true),
        );
        assert_eq!(
            get(&attributes, keys::INPUT_VALUE),
            Some(&Value::from(input))
        );
        assert_eq!(
            get(&attributes, keys::OUTPUT_VALUE),
            Some(&Value::from(output))
        );
        assert_eq!(
            get(&attributes, keys::OUTPUT_MIME_TYPE),
            Some(&Value::from("application/json"))
        );
    }

    #[test]
    fn openinference_attributes_are_derived_from_gen_ai() {
        let mut attributes = llm_attributes();
        map_span(
            &mut attributes,
            SemconvOptions::default().with_openinference(true),
        );
        assert_eq!(
            get(&attributes, "openinference.span.kind"),
            Some(&Value::from("LLM"))
        );
        assert_eq!(
            get(&attributes, "llm.model_name"),
            Some(&Value::from("gpt-4o-2024-08-06"))
        );
        assert_eq!(
            get(&attributes, "llm.provider"),
            Some(&Value::from("openai"))
        );
        assert_eq!(
            get(&attributes, "llm.token_count.prompt"),
            Some(&Value::I64(1200))
        );
        assert_eq!(
            get(&attributes, "llm.token_count.completion"),
            Some(&Value::I64(80))
        );
        assert_eq!(
            get(&attributes, "llm.token_count.total"),
            Some(&Value::I64(1280))
        );
        assert_eq!(
            get(&attributes, "llm.token_count.prompt_details.cache_read"),
            Some(&Value::I64(1024))
        );
        assert_eq!(get(&attributes, "gen_ai.system"), None);
        // gen_ai attributes stay.
        assert_eq!(
            get(&attributes, "gen_ai.provider.name"),
            Some(&Value::from("openai"))
        );
    }

    #[test]
    fn legacy_names_add_gen_ai_system_only() {
        let mut attributes = llm_attributes();
        let before = attributes.len();
        map_span(
            &mut attributes,
            SemconvOptions::default().with_legacy_names(true),
        );
        assert_eq!(
            get(&attributes, "gen_ai.system"),
            Some(&Value::from("openai"))
        );
        assert_eq!(attributes.len(), before + 1);
    }

    #[test]
    fn span_kinds_follow_the_operation() {
        for (operation, kind) in [
            ("embeddings", "EMBEDDING"),
            ("execute_tool", "TOOL"),
            ("invoke_agent", "AGENT"),
            ("text_completion", "LLM"),
            ("retrieval", "RETRIEVER"),
        ] {
            let mut attributes = vec![KeyValue::new("gen_ai.operation.name", operation)];
            map_span(
                &mut attributes,
                SemconvOptions::default().with_openinference(true),
            );
            assert_eq!(
                get(&attributes, "openinference.span.kind"),
                Some(&Value::from(kind)),
                "{operation}"
            );
        }
        let mut app = vec![KeyValue::new("http.route", "/ask")];
        map_span(&mut app, SemconvOptions::default().with_openinference(true));
        assert_eq!(
            get(&app, "openinference.span.kind"),
            Some(&Value::from("CHAIN"))
        );
        assert_eq!(get(&app, "llm.token_count.total"), None);
    }

    #[test]
    fn an_existing_attribute_is_not_overwritten() {
        let mut attributes = llm_attributes();
        attributes.push(KeyValue::new("openinference.span.kind", "AGENT"));
        map_span(
            &mut attributes,
            SemconvOptions::default().with_openinference(true),
        );
        let kinds: Vec<_> = attributes
            .iter()
            .filter(|kv| kv.key.as_str() == "openinference.span.kind")
            .collect();
        assert_eq!(kinds.len(), 1);
        assert_eq!(kinds[0].value, Value::from("AGENT"));
    }

    #[test]
    fn latest_experimental_adds_the_proposed_cost_from_llmscope_cost() {
        let mut attributes = llm_attributes();
        attributes.push(KeyValue::new(keys::LLMSCOPE_COST_TOTAL, 0.0042));
        let before = attributes.len();
        map_span(
            &mut attributes,
            SemconvOptions::default().with_latest_experimental(true),
        );
        assert_eq!(attributes.len(), before + 3);
        assert_eq!(
            get(&attributes, "gen_ai.usage.cost.amount"),
            Some(&Value::F64(0.0042))
        );
        assert_eq!(
            get(&attributes, "gen_ai.usage.cost.currency"),
            Some(&Value::from("USD"))
        );
        assert_eq!(
            get(&attributes, "gen_ai.usage.cost.source"),
            Some(&Value::from("local"))
        );
        // An unpriced call gets none.
        let mut unpriced = llm_attributes();
        let before = unpriced.len();
        map_span(
            &mut unpriced,
            SemconvOptions::default().with_latest_experimental(true),
        );
        assert_eq!(unpriced.len(), before);
    }

    #[test]
    fn llmscope_operation_names_map_to_openinference_kinds() {
        let mut rerank = vec![KeyValue::new(keys::LLMSCOPE_OPERATION_NAME, "rerank")];
        map_span(
            &mut rerank,
            SemconvOptions::default().with_openinference(true),
        );
        assert_eq!(
            get(&rerank, "openinference.span.kind"),
            Some(&Value::from("RERANKER"))
        );
    }

    #[test]
    fn opt_in_tokens() {
        assert_eq!(SemconvOptions::from_opt_in(""), SemconvOptions::default());
        let both =
            SemconvOptions::from_opt_in("gen_ai_latest_experimental,gen_ai/dup,openinference");
        assert!(both.openinference && both.legacy_names && both.latest_experimental);
        let latest = SemconvOptions::from_opt_in("gen_ai_latest_experimental");
        assert!(latest.latest_experimental && !latest.openinference && !latest.legacy_names);
        assert!(!SemconvOptions::from_opt_in("gen_ai").any());
    }
}
