//! Per-trace totals computed from a trace's spans.

use std::collections::BTreeSet;

use crate::span::Span;

/// What `traces` prints for one trace, and what other commands rank traces by.
#[derive(Debug, Clone, Default)]
pub(crate) struct TraceSummary {
    pub(crate) trace_id: String,
    /// Root span name; `None` when the root was not in the input.
    pub(crate) root_name: Option<String>,
    pub(crate) start_ns: u64,
    pub(crate) end_ns: u64,
    pub(crate) llm_calls: usize,
    pub(crate) input_tokens: u64,
    pub(crate) output_tokens: u64,
    pub(crate) cost: f64,
    /// Model calls with usage but no cost (unknown model).
    pub(crate) unpriced_calls: usize,
    pub(crate) errors: usize,
    pub(crate) features: BTreeSet<String>,
    pub(crate) models: BTreeSet<String>,
    /// Time covered by retrieval spans (union of intervals), ns.
    pub(crate) retrieval_ns: u64,
    /// Time covered by generation spans (union of intervals), ns.
    pub(crate) generation_ns: u64,
}

impl TraceSummary {
    /// Totals of `spans` (all of one trace).
    pub(crate) fn of(spans: &[Span]) -> Self {
        let root = spans.iter().find(|s| s.parent_id.is_none());
        let start_ns = root
            .map(|r| r.start_ns)
            .unwrap_or_else(|| spans.iter().map(|s| s.start_ns).min().unwrap_or(0));
        let end_ns = root
            .map(|r| r.end_ns)
            .unwrap_or_else(|| spans.iter().map(|s| s.end_ns).max().unwrap_or(0));
        let mut summary = TraceSummary {
            trace_id: spans
                .first()
                .map(|s| s.trace_id.clone())
                .unwrap_or_default(),
            root_name: root.map(|r| r.name.clone()),
            start_ns,
            end_ns,
            ..TraceSummary::default()
        };
        let mut retrieval = Vec::new();
        let mut generation = Vec::new();
        for span in spans {
            if span.is_model_call() {
                summary.input_tokens += span.tokens.input;
                summary.output_tokens += span.tokens.output;
                match span.cost {
                    Some(cost) => summary.cost += cost,
                    None if span.has_usage => summary.unpriced_calls += 1,
                    None => {}
                }
            }
            if span.is_generation() {
                summary.llm_calls += 1;
            }
            if span.is_error() {
                summary.errors += 1;
            }
            if let Some(feature) = &span.feature {
                summary.features.insert(feature.clone());
            }
            if span.is_model_call() {
                if let Some(model) = &span.model {
                    summary.models.insert(model.clone());
                }
            }
            if span.is_retrieval() {
                retrieval.push((span.start_ns, span.end_ns));
            } else if span.is_generation() {
                generation.push((span.start_ns, span.end_ns));
            }
        }
        summary.retrieval_ns = covered(retrieval);
        summary.generation_ns = covered(generation);
        summary
    }

    /// Duration of the root (or of the spans seen), ns.
    pub(crate) fn duration_ns(&self) -> u64 {
        self.end_ns.saturating_sub(self.start_ns)
    }

    /// Root name, or `(no root)`.
    pub(crate) fn name(&self) -> &str {
        self.root_name.as_deref().unwrap_or("(no root)")
    }
}

/// Length of the union of intervals (parallel spans count once).
fn covered(mut intervals: Vec<(u64, u64)>) -> u64 {
    intervals.sort_unstable();
    let mut total = 0;
    let mut current: Option<(u64, u64)> = None;
    for (start, end) in intervals {
        match current {
            Some((s, e)) if start <= e => current = Some((s, e.max(end))),
            Some((s, e)) => {
                total += e.saturating_sub(s);
                current = Some((start, end));
            }
            None => current = Some((start, end)),
        }
    }
    if let Some((s, e)) = current {
        total += e.saturating_sub(s);
    }
    total
}

/// Keeps the `limit` best items by a key, in bounded memory (ties: first seen wins).
#[derive(Debug, Clone)]
pub(crate) struct TopN<T> {
    limit: usize,
    items: Vec<(f64, u64, T)>,
    seen: u64,
}

impl<T> TopN<T> {
    /// Keeps at most `limit` items.
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            limit,
            items: Vec::new(),
            seen: 0,
        }
    }

    /// Offers an item with its key (higher is better).
    pub(crate) fn offer(&mut self, key: f64, item: T) {
        self.seen += 1;
        if self.limit == 0 {
            return;
        }
        if self.items.len() == self.limit {
            // The worst kept item: lowest key, latest seen.
            let worst = self
                .items
                .iter()
                .enumerate()
                .min_by(|a, b| a.1 .0.total_cmp(&b.1 .0).then(b.1 .1.cmp(&a.1 .1)))
                .map(|(index, _)| index);
            match worst {
                Some(index) if self.items[index].0 < key => {
                    self.items.swap_remove(index);
                }
                _ => return,
            }
        }
        self.items.push((key, self.seen, item));
    }

    /// Whether an item with this key would be kept now.
    pub(crate) fn would_keep(&self, key: f64) -> bool {
        self.items.len() < self.limit || self.items.iter().any(|(k, _, _)| *k < key)
    }

    /// The kept items, best first.
    pub(crate) fn into_sorted(mut self) -> Vec<T> {
        self.items
            .sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        self.items.into_iter().map(|(_, _, item)| item).collect()
    }
}
