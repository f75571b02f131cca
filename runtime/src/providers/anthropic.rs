//! Anthropic Messages API wire types: the message, stream events and the error body.
//!
//! Anthropic's `input_tokens` **excludes** cache reads (`cache_read_input_tokens`) and cache
//! writes (`cache_creation_input_tokens`); the [`Usage`] impls declare it, so
//! `gen_ai.usage.input_tokens` is the inclusive sum and no cached token is billed twice.
//! One-hour cache writes come from `cache_creation.ephemeral_1h_input_tokens`.

use super::set;
use crate::capture::{Content, JsonData, Part};
use crate::usage::{Usage, UsageData};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

/// A Messages API response (`POST /v1/messages`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// The message id (`msg_…`).
    pub id: String,
    /// The model that served the request.
    pub model: String,
    /// The role (`assistant`).
    #[serde(default)]
    pub role: String,
    /// The content blocks.
    #[serde(default)]
    pub content: Vec<ContentBlock>,
    /// Why generation stopped (`end_turn`, `max_tokens`, `tool_use`, `stop_sequence`, `refusal`).
    #[serde(default)]
    pub stop_reason: Option<String>,
    /// Token usage.
    pub usage: MessageUsage,
}

/// A content block of a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    /// Text.
    Text {
        /// The text.
        text: String,
    },
    /// A tool call.
    ToolUse {
        /// The call id (`toolu_…`).
        id: String,
        /// The tool name.
        name: String,
        /// The arguments, a JSON value.
        input: Value,
    },
    /// Extended thinking.
    Thinking {
        /// The reasoning text.
        thinking: String,
        /// The signature.
        #[serde(default)]
        signature: String,
    },
    /// Thinking the safety system redacted.
    RedactedThinking {
        /// The encrypted data.
        data: String,
    },
    /// Any other block.
    #[serde(other)]
    Other,
}

/// Messages API token usage.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageUsage {
    /// Input tokens, **excluding** cache reads and writes.
    #[serde(default)]
    pub input_tokens: Option<u64>,
    /// Output tokens (cumulative in stream deltas).
    #[serde(default)]
    pub output_tokens: Option<u64>,
    /// Tokens written to the cache (all TTLs).
    #[serde(default)]
    pub cache_creation_input_tokens: Option<u64>,
    /// Tokens read from the cache.
    #[serde(default)]
    pub cache_read_input_tokens: Option<u64>,
    /// The cache writes by TTL.
    #[serde(default)]
    pub cache_creation: Option<CacheCreation>,
    /// The service tier (`standard`, `priority`, `batch`).
    #[serde(default)]
    pub service_tier: Option<String>,
}

/// Cache writes by TTL.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CacheCreation {
    /// Writes with the 5-minute TTL.
    #[serde(default)]
    pub ephemeral_5m_input_tokens: u64,
    /// Writes with the 1-hour TTL.
    #[serde(default)]
    pub ephemeral_1h_input_tokens: u64,
}

impl Usage for MessageUsage {
    fn record_usage<'a>(&'a self, usage: &mut UsageData<'a>) {
        if self.input_tokens.is_some() {
            usage.set_input_excludes_cache(true);
        }
        set(self.input_tokens, |n| usage.set_input_tokens(n));
        set(self.output_tokens, |n| usage.set_output_tokens(n));
        set(self.cache_read_input_tokens, |n| {
            usage.set_cache_read_tokens(n)
        });
        set(self.cache_creation_input_tokens, |n| {
            usage.set_cache_write_tokens(n)
        });
        if let Some(split) = &self.cache_creation {
            usage.set_cache_write_1h_tokens(split.ephemeral_1h_input_tokens);
        }
        if let Some(tier) = &self.service_tier {
            usage.set_service_tier(tier);
        }
    }
}

impl Usage for Message {
    fn record_usage<'a>(&'a self, usage: &mut UsageData<'a>) {
        usage.set_response_id(&self.id);
        usage.set_response_model(&self.model);
        if let Some(reason) = &self.stop_reason {
            usage.push_finish_reason(reason);
        }
        for block in &self.content {
            if let ContentBlock::Text { text } = block {
                usage.push_completion(text);
            }
        }
        self.usage.record_usage(usage);
    }
}

/// A server-sent event of a streamed message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    /// The message starts: id, model, input and cache usage.
    MessageStart {
        /// The message so far (no content).
        message: Message,
    },
    /// A content block starts.
    ContentBlockStart {
        /// The block index.
        index: u32,
        /// The block (empty text, or a tool call with empty input).
        content_block: ContentBlock,
    },
    /// A piece of a content block.
    ContentBlockDelta {
        /// The block index.
        index: u32,
        /// The piece.
        delta: BlockDelta,
    },
    /// A content block ends.
    ContentBlockStop {
        /// The block index.
        index: u32,
    },
    /// The stop reason and the cumulative output usage.
    MessageDelta {
        /// The stop reason.
        delta: MessageDeltaBody,
        /// Cumulative usage (`output_tokens`).
        #[serde(default)]
        usage: MessageUsage,
    },
    /// The message ends.
    MessageStop,
    /// A keep-alive.
    Ping,
    /// The stream failed.
    Error {
        /// The error.
        error: ErrorDetail,
    },
}

/// A piece of a streamed content block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BlockDelta {
    /// A piece of text.
    TextDelta {
        /// The text.
        text: String,
    },
    /// A piece of a tool call's JSON input.
    InputJsonDelta {
        /// The partial JSON text.
        partial_json: String,
    },
    /// A piece of thinking.
    ThinkingDelta {
        /// The reasoning text.
        thinking: String,
    },
    /// The thinking block's signature.
    SignatureDelta {
        /// The signature.
        signature: String,
    },
    /// Any other delta.
    #[serde(other)]
    Other,
}

/// The body of a `message_delta` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageDeltaBody {
    /// Why generation stopped.
    #[serde(default)]
    pub stop_reason: Option<String>,
}

impl Usage for StreamEvent {
    fn record_usage<'a>(&'a self, usage: &mut UsageData<'a>) {
        match self {
            StreamEvent::MessageStart { message } => message.record_usage(usage),
            StreamEvent::ContentBlockDelta {
                delta: BlockDelta::TextDelta { text },
                ..
            } => usage.push_completion(text),
            // A tool call: its id and name start the block, its input arrives as JSON pieces.
            StreamEvent::ContentBlockStart {
                index,
                content_block: ContentBlock::ToolUse { id, name, .. },
            } => usage.push_tool_call(*index, Some(id), Some(name), ""),
            StreamEvent::ContentBlockDelta {
                index,
                delta: BlockDelta::InputJsonDelta { partial_json },
            } => usage.push_tool_call(*index, None, None, partial_json),
            StreamEvent::MessageDelta { delta, usage: part } => {
                if let Some(reason) = &delta.stop_reason {
                    usage.push_finish_reason(reason);
                }
                // Output counts are cumulative: the latest replaces the earlier ones.
                set(part.output_tokens, |n| usage.set_output_tokens(n));
            }
            StreamEvent::Error { .. } => usage.push_finish_reason("error"),
            _ => {}
        }
    }
}

/// An Anthropic error body (`{"type": "error", "error": {"type", "message"}}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The error inside an Anthropic error body or `error` stream event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// `rate_limit_error`, `overloaded_error`, `invalid_request_error`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// A human-readable message.
    pub message: String,
}

impl fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error.kind, self.error.message)
    }
}

impl ContentBlock {
    /// The message part of this block (`None` for redacted thinking and unknown blocks).
    pub fn part(&self) -> Option<Part<'_>> {
        Some(match self {
            ContentBlock::Text { text } => Part::text(text.as_str()),
            ContentBlock::ToolUse { id, name, input } => Part::ToolCall {
                id: Some(Cow::Borrowed(id)),
                name: Cow::Borrowed(name),
                arguments: JsonData::from(input),
            },
            ContentBlock::Thinking { thinking, .. } => Part::Reasoning(Cow::Borrowed(thinking)),
            ContentBlock::RedactedThinking { .. } | ContentBlock::Other => return None,
        })
    }
}

/// The assistant message: text, tool calls (`tool_use`) and reasoning (`thinking`).
impl Content for Message {
    fn messages<'a>(&'a self, _role: &'static str, out: &mut Vec<crate::capture::Message<'a>>) {
        let role = if self.role.is_empty() {
            "assistant"
        } else {
            &self.role
        };
        out.push(crate::capture::Message::with_parts(
            role,
            self.content.iter().filter_map(ContentBlock::part).collect(),
        ));
    }
}
