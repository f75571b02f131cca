//! async-openai (feature `async-openai`, the version pinned in the workspace `Cargo.toml`):
//! [`Usage`] for its chat completion response, stream chunk, embeddings response and
//! Responses API response; [`Content`] for its request messages and responses; [`ErrorType`]
//! for its error, through the taxonomy in [`errors`](crate::errors).
//!
//! Token semantics are OpenAI's: `prompt_tokens` / `input_tokens` include cached tokens and
//! `completion_tokens` / `output_tokens` include reasoning tokens.

use crate::capture::parts::serialized_messages;
use crate::capture::{Content, Message};
use crate::errors::{classify_json, classify_status, ErrorClass};
use crate::usage::{ErrorType, Usage, UsageData};
use ::async_openai::error::{OpenAIError, StreamError};
use ::async_openai::types::chat::{
    ChatCompletionRequestMessage, CompletionUsage, CreateChatCompletionResponse,
    CreateChatCompletionStreamResponse, FinishReason, ServiceTier,
};
use ::async_openai::types::embeddings::CreateEmbeddingResponse;
use ::async_openai::types::responses::{Response, Status};

fn finish_reason(reason: &FinishReason) -> &'static str {
    match reason {
        FinishReason::Stop => "stop",
        FinishReason::Length => "length",
        FinishReason::ToolCalls => "tool_calls",
        FinishReason::ContentFilter => "content_filter",
        FinishReason::FunctionCall => "function_call",
    }
}

fn service_tier(tier: &ServiceTier) -> &'static str {
    match tier {
        ServiceTier::Auto => "auto",
        ServiceTier::Default => "default",
        ServiceTier::Flex => "flex",
        ServiceTier::Scale => "scale",
        ServiceTier::Priority => "priority",
        ServiceTier::Fast => "fast",
    }
}

impl Usage for CompletionUsage {
    fn record_usage<'a>(&'a self, usage: &mut UsageData<'a>) {
        usage.set_input_tokens(u64::from(self.prompt_tokens));
        usage.set_output_tokens(u64::from(self.completion_tokens));
        if let Some(cached) = self
            .prompt_tokens_details
            .as_ref()
            .and_then(|details| details.cached_tokens)
        {
            usage.set_cache_read_tokens(u64::from(cached));
        }
        if let Some(reasoning) = self
            .completion_tokens_details
            .as_ref()
            .and_then(|details| details.reasoning_tokens)
        {
            usage.set_reasoning_tokens(u64::from(reasoning));
        }
    }
}

impl Usage for CreateChatCompletionResponse {
    fn record_usage<'a>(&'a self, usage: &mut UsageData<'a>) {
        usage.set_response_id(&self.id);
        usage.set_response_model(&self.model);
        for choice in &self.choices {
            if let Some(reason) = &choice.finish_reason {
                usage.push_finish_reason(finish_reason(reason));
            }
            if let Some(text) = &choice.message.content {
                usage.push_completion(text);
            }
        }
        self.usage.record_usage(usage);
        if let Some(tier) = &self.service_tier {
            usage.set_service_tier(service_tier(tier));
        }
    }
}

impl Usage for CreateChatCompletionStreamResponse {
    fn record_usage<'a>(&'a self, usage: &mut UsageData<'a>) {
        usage.set_response_id(&self.id);
        usage.set_response_model(&self.model);
        for choice in &self.choices {
            if let Some(reason) = &choice.finish_reason {
                usage.push_finish_reason(finish_reason(reason));
            }
            if let Some(text) = choice.delta.content.as_deref().filter(|t| !t.is_empty()) {
                usage.push_completion(text);
            }
            for call in choice.delta.tool_calls.iter().flatten() {
                let function = call.function.as_ref();
                usage.push_tool_call(
                    call.index,
                    call.id.as_deref(),
                    function.and_then(|f| f.name.as_deref()),
                    function.and_then(|f| f.arguments.as_deref()).unwrap_or(""),
                );
            }
        }
        self.usage.record_usage(usage);
        if let Some(tier) = &self.service_tier {
            usage.set_service_tier(service_tier(tier));
        }
    }
}

impl Usage for CreateEmbeddingResponse {
    fn record_usage<'a>(&'a self, usage: &mut UsageData<'a>) {
        usage.set_response_model(&self.model);
        usage.set_input_tokens(u64::from(self.usage.prompt_tokens));
    }
}

impl Usage for Response {
    fn record_usage<'a>(&'a self, usage: &mut UsageData<'a>) {
        usage.set_response_id(&self.id);
        usage.set_response_model(&self.model);
        let incomplete = self.incomplete_details.as_ref().map(|d| d.reason.as_str());
        let reason = match (&self.status, incomplete) {
            (_, Some("max_output_tokens")) => Some("length"),
            (_, Some("content_filter")) => Some("content_filter"),
            (Status::Completed, _) => Some("stop"),
            (Status::Failed, _) => Some("error"),
            (Status::Cancelled, _) => Some("cancelled"),
            (Status::Incomplete, _) => Some("incomplete"),
            (Status::InProgress | Status::Queued, _) => None,
        };
        if let Some(reason) = reason {
            usage.push_finish_reason(reason);
        }
        if let Some(counts) = &self.usage {
            usage.set_input_tokens(u64::from(counts.input_tokens));
            usage.set_output_tokens(u64::from(counts.output_tokens));
            usage.set_cache_read_tokens(u64::from(counts.input_tokens_details.cached_tokens));
            usage.set_reasoning_tokens(u64::from(counts.output_tokens_details.reasoning_tokens));
        }
    }
}

/// A request message (system, developer, user with text, image and audio parts, assistant
/// with tool calls, tool results), mapped through its OpenAI JSON.
impl Content for ChatCompletionRequestMessage {
    fn messages<'a>(&'a self, role: &'static str, out: &mut Vec<Message<'a>>) {
        serialized_messages(self, role, out);
    }
}

/// The assistant message of each choice: text, refusal and tool calls.
impl Content for CreateChatCompletionResponse {
    fn messages<'a>(&'a self, role: &'static str, out: &mut Vec<Message<'a>>) {
        for choice in &self.choices {
            serialized_messages(&choice.message, role, out);
        }
    }
}

/// The output items: reasoning summaries, text, refusals and function calls.
impl Content for Response {
    fn messages<'a>(&'a self, role: &'static str, out: &mut Vec<Message<'a>>) {
        let wire = serde_json::to_value(self)
            .ok()
            .and_then(|json| serde_json::from_value::<super::openai::Response>(json).ok());
        if let Some(wire) = wire {
            let mut messages = Vec::new();
            wire.messages(role, &mut messages);
            let owned: Vec<Message<'static>> =
                messages.into_iter().map(Message::into_owned).collect();
            for message in owned {
                out.push(message);
            }
        }
    }
}

fn class_of(error: &OpenAIError) -> ErrorClass {
    match error {
        OpenAIError::ApiError(response) => {
            let body = serde_json::json!({ "error": response.api_error });
            classify_json(Some(response.status_code.as_u16()), &body)
        }
        OpenAIError::Reqwest(error) if error.is_timeout() => ErrorClass::Timeout,
        OpenAIError::Reqwest(error) => match error.status() {
            Some(status) => classify_status(status.as_u16()),
            None if error.is_decode() => ErrorClass::OutputParsing,
            None => ErrorClass::ServerError,
        },
        OpenAIError::JSONDeserialize(..) => ErrorClass::OutputParsing,
        OpenAIError::StreamError(stream) => match &**stream {
            StreamError::UnknownEvent(_) => ErrorClass::OutputParsing,
            StreamError::EventStream(_) => ErrorClass::ServerError,
        },
        _ => ErrorClass::InvalidRequest,
    }
}

/// `error.type` from the taxonomy: the API error's status and code, a transport timeout,
/// a response that does not parse (`output_parsing`), a client-side invalid argument.
impl ErrorType for OpenAIError {
    fn error_type(&self) -> &str {
        class_of(self).as_str()
    }
    fn retryable(&self) -> Option<bool> {
        Some(class_of(self).is_retryable())
    }
}
