//! Span start and the sampling decision: what is known before the body runs ([`Start`]),
//! turned into a recording span or a cheap dropped call ([`start`]).

use std::borrow::Cow;

use opentelemetry::trace::{
    SpanContext, TraceContextExt, TraceFlags, TraceId, TraceState, Tracer as _,
};
use opentelemetry::{Array, Context, Key, KeyValue, StringValue, Value};

use super::call::{Call, Site};
use super::record::{Record, Started};
use super::value::AttrValue;
use crate::attribute::{push_attribute, push_attribute_with};
use crate::budget;
use crate::capture;
use crate::install;
use crate::keys;
use crate::sampling::{self, Early};

/// The key that names a span's operation: `gen_ai.operation.name` for the values semconv
/// v1.41.0 registers, else llmscope's own `llmscope.operation.name` (`rerank`, `prompt`,
/// `postprocess`, `agent_step`, custom stages), so no span carries an unregistered value.
#[inline]
pub(crate) fn operation_key(operation: &str) -> &'static str {
    use crate::semconv::gen_ai_operation_name as registered;
    match operation {
        registered::CHAT
        | registered::GENERATE_CONTENT
        | registered::TEXT_COMPLETION
        | registered::EMBEDDINGS
        | registered::RETRIEVAL
        | registered::CREATE_AGENT
        | registered::INVOKE_AGENT
        | registered::EXECUTE_TOOL
        | registered::INVOKE_WORKFLOW => keys::GEN_AI_OPERATION_NAME,
        _ => keys::LLMSCOPE_OPERATION_NAME,
    }
}

/// Collects what is known when the span starts: its name and sampling-relevant attributes.
#[derive(Debug)]
pub struct Start {
    name: Option<Cow<'static, str>>,
    attributes: Vec<KeyValue>,
    provider: Option<StringValue>,
    model: Option<StringValue>,
    service_tier: Option<StringValue>,
    /// Bit `i` set: `attributes[i]` is text the application gave at run time (redacted when
    /// the call is processed).
    redact: u64,
    /// Bit `i` set: `attributes[i]` holds text in an `Arc<str>` made at run time (see
    /// `Record::finish`).
    arcs: u64,
    /// Whether the request attributes are being described (after the sampling decision):
    /// their run-time text is the application's and is redacted.
    describing: bool,
    /// Whether the call is processed on this thread when it ends (its destination is not
    /// deferred): the application's text is then redacted as it is described, once, into the
    /// form the span exports, instead of copied now and redacted then.
    inline: bool,
}

impl Start {
    /// Marks the attribute about to be pushed as holding run-time text in an `Arc<str>`.
    #[inline]
    fn mark_arc(&mut self) {
        let index = self.attributes.len();
        if index < 64 {
            self.arcs |= 1 << index;
        }
    }

    /// Sets the requested service tier (`standard`, `batch`, `flex`, `priority`).
    #[inline]
    pub fn service_tier(&mut self, tier: Option<Value>) {
        if let Some(Value::String(tier)) = tier {
            self.service_tier = Some(tier.clone());
            self.attribute(
                keys::LLMSCOPE_REQUEST_SERVICE_TIER,
                Some(Value::String(tier)),
            );
        }
    }

    /// Sets the requested service tier from a compile-time literal.
    #[inline]
    pub fn literal_service_tier(&mut self, tier: Value) {
        if let Value::String(tier) = tier {
            self.service_tier = Some(tier.clone());
            self.literal(keys::LLMSCOPE_REQUEST_SERVICE_TIER, Value::String(tier));
        }
    }

    /// Overrides the span name.
    #[inline]
    pub fn name(&mut self, name: Cow<'static, str>) {
        self.name = Some(name);
    }

    /// Sets `gen_ai.provider.name`.
    #[inline]
    pub fn provider(&mut self, provider: Option<Value>) {
        if let Some(Value::String(provider)) = provider {
            self.mark_arc();
            self.provider = Some(provider.clone());
            push_attribute(&mut self.attributes, keys::GEN_AI_PROVIDER_NAME, provider);
        }
    }

    /// Sets `gen_ai.request.model`, which is also the second word of the span name.
    #[inline]
    pub fn model(&mut self, model: Option<Value>) {
        if let Some(Value::String(model)) = model {
            self.mark_arc();
            self.model = Some(model.clone());
            push_attribute(&mut self.attributes, keys::GEN_AI_REQUEST_MODEL, model);
        }
    }

    /// Sets `gen_ai.request.model` from a value of the application's ([`Start::model`]); for a
    /// call processed on this thread, the text is the memo's shared form (one the process
    /// keeps, once the model keeps coming back), not a copy per call.
    #[inline]
    pub fn model_of<K, T: AttrValue<K> + ?Sized>(&mut self, model: &T) {
        if self.inline {
            if let Some(text) = model.attr_text() {
                let text = super::memo::shared(capture::capture_policy(), text);
                self.model(Some(Value::String(text)));
                return;
            }
        }
        self.model(model.attr_value());
    }

    /// Sets `gen_ai.provider.name` from a compile-time literal.
    #[inline]
    pub fn literal_provider(&mut self, provider: Value) {
        if let Value::String(provider) = provider {
            self.provider = Some(provider.clone());
            push_attribute(&mut self.attributes, keys::GEN_AI_PROVIDER_NAME, provider);
        }
    }

    /// Sets `gen_ai.request.model` from a compile-time literal.
    #[inline]
    pub fn literal_model(&mut self, model: Value) {
        if let Value::String(model) = model {
            self.model = Some(model.clone());
            push_attribute(&mut self.attributes, keys::GEN_AI_REQUEST_MODEL, model);
        }
    }

    /// Sets any other attribute; `None` leaves it out. Text given at run time is redacted
    /// when the call is processed.
    #[inline]
    pub fn attribute(&mut self, key: &'static str, value: Option<Value>) {
        if let Some(value) = value {
            if matches!(value, Value::String(_)) {
                self.mark_arc();
            }
            if self.describing && matches!(value, Value::String(_) | Value::Array(Array::String(_)))
            {
                let index = self.attributes.len();
                if index < 64 {
                    self.redact |= 1 << index;
                    push_attribute(&mut self.attributes, Key::from_static_str(key), value);
                } else {
                    // Past the mask: redacted now, on the caller's thread.
                    let mut value = value;
                    super::record::redact_value(capture::capture_policy(), &mut value);
                    push_attribute(&mut self.attributes, Key::from_static_str(key), value);
                }
                return;
            }
            push_attribute(&mut self.attributes, Key::from_static_str(key), value);
        }
    }

    /// Sets an attribute the application describes the call with (after the sampling
    /// decision): [`Start::attribute`], except that the text of a call processed on this
    /// thread is redacted here, with the memo the processing would use, and not copied first.
    #[inline]
    pub fn describe<K, T: AttrValue<K> + ?Sized>(&mut self, key: &'static str, value: &T) {
        if self.inline && self.describing {
            if let Some(text) = value.attr_text() {
                push_attribute_with(&mut self.attributes, key, || {
                    Value::String(super::memo::exported(capture::capture_policy(), text, true))
                });
                return;
            }
        }
        match value.attr_value() {
            // A number or a flag: nothing to redact or copy, written in place.
            Some(value @ (Value::Bool(_) | Value::I64(_) | Value::F64(_))) => {
                push_attribute(&mut self.attributes, Key::from_static_str(key), value);
            }
            value => self.attribute(key, value),
        }
    }

    /// Sets an attribute whose value is a compile-time literal of the annotated function: it
    /// holds nothing of the application's data, so it is never redacted.
    #[inline]
    pub fn literal(&mut self, key: &'static str, value: Value) {
        push_attribute(&mut self.attributes, Key::from_static_str(key), value);
    }
}

/// Starts the span of an annotated call, or returns `None` when no provider is installed
/// (neither process-wide nor scoped): then nothing at all is built.
///
/// `sampling` fills the name and the sampling-relevant attributes (semconv marks provider,
/// operation, request model and server address/port): the sampler sees them. `describe` adds
/// every other request attribute right after the sampling decision, before the body runs, and
/// only when the call records. When llmscope knows the sampler ([`crate::sampling`]) and it
/// drops the call, neither closure runs: nothing is built but an unsampled span context.
///
/// A recorded call is a `Record` (`private/record.rs`): when llmscope decided the sampling
/// itself, no SDK span exists until the call ends (the context carries the call's span
/// context); otherwise the SDK's sampler decides on a span built here with the
/// sampling-relevant attributes only. Either way everything else reaches the SDK when the call
/// is processed, after redaction (see `private/record.rs`).
#[inline]
pub fn start(
    site: &'static Site,
    sampling: impl FnOnce(&mut Start),
    describe: impl FnOnce(&mut Start),
) -> Option<Call> {
    if !install::any_provider() {
        return None;
    }
    // Decided on the current context in place: a suppressed call, or one a sampler llmscope
    // knows drops, never takes a reference to it.
    let (parent, trace_id, decided) = match Context::map_current(begin) {
        Begin::Skip => return None,
        Begin::Dropped(cx, attach) => return Some(Call::dropped(cx, attach, site)),
        Begin::Build(parent, trace_id, decided) => (parent, trace_id, decided),
    };
    // Looked up again on the owned parent (one map probe at most), rather than carrying a
    // reference out of the borrow of the current context.
    let tracer = install::resolve(&parent)?;
    // The record of an earlier call of this thread's, processed and returned for reuse.
    let mut shell = super::recycle::take();
    let capacity = site.capacity();
    let attributes = match &mut shell {
        // A shell processed on this thread lent its vector to the span it exported: a new
        // one, allocated directly rather than grown from nothing.
        Some(shell) if shell.attributes_capacity() > 0 => {
            let mut attributes = shell.take_attributes();
            attributes.reserve(capacity);
            attributes
        }
        _ => Vec::with_capacity(capacity),
    };
    let mut start = Start {
        name: None,
        // Sized for what the call records (the macro counts its attributes and what its
        // return value adds): the vector becomes the span's attribute list as it is.
        attributes,
        provider: None,
        model: None,
        service_tier: None,
        redact: 0,
        arcs: 0,
        describing: false,
        inline: !tracer.deferred(),
    };
    push_attribute(
        &mut start.attributes,
        operation_key(site.operation),
        site.operation,
    );
    sampling(&mut start);
    bound_strings(&mut start.attributes);
    // The start time of a span built when the call ends (an SDK span built now has its own).
    let mut began = std::time::UNIX_EPOCH;
    let (span_context, sdk, new_trace, attribute_count) = if decided && tracer.builds_at_end() {
        began = std::time::SystemTime::now();
        // Kept by llmscope's own decision: the span is built when the call ends, with the
        // span id its children carry as their parent.
        let parent_span = parent.span();
        let parent_context = parent_span.span_context();
        let (trace_id, flags, state, new_trace) = if parent_context.is_valid() {
            (
                parent_context.trace_id(),
                parent_context.trace_flags().with_sampled(true),
                parent_context.trace_state().clone(),
                None,
            )
        } else {
            let trace_id = trace_id.unwrap_or_else(sampling::new_trace_id);
            (
                trace_id,
                TraceFlags::SAMPLED,
                TraceState::NONE,
                Some(trace_id),
            )
        };
        let span_context = SpanContext::new(trace_id, sampling::new_span_id(), flags, false, state);
        (span_context, None, new_trace, 0)
    } else {
        // The SDK's sampler decides, on a span built now with the sampling-relevant
        // attributes.
        let name = match (start.name.take(), &start.model) {
            (Some(name), _) => name,
            (None, Some(model)) => {
                let mut name =
                    String::with_capacity(site.operation.len() + 1 + model.as_str().len());
                name.push_str(site.operation);
                name.push(' ');
                name.push_str(model.as_str());
                Cow::Owned(name)
            }
            (None, None) => Cow::Borrowed(site.operation),
        };
        let attributes = std::mem::take(&mut start.attributes);
        start.arcs = 0;
        let attribute_count = attributes.len() as u32;
        let builder = tracer
            .get()
            .span_builder(name)
            .with_kind(site.kind.clone())
            .with_attributes(attributes);
        let span = sampling::with_trace_id(trace_id, || {
            tracer.get().build_with_context(builder, &parent)
        });
        let span_context = opentelemetry::trace::Span::span_context(&span).clone();
        if !opentelemetry::trace::Span::is_recording(&span) {
            // A dropped span is made current only by its context, so its children are
            // dropped too (parent-based sampling) without boxing the SDK span.
            let attach = span_context.is_valid();
            let cx = parent.with_remote_span_context(span_context);
            if let Some(shell) = shell {
                super::recycle::keep(shell);
            }
            return Some(Call::dropped(cx, attach, site));
        }
        // The request attributes described next, then usage and cost: the rest of the span.
        start.attributes = Vec::with_capacity(capacity.saturating_sub(attribute_count as usize));
        (span_context, Some(Box::new(span)), None, attribute_count)
    };
    start.describing = true;
    describe(&mut start);
    let mut attribute_count = attribute_count + start.attributes.len() as u32;
    // The application's attributes leave room for llmscope's own (usage, cost, …).
    let budget = budget::application_budget();
    let mut application_dropped = 0;
    if attribute_count > budget {
        let keep = start
            .attributes
            .len()
            .saturating_sub((attribute_count - budget) as usize);
        application_dropped = (start.attributes.len() - keep) as u32;
        start.attributes.truncate(keep);
        // Attributes pushed later take these places: none of them is marked.
        let kept = if keep < 64 { (1 << keep) - 1 } else { u64::MAX };
        start.redact &= kept;
        start.arcs &= kept;
        attribute_count = budget;
    }
    let attach = span_context.is_valid();
    let destination = tracer.to_owned();
    // Where a record processed on llmscope's processing thread returns.
    let owner = if destination.deferred {
        super::recycle::bin()
    } else {
        None
    };
    let (record, span) = Record::new(
        Started {
            destination,
            parent: parent.clone(),
            new_trace,
            span_context,
            sdk,
            kind: site.kind.clone(),
            name: start.name,
            operation: site.operation,
            request: [start.provider, start.model, start.service_tier],
            start: began,
            attributes: start.attributes,
            redact: start.redact,
            arcs: start.arcs,
            owner,
            attribute_count,
            application_dropped,
        },
        shell,
    );
    let cx = parent.with_span(span);
    Some(Call::recorded(cx, attach, site, record))
}

/// Cuts the string values (and string-array items) of sampling-relevant attributes to the
/// capture policy's byte limit; short strings never look the policy up.
#[inline]
fn bound_strings(attributes: &mut [KeyValue]) {
    for attribute in attributes {
        match &mut attribute.value {
            Value::String(text) if text.as_str().len() > capture::MIN_MAX_BYTES => {
                if let Cow::Owned(cut) = capture::bound_text(text.as_str()) {
                    *text = cut.into();
                }
            }
            Value::Array(Array::String(items)) => {
                for item in items {
                    if item.as_str().len() > capture::MIN_MAX_BYTES {
                        if let Cow::Owned(cut) = capture::bound_text(item.as_str()) {
                            *item = cut.into();
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// What [`start`] does, decided before anything is built.
enum Begin {
    /// Telemetry is suppressed, or no provider receives this call's span.
    Skip,
    /// The sampler dropped the call: it runs in this context, attached or not.
    Dropped(Context, bool),
    /// Build the span under this parent; for a new trace kept by a known sampler, with this
    /// trace id; `true` when llmscope's sampler kept the call (the SDK's need not decide).
    Build(Context, Option<TraceId>, bool),
}

#[inline]
fn begin(current: &Context) -> Begin {
    if current.is_telemetry_suppressed() {
        return Begin::Skip;
    }
    let Some(tracer) = install::resolve(current) else {
        return Begin::Skip;
    };
    let mut trace_id = None;
    let mut decided = false;
    if let Some(sampler) = tracer.sampler() {
        match sampler.early(current) {
            Early::Drop(trace_id) => {
                let (cx, attach) = unsampled_context(current, trace_id);
                return Begin::Dropped(cx, attach);
            }
            Early::Keep(id) => {
                trace_id = id;
                decided = true;
            }
            Early::Unknown => {}
        }
    }
    Begin::Build(current.clone(), trace_id, decided)
}

/// The context a dropped call runs in: an unsampled span context, so that its children are
/// dropped with it; `true` when it must be made current.
#[inline]
fn unsampled_context(parent: &Context, trace_id: Option<TraceId>) -> (Context, bool) {
    let span = parent.span();
    let parent_span = span.span_context();
    if parent_span.is_valid() && !parent_span.is_sampled() {
        // Already under an unsampled parent (the common case of parent-based sampling):
        // children see it and are dropped, so the caller's context serves as it is.
        return (parent.clone(), false);
    }
    let (trace_id, trace_state) = if parent_span.is_valid() {
        (parent_span.trace_id(), parent_span.trace_state().clone())
    } else {
        (
            trace_id.unwrap_or_else(sampling::new_trace_id),
            TraceState::NONE,
        )
    };
    let unsampled = SpanContext::new(
        trace_id,
        sampling::new_span_id(),
        TraceFlags::default(),
        false,
        trace_state,
    );
    (parent.with_remote_span_context(unsampled), true)
}
