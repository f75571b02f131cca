//! Token usage read from the value an annotated function returns.
//!
//! A type describes its usage by implementing [`Usage`], almost always through
//! `#[derive(llmscope::Usage)]`. The macros read it once the call returns and
//! write the GenAI semconv usage attributes from the collected [`UsageData`].

use std::borrow::Cow;
use std::rc::Rc;
use std::sync::Arc;

/// A value that carries the token usage and response metadata of an LLM call.
///
/// Derive it rather than implementing it by hand (see `llmscope::Usage` for the
/// derive and its field roles). A manual implementation fills the [`UsageData`] it
/// is given:
///
/// ```
/// use llmscope::{Usage, UsageData};
///
/// struct Reply { prompt_tokens: u32, completion_tokens: u32, model: String }
///
/// impl Usage for Reply {
///     fn record_usage<'a>(&'a self, usage: &mut UsageData<'a>) {
///         usage.set_input_tokens(u64::from(self.prompt_tokens));
///         usage.set_output_tokens(u64::from(self.completion_tokens));
///         usage.set_response_model(&self.model);
///     }
/// }
///
/// let reply = Reply { prompt_tokens: 12, completion_tokens: 3, model: "gpt-4o".into() };
/// let mut usage = UsageData::default();
/// reply.record_usage(&mut usage);
/// assert_eq!(usage.input_tokens(), Some(12));
/// ```
///
/// `Option<T>`, `Result<T, E>` (usage of the `Ok` value only), references,
/// `Box`, `Rc`, `Arc`, slices and `Vec` of a `Usage` type are `Usage` too.
#[diagnostic::on_unimplemented(
    message = "the return type `{Self}` does not implement `llmscope::Usage`",
    label = "`{Self}` does not implement `llmscope::Usage`",
    note = "derive it with `#[derive(llmscope::Usage)]`, or opt out of usage capture with `usage = false`"
)]
pub trait Usage {
    /// Writes this value's token counts and response metadata into `usage`.
    fn record_usage<'a>(&'a self, usage: &mut UsageData<'a>);
}

/// A tool call, or a piece of a streamed one (see [`UsageData::push_tool_call`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToolCallFragment<'a> {
    /// Which call of the response this piece belongs to.
    pub index: u32,
    /// The call id, on the first piece.
    pub id: Option<&'a str>,
    /// The tool name, on the first piece.
    pub name: Option<&'a str>,
    /// A piece of the arguments' JSON text (all of it for a call that is not streamed).
    pub arguments: &'a str,
}

/// The token counts of a [`UsageData`]: values and which of them were reported, in two
/// words a stream chunk initialises and folds in at once.
#[derive(Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    values: [u64; 6],
    /// Bit `i` set: `values[i]` was reported.
    present: u8,
}

impl Counts {
    const INPUT: usize = 0;
    const OUTPUT: usize = 1;
    const CACHE_READ: usize = 2;
    const CACHE_WRITE: usize = 3;
    const CACHE_WRITE_1H: usize = 4;
    const REASONING: usize = 5;

    #[inline]
    fn set(&mut self, count: usize, value: u64) {
        self.values[count] = value;
        self.present |= 1 << count;
    }

    #[inline]
    fn get(&self, count: usize) -> Option<u64> {
        (self.present & (1 << count) != 0).then_some(self.values[count])
    }

    /// The counts `other` reported replace these (the latest value wins).
    #[inline]
    fn absorb(&mut self, other: &Counts) {
        if other.present == 0 {
            return;
        }
        for count in 0..self.values.len() {
            if other.present & (1 << count) != 0 {
                self.values[count] = other.values[count];
            }
        }
        self.present |= other.present;
    }
}

impl std::fmt::Debug for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Counts")
            .field("input", &self.get(Counts::INPUT))
            .field("output", &self.get(Counts::OUTPUT))
            .field("cache_read", &self.get(Counts::CACHE_READ))
            .field("cache_write", &self.get(Counts::CACHE_WRITE))
            .field("cache_write_1h", &self.get(Counts::CACHE_WRITE_1H))
            .field("reasoning", &self.get(Counts::REASONING))
            .finish()
    }
}

/// A list of texts holding its first in place: a reply's finish reasons (one per choice,
/// nearly always one) are read without an allocation per call, and an empty list (a stream
/// chunk's) is one more word to initialize than an empty `Vec`.
#[derive(Clone, Default)]
struct FewTexts<'a> {
    /// The text while there is only one.
    first: Option<&'a str>,
    /// All the texts once there are two or more (then `first` is `None`).
    rest: Vec<&'a str>,
}

impl<'a> FewTexts<'a> {
    fn push(&mut self, text: &'a str) {
        if self.rest.is_empty() {
            match self.first.take() {
                None => {
                    self.first = Some(text);
                    return;
                }
                Some(first) => {
                    self.rest.reserve(4);
                    self.rest.push(first);
                }
            }
        }
        self.rest.push(text);
    }

    #[inline]
    fn as_slice(&self) -> &[&'a str] {
        match &self.first {
            Some(first) => std::slice::from_ref(first),
            None => &self.rest,
        }
    }
}

impl PartialEq for FewTexts<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl std::fmt::Debug for FewTexts<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

/// Usage and response metadata collected from a returned value.
///
/// Token counts follow OpenTelemetry GenAI semconv: [`input_tokens`](Self::input_tokens)
/// **includes** cached tokens (cache reads and writes are subsets of it) and
/// [`output_tokens`](Self::output_tokens) **includes** reasoning tokens. Providers
/// that report them apart (Anthropic's `input_tokens`, Gemini's `thoughtsTokenCount`)
/// say so with [`set_input_excludes_cache`](Self::set_input_excludes_cache) and
/// [`set_output_excludes_reasoning`](Self::set_output_excludes_reasoning); the getters
/// always return the inclusive figures, so cached tokens are never billed twice.
///
/// Cache writes nest the same way: [`cache_write_tokens`](Self::cache_write_tokens) counts
/// **all** cache writes (Anthropic's `cache_creation_input_tokens`, the 1-hour ones included)
/// and [`cache_write_1h_tokens`](Self::cache_write_1h_tokens) is the part of them stored with a
/// one-hour TTL (Anthropic's `cache_creation.ephemeral_1h_input_tokens`). The 5-minute writes
/// are the difference, [`cache_write_5m_tokens`](Self::cache_write_5m_tokens); pricing bills
/// each write once, at its own rate.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct UsageData<'a> {
    counts: Counts,
    input_excludes_cache: bool,
    output_excludes_reasoning: bool,
    response_model: Option<&'a str>,
    response_id: Option<&'a str>,
    finish_reasons: FewTexts<'a>,
    completion: Vec<&'a str>,
    tool_calls: Vec<ToolCallFragment<'a>>,
    service_tier: Option<&'a str>,
    /// Streaming hook: set while reading a chunk whose text is not captured, so no chunk
    /// allocates for text that is thrown away.
    discard_completion: bool,
    /// Streaming hook: the stream's completion so far, lent for one chunk whose text is
    /// captured; the chunk's text is appended to it, so no chunk allocates a list of parts.
    stream_text: Option<String>,
}

impl<'a> UsageData<'a> {
    /// Sets the input (prompt) token count as the provider reports it.
    pub fn set_input_tokens(&mut self, tokens: u64) {
        self.counts.set(Counts::INPUT, tokens);
    }
    /// Sets the output (completion) token count as the provider reports it.
    pub fn set_output_tokens(&mut self, tokens: u64) {
        self.counts.set(Counts::OUTPUT, tokens);
    }
    /// Sets the number of input tokens read from the provider's prompt cache.
    pub fn set_cache_read_tokens(&mut self, tokens: u64) {
        self.counts.set(Counts::CACHE_READ, tokens);
    }
    /// Sets the number of input tokens written to the provider's prompt cache (all TTLs).
    pub fn set_cache_write_tokens(&mut self, tokens: u64) {
        self.counts.set(Counts::CACHE_WRITE, tokens);
    }
    /// Sets the part of the cache writes stored with a one-hour TTL (Anthropic), a subset
    /// of the cache writes.
    pub fn set_cache_write_1h_tokens(&mut self, tokens: u64) {
        self.counts.set(Counts::CACHE_WRITE_1H, tokens);
    }
    /// Sets the number of reasoning ("thinking") output tokens.
    pub fn set_reasoning_tokens(&mut self, tokens: u64) {
        self.counts.set(Counts::REASONING, tokens);
    }
    /// Declares that the reported input count **excludes** cache reads and writes
    /// (Anthropic), so the inclusive count is input + cache read + cache write.
    pub fn set_input_excludes_cache(&mut self, excludes: bool) {
        self.input_excludes_cache = excludes;
    }
    /// Declares that the reported output count **excludes** reasoning tokens (Gemini's
    /// `thoughtsTokenCount`), so the inclusive count is output + reasoning.
    pub fn set_output_excludes_reasoning(&mut self, excludes: bool) {
        self.output_excludes_reasoning = excludes;
    }
    /// Sets the model that actually served the request (`gen_ai.response.model`).
    pub fn set_response_model(&mut self, model: &'a str) {
        self.response_model = Some(model);
    }
    /// Sets the provider's response id (`gen_ai.response.id`).
    pub fn set_response_id(&mut self, id: &'a str) {
        self.response_id = Some(id);
    }
    /// Appends a finish reason (`gen_ai.response.finish_reasons`).
    pub fn push_finish_reason(&mut self, reason: &'a str) {
        self.finish_reasons.push(reason);
    }
    /// Appends a tool call the model asked for, or a piece of one from a stream chunk: pieces
    /// with the same `index` are one call, their `arguments` joined in order (OpenAI's
    /// `delta.tool_calls[i].function.arguments`, Anthropic's `input_json_delta`); the id and
    /// name come with the first piece. Content: exported only if the capture policy allows,
    /// as a `tool_call` part of the output message.
    pub fn push_tool_call(
        &mut self,
        index: u32,
        id: Option<&'a str>,
        name: Option<&'a str>,
        arguments: &'a str,
    ) {
        if !self.discard_completion {
            self.tool_calls.push(ToolCallFragment {
                index,
                id,
                name,
                arguments,
            });
        }
    }
    /// Appends completion text. It is content: exported only if the capture policy allows.
    #[inline]
    pub fn push_completion(&mut self, text: &'a str) {
        if let Some(stream_text) = &mut self.stream_text {
            stream_text.push_str(text);
        } else if !self.discard_completion {
            self.completion.push(text);
        }
    }
    /// Sets the service tier the provider reports having used (`default`, `flex`, `priority`, `batch`).
    pub fn set_service_tier(&mut self, tier: &'a str) {
        self.service_tier = Some(tier);
    }

    /// Input tokens, **including** cache reads and writes (`gen_ai.usage.input_tokens`).
    pub fn input_tokens(&self) -> Option<u64> {
        let input = self.counts.get(Counts::INPUT)?;
        if self.input_excludes_cache {
            Some(
                input
                    .saturating_add(self.counts.get(Counts::CACHE_READ).unwrap_or(0))
                    .saturating_add(self.counts.get(Counts::CACHE_WRITE).unwrap_or(0)),
            )
        } else {
            Some(input)
        }
    }
    /// Output tokens, **including** reasoning tokens (`gen_ai.usage.output_tokens`).
    pub fn output_tokens(&self) -> Option<u64> {
        let output = self.counts.get(Counts::OUTPUT)?;
        if self.output_excludes_reasoning {
            Some(output.saturating_add(self.counts.get(Counts::REASONING).unwrap_or(0)))
        } else {
            Some(output)
        }
    }
    /// Input tokens read from the cache (`gen_ai.usage.cache_read.input_tokens`).
    pub fn cache_read_tokens(&self) -> Option<u64> {
        self.counts.get(Counts::CACHE_READ)
    }
    /// Input tokens written to the cache (`gen_ai.usage.cache_creation.input_tokens`).
    pub fn cache_write_tokens(&self) -> Option<u64> {
        self.counts.get(Counts::CACHE_WRITE)
    }
    /// Cache writes with a one-hour TTL, a subset of [`cache_write_tokens`](Self::cache_write_tokens).
    pub fn cache_write_1h_tokens(&self) -> Option<u64> {
        self.counts.get(Counts::CACHE_WRITE_1H)
    }
    /// Cache writes with the default (5-minute) TTL: all cache writes minus the one-hour
    /// ones (0 if more one-hour writes than writes were reported).
    pub fn cache_write_5m_tokens(&self) -> Option<u64> {
        let all = self.counts.get(Counts::CACHE_WRITE)?;
        Some(all.saturating_sub(self.counts.get(Counts::CACHE_WRITE_1H).unwrap_or(0)))
    }
    /// Reasoning output tokens (`gen_ai.usage.reasoning.output_tokens`).
    pub fn reasoning_tokens(&self) -> Option<u64> {
        self.counts.get(Counts::REASONING)
    }
    /// The model that served the request.
    pub fn response_model(&self) -> Option<&'a str> {
        self.response_model
    }
    /// The provider's response id.
    pub fn response_id(&self) -> Option<&'a str> {
        self.response_id
    }
    /// The finish reasons, in the order they were recorded.
    pub fn finish_reasons(&self) -> &[&'a str] {
        self.finish_reasons.as_slice()
    }
    /// The completion text parts (content: subject to the capture policy).
    pub fn completion(&self) -> &[&'a str] {
        &self.completion
    }
    /// The tool calls and pieces of tool calls, in the order they were recorded (content:
    /// subject to the capture policy).
    pub fn tool_calls(&self) -> &[ToolCallFragment<'a>] {
        &self.tool_calls
    }
    /// The service tier reported by the provider.
    pub fn service_tier(&self) -> Option<&'a str> {
        self.service_tier
    }

    // --- streaming hooks (used by `crate::stream`; keep with `UsageData`) ---

    /// A reader for one stream chunk: it appends completion text to `text` (the stream's
    /// completion so far, given back by [`UsageData::take_stream_text`]), or drops it when
    /// `text` is `None`.
    #[inline]
    pub(crate) fn for_chunk(text: Option<String>) -> Self {
        UsageData {
            discard_completion: text.is_none(),
            stream_text: text,
            ..UsageData::default()
        }
    }

    /// The completion text lent to [`UsageData::for_chunk`], with this chunk's text appended.
    #[inline]
    pub(crate) fn take_stream_text(&mut self) -> Option<String> {
        self.stream_text.take()
    }

    /// Folds the token counts of one chunk into this accumulator, field by field: the latest
    /// value reported wins. That is each provider's streaming rule at once: OpenAI reports
    /// usage once (the final chunk), Anthropic reports input and cache counts in
    /// `message_start` and a cumulative output count in each `message_delta`, Gemini a
    /// cumulative `usageMetadata` on every chunk. Once any chunk says its input excludes the
    /// cache (or its output the reasoning tokens), the total does.
    #[inline]
    pub(crate) fn absorb_counts(&mut self, chunk: &UsageData<'_>) {
        self.counts.absorb(&chunk.counts);
        self.input_excludes_cache |= chunk.input_excludes_cache;
        self.output_excludes_reasoning |= chunk.output_excludes_reasoning;
    }

    /// Whether any token count was reported.
    pub(crate) fn has_counts(&self) -> bool {
        // The one-hour cache writes are a part of the cache writes, not a count of their own.
        self.counts.present & !(1 << Counts::CACHE_WRITE_1H) != 0
    }
    /// Whether nothing at all was recorded.
    pub fn is_empty(&self) -> bool {
        *self == UsageData::default()
    }
}

impl<T: Usage + ?Sized> Usage for &T {
    fn record_usage<'a>(&'a self, usage: &mut UsageData<'a>) {
        (**self).record_usage(usage);
    }
}

impl<T: Usage + ?Sized> Usage for &mut T {
    fn record_usage<'a>(&'a self, usage: &mut UsageData<'a>) {
        (**self).record_usage(usage);
    }
}

impl<T: Usage + ?Sized> Usage for Box<T> {
    fn record_usage<'a>(&'a self, usage: &mut UsageData<'a>) {
        (**self).record_usage(usage);
    }
}

impl<T: Usage + ?Sized> Usage for Rc<T> {
    fn record_usage<'a>(&'a self, usage: &mut UsageData<'a>) {
        (**self).record_usage(usage);
    }
}

impl<T: Usage + ?Sized> Usage for Arc<T> {
    fn record_usage<'a>(&'a self, usage: &mut UsageData<'a>) {
        (**self).record_usage(usage);
    }
}

impl<T: Usage + ToOwned + ?Sized> Usage for Cow<'_, T> {
    fn record_usage<'a>(&'a self, usage: &mut UsageData<'a>) {
        (**self).record_usage(usage);
    }
}

impl<T: Usage> Usage for Option<T> {
    fn record_usage<'a>(&'a self, usage: &mut UsageData<'a>) {
        if let Some(value) = self {
            value.record_usage(usage);
        }
    }
}

impl<T: Usage, E> Usage for Result<T, E> {
    fn record_usage<'a>(&'a self, usage: &mut UsageData<'a>) {
        if let Ok(value) = self {
            value.record_usage(usage);
        }
    }
}

impl<T: Usage> Usage for [T] {
    fn record_usage<'a>(&'a self, usage: &mut UsageData<'a>) {
        for value in self {
            value.record_usage(usage);
        }
    }
}

impl<T: Usage> Usage for Vec<T> {
    fn record_usage<'a>(&'a self, usage: &mut UsageData<'a>) {
        self.as_slice().record_usage(usage);
    }
}

impl Usage for UsageData<'_> {
    fn record_usage<'b>(&'b self, usage: &mut UsageData<'b>) {
        usage.clone_from(self);
    }
}

/// The empty usage: for calls whose result carries no usage (`()`).
impl Usage for () {
    fn record_usage<'a>(&'a self, _usage: &mut UsageData<'a>) {}
}

/// Gives a failed call a low-cardinality `error.type` (for example `rate_limit`,
/// `context_overflow`, `timeout`).
///
/// Without it, `error.type` is the error's Rust type name. Implement it for the error
/// type of your client:
///
/// ```
/// use llmscope::ErrorType;
///
/// enum ApiError { RateLimited, ContextTooLong, Other(String) }
///
/// impl ErrorType for ApiError {
///     fn error_type(&self) -> &str {
///         match self {
///             ApiError::RateLimited => "rate_limit",
///             ApiError::ContextTooLong => "context_overflow",
///             ApiError::Other(_) => "_OTHER",
///         }
///     }
/// }
/// ```
pub trait ErrorType {
    /// The value written to `error.type`.
    fn error_type(&self) -> &str;

    /// Whether retrying the same request may succeed, written to `llmscope.error.retryable`
    /// when `Some` (see `llmscope::errors`); `None` (the default) writes nothing.
    fn retryable(&self) -> Option<bool> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_reasons_keep_their_order_past_the_one_held_in_place() {
        let reasons = ["stop", "length", "tool_calls", "content_filter", "stop"];
        for count in 0..=reasons.len() {
            let mut usage = UsageData::default();
            for reason in &reasons[..count] {
                usage.push_finish_reason(reason);
            }
            assert_eq!(usage.finish_reasons(), &reasons[..count], "{count} reasons");
            assert_eq!(usage.is_empty(), count == 0);
            let copy = usage.clone();
            assert_eq!(copy, usage);
            assert_eq!(
                format!("{:?}", copy.finish_reasons),
                format!("{:?}", &reasons[..count])
            );
        }
    }

    #[test]
    fn finish_reasons_compare_by_content() {
        let mut one = UsageData::default();
        one.push_finish_reason("stop");
        let mut other = UsageData::default();
        other.push_finish_reason("length");
        assert_ne!(one, other);
        let mut same = UsageData::default();
        same.push_finish_reason("stop");
        assert_eq!(one, same);
    }
}
