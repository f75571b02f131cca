//! Span start and the sampling decision: what is known before the body runs ([`Start`]),
//! turned into a recording span or a cheap dropped call ([`start`]).

use std::borrow::Cow;

use opentelemetry::trace::{
    SpanContext, TraceContextExt, TraceFlags, TraceId, TraceState, Tracer as _,
};
use opentelemetry::{Array, Context, Key, KeyValue, StringValue, Value};

use super::call::{Call, Site};
use crate::budget::{self, BudgetSpan};
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
}

impl Start {
    /// Sets the requested service tier (`standard`, `batch`, `flex`, `priority`).
    #[inline]
    pub fn service_tier(&mut self, tier: Option<Value>) {
        if let Some(Value::String(tier)) = tier {
            self.service_tier = Some(tier.clone());
            self.attributes
                .push(KeyValue::new(keys::LLMSCOPE_REQUEST_SERVICE_TIER, tier));
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
            self.provider = Some(provider.clone());
            self.attributes
                .push(KeyValue::new(keys::GEN_AI_PROVIDER_NAME, provider));
        }
    }

    /// Sets `gen_ai.request.model`, which is also the second word of the span name.
    #[inline]
    pub fn model(&mut self, model: Option<Value>) {
        if let Some(Value::String(model)) = model {
            self.model = Some(model.clone());
            self.attributes
                .push(KeyValue::new(keys::GEN_AI_REQUEST_MODEL, model));
        }
    }

    /// Sets any other attribute; `None` leaves it out.
    #[inline]
    pub fn attribute(&mut self, key: &'static str, value: Option<Value>) {
        if let Some(value) = value {
            self.attributes
                .push(KeyValue::new(Key::from_static_str(key), value));
        }
    }
}

/// Starts the span of an annotated call, or returns `None` when no provider is installed
/// (neither process-wide nor scoped): then nothing at all is built.
///
/// `sampling` fills the name and the sampling-relevant attributes (semconv marks provider,
/// operation, request model and server address/port): the sampler sees them. `describe` adds
/// every other request attribute right after the span starts, before the body runs, and only
/// when the span records. When llmscope knows the sampler ([`crate::sampling`]) and it drops
/// the call, neither closure runs: nothing is built but an unsampled span context.
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
    let (parent, trace_id) = match Context::map_current(begin) {
        Begin::Skip => return None,
        Begin::Dropped(cx, attach) => return Some(Call::dropped(cx, attach, site)),
        Begin::Build(parent, trace_id) => (parent, trace_id),
    };
    // Looked up again on the owned parent (one map probe at most), rather than carrying a
    // reference out of the borrow of the current context.
    let tracer = install::resolve(&parent)?;
    let mut start = Start {
        name: None,
        // The SDK keeps this vector as the span's attribute list: room for the request,
        // usage and cost attributes added later avoids growing (and moving) it three times.
        attributes: Vec::with_capacity(32),
        provider: None,
        model: None,
        service_tier: None,
    };
    start
        .attributes
        .push(KeyValue::new(operation_key(site.operation), site.operation));
    sampling(&mut start);
    bound_strings(&mut start.attributes);
    let name = match (start.name.take(), &start.model) {
        (Some(name), _) => name,
        (None, Some(model)) => {
            let mut name = String::with_capacity(site.operation.len() + 1 + model.as_str().len());
            name.push_str(site.operation);
            name.push(' ');
            name.push_str(model.as_str());
            Cow::Owned(name)
        }
        (None, None) => Cow::Borrowed(site.operation),
    };
    let attributes = std::mem::take(&mut start.attributes);
    let mut attribute_count = attributes.len() as u32;
    let builder = tracer
        .get()
        .span_builder(name)
        .with_kind(site.kind.clone())
        .with_attributes(attributes);
    let mut span = sampling::with_trace_id(trace_id, || {
        tracer.get().build_with_context(builder, &parent)
    });
    let recording = opentelemetry::trace::Span::is_recording(&span);
    let attach = opentelemetry::trace::Span::span_context(&span).is_valid();
    let mut application_dropped = 0;
    if recording {
        start.attributes = Vec::with_capacity(12);
        describe(&mut start);
        // Values the application adds may carry secrets too: the same redaction applies, and
        // the same byte limit as content.
        let policy = capture::capture_policy();
        for attribute in &mut start.attributes {
            redact_value(policy, &mut attribute.value);
        }
        // The application's attributes leave room for llmscope's own (usage, cost, …).
        let room = budget::application_budget().saturating_sub(attribute_count) as usize;
        if start.attributes.len() > room {
            application_dropped = (start.attributes.len() - room) as u32;
            start.attributes.truncate(room);
        }
        attribute_count += start.attributes.len() as u32;
        if !start.attributes.is_empty() {
            opentelemetry::trace::Span::set_attributes(&mut span, start.attributes);
        }
    }
    // A dropped span is made current only by its context, so its children are dropped too
    // (parent-based sampling) without boxing the SDK span.
    let cx = if recording {
        parent.with_span(BudgetSpan::new(span, attribute_count, application_dropped))
    } else {
        parent.with_remote_span_context(opentelemetry::trace::Span::span_context(&span).clone())
    };
    let request = if recording {
        [start.provider, start.model, start.service_tier]
    } else {
        [None, None, None]
    };
    Some(Call::started(cx, recording, attach, site, request))
}

/// Redacts every piece of text in an attribute value the application added, and cuts it to the
/// content byte limit: a string, and each string of a string array (as JSON content when it is
/// JSON). Numbers and booleans carry no text.
fn redact_value(policy: &capture::CapturePolicy, value: &mut Value) {
    match value {
        Value::String(text) => {
            if let Cow::Owned(clean) = capture::bound_redacted(policy, text.as_str()) {
                *text = clean.into();
            }
        }
        Value::Array(Array::String(items)) => {
            for item in items {
                if let Cow::Owned(clean) = capture::bound_redacted(policy, item.as_str()) {
                    *item = clean.into();
                }
            }
        }
        // Exhaustive on purpose: a new value type that can hold text must be handled here.
        Value::Bool(_)
        | Value::I64(_)
        | Value::F64(_)
        | Value::Array(Array::Bool(_) | Array::I64(_) | Array::F64(_)) => {}
        _ => {}
    }
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
    /// trace id.
    Build(Context, Option<TraceId>),
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
    if let Some(sampler) = tracer.sampler() {
        match sampler.early(current) {
            Early::Drop(trace_id) => {
                let (cx, attach) = unsampled_context(current, trace_id);
                return Begin::Dropped(cx, attach);
            }
            Early::Keep(id) => trace_id = id,
            Early::Unknown => {}
        }
    }
    Begin::Build(current.clone(), trace_id)
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
