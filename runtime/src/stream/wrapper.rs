//! The stream an annotated call hands back: polls the user's stream with the call's context
//! current, notes each chunk, and ends the span exactly once.
//!
//! Invariants:
//! - the span ends in exactly one place, [`StreamRecord::finish`], reached from `poll_next`
//!   (last item or `Err` item) or from `Drop` (abandoned, or a panic while polled); after
//!   it, the wrapper is [`Mode::Off`] and passes items through;
//! - the call's context is attached only for the duration of one poll of the inner stream;
//! - [`Mode::Off`] (no provider, or the call does not record) costs one branch per poll and
//!   allocates nothing. An unsampled call's context is not made current while its stream is
//!   polled (that would cost a context attach per chunk): spans made *inside* the stream's
//!   polls of a call dropped at the root of a trace are sampled on their own. Its body, which
//!   builds the stream, still runs in the unsampled context as every call's body does.

use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use futures::Stream;
use opentelemetry::Context;

use super::clock::{ticks, Mark};
use super::record::{Ending, StreamRecord};
use crate::private::{Call, Site};

/// Reads one item into the record; returns `true` for a failed (`Err`) item, which ends the
/// span. The macros write it as a closure for the concrete item type, and the wrapper is
/// generic over it, so the read is inlined into the poll.
pub trait ReadItem<T>: Fn(&T, &mut StreamRecord) -> bool {}

impl<T, F: Fn(&T, &mut StreamRecord) -> bool> ReadItem<T> for F {}

/// What the wrapper does around each poll.
enum Mode<R> {
    /// Nothing: the call does not record, or its span has ended.
    Off,
    /// The call records, reading each item with `R`.
    Record(Box<StreamRecord>, R),
}

/// A stream returned by an `#[llm_call]` function: the user's stream, recorded.
///
/// It yields exactly the items of the stream it wraps. Not built by hand: the macros build
/// it (**not public API**, may change in any release).
pub struct RecordedStream<S, R> {
    inner: S,
    mode: Mode<R>,
}

impl<S, R> std::fmt::Debug for RecordedStream<S, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mode = match &self.mode {
            Mode::Off => "off",
            Mode::Record(..) => "record",
        };
        f.debug_struct("RecordedStream")
            .field("mode", &mode)
            .finish_non_exhaustive()
    }
}

/// When a streamed call started: the origin of its time to first chunk.
#[derive(Clone, Copy, Debug)]
pub struct StreamStart(Mark);

/// When the call started, if it records (the origin of the time to first chunk).
#[inline]
pub fn stream_started(call: &Option<Call>) -> Option<StreamStart> {
    match call {
        Some(call) if call.is_recording() => Some(StreamStart(Mark::now())),
        _ => None,
    }
}

impl<S: Stream, R: ReadItem<S::Item>> RecordedStream<S, R> {
    /// A stream whose call does not record (no provider): passed through. Its reader type is
    /// inferred from the recording branch, so that both branches return one type.
    #[inline]
    pub fn off(inner: S) -> Self {
        RecordedStream {
            inner,
            mode: Mode::Off,
        }
    }

    /// Wraps `inner`, returned by the call `call` of the function `function` at `site` that
    /// started at `started` ([`stream_started`]); `read` reads each item; `reads_usage` is
    /// false for a call written with `usage = false` (no warning when no usage arrives).
    #[inline]
    pub fn record(
        inner: S,
        call: Call,
        site: &'static Site,
        function: &'static str,
        started: Option<StreamStart>,
        read: R,
        reads_usage: bool,
    ) -> Self {
        let mode = if call.is_recording() {
            let started = started.map_or_else(Mark::now, |StreamStart(mark)| mark);
            let record = StreamRecord::new(call, site, function, started, reads_usage);
            Mode::Record(Box::new(record), read)
        } else {
            // Nothing to end: a call that does not record has no span to finish.
            drop(call);
            Mode::Off
        };
        RecordedStream { inner, mode }
    }
}

impl<S: Stream, R: ReadItem<S::Item>> Stream for RecordedStream<S, R> {
    type Item = S::Item;

    #[inline]
    fn poll_next(self: Pin<&mut Self>, task: &mut TaskContext<'_>) -> Poll<Option<S::Item>> {
        // SAFETY: `inner` is structurally pinned: it is never moved out of `self` (neither
        // here nor in `Drop`, which touches `mode` only), and `RecordedStream` is `Unpin` only
        // when `S` is (its other fields are `Unpin`).
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above; `this.inner` stays where it is for as long as `self` is pinned.
        let inner = unsafe { Pin::new_unchecked(&mut this.inner) };
        match &mut this.mode {
            Mode::Off => inner.poll_next(task),
            Mode::Record(record, read) => {
                let (poll, arrived) = {
                    let _guard = record.call().stream_context().cloned().map(Context::attach);
                    record.polling = true;
                    let poll = inner.poll_next(task);
                    // Read before the context is detached: the counter's latency overlaps the
                    // detach instead of following it (7 ns less per chunk, measured). Not
                    // read for a poll that found nothing (`Pending`), as most polls of a
                    // network stream between two chunks do.
                    let arrived = if poll.is_ready() { ticks() } else { 0 };
                    record.polling = false;
                    (poll, arrived)
                };
                let ending = match &poll {
                    Poll::Pending => return poll,
                    Poll::Ready(Some(item)) => {
                        record.chunk_arrived(arrived);
                        if read(item, record) {
                            Ending::Failed
                        } else {
                            return poll;
                        }
                    }
                    Poll::Ready(None) => Ending::Completed,
                };
                if let Mode::Record(record, _) = std::mem::replace(&mut this.mode, Mode::Off) {
                    record.finish(ending);
                }
                poll
            }
        }
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<S, R> Drop for RecordedStream<S, R> {
    fn drop(&mut self) {
        if let Mode::Record(record, _) = std::mem::replace(&mut self.mode, Mode::Off) {
            let ending = if record.polling {
                Ending::Panicked
            } else {
                Ending::Abandoned
            };
            record.finish(ending);
        }
    }
}
