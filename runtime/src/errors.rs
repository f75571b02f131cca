//! The error taxonomy: provider failures classified into low-cardinality `error.type` values,
//! each with a retryable flag.
//!
//! The wire error types in [`providers`](crate::providers) implement [`ErrorType`] through
//! [`classify`]; applications with their own error types call [`classify`] (or
//! [`classify_json`]) with the HTTP status and the body they received and return
//! [`ErrorClass::as_str`] from their own [`ErrorType`] impl:
//!
//! ```
//! use llmscope::errors::{classify, ErrorClass};
//!
//! let body = r#"{"error": {"type": "rate_limit_error", "message": "slow down"}}"#;
//! let class = classify(Some(429), body);
//! assert_eq!(class, ErrorClass::RateLimit);
//! assert_eq!(class.as_str(), "rate_limit");
//! assert!(class.is_retryable());
//! ```
//!
//! A failed call whose error implements [`ErrorType::retryable`] also carries
//! `llmscope.error.retryable` ([`RETRYABLE_KEY`]). Retries are attributed by giving each
//! attempt its own `#[llm_call]` span with `attempt = n` (`llmscope.request.attempt`,
//! [`ATTEMPT_KEY`]), so the cost of every attempt is visible.

use crate::usage::ErrorType;
use serde_json::Value;
use std::fmt;

/// `llmscope.error.retryable`: whether the failure of a call is worth retrying.
pub use crate::keys::LLMSCOPE_ERROR_RETRYABLE as RETRYABLE_KEY;
/// `llmscope.request.attempt`: the attempt number of a call (1 for the first try).
pub use crate::keys::LLMSCOPE_REQUEST_ATTEMPT as ATTEMPT_KEY;

/// A class of provider failure, written to `error.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// Too many requests or tokens per minute (HTTP 429, `rate_limit_error`, `RESOURCE_EXHAUSTED`).
    RateLimit,
    /// The prompt does not fit the model's context window.
    ContextLengthExceeded,
    /// The provider's safety system refused the prompt or the answer.
    ContentFilter,
    /// The request timed out (HTTP 408, 504, a client-side timeout).
    Timeout,
    /// The provider failed (HTTP 500 and other 5xx).
    ServerError,
    /// The provider is overloaded (HTTP 529 `overloaded_error`, 503 `UNAVAILABLE`).
    Overloaded,
    /// The API key is missing, invalid or lacks permission (HTTP 401, 403).
    Authentication,
    /// The request is malformed (HTTP 400, 404, 422 and other 4xx).
    InvalidRequest,
    /// The response could not be parsed (a 2xx body that is not what the client expects).
    OutputParsing,
}

impl ErrorClass {
    /// Every class, in declaration order.
    pub const ALL: [ErrorClass; 9] = [
        ErrorClass::RateLimit,
        ErrorClass::ContextLengthExceeded,
        ErrorClass::ContentFilter,
        ErrorClass::Timeout,
        ErrorClass::ServerError,
        ErrorClass::Overloaded,
        ErrorClass::Authentication,
        ErrorClass::InvalidRequest,
        ErrorClass::OutputParsing,
    ];

    /// The `error.type` value.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorClass::RateLimit => "rate_limit",
            ErrorClass::ContextLengthExceeded => "context_length_exceeded",
            ErrorClass::ContentFilter => "content_filter",
            ErrorClass::Timeout => "timeout",
            ErrorClass::ServerError => "server_error",
            ErrorClass::Overloaded => "overloaded",
            ErrorClass::Authentication => "authentication",
            ErrorClass::InvalidRequest => "invalid_request",
            ErrorClass::OutputParsing => "output_parsing",
        }
    }

    /// Whether the same request may succeed if sent again (rate limits, timeouts, server
    /// errors, overload); a malformed, too long, filtered or unauthorised request will not.
    pub const fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorClass::RateLimit
                | ErrorClass::Timeout
                | ErrorClass::ServerError
                | ErrorClass::Overloaded
        )
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ErrorType for ErrorClass {
    fn error_type(&self) -> &str {
        self.as_str()
    }
    fn retryable(&self) -> Option<bool> {
        Some(self.is_retryable())
    }
}

/// Classifies a provider failure from its HTTP status (if any) and its body text.
///
/// The body's error code wins over the status (a 400 may be a context overflow or a content
/// filter); a body that is not JSON is classified by the status alone, and a 2xx body that is
/// not JSON is [`ErrorClass::OutputParsing`].
pub fn classify(status: Option<u16>, body: &str) -> ErrorClass {
    match serde_json::from_str::<Value>(body) {
        Ok(json) => classify_json(status, &json),
        Err(_) => match status {
            Some(200..=299) | None => ErrorClass::OutputParsing,
            Some(status) => classify_status(status),
        },
    }
}

/// Classifies a provider failure from its HTTP status (if any) and its parsed body.
///
/// Reads OpenAI's `error.code` / `error.type`, Anthropic's `error.type`, Gemini's
/// `error.status` and a Gemini candidate's `finishReason: SAFETY` (a filter answered with
/// HTTP 200), then the message text for context-window overflows, then the status.
pub fn classify_json(status: Option<u16>, body: &Value) -> ErrorClass {
    let error = body.get("error").unwrap_or(&Value::Null);
    let field = |name: &str| error.get(name).and_then(Value::as_str).unwrap_or("");
    let message = field("message").to_ascii_lowercase();
    for code in [field("code"), field("type"), field("status")] {
        if let Some(class) = classify_code(code) {
            // Gemini says INVALID_ARGUMENT for an over-long prompt: the message tells.
            if class == ErrorClass::InvalidRequest && is_context_overflow(&message) {
                return ErrorClass::ContextLengthExceeded;
            }
            return class;
        }
    }
    if is_context_overflow(&message) {
        return ErrorClass::ContextLengthExceeded;
    }
    if is_filtered(body) {
        return ErrorClass::ContentFilter;
    }
    match status {
        Some(status) if status >= 400 => classify_status(status),
        Some(_) | None if error.is_null() => ErrorClass::OutputParsing,
        _ => ErrorClass::InvalidRequest,
    }
}

/// Classifies by HTTP status alone.
pub fn classify_status(status: u16) -> ErrorClass {
    match status {
        401 | 403 => ErrorClass::Authentication,
        408 | 504 => ErrorClass::Timeout,
        413 => ErrorClass::ContextLengthExceeded,
        429 => ErrorClass::RateLimit,
        503 | 529 => ErrorClass::Overloaded,
        500..=599 => ErrorClass::ServerError,
        200..=299 => ErrorClass::OutputParsing,
        _ => ErrorClass::InvalidRequest,
    }
}

fn classify_code(code: &str) -> Option<ErrorClass> {
    Some(match code {
        "rate_limit_exceeded"
        | "rate_limit_error"
        | "RESOURCE_EXHAUSTED"
        | "insufficient_quota" => ErrorClass::RateLimit,
        "context_length_exceeded" | "string_above_max_length" => ErrorClass::ContextLengthExceeded,
        "content_filter" | "content_policy_violation" => ErrorClass::ContentFilter,
        "timeout" | "request_timeout" | "DEADLINE_EXCEEDED" => ErrorClass::Timeout,
        "server_error" | "api_error" | "INTERNAL" => ErrorClass::ServerError,
        "overloaded_error" | "UNAVAILABLE" => ErrorClass::Overloaded,
        "invalid_api_key"
        | "authentication_error"
        | "permission_error"
        | "UNAUTHENTICATED"
        | "PERMISSION_DENIED" => ErrorClass::Authentication,
        "invalid_request_error"
        | "INVALID_ARGUMENT"
        | "not_found_error"
        | "NOT_FOUND"
        | "FAILED_PRECONDITION" => ErrorClass::InvalidRequest,
        _ => return None,
    })
}

fn is_context_overflow(message: &str) -> bool {
    message.contains("context length")
        || message.contains("context window")
        || message.contains("prompt is too long")
        || (message.contains("exceeds the maximum") && message.contains("token"))
}

/// A Gemini response blocked by safety: a candidate finished `SAFETY` / `PROHIBITED_CONTENT`
/// (or the prompt was blocked) instead of an HTTP error.
fn is_filtered(body: &Value) -> bool {
    let blocked_candidate = body
        .get("candidates")
        .and_then(Value::as_array)
        .is_some_and(|candidates| {
            candidates.iter().any(|candidate| {
                candidate
                    .get("finishReason")
                    .and_then(Value::as_str)
                    .is_some_and(is_filter_reason)
            })
        });
    let blocked_prompt = body
        .get("promptFeedback")
        .and_then(|feedback| feedback.get("blockReason"))
        .is_some();
    blocked_candidate || blocked_prompt
}

/// Whether a finish reason says a safety filter stopped the answer.
pub(crate) fn is_filter_reason(reason: &str) -> bool {
    matches!(
        reason,
        "SAFETY" | "PROHIBITED_CONTENT" | "BLOCKLIST" | "SPII" | "RECITATION" | "content_filter"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_has_a_distinct_name() {
        let mut names: Vec<&str> = ErrorClass::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorClass::ALL.len());
    }

    #[test]
    fn a_body_that_is_not_json_falls_back_to_the_status() {
        assert_eq!(
            classify(Some(502), "<html>bad gateway</html>"),
            ErrorClass::ServerError
        );
        assert_eq!(
            classify(Some(200), "{\"choices\": ["),
            ErrorClass::OutputParsing
        );
        assert_eq!(classify(Some(504), ""), ErrorClass::Timeout);
    }
}
