//! The record of a recorded call: what the caller copies while the call runs ([`Record`]), the
//! span its context carries meanwhile ([`RecordSpan`]), and the processing that turns the
//! record into an SDK span when the call ends ([`Record::finish`]).
//!
//! The split is the privacy boundary. Until [`Record::finish`] runs, the application's values
//! exist only here: the OpenTelemetry SDK, its span processors and exporters have seen nothing
//! but the sampling-relevant attributes (operation, provider, request model, server address
//! and port), and only when the SDK's sampler had to decide on them. `finish` redacts the
//! application's attribute values, prices the call, names the span, and only then builds the
//! SDK span (or fills the one built at the start) and ends it: every `on_start`, `on_end` and
//! exporter sees processed data. `finish` runs on the caller's thread when the call ends, or
//! on llmscope's processing thread for a deferred destination ([`super::processing`]). There
//! it builds the span from copies in the processing thread's own allocations and returns the
//! record, the caller's originals inside (unredacted, as they were while the call ran: never
//! handed to the SDK), to the thread that made it, which reuses or frees them
//! ([`super::recycle`]).
//!
//! What code running inside the call sees: `Context::current().span()` is a [`RecordSpan`]
//! with the call's span context (valid and sampled, so OpenTelemetry and `tracing` children
//! nest under it). Attributes, events, status, name updates and links set on it through the
//! OpenTelemetry API are kept and written on the span when it is built; they are not
//! redacted (as on any SDK span), and the application's attributes beyond the attribute budget
//! ([`crate::budget`]) are dropped and counted. Nothing can be read back from it.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use opentelemetry::trace::{
    Event, Link, Span as _, SpanContext, SpanKind, Status, TraceId, Tracer as _,
};
use opentelemetry::{Array, Context, KeyValue, StringValue, Value};

use crate::attribute::push_attribute;
use crate::budget;
use crate::capture::{self, CapturePolicy};
use crate::cost::{self, CostInput};
use crate::install::Destination;
use crate::sampling;

/// One recorded call, from its start to the moment its span is built; afterwards the shell
/// reused by the next call on the thread that made it ([`super::recycle`]).
pub(crate) struct Record {
    /// Where the span goes; `None` once processed (a record kept for reuse holds neither its
    /// destination nor its parent context: nothing outlives the call because of it).
    destination: Option<Destination>,
    /// The context the call started in: the parent of its span.
    parent: Context,
    /// For the root of a new trace, the trace id llmscope decided it on.
    new_trace: Option<TraceId>,
    span_context: SpanContext,
    /// The SDK span, when the SDK's sampler decided at the start and it had to be built then
    /// (boxed: the common record, which has none, stays small to move).
    sdk: Option<Box<opentelemetry_sdk::trace::Span>>,
    kind: SpanKind,
    /// The span name; `None`: `{operation} {model}` (or `{operation}`), made when processed.
    name: Option<Cow<'static, str>>,
    operation: &'static str,
    pub(super) provider: Option<StringValue>,
    pub(super) model: Option<StringValue>,
    pub(super) service_tier: Option<StringValue>,
    start: SystemTime,
    /// The attributes, in the order they were recorded.
    pub(super) attributes: Vec<KeyValue>,
    /// Bit `i` set: `attributes[i]` holds text the application gave at run time, redacted and
    /// cut to the content byte limit when processed.
    redact: u64,
    /// Bit `i` set: `attributes[i]` holds text in an `Arc<str>` the caller made (a copy goes
    /// to the span when processed elsewhere, the original back to the caller).
    pub(super) arcs: u64,
    pub(super) events: Vec<Event>,
    status: Status,
    /// The pricing of the call, done when processed.
    pub(super) cost: Option<CostInput>,
    /// The application's attributes refused at the start (over the budget).
    application_dropped: u32,
    /// What the OpenTelemetry API wrote on the call's span while it ran.
    shared: Arc<Shared>,
    /// Where the record returns once processed on llmscope's processing thread: the bin of
    /// the thread that made it (`None` for a call processed where it was made).
    pub(super) owner: Option<Arc<super::bin::Bin<Box<Record>>>>,
}

impl std::fmt::Debug for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the values: they may not have been redacted yet.
        f.debug_struct("Record")
            .field("span_context", &self.span_context)
            .field("attributes", &self.attributes.len())
            .field("events", &self.events.len())
            .finish_non_exhaustive()
    }
}

/// What [`Record::new`] takes: the call's identity and what was recorded at its start.
pub(super) struct Started {
    pub(super) destination: Destination,
    pub(super) parent: Context,
    pub(super) new_trace: Option<TraceId>,
    pub(super) span_context: SpanContext,
    pub(super) sdk: Option<Box<opentelemetry_sdk::trace::Span>>,
    pub(super) kind: SpanKind,
    pub(super) name: Option<Cow<'static, str>>,
    pub(super) operation: &'static str,
    pub(super) request: [Option<StringValue>; 3],
    pub(super) start: SystemTime,
    pub(super) attributes: Vec<KeyValue>,
    pub(super) redact: u64,
    pub(super) arcs: u64,
    /// The bin of the calling thread, for a deferred destination.
    pub(super) owner: Option<Arc<super::bin::Bin<Box<Record>>>>,
    /// Attributes the span holds so far (those the SDK span got at its start included).
    pub(super) attribute_count: u32,
    pub(super) application_dropped: u32,
}

/// The attribute count a site's calls end with, learned from the last call processed on its
/// caller's thread (0: none yet). A span's attribute vector is then allocated at the size it
/// ends with: it neither grows while the call records nor is shrunk before export (a
/// reallocation and a copy of every attribute, per call, when the macro's count was above).
#[derive(Debug)]
pub struct AttributeCount(AtomicU32);

impl AttributeCount {
    /// None learned yet.
    #[allow(clippy::new_without_default)] // a `const` for the macro's statics
    pub const fn new() -> AttributeCount {
        AttributeCount(AtomicU32::new(0))
    }

    /// The count learned (0: none yet).
    #[inline]
    pub(super) fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed) as usize
    }

    /// Notes that a call ended with `count` attributes (stored only when it changed, so the
    /// calls of a site on several threads do not write its cache line over and over).
    #[inline]
    pub(super) fn learn(&self, count: usize) {
        let count = u32::try_from(count).unwrap_or(u32::MAX);
        if self.0.load(Ordering::Relaxed) != count {
            self.0.store(count, Ordering::Relaxed);
        }
    }
}

impl Record {
    /// The record of a call that started, and the span its context carries; in `shell`, a
    /// record of an earlier call on this thread, when one came back for reuse.
    pub(super) fn new(started: Started, shell: Option<Box<Record>>) -> (Box<Record>, RecordSpan) {
        let base = started.attribute_count;
        let [provider, model, service_tier] = started.request;
        let owner = started.owner;
        let (record, shared) = match shell {
            Some(mut shell) => {
                // The span's shared state, reused when the span of the earlier call is gone:
                // then the record keeps its reference, and only the span's is new.
                let reused = match Arc::get_mut(&mut shell.shared) {
                    Some(shared) => {
                        shared
                            .writes
                            .get_mut()
                            .unwrap_or_else(|poison| poison.into_inner())
                            .reset(base);
                        true
                    }
                    None => false,
                };
                let shared = if reused {
                    Arc::clone(&shell.shared)
                } else {
                    new_shared(base)
                };
                // What the earlier call left (its originals, when processed elsewhere) is
                // dropped here, on the thread that made it. Written in place, field by field
                // (every field is named: a new one cannot be forgotten); building one value
                // for both arms and moving it cost the caller 72 instructions per call, and
                // overwriting the shared state's reference two reference-count operations.
                let Record {
                    destination,
                    parent,
                    new_trace,
                    span_context,
                    sdk,
                    kind,
                    name,
                    operation,
                    provider: record_provider,
                    model: record_model,
                    service_tier: record_tier,
                    start,
                    attributes,
                    redact,
                    arcs,
                    events,
                    status,
                    cost,
                    application_dropped,
                    shared: record_shared,
                    owner: record_owner,
                } = &mut *shell;
                *destination = Some(started.destination);
                *parent = started.parent;
                *new_trace = started.new_trace;
                *span_context = started.span_context.clone();
                *sdk = started.sdk;
                *kind = started.kind;
                *name = started.name;
                *operation = started.operation;
                *record_provider = provider;
                *record_model = model;
                *record_tier = service_tier;
                *start = started.start;
                *attributes = started.attributes;
                *redact = started.redact;
                *arcs = started.arcs;
                events.clear();
                *status = Status::Unset;
                *cost = None;
                *application_dropped = started.application_dropped;
                if !reused {
                    *record_shared = Arc::clone(&shared);
                }
                *record_owner = owner;
                (shell, shared)
            }
            None => {
                let shared = new_shared(base);
                let record = Box::new(Record {
                    destination: Some(started.destination),
                    parent: started.parent,
                    new_trace: started.new_trace,
                    span_context: started.span_context.clone(),
                    sdk: started.sdk,
                    kind: started.kind,
                    name: started.name,
                    operation: started.operation,
                    provider,
                    model,
                    service_tier,
                    start: started.start,
                    attributes: started.attributes,
                    redact: started.redact,
                    arcs: started.arcs,
                    events: Vec::new(),
                    status: Status::Unset,
                    cost: None,
                    application_dropped: started.application_dropped,
                    shared: Arc::clone(&shared),
                    owner,
                });
                (record, shared)
            }
        };
        let span = RecordSpan {
            span_context: started.span_context,
            shared,
        };
        (record, span)
    }

    /// The capacity of the attribute vector this record holds (none once a span took it).
    #[inline]
    pub(super) fn attributes_capacity(&self) -> usize {
        self.attributes.capacity()
    }

    /// The attribute vector of a record that came back, emptied (its values dropped here),
    /// its capacity kept.
    pub(super) fn take_attributes(&mut self) -> Vec<KeyValue> {
        let mut attributes = std::mem::take(&mut self.attributes);
        attributes.clear();
        attributes
    }

    /// Asks the CPU to bring this record into this core's caches (only its address is used).
    #[inline]
    pub(super) fn prefetch(&self) {
        prefetch_bytes(
            (self as *const Record).cast::<u8>(),
            std::mem::size_of::<Record>(),
        );
    }

    /// Asks the CPU to bring into this core's caches what reusing this record touches besides
    /// the record itself: its attribute vector (emptied, then filled again) and the span's
    /// shared state.
    #[inline]
    pub(super) fn prefetch_parts(&self) {
        prefetch_bytes(
            self.attributes.as_ptr().cast::<u8>(),
            std::mem::size_of_val(self.attributes.as_slice()),
        );
        prefetch_bytes(
            Arc::as_ptr(&self.shared).cast::<u8>(),
            std::mem::size_of::<Shared>(),
        );
    }

    /// Whether this record is processed on llmscope's processing thread.
    #[inline]
    pub(super) fn deferred(&self) -> bool {
        self.destination
            .as_ref()
            .is_some_and(|destination| destination.deferred)
    }

    /// Sets the status as the SDK does: `Ok` is final, `Error` replaces `Unset`.
    pub(super) fn set_status(&mut self, status: Status) {
        merge_status(&mut self.status, status);
    }

    /// The processing: redaction of the application's values, the cost, the span name, then
    /// the SDK span built (or filled) and ended at `end` (unless the application ended it
    /// earlier through the OpenTelemetry API). Returns the record's shell for reuse. Processed
    /// on the caller's thread, the attribute count the span ends with is noted in `learned`
    /// (its site's), so that the site's next call is allocated at that size.
    ///
    /// Processed `elsewhere` (on llmscope's processing thread), nothing the caller allocated
    /// goes into the span: the span gets copies — an attribute vector sized exactly, the
    /// run-time strings, events, status and name — and the originals stay in the shell,
    /// returned to the caller's thread and freed there ([`super::recycle`]). Processed on the
    /// caller's thread, the span takes them as they are.
    pub(crate) fn finish(
        mut self: Box<Self>,
        end: SystemTime,
        elsewhere: bool,
        learned: Option<&AttributeCount>,
    ) -> Box<Self> {
        // Released whatever happens: the destination (its provider) and the parent context
        // (the application's spans in it) never outlive the call in a record kept for reuse.
        let Some(destination) = self.destination.take() else {
            return self; // processed already
        };
        let parent = std::mem::take(&mut self.parent);
        let writes = std::mem::take(
            &mut *self
                .shared
                .writes
                .lock()
                .unwrap_or_else(|poison| poison.into_inner()),
        );
        let policy = capture::capture_policy();
        let Writes {
            own,
            application,
            dropped,
            events,
            status,
            name,
            links,
            ended,
            ..
        } = writes;
        let dropped = self.application_dropped.saturating_add(dropped);
        let mut attributes = if elsewhere {
            COST.with(|cost| {
                let mut cost = cost.borrow_mut();
                cost.clear();
                if let Some(input) = &self.cost {
                    cost::write_cost(input, &mut cost);
                }
                let mut attributes = Vec::with_capacity(
                    self.attributes.len()
                        + cost.len()
                        + own.len()
                        + application.len()
                        + usize::from(dropped > 0),
                );
                for (index, attribute) in self.attributes.iter().enumerate() {
                    let bit = if index < 64 { 1 << index } else { 0 };
                    let value = if self.redact & bit != 0 {
                        exported_copy(policy, &attribute.value, true)
                    } else if self.arcs & bit != 0 {
                        exported_copy(policy, &attribute.value, false)
                    } else {
                        attribute.value.clone()
                    };
                    push_attribute(&mut attributes, attribute.key.clone(), value);
                }
                attributes.append(&mut cost);
                attributes
            })
        } else {
            let mut redact = self.redact;
            while redact != 0 {
                let index = redact.trailing_zeros() as usize;
                redact &= redact - 1;
                if let Some(attribute) = self.attributes.get_mut(index) {
                    redact_value(policy, &mut attribute.value);
                }
            }
            if let Some(input) = self.cost.take() {
                cost::write_cost(&input, &mut self.attributes);
            }
            std::mem::take(&mut self.attributes)
        };
        attributes.extend(own);
        attributes.extend(application);
        if !elsewhere {
            if let (Some(learned), None) = (learned, &self.sdk) {
                // The next call of the site is allocated at this size (a span the SDK built at
                // the start holds part of its attributes already: not learned from).
                learned.learn(attributes.len());
            }
            if attributes.capacity() > attributes.len() + 2 {
                // The span holds its attributes until exported: sized to what it holds.
                attributes.shrink_to_fit();
            }
        }
        if dropped > 0 {
            attributes.push(KeyValue::new(budget::DROPPED_KEY, i64::from(dropped)));
            budget::warn_dropped(u64::from(dropped));
        }
        let mut own_status = if elsewhere {
            status_copy(&self.status)
        } else {
            std::mem::replace(&mut self.status, Status::Unset)
        };
        if let Some(status) = status {
            // The application's status first: llmscope's own (an error) is recorded when the
            // call returns, after the body.
            let own = std::mem::replace(&mut own_status, status);
            merge_status(&mut own_status, own);
        }
        let own_events = if elsewhere {
            self.events.iter().map(event_copy).collect()
        } else {
            std::mem::take(&mut self.events)
        };
        let mut events = if events.is_empty() {
            own_events
        } else {
            let mut all = events;
            all.extend(own_events);
            all.sort_by_key(|event| event.timestamp);
            all
        };
        let end = ended.unwrap_or(end);
        let name = name.or_else(|| {
            if elsewhere {
                self.name.as_ref().map(|name| match name {
                    Cow::Borrowed(name) => Cow::Borrowed(*name),
                    Cow::Owned(name) => Cow::Owned(name.as_str().to_owned()),
                })
            } else {
                self.name.take()
            }
        });
        let tracer = &destination.tracer;
        match self.sdk.take() {
            Some(mut span) => {
                span.set_attributes(attributes);
                for event in events.drain(..) {
                    span.add_event_with_timestamp(event.name, event.timestamp, event.attributes);
                }
                for link in links {
                    span.add_link(link.span_context, link.attributes);
                }
                if let Some(name) = name {
                    span.update_name(name);
                }
                span.set_status(own_status);
                span.end_with_timestamp(end);
            }
            None => {
                let name = name.unwrap_or_else(|| match &self.model {
                    Some(model) => super::memo::span_name(policy, self.operation, model.as_str()),
                    None => Cow::Borrowed(self.operation),
                });
                let mut builder = tracer
                    .span_builder(name)
                    .with_kind(self.kind.clone())
                    .with_start_time(self.start)
                    .with_attributes(attributes);
                if !events.is_empty() {
                    builder.events = Some(events);
                }
                if !links.is_empty() {
                    builder.links = Some(links);
                }
                let (mut span, took_id) =
                    sampling::with_ids(self.new_trace, self.span_context.span_id(), || {
                        tracer.build_with_context(builder, &parent)
                    });
                if !took_id {
                    destination
                        .takes_ids
                        .store(false, std::sync::atomic::Ordering::Relaxed);
                    crate::diagnostics::diag!(
                        Warn,
                        "sampling",
                        "the tracer provider given with a sampler was not built with \
                         `Sampler::build`: the span of one call got another id than its \
                         children's parent id; its spans are now built when they start"
                    );
                }
                span.set_status(own_status);
                span.end_with_timestamp(end);
            }
        }
        self
    }
}

thread_local! {
    /// The cost attributes of the record being processed, before they join its exactly sized
    /// attribute vector (kept for the next record: no allocation).
    static COST: std::cell::RefCell<Vec<KeyValue>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Asks the CPU to bring the `len` bytes from `start` into this core's caches: a hint that
/// reads nothing the program sees and cannot fault.
#[inline]
fn prefetch_bytes(start: *const u8, len: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let mut offset = 0;
        while offset < len {
            // SAFETY: a prefetch reads nothing the program sees and cannot fault, whatever the
            // address; SSE, which provides it, is part of x86_64.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(start.wrapping_add(offset).cast::<i8>()) };
            offset += 64;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (start, len);
}

/// The span's shared state for a new call.
fn new_shared(base: u32) -> Arc<Shared> {
    Arc::new(Shared {
        writes: Mutex::new(Writes {
            base,
            ..Writes::default()
        }),
    })
}

/// A copy of `text` in a new allocation of this thread's.
#[inline]
fn own_text(text: &str) -> StringValue {
    StringValue::from(text.to_owned())
}

/// `value` with its text (a string, or each string of a string array) copied into new
/// allocations of this thread's.
fn text_copy(value: &Value) -> Value {
    match value {
        Value::String(text) => Value::String(own_text(text.as_str())),
        Value::Array(Array::String(items)) => Value::Array(Array::String(
            items.iter().map(|item| own_text(item.as_str())).collect(),
        )),
        other => other.clone(),
    }
}

/// `value` as this thread exports it: its text (a string, or each string of a string array)
/// redacted and cut to the content byte limit as [`redact_value`] does when `redact` is set,
/// else copied, in allocations of this thread's (a short text seen before shares one:
/// [`super::memo`]).
fn exported_copy(policy: &'static CapturePolicy, value: &Value, redact: bool) -> Value {
    match value {
        Value::String(text) if redact => {
            Value::String(super::memo::exported(policy, text.as_str(), true))
        }
        // A model, most often: the last two kept texts answer without a memo lookup.
        Value::String(text) => Value::String(super::memo::shared(policy, text.as_str())),
        Value::Array(Array::String(items)) => Value::Array(Array::String(
            items
                .iter()
                .map(|item| super::memo::exported(policy, item.as_str(), redact))
                .collect(),
        )),
        other => other.clone(),
    }
}

/// A copy of an event llmscope recorded (an exception, the details event), its text in new
/// allocations of this thread's.
fn event_copy(event: &Event) -> Event {
    Event::new(
        match &event.name {
            Cow::Borrowed(name) => Cow::Borrowed(*name),
            Cow::Owned(name) => Cow::Owned(name.as_str().to_owned()),
        },
        event.timestamp,
        event
            .attributes
            .iter()
            .map(|attribute| KeyValue::new(attribute.key.clone(), text_copy(&attribute.value)))
            .collect(),
        event.dropped_attributes_count,
    )
}

/// A copy of `status`, its description in a new allocation of this thread's.
fn status_copy(status: &Status) -> Status {
    match status {
        Status::Error { description } => Status::Error {
            description: match description {
                Cow::Borrowed(text) => Cow::Borrowed(*text),
                Cow::Owned(text) => Cow::Owned(text.as_str().to_owned()),
            },
        },
        Status::Ok => Status::Ok,
        Status::Unset => Status::Unset,
    }
}

/// Sets `status` to `new` as the SDK does: `Ok` is final, `Error` replaces `Unset`, `Unset`
/// changes nothing.
fn merge_status(status: &mut Status, new: Status) {
    match (&*status, &new) {
        (Status::Ok, _) | (_, Status::Unset) => {}
        _ => *status = new,
    }
}

/// Redacts every piece of text in an attribute value the application added, and cuts it to the
/// content byte limit: a string, and each string of a string array. Numbers and booleans carry
/// no text.
pub(super) fn redact_value(policy: &'static CapturePolicy, value: &mut Value) {
    match value {
        Value::String(text) => {
            if let Some(clean) = super::memo::bound_redacted(policy, text.as_str()) {
                *text = clean;
            }
        }
        Value::Array(Array::String(items)) => {
            for item in items {
                if let Some(clean) = super::memo::bound_redacted(policy, item.as_str()) {
                    *item = clean;
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

/// What the OpenTelemetry API wrote on a recorded call's span while it ran.
#[derive(Debug)]
pub(crate) struct Shared {
    writes: Mutex<Writes>,
}

#[derive(Debug, Default)]
struct Writes {
    /// The attributes llmscope recorded at the start, counted against the budget.
    base: u32,
    /// llmscope's own keys (usage, cost, content, `llmscope.*`, `error.type`): always kept.
    own: Vec<KeyValue>,
    /// Any other key: kept within the budget.
    application: Vec<KeyValue>,
    /// The application's attributes refused (over the budget).
    dropped: u32,
    events: Vec<Event>,
    status: Option<Status>,
    name: Option<Cow<'static, str>>,
    links: Vec<Link>,
    /// Set when the application ended the span itself: later writes are ignored, as the SDK
    /// ignores them.
    ended: Option<SystemTime>,
}

impl Writes {
    /// Empties these writes for a new call with `base` attributes, field by field. `finish`
    /// took the last call's writes already, so this drops only what was written after it (by
    /// an application that kept the call's context), and is otherwise a few stores: cheaper
    /// than building and assigning a whole `Writes`, whose drop checks every field.
    fn reset(&mut self, base: u32) {
        let Writes {
            base: base_count,
            own,
            application,
            dropped,
            events,
            status,
            name,
            links,
            ended,
        } = self;
        *base_count = base;
        own.clear();
        application.clear();
        *dropped = 0;
        events.clear();
        *status = None;
        *name = None;
        links.clear();
        *ended = None;
    }
}

/// The span a recorded call's context carries while it runs: its span context, and a place
/// for what the OpenTelemetry API writes on it (see the module docs).
#[derive(Debug)]
pub(crate) struct RecordSpan {
    span_context: SpanContext,
    shared: Arc<Shared>,
}

impl RecordSpan {
    fn with_writes(&self, write: impl FnOnce(&mut Writes)) {
        let mut writes = self
            .shared
            .writes
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if writes.ended.is_none() {
            write(&mut writes);
        }
    }
}

impl opentelemetry::trace::Span for RecordSpan {
    fn add_event_with_timestamp<T>(
        &mut self,
        name: T,
        timestamp: SystemTime,
        attributes: Vec<KeyValue>,
    ) where
        T: Into<Cow<'static, str>>,
    {
        let name = name.into();
        self.with_writes(|writes| {
            writes
                .events
                .push(Event::new(name, timestamp, attributes, 0));
        });
    }

    fn span_context(&self) -> &SpanContext {
        &self.span_context
    }

    fn is_recording(&self) -> bool {
        let writes = self
            .shared
            .writes
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        writes.ended.is_none()
    }

    fn set_attribute(&mut self, attribute: KeyValue) {
        self.with_writes(|writes| {
            if budget::is_own_key(attribute.key.as_str()) {
                writes.own.push(attribute);
            } else if writes.base as usize + writes.own.len() + writes.application.len()
                < budget::application_budget() as usize
            {
                writes.application.push(attribute);
            } else {
                writes.dropped = writes.dropped.saturating_add(1);
            }
        });
    }

    fn set_status(&mut self, status: Status) {
        self.with_writes(|writes| {
            let current = writes.status.get_or_insert(Status::Unset);
            merge_status(current, status);
        });
    }

    fn update_name<T>(&mut self, new_name: T)
    where
        T: Into<Cow<'static, str>>,
    {
        let name = new_name.into();
        self.with_writes(|writes| writes.name = Some(name));
    }

    fn add_link(&mut self, span_context: SpanContext, attributes: Vec<KeyValue>) {
        self.with_writes(|writes| writes.links.push(Link::new(span_context, attributes, 0)));
    }

    fn end_with_timestamp(&mut self, timestamp: SystemTime) {
        self.with_writes(|writes| writes.ended = Some(timestamp));
    }
}
