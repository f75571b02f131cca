//! Returning a deferred call's allocations to the thread that made them.
//!
//! A recorded call allocates on the caller's thread: the record itself, the attribute vector,
//! the span the context carries, the run-time strings it copies. Processed on llmscope's
//! processing thread, these used to be freed there (or on the export thread). With glibc's
//! malloc, freeing another thread's blocks in bulk takes that thread's arena lock, which the
//! caller needs for its next `malloc`: contention and futex calls on the caller's thread.
//!
//! So nothing the caller allocates per call is freed by another thread:
//! - the processing thread copies into its own allocations what the span keeps (the
//!   attribute vector, sized exactly, run-time strings, events, status, name: see
//!   [`Record::finish`](super::record::Record)), and hands the record back whole — the
//!   originals in it — to its owner's [`Bin`], one lock per owner per processed batch;
//! - the owner takes its bin's records at the start of a recorded call, when the bin holds
//!   any (one lock): it reuses one (the record's box, its attribute vector, the span's shared state when
//!   no one else holds it) and frees the others beyond [`KEEP`] on its own thread;
//! - records its stock held unused since the previous return (a burst's leftovers) are freed
//!   there too, the oldest first, at most [`TRIM`] at a time, down to [`SPARE`];
//! - it reuses the record that came back the longest ago, and only once it holds [`DEPTH`]:
//!   the one that came back last was just written by the processing thread, on another core,
//!   and each of its cache lines would have to come from there (measured: the paced deferred
//!   call 1.9 – 2.0 → 1.3 – 1.5 µs);
//! - when it takes a record, it asks the CPU to fetch the next two it will reuse (the next
//!   one's attribute vector and shared state, the one after's record): a quiet thread's next
//!   call then finds them in its caches (the paced deferred call 1.45 → 1.27 µs as a process's
//!   first case, 1.67 → 1.47 µs after back-to-back calls; about 60 instructions a call);
//! - a call processed on the caller's thread (a destination that is not deferred, or a full
//!   processing queue) puts its record in the caller's stock directly;
//! - a thread that exits frees what its bin and stock hold; the processing thread frees records
//!   of an exited owner itself (their owner is gone: no one else can).
//!
//! Bounds: a thread keeps at most [`KEEP`] records in its stock, and at most [`SPARE`] plus
//! what it uses between two returns once its calls are steady; its bin holds what was
//! processed since its last recorded call (at most the processing queue's capacity and the
//! batch in hand), taken by its next recorded call (the extra freed there) or freed when it
//! exits. The bins' own vectors change hands as they grow (rarely: not per call).

// The boxes are what is reused: a record's box goes back to the thread that allocated it.
#![allow(clippy::vec_box)]

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::bin;
use super::record::Record;

/// The bin of one thread's records.
pub(super) type Bin = bin::Bin<Box<Record>>;

/// The most records a thread keeps for reuse; those it takes from its bin beyond this are
/// freed on it.
///
/// **Not public API**: for tests of the bound.
#[doc(hidden)]
pub const KEEP: usize = 1024;

/// The records a thread's stock may hold unused between two returns (see [`Stock::low`]);
/// beyond, the oldest are freed. Fewer made steady paced calls slower: with the processing
/// thread's wake-ups uneven, a thread freed records it soon allocated again.
///
/// **Not public API**: for tests of the bound.
#[doc(hidden)]
pub const SPARE: usize = 256;

/// The most records a thread frees at once because its stock held them unused: the stock a
/// burst left shrinks over a few dozen returns, never in one long pause of a call.
const TRIM: usize = 16;

/// The records a thread holds before it reuses one (the oldest): a thread making its first
/// calls allocates new ones until then.
const DEPTH: usize = 64;

/// Records held for reuse, in every bin and stock (see [`held`]).
static HELD: AtomicUsize = AtomicUsize::new(0);

/// A thread's bin and its stock of records to reuse.
struct Owner {
    bin: Arc<Bin>,
    stock: RefCell<Stock>,
}

/// The records a thread keeps for reuse, and an empty vector traded for its bin's.
#[derive(Default)]
struct Stock {
    records: VecDeque<Box<Record>>,
    incoming: Vec<Box<Record>>,
    /// The fewest records the stock held since records last came back. Beyond [`SPARE`],
    /// they were not needed between two returns: a burst left them, and a quieter thread
    /// would reuse them once they left every cache (measured, mean of five runs: the paced
    /// deferred call after back-to-back calls 2.05 µs with the whole stock kept, 1.81 µs
    /// with this), so up to [`TRIM`] of the oldest are freed at each return.
    low: usize,
}

impl Drop for Owner {
    fn drop(&mut self) {
        let returned = {
            let mut returned = self.bin.lock();
            returned.gone = true;
            self.bin.count.store(0, Ordering::Relaxed);
            std::mem::take(&mut returned.items)
        };
        let stock = std::mem::take(self.stock.get_mut());
        HELD.fetch_sub(returned.len() + stock.records.len(), Ordering::Relaxed);
        // Both freed here, on the thread that made them.
        drop(returned);
        drop(stock);
    }
}

thread_local! {
    static OWNER: Owner = Owner {
        bin: Arc::new(Bin::default()),
        stock: RefCell::new(Stock::default()),
    };
}

/// A record to reuse for a call starting on this thread, if one came back.
#[inline]
pub(super) fn take() -> Option<Box<Record>> {
    OWNER
        .try_with(|owner| {
            let mut stock = owner.stock.try_borrow_mut().ok()?;
            let stock = &mut *stock;
            if owner.bin.count.load(Ordering::Acquire) > 0 {
                {
                    let mut returned = owner.bin.lock();
                    std::mem::swap(&mut returned.items, &mut stock.incoming);
                    owner.bin.count.store(0, Ordering::Relaxed);
                }
                let unused = stock.low.saturating_sub(SPARE).min(TRIM);
                if unused > 0 {
                    // Freed here, where they were allocated: the oldest, coldest first.
                    stock.records.drain(..unused);
                    HELD.fetch_sub(unused, Ordering::Relaxed);
                }
                let room = KEEP - stock.records.len().min(KEEP);
                let kept = stock.incoming.len().min(room);
                let extra = stock.incoming.len() - kept;
                stock.records.extend(stock.incoming.drain(..kept));
                if extra > 0 {
                    // Freed here, where they were allocated.
                    HELD.fetch_sub(extra, Ordering::Relaxed);
                    stock.incoming.clear();
                }
                stock.low = stock.records.len();
            }
            if stock.records.len() < DEPTH {
                stock.low = 0;
                return None;
            }
            let record = stock.records.pop_front()?;
            HELD.fetch_sub(1, Ordering::Relaxed);
            stock.low = stock.low.min(stock.records.len());
            // The next two records to reuse came back long ago and may have left this core's
            // caches: fetched now, they are there when the next calls come (in two steps: the
            // one after next is not read at all, only its address taken, until its own turn).
            if let Some(next) = stock.records.front() {
                next.prefetch_parts();
            }
            if let Some(after) = stock.records.get(1) {
                after.prefetch();
            }
            Some(record)
        })
        .ok()
        .flatten()
}

/// This thread's bin, where the processing thread returns its records.
#[inline]
pub(super) fn bin() -> Option<Arc<Bin>> {
    OWNER.try_with(|owner| Arc::clone(&owner.bin)).ok()
}

/// Keeps a record processed on this thread for reuse (or frees it when the stock is full).
#[inline]
pub(super) fn keep(mut record: Box<Record>) {
    record.owner = None;
    let _ = OWNER.try_with(|owner| {
        if let Ok(mut stock) = owner.stock.try_borrow_mut() {
            if stock.records.len() < KEEP {
                stock.records.push_back(record);
                HELD.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
}

/// The records the processing thread returns after a batch, by owner.
#[derive(Default)]
pub(super) struct Returns {
    owners: Vec<(Arc<Bin>, Vec<Box<Record>>)>,
}

impl Returns {
    /// Adds a processed record; one without an owner (made while its thread's locals were
    /// being destroyed) is freed here.
    pub(super) fn add(&mut self, mut record: Box<Record>) {
        let Some(bin) = record.owner.take() else {
            return;
        };
        match self
            .owners
            .iter_mut()
            .find(|(owner, _)| Arc::ptr_eq(owner, &bin))
        {
            Some((_, records)) => records.push(record),
            None => self.owners.push((bin, vec![record])),
        }
    }

    /// Hands every record back to its owner's bin: one lock per owner. Records of an owner
    /// that exited are freed here.
    pub(super) fn hand_back(&mut self) {
        for (bin, records) in &mut self.owners {
            if records.is_empty() {
                continue;
            }
            let mut returned = bin.lock();
            if returned.gone {
                drop(returned);
                records.clear();
                continue;
            }
            HELD.fetch_add(records.len(), Ordering::Relaxed);
            returned.items.append(records);
            bin.count.store(returned.items.len(), Ordering::Release);
        }
        // The bins of threads that exited are no longer needed.
        self.owners.retain(|(bin, _)| Arc::strong_count(bin) > 1);
    }
}

/// How many records wait for reuse, in every thread's bin and stock.
///
/// **Not public API**: for tests of the bound.
#[doc(hidden)]
pub fn held() -> usize {
    HELD.load(Ordering::Relaxed)
}
