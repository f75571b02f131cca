//! OpenAI wire types: Chat Completions (response and stream chunk), the Responses API,
//! embeddings, and the error body.
//!
//! `prompt_tokens` / `input_tokens` already **include** cached tokens and
//! `completion_tokens` / `output_tokens` already **include** reasoning tokens, as semconv
//! counts them.

use super::set;
use crate::capture::{Content, Message, Part};
use crate::usage::{Usage, UsageData};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

/// A Chat Completions response (`POST /v1/chat/completions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletion {
    /// The response id (`chatcmpl-…`).
    pub id: String,
    /// The model that served the request.
    pub model: String,
    /// The choices.
    #[serde(default)]
    pub choices: Vec<ChatChoice>,
    /// Token usage.
    #[serde(default)]
    pub usage: Option<CompletionUsage>,
    /// The service tier that served the request (`default`, `flex`, `priority`).
    #[serde(default)]
    pub service_tier: Option<String>,
}

/// One choice of a chat completion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatChoice {
    /// The choice index.
    #[serde(default)]
    pub index: u32,
    /// The assistant message.
    pub message: ChatMessage,
    /// Why generation stopped (`stop`, `length`, `tool_calls`, `content_filter`).
    #[serde(default)]
    pub finish_reason: Option<String>,
}

/// An assistant message of a chat completion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// The role (`assistant`).
    pub role: String,
    /// The text, absent when the model only called tools.
    #[serde(default)]
    pub content: Option<String>,
    /// The refusal text, if the model refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    /// The tool calls.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
}

/// A tool call requested by the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The call id (`call_…`).
    pub id: String,
    /// The kind of tool (`function`).
    #[serde(rename = "type")]
    pub kind: String,
    /// The function and its arguments.
    pub function: FunctionCall,
}

/// A function call: the name and the arguments as JSON text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCall {
    /// The function name.
    #[serde(default)]
    pub name: String,
    /// The arguments, JSON text as the model produced it.
    #[serde(default)]
    pub arguments: String,
}

/// Chat Completions token usage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompletionUsage {
    /// Input tokens, **including** cached tokens.
    pub prompt_tokens: u64,
    /// Output tokens, **including** reasoning tokens.
    #[serde(default)]
    pub completion_tokens: u64,
    /// The sum.
    #[serde(default)]
    pub total_tokens: u64,
    /// Details of the input tokens.
    #[serde(default)]
    pub prompt_tokens_details: Option<PromptTokensDetails>,
    /// Details of the output tokens.
    #[serde(default)]
    pub completion_tokens_details: Option<CompletionTokensDetails>,
}

/// Details of the input tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptTokensDetails {
    /// Input tokens read from the prompt cache (a subset of `prompt_tokens`).
    #[serde(default)]
    pub cached_tokens: Option<u64>,
}

/// Details of the output tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompletionTokensDetails {
    /// Reasoning tokens (a subset of `completion_tokens`).
    #[serde(default)]
    pub reasoning_tokens: Option<u64>,
}

/// The token counts both OpenAI APIs report, under their own field names.
fn record_counts(
    usage: &mut UsageData<'_>,
    input: u64,
    output: u64,
    input_details: Option<&PromptTokensDetails>,
    output_details: Option<&CompletionTokensDetails>,
) {
    usage.set_input_tokens(input);
    usage.set_output_tokens(output);
    if let Some(details) = input_details {
        set(details.cached_tokens, |n| usage.set_cache_read_tokens(n));
    }
    if let Some(details) = output_details {
        set(details.reasoning_tokens, |n| usage.set_reasoning_tokens(n));
    }
}

impl Usage for CompletionUsage {
    fn record_usage<'a>(&'a self, usage: &mut UsageData<'a>) {
        record_counts(
            usage,
            self.prompt_tokens,
            self.completion_tokens,
            self.prompt_tokens_details.as_ref(),
            self.completion_tokens_details.as_ref(),
        );
    }
}

impl Usage for ChatCompletion {
    fn record_usage<'a>(&'a self, usage: &mut UsageData<'a>) {
        usage.set_response_id(&self.id);
        usage.set_response_model(&self.model);
        for choice in &self.choices {
            if let Some(reason) = &choice.finish_reason {
                usage.push_finish_reason(reason);
            }
            if let Some(text) = &choice.message.content {
                usage.push_completion(text);
            }
        }
        self.usage.record_usage(usage);
        if let Some(tier) = &self.service_tier {
            usage.set_service_tier(tier);
        }
    }
}

/// A Chat Completions stream chunk (`chat.completion.chunk`). With
/// `stream_options.include_usage` the last chunk has no choices and carries the usage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionChunk {
    /// The response id, the same on every chunk.
    pub id: String,
    /// The model that served the request.
    pub model: String,
    /// The choice deltas.
    #[serde(default)]
    pub choices: Vec<ChunkChoice>,
    /// Token usage, on the final chunk only.
    #[serde(default)]
    pub usage: Option<CompletionUsage>,
}

/// One choice delta of a stream chunk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkChoice {
    /// The choice index.
    #[serde(default)]
    pub index: u32,
    /// What this chunk adds.
    #[serde(default)]
    pub delta: ChunkDelta,
    /// Why generation stopped, on the choice's last chunk.
    #[serde(default)]
    pub finish_reason: Option<String>,
}

/// What a stream chunk adds to a choice.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChunkDelta {
    /// The role, on the first chunk.
    #[serde(default)]
    pub role: Option<String>,
    /// A piece of the text.
    #[serde(default)]
    pub content: Option<String>,
    /// Pieces of tool calls.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCallDelta>,
}

/// A piece of a streamed tool call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCallDelta {
    /// Which tool call of the choice this piece belongs to.
    pub index: u32,
    /// The call id, on the first piece.
    #[serde(default)]
    pub id: Option<String>,
    /// The function name (first piece) and a piece of its arguments.
    #[serde(default)]
    pub function: Option<FunctionCall>,
}

impl Usage for ChatCompletionChunk {
    fn record_usage<'a>(&'a self, usage: &mut UsageData<'a>) {
        usage.set_response_id(&self.id);
        usage.set_response_model(&self.model);
        for choice in &self.choices {
            if let Some(reason) = &choice.finish_reason {
                usage.push_finish_reason(reason);
            }
            if let Some(text) = choice.delta.content.as_deref().filter(|t| !t.is_empty()) {
                usage.push_completion(text);
            }
            for call in &choice.delta.tool_calls {
                let function = call.function.as_ref();
                usage.push_tool_call(
                    call.index,
                    call.id.as_deref(),
                    function
                        .map(|f| f.name.as_str())
                        .filter(|name| !name.is_empty()),
                    function.map_or("", |f| f.arguments.as_str()),
                );
            }
        }
        self.usage.record_usage(usage);
    }
}

/// A Responses API response (`POST /v1/responses`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    /// The response id (`resp_…`).
    pub id: String,
    /// The model that served the request.
    pub model: String,
    /// `completed`, `incomplete`, `failed`, …
    #[serde(default)]
    pub status: Option<String>,
    /// The output items.
    #[serde(default)]
    pub output: Vec<ResponseItem>,
    /// Token usage.
    #[serde(default)]
    pub usage: Option<ResponseUsage>,
    /// Why the response is incomplete (`max_output_tokens`, `content_filter`).
    #[serde(default)]
    pub incomplete_details: Option<IncompleteDetails>,
    /// The service tier that served the request.
    #[serde(default)]
    pub service_tier: Option<String>,
}

/// Why a Responses API response is incomplete.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncompleteDetails {
    /// `max_output_tokens` or `content_filter`.
    pub reason: String,
}

/// An output item of a Responses API response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseItem {
    /// An assistant message.
    Message {
        /// The role (`assistant`).
        #[serde(default)]
        role: String,
        /// The content parts.
        #[serde(default)]
        content: Vec<ResponseContent>,
    },
    /// A reasoning item (its summary, if requested).
    Reasoning {
        /// The summary parts.
        #[serde(default)]
        summary: Vec<Value>,
    },
    /// A function call.
    FunctionCall {
        /// The call id.
        call_id: String,
        /// The function name.
        name: String,
        /// The arguments, JSON text.
        arguments: String,
    },
    /// Any other item (web search, file search, …).
    #[serde(other)]
    Other,
}

/// A content part of a Responses API message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseContent {
    /// Output text.
    OutputText {
        /// The text.
        text: String,
    },
    /// A refusal.
    Refusal {
        /// The refusal text.
        refusal: String,
    },
    /// Any other part.
    #[serde(other)]
    Other,
}

/// Responses API token usage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseUsage {
    /// Input tokens, **including** cached tokens.
    pub input_tokens: u64,
    /// Output tokens, **including** reasoning tokens.
    pub output_tokens: u64,
    /// The sum.
    #[serde(default)]
    pub total_tokens: u64,
    /// Details of the input tokens.
    #[serde(default)]
    pub input_tokens_details: Option<PromptTokensDetails>,
    /// Details of the output tokens.
    #[serde(default)]
    pub output_tokens_details: Option<CompletionTokensDetails>,
}

impl Usage for ResponseUsage {
    fn record_usage<'a>(&'a self, usage: &mut UsageData<'a>) {
        record_counts(
            usage,
            self.input_tokens,
            self.output_tokens,
            self.input_tokens_details.as_ref(),
            self.output_tokens_details.as_ref(),
        );
    }
}

impl Usage for Response {
    fn record_usage<'a>(&'a self, usage: &mut UsageData<'a>) {
        usage.set_response_id(&self.id);
        usage.set_response_model(&self.model);
        // The Responses API has no finish reason: derive the Chat Completions one.
        let reason = match (&self.status, &self.incomplete_details) {
            (_, Some(details)) if details.reason == "max_output_tokens" => Some("length"),
            (_, Some(details)) if details.reason == "content_filter" => Some("content_filter"),
            _ if self
                .output
                .iter()
                .any(|item| matches!(item, ResponseItem::FunctionCall { .. })) =>
            {
                Some("tool_calls")
            }
            (Some(status), _) if status == "completed" => Some("stop"),
            (Some(status), _) => Some(status.as_str()),
            _ => None,
        };
        if let Some(reason) = reason {
            usage.push_finish_reason(reason);
        }
        for item in &self.output {
            if let ResponseItem::Message { content, .. } = item {
                for part in content {
                    if let ResponseContent::OutputText { text } = part {
                        usage.push_completion(text);
                    }
                }
            }
        }
        self.usage.record_usage(usage);
        if let Some(tier) = &self.service_tier {
            usage.set_service_tier(tier);
        }
    }
}

/// An embeddings response (`POST /v1/embeddings`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Embeddings {
    /// The model that served the request.
    pub model: String,
    /// The embeddings.
    #[serde(default)]
    pub data: Vec<Embedding>,
    /// Token usage (input only).
    pub usage: EmbeddingsUsage,
}

/// One embedding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Embedding {
    /// The input's index.
    #[serde(default)]
    pub index: u32,
    /// The vector.
    #[serde(default)]
    pub embedding: Vec<f32>,
}

/// Embeddings token usage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingsUsage {
    /// Input tokens.
    pub prompt_tokens: u64,
    /// The sum (equal to `prompt_tokens`).
    #[serde(default)]
    pub total_tokens: u64,
}

impl Usage for Embeddings {
    fn record_usage<'a>(&'a self, usage: &mut UsageData<'a>) {
        usage.set_response_model(&self.model);
        usage.set_input_tokens(self.usage.prompt_tokens);
    }
}

/// An OpenAI error body (`{"error": {"message", "type", "param", "code"}}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The error inside an OpenAI error body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// A human-readable message.
    pub message: String,
    /// The error type (`invalid_request_error`, `server_error`, `tokens`, …).
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// The request parameter at fault.
    #[serde(default)]
    pub param: Option<String>,
    /// The error code (`rate_limit_exceeded`, `context_length_exceeded`, …).
    #[serde(default)]
    pub code: Option<String>,
}

impl fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.error.code.as_deref().or(self.error.kind.as_deref());
        match code {
            Some(code) => write!(f, "{code}: {}", self.error.message),
            None => f.write_str(&self.error.message),
        }
    }
}

impl ChatMessage {
    fn parts(&self) -> Vec<Part<'_>> {
        let mut parts = Vec::new();
        if let Some(text) = &self.content {
            parts.push(Part::text(text.as_str()));
        }
        if let Some(refusal) = &self.refusal {
            parts.push(Part::text(refusal.as_str()));
        }
        for call in &self.tool_calls {
            parts.push(Part::tool_call_from_text(
                Some(&call.id),
                &call.function.name,
                &call.function.arguments,
            ));
        }
        parts
    }
}

/// The assistant message of each choice: text, refusal and tool calls.
impl Content for ChatCompletion {
    fn messages<'a>(&'a self, _role: &'static str, out: &mut Vec<Message<'a>>) {
        for choice in &self.choices {
            out.push(Message::with_parts(
                Cow::Borrowed(choice.message.role.as_str()),
                choice.message.parts(),
            ));
        }
    }
}

/// One assistant message: reasoning summaries, text, refusals and function calls.
impl Content for Response {
    fn messages<'a>(&'a self, _role: &'static str, out: &mut Vec<Message<'a>>) {
        let mut parts = Vec::new();
        for item in &self.output {
            match item {
                ResponseItem::Reasoning { summary } => {
                    for text in summary.iter().filter_map(|s| s.get("text")?.as_str()) {
                        parts.push(Part::Reasoning(Cow::Borrowed(text)));
                    }
                }
                ResponseItem::Message { content, .. } => {
                    for part in content {
                        match part {
                            ResponseContent::OutputText { text } => {
                                parts.push(Part::text(text.as_str()))
                            }
                            ResponseContent::Refusal { refusal } => {
                                parts.push(Part::text(refusal.as_str()))
                            }
                            ResponseContent::Other => {}
                        }
                    }
                }
                ResponseItem::FunctionCall {
                    call_id,
                    name,
                    arguments,
                } => parts.push(Part::tool_call_from_text(Some(call_id), name, arguments)),
                ResponseItem::Other => {}
            }
        }
        out.push(Message::with_parts("assistant", parts));
    }
}
