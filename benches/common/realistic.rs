//! The realistic call (issue 15): what a typical application records on one model call, written
//! four ways, side by side.
//!
//! 15 attributes: operation, provider, request model, temperature, max tokens, server address,
//! and three strings of the application's own (a prompt hash, a user hash, the feature), then
//! six from the usage (input, output and cached tokens, response model and id, finish
//! reasons; the id is each reply's own, as providers send it) — plus the cost of the call, priced from the same registry, and the span made
//! current while the body runs.
//!
//! - `annotated`: `#[llm_call]`;
//! - `raw_sdk`: hand-written `opentelemetry_sdk` code recording the same data and making the
//!   span current (the cost priced with `llmscope::price_registry()`, as an application would);
//! - `with_tracing`: `tracing` + `tracing-opentelemetry` with the same fields;
//! - `floor`: a 15-field record pushed into a preallocated per-thread buffer (what recording
//!   costs when nothing else is done).

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use opentelemetry::trace::{SpanKind, TraceContextExt as _, Tracer as _};
use opentelemetry::{Context, KeyValue};

use super::{simulated_call, Reply};

/// The request of a realistic call: the model and parameters, and the application's strings.
pub(crate) struct Request {
    pub(crate) model: String,
    pub(crate) temperature: f64,
    pub(crate) max_tokens: u32,
    /// sha256 of the prompt template's rendered text, hex (64 characters).
    pub(crate) prompt_hash: String,
    /// A keyed hash of the user id, hex (16 characters).
    pub(crate) user_hash: String,
    /// The product feature making the call (chosen at run time by the caller).
    pub(crate) feature: String,
}

pub(crate) fn request() -> Request {
    Request {
        model: "gpt-4o".to_owned(),
        temperature: 0.2,
        max_tokens: 512,
        prompt_hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".to_owned(),
        user_hash: "5e884898da280471".to_owned(),
        feature: "summarise_thread".to_owned(),
    }
}

#[inline(never)]
fn body(req: &Request) -> Reply {
    black_box(req);
    let mut reply = simulated_call(&super::request());
    reply.id = Cow::Owned(response_id());
    reply
}

/// A response id no other reply has, as a provider's (`chatcmpl-` and 16 hex digits: the
/// thread's number, then its count of replies), in a `String` of its own as a client parsing
/// the response makes it.
fn response_id() -> String {
    static THREADS: AtomicU64 = AtomicU64::new(0);
    thread_local! {
        static NEXT: Cell<u64> = Cell::new(THREADS.fetch_add(1, Ordering::Relaxed) << 48);
    }
    let n = NEXT.with(|next| {
        let n = next.get();
        next.set(n + 1);
        n
    });
    let mut id = String::with_capacity(9 + 16);
    id.push_str("chatcmpl-");
    for shift in (0..16).rev() {
        id.push(char::from(
            b"0123456789abcdef"[(n >> (shift * 4)) as usize & 15],
        ));
    }
    id
}

/// (a) `#[llm_call]`: 9 attributes from the arguments + 6 from the usage, and the cost.
#[llmscope::llm_call(
    provider = "openai",
    model = req.model,
    temperature = req.temperature,
    max_tokens = req.max_tokens,
    server_address = "api.openai.com",
    feature = req.feature,
    attrs(custom("app.prompt.hash") = req.prompt_hash, custom("app.user.hash") = req.user_hash)
)]
pub(crate) fn annotated(req: &Request) -> Reply {
    body(req)
}

/// (b) The same data through the raw OpenTelemetry SDK, written by hand: the span made current
/// while the body runs, the usage and the cost set when it returns.
pub(crate) fn raw_sdk(tracer: &opentelemetry_sdk::trace::SdkTracer, req: &Request) -> Reply {
    let parent = Context::current();
    let span = tracer
        .span_builder(format!("chat {}", req.model))
        .with_kind(SpanKind::Client)
        .with_attributes(vec![
            KeyValue::new("gen_ai.operation.name", "chat"),
            KeyValue::new("gen_ai.provider.name", "openai"),
            KeyValue::new("gen_ai.request.model", req.model.clone()),
            KeyValue::new("gen_ai.request.temperature", req.temperature),
            KeyValue::new("gen_ai.request.max_tokens", i64::from(req.max_tokens)),
            KeyValue::new("server.address", "api.openai.com"),
            KeyValue::new("llmscope.feature", req.feature.clone()),
            KeyValue::new("app.prompt.hash", req.prompt_hash.clone()),
            KeyValue::new("app.user.hash", req.user_hash.clone()),
        ])
        .start_with_context(tracer, &parent);
    let cx = parent.with_span(span);
    let reply = {
        let _guard = cx.clone().attach();
        body(req)
    };
    let attributes = super::reply_attributes(&reply);
    let span = cx.span();
    span.set_attributes(attributes);
    span.end();
    reply
}

/// (c) `tracing` + `tracing-opentelemetry` with the same fields.
pub(crate) fn with_tracing(req: &Request) -> Reply {
    let span = tracing::info_span!(
        "chat",
        otel.name = format!("chat {}", req.model),
        otel.kind = "client",
        gen_ai.operation.name = "chat",
        gen_ai.provider.name = "openai",
        gen_ai.request.model = req.model.as_str(),
        gen_ai.request.temperature = req.temperature,
        gen_ai.request.max_tokens = req.max_tokens,
        server.address = "api.openai.com",
        llmscope.feature = req.feature.as_str(),
        app.prompt.hash = req.prompt_hash.as_str(),
        app.user.hash = req.user_hash.as_str(),
        gen_ai.usage.input_tokens = tracing::field::Empty,
        gen_ai.usage.output_tokens = tracing::field::Empty,
        gen_ai.usage.cache_read.input_tokens = tracing::field::Empty,
        gen_ai.response.model = tracing::field::Empty,
        gen_ai.response.id = tracing::field::Empty,
        gen_ai.response.finish_reasons = tracing::field::Empty,
        llmscope.cost.total = tracing::field::Empty,
        llm.cost.prompt = tracing::field::Empty,
        llm.cost.completion = tracing::field::Empty,
        llm.cost.total = tracing::field::Empty,
        llmscope.cost.input = tracing::field::Empty,
        llmscope.cost.output = tracing::field::Empty,
        llmscope.cost.cache_read = tracing::field::Empty,
        llmscope.cost.cache_write = tracing::field::Empty,
        llmscope.pricing.entry = tracing::field::Empty,
        llmscope.pricing.snapshot = tracing::field::Empty,
        llmscope.pricing.tier = tracing::field::Empty,
    );
    let reply = span.in_scope(|| body(req));
    super::record_reply_and_cost(&span, &reply);
    reply
}

/// Inline room for one string of the floor's record.
const TEXT: usize = 64;

/// The floor's record: 15 fields by value (strings copied into inline buffers, no allocation)
/// and the two timestamps.
#[derive(Clone, Copy)]
struct FloorRecord {
    started: Instant,
    ended: Instant,
    temperature: f64,
    max_tokens: u32,
    input_tokens: u32,
    output_tokens: u32,
    cached_tokens: u32,
    operation: &'static str,
    provider: &'static str,
    server_address: &'static str,
    model: [u8; TEXT],
    feature: [u8; TEXT],
    prompt_hash: [u8; TEXT],
    user_hash: [u8; TEXT],
    response_model: &'static str,
    response_id: [u8; TEXT],
    finish_reason: &'static str,
}

fn text(value: &str) -> [u8; TEXT] {
    let mut buffer = [0; TEXT];
    let len = value.len().min(TEXT);
    buffer[..len].copy_from_slice(&value.as_bytes()[..len]);
    buffer
}

/// Records kept per thread: the buffer is allocated once and reused as a ring.
const FLOOR_RING: usize = 4096;

thread_local! {
    static FLOOR: RefCell<(Vec<FloorRecord>, usize)> = RefCell::new((Vec::with_capacity(FLOOR_RING), 0));
}

/// (d) The floor: the same 15 fields and two timestamps pushed into a preallocated
/// per-thread ring; no span, no context, no cost.
pub(crate) fn floor(req: &Request) -> Reply {
    let started = Instant::now();
    let reply = body(req);
    let record = FloorRecord {
        started,
        ended: Instant::now(),
        temperature: req.temperature,
        max_tokens: req.max_tokens,
        input_tokens: reply.input_tokens,
        output_tokens: reply.output_tokens,
        cached_tokens: reply.cached_tokens,
        operation: "chat",
        provider: "openai",
        server_address: "api.openai.com",
        model: text(&req.model),
        feature: text(&req.feature),
        prompt_hash: text(&req.prompt_hash),
        user_hash: text(&req.user_hash),
        response_model: reply.model,
        response_id: text(&reply.id),
        finish_reason: reply.finish_reasons[0],
    };
    FLOOR.with(|floor| {
        let mut floor = floor.borrow_mut();
        let (ring, next) = &mut *floor;
        if ring.len() < FLOOR_RING {
            ring.push(record);
        } else {
            ring[*next] = record;
        }
        *next = (*next + 1) % FLOOR_RING;
        black_box(&ring[..]);
    });
    reply
}
