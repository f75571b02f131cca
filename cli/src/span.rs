//! One span as the commands see it, decoded from a line of OTLP/JSON (the format of llmscope's
//! JSONL exporter and of the OpenTelemetry Collector's file exporter).
//!
//! Only the fields the commands use are kept; unknown fields are skipped by the decoder.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use crate::keys;

/// Token counts of a model call (OTel semantics: input includes cache, output includes reasoning).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Tokens {
    pub(crate) input: u64,
    pub(crate) output: u64,
    pub(crate) cache_read: u64,
    pub(crate) cache_write: u64,
    pub(crate) reasoning: u64,
}

/// The cost parts llmscope writes next to the total.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct CostParts {
    pub(crate) input: Option<f64>,
    pub(crate) output: Option<f64>,
    pub(crate) cache_read: Option<f64>,
    pub(crate) cache_write: Option<f64>,
}

/// One `gen_ai.evaluation.result` event.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Evaluation {
    pub(crate) name: String,
    pub(crate) score: Option<f64>,
    pub(crate) label: Option<String>,
}

/// A decoded span.
#[derive(Debug, Clone, Default)]
pub(crate) struct Span {
    pub(crate) trace_id: String,
    pub(crate) span_id: String,
    /// `None` for a root span.
    pub(crate) parent_id: Option<String>,
    pub(crate) name: String,
    pub(crate) start_ns: u64,
    pub(crate) end_ns: u64,
    pub(crate) status_error: bool,
    pub(crate) status_message: String,
    pub(crate) operation: Option<String>,
    pub(crate) provider: Option<String>,
    /// Response model, else request model.
    pub(crate) model: Option<String>,
    pub(crate) feature: Option<String>,
    pub(crate) user: Option<String>,
    pub(crate) tokens: Tokens,
    pub(crate) has_usage: bool,
    pub(crate) cost: Option<f64>,
    pub(crate) cost_parts: CostParts,
    pub(crate) error_type: Option<String>,
    /// Time to first chunk, seconds.
    pub(crate) time_to_first_chunk: Option<f64>,
    pub(crate) finish_reasons: Vec<String>,
    pub(crate) evaluations: Vec<Evaluation>,
    pub(crate) exception: Option<String>,
    /// `keys::DETAILS` present on the span, rendered as text (only when details are asked for).
    pub(crate) details: Vec<(&'static str, String)>,
}

impl Span {
    /// Duration in nanoseconds (0 if the clock went backwards).
    pub(crate) fn duration_ns(&self) -> u64 {
        self.end_ns.saturating_sub(self.start_ns)
    }

    /// Whether the span failed: status Error or an `error.type`.
    pub(crate) fn is_error(&self) -> bool {
        self.status_error || self.error_type.is_some()
    }

    fn operation_in(&self, set: &[&str]) -> bool {
        self.operation
            .as_deref()
            .is_some_and(|op| set.contains(&op))
    }

    /// A model call with usage and cost (chat, completion, embeddings).
    pub(crate) fn is_model_call(&self) -> bool {
        self.operation_in(&keys::MODEL_CALL_OPERATIONS)
    }

    /// A generation call (chat, completion).
    pub(crate) fn is_generation(&self) -> bool {
        self.operation_in(&keys::GENERATION_OPERATIONS)
    }

    /// Retrieval work (embeddings, retrieval, rerank).
    pub(crate) fn is_retrieval(&self) -> bool {
        self.operation_in(&keys::RETRIEVAL_OPERATIONS)
    }
}

// ---- the OTLP/JSON shapes, borrowed from the line where possible ----

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(rename = "resourceSpans", borrow, default)]
    resource_spans: Vec<ResourceSpans<'a>>,
}

#[derive(Deserialize)]
struct ResourceSpans<'a> {
    #[serde(rename = "scopeSpans", borrow, default)]
    scope_spans: Vec<ScopeSpans<'a>>,
}

#[derive(Deserialize)]
struct ScopeSpans<'a> {
    #[serde(borrow, default)]
    spans: Vec<RawSpan<'a>>,
}

#[derive(Deserialize)]
struct RawSpan<'a> {
    #[serde(rename = "traceId", borrow)]
    trace_id: Cow<'a, str>,
    #[serde(rename = "spanId", borrow)]
    span_id: Cow<'a, str>,
    #[serde(rename = "parentSpanId", borrow, default)]
    parent_span_id: Cow<'a, str>,
    #[serde(borrow, default)]
    name: Cow<'a, str>,
    #[serde(rename = "startTimeUnixNano", default)]
    start: Number,
    #[serde(rename = "endTimeUnixNano", default)]
    end: Number,
    #[serde(borrow, default)]
    attributes: Vec<RawKeyValue<'a>>,
    #[serde(borrow, default)]
    events: Vec<RawEvent<'a>>,
    #[serde(borrow, default)]
    status: Option<RawStatus<'a>>,
}

#[derive(Deserialize)]
struct RawEvent<'a> {
    #[serde(borrow, default)]
    name: Cow<'a, str>,
    #[serde(borrow, default)]
    attributes: Vec<RawKeyValue<'a>>,
}

#[derive(Deserialize)]
struct RawStatus<'a> {
    #[serde(borrow, default)]
    message: Cow<'a, str>,
    #[serde(default)]
    code: Number,
}

#[derive(Deserialize)]
struct RawKeyValue<'a> {
    #[serde(borrow)]
    key: Cow<'a, str>,
    #[serde(borrow, default)]
    value: Option<RawValue<'a>>,
}

#[derive(Deserialize, Default)]
struct RawValue<'a> {
    #[serde(rename = "stringValue", borrow, default)]
    string: Option<Cow<'a, str>>,
    #[serde(rename = "intValue", default)]
    int: Option<Number>,
    #[serde(rename = "doubleValue", default)]
    double: Option<Number>,
    #[serde(rename = "boolValue", default)]
    boolean: Option<bool>,
    #[serde(rename = "arrayValue", borrow, default)]
    array: Option<RawArray<'a>>,
}

#[derive(Deserialize, Default)]
struct RawArray<'a> {
    #[serde(borrow, default)]
    values: Vec<RawValue<'a>>,
}

/// An OTLP/JSON number: a JSON number or a decimal string (64-bit integers, `"NaN"`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
enum Number {
    #[default]
    Missing,
    Int(i64),
    Float(f64),
}

impl Number {
    fn as_f64(self) -> Option<f64> {
        match self {
            Number::Missing => None,
            Number::Int(value) => Some(value as f64),
            Number::Float(value) => Some(value),
        }
    }

    fn as_u64(self) -> u64 {
        match self {
            Number::Int(value) => u64::try_from(value).unwrap_or(0),
            Number::Float(value) if value.is_finite() && value > 0.0 => value as u64,
            _ => 0,
        }
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NumberVisitor;
        impl Visitor<'_> for NumberVisitor {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or a decimal string")
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Number, E> {
                Ok(Number::Int(value))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Number, E> {
                Ok(i64::try_from(value).map_or(Number::Float(value as f64), Number::Int))
            }
            fn visit_f64<E: de::Error>(self, value: f64) -> Result<Number, E> {
                Ok(Number::Float(value))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Number, E> {
                if let Ok(value) = text.parse::<i64>() {
                    return Ok(Number::Int(value));
                }
                if let Ok(value) = text.parse::<u64>() {
                    return Ok(Number::Float(value as f64));
                }
                match text {
                    "NaN" => Ok(Number::Float(f64::NAN)),
                    "Infinity" => Ok(Number::Float(f64::INFINITY)),
                    "-Infinity" => Ok(Number::Float(f64::NEG_INFINITY)),
                    _ => text
                        .parse::<f64>()
                        .map(Number::Float)
                        .map_err(|_| E::custom(format!("`{text}` is not a number"))),
                }
            }
            fn visit_unit<E: de::Error>(self) -> Result<Number, E> {
                Ok(Number::Missing)
            }
        }
        deserializer.deserialize_any(NumberVisitor)
    }
}

impl RawValue<'_> {
    fn as_str(&self) -> Option<&str> {
        self.string.as_deref()
    }

    fn as_f64(&self) -> Option<f64> {
        self.double
            .and_then(Number::as_f64)
            .or_else(|| self.int.and_then(Number::as_f64))
    }

    fn as_u64(&self) -> Option<u64> {
        self.int.or(self.double).map(Number::as_u64)
    }

    /// The value as text, the way `show` prints it.
    fn render(&self) -> String {
        if let Some(text) = &self.string {
            return text.to_string();
        }
        if let Some(value) = self.boolean {
            return value.to_string();
        }
        if let Some(Number::Int(value)) = self.int {
            return value.to_string();
        }
        if let Some(value) = self.as_f64() {
            return format!("{value}");
        }
        if let Some(array) = &self.array {
            let items: Vec<String> = array.values.iter().map(RawValue::render).collect();
            return format!("[{}]", items.join(", "));
        }
        String::new()
    }
}

/// Decodes one line into its spans; `details` keeps the `keys::DETAILS` attributes for `show`.
///
/// # Errors
///
/// The decoder's message if the line is not an OTLP/JSON export request.
pub(crate) fn decode_line(line: &str, details: bool, out: &mut Vec<Span>) -> Result<(), String> {
    let decoded: Line<'_> = serde_json::from_str(line).map_err(|error| error.to_string())?;
    for resource in decoded.resource_spans {
        for scope in resource.scope_spans {
            for raw in scope.spans {
                out.push(convert(raw, details));
            }
        }
    }
    Ok(())
}

fn convert(raw: RawSpan<'_>, details: bool) -> Span {
    let mut span = Span {
        trace_id: raw.trace_id.into_owned(),
        span_id: raw.span_id.into_owned(),
        parent_id: (!raw.parent_span_id.is_empty()).then(|| raw.parent_span_id.into_owned()),
        name: raw.name.into_owned(),
        start_ns: raw.start.as_u64(),
        end_ns: raw.end.as_u64(),
        ..Span::default()
    };
    if let Some(status) = raw.status {
        span.status_error = matches!(status.code, Number::Int(keys::STATUS_ERROR));
        span.status_message = status.message.into_owned();
    }
    let mut request_model = None;
    let mut cost_rank = usize::MAX;
    let mut user_rank = usize::MAX;
    for attribute in &raw.attributes {
        let Some(value) = &attribute.value else {
            continue;
        };
        let key = attribute.key.as_ref();
        let owned = || value.as_str().map(str::to_owned);
        match key {
            keys::OPERATION => span.operation = owned(),
            keys::PROVIDER => span.provider = owned(),
            keys::RESPONSE_MODEL => span.model = owned(),
            keys::REQUEST_MODEL => request_model = owned(),
            keys::FEATURE => span.feature = owned(),
            keys::INPUT_TOKENS => {
                span.tokens.input = value.as_u64().unwrap_or(0);
                span.has_usage = true;
            }
            keys::OUTPUT_TOKENS => {
                span.tokens.output = value.as_u64().unwrap_or(0);
                span.has_usage = true;
            }
            keys::CACHE_READ_TOKENS => span.tokens.cache_read = value.as_u64().unwrap_or(0),
            keys::CACHE_WRITE_TOKENS => span.tokens.cache_write = value.as_u64().unwrap_or(0),
            keys::REASONING_TOKENS => span.tokens.reasoning = value.as_u64().unwrap_or(0),
            keys::COST_INPUT => span.cost_parts.input = value.as_f64(),
            keys::COST_OUTPUT => span.cost_parts.output = value.as_f64(),
            keys::COST_CACHE_READ => span.cost_parts.cache_read = value.as_f64(),
            keys::COST_CACHE_WRITE => span.cost_parts.cache_write = value.as_f64(),
            keys::ERROR_TYPE => span.error_type = owned(),
            keys::TIME_TO_FIRST_CHUNK => {
                span.time_to_first_chunk = value.as_f64().filter(|v| v.is_finite())
            }
            keys::FINISH_REASONS => {
                if let Some(array) = &value.array {
                    span.finish_reasons = array
                        .values
                        .iter()
                        .filter_map(|item| item.as_str().map(str::to_owned))
                        .collect();
                }
            }
            _ => {
                if let Some(rank) = keys::COST_TOTAL.iter().position(|k| *k == key) {
                    if rank < cost_rank {
                        if let Some(cost) = value.as_f64().filter(|c| c.is_finite()) {
                            span.cost = Some(cost);
                            cost_rank = rank;
                        }
                    }
                } else if let Some(rank) = keys::USER.iter().position(|k| *k == key) {
                    if rank < user_rank {
                        span.user = owned();
                        user_rank = rank;
                    }
                }
            }
        }
        if details {
            if let Some(known) = keys::DETAILS.iter().find(|k| **k == key) {
                span.details.push((known, value.render()));
            }
        }
    }
    if span.model.is_none() {
        span.model = request_model;
    }
    if details {
        span.details
            .sort_by_key(|(key, _)| keys::DETAILS.iter().position(|k| k == key));
    }
    for event in &raw.events {
        if event.name == keys::EVALUATION_EVENT {
            let mut evaluation = Evaluation {
                name: String::new(),
                score: None,
                label: None,
            };
            for attribute in &event.attributes {
                let Some(value) = &attribute.value else {
                    continue;
                };
                match attribute.key.as_ref() {
                    keys::EVALUATION_NAME => {
                        evaluation.name = value.as_str().unwrap_or_default().to_owned()
                    }
                    keys::EVALUATION_SCORE => evaluation.score = value.as_f64(),
                    keys::EVALUATION_LABEL => evaluation.label = value.as_str().map(str::to_owned),
                    _ => {}
                }
            }
            span.evaluations.push(evaluation);
        } else if event.name == keys::EXCEPTION_EVENT && span.exception.is_none() {
            span.exception = event
                .attributes
                .iter()
                .find(|kv| kv.key == keys::EXCEPTION_MESSAGE)
                .and_then(|kv| kv.value.as_ref())
                .and_then(RawValue::as_str)
                .map(str::to_owned);
        }
    }
    span
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span_with(attributes: &str) -> Span {
        let line = format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"ab","spanId":"cd","name":"chat x","startTimeUnixNano":"1","endTimeUnixNano":"2","attributes":[{attributes}]}}]}}]}}]}}"#
        );
        let mut spans = Vec::new();
        decode_line(&line, true, &mut spans).unwrap();
        spans.remove(0)
    }

    #[test]
    fn cost_keys_are_read_in_priority_order_whatever_their_position() {
        let both = span_with(
            r#"{"key":"gen_ai.usage.cost.amount","value":{"doubleValue":3.0}},{"key":"llm.cost.total","value":{"doubleValue":2.0}},{"key":"llmscope.cost.total","value":{"doubleValue":1.0}}"#,
        );
        assert_eq!(both.cost, Some(1.0));
        let openinference = span_with(
            r#"{"key":"llm.cost.total","value":{"doubleValue":2.0}},{"key":"gen_ai.usage.cost.amount","value":{"doubleValue":3.0}}"#,
        );
        assert_eq!(openinference.cost, Some(2.0));
        let proposed =
            span_with(r#"{"key":"gen_ai.usage.cost.amount","value":{"doubleValue":3.0}}"#);
        assert_eq!(proposed.cost, Some(3.0));
    }

    #[test]
    fn model_user_and_numbers_follow_their_fallbacks() {
        let span = span_with(
            r#"{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},{"key":"enduser.id","value":{"stringValue":"e-1"}},{"key":"user.id","value":{"stringValue":"u-1"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"1200"}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":7}},{"key":"gen_ai.response.time_to_first_chunk","value":{"doubleValue":"NaN"}}"#,
        );
        assert_eq!(span.model.as_deref(), Some("gpt-4o"));
        assert_eq!(span.user.as_deref(), Some("u-1"));
        assert_eq!((span.tokens.input, span.tokens.output), (1200, 7));
        // A non-finite time ("NaN" in OTLP/JSON) is no time.
        assert_eq!(span.time_to_first_chunk, None);
        let answered = span_with(
            r#"{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},{"key":"gen_ai.response.model","value":{"stringValue":"gpt-4o-2024-08-06"}}"#,
        );
        assert_eq!(answered.model.as_deref(), Some("gpt-4o-2024-08-06"));
    }
}
