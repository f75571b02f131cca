//! A bin: where records processed on another thread wait to return to the thread that made
//! them ([`super::recycle`] fills and empties it).

use std::sync::atomic::AtomicUsize;
use std::sync::{Mutex, MutexGuard};

/// What waits to return to one thread.
#[derive(Debug)]
pub(crate) struct Bin<T> {
    returned: Mutex<Returned<T>>,
    /// How many items `returned` holds (read without the lock).
    pub(super) count: AtomicUsize,
}

/// The items of a [`Bin`], and whether its owner exited.
#[derive(Debug)]
pub(super) struct Returned<T> {
    pub(super) items: Vec<T>,
    /// The owner exited: items are freed where they are processed.
    pub(super) gone: bool,
}

impl<T> Default for Bin<T> {
    fn default() -> Self {
        Bin {
            returned: Mutex::new(Returned {
                items: Vec::new(),
                gone: false,
            }),
            count: AtomicUsize::new(0),
        }
    }
}

impl<T> Bin<T> {
    /// Its items (a poisoned lock is taken as it is: the items are only memory).
    pub(super) fn lock(&self) -> MutexGuard<'_, Returned<T>> {
        self.returned
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}
