//! llmscope's processing thread: where the records of calls to a deferred destination
//! (a [`SampledProvider::deferred`](crate::SampledProvider::deferred) given to [`crate::install`] or [`crate::scoped`], and [`crate::init`]) are processed
//! and handed to their provider, so that the caller only records.
//!
//! Invariants:
//! - A record is processed exactly once: by this thread, or by the caller when the queue holds
//!   [`CAPACITY`] records (the caller then pays for its own call instead of losing it).
//! - The queue is bounded: at most [`CAPACITY`] records wait, each about the size of the span
//!   it becomes (see `BENCHMARKS.md`).
//! - Submitting takes one uncontended lock and makes no system call, except to wake the thread
//!   when it sleeps with nothing to do (the first call after a quiet time) or when [`WAKE_AT`]
//!   records wait; a busy thread looks again at least every [`POLL`].
//! - [`flush_processing`] returns once every record submitted before it was handed to its
//!   provider (its span processors have run `on_end`).
//! - A panic in a user's span processor or exporter while a record is handed over loses that
//!   span, not the thread.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use super::record::Record;

/// The most records waiting for the processing thread. The thread takes them all at once, so
/// this bounds the records in memory at twice it (about 2.3 KB each, as the spans they become):
/// 1,024 kept a 1M-call burst's peak RSS at 34–68 MB where 4,096 gave 55–100 MB, at the same
/// offered rate and with no span dropped; 768 (with the export thread's short slice) keeps it at
/// 48–58 MB, still above 1M calls/s from two threads, where 512 let the rate fall below 1M in 2
/// runs of 20: callers process their own calls more often (`cargo bench --bench burst`,
/// BENCHMARKS.md, session 13).
pub(crate) const CAPACITY: usize = 768;

/// Records waiting that make the caller wake a thread that is polling.
const WAKE_AT: usize = 256;

/// Records processed between two hand-backs to their owners' bins (one lock per owner each
/// time), within a batch.
const HAND_BACK_EVERY: usize = 256;

/// How long the thread waits for more records after it processed some: under steady traffic
/// callers never wake it (a wake-up is a system call on the caller's thread).
const POLL: Duration = Duration::from_millis(1);

/// How the processing thread waits.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
enum Waiting {
    /// It is processing.
    #[default]
    No,
    /// For [`POLL`] at most, after processing records.
    Polling,
    /// Until woken: there was nothing to do.
    Parked,
}

struct Processing {
    state: Mutex<State>,
    /// Signalled when work arrives and the thread waits for it.
    work: Condvar,
    /// Signalled when the thread has processed everything it took.
    idle: Condvar,
}

#[derive(Default)]
struct State {
    queue: VecDeque<(Box<Record>, SystemTime)>,
    /// How the thread waits on `work`.
    waiting: Waiting,
    /// Records taken by the thread and not processed yet.
    in_hand: usize,
}

static PROCESSING: OnceLock<&'static Processing> = OnceLock::new();

fn processing() -> &'static Processing {
    PROCESSING.get_or_init(|| {
        let processing: &'static Processing = Box::leak(Box::new(Processing {
            state: Mutex::new(State {
                queue: VecDeque::with_capacity(CAPACITY),
                ..State::default()
            }),
            work: Condvar::new(),
            idle: Condvar::new(),
        }));
        std::thread::Builder::new()
            .name("llmscope-process".to_owned())
            .spawn(move || run(processing))
            .expect("spawn the llmscope processing thread");
        processing
    })
}

impl Processing {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

/// Hands the record of a call that ended at `end` to the processing thread, or processes it
/// here when the queue is full.
pub(super) fn submit(record: Box<Record>, end: SystemTime) {
    let processing = processing();
    let mut state = processing.lock();
    if state.queue.len() >= CAPACITY {
        drop(state);
        super::recycle::keep(record.finish(end, false, None));
        return;
    }
    state.queue.push_back((record, end));
    let wake = match state.waiting {
        Waiting::Parked => true,
        Waiting::Polling => state.queue.len() >= WAKE_AT,
        Waiting::No => false,
    };
    if wake {
        state.waiting = Waiting::No;
    }
    drop(state);
    if wake {
        processing.work.notify_one();
    }
}

fn run(processing: &'static Processing) {
    let mut batch = VecDeque::with_capacity(CAPACITY);
    let mut returns = super::recycle::Returns::default();
    loop {
        {
            let mut state = processing.lock();
            let busy = state.in_hand > 0;
            state.in_hand = 0;
            if state.queue.is_empty() {
                processing.idle.notify_all();
                if busy {
                    // More is likely to come: look again soon, without being woken.
                    state.waiting = Waiting::Polling;
                    state = processing
                        .work
                        .wait_timeout(state, POLL)
                        .unwrap_or_else(|poison| poison.into_inner())
                        .0;
                }
                while state.queue.is_empty() {
                    state.waiting = Waiting::Parked;
                    state = processing
                        .work
                        .wait(state)
                        .unwrap_or_else(|poison| poison.into_inner());
                }
            }
            state.waiting = Waiting::No;
            std::mem::swap(&mut state.queue, &mut batch);
            state.in_hand = batch.len();
        }
        for (index, (record, end)) in batch.drain(..).enumerate() {
            if let Ok(shell) = catch_unwind(AssertUnwindSafe(|| record.finish(end, true, None))) {
                returns.add(shell);
            }
            if index % HAND_BACK_EVERY == HAND_BACK_EVERY - 1 {
                // A long batch returns its records as it goes: they wait in bins (memory)
                // only until their owners' next calls.
                returns.hand_back();
            }
        }
        // Back to the threads that made them, before anyone waiting on a flush is told.
        returns.hand_back();
    }
}

/// Waits until every call that ended before this one was processed and handed to its tracer
/// provider (its span processors have run), for at most `timeout`; returns false when time ran
/// out.
pub(crate) fn flush_within(timeout: Duration) -> bool {
    let Some(processing) = started() else {
        return true; // nothing was ever deferred
    };
    let deadline = Instant::now() + timeout;
    let mut state = processing.lock();
    while !state.queue.is_empty() || state.in_hand > 0 {
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        if state.waiting != Waiting::No {
            state.waiting = Waiting::No;
            processing.work.notify_one();
        }
        state = processing
            .idle
            .wait_timeout(state, deadline - now)
            .unwrap_or_else(|poison| poison.into_inner())
            .0;
    }
    true
}

/// The processing thread's state, if it was ever started (without a deferred call there is
/// nothing to wait for).
fn started() -> Option<&'static Processing> {
    PROCESSING.get().copied()
}

/// Waits until every annotated call that ended before this call was processed and handed to
/// its tracer provider, so that its span processors have seen it.
///
/// Only calls to a deferred destination ([`init`](crate::init), or a
/// [`SampledProvider::deferred`](crate::SampledProvider::deferred)) wait to be processed;
/// [`Telemetry::flush`](crate::Telemetry::flush) and `shutdown` call this first. Call it before
/// reading an in-memory exporter or calling `force_flush` on a deferred provider of your own.
///
/// # Examples
///
/// ```
/// llmscope::flush_processing();
/// ```
pub fn flush_processing() {
    flush_within(Duration::MAX / 4);
}
