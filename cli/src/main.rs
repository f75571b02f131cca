//! `llmscope`: read llmscope's JSONL trace files (or stdin) and show traces, costs and latency,
//! gate CI on regressions, and write a self-contained HTML report. No server needed.

mod command;
mod format;
mod input;
mod keys;
mod span;
mod stats;
mod time;
mod trace;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use command::costs::{CostFormat, CostReport};
use command::diff::{DiffFormat, Side, Thresholds};
use command::latency::{LatencyFormat, LatencyReport};
use command::traces::{Filter, SortKey, TraceList};
use input::{scan, Inputs};

/// See traces, costs and latency of LLM calls from llmscope's JSONL files, without a server.
#[derive(Debug, Parser)]
#[command(
    name = "llmscope",
    version,
    after_help = "Input: the OTLP/JSON lines llmscope's JSONL exporter writes (the embedded default writes \
./llmscope-traces.jsonl). FILE… may be several files; none or `-` reads stdin.

Examples:
  llmscope traces llmscope-traces.jsonl --sort cost --limit 10
  llmscope show 7a4d llmscope-traces.jsonl
  llmscope costs llmscope-traces.jsonl --format csv > costs.csv
  llmscope latency llmscope-traces.jsonl
  llmscope diff main.jsonl branch.jsonl --format markdown
  llmscope report llmscope-traces.jsonl -o report.html

Exit codes: 0 success, 1 `diff` found a regression, 2 error (bad arguments, unreadable or malformed input)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Options every reading command has.
#[derive(Debug, Args)]
struct Input {
    /// JSONL files to read (none or `-`: stdin).
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Skip malformed lines (counted in the output) instead of failing on the first.
    #[arg(long)]
    lenient: bool,
}

impl Input {
    fn inputs(&self, details: bool) -> Inputs {
        Inputs {
            paths: self.files.clone(),
            lenient: self.lenient,
            details,
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// One line per trace: root, start, duration, LLM calls, tokens, cost, status.
    #[command(after_help = "Examples:
  llmscope traces llmscope-traces.jsonl
  llmscope traces llmscope-traces.jsonl --feature support_answer --errors
  llmscope traces *.jsonl --sort cost --limit 5 --min-cost 0.01 --since 24h")]
    Traces {
        #[command(flatten)]
        input: Input,
        /// Only traces with a call of this feature (`llmscope.feature`).
        #[arg(long)]
        feature: Option<String>,
        /// Only traces with a call of this model (prefix of the response or request model).
        #[arg(long)]
        model: Option<String>,
        /// Only traces with a failed span.
        #[arg(long)]
        errors: bool,
        /// Only traces costing at least this many USD.
        #[arg(long, value_name = "USD")]
        min_cost: Option<f64>,
        /// Only traces started at or after: a date (2026-11-28), a UTC time (2026-11-28T07:00:00Z)
        /// or an age (30m, 24h, 7d).
        #[arg(long, value_name = "WHEN")]
        since: Option<String>,
        /// Sort order (descending).
        #[arg(long, value_enum, default_value = "start")]
        sort: SortKey,
        /// Traces shown at most.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// One trace as a tree: durations, models, tokens, cost, kind-specific attributes, errors,
    /// and a timing waterfall.
    #[command(after_help = "Examples:
  llmscope show 7a4da411 llmscope-traces.jsonl
  cat llmscope-traces.jsonl | llmscope show 7a4d")]
    Show {
        /// The trace id, or a unique prefix of it.
        #[arg(value_name = "TRACE_ID_PREFIX")]
        trace: String,
        #[command(flatten)]
        input: Input,
    },
    /// Cost by feature, model, provider, user and day; cost per call p50/p95/p99; cache hit
    /// rate and savings; the top calls and traces.
    #[command(
        after_help = "Cache hit rate = cached (cache read) ÷ input tokens. The saving is estimated per model:
cache reads priced at the model's uncached input rate (from the calls' own llmscope.cost.input)
minus what the reads cost. Percentiles come from a log-bucket sketch (±0.1 %).

Examples:
  llmscope costs llmscope-traces.jsonl
  llmscope costs llmscope-traces.jsonl --format json | jq .by.feature
  llmscope costs a.jsonl b.jsonl --format csv > costs.csv"
    )]
    Costs {
        #[command(flatten)]
        input: Input,
        /// Output format (csv: the breakdown rows).
        #[arg(long, value_enum, default_value = "table")]
        format: CostFormat,
        /// Most expensive calls and traces listed.
        #[arg(long, default_value_t = 10)]
        top: usize,
    },
    /// Latency p50/p95/p99 per span name and operation, retrieval vs generation share of each
    /// trace, and time to first chunk of streams.
    #[command(after_help = "Examples:
  llmscope latency llmscope-traces.jsonl
  llmscope latency llmscope-traces.jsonl --format json")]
    Latency {
        #[command(flatten)]
        input: Input,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: LatencyFormat,
    },
    /// The regression gate: compare two trace files per feature and model; exit 1 on a
    /// significant regression.
    #[command(
        after_help = "Compared per feature and per model: calls, cost per call (mean), tokens per call (mean),
latency p50/p95, error rate, and evaluation scores (gen_ai.evaluation.result events) when present.

A metric is a regression only when (1) each side has at least --min-samples calls, (2) the change
is significant — two-sided Mann–Whitney U test for cost, tokens, latency and scores (rank-based,
so it needs no normal distribution and is robust to the skew and outliers of cost and latency),
Fisher's exact test for the error rate (exact for small counts) — with Bonferroni-adjusted
p < --alpha over all tests of the run, and (3) the change is at least the minimum effect. The
three together keep small and noisy samples from flapping. Failed calls count in the error rate
only. Thresholds come from --config (TOML keys: cost, tokens, latency, score, error_rate, alpha,
min_samples) and flags override them.

Examples:
  llmscope diff main.jsonl branch.jsonl
  llmscope diff main.jsonl branch.jsonl --cost 0.05 --latency 0.3 --format markdown >> $GITHUB_STEP_SUMMARY
  llmscope diff before.jsonl after.jsonl --config llmscope-diff.toml"
    )]
    Diff {
        /// The baseline trace file.
        before: PathBuf,
        /// The trace file to check.
        after: PathBuf,
        /// Skip malformed lines instead of failing.
        #[arg(long)]
        lenient: bool,
        /// A TOML file of thresholds.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Minimum relative change of the mean cost per call [default: 0.10].
        #[arg(long, value_name = "RATIO")]
        cost: Option<f64>,
        /// Minimum relative change of the mean tokens per call [default: 0.10].
        #[arg(long, value_name = "RATIO")]
        tokens: Option<f64>,
        /// Minimum relative change of the median latency [default: 0.20].
        #[arg(long, value_name = "RATIO")]
        latency: Option<f64>,
        /// Minimum relative change of the mean evaluation score [default: 0.05].
        #[arg(long, value_name = "RATIO")]
        score: Option<f64>,
        /// Minimum absolute change of the error rate [default: 0.02].
        #[arg(long, value_name = "RATE")]
        error_rate: Option<f64>,
        /// Family-wise significance level [default: 0.01].
        #[arg(long)]
        alpha: Option<f64>,
        /// Minimum calls on each side for a verdict [default: 20].
        #[arg(long, value_name = "N")]
        min_samples: Option<usize>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: DiffFormat,
    },
    /// One self-contained HTML file (inline CSS, SVG and script; no network): cost by feature
    /// and model over time, latency percentiles, cache hit rate, trace waterfalls.
    #[command(after_help = "Examples:
  llmscope report llmscope-traces.jsonl -o report.html
  llmscope report *.jsonl -o report.html --trace 7a4da411 --trace 93be")]
    Report {
        #[command(flatten)]
        input: Input,
        /// The HTML file to write.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// Also show the waterfall of the trace with this id prefix (repeatable).
        #[arg(long = "trace", value_name = "TRACE_ID_PREFIX")]
        traces: Vec<String>,
        /// Costliest traces given a waterfall.
        #[arg(long, default_value_t = 5)]
        costliest: usize,
        /// Slowest traces given a waterfall.
        #[arg(long, default_value_t = 3)]
        slowest: usize,
    },
}

fn now_nanos() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// Runs a command: its output, and whether it found a regression.
fn run(command: Command) -> Result<(String, bool), String> {
    match command {
        Command::Traces {
            input,
            feature,
            model,
            errors,
            min_cost,
            since,
            sort,
            limit,
        } => {
            let since_ns = since
                .map(|text| time::parse_since(&text, now_nanos()))
                .transpose()?;
            let filter = Filter {
                feature,
                model,
                errors,
                min_cost,
                since_ns,
            };
            let mut list = TraceList::new(filter, sort, limit);
            let scanned = scan(&input.inputs(false), &mut list)?;
            Ok((list.render(&scanned), false))
        }
        Command::Show { trace, input } => {
            let mut finder = command::show::Finder::new(&trace);
            scan(&input.inputs(true), &mut finder)?;
            let spans = finder.into_trace()?;
            Ok((command::show::render(&spans), false))
        }
        Command::Costs { input, format, top } => {
            let mut report = CostReport::new(top);
            let scanned = scan(&input.inputs(false), &mut report)?;
            Ok((command::costs::render(report, &scanned, format), false))
        }
        Command::Latency { input, format } => {
            let mut report = LatencyReport::default();
            let scanned = scan(&input.inputs(false), &mut report)?;
            Ok((command::latency::render(&report, &scanned, format), false))
        }
        Command::Diff {
            before,
            after,
            lenient,
            config,
            cost,
            tokens,
            latency,
            score,
            error_rate,
            alpha,
            min_samples,
            format,
        } => {
            let mut thresholds = match &config {
                Some(path) => Thresholds::from_file(path)?,
                None => Thresholds::default(),
            };
            let overrides = [
                (cost, &mut thresholds.cost),
                (tokens, &mut thresholds.tokens),
                (latency, &mut thresholds.latency),
                (score, &mut thresholds.score),
                (error_rate, &mut thresholds.error_rate),
                (alpha, &mut thresholds.alpha),
            ];
            for (flag, field) in overrides {
                if let Some(value) = flag {
                    *field = value;
                }
            }
            if let Some(value) = min_samples {
                thresholds.min_samples = value;
            }
            let read = |path: PathBuf| -> Result<Side, String> {
                let mut side = Side::default();
                let inputs = Inputs {
                    paths: vec![path],
                    lenient,
                    details: false,
                };
                scan(&inputs, &mut side)?;
                Ok(side)
            };
            let outcome = command::diff::compare(&read(before)?, &read(after)?, thresholds);
            Ok((
                command::diff::render(&outcome, format),
                outcome.regressions() > 0,
            ))
        }
        Command::Report {
            input,
            output,
            traces,
            costliest,
            slowest,
        } => {
            let mut report = command::report::Report::new(costliest, slowest, traces);
            let scanned = scan(&input.inputs(false), &mut report)?;
            let sources: Vec<String> = if input.files.is_empty() {
                vec!["<stdin>".into()]
            } else {
                input
                    .files
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect()
            };
            let html = command::report::render(report, &scanned, &sources);
            std::fs::write(&output, html)
                .map_err(|error| format!("cannot write `{}`: {error}", output.display()))?;
            Ok((
                format!("wrote {} ({} traces)\n", output.display(), scanned.traces),
                false,
            ))
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok((text, regression)) => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth reporting.
            let _ = stdout.write_all(text.as_bytes());
            let _ = stdout.flush();
            if regression {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
