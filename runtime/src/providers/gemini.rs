//! Gemini API wire types: `generateContent` responses (also each chunk of
//! `streamGenerateContent`) and the error body.
//!
//! `promptTokenCount` **includes** `cachedContentTokenCount`; `thoughtsTokenCount` is counted
//! **outside** `candidatesTokenCount`, so the [`Usage`] impl declares output as excluding
//! reasoning and `gen_ai.usage.output_tokens` is their sum.

use super::set;
use crate::capture;
use crate::usage::{Usage, UsageData};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

/// A `generateContent` response, or one chunk of a `streamGenerateContent` stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateContentResponse {
    /// The candidates.
    #[serde(default)]
    pub candidates: Vec<Candidate>,
    /// Token usage (on every stream chunk, complete on the last).
    #[serde(default)]
    pub usage_metadata: Option<UsageMetadata>,
    /// The model version that served the request.
    #[serde(default)]
    pub model_version: Option<String>,
    /// The response id.
    #[serde(default)]
    pub response_id: Option<String>,
    /// Why the prompt was blocked, if it was.
    #[serde(default)]
    pub prompt_feedback: Option<Value>,
}

/// One candidate answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    /// The content, absent when the candidate was blocked.
    #[serde(default)]
    pub content: Option<Content>,
    /// `STOP`, `MAX_TOKENS`, `SAFETY`, …, on the last chunk.
    #[serde(default)]
    pub finish_reason: Option<String>,
    /// The candidate index.
    #[serde(default)]
    pub index: u32,
}

/// The content of a candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Content {
    /// `model`.
    #[serde(default)]
    pub role: Option<String>,
    /// The parts.
    #[serde(default)]
    pub parts: Vec<Part>,
}

/// A part of a candidate's content.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Part {
    /// Text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Whether the text is a thought summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thought: Option<bool>,
    /// A function call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_call: Option<FunctionCall>,
}

/// A function call requested by the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCall {
    /// The function name.
    pub name: String,
    /// The arguments, a JSON object.
    #[serde(default)]
    pub args: Value,
}

/// Gemini token usage.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageMetadata {
    /// Input tokens, **including** cached tokens.
    #[serde(default)]
    pub prompt_token_count: u64,
    /// Output tokens, **excluding** thoughts.
    #[serde(default)]
    pub candidates_token_count: Option<u64>,
    /// The sum of all counts.
    #[serde(default)]
    pub total_token_count: u64,
    /// Input tokens read from the context cache.
    #[serde(default)]
    pub cached_content_token_count: Option<u64>,
    /// Thinking tokens, outside `candidatesTokenCount`.
    #[serde(default)]
    pub thoughts_token_count: Option<u64>,
}

impl Usage for UsageMetadata {
    fn record_usage<'a>(&'a self, usage: &mut UsageData<'a>) {
        usage.set_input_tokens(self.prompt_token_count);
        usage.set_output_tokens(self.candidates_token_count.unwrap_or(0));
        usage.set_output_excludes_reasoning(true);
        set(self.cached_content_token_count, |n| {
            usage.set_cache_read_tokens(n)
        });
        set(self.thoughts_token_count, |n| usage.set_reasoning_tokens(n));
    }
}

impl Usage for GenerateContentResponse {
    fn record_usage<'a>(&'a self, usage: &mut UsageData<'a>) {
        if let Some(id) = &self.response_id {
            usage.set_response_id(id);
        }
        if let Some(model) = &self.model_version {
            usage.set_response_model(model);
        }
        for candidate in &self.candidates {
            if let Some(reason) = &candidate.finish_reason {
                usage.push_finish_reason(reason);
            }
            let parts = candidate.content.iter().flat_map(|c| c.parts.iter());
            for part in parts.filter(|part| part.thought != Some(true)) {
                if let Some(text) = &part.text {
                    usage.push_completion(text);
                }
            }
        }
        self.usage_metadata.record_usage(usage);
    }
}

impl GenerateContentResponse {
    /// Whether a safety filter blocked the prompt or a candidate: Gemini answers such a
    /// request with HTTP 200, so it is an error only the body shows.
    pub fn is_blocked(&self) -> bool {
        self.prompt_feedback
            .as_ref()
            .is_some_and(|feedback| feedback.get("blockReason").is_some())
            || self.candidates.iter().any(|candidate| {
                candidate
                    .finish_reason
                    .as_deref()
                    .is_some_and(crate::errors::is_filter_reason)
            })
    }
}

/// A Gemini error body (`{"error": {"code", "message", "status"}}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The error inside a Gemini error body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// The HTTP status code.
    #[serde(default)]
    pub code: u16,
    /// A human-readable message.
    pub message: String,
    /// The canonical status (`RESOURCE_EXHAUSTED`, `INVALID_ARGUMENT`, `UNAVAILABLE`, …).
    #[serde(default)]
    pub status: String,
}

impl fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error.status, self.error.message)
    }
}

impl Part {
    /// The message part of this part (`None` for an empty part).
    pub fn message_part(&self) -> Option<capture::Part<'_>> {
        if let Some(call) = &self.function_call {
            return Some(capture::Part::ToolCall {
                id: None,
                name: Cow::Borrowed(&call.name),
                arguments: capture::JsonData::from(&call.args),
            });
        }
        let text = self.text.as_deref()?;
        Some(if self.thought == Some(true) {
            capture::Part::Reasoning(Cow::Borrowed(text))
        } else {
            capture::Part::text(text)
        })
    }
}

/// One message per candidate: text, thoughts (reasoning) and function calls.
impl capture::Content for GenerateContentResponse {
    fn messages<'a>(&'a self, _role: &'static str, out: &mut Vec<capture::Message<'a>>) {
        for candidate in &self.candidates {
            let parts = candidate
                .content
                .iter()
                .flat_map(|content| content.parts.iter())
                .filter_map(Part::message_part)
                .collect();
            out.push(capture::Message::with_parts("assistant", parts));
        }
    }
}
