//! A bounded batch span processor that never blocks the instrumented call and counts drops.

use std::cell::Cell;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::task::{Context as TaskContext, Poll, Wake, Waker};
use std::thread::{self, JoinHandle, Thread};
use std::time::{Duration, Instant};

use opentelemetry::Context;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{Span, SpanData, SpanExporter, SpanProcessor};
use opentelemetry_sdk::Resource;

use super::FailureCause;

/// Spans dropped by every [`BatchProcessor`] of this process because their queue was full.
static DROPPED_TOTAL: AtomicU64 = AtomicU64::new(0);

/// Spans dropped since the process started by every [`BatchProcessor`] (queue full), summed.
///
/// A non-zero value means the exporter could not keep up (backend down or slow, or a burst
/// larger than the queue): raise the queue capacity or lower the span rate. Each processor
/// also logs a warning, at most once per 10 seconds, when it drops spans.
pub fn dropped_spans() -> u64 {
    DROPPED_TOTAL.load(Ordering::Relaxed)
}

/// Counters of one [`BatchProcessor`], shared with whoever holds a clone.
///
/// `{:?}` prints the counts: `ExportStats { queued: 3, exported: 2, failed: 1, dropped: 0 }`.
#[derive(Clone, Default)]
pub struct ExportStats(Arc<StatsInner>);

impl fmt::Debug for ExportStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExportStats")
            .field("queued", &self.queued())
            .field("exported", &self.exported())
            .field("failed", &self.failed())
            .field("dropped", &self.dropped())
            .finish()
    }
}

#[derive(Debug, Default)]
struct StatsInner {
    queued: AtomicU64,
    dropped: AtomicU64,
    exported: AtomicU64,
    failed: AtomicU64,
    abandoned: AtomicU64,
    /// The last export error, as the exporter described it.
    last_error: Mutex<Option<String>>,
    /// Failed spans by cause (touched only when an export fails).
    failed_by_cause: Mutex<Vec<(FailureCause, u64)>>,
}

impl ExportStats {
    /// Spans accepted into the queue.
    pub fn queued(&self) -> u64 {
        self.0.queued.load(Ordering::Relaxed)
    }

    /// Spans dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.0.dropped.load(Ordering::Relaxed)
    }

    /// Spans handed to the exporter that it reported as exported.
    pub fn exported(&self) -> u64 {
        self.0.exported.load(Ordering::Relaxed)
    }

    /// Spans handed to the exporter that it failed to export (backend down, timeout, …).
    pub fn failed(&self) -> u64 {
        self.0.failed.load(Ordering::Relaxed)
    }

    /// Spans still queued when shutdown ran out of time: given up on, never exported.
    pub fn abandoned(&self) -> u64 {
        self.0.abandoned.load(Ordering::Relaxed)
    }

    /// The last export error, as the exporter described it (endpoint and cause for OTLP).
    pub fn last_error(&self) -> Option<String> {
        self.0
            .last_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Failed spans by cause (connection refused, timed out, an HTTP status, TLS, other), in
    /// the order of [`FailureCause`]; they add up to [`failed`](Self::failed).
    pub fn failed_by_cause(&self) -> Vec<(FailureCause, u64)> {
        let mut causes = self
            .0
            .failed_by_cause
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        causes.sort_unstable();
        causes
    }
}

/// How many producer threads share one queue shard lock, at most: threads pick shards
/// round-robin on first use.
const SHARDS: usize = 8;

/// The most spans a shard's batch reserves room for up front.
const MAX_PREALLOCATED: usize = 4096;

/// How long a shutdown that ran out of time waits, past its bound, for the export thread to
/// exit once the export call in progress is cancelled. An exporter whose future yields (the
/// OTLP ones do) lets it exit within microseconds; one that blocks inside `poll` cannot be
/// cancelled, and its thread is left behind (and said so) until the call returns.
const EXIT_GRACE: Duration = Duration::from_millis(500);

/// Starts the export thread with the exporter, once the resource is known.
type StartWorker = Box<dyn FnOnce(&Resource) -> JoinHandle<()> + Send>;

/// A [`SpanProcessor`] that queues ended spans in a bounded, sharded queue and exports them in
/// batches from one background thread.
///
/// - `on_end` never blocks on the exporter: it takes one uncontended shard lock (threads are
///   spread over 8 shards) and pushes into the shard's batch, or, when the processor holds
///   `queue_capacity` spans, drops the span and counts it ([`ExportStats::dropped`],
///   [`dropped_spans`]).
/// - Each shard fills one batch of `max_batch` spans, allocated once at that size; a full batch
///   moves whole to a ready list and wakes the worker, which hands it to the exporter as is. No
///   queue buffer is ever regrown or copied, and no buffer outlives the spans it holds.
/// - `queue_capacity` bounds every span the processor holds: a span counts from `on_end` until
///   the export call that carries it returns, so the spans waiting in the queue plus those
///   being exported never exceed it. Memory is bounded accordingly: about `queue_capacity` ×
///   the size of one span. A realistic `#[llm_call]` span (26 attributes: usage, cost, three
///   application strings) holds about 2 KB, so the default 32,768 spans bound at about 67 MB;
///   a span with 10 attributes holds about 0.9 KB (`BENCHMARKS.md`, "Memory of real spans").
/// - The worker exports full batches as they come, and partly filled ones at least every
///   `scheduled_delay`, on flush, and as soon as the spans held reach half the capacity (many
///   threads each filling a batch slowly never hold the queue); a failed export is counted ([`ExportStats::failed`]) and
///   the next batch is tried as usual, so spans produced after the backend comes back arrive.
/// - The exporter runs on the worker thread, outside any async runtime: exporters that need
///   one bring their own (the OTLP exporters of [`crate::setup`] do).
/// - On Linux the worker asks the kernel for short turns on a core (a 100 µs scheduler slice,
///   Linux 6.12 and later; no privilege needed, its priority unchanged): woken for a full
///   batch, it runs soon instead of after the busy threads' slices, so fewer spans wait in
///   memory during a burst.
/// - Shutdown has one bound. When it runs out, the spans still queued are given up on and
///   freed at once, and the export call in progress is cancelled: its future is dropped, which
///   ends an exporter that yields while it waits (the OTLP ones abort the request or the backoff
///   sleep, closing the connection). The worker thread then exits, and shutdown joins it before
///   returning (waiting at most 500 ms past the bound; an exporter that blocks inside `poll`
///   cannot be cancelled, and its thread is reported as left behind). Every span given up on is
///   counted in [`ExportStats::abandoned`].
///
/// # Examples
///
/// ```
/// use llmscope::export::BatchProcessor;
/// use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
///
/// let exporter = InMemorySpanExporter::default();
/// let processor = BatchProcessor::builder(exporter.clone()).with_queue_capacity(4096).build();
/// let stats = processor.stats();
/// let provider = SdkTracerProvider::builder().with_span_processor(processor).build();
/// # use opentelemetry::trace::{Tracer as _, TracerProvider as _};
/// provider.tracer("doc").in_span("work", |_| {});
/// provider.force_flush().unwrap();
/// assert_eq!(exporter.get_finished_spans().unwrap().len(), 1);
/// assert_eq!(stats.dropped(), 0);
/// ```
pub struct BatchProcessor {
    shared: Arc<Shared>,
    worker: Mutex<Option<JoinHandle<()>>>,
    /// The exporter until the worker starts (it is moved there by `set_resource` or the first span).
    pending: Mutex<Option<StartWorker>>,
}

impl fmt::Debug for BatchProcessor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchProcessor")
            .field("queue_capacity", &self.shared.capacity)
            .field("max_batch", &self.shared.max_batch)
            .field("stats", &self.shared.stats)
            .finish()
    }
}

/// Builder for [`BatchProcessor`].
#[derive(Debug)]
#[must_use = "call `build()` to get the processor"]
pub struct BatchProcessorBuilder<E> {
    exporter: E,
    capacity: usize,
    max_batch: usize,
    delay: Duration,
    flush_timeout: Duration,
    destination: Option<String>,
}

impl<E: SpanExporter + 'static> BatchProcessorBuilder<E> {
    /// Where the exporter sends spans (an OTLP endpoint), named in what shutdown reports.
    pub(crate) fn with_destination(mut self, destination: impl Into<String>) -> Self {
        self.destination = Some(destination.into());
        self
    }

    /// The longest `force_flush` waits for the export thread (default 30 s; `init()` uses
    /// its shutdown bound).
    pub fn with_flush_timeout(mut self, timeout: Duration) -> Self {
        self.flush_timeout = timeout;
        self
    }

    /// The most spans held at once (default 32,768); more are dropped and counted.
    ///
    /// A span is held from the moment it ends until the export call that carries it returns,
    /// so this bounds the queued spans and the batch being exported together: the memory the
    /// processor keeps is at most about `capacity` × the size of one span (about 2 KB for a
    /// realistic `#[llm_call]` span: 67 MB at the default, 33 MB at 16,384).
    pub fn with_queue_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    /// The most spans per export call (default 512; at most the queue capacity).
    pub fn with_max_batch(mut self, max_batch: usize) -> Self {
        self.max_batch = max_batch.max(1);
        self
    }

    /// The longest a queued span waits before export when traffic is low (default 1 s).
    pub fn with_scheduled_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Builds the processor. Its worker thread starts when the provider sets its resource.
    pub fn build(self) -> BatchProcessor {
        let shared = Arc::new(Shared {
            shards: (0..SHARDS).map(|_| Mutex::new(Vec::new())).collect(),
            ready: Mutex::new(VecDeque::new()),
            len: AtomicUsize::new(0),
            capacity: self.capacity,
            max_batch: self.max_batch.min(self.capacity),
            delay: self.delay,
            flush_timeout: self.flush_timeout,
            destination: self.destination,
            worker_parked: AtomicBool::new(false),
            worker_thread: OnceLock::new(),
            abandoned: AtomicBool::new(false),
            control: Mutex::new(Control::default()),
            control_changed: Condvar::new(),
            stats: ExportStats::default(),
        });
        let exporter = self.exporter;
        let for_worker = Arc::clone(&shared);
        let start = Box::new(move |resource: &Resource| {
            let mut exporter = exporter;
            exporter.set_resource(resource);
            thread::Builder::new()
                .name("llmscope-export".to_owned())
                .spawn(move || worker(for_worker, exporter))
                .expect("spawn the llmscope export thread")
        });
        BatchProcessor {
            shared,
            worker: Mutex::new(None),
            pending: Mutex::new(Some(start)),
        }
    }
}

impl BatchProcessor {
    /// A builder with the defaults: 32,768 queued spans, batches of 512, a 1 s delay.
    pub fn builder<E: SpanExporter + 'static>(exporter: E) -> BatchProcessorBuilder<E> {
        BatchProcessorBuilder {
            exporter,
            capacity: 32_768,
            max_batch: 512,
            delay: Duration::from_secs(1),
            flush_timeout: Duration::from_secs(30),
            destination: None,
        }
    }

    /// This processor's counters (a shared handle: it stays valid after the processor moves
    /// into a provider).
    pub fn stats(&self) -> ExportStats {
        self.shared.stats.clone()
    }

    fn start_worker(&self, resource: &Resource) {
        let start = self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(start) = start {
            let handle = start(resource);
            *self.worker.lock().unwrap_or_else(|e| e.into_inner()) = Some(handle);
        }
    }

    fn ensure_worker(&self) {
        if self.shared.worker_thread.get().is_none() {
            self.start_worker(&Resource::builder_empty().build());
        }
    }

    /// Sends a request to the worker and waits until it is served or `timeout` passes.
    fn request(&self, shutdown: bool, timeout: Duration) -> OTelSdkResult {
        self.ensure_worker();
        let shared = &self.shared;
        let mut control = shared.control.lock().unwrap_or_else(|e| e.into_inner());
        if control.shut_down {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        control.requested += 1;
        let ticket = control.requested;
        if shutdown {
            control.shutdown_requested = true;
        }
        drop(control);
        shared.wake_worker();
        let deadline = Instant::now() + timeout;
        let mut control = shared.control.lock().unwrap_or_else(|e| e.into_inner());
        while control.served < ticket {
            let now = Instant::now();
            if now >= deadline {
                return Err(OTelSdkError::Timeout(timeout));
            }
            control = shared
                .control_changed
                .wait_timeout(control, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        Ok(())
    }
}

#[derive(Default)]
struct Control {
    /// Flush/shutdown requests made, and served by the worker.
    requested: u64,
    served: u64,
    shutdown_requested: bool,
    shut_down: bool,
    /// The worker thread has returned (it has dropped the exporter and every batch).
    worker_exited: bool,
}

struct Shared {
    /// The batch each shard is filling (allocated with room for `max_batch` on first push).
    shards: Box<[Mutex<Vec<SpanData>>]>,
    /// Full batches taken from the shards, oldest first, waiting for the worker.
    ready: Mutex<VecDeque<Vec<SpanData>>>,
    /// Spans this processor holds: queued in a shard, or taken out by the worker and not yet
    /// returned by the export call that carries them. Bounded by `capacity`.
    len: AtomicUsize,
    capacity: usize,
    max_batch: usize,
    delay: Duration,
    flush_timeout: Duration,
    /// Where the exporter sends spans, when known (named in shutdown's report).
    destination: Option<String>,
    worker_parked: AtomicBool,
    worker_thread: OnceLock<Thread>,
    /// Shutdown ran out of time: the worker stops after its current export call.
    abandoned: AtomicBool,
    control: Mutex<Control>,
    control_changed: Condvar,
    stats: ExportStats,
}

impl Shared {
    fn wake_worker(&self) {
        self.worker_parked.store(false, Ordering::Release);
        if let Some(thread) = self.worker_thread.get() {
            thread.unpark();
        }
    }

    fn half_full(&self) -> bool {
        self.len.load(Ordering::Acquire) >= self.capacity.div_ceil(2)
    }

    /// Drops every span still queued (shutdown out of time), counting them as abandoned, and
    /// tells the worker to stop after the export call it is in.
    fn abandon(&self) -> u64 {
        self.abandoned.store(true, Ordering::Release);
        let mut given_up = 0usize;
        let ready = std::mem::take(&mut *self.ready.lock().unwrap_or_else(|e| e.into_inner()));
        for batch in ready {
            given_up += batch.len();
        }
        for shard in self.shards.iter() {
            let batch = std::mem::take(&mut *shard.lock().unwrap_or_else(|e| e.into_inner()));
            given_up += batch.len();
        }
        self.len.fetch_sub(given_up, Ordering::AcqRel);
        self.stats
            .0
            .abandoned
            .fetch_add(given_up as u64, Ordering::Relaxed);
        self.wake_worker();
        given_up as u64
    }

    /// Waits until the worker thread has returned, at most `grace`; whether it has.
    fn wait_for_exit(&self, grace: Duration) -> bool {
        let deadline = Instant::now() + grace;
        let mut control = self.control.lock().unwrap_or_else(|e| e.into_inner());
        while !control.worker_exited {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            control = self
                .control_changed
                .wait_timeout(control, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }

    fn has_ready(&self) -> bool {
        !self
            .ready
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
    }
}

thread_local! {
    static SHARD: Cell<usize> = const { Cell::new(usize::MAX) };
}
static NEXT_SHARD: AtomicUsize = AtomicUsize::new(0);

fn shard_index() -> usize {
    SHARD.with(|cell| {
        let mut index = cell.get();
        if index == usize::MAX {
            index = NEXT_SHARD.fetch_add(1, Ordering::Relaxed) % SHARDS;
            cell.set(index);
        }
        index
    })
}

impl SpanProcessor for BatchProcessor {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {}

    fn on_end(&self, span: SpanData) {
        let shared = &*self.shared;
        let before = shared.len.fetch_add(1, Ordering::AcqRel);
        if before >= shared.capacity || shared.abandoned.load(Ordering::Relaxed) {
            shared.len.fetch_sub(1, Ordering::AcqRel);
            shared.stats.0.dropped.fetch_add(1, Ordering::Relaxed);
            DROPPED_TOTAL.fetch_add(1, Ordering::Relaxed);
            // The room may be held by partly filled batches of many threads: the worker
            // sends those too when the queue runs full.
            if shared.worker_parked.load(Ordering::Acquire) {
                shared.wake_worker();
            }
            return;
        }
        let filled = {
            let mut batch = shared.shards[shard_index()]
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if batch.capacity() == 0 {
                // Allocated once at batch size, so pushing never regrows it (a very large
                // `max_batch` still grows as needed rather than reserving it up front).
                batch.reserve_exact(shared.max_batch.min(MAX_PREALLOCATED));
            }
            batch.push(span);
            let filled = batch.len() >= shared.max_batch;
            if filled {
                // Still under the shard lock, so one shard's batches stay in order.
                let full = std::mem::take(&mut *batch);
                shared
                    .ready
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push_back(full);
            }
            filled
        };
        shared.stats.0.queued.fetch_add(1, Ordering::Relaxed);
        // A full batch, or the span that makes partly filled batches hold half the queue (many
        // threads each filling its own shard's batch slowly): the worker sends them.
        let half = before + 1 == shared.capacity.div_ceil(2);
        if (filled || half) && shared.worker_parked.load(Ordering::Acquire) {
            shared.wake_worker();
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.request(false, self.shared.flush_timeout)
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        let result = self.request(true, timeout);
        match result {
            Ok(()) => {
                if let Some(handle) = self.worker.lock().unwrap_or_else(|e| e.into_inner()).take() {
                    let _ = handle.join();
                }
            }
            Err(OTelSdkError::Timeout(_)) => {
                // Out of time: the worker is in an export call. Give up every span still
                // queued here and now, so their memory goes with this call, and cancel the
                // call in progress: the worker drops its future (the OTLP exporters then abort
                // the request or the backoff sleep, closing the connection), counts its spans
                // as abandoned and exits.
                let queued = self.shared.abandon();
                let exited = self.shared.wait_for_exit(EXIT_GRACE);
                if exited {
                    if let Some(handle) =
                        self.worker.lock().unwrap_or_else(|e| e.into_inner()).take()
                    {
                        let _ = handle.join();
                    }
                }
                let destination = match &self.shared.destination {
                    Some(destination) => format!(" to {destination}"),
                    None => String::new(),
                };
                crate::diagnostics::diag!(
                    Error,
                    "shutdown",
                    "shutdown gave up after {timeout:?}: {} spans were not exported{destination} \
                     ({queued} queued, {} in the export call in progress){}{}",
                    self.shared.stats.abandoned(),
                    self.shared.stats.abandoned().saturating_sub(queued),
                    if exited {
                        ""
                    } else {
                        "; the exporter did not return when cancelled: its thread is left \
                         behind until its call returns"
                    },
                    match self.shared.stats.last_error() {
                        Some(error) => format!("; last error: {error}"),
                        None => String::new(),
                    }
                );
            }
            Err(_) => {}
        }
        result
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.start_worker(resource);
    }
}

impl Drop for BatchProcessor {
    fn drop(&mut self) {
        // Not again after a shutdown that was asked for, even one that ran out of time: that
        // would wait a second bound.
        let shut_down = self
            .shared
            .control
            .lock()
            .map(|c| c.shut_down || c.shutdown_requested)
            .unwrap_or(true);
        if !shut_down && self.shared.worker_thread.get().is_some() {
            let _ = self.shutdown_with_timeout(Duration::from_secs(5));
        }
    }
}

/// Marks the worker as exited when it returns (or unwinds), after the exporter is dropped.
struct ExitSignal(Arc<Shared>);

impl Drop for ExitSignal {
    fn drop(&mut self) {
        self.0
            .control
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .worker_exited = true;
        self.0.control_changed.notify_all();
    }
}

fn worker<E: SpanExporter>(shared: Arc<Shared>, exporter: E) {
    // Locals drop in reverse order, and before the parameters: the exporter, moved into a
    // local declared after the signal, goes (with what it holds) before the signal is given.
    let _exit = ExitSignal(Arc::clone(&shared));
    let exporter = exporter;
    let _ = shared.worker_thread.set(thread::current());
    // Run soon after being woken for a batch, rather than after the callers' slices (see
    // `short_slice`); refused or not, the worker works the same.
    #[cfg(target_os = "linux")]
    super::short_slice::ask_for_short_slice();
    let mut last_sweep = Instant::now();
    let mut dropped_counted = 0u64;
    loop {
        let (ticket, pending_request, shutdown) = {
            let control = shared.control.lock().unwrap_or_else(|e| e.into_inner());
            (
                control.requested,
                control.requested > control.served,
                control.shutdown_requested,
            )
        };
        // The full batches there are now, once: batches that arrive meanwhile wait for the
        // next turn, so requests, the sweep and warnings below make progress under overload.
        // Taken one at a time, so a shutdown out of time finds every batch not yet in an
        // export call still in the shared list, and frees it.
        let turn = shared.ready.lock().unwrap_or_else(|e| e.into_inner()).len();
        for _ in 0..turn {
            if shared.abandoned.load(Ordering::Acquire) {
                return;
            }
            let batch = shared
                .ready
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .pop_front();
            let Some(batch) = batch else { break };
            export(&shared, &exporter, batch);
        }
        if shared.abandoned.load(Ordering::Acquire) {
            return;
        }
        // Partly filled batches: on flush/shutdown, once per `scheduled_delay`, and when they
        // hold half the queue (many threads, each filling its own shard's batch slowly).
        if pending_request || last_sweep.elapsed() >= shared.delay || shared.half_full() {
            // The shards' partial batches go out together (in batches of at most `max_batch`),
            // so the spans of one trace made on several threads reach the exporter in one call
            // when they fit: the terminal tree then prints them as one tree.
            let mut swept: Vec<SpanData> = Vec::new();
            for shard in shared.shards.iter() {
                let batch = std::mem::take(&mut *shard.lock().unwrap_or_else(|e| e.into_inner()));
                if swept.len() + batch.len() > shared.max_batch && !swept.is_empty() {
                    export(&shared, &exporter, std::mem::take(&mut swept));
                }
                if swept.is_empty() {
                    swept = batch;
                } else {
                    swept.extend(batch);
                }
            }
            if !swept.is_empty() {
                export(&shared, &exporter, swept);
            }
            last_sweep = Instant::now();
        }

        // Counted into the rate-limited warning as they happen; a line sums those since the
        // previous one.
        let dropped = shared.stats.dropped();
        let newly_dropped = dropped - dropped_counted;
        dropped_counted = dropped;
        crate::diagnostics::diag_sum!(
            Warn,
            "queue",
            [since_last = newly_dropped],
            "export queue full ({} spans): {since_last} spans dropped since the last warning, \
             {dropped} in total; the backend is slower than the span rate (raise the queue \
             capacity or sample)",
            shared.capacity
        );

        if pending_request {
            if shutdown {
                let _ = exporter.shutdown();
            } else {
                let _ = exporter.force_flush();
            }
            let mut control = shared.control.lock().unwrap_or_else(|e| e.into_inner());
            control.served = control.served.max(ticket);
            if shutdown {
                control.shut_down = true;
            }
            drop(control);
            shared.control_changed.notify_all();
            if shutdown {
                return;
            }
        }

        shared.worker_parked.store(true, Ordering::Release);
        // Checked after announcing the park: a producer that filled a batch before this saw
        // `worker_parked == false` and did not wake us; one that fills it after will.
        let pending = shared
            .control
            .lock()
            .map(|c| c.requested > c.served)
            .unwrap_or(true);
        if !pending && !shared.has_ready() && !shared.half_full() {
            thread::park_timeout(shared.delay.saturating_sub(last_sweep.elapsed()));
        }
        shared.worker_parked.store(false, Ordering::Release);
    }
}

/// Exports one batch, then releases its spans' room in the queue (exported or failed: the
/// exporter has dropped them either way).
fn export<E: SpanExporter>(shared: &Shared, exporter: &E, batch: Vec<SpanData>) {
    let len = batch.len();
    let n = len as u64;
    let result = block_on_unless(exporter.export(batch), &shared.abandoned);
    shared.len.fetch_sub(len, Ordering::AcqRel);
    let Some(result) = result else {
        // Shutdown ran out of time during this call and cancelled it: the future, and the
        // batch it carried, are dropped.
        shared.stats.0.abandoned.fetch_add(n, Ordering::Relaxed);
        *shared
            .stats
            .0
            .last_error
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(format!(
            "the export call in progress{} was cancelled at the shutdown bound ({n} span{})",
            match &shared.destination {
                Some(destination) => format!(" to {destination}"),
                None => String::new(),
            },
            if n == 1 { "" } else { "s" }
        ));
        return;
    };
    match result {
        Ok(()) => {
            let exported = shared.stats.0.exported.fetch_add(n, Ordering::Relaxed) + n;
            crate::diagnostics::diag!(
                Debug,
                "export",
                "exported {n} spans ({exported} in total, {} held in the queue)",
                shared.len.load(Ordering::Relaxed)
            );
        }
        Err(error) => {
            let failed = shared.stats.0.failed.fetch_add(n, Ordering::Relaxed) + n;
            let message = match &error {
                OTelSdkError::InternalFailure(message) => message.clone(),
                other => other.to_string(),
            };
            // Rate-limited per topic by the diagnostics module: a down backend does not flood.
            crate::diagnostics::diag!(
                Error,
                "export",
                "{message}: {n} spans lost ({failed} failed in total)"
            );
            let cause = FailureCause::of(&message);
            {
                let mut causes = shared
                    .stats
                    .0
                    .failed_by_cause
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                match causes.iter_mut().find(|(c, _)| *c == cause) {
                    Some((_, count)) => *count += n,
                    None => causes.push((cause, n)),
                }
            }
            *shared
                .stats
                .0
                .last_error
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = Some(message);
        }
    }
}

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs a future on this thread until it completes, or until `cancelled` is set (checked
/// each time the thread wakes; whoever sets it unparks this thread): then drops it and
/// returns `None`. The OTLP exporters' futures wait for a task on their own runtime, so they
/// yield and can be cancelled; a future that blocks inside `poll` is cancelled only after.
fn block_on_unless<F: Future>(future: F, cancelled: &AtomicBool) -> Option<F::Output> {
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = TaskContext::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        // Checked before each poll: a batch taken out just before the cancellation is
        // dropped without starting its export.
        if cancelled.load(Ordering::Acquire) {
            return None;
        }
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return Some(output);
        }
        thread::park();
    }
}

/// Runs a future to completion on this thread.
#[cfg(all(test, feature = "tower"))]
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    block_on_unless(future, &AtomicBool::new(false)).expect("never cancelled")
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::{Span as _, Tracer as _, TracerProvider as _};
    use opentelemetry_sdk::trace::SdkTracerProvider;

    /// Blocks every export call until released; records the names it received.
    #[derive(Debug, Clone, Default)]
    struct GatedExporter(Arc<Gate>);

    #[derive(Debug, Default)]
    struct Gate {
        state: Mutex<GateState>,
        changed: Condvar,
    }

    #[derive(Debug, Default)]
    struct GateState {
        released: bool,
        /// Spans inside an export call that has not returned yet.
        holding: usize,
        received: Vec<String>,
    }

    impl Gate {
        fn wait_until(&self, what: &str, done: impl Fn(&GateState) -> bool) {
            let deadline = Instant::now() + Duration::from_secs(10);
            let mut state = self.state.lock().unwrap();
            while !done(&state) {
                let now = Instant::now();
                assert!(now < deadline, "timed out waiting for {what}");
                state = self.changed.wait_timeout(state, deadline - now).unwrap().0;
            }
        }

        fn release(&self) {
            self.state.lock().unwrap().released = true;
            self.changed.notify_all();
        }
    }

    impl SpanExporter for GatedExporter {
        async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
            let gate = &self.0;
            let mut state = gate.state.lock().unwrap();
            state.holding = batch.len();
            gate.changed.notify_all();
            while !state.released {
                state = gate.changed.wait(state).unwrap();
            }
            state.holding = 0;
            state
                .received
                .extend(batch.iter().map(|span| span.name.to_string()));
            Ok(())
        }
    }

    fn span(provider: &SdkTracerProvider, name: String) {
        provider.tracer("test").start(name).end();
    }

    /// Spans `t{thread}-{i}` ended from `threads` new threads, `per_thread` each.
    fn from_threads(provider: &SdkTracerProvider, threads: usize, per_thread: usize) {
        thread::scope(|scope| {
            for t in 0..threads {
                scope.spawn(move || {
                    for i in 0..per_thread {
                        span(provider, format!("t{t}-{i}"));
                    }
                });
            }
        });
    }

    #[test]
    fn capacity_bounds_queued_plus_exporting_spans() {
        const CAPACITY: usize = 64;
        const MAX_BATCH: usize = 16;
        const FLOOD: usize = 1000;
        let exporter = GatedExporter::default();
        let gate = Arc::clone(&exporter.0);
        let processor = BatchProcessor::builder(exporter)
            .with_queue_capacity(CAPACITY)
            .with_max_batch(MAX_BATCH)
            .with_scheduled_delay(Duration::from_secs(3600))
            .build();
        let stats = processor.stats();
        let provider = SdkTracerProvider::builder()
            .with_span_processor(processor)
            .build();

        // One full batch wakes the worker, which takes it out and blocks in the exporter.
        for i in 0..MAX_BATCH {
            span(&provider, format!("s{i}"));
        }
        gate.wait_until("the exporter to hold a batch", |s| s.holding > 0);
        let holding = gate.state.lock().unwrap().holding;
        assert!(holding <= MAX_BATCH);

        // While it is held, the queue only has room for the rest of the capacity.
        for i in MAX_BATCH..MAX_BATCH + FLOOD {
            span(&provider, format!("s{i}"));
        }
        let produced = (MAX_BATCH + FLOOD) as u64;
        assert_eq!(stats.queued(), CAPACITY as u64);
        assert_eq!(stats.dropped(), produced - CAPACITY as u64);
        assert_eq!(stats.exported(), 0);

        // Released, everything accepted arrives: the first CAPACITY spans, in order.
        gate.release();
        provider.force_flush().unwrap();
        let expected: Vec<String> = (0..CAPACITY).map(|i| format!("s{i}")).collect();
        assert_eq!(gate.state.lock().unwrap().received, expected);
        assert_eq!(stats.exported(), CAPACITY as u64);

        // Exported spans give their room back: a full capacity fits again.
        for i in 0..CAPACITY {
            span(&provider, format!("t{i}"));
        }
        assert_eq!(stats.dropped(), produced - CAPACITY as u64);
        provider.force_flush().unwrap();
        assert_eq!(stats.exported(), 2 * CAPACITY as u64);
        provider.shutdown().unwrap();
    }

    /// Reads, inside each export call, the slice the kernel gives the thread making it.
    #[cfg(target_os = "linux")]
    #[derive(Debug, Clone, Default)]
    struct SliceExporter(Arc<Mutex<Vec<Option<u64>>>>);

    #[cfg(target_os = "linux")]
    impl SpanExporter for SliceExporter {
        async fn export(&self, _batch: Vec<SpanData>) -> OTelSdkResult {
            let slice = crate::export::short_slice::tests::slice_of(std::path::Path::new(
                "/proc/thread-self",
            ));
            self.0.lock().unwrap().push(slice);
            Ok(())
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_worker_exports_in_short_slices() {
        use crate::export::short_slice::{tests::slice_of, SLICE_NS};
        let exporter = SliceExporter::default();
        let seen = Arc::clone(&exporter.0);
        let provider = SdkTracerProvider::builder()
            .with_span_processor(BatchProcessor::builder(exporter).build())
            .build();
        span(&provider, "one".to_owned());
        provider.force_flush().unwrap();
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 1, "one export call");
        let own = slice_of(std::path::Path::new("/proc/thread-self"));
        if own.is_some() {
            // This kernel reports slices: the test's thread has the default one, the worker
            // the one it asked for.
            assert_ne!(own, Some(SLICE_NS));
            assert_eq!(seen[0], Some(SLICE_NS));
        }
        provider.shutdown().unwrap();
    }

    #[test]
    fn a_partly_filled_batch_is_exported_after_the_scheduled_delay() {
        let exporter = opentelemetry_sdk::trace::InMemorySpanExporter::default();
        let processor = BatchProcessor::builder(exporter.clone())
            .with_scheduled_delay(Duration::from_millis(50))
            .build();
        let provider = SdkTracerProvider::builder()
            .with_span_processor(processor)
            .build();
        for i in 0..3 {
            span(&provider, format!("s{i}"));
        }
        // No flush: the worker's timer sweeps the shard.
        let deadline = Instant::now() + Duration::from_secs(10);
        while exporter.get_finished_spans().unwrap().len() < 3 {
            assert!(
                Instant::now() < deadline,
                "the partial batch was never exported"
            );
            thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(exporter.get_finished_spans().unwrap().len(), 3);
        provider.shutdown().unwrap();
    }

    #[test]
    fn partly_filled_batches_holding_half_the_queue_are_sent_without_waiting_for_the_timer() {
        // 8 threads on 8 shards, each filling its own batch of 64 with 8 spans: the whole
        // capacity would sit in partial batches, with an hour until the timed sweep.
        const CAPACITY: usize = 64;
        let exporter = opentelemetry_sdk::trace::InMemorySpanExporter::default();
        let processor = BatchProcessor::builder(exporter.clone())
            .with_queue_capacity(CAPACITY)
            .with_max_batch(CAPACITY)
            .with_scheduled_delay(Duration::from_secs(3600))
            .build();
        let stats = processor.stats();
        let provider = SdkTracerProvider::builder()
            .with_span_processor(processor)
            .build();
        from_threads(&provider, SHARDS, CAPACITY / SHARDS);
        // Once partial batches hold half the queue, the worker sends them: the queue never
        // fills up with them, and nothing is dropped.
        let deadline = Instant::now() + Duration::from_secs(10);
        while stats.exported() < (CAPACITY / 2) as u64 {
            assert!(
                Instant::now() < deadline,
                "partial batches held half the queue: {} exported",
                stats.exported()
            );
            thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(stats.dropped(), 0, "{stats:?}");
        // What is left (less than half) goes with the next flush.
        provider.force_flush().unwrap();
        assert_eq!(exporter.get_finished_spans().unwrap().len(), CAPACITY);
        provider.shutdown().unwrap();
    }

    #[test]
    fn spans_from_many_threads_arrive_once_each() {
        const THREADS: usize = 12; // more than SHARDS: some threads share a shard
        const PER_THREAD: usize = 1000;
        let exporter = opentelemetry_sdk::trace::InMemorySpanExporter::default();
        let processor = BatchProcessor::builder(exporter.clone())
            .with_max_batch(64)
            .build();
        let stats = processor.stats();
        let provider = SdkTracerProvider::builder()
            .with_span_processor(processor)
            .build();
        from_threads(&provider, THREADS, PER_THREAD);
        provider.force_flush().unwrap();
        let mut got: Vec<String> = exporter
            .get_finished_spans()
            .unwrap()
            .iter()
            .map(|span| span.name.to_string())
            .collect();
        got.sort();
        let mut expected: Vec<String> = (0..THREADS)
            .flat_map(|t| (0..PER_THREAD).map(move |i| format!("t{t}-{i}")))
            .collect();
        expected.sort();
        assert_eq!(got, expected);
        assert_eq!(stats.exported(), (THREADS * PER_THREAD) as u64);
        assert_eq!(stats.dropped(), 0);
        provider.shutdown().unwrap();
    }
}
