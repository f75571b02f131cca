//! `llmscope diff BEFORE AFTER`: the regression gate.
//!
//! Per feature and per model, before against after: calls, cost per call, tokens per call,
//! latency p50/p95, error rate and evaluation scores. A metric is a **regression** (or an
//! improvement) only when all three hold:
//!
//! 1. both sides have at least `min_samples` calls (default 20);
//! 2. the change is significant: two-sided Mann–Whitney U test for cost, tokens, latency and
//!    scores (rank-based: no normality assumption, robust to the skew and outliers of cost and
//!    latency data), Fisher's exact test for the error rate (exact for small counts), with
//!    p × m < alpha (Bonferroni over the m tests of the run; alpha 0.01 by default);
//! 3. the effect is at least the threshold: relative change of the mean cost per call (10 %),
//!    mean tokens per call (10 %), median latency (20 %), mean score (5 %), or an absolute
//!    error-rate increase of 2 percentage points.
//!
//! The three together keep small or noisy samples from flapping: a large change on a few calls
//! is "too few", a tiny but significant change is "unchanged".

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::json;

use crate::format::{money, percent, Table};
use crate::input::Visit;
use crate::span::Span;
use crate::stats::{fisher_exact, mann_whitney, mean, sample_quantile, Reservoir};

/// Samples kept per group and metric (a seeded reservoir beyond that).
const RESERVOIR: usize = 20_000;

/// Thresholds of the gate; every field can come from the config file and be overridden by a
/// flag.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Thresholds {
    /// Minimum relative change of the mean cost per call.
    pub(crate) cost: f64,
    /// Minimum relative change of the mean tokens per call.
    pub(crate) tokens: f64,
    /// Minimum relative change of the median latency.
    pub(crate) latency: f64,
    /// Minimum relative change of the mean evaluation score.
    pub(crate) score: f64,
    /// Minimum absolute change of the error rate.
    pub(crate) error_rate: f64,
    /// Family-wise significance level (Bonferroni).
    pub(crate) alpha: f64,
    /// Minimum calls on each side for a verdict.
    pub(crate) min_samples: usize,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            cost: 0.10,
            tokens: 0.10,
            latency: 0.20,
            score: 0.05,
            error_rate: 0.02,
            alpha: 0.01,
            min_samples: 20,
        }
    }
}

impl Thresholds {
    /// Reads a TOML file of thresholds (`cost = 0.15`, `alpha = 0.05`, …).
    ///
    /// # Errors
    ///
    /// A message naming the file when it cannot be read or has an unknown or mistyped key.
    pub(crate) fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("cannot read `{}`: {error}", path.display()))?;
        toml::from_str(&text)
            .map_err(|error| format!("invalid config `{}`: {error}", path.display()))
    }
}

/// The samples of one group (a feature or a model) on one side.
#[derive(Debug, Clone)]
struct Samples {
    calls: u64,
    errors: u64,
    cost: Reservoir,
    tokens: Reservoir,
    latency_ms: Reservoir,
    scores: BTreeMap<String, Reservoir>,
}

impl Default for Samples {
    fn default() -> Self {
        Self {
            calls: 0,
            errors: 0,
            cost: Reservoir::new(RESERVOIR),
            tokens: Reservoir::new(RESERVOIR),
            latency_ms: Reservoir::new(RESERVOIR),
            scores: BTreeMap::new(),
        }
    }
}

/// One side of the diff, by ("feature" | "model", name).
#[derive(Debug, Default)]
pub(crate) struct Side {
    groups: BTreeMap<(&'static str, String), Samples>,
}

impl Visit for Side {
    fn span(&mut self, span: &Span) {
        let feature = span.feature.clone().unwrap_or_else(|| "(none)".into());
        if span.is_model_call() {
            let mut keys = vec![("feature", feature.clone())];
            if let Some(model) = &span.model {
                keys.push(("model", model.clone()));
            }
            for key in keys {
                let samples = self.groups.entry(key).or_default();
                samples.calls += 1;
                if span.is_error() {
                    samples.errors += 1;
                } else {
                    // Failed calls are counted in the error rate only: their cost and latency
                    // describe the failure, not the feature.
                    if let Some(cost) = span.cost {
                        samples.cost.add(cost);
                    }
                    if span.has_usage {
                        samples
                            .tokens
                            .add((span.tokens.input + span.tokens.output) as f64);
                    }
                    samples.latency_ms.add(span.duration_ns() as f64 / 1e6);
                }
            }
        }
        for evaluation in &span.evaluations {
            if let Some(score) = evaluation.score {
                self.groups
                    .entry(("feature", feature.clone()))
                    .or_default()
                    .scores
                    .entry(evaluation.name.clone())
                    .or_insert_with(|| Reservoir::new(RESERVOIR))
                    .add(score);
            }
        }
    }
}

/// Verdict on one metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Regression,
    Improvement,
    Unchanged,
    TooFew,
    Info,
}

impl Verdict {
    fn label(self) -> &'static str {
        match self {
            Verdict::Regression => "REGRESSION",
            Verdict::Improvement => "improvement",
            Verdict::Unchanged => "unchanged",
            Verdict::TooFew => "too few",
            Verdict::Info => "",
        }
    }
}

/// One compared metric.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    group: &'static str,
    key: String,
    metric: String,
    before: String,
    after: String,
    change: String,
    p_value: Option<f64>,
    verdict: Verdict,
}

/// A statistic of a sample.
type Stat = fn(&[f64]) -> Option<f64>;

/// A continuous metric compared with the Mann–Whitney U test.
struct Metric<'a> {
    name: String,
    before: &'a Reservoir,
    after: &'a Reservoir,
    /// The statistic whose relative change is the effect.
    stat: Stat,
    render: fn(f64) -> String,
    threshold: f64,
    higher_is_worse: bool,
}

/// A test to run: the samples, how to summarise them, and which direction is worse.
struct Pending {
    row: Row,
    p_value: f64,
    effect: f64,
    threshold: f64,
    higher_is_worse: bool,
}

/// Output format of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DiffFormat {
    /// An aligned table.
    Table,
    /// Markdown, for a CI comment.
    Markdown,
    /// JSON.
    Json,
}

/// The result of a diff.
#[derive(Debug)]
pub(crate) struct Outcome {
    rows: Vec<Row>,
    tests: usize,
    thresholds: Thresholds,
}

impl Outcome {
    /// Number of regressions.
    pub(crate) fn regressions(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.verdict == Verdict::Regression)
            .count()
    }

    fn improvements(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.verdict == Verdict::Improvement)
            .count()
    }
}

fn relative(before: f64, after: f64) -> f64 {
    if before == 0.0 {
        if after == 0.0 {
            0.0
        } else {
            f64::INFINITY
        }
    } else {
        (after - before) / before
    }
}

fn signed_percent(ratio: f64) -> String {
    if ratio.is_infinite() {
        "new".into()
    } else {
        format!("{:+.1}%", ratio * 100.0)
    }
}

/// Compares the sides.
pub(crate) fn compare(before: &Side, after: &Side, thresholds: Thresholds) -> Outcome {
    let mut keys: Vec<&(&'static str, String)> =
        before.groups.keys().chain(after.groups.keys()).collect();
    keys.sort();
    keys.dedup();
    let empty = Samples::default();
    let min = thresholds.min_samples;
    let mut rows = Vec::new();
    let mut pending: Vec<(usize, Pending)> = Vec::new();
    for key in keys {
        let b = before.groups.get(key).unwrap_or(&empty);
        let a = after.groups.get(key).unwrap_or(&empty);
        let base = |metric: &str, before: String, after: String, change: String| Row {
            group: key.0,
            key: key.1.clone(),
            metric: metric.to_owned(),
            before,
            after,
            change,
            p_value: None,
            verdict: Verdict::Info,
        };
        if b.calls + a.calls > 0 {
            rows.push(base(
                "calls",
                b.calls.to_string(),
                a.calls.to_string(),
                signed_percent(relative(b.calls as f64, a.calls as f64)),
            ));
        }
        let median: Stat = |v| sample_quantile(v, 0.5);
        let p95: Stat = |v| sample_quantile(v, 0.95);
        let mut metrics = vec![
            Metric {
                name: "cost/call".into(),
                before: &b.cost,
                after: &a.cost,
                stat: mean,
                render: money,
                threshold: thresholds.cost,
                higher_is_worse: true,
            },
            Metric {
                name: "tokens/call".into(),
                before: &b.tokens,
                after: &a.tokens,
                stat: mean,
                render: |v| format!("{v:.0}"),
                threshold: thresholds.tokens,
                higher_is_worse: true,
            },
            Metric {
                name: "latency p50".into(),
                before: &b.latency_ms,
                after: &a.latency_ms,
                stat: median,
                render: |v| format!("{v:.1}ms"),
                threshold: thresholds.latency,
                higher_is_worse: true,
            },
        ];
        let score_names: Vec<&String> = {
            let mut names: Vec<&String> = b.scores.keys().chain(a.scores.keys()).collect();
            names.sort();
            names.dedup();
            names
        };
        let empty_reservoir = Reservoir::new(0);
        for name in &score_names {
            metrics.push(Metric {
                name: format!("score {name}"),
                before: b.scores.get(*name).unwrap_or(&empty_reservoir),
                after: a.scores.get(*name).unwrap_or(&empty_reservoir),
                stat: mean,
                render: |v| format!("{v:.3}"),
                threshold: thresholds.score,
                higher_is_worse: false,
            });
        }
        for Metric {
            name,
            before: bs,
            after: as_,
            stat,
            render,
            threshold,
            higher_is_worse,
        } in metrics
        {
            let (bv, av) = (bs.values(), as_.values());
            if bv.is_empty() && av.is_empty() {
                continue;
            }
            let show = |v: &[f64]| stat(v).map(render).unwrap_or_else(|| "-".into());
            let effect = match (stat(bv), stat(av)) {
                (Some(x), Some(y)) => relative(x, y),
                _ => 0.0,
            };
            let mut row = base(&name, show(bv), show(av), signed_percent(effect));
            if bv.len() < min || av.len() < min {
                row.verdict = Verdict::TooFew;
                rows.push(row);
            } else {
                let p_value = mann_whitney(bv, av);
                rows.push(row.clone());
                pending.push((
                    rows.len() - 1,
                    Pending {
                        row,
                        p_value,
                        effect,
                        threshold,
                        higher_is_worse,
                    },
                ));
            }
            if name == "latency p50" {
                rows.push(base(
                    "latency p95",
                    show_quantile(bv, p95),
                    show_quantile(av, p95),
                    match (p95(bv), p95(av)) {
                        (Some(x), Some(y)) => signed_percent(relative(x, y)),
                        _ => "-".into(),
                    },
                ));
            }
        }
        if b.calls + a.calls > 0 {
            let rate = |s: &Samples| (s.calls > 0).then(|| s.errors as f64 / s.calls as f64);
            let show = |s: &Samples| rate(s).map(percent).unwrap_or_else(|| "-".into());
            let effect = rate(a).unwrap_or(0.0) - rate(b).unwrap_or(0.0);
            let mut row = base(
                "error rate",
                show(b),
                show(a),
                format!("{:+.1} pp", effect * 100.0),
            );
            if (b.calls as usize) < min || (a.calls as usize) < min {
                row.verdict = Verdict::TooFew;
                rows.push(row);
            } else {
                let p_value = fisher_exact(b.errors, b.calls, a.errors, a.calls);
                rows.push(row.clone());
                pending.push((
                    rows.len() - 1,
                    Pending {
                        row,
                        p_value,
                        effect,
                        threshold: thresholds.error_rate,
                        higher_is_worse: true,
                    },
                ));
            }
        }
    }
    let tests = pending.len();
    for (index, test) in pending {
        let adjusted = (test.p_value * tests as f64).min(1.0);
        let significant = adjusted < thresholds.alpha;
        let large = test.effect.abs() >= test.threshold;
        let worse = (test.effect > 0.0) == test.higher_is_worse;
        let verdict = match (significant && large, worse) {
            (true, true) => Verdict::Regression,
            (true, false) => Verdict::Improvement,
            _ => Verdict::Unchanged,
        };
        rows[index] = Row {
            p_value: Some(adjusted),
            verdict,
            ..test.row
        };
    }
    Outcome {
        rows,
        tests,
        thresholds,
    }
}

fn show_quantile(values: &[f64], stat: fn(&[f64]) -> Option<f64>) -> String {
    stat(values)
        .map(|v| format!("{v:.1}ms"))
        .unwrap_or_else(|| "-".into())
}

fn p_text(p: Option<f64>) -> String {
    match p {
        None => String::new(),
        Some(p) if p < 0.001 => "<0.001".into(),
        Some(p) => format!("{p:.3}"),
    }
}

fn headline(outcome: &Outcome) -> String {
    let t = outcome.thresholds;
    format!(
        "{} regression(s), {} improvement(s) over {} tests (Mann–Whitney U / Fisher exact, Bonferroni-adjusted p < {}; min effect: cost {}, tokens {}, latency p50 {}, score {}, error rate +{:.1} pp; min {} calls per side)",
        outcome.regressions(),
        outcome.improvements(),
        outcome.tests,
        t.alpha,
        percent(t.cost),
        percent(t.tokens),
        percent(t.latency),
        percent(t.score),
        t.error_rate * 100.0,
        t.min_samples
    )
}

/// Renders the outcome.
pub(crate) fn render(outcome: &Outcome, format: DiffFormat) -> String {
    let mut table = Table::new(&[
        "group",
        "name",
        "metric",
        ">before",
        ">after",
        ">change",
        ">p (adj.)",
        "verdict",
    ]);
    for row in &outcome.rows {
        table.row(vec![
            row.group.to_owned(),
            row.key.clone(),
            row.metric.clone(),
            row.before.clone(),
            row.after.clone(),
            row.change.clone(),
            p_text(row.p_value),
            row.verdict.label().to_owned(),
        ]);
    }
    match format {
        DiffFormat::Table => format!("{}\n{}", headline(outcome), table.render()),
        DiffFormat::Markdown => {
            let mut out = String::from("## llmscope diff\n\n");
            let findings: Vec<&Row> = outcome
                .rows
                .iter()
                .filter(|r| matches!(r.verdict, Verdict::Regression | Verdict::Improvement))
                .collect();
            out.push_str(&format!("**{}**\n\n", headline(outcome)));
            for row in findings {
                let icon = if row.verdict == Verdict::Regression {
                    "🔴"
                } else {
                    "🟢"
                };
                out.push_str(&format!(
                    "- {icon} {} `{}` {}: {} → {} ({}, p {})\n",
                    row.group,
                    row.key,
                    row.metric,
                    row.before,
                    row.after,
                    row.change,
                    p_text(row.p_value)
                ));
            }
            out.push_str("\n<details><summary>All metrics</summary>\n\n");
            out.push_str(&table.markdown());
            out.push_str("\n</details>\n");
            out
        }
        DiffFormat::Json => {
            let rows: Vec<serde_json::Value> = outcome
                .rows
                .iter()
                .map(|r| {
                    json!({
                        "group": r.group, "name": r.key, "metric": r.metric,
                        "before": r.before, "after": r.after, "change": r.change,
                        "p_adjusted": r.p_value,
                        "verdict": match r.verdict {
                            Verdict::Regression => "regression",
                            Verdict::Improvement => "improvement",
                            Verdict::Unchanged => "unchanged",
                            Verdict::TooFew => "too_few",
                            Verdict::Info => "info",
                        },
                    })
                })
                .collect();
            let t = outcome.thresholds;
            let mut text = serde_json::to_string_pretty(&json!({
                "regressions": outcome.regressions(),
                "improvements": outcome.improvements(),
                "tests": outcome.tests,
                "thresholds": {
                    "cost": t.cost, "tokens": t.tokens, "latency": t.latency, "score": t.score,
                    "error_rate": t.error_rate, "alpha": t.alpha, "min_samples": t.min_samples,
                },
                "rows": rows,
            }))
            .unwrap_or_else(|_| "{}".into());
            text.push('\n');
            text
        }
    }
}
