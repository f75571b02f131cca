//! Bookkeeping for models without a price: warn once per model, count every call.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Records models that have no price entry, so that the caller warns once per model (not per
/// call) and can report how many calls went unpriced.
///
/// Thread-safe. At most [`UnknownModels::MAX_DISTINCT`] distinct models are remembered, so a
/// stream of made-up model names cannot grow memory without bound; past that,
/// [`UnknownModels::record`] returns `false` but still counts the call.
///
/// # Examples
///
/// ```
/// use llmscope::pricing::UnknownModels;
///
/// let unknown = UnknownModels::new();
/// assert!(unknown.record("openai", "gpt-9"));   // first time: warn
/// assert!(!unknown.record("openai", "gpt-9"));  // already warned
/// assert_eq!(unknown.calls(), 2);
/// assert_eq!(unknown.distinct(), 1);
/// ```
#[derive(Debug, Default)]
pub struct UnknownModels {
    /// Provider → models; keyed so that a repeated call allocates nothing.
    seen: Mutex<HashMap<String, HashSet<String>>>,
    distinct: std::sync::atomic::AtomicUsize,
    calls: AtomicU64,
}

impl UnknownModels {
    /// How many distinct `(provider, model)` pairs are remembered at most.
    pub const MAX_DISTINCT: usize = 10_000;

    /// An empty record.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one unpriced call; returns `true` the first time this `(provider, model)` is seen.
    pub fn record(&self, provider: &str, model: &str) -> bool {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if seen
            .get(provider)
            .is_some_and(|models| models.contains(model))
            || self.distinct.load(Ordering::Relaxed) >= Self::MAX_DISTINCT
        {
            return false;
        }
        seen.entry(provider.to_owned())
            .or_default()
            .insert(model.to_owned());
        self.distinct.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// Unpriced calls recorded so far.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Distinct `(provider, model)` pairs recorded so far.
    pub fn distinct(&self) -> usize {
        self.distinct.load(Ordering::Relaxed)
    }

    /// The `(provider, model)` pairs recorded so far, sorted.
    pub fn models(&self) -> Vec<(String, String)> {
        let seen = self
            .seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut models: Vec<_> = seen
            .iter()
            .flat_map(|(provider, models)| {
                models
                    .iter()
                    .map(move |model| (provider.clone(), model.clone()))
            })
            .collect();
        models.sort();
        models
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warns_once_per_model_across_threads() {
        let unknown = UnknownModels::new();
        let firsts: usize = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        (0..100)
                            .filter(|index| unknown.record("openai", &format!("m{}", index % 10)))
                            .count()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| handle.join().unwrap())
                .sum()
        });
        assert_eq!(firsts, 10);
        assert_eq!(unknown.calls(), 400);
        assert_eq!(unknown.distinct(), 10);
        assert!(
            unknown.record("anthropic", "m0"),
            "the provider is part of the identity"
        );
    }
}
