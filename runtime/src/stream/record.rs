//! What a recorded stream accumulates between its chunks, and how its span ends.
//!
//! Invariants:
//! - a [`StreamRecord`] exists only for a call whose span records; it owns the [`Call`] and
//!   is consumed by [`StreamRecord::finish`], so the span ends exactly once;
//! - per chunk it reads the tick counter once ([`clock::ticks`], not the system clock) and
//!   does no allocation beyond what the chunk's own text needs when content is captured (the
//!   token counts are folded in place; the arrivals vector grows geometrically); ticks become
//!   durations once, when the span ends;
//! - the completion is assembled from the chunks' text and redacted once, at the end.

use std::time::Duration;

use opentelemetry::trace::{Status, TraceContextExt as _};
use opentelemetry::KeyValue;

use super::clock::{Mark, Scale};
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
/// The timing is kept whole (the arrival of every chunk) so that the semconv histograms
/// `…time_to_first_chunk` and `…time_per_output_chunk` can be recorded from the same
/// timestamps.
#[derive(Debug)]
pub struct StreamRecord {
    call: Call,
    site: &'static Site,
    /// The function's path, named in the warning about a stream without usage.
    function: &'static str,
    started: Mark,
    /// The tick count at each chunk's arrival ([`clock::ticks`]).
    arrivals: Vec<u64>,
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
    /// A record for `call` (which records) of the function `function` at `site`, started at
    /// `started`.
    pub(crate) fn new(
        call: Call,
        site: &'static Site,
        function: &'static str,
        started: Mark,
        reads_usage: bool,
    ) -> StreamRecord {
        StreamRecord {
            reads_usage,
            capture: call.captures_content(),
            call,
            site,
            function,
            started,
            arrivals: Vec::new(),
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

    /// The chunk timing so far, converted from ticks at the rate measured now.
    pub fn timing(&self) -> ChunkTiming {
        ChunkTiming::of(&self.started, &self.arrivals, &Mark::now())
    }

    /// The number of chunks received.
    pub fn chunks(&self) -> u64 {
        self.arrivals.len() as u64
    }

    /// Notes the arrival of a chunk at tick count `ticks` ([`clock::ticks`]).
    #[inline]
    pub(crate) fn chunk_arrived(&mut self, ticks: u64) {
        self.arrivals.push(ticks);
    }

    /// Folds one chunk in. Most chunks carry text and nothing new besides: that path stays
    /// inline; the first metadata, finish reasons and tool-call pieces take [`Self::absorb_rest`].
    #[inline]
    fn absorb(&mut self, chunk: &mut UsageData<'_>) {
        self.counts.absorb_counts(chunk);
        if let Some(text) = chunk.take_stream_text() {
            self.completion = text;
        }
        let new_metadata = (self.response_id.is_none() && chunk.response_id().is_some())
            || (self.response_model.is_none() && chunk.response_model().is_some())
            || (self.service_tier.is_none() && chunk.service_tier().is_some());
        if new_metadata || !chunk.finish_reasons().is_empty() || !chunk.tool_calls().is_empty() {
            self.absorb_rest(chunk);
        }
    }

    /// The rarer part of [`Self::absorb`]: metadata first seen, finish reasons, tool calls.
    #[inline(never)]
    fn absorb_rest(&mut self, chunk: &UsageData<'_>) {
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
        let end = Mark::now();
        let StreamRecord {
            mut call,
            site,
            function,
            started,
            arrivals,
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
        // The mean gap is (last − first) / (chunks − 1): no per-chunk work at the end.
        let scale = Scale::at(&end);
        let mut attributes = Vec::with_capacity(6);
        attributes.push(KeyValue::new(
            keys::CHUNKS,
            i64::try_from(arrivals.len()).unwrap_or(i64::MAX),
        ));
        if let (Some(&first), Some(&last)) = (arrivals.first(), arrivals.last()) {
            attributes.push(KeyValue::new(
                keys::RESPONSE_TIME_TO_FIRST_CHUNK,
                scale.between(started.ticks(), first).as_secs_f64(),
            ));
            if arrivals.len() > 1 {
                attributes.push(KeyValue::new(
                    keys::TIME_PER_OUTPUT_CHUNK,
                    scale.between(first, last).as_secs_f64() / (arrivals.len() - 1) as f64,
                ));
            }
        }
        let abandoned = matches!(ending, Ending::Abandoned | Ending::Panicked);
        if abandoned && finish_reasons.is_empty() {
            finish_reasons.push(keys::FINISH_REASON_ERROR.to_owned());
        }
        let has_counts = counts.has_counts();
        if !has_counts {
            attributes.push(KeyValue::new(keys::USAGE_MISSING, true));
            if reads_usage && ending == Ending::Completed {
                // Once per call site, however often it streams and whatever else warns.
                crate::diagnostics::diag_once!(
                    Warn,
                    "stream",
                    site as *const Site as usize,
                    "`{function}` (a streamed `{}` call) ended without any token usage: no usage \
                     or cost is recorded for its calls (for OpenAI, request \
                     `stream_options.include_usage = true`; otherwise check that the chunk type \
                     marks its counts with `#[usage(...)]`)",
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
    let text = record
        .capture
        .then(|| std::mem::take(&mut record.completion));
    let mut usage = UsageData::for_chunk(text);
    chunk.record_usage(&mut usage);
    record.absorb(&mut usage);
}

/// When a stream's chunks arrived, as durations.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChunkTiming {
    /// From the start of the call to the first chunk, once one arrived.
    pub time_to_first_chunk: Option<Duration>,
    /// Between consecutive chunks, from the end of one to the end of the next (one entry per
    /// chunk after the first).
    pub gaps: Vec<Duration>,
}

impl ChunkTiming {
    /// The timing of chunks that arrived at tick counts `arrivals`, for a call started at
    /// `started`, converted at the rate measured up to `now`.
    fn of(started: &Mark, arrivals: &[u64], now: &Mark) -> ChunkTiming {
        let scale = Scale::at(now);
        ChunkTiming {
            time_to_first_chunk: arrivals
                .first()
                .map(|&first| scale.between(started.ticks(), first)),
            gaps: arrivals
                .windows(2)
                .map(|pair| scale.between(pair[0], pair[1]))
                .collect(),
        }
    }
}
