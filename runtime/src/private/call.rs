//! The call record: one annotated call in progress ([`Call`]) — content capture, usage, cost,
//! errors — ending its span exactly once.

use std::borrow::Cow;
use std::fmt;

use std::time::SystemTime;

use opentelemetry::context::FutureExt as _;
use opentelemetry::trace::{Event, SpanKind, Status};
use opentelemetry::{Array, Context, ContextGuard, KeyValue, StringValue, Value};

use super::record::{AttributeCount, Record};
use crate::attribute::{push_attribute, push_attribute_with};

use crate::capture::{self, CaptureMode, Content, ContentKind, Message, Rendered};
use crate::finish_reason;
use crate::keys;
use crate::usage::{ToolCallFragment, Usage, UsageData};

/// Whether `operation` is an inference, the operations the
/// `gen_ai.client.inference.operation.details` event describes.
fn is_inference(operation: &str) -> bool {
    use crate::semconv::gen_ai_operation_name as registered;
    matches!(
        operation,
        registered::CHAT | registered::GENERATE_CONTENT | registered::TEXT_COMPLETION
    )
}

/// The content attributes the `gen_ai.client.inference.operation.details` event defines.
const DETAILS_EVENT_CONTENT: [&str; 3] = [
    keys::GEN_AI_INPUT_MESSAGES,
    keys::GEN_AI_OUTPUT_MESSAGES,
    keys::GEN_AI_SYSTEM_INSTRUCTIONS,
];

/// The static description of an annotated function.
#[derive(Debug)]
pub struct Site {
    /// The operation, also the first word of the span name: written as `gen_ai.operation.name`
    /// when semconv registers it, else as `llmscope.operation.name`.
    pub operation: &'static str,
    /// CLIENT for remote calls, INTERNAL for in-process work.
    pub kind: SpanKind,
    /// The call's own capture mode (`capture = …`), else the policy's.
    pub capture: Option<CaptureMode>,
    /// How many attributes a recorded call of this site holds, about: the macro counts its
    /// request attributes and adds what its return value writes (the span's attribute vector
    /// is allocated once at this size until [`Site::learned`] knows better).
    pub attributes: usize,
    /// How many attributes the last call of this site processed on its caller's thread ended
    /// with.
    pub learned: AttributeCount,
}

impl Site {
    /// The capacity a recorded call's attribute vector is allocated with: what the site's last
    /// call processed on its caller's thread ended with, else the macro's count.
    #[inline]
    pub(super) fn capacity(&self) -> usize {
        match self.learned.get() {
            0 => self.attributes,
            learned => learned,
        }
    }
}

/// An annotated call in progress: owns its span and ends it exactly once — normally through
/// [`Call::end`], otherwise on drop (panic or cancellation).
#[derive(Debug)]
pub struct Call {
    cx: Context,
    recording: bool,
    /// Whether [`Call::enter`] makes `cx` current: not for an empty span context, nor when
    /// `cx` is the caller's own context.
    attach: bool,
    ended: bool,
    /// The annotated function's site: its operation (the details event names it), capture
    /// mode, and the attribute count its calls end with.
    site: &'static Site,
    /// Content for the `gen_ai.client.inference.operation.details` event, written at the end.
    event: Vec<KeyValue>,
    /// What a recorded call recorded so far (`None` when it does not record).
    record: Option<Box<Record>>,
}

impl Call {
    /// A call the sampler dropped: it runs in `cx`.
    pub(super) fn dropped(cx: Context, attach: bool, site: &'static Site) -> Call {
        Call {
            cx,
            recording: false,
            attach,
            ended: false,
            site,
            event: Vec::new(),
            record: None,
        }
    }

    /// A recorded call running in `cx` (whose span is the record's), recording into `record`.
    pub(super) fn recorded(
        cx: Context,
        attach: bool,
        site: &'static Site,
        record: Box<Record>,
    ) -> Call {
        Call {
            cx,
            recording: true,
            attach,
            ended: false,
            site,
            event: Vec::new(),
            record: Some(record),
        }
    }

    /// Appends attributes to the call's span (recorded calls only).
    #[inline]
    fn push_attributes(&mut self, attributes: impl IntoIterator<Item = KeyValue>) {
        if let Some(record) = &mut self.record {
            record.attributes.extend(attributes);
        }
    }

    /// The context in which the call's body runs (its span is the current span).
    #[inline]
    pub fn context(&self) -> &Context {
        &self.cx
    }

    /// Whether the span records data (sampled). When false no attribute is built.
    #[inline]
    pub fn is_recording(&self) -> bool {
        self.recording
    }

    /// The provider set at span creation, if recording.
    pub fn provider(&self) -> Option<&str> {
        self.record
            .as_ref()?
            .provider
            .as_ref()
            .map(StringValue::as_str)
    }

    /// The request model set at span creation, if recording.
    pub fn model(&self) -> Option<&str> {
        self.record
            .as_ref()?
            .model
            .as_ref()
            .map(StringValue::as_str)
    }

    /// Makes the call's context current on this thread (sync bodies only: never hold the
    /// guard across an `.await`). Returns `None` when the span context is invalid, so an
    /// empty span never becomes the parent of the application's spans, and when the context
    /// is the caller's own. A call that does not record gives its context away: it has no
    /// further use for it ([`Call::context`] is empty afterwards).
    #[inline]
    pub fn enter(&mut self) -> Option<ContextGuard> {
        if !self.attach {
            None
        } else if self.recording {
            Some(self.cx.clone().attach())
        } else {
            Some(std::mem::take(&mut self.cx).attach())
        }
    }

    /// The body's future, polled with the call's context current.
    #[inline]
    pub fn instrument<F: std::future::Future>(
        &self,
        future: F,
    ) -> opentelemetry::context::WithContext<F> {
        future.with_context(self.cx.clone())
    }

    fn capture_mode(&self) -> CaptureMode {
        self.site
            .capture
            .unwrap_or_else(|| capture::capture_policy().mode())
    }

    /// Captures the prompt (`gen_ai.input.messages`) as the capture policy allows.
    pub fn capture_input<C: Content + ?Sized>(&mut self, content: &C) {
        self.capture_content(ContentKind::Input, "user", content, None);
    }

    /// Captures the system instructions (`gen_ai.system_instructions`) as the policy allows.
    pub fn capture_system<C: Content + ?Sized>(&mut self, content: &C) {
        self.capture_content(ContentKind::System, "system", content, None);
    }

    /// Captures tool-call arguments (`gen_ai.tool.call.arguments`) as the policy allows.
    pub fn capture_tool_arguments<C: Content + ?Sized>(&mut self, content: &C) {
        self.capture_content(ContentKind::ToolArguments, "tool", content, None);
    }

    /// Captures a tool-call result (`gen_ai.tool.call.result`) as the policy allows.
    pub fn capture_tool_result<C: Content + ?Sized>(&mut self, content: &C) {
        self.capture_content(ContentKind::ToolResult, "tool", content, None);
    }

    /// Captures output messages (`gen_ai.output.messages`) as the policy allows; every message
    /// carries `finish_reason` (`stop` when `None`).
    pub fn capture_output<C: Content + ?Sized>(
        &mut self,
        content: &C,
        finish_reason: Option<&str>,
    ) {
        self.capture_content(ContentKind::Output, "assistant", content, finish_reason);
    }

    /// Captures the retrieval query (`gen_ai.retrieval.query.text`) as the policy allows.
    pub fn capture_retrieval_query<C: Content + ?Sized>(&mut self, content: &C) {
        self.capture_content(ContentKind::RetrievalQuery, "user", content, None);
    }

    fn capture_content<C: Content + ?Sized>(
        &mut self,
        kind: ContentKind,
        role: &'static str,
        content: &C,
        finish_reason: Option<&str>,
    ) {
        if !self.recording {
            return;
        }
        let mode = self.capture_mode();
        if mode == CaptureMode::None {
            return;
        }
        let mut messages = Vec::new();
        content.messages(role, &mut messages);
        self.write_content(mode, kind, &messages, finish_reason);
    }

    fn write_content(
        &mut self,
        mode: CaptureMode,
        kind: ContentKind,
        messages: &[Message<'_>],
        finish_reason: Option<&str>,
    ) {
        let finish_reason = finish_reason.map(finish_reason::normalize);
        let mut rendered = Rendered::default();
        capture::render(
            capture::capture_policy(),
            mode,
            kind,
            messages,
            finish_reason,
            &mut rendered,
        );
        // The details event carries only what semconv v1.41.0 defines for it: the messages and
        // system instructions of an inference call. llmscope's own fingerprints (`*.hash`,
        // `*.length`, `*.truncated`) go on the span when the policy sends content to the event
        // only; tool arguments and results and the retrieval query have no event in v1.41.0
        // and are written on spans only.
        let on_span = !rendered.span.is_empty();
        let mut span = rendered.span;
        if !rendered.event.is_empty() {
            let to_event = is_inference(self.site.operation)
                && matches!(
                    kind,
                    ContentKind::Input | ContentKind::System | ContentKind::Output
                );
            for attribute in rendered.event {
                let key = attribute.key.as_str();
                if to_event && DETAILS_EVENT_CONTENT.contains(&key) {
                    self.event.push(attribute);
                } else if !on_span && key.starts_with(keys::LLMSCOPE_PREFIX) {
                    span.push(attribute);
                }
            }
        }
        if !span.is_empty() {
            self.push_attributes(span);
        }
    }

    /// Reads usage from the returned value and writes the usage attributes.
    #[inline]
    pub fn record_usage<R: Usage + ?Sized>(&mut self, output: &R) {
        if !self.recording {
            return;
        }
        let mut usage = UsageData::default();
        output.record_usage(&mut usage);
        self.write_usage(&usage);
    }

    fn write_usage(&mut self, usage: &UsageData<'_>) {
        let Some(record) = &mut self.record else {
            return;
        };
        // A call processed on this thread shares the memo's form of the response model (kept
        // for the process once it keeps coming back) instead of copying it.
        let inline = !record.deferred();
        let attributes = &mut record.attributes;
        let mut int = |key: &'static str, value: Option<u64>| {
            if let Some(value) = value {
                push_attribute(attributes, key, i64::try_from(value).unwrap_or(i64::MAX));
            }
        };
        int(keys::GEN_AI_USAGE_INPUT_TOKENS, usage.input_tokens());
        int(keys::GEN_AI_USAGE_OUTPUT_TOKENS, usage.output_tokens());
        int(
            keys::GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
            usage.cache_read_tokens(),
        );
        int(
            keys::GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
            usage.cache_write_tokens(),
        );
        int(
            keys::LLMSCOPE_USAGE_CACHE_CREATION_1H_INPUT_TOKENS,
            usage.cache_write_1h_tokens(),
        );
        int(
            keys::GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
            usage.reasoning_tokens(),
        );
        // One copy of each string, shared by the attribute and the pricing.
        let response_model = usage.response_model().map(|model| {
            let model = capture::bound_text(model);
            if inline {
                super::memo::shared(capture::capture_policy(), &model)
            } else {
                super::memo::recorded(&model)
            }
        });
        if let Some(model) = &response_model {
            record.arcs |= arc_bit(attributes.len());
            push_attribute_with(attributes, keys::GEN_AI_RESPONSE_MODEL, || {
                Value::String(model.clone())
            });
        }
        if let Some(id) = usage.response_id() {
            record.arcs |= arc_bit(attributes.len());
            push_attribute_with(attributes, keys::GEN_AI_RESPONSE_ID, || {
                Value::String(super::memo::recorded(&capture::bound_text(id)))
            });
        }
        if !usage.finish_reasons().is_empty() {
            let reasons = |normalize: bool| {
                Value::Array(Array::String(
                    usage
                        .finish_reasons()
                        .iter()
                        .map(|reason| finish_reason(reason, normalize))
                        .collect(),
                ))
            };
            push_attribute_with(attributes, keys::GEN_AI_RESPONSE_FINISH_REASONS, || {
                reasons(true)
            });
            if usage
                .finish_reasons()
                .iter()
                .any(|reason| finish_reason::normalize(reason) != *reason)
            {
                push_attribute(
                    attributes,
                    keys::LLMSCOPE_RESPONSE_FINISH_REASONS_RAW,
                    reasons(false),
                );
            }
        }
        if let Some(tier) = usage.service_tier() {
            push_attribute(
                attributes,
                keys::LLMSCOPE_RESPONSE_SERVICE_TIER,
                tier.to_owned(),
            );
        }
        if let Some(provider) = &record.provider {
            let input = crate::cost::CostInput::new(
                provider,
                record.model.as_ref(),
                record.service_tier.as_ref(),
                response_model.as_ref(),
                usage,
            );
            if crate::agent::in_agent(&self.cx) {
                // An enclosing agent adds the cost to its totals now: priced here.
                let before = record.attributes.len();
                if let Some(input) = &input {
                    crate::cost::write_cost(input, &mut record.attributes);
                }
                crate::agent::add_llm_usage(&self.cx, usage, &record.attributes[before..]);
            } else {
                // Priced when the call is processed.
                record.cost = input;
            }
        }
        if !usage.completion().is_empty() || !usage.tool_calls().is_empty() {
            let mode = self.capture_mode();
            if mode != CaptureMode::None {
                let mut parts: Vec<capture::Part<'_>> = usage
                    .completion()
                    .iter()
                    .map(|part| capture::Part::Text(Cow::Borrowed(*part)))
                    .collect();
                parts.extend(assemble_tool_calls(usage.tool_calls()));
                let message = Message {
                    role: Cow::Borrowed("assistant"),
                    parts,
                };
                let finish_reason = usage.finish_reasons().first().copied();
                self.write_content(mode, ContentKind::Output, &[message], finish_reason);
            }
        }
    }

    // --- streaming hooks (used by `crate::stream`; small on purpose) ---

    /// The context a returned stream makes current while it is polled, if any (none for an
    /// empty span context or when the caller's own context serves).
    #[inline]
    pub(crate) fn stream_context(&self) -> Option<&Context> {
        self.attach.then_some(&self.cx)
    }

    /// The capture mode of a recorded call (its own, else the policy's); `none` when it does not
    /// record.
    pub(crate) fn content_mode(&self) -> CaptureMode {
        if self.recording {
            self.capture_mode()
        } else {
            CaptureMode::None
        }
    }

    /// Whether completion text would be captured (recording, and a capture mode other than
    /// `none`).
    pub(crate) fn captures_content(&self) -> bool {
        self.recording && self.capture_mode() != CaptureMode::None
    }

    /// Writes usage accumulated from a stream's chunks, as [`Call::record_usage`] does for a
    /// returned value (usage, response metadata, cost, completion content).
    pub(crate) fn record_usage_data(&mut self, usage: &UsageData<'_>) {
        if self.recording {
            self.write_usage(usage);
        }
    }

    // --- end of streaming hooks ---

    /// Writes `llmscope.error.retryable` on a recorded call (the error's class says whether a
    /// retry may succeed).
    pub(crate) fn set_retryable(&mut self, retryable: bool) {
        self.push_attributes([KeyValue::new(
            crate::keys::LLMSCOPE_ERROR_RETRYABLE,
            retryable,
        )]);
    }

    /// Records a failed call: `error.type`, an `exception` event and status Error.
    pub fn record_error(
        &mut self,
        error_type: &str,
        exception_type: &'static str,
        message: Option<&dyn fmt::Display>,
    ) {
        let Some(record) = &mut self.record else {
            return;
        };
        // Redacted and cut to the content byte limit: a huge error message is never formatted
        // whole, and what is exported twice (event and status) is bounded.
        let policy = capture::capture_policy();
        let message = message.map(|message| capture::bound_display(policy, message));
        let error_type = capture::bound_text(error_type);
        let mut event = Vec::with_capacity(2);
        event.push(KeyValue::new(keys::EXCEPTION_TYPE, exception_type));
        if let Some(message) = &message {
            event.push(KeyValue::new(keys::EXCEPTION_MESSAGE, message.clone()));
        }
        record
            .events
            .push(Event::new("exception", SystemTime::now(), event, 0));
        push_attribute(
            &mut record.attributes,
            keys::ERROR_TYPE,
            error_type.to_string(),
        );
        record.set_status(Status::error(
            message.unwrap_or_else(|| error_type.into_owned()),
        ));
    }

    /// Ends the span of a call that returned.
    #[inline]
    pub fn end(mut self) {
        self.ended = true;
        let Some(mut record) = self.record.take() else {
            return; // nothing to end: a dropped span records no end time
        };
        let end = SystemTime::now();
        if !self.event.is_empty() {
            // The event's required `gen_ai.operation.name`, and the request model when known.
            let content = std::mem::take(&mut self.event);
            let mut event = Vec::with_capacity(content.len() + 2);
            event.push(KeyValue::new(
                keys::GEN_AI_OPERATION_NAME,
                self.site.operation,
            ));
            if let Some(model) = &record.model {
                event.push(KeyValue::new(
                    keys::GEN_AI_REQUEST_MODEL,
                    Value::String(model.clone()),
                ));
            }
            event.extend(content);
            record.events.push(Event::new(
                keys::GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS,
                end,
                event,
                0,
            ));
        }
        finish(record, end, self.site);
    }
}

/// Processes the record of a call that ended at `end`: here, or on llmscope's processing
/// thread for a deferred destination.
#[inline]
fn finish(record: Box<Record>, end: SystemTime, site: &'static Site) {
    if record.deferred() {
        super::memo::defers();
        super::processing::submit(record, end);
    } else {
        super::recycle::keep(record.finish(end, false, Some(&site.learned)));
    }
}

/// The bit of `Record::arcs` that marks the attribute at `index`.
#[inline]
fn arc_bit(index: usize) -> u64 {
    if index < 64 {
        1 << index
    } else {
        0
    }
}

/// A finish reason (semconv's value when `normalize`, else the provider's word): the values
/// [`finish_reason::semconv`] knows are borrowed, never copied.
#[inline]
fn finish_reason(reason: &str, normalize: bool) -> StringValue {
    match finish_reason::semconv(reason) {
        Some(value) if normalize || value == reason => StringValue::from(value),
        _ => StringValue::from(capture::bound_text(reason).into_owned()),
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        if self.ended {
            return;
        }
        let Some(mut record) = self.record.take() else {
            return;
        };
        if std::thread::panicking() {
            push_attribute(&mut record.attributes, keys::ERROR_TYPE, "panic");
            record.set_status(Status::error("the call panicked"));
        } else {
            push_attribute(&mut record.attributes, keys::LLMSCOPE_CANCELLED, true);
        }
        finish(record, SystemTime::now(), self.site);
    }
}

/// The tool calls of `fragments` as message parts: pieces with the same index joined in the
/// order they came, each call where its first piece came. One piece per call (a response that
/// is not streamed) borrows its arguments.
fn assemble_tool_calls<'a>(fragments: &[ToolCallFragment<'a>]) -> Vec<capture::Part<'a>> {
    /// Index, id, name and the arguments joined so far.
    type Assembled<'a> = (u32, Option<&'a str>, Option<&'a str>, Cow<'a, str>);
    let mut calls: Vec<Assembled<'a>> = Vec::new();
    for fragment in fragments {
        match calls.iter_mut().find(|call| call.0 == fragment.index) {
            Some(call) => {
                call.1 = call.1.or(fragment.id);
                call.2 = call.2.or(fragment.name);
                if !fragment.arguments.is_empty() {
                    call.3.to_mut().push_str(fragment.arguments);
                }
            }
            None => calls.push((
                fragment.index,
                fragment.id,
                fragment.name,
                Cow::Borrowed(fragment.arguments),
            )),
        }
    }
    calls
        .into_iter()
        .map(|(_, id, name, arguments)| capture::Part::ToolCall {
            id: id.map(Cow::Borrowed),
            name: Cow::Borrowed(name.unwrap_or("")),
            arguments: capture::JsonData::Text(arguments),
        })
        .collect()
}

/// Checks at compile time that the return type implements [`Usage`]; the macros span the
/// call at the user's return type so the error points there.
#[inline]
pub fn record_usage<R: Usage + ?Sized>(call: &mut Call, output: &R) {
    call.record_usage(output);
}
