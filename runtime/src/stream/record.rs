//! What a recorded stream accumulates between its chunks, and how its span ends.
//!
//! Invariants:
//! - a [`StreamRecord`] exists only for a call whose span records; it owns the [`Call`] and
//!   is consumed by [`StreamRecord::finish`], so the span ends exactly once;
//! - per chunk it does no allocation beyond what the chunk's own text needs when content is
//!   captured (the token counts are folded in place; the gaps vector grows geometrically);
//! - the completion is assembled from the chunks' text and redacted once, at the end.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use opentelemetry::trace::{Status, TraceContextExt as _};
use opentelemetry::KeyValue;

use super::keys;
use crate::private::{Call, Site};
use crate::usage::{Usage, UsageData};

/// A streamed tool call being assembled: index, id, name, arguments so far.
type ToolCallDraft = (u32, Option<String>, Option<String>, String);

/// How a stream's span ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ending {
    /// The stream yielded `None`.
    Completed,
    /// The stream yielded an `Err` item (already recorded on the span).
    Failed,
    /// The consumer dropped the stream before its end.
    Abandoned,
    /// Polling the stream panicked.
    Panicked,
}

/// The call record of a streamed call: its span, the chunk timing, and what the chunks said.
///
/// The timing is kept whole (time to first chunk and every gap between chunks) so that the
/// semconv histograms `…time_to_first_chunk` and `…time_per_output_chunk` can be recorded from
/// the same timestamps.
#[derive(Debug)]
pub struct StreamRecord {
    call: Call,
    site: &'static Site,
    started: Instant,
    first_chunk: Option<Duration>,
    last_chunk: Option<Instant>,
    chunks: u64,
    gaps: Vec<Duration>,
    counts: UsageData<'static>,
    response_id: Option<String>,
    response_model: Option<String>,
    service_tier: Option<String>,
    finish_reasons: Vec<String>,
    completion: String,
    /// Tool calls assembled from their pieces: index, id, name, arguments so far.
    tool_calls: Vec<ToolCallDraft>,
    capture: bool,
    /// False for `usage = false`: no warning when no usage arrives.
    reads_usage: bool,
    /// Set while the inner stream is polled: a drop that finds it set follows a panic there.
    pub(crate) polling: bool,
}

impl StreamRecord {
    /// A record for `call` (which records), started at `started`.
    pub(crate) fn new(
        call: Call,
        site: &'static Site,
        started: Instant,
        reads_usage: bool,
    ) -> StreamRecord {
        StreamRecord {
            reads_usage,
            capture: call.captures_content(),
            call,
            site,
            started,
            first_chunk: None,
            last_chunk: None,
            chunks: 0,
            gaps: Vec::new(),
            counts: UsageData::default(),
            response_id: None,
            response_model: None,
            service_tier: None,
            finish_reasons: Vec::new(),
            completion: String::new(),
            tool_calls: Vec::new(),
            polling: false,
        }
    }

    /// The call, for recording an error item on it.
    #[inline]
    pub fn call(&mut self) -> &mut Call {
        &mut self.call
    }

    /// Time from the start of the call to the first chunk, once one arrived.
    pub fn time_to_first_chunk(&self) -> Option<Duration> {
        self.first_chunk
    }

    /// The time between consecutive chunks, from the end of one to the end of the next
    /// (one entry per chunk after the first).
    pub fn chunk_gaps(&self) -> &[Duration] {
        &self.gaps
    }

    /// The number of chunks received.
    pub fn chunks(&self) -> u64 {
        self.chunks
    }

    /// Notes the arrival of a chunk at `now`.
    #[inline]
    pub(crate) fn chunk_arrived(&mut self, now: Instant) {
        match self.last_chunk {
            None => self.first_chunk = Some(now.saturating_duration_since(self.started)),
            Some(last) => self.gaps.push(now.saturating_duration_since(last)),
        }
        self.last_chunk = Some(now);
        self.chunks += 1;
    }

    fn absorb(&mut self, chunk: &UsageData<'_>) {
        self.counts.absorb_counts(chunk);
        if self.response_id.is_none() {
            self.response_id = chunk.response_id().map(str::to_owned);
        }
        if self.response_model.is_none() {
            self.response_model = chunk.response_model().map(str::to_owned);
        }
        if self.service_tier.is_none() {
            self.service_tier = chunk.service_tier().map(str::to_owned);
        }
        for reason in chunk.finish_reasons() {
            self.finish_reasons.push((*reason).to_owned());
        }
        for part in chunk.completion() {
            self.completion.push_str(part);
        }
        for piece in chunk.tool_calls() {
            let position = match self
                .tool_calls
                .iter()
                .position(|call| call.0 == piece.index)
            {
                Some(position) => position,
                None => {
                    self.tool_calls
                        .push((piece.index, None, None, String::new()));
                    self.tool_calls.len() - 1
                }
            };
            let call = &mut self.tool_calls[position];
            if call.1.is_none() {
                call.1 = piece.id.map(str::to_owned);
            }
            if call.2.is_none() {
                call.2 = piece.name.map(str::to_owned);
            }
            call.3.push_str(piece.arguments);
        }
    }

    /// Ends the span: timing, accumulated usage and cost, content, and how the stream ended.
    pub(crate) fn finish(self: Box<Self>, ending: Ending) {
        let StreamRecord {
            mut call,
            site,
            first_chunk,
            chunks,
            gaps,
            counts,
            response_id,
            response_model,
            service_tier,
            mut finish_reasons,
            completion,
            tool_calls,
            reads_usage,
            ..
        } = *self;
        let mut attributes = Vec::with_capacity(6);
        attributes.push(KeyValue::new(
            keys::CHUNKS,
            i64::try_from(chunks).unwrap_or(i64::MAX),
        ));
        if let Some(first) = first_chunk {
            attributes.push(KeyValue::new(
                keys::RESPONSE_TIME_TO_FIRST_CHUNK,
                first.as_secs_f64(),
            ));
        }
        if !gaps.is_empty() {
            let total: Duration = gaps.iter().sum();
            attributes.push(KeyValue::new(
                keys::TIME_PER_OUTPUT_CHUNK,
                total.as_secs_f64() / gaps.len() as f64,
            ));
        }
        let abandoned = matches!(ending, Ending::Abandoned | Ending::Panicked);
        if abandoned && finish_reasons.is_empty() {
            finish_reasons.push(keys::FINISH_REASON_ERROR.to_owned());
        }
        let has_counts = counts.has_counts();
        if !has_counts {
            attributes.push(KeyValue::new(keys::USAGE_MISSING, true));
            if reads_usage && ending == Ending::Completed && first_warning(site) {
                crate::diagnostics::diag!(
                    Warn,
                    "stream",
                    "a streamed `{}` call ended without any token usage: no usage or cost is \
                     recorded for it (for OpenAI, request `stream_options.include_usage = true`; \
                     otherwise check that the chunk type marks its counts with `#[usage(...)]`)",
                    site.operation
                );
            }
        }
        {
            let span = call.context().span();
            span.set_attributes(attributes);
            match ending {
                Ending::Completed | Ending::Failed => {}
                Ending::Abandoned => {
                    span.set_attribute(KeyValue::new(keys::CANCELLED, true));
                    span.set_status(Status::error("the stream was dropped before its end"));
                }
                Ending::Panicked => {
                    span.set_attribute(KeyValue::new(crate::private::keys::ERROR_TYPE, "panic"));
                    span.set_status(Status::error("the stream panicked while polled"));
                }
            }
        }
        let mut usage: UsageData<'_> = counts;
        if let Some(id) = &response_id {
            usage.set_response_id(id);
        }
        if let Some(model) = &response_model {
            usage.set_response_model(model);
        }
        if let Some(tier) = &service_tier {
            usage.set_service_tier(tier);
        }
        for reason in &finish_reasons {
            usage.push_finish_reason(reason);
        }
        if !completion.is_empty() {
            usage.push_completion(&completion);
        }
        for (index, id, name, arguments) in &tool_calls {
            usage.push_tool_call(*index, id.as_deref(), name.as_deref(), arguments);
        }
        call.record_usage_data(&usage);
        call.end();
    }
}

/// Reads the usage of one chunk into the record (the macros span this call at the return
/// type, so a chunk type without [`Usage`] is reported there).
#[inline]
pub fn read_chunk_usage<R: Usage + ?Sized>(record: &mut StreamRecord, chunk: &R) {
    let mut usage = UsageData::for_chunk(record.capture);
    chunk.record_usage(&mut usage);
    record.absorb(&usage);
}

/// Call sites already warned about a stream without usage.
static WARNED: Mutex<Vec<usize>> = Mutex::new(Vec::new());

/// True the first time a site ends a stream without usage.
fn first_warning(site: &'static Site) -> bool {
    let address = site as *const Site as usize;
    let mut warned = WARNED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if warned.contains(&address) {
        false
    } else {
        warned.push(address);
        true
    }
}
