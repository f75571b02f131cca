//! `llmscope costs`: cost by feature, model, provider, user and day; cost per call
//! percentiles; cache hit rate and savings; the most expensive calls and traces.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::format::{count, csv_field, money, percent, Table};
use crate::input::{Scanned, Visit};
use crate::span::Span;
use crate::stats::Quantiles;
use crate::time;
use crate::trace::{TopN, TraceSummary};

/// The groupings, in output order.
pub(crate) const GROUPS: [&str; 5] = ["feature", "model", "provider", "user", "day"];

/// Label of calls without the grouping attribute.
const NONE: &str = "(none)";

/// Totals of a set of model calls.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Totals {
    pub(crate) calls: u64,
    pub(crate) priced_calls: u64,
    pub(crate) input_tokens: u64,
    pub(crate) cache_read_tokens: u64,
    pub(crate) cache_write_tokens: u64,
    pub(crate) output_tokens: u64,
    pub(crate) reasoning_tokens: u64,
    pub(crate) cost: f64,
    pub(crate) errors: u64,
}

impl Totals {
    fn add(&mut self, span: &Span) {
        self.calls += 1;
        self.input_tokens += span.tokens.input;
        self.cache_read_tokens += span.tokens.cache_read;
        self.cache_write_tokens += span.tokens.cache_write;
        self.output_tokens += span.tokens.output;
        self.reasoning_tokens += span.tokens.reasoning;
        if let Some(cost) = span.cost {
            self.priced_calls += 1;
            self.cost += cost;
        }
        if span.is_error() {
            self.errors += 1;
        }
    }

    /// Cached ÷ input tokens.
    pub(crate) fn cache_hit_rate(&self) -> Option<f64> {
        (self.input_tokens > 0).then(|| self.cache_read_tokens as f64 / self.input_tokens as f64)
    }

    fn json(&self) -> Value {
        json!({
            "calls": self.calls,
            "priced_calls": self.priced_calls,
            "input_tokens": self.input_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "output_tokens": self.output_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "cost_usd": self.cost,
            "errors": self.errors,
        })
    }
}

/// What the cache saved for one model: cache reads priced at the model's uncached input rate
/// (learned from its own calls' `llmscope.cost.input`), minus what the reads cost.
#[derive(Debug, Clone, Copy, Default)]
struct CacheLedger {
    uncached_tokens: u64,
    uncached_cost: f64,
    cache_read_tokens: u64,
    cache_read_cost: f64,
}

impl CacheLedger {
    fn add(&mut self, span: &Span) {
        let uncached = span
            .tokens
            .input
            .saturating_sub(span.tokens.cache_read + span.tokens.cache_write);
        if let (Some(cost), true) = (span.cost_parts.input, uncached > 0) {
            self.uncached_tokens += uncached;
            self.uncached_cost += cost;
        }
        if let Some(cost) = span.cost_parts.cache_read {
            self.cache_read_tokens += span.tokens.cache_read;
            self.cache_read_cost += cost;
        }
    }

    fn savings(&self) -> Option<f64> {
        (self.uncached_tokens > 0 && self.cache_read_tokens > 0).then(|| {
            let rate = self.uncached_cost / self.uncached_tokens as f64;
            self.cache_read_tokens as f64 * rate - self.cache_read_cost
        })
    }
}

/// One of the most expensive calls.
#[derive(Debug, Clone)]
pub(crate) struct CallRow {
    pub(crate) trace_id: String,
    pub(crate) span_id: String,
    pub(crate) name: String,
    pub(crate) model: String,
    pub(crate) feature: String,
    pub(crate) input_tokens: u64,
    pub(crate) output_tokens: u64,
    pub(crate) cost: f64,
}

/// The cost analysis of an input (also the report's data).
#[derive(Debug)]
pub(crate) struct CostReport {
    pub(crate) totals: Totals,
    pub(crate) groups: BTreeMap<&'static str, BTreeMap<String, Totals>>,
    pub(crate) per_call: Quantiles,
    cache: BTreeMap<String, CacheLedger>,
    top_calls: TopN<CallRow>,
    top_traces: TopN<TraceSummary>,
    /// Number of top calls and traces kept.
    pub(crate) top: usize,
}

impl CostReport {
    /// An empty analysis keeping the `top` most expensive calls and traces.
    pub(crate) fn new(top: usize) -> Self {
        Self {
            totals: Totals::default(),
            groups: GROUPS.iter().map(|g| (*g, BTreeMap::new())).collect(),
            per_call: Quantiles::default(),
            cache: BTreeMap::new(),
            top_calls: TopN::new(top),
            top_traces: TopN::new(top),
            top,
        }
    }

    /// Estimated money the cache saved, over models whose input rate is known.
    pub(crate) fn cache_savings(&self) -> f64 {
        self.cache.values().filter_map(CacheLedger::savings).sum()
    }

    /// Groups of one grouping, most expensive first (then by name).
    pub(crate) fn ranked(&self, group: &str) -> Vec<(&String, &Totals)> {
        let mut rows: Vec<(&String, &Totals)> = self
            .groups
            .get(group)
            .map(|g| g.iter().collect())
            .unwrap_or_default();
        if group == "day" {
            return rows;
        }
        rows.sort_by(|a, b| b.1.cost.total_cmp(&a.1.cost).then(a.0.cmp(b.0)));
        rows
    }

    /// The most expensive calls and traces, most expensive first.
    pub(crate) fn into_tops(self) -> (Vec<CallRow>, Vec<TraceSummary>) {
        (self.top_calls.into_sorted(), self.top_traces.into_sorted())
    }
}

impl Visit for CostReport {
    fn span(&mut self, span: &Span) {
        if !span.is_model_call() {
            return;
        }
        self.totals.add(span);
        let keys = [
            span.feature.as_deref().unwrap_or(NONE).to_owned(),
            span.model.as_deref().unwrap_or(NONE).to_owned(),
            span.provider.as_deref().unwrap_or(NONE).to_owned(),
            span.user.as_deref().unwrap_or(NONE).to_owned(),
            time::day(span.start_ns),
        ];
        for (group, key) in GROUPS.iter().zip(keys) {
            if let Some(map) = self.groups.get_mut(group) {
                map.entry(key).or_default().add(span);
            }
        }
        self.cache
            .entry(span.model.clone().unwrap_or_default())
            .or_default()
            .add(span);
        if let Some(cost) = span.cost {
            self.per_call.add(cost);
            if self.top_calls.would_keep(cost) {
                self.top_calls.offer(
                    cost,
                    CallRow {
                        trace_id: span.trace_id.clone(),
                        span_id: span.span_id.clone(),
                        name: span.name.clone(),
                        model: span.model.clone().unwrap_or_default(),
                        feature: span.feature.clone().unwrap_or_else(|| NONE.to_owned()),
                        input_tokens: span.tokens.input,
                        output_tokens: span.tokens.output,
                        cost,
                    },
                );
            }
        }
    }

    fn trace(&mut self, spans: Vec<Span>) {
        let summary = TraceSummary::of(&spans);
        if summary.cost > 0.0 && self.top_traces.would_keep(summary.cost) {
            self.top_traces.offer(summary.cost, summary);
        }
    }
}

/// Output format of `costs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum CostFormat {
    /// Aligned tables.
    Table,
    /// One JSON document with every figure.
    Json,
    /// The breakdown rows: group,key,calls,…,cost_usd.
    Csv,
}

fn quantile_line(report: &CostReport) -> String {
    let q = |p: f64| {
        report
            .per_call
            .quantile(p)
            .map(money)
            .unwrap_or_else(|| "-".into())
    };
    format!(
        "cost per call: p50 {}  p95 {}  p99 {}  mean {}",
        q(0.5),
        q(0.95),
        q(0.99),
        report
            .per_call
            .mean()
            .map(money)
            .unwrap_or_else(|| "-".into())
    )
}

/// Renders the analysis.
pub(crate) fn render(report: CostReport, scanned: &Scanned, format: CostFormat) -> String {
    match format {
        CostFormat::Table => render_table(report, scanned),
        CostFormat::Json => {
            let mut text = serde_json::to_string_pretty(&to_json(report, scanned))
                .unwrap_or_else(|_| "{}".into());
            text.push('\n');
            text
        }
        CostFormat::Csv => render_csv(&report),
    }
}

fn render_table(report: CostReport, scanned: &Scanned) -> String {
    let totals = report.totals;
    let mut out = format!(
        "{} model calls ({} priced) in {} traces: {}; {} input tokens ({} cached), {} output ({} reasoning)\n",
        count(totals.calls),
        count(totals.priced_calls),
        count(scanned.traces),
        money(totals.cost),
        count(totals.input_tokens),
        count(totals.cache_read_tokens),
        count(totals.output_tokens),
        count(totals.reasoning_tokens),
    );
    out.push_str(&quantile_line(&report));
    out.push('\n');
    out.push_str(&format!(
        "cache: hit rate {} (cached ÷ input tokens), saved ≈ {} (cache reads at each model's uncached input rate, minus their cost)\n",
        totals.cache_hit_rate().map(percent).unwrap_or_else(|| "-".into()),
        money(report.cache_savings()),
    ));
    if scanned.skipped_lines > 0 {
        out.push_str(&format!(
            "skipped {} malformed lines\n",
            scanned.skipped_lines
        ));
    }
    for group in GROUPS {
        let mut table = Table::new(&[
            group, ">calls", ">input", ">cached", ">output", ">cost", ">share",
        ]);
        for (key, row) in report.ranked(group) {
            table.row(vec![
                key.clone(),
                count(row.calls),
                count(row.input_tokens),
                count(row.cache_read_tokens),
                count(row.output_tokens),
                money(row.cost),
                if totals.cost > 0.0 {
                    percent(row.cost / totals.cost)
                } else {
                    "-".into()
                },
            ]);
        }
        out.push_str(&format!("\nby {group}\n{}", table.render()));
    }
    let top = report.top;
    let (calls, traces) = report.into_tops();
    let mut table = Table::new(&[
        ">cost", "span", "model", "feature", ">input", ">output", "trace", "span id",
    ]);
    for call in calls {
        table.row(vec![
            money(call.cost),
            call.name,
            call.model,
            call.feature,
            count(call.input_tokens),
            count(call.output_tokens),
            call.trace_id,
            call.span_id,
        ]);
    }
    out.push_str(&format!("\ntop {top} calls\n{}", table.render()));
    let mut table = Table::new(&[">cost", "root", ">llm calls", ">duration", "trace"]);
    for trace in traces {
        table.row(vec![
            money(trace.cost),
            trace.name().to_owned(),
            count(trace.llm_calls as u64),
            crate::format::duration(trace.duration_ns() as f64),
            trace.trace_id,
        ]);
    }
    out.push_str(&format!("\ntop {top} traces\n{}", table.render()));
    out
}

fn to_json(report: CostReport, scanned: &Scanned) -> Value {
    let groups: serde_json::Map<String, Value> = GROUPS
        .iter()
        .map(|group| {
            let rows: Vec<Value> = report
                .ranked(group)
                .into_iter()
                .map(|(key, totals)| {
                    let mut row = totals.json();
                    row["key"] = json!(key);
                    row
                })
                .collect();
            ((*group).to_owned(), Value::Array(rows))
        })
        .collect();
    let per_call = json!({
        "p50": report.per_call.quantile(0.5),
        "p95": report.per_call.quantile(0.95),
        "p99": report.per_call.quantile(0.99),
        "mean": report.per_call.mean(),
    });
    let totals = report.totals;
    let savings = report.cache_savings();
    let (calls, traces) = report.into_tops();
    json!({
        "traces": scanned.traces,
        "skipped_lines": scanned.skipped_lines,
        "totals": totals.json(),
        "cost_per_call_usd": per_call,
        "cache": { "hit_rate": totals.cache_hit_rate(), "savings_usd": savings },
        "by": groups,
        "top_calls": calls.into_iter().map(|c| json!({
            "cost_usd": c.cost, "span": c.name, "model": c.model, "feature": c.feature,
            "input_tokens": c.input_tokens, "output_tokens": c.output_tokens,
            "trace_id": c.trace_id, "span_id": c.span_id,
        })).collect::<Vec<_>>(),
        "top_traces": traces.into_iter().map(|t| json!({
            "cost_usd": t.cost, "root": t.root_name, "llm_calls": t.llm_calls,
            "duration_ms": t.duration_ns() as f64 / 1e6, "trace_id": t.trace_id,
        })).collect::<Vec<_>>(),
    })
}

fn render_csv(report: &CostReport) -> String {
    let mut out = String::from(
        "group,key,calls,priced_calls,input_tokens,cache_read_tokens,cache_write_tokens,output_tokens,reasoning_tokens,errors,cost_usd\n",
    );
    for group in GROUPS {
        for (key, t) in report.ranked(group) {
            out.push_str(&format!(
                "{group},{},{},{},{},{},{},{},{},{},{}\n",
                csv_field(key),
                t.calls,
                t.priced_calls,
                t.input_tokens,
                t.cache_read_tokens,
                t.cache_write_tokens,
                t.output_tokens,
                t.reasoning_tokens,
                t.errors,
                t.cost
            ));
        }
    }
    out
}
