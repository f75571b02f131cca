//! Wire types for the three big provider APIs, for applications that call them over HTTP
//! themselves (feature `providers`).
//!
//! Each module holds serde types for the responses, stream events and error bodies of one
//! API. Responses and stream events implement [`Usage`](crate::Usage) with that provider's
//! token semantics, so an annotated function can return them directly; error bodies
//! implement [`ErrorType`] through the taxonomy in
//! [`errors`](crate::errors).
//!
//! | module | input tokens | output tokens |
//! |---|---|---|
//! | [`openai`] | `prompt_tokens` / `input_tokens` **include** cached tokens | `completion_tokens` **include** reasoning tokens |
//! | [`anthropic`] | `input_tokens` **excludes** cache reads and writes (made inclusive) | `output_tokens` |
//! | [`gemini`] | `promptTokenCount` **includes** cached tokens | `candidatesTokenCount` **excludes** `thoughtsTokenCount` (made inclusive) |
//!
//! A stream is recorded from its events: a `Vec` (or slice) of events is `Usage` too, each
//! event adding what it carries (later counts replace earlier ones, as the providers report
//! cumulative counts).

pub mod anthropic;
#[cfg(feature = "async-openai")]
mod async_openai;
pub mod gemini;
pub mod openai;

use crate::errors::{classify_json, ErrorClass};
use crate::usage::ErrorType;
use std::fmt;

/// A failed HTTP call to a provider: the status and the decoded error body.
///
/// `E` is one of the error-body types ([`openai::ErrorBody`], [`anthropic::ErrorBody`],
/// [`gemini::ErrorBody`]). Its `error.type` comes from [`classify_json`].
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError<E> {
    /// The HTTP status code.
    pub status: u16,
    /// The decoded error body.
    pub body: E,
    /// The `retry-after` header in seconds, if the provider sent one.
    pub retry_after: Option<f64>,
    class: ErrorClass,
}

impl<E: serde::Serialize> ApiError<E> {
    /// An error from its status and decoded body; classifies it once.
    pub fn new(status: u16, body: E) -> Self {
        let json = serde_json::to_value(&body).unwrap_or_default();
        ApiError {
            status,
            class: classify_json(Some(status), &json),
            body,
            retry_after: None,
        }
    }
}

impl<E> ApiError<E> {
    /// Sets the `retry-after` delay in seconds.
    pub fn with_retry_after(mut self, seconds: f64) -> Self {
        self.retry_after = Some(seconds);
        self
    }
    /// The class of this failure.
    pub fn class(&self) -> ErrorClass {
        self.class
    }
}

impl<E: fmt::Display> fmt::Display for ApiError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http {}: {}", self.status, self.body)
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for ApiError<E> {}

impl<E> ErrorType for ApiError<E> {
    fn error_type(&self) -> &str {
        self.class.as_str()
    }
    fn retryable(&self) -> Option<bool> {
        Some(self.class.is_retryable())
    }
}

/// Records a token count if present.
fn set(count: Option<u64>, setter: impl FnOnce(u64)) {
    if let Some(count) = count {
        setter(count);
    }
}
