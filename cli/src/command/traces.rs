//! `llmscope traces`: one line per trace, filtered, sorted and limited.

use crate::format::{count, duration, money, Table};
use crate::input::{Scanned, Visit};
use crate::span::Span;
use crate::time;
use crate::trace::{TopN, TraceSummary};

/// Sort key of `traces`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SortKey {
    /// Newest first.
    Start,
    /// Longest first.
    Duration,
    /// Most expensive first.
    Cost,
    /// Most tokens (input + output) first.
    Tokens,
}

/// Which traces to list.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filter {
    pub(crate) feature: Option<String>,
    pub(crate) model: Option<String>,
    pub(crate) errors: bool,
    pub(crate) min_cost: Option<f64>,
    pub(crate) since_ns: Option<u64>,
}

impl Filter {
    fn keeps(&self, trace: &TraceSummary) -> bool {
        self.feature
            .as_ref()
            .is_none_or(|f| trace.features.contains(f))
            && self.model.as_ref().is_none_or(|m| {
                trace
                    .models
                    .iter()
                    .any(|model| model.starts_with(m.as_str()))
            })
            && (!self.errors || trace.errors > 0)
            && self.min_cost.is_none_or(|min| trace.cost >= min)
            && self.since_ns.is_none_or(|since| trace.start_ns >= since)
    }
}

/// The `traces` command's state.
#[derive(Debug)]
pub(crate) struct TraceList {
    filter: Filter,
    sort: SortKey,
    kept: TopN<TraceSummary>,
    matched: u64,
}

impl TraceList {
    /// Lists at most `limit` traces passing `filter`, best first by `sort`.
    pub(crate) fn new(filter: Filter, sort: SortKey, limit: usize) -> Self {
        Self {
            filter,
            sort,
            kept: TopN::new(limit),
            matched: 0,
        }
    }

    fn key(&self, trace: &TraceSummary) -> f64 {
        match self.sort {
            SortKey::Start => trace.start_ns as f64,
            SortKey::Duration => trace.duration_ns() as f64,
            SortKey::Cost => trace.cost,
            SortKey::Tokens => (trace.input_tokens + trace.output_tokens) as f64,
        }
    }

    /// Renders the list.
    pub(crate) fn render(self, scanned: &Scanned) -> String {
        let matched = self.matched;
        let rows = self.kept.into_sorted();
        let mut table = Table::new(&[
            "trace",
            "root",
            "start (UTC)",
            ">duration",
            ">llm calls",
            ">tokens in",
            ">out",
            ">cost",
            "status",
        ]);
        let shown = rows.len();
        for trace in rows {
            let status = if trace.errors > 0 {
                format!("error ({})", trace.errors)
            } else {
                "ok".to_owned()
            };
            let cost = if trace.cost > 0.0 || trace.unpriced_calls == 0 {
                money(trace.cost)
            } else {
                "unpriced".to_owned()
            };
            table.row(vec![
                trace.trace_id.chars().take(16).collect(),
                trace.name().to_owned(),
                time::timestamp(trace.start_ns),
                duration(trace.duration_ns() as f64),
                count(trace.llm_calls as u64),
                count(trace.input_tokens),
                count(trace.output_tokens),
                cost,
                status,
            ]);
        }
        let mut out = table.render();
        out.push_str(&format!(
            "{shown} of {matched} matching traces ({} read)",
            count(scanned.traces)
        ));
        if scanned.skipped_lines > 0 {
            out.push_str(&format!(
                "; skipped {} malformed lines",
                scanned.skipped_lines
            ));
        }
        out.push('\n');
        out
    }
}

impl Visit for TraceList {
    fn trace(&mut self, spans: Vec<Span>) {
        let summary = TraceSummary::of(&spans);
        if !self.filter.keeps(&summary) {
            return;
        }
        self.matched += 1;
        let key = self.key(&summary);
        if self.kept.would_keep(key) {
            self.kept.offer(key, summary);
        }
    }
}
