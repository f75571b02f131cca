//! `llmscope latency`: p50/p95/p99 per span name and per operation, the share of each trace
//! spent in retrieval and in generation, and time to first chunk of streams.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::format::{count, duration, percent, Table};
use crate::input::{Scanned, Visit};
use crate::span::Span;
use crate::stats::Quantiles;
use crate::trace::TraceSummary;

/// The latency analysis of an input (also the report's data).
#[derive(Debug, Default)]
pub(crate) struct LatencyReport {
    /// Span durations (ns) by span name.
    pub(crate) by_name: BTreeMap<String, Quantiles>,
    /// Span durations (ns) by `gen_ai.operation.name`.
    pub(crate) by_operation: BTreeMap<String, Quantiles>,
    /// Time to first chunk (ns) by model.
    pub(crate) first_chunk: BTreeMap<String, Quantiles>,
    /// Per trace: share of the root's duration covered by retrieval spans.
    pub(crate) retrieval_share: Quantiles,
    /// Per trace: share covered by generation spans.
    pub(crate) generation_share: Quantiles,
    /// Trace durations (ns).
    pub(crate) traces: Quantiles,
}

impl Visit for LatencyReport {
    fn span(&mut self, span: &Span) {
        let nanos = span.duration_ns() as f64;
        self.by_name
            .entry(span.name.clone())
            .or_default()
            .add(nanos);
        if let Some(operation) = &span.operation {
            self.by_operation
                .entry(operation.clone())
                .or_default()
                .add(nanos);
        }
        if let Some(seconds) = span.time_to_first_chunk {
            self.first_chunk
                .entry(span.model.clone().unwrap_or_else(|| "(none)".into()))
                .or_default()
                .add(seconds * 1e9);
        }
    }

    fn trace(&mut self, spans: Vec<Span>) {
        let summary = TraceSummary::of(&spans);
        let total = summary.duration_ns();
        self.traces.add(total as f64);
        if total > 0 && summary.root_name.is_some() {
            let share = |covered: u64| (covered as f64 / total as f64).min(1.0);
            self.retrieval_share.add(share(summary.retrieval_ns));
            self.generation_share.add(share(summary.generation_ns));
        }
    }
}

/// Output format of `latency`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LatencyFormat {
    /// Aligned tables.
    Table,
    /// One JSON document.
    Json,
}

fn d(q: &Quantiles, p: f64) -> String {
    q.quantile(p).map(duration).unwrap_or_else(|| "-".into())
}

fn table(title: &str, rows: &BTreeMap<String, Quantiles>) -> String {
    let mut table = Table::new(&[title, ">count", ">p50", ">p95", ">p99", ">max"]);
    let mut ordered: Vec<(&String, &Quantiles)> = rows.iter().collect();
    // Slowest p95 first, then by name.
    ordered.sort_by(|a, b| {
        b.1.quantile(0.95)
            .unwrap_or(0.0)
            .total_cmp(&a.1.quantile(0.95).unwrap_or(0.0))
            .then(a.0.cmp(b.0))
    });
    for (name, q) in ordered {
        table.row(vec![
            name.clone(),
            count(q.count()),
            d(q, 0.5),
            d(q, 0.95),
            d(q, 0.99),
            d(q, 1.0),
        ]);
    }
    table.render()
}

fn share_json(q: &Quantiles) -> Value {
    json!({ "traces": q.count(), "mean": q.mean(), "p50": q.quantile(0.5), "p95": q.quantile(0.95) })
}

fn quantiles_json(rows: &BTreeMap<String, Quantiles>) -> Value {
    Value::Object(
        rows.iter()
            .map(|(name, q)| {
                let ms = |p: f64| q.quantile(p).map(|n| n / 1e6);
                (
                    name.clone(),
                    json!({ "count": q.count(), "p50_ms": ms(0.5), "p95_ms": ms(0.95), "p99_ms": ms(0.99), "max_ms": ms(1.0) }),
                )
            })
            .collect(),
    )
}

/// Renders the analysis.
pub(crate) fn render(report: &LatencyReport, scanned: &Scanned, format: LatencyFormat) -> String {
    if format == LatencyFormat::Json {
        let value = json!({
            "traces": scanned.traces,
            "skipped_lines": scanned.skipped_lines,
            "trace_duration_ms": {
                "p50": report.traces.quantile(0.5).map(|n| n / 1e6),
                "p95": report.traces.quantile(0.95).map(|n| n / 1e6),
                "p99": report.traces.quantile(0.99).map(|n| n / 1e6),
            },
            "by_span_name": quantiles_json(&report.by_name),
            "by_operation": quantiles_json(&report.by_operation),
            "time_to_first_chunk": quantiles_json(&report.first_chunk),
            "retrieval_share": share_json(&report.retrieval_share),
            "generation_share": share_json(&report.generation_share),
        });
        let mut text = serde_json::to_string_pretty(&value).unwrap_or_else(|_| "{}".into());
        text.push('\n');
        return text;
    }
    let mut out = format!(
        "{} traces: duration p50 {}  p95 {}  p99 {}\n",
        count(scanned.traces),
        d(&report.traces, 0.5),
        d(&report.traces, 0.95),
        d(&report.traces, 0.99)
    );
    let share = |q: &Quantiles| {
        format!(
            "mean {}  p50 {}  p95 {}",
            q.mean().map(percent).unwrap_or_else(|| "-".into()),
            q.quantile(0.5).map(percent).unwrap_or_else(|| "-".into()),
            q.quantile(0.95).map(percent).unwrap_or_else(|| "-".into())
        )
    };
    out.push_str(&format!(
        "share of each trace's duration (union of span intervals): retrieval {}; generation {}\n",
        share(&report.retrieval_share),
        share(&report.generation_share)
    ));
    if scanned.skipped_lines > 0 {
        out.push_str(&format!(
            "skipped {} malformed lines\n",
            scanned.skipped_lines
        ));
    }
    out.push_str("\nby operation\n");
    out.push_str(&table("operation", &report.by_operation));
    out.push_str("\nby span name\n");
    out.push_str(&table("span", &report.by_name));
    out.push_str("\ntime to first chunk (streams), by model\n");
    if report.first_chunk.is_empty() {
        out.push_str("(no span carries gen_ai.response.time_to_first_chunk)\n");
    } else {
        out.push_str(&table("model", &report.first_chunk));
    }
    out
}
