//! `llmscope report`: one self-contained HTML file (inline CSS, inline SVG, a few lines of
//! inline JavaScript; no network access: a Content-Security-Policy forbids every fetch).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::command::costs::CostReport;
use crate::command::latency::LatencyReport;
use crate::command::show::tree_order;
use crate::format::{count, duration, money, percent};
use crate::input::{Scanned, Visit};
use crate::span::Span;
use crate::time;
use crate::trace::{TopN, TraceSummary};

/// Chart time buckets, milliseconds: the finest that keeps at most `MAX_BUCKETS` buckets.
const BUCKET_LADDER: [u64; 14] = [
    100,
    250,
    500,
    1_000,
    5_000,
    15_000,
    60_000,
    300_000,
    900_000,
    3_600_000,
    21_600_000,
    86_400_000,
    604_800_000,
    2_592_000_000,
];
const MAX_BUCKETS: usize = 120;

/// Cost over time by one dimension, re-bucketed coarser as the time range grows.
#[derive(Debug, Default)]
struct Timeline {
    step: usize,
    buckets: BTreeMap<u64, BTreeMap<String, f64>>,
}

impl Timeline {
    fn add(&mut self, nanos: u64, key: &str, cost: f64) {
        let width = BUCKET_LADDER[self.step];
        let bucket = nanos / 1_000_000 / width * width;
        *self
            .buckets
            .entry(bucket)
            .or_default()
            .entry(key.to_owned())
            .or_default() += cost;
        while self.buckets.len() > MAX_BUCKETS && self.step + 1 < BUCKET_LADDER.len() {
            self.step += 1;
            let width = BUCKET_LADDER[self.step];
            let old = std::mem::take(&mut self.buckets);
            for (start, costs) in old {
                let merged = self.buckets.entry(start / width * width).or_default();
                for (key, cost) in costs {
                    *merged.entry(key).or_default() += cost;
                }
            }
        }
    }
}

/// Everything the report shows.
pub(crate) struct Report {
    costs: CostReport,
    latency: LatencyReport,
    by_feature: Timeline,
    by_model: Timeline,
    expensive: TopN<Vec<Span>>,
    slow: TopN<Vec<Span>>,
    chosen: Vec<String>,
    picked: Vec<Vec<Span>>,
}

impl Report {
    /// A report showing the waterfalls of the `expensive` costliest and `slow` slowest traces
    /// and of the traces whose id starts with one of `chosen`.
    pub(crate) fn new(expensive: usize, slow: usize, chosen: Vec<String>) -> Self {
        Self {
            costs: CostReport::new(10),
            latency: LatencyReport::default(),
            by_feature: Timeline::default(),
            by_model: Timeline::default(),
            expensive: TopN::new(expensive),
            slow: TopN::new(slow),
            chosen: chosen.into_iter().map(|c| c.to_ascii_lowercase()).collect(),
            picked: Vec::new(),
        }
    }
}

impl Visit for Report {
    fn span(&mut self, span: &Span) {
        self.costs.span(span);
        self.latency.span(span);
        if span.is_model_call() {
            if let Some(cost) = span.cost {
                self.by_feature.add(
                    span.start_ns,
                    span.feature.as_deref().unwrap_or("(none)"),
                    cost,
                );
                self.by_model.add(
                    span.start_ns,
                    span.model.as_deref().unwrap_or("(none)"),
                    cost,
                );
            }
        }
    }

    fn trace(&mut self, spans: Vec<Span>) {
        self.latency.trace(spans.clone());
        let summary = TraceSummary::of(&spans);
        if self
            .chosen
            .iter()
            .any(|c| summary.trace_id.starts_with(c.as_str()))
        {
            self.picked.push(spans.clone());
        }
        if self.slow.would_keep(summary.duration_ns() as f64) {
            self.slow.offer(summary.duration_ns() as f64, spans.clone());
        }
        if summary.cost > 0.0 && self.expensive.would_keep(summary.cost) {
            self.expensive.offer(summary.cost, spans.clone());
        }
        self.costs.trace(spans);
    }
}

const PALETTE: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A round axis step at least `raw`: 1, 2, 2.5 or 5 times a power of ten.
fn nice_step(raw: f64) -> f64 {
    if raw <= 0.0 || !raw.is_finite() {
        return 1e-6;
    }
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|step| *step >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * power)
}

/// A bucket's start on the time axis: `07:11:14.300` below a second, `07:11:14` above.
fn bucket_label(start_ms: u64, width_ms: u64) -> String {
    let clock = time::clock(start_ms * 1_000_000);
    if width_ms < 1_000 {
        format!("{clock}.{:03}", start_ms % 1_000)
    } else {
        clock
    }
}

/// `250 ms`, `5 s`, `15 min`, `6 h`, `1 d`.
fn bucket_width(ms: u64) -> String {
    match ms {
        ms if ms < 1_000 => format!("{ms} ms"),
        ms if ms < 60_000 => format!("{} s", ms / 1_000),
        ms if ms < 3_600_000 => format!("{} min", ms / 60_000),
        ms if ms < 86_400_000 => format!("{} h", ms / 3_600_000),
        ms => format!("{} d", ms / 86_400_000),
    }
}

/// A stacked bar chart of cost per time bucket.
fn stacked_chart(title: &str, timeline: &Timeline) -> String {
    let (width, height, left, bottom) = (860.0, 260.0, 70.0, 40.0);
    let mut keys: BTreeMap<&str, f64> = BTreeMap::new();
    for costs in timeline.buckets.values() {
        for (key, cost) in costs {
            *keys.entry(key.as_str()).or_default() += cost;
        }
    }
    let mut ordered: Vec<(&str, f64)> = keys.into_iter().collect();
    ordered.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let color = |key: &str| {
        let index = ordered.iter().position(|(k, _)| *k == key).unwrap_or(0);
        PALETTE[index % PALETTE.len()]
    };
    let step = nice_step(
        timeline
            .buckets
            .values()
            .map(|c| c.values().sum::<f64>())
            .fold(0.0, f64::max)
            / 4.0,
    );
    let max = step * 4.0;
    let n = timeline.buckets.len().max(1) as f64;
    let plot_width = width - left - 10.0;
    let bar = plot_width / n;
    let mut svg = format!(
        r#"<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{}">"#,
        escape(title)
    );
    let plot_height = height - bottom - 10.0;
    for tick in 0..=4 {
        let value = step * f64::from(tick);
        let y = 10.0 + plot_height - plot_height * f64::from(tick) / 4.0;
        let _ = write!(
            svg,
            r##"<line x1="{left}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" class="axis" text-anchor="end">{}</text>"##,
            width - 10.0,
            left - 6.0,
            y + 4.0,
            money(value)
        );
    }
    let label_every = (n / 8.0).ceil().max(1.0) as usize;
    for (index, (start, costs)) in timeline.buckets.iter().enumerate() {
        let x = left + bar * index as f64;
        let mut y = 10.0 + plot_height;
        for (key, _) in &ordered {
            if let Some(cost) = costs.get(*key) {
                let h = plot_height * cost / max;
                y -= h;
                let _ = write!(
                    svg,
                    r#"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="{h:.1}" fill="{}"><title>{} {}: {}</title></rect>"#,
                    x + 1.0,
                    (bar - 2.0).max(1.0),
                    color(key),
                    bucket_label(*start, BUCKET_LADDER[timeline.step]),
                    escape(key),
                    money(*cost)
                );
            }
        }
        if index % label_every == 0 {
            let _ = write!(
                svg,
                r#"<text x="{:.1}" y="{}" class="axis" text-anchor="middle">{}</text>"#,
                x + bar / 2.0,
                height - bottom + 16.0,
                bucket_label(*start, BUCKET_LADDER[timeline.step])
            );
        }
    }
    svg.push_str("</svg>");
    let mut legend = String::from(r#"<div class="legend">"#);
    for (key, total) in &ordered {
        let _ = write!(
            legend,
            r#"<span><i style="background:{}"></i>{} {}</span>"#,
            color(key),
            escape(key),
            money(*total)
        );
    }
    legend.push_str("</div>");
    let width_label = bucket_width(BUCKET_LADDER[timeline.step]);
    format!(
        "<section class=\"card\"><h2>{}</h2><p class=\"note\">UTC, {width_label} buckets</p>{svg}{legend}</section>",
        escape(title)
    )
}

/// Horizontal bars: p50 / p95 / p99 per operation.
fn latency_chart(report: &LatencyReport) -> String {
    let rows: Vec<(&String, [f64; 3])> = report
        .by_operation
        .iter()
        .filter_map(|(name, q)| {
            Some((
                name,
                [q.quantile(0.5)?, q.quantile(0.95)?, q.quantile(0.99)?],
            ))
        })
        .collect();
    let max = rows.iter().map(|(_, v)| v[2]).fold(0.0, f64::max).max(1.0);
    let row_height = 42.0;
    let height = 20.0 + row_height * rows.len() as f64;
    let (left, width) = (130.0, 860.0);
    let mut svg = format!(
        r#"<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="latency percentiles">"#
    );
    for (index, (name, values)) in rows.iter().enumerate() {
        let y = 10.0 + row_height * index as f64;
        let _ = write!(
            svg,
            r#"<text x="{}" y="{:.1}" class="label" text-anchor="end">{}</text>"#,
            left - 8.0,
            y + 22.0,
            escape(name)
        );
        for (bar, (label, value)) in ["p50", "p95", "p99"].iter().zip(values).enumerate() {
            let w = (width - left - 120.0) * value / max;
            let by = y + bar as f64 * 11.0 + 4.0;
            let _ = write!(
                svg,
                r#"<rect x="{left}" y="{by:.1}" width="{w:.1}" height="9" fill="{}"><title>{} {label}: {}</title></rect><text x="{:.1}" y="{:.1}" class="axis">{label} {}</text>"#,
                PALETTE[bar],
                escape(name),
                duration(*value),
                left + w + 4.0,
                by + 8.0,
                duration(*value)
            );
        }
    }
    svg.push_str("</svg>");
    format!("<section class=\"card\"><h2>Latency percentiles by operation</h2>{svg}</section>")
}

/// Cache hit rate (cached ÷ input tokens) per model.
fn cache_chart(costs: &CostReport) -> String {
    let rows: Vec<(&String, f64, u64)> = costs
        .ranked("model")
        .into_iter()
        .filter_map(|(model, totals)| Some((model, totals.cache_hit_rate()?, totals.input_tokens)))
        .collect();
    let row_height = 26.0;
    let height = 20.0 + row_height * rows.len() as f64;
    let (left, width) = (230.0, 860.0);
    let mut svg = format!(
        r#"<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="cache hit rate">"#
    );
    for (index, (model, rate, input)) in rows.iter().enumerate() {
        let y = 10.0 + row_height * index as f64;
        let w = (width - left - 160.0) * rate;
        let _ = write!(
            svg,
            r##"<text x="{}" y="{:.1}" class="label" text-anchor="end">{}</text><rect x="{left}" y="{y:.1}" width="{:.1}" height="16" fill="#eee"/><rect x="{left}" y="{y:.1}" width="{w:.1}" height="16" fill="#59a14f"><title>{}: {} of {} input tokens cached</title></rect><text x="{:.1}" y="{:.1}" class="axis">{}</text>"##,
            left - 8.0,
            y + 12.0,
            escape(model),
            width - left - 160.0,
            escape(model),
            percent(*rate),
            count(*input),
            width - 150.0,
            y + 12.0,
            percent(*rate)
        );
    }
    svg.push_str("</svg>");
    format!(
        "<section class=\"card\"><h2>Cache hit rate by model</h2><p class=\"note\">cached ÷ input tokens; estimated saving {}</p>{svg}</section>",
        money(costs.cache_savings())
    )
}

/// A waterfall of one trace.
fn waterfall(spans: &[Span], index: usize) -> String {
    let summary = TraceSummary::of(spans);
    let rows = tree_order(spans);
    let start = spans.iter().map(|s| s.start_ns).min().unwrap_or(0);
    let end = spans.iter().map(|s| s.end_ns).max().unwrap_or(start);
    let total = end.saturating_sub(start).max(1) as f64;
    let (left, width, row_height) = (330.0, 980.0, 22.0);
    let height = 10.0 + row_height * rows.len() as f64 + 20.0;
    let plot = width - left - 110.0;
    let mut svg = format!(
        r#"<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="waterfall">"#
    );
    for (row, (depth, span)) in rows.iter().enumerate() {
        let y = 10.0 + row_height * row as f64;
        let x = left + plot * span.start_ns.saturating_sub(start) as f64 / total;
        let w = (plot * span.duration_ns() as f64 / total).max(1.5);
        let fill = if span.is_error() {
            "#e15759"
        } else if span.is_generation() {
            "#4e79a7"
        } else if span.is_retrieval() {
            "#59a14f"
        } else {
            "#bab0ac"
        };
        let mut tip = format!("{} — {}", span.name, duration(span.duration_ns() as f64));
        if let Some(model) = &span.model {
            let _ = write!(tip, "\nmodel {model}");
        }
        if span.has_usage {
            let _ = write!(
                tip,
                "\n{} in ({} cached) / {} out",
                span.tokens.input, span.tokens.cache_read, span.tokens.output
            );
        }
        if let Some(cost) = span.cost {
            let _ = write!(tip, "\ncost {}", money(cost));
        }
        if let Some(class) = &span.error_type {
            let _ = write!(tip, "\nerror {class}");
        }
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" class="label{}">{}</text><rect x="{x:.1}" y="{:.1}" width="{w:.1}" height="14" rx="2" fill="{fill}"><title>{}</title></rect><text x="{:.1}" y="{:.1}" class="axis">{}{}</text>"#,
            8.0 + 14.0 * *depth as f64,
            y + 12.0,
            if span.is_error() { " error" } else { "" },
            escape(&span.name),
            y + 1.0,
            escape(&tip),
            x + w + 4.0,
            y + 12.0,
            duration(span.duration_ns() as f64),
            span.cost
                .map(|c| format!(" · {}", money(c)))
                .unwrap_or_default()
        );
    }
    svg.push_str("</svg>");
    format!(
        "<div class=\"trace\" id=\"trace-{index}\"{}><h3>{} <code>{}</code></h3><p class=\"note\">{} · {} · {} llm calls · {} in / {} out tokens · {}{}</p>{svg}</div>",
        if index == 0 { "" } else { " hidden" },
        escape(summary.name()),
        escape(&summary.trace_id),
        time::timestamp(summary.start_ns),
        duration(summary.duration_ns() as f64),
        summary.llm_calls,
        count(summary.input_tokens),
        count(summary.output_tokens),
        money(summary.cost),
        if summary.errors > 0 { format!(" · {} errors", summary.errors) } else { String::new() }
    )
}

const STYLE: &str = r#"
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f6f7f9;color:#222}
header{background:#1f2937;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}
main{padding:16px 24px;display:flex;flex-wrap:wrap;gap:16px}
.card{background:#fff;border:1px solid #e3e5e8;border-radius:6px;padding:12px 16px}
.card h2{font-size:15px;margin:0 0 6px}.note{color:#666;margin:0 0 8px;font-size:12px}
.kpis{display:flex;gap:28px}.kpis b{display:block;font-size:20px}
.legend span{margin-right:14px;font-size:12px;white-space:nowrap}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
svg text{font-size:11px;fill:#333}svg text.axis{fill:#666}svg text.label.error{fill:#c0392b;font-weight:600}
select{font:inherit;padding:2px 4px}
#dashboard{display:flex;flex-wrap:wrap;gap:16px}
body.only-waterfall #dashboard{display:none}
"#;

const SCRIPT: &str = r#"
window.addEventListener('error', function (event) {
  document.body.setAttribute('data-errors', String(event.message));
});
(function () {
  var select = document.getElementById('trace-select');
  if (select) {
    select.addEventListener('change', function () {
      var traces = document.querySelectorAll('.trace');
      for (var i = 0; i < traces.length; i++) {
        traces[i].hidden = traces[i].id !== 'trace-' + select.value;
      }
    });
  }
  if (location.hash === '#only-waterfall') {
    document.body.classList.add('only-waterfall');
    window.scrollTo(0, 0);
  }
  document.body.setAttribute('data-ready', '1');
})();
"#;

/// Renders the HTML document.
pub(crate) fn render(report: Report, scanned: &Scanned, sources: &[String]) -> String {
    let Report {
        costs,
        latency,
        by_feature,
        by_model,
        expensive,
        slow,
        picked,
        ..
    } = report;
    // Selected traces: chosen first, then the costliest, then the slowest, without repeats.
    let mut traces: Vec<Vec<Span>> = Vec::new();
    for spans in picked
        .into_iter()
        .chain(expensive.into_sorted())
        .chain(slow.into_sorted())
    {
        let id = spans
            .first()
            .map(|s| s.trace_id.clone())
            .unwrap_or_default();
        if !traces
            .iter()
            .any(|t| t.first().is_some_and(|s| s.trace_id == id))
        {
            traces.push(spans);
        }
    }
    let totals = costs.totals;
    let q = |p: f64| {
        costs
            .per_call
            .quantile(p)
            .map(money)
            .unwrap_or_else(|| "-".into())
    };
    let kpis = format!(
        "<section class=\"card\"><div class=\"kpis\"><div>traces<b>{}</b></div><div>model calls<b>{}</b></div><div>cost<b>{}</b></div><div>cost per call p50 / p95 / p99<b>{} / {} / {}</b></div><div>cache hit rate<b>{}</b></div><div>trace p95<b>{}</b></div></div></section>",
        count(scanned.traces),
        count(totals.calls),
        money(totals.cost),
        q(0.5),
        q(0.95),
        q(0.99),
        totals.cache_hit_rate().map(percent).unwrap_or_else(|| "-".into()),
        latency.traces.quantile(0.95).map(duration).unwrap_or_else(|| "-".into()),
    );
    let mut options = String::new();
    let mut waterfalls = String::new();
    for (index, spans) in traces.iter().enumerate() {
        let summary = TraceSummary::of(spans);
        let _ = write!(
            options,
            r#"<option value="{index}">{} — {} — {} — {}</option>"#,
            escape(&summary.trace_id[..summary.trace_id.len().min(16)]),
            escape(summary.name()),
            duration(summary.duration_ns() as f64),
            money(summary.cost)
        );
        waterfalls.push_str(&waterfall(spans, index));
    }
    let sources: Vec<String> = sources.iter().map(|s| escape(s)).collect();
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>llmscope report</title><style>{STYLE}</style></head>
<body><header><h1>llmscope report</h1><div>{}</div></header>
<main><div id="dashboard">{kpis}{}{}{}{}</div>
<section class="card" id="waterfall"><h2>Trace waterfall</h2><p class="note">the costliest and slowest traces (hover a bar for details); blue: generation, green: retrieval, red: error</p>
<select id="trace-select">{options}</select>{waterfalls}</section></main>
<script>{SCRIPT}</script></body></html>
"#,
        sources.join(", "),
        stacked_chart("Cost by feature over time", &by_feature),
        stacked_chart("Cost by model over time", &by_model),
        latency_chart(&latency),
        cache_chart(&costs),
    )
}
