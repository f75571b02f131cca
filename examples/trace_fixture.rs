//! Simulated production traffic written to JSONL files: the fixtures of the `llmscope` command
//! line's tests, and a way to try the CLI on more than one trace.
//!
//! Each trace is one request of a small app: a support answer (`gpt-4o-mini`, cached
//! system prompt, an online relevance evaluation), a thread summary (`claude-haiku-4-5`,
//! streamed: time to first chunk recorded), a translation (`gemini-2.5-flash`), the RAG
//! pipeline of `examples/common/rag.rs` or the research agent of `examples/common/agent.rs`.
//! Token counts, latencies, users, errors (`rate_limit`, `timeout`) and evaluation scores are
//! drawn from a random generator with a fixed seed; providers are simulated (no network), but
//! spans go through the real `#[llm_call]` path, a batch processor and the JSONL exporter.
//!
//! ```sh
//! # every fixture of cli/tests/fixtures (the golden file and the diff pairs), one command:
//! cargo run --example trace_fixture -- --fixtures cli/tests/fixtures
//! # one file: a variant of the traffic, a seed and a number of traces
//! cargo run --example trace_fixture -- --out traces.jsonl --variant cost-regression --seed 3 --traces 200
//! ```
//!
//! Variants (what changes against `baseline`; the CLI's `diff` must find it from the data):
//! - `cost-regression`: the `support_answer` prompts and answers are 30 % longer (tokens and
//!   cost per call +30 %);
//! - `improvement`: `summarise_thread` is 40 % faster and uses 30 % fewer tokens;
//! - `noise`: nothing; only the seed differs.

#[path = "common/agent.rs"]
mod agent_scenario;
#[path = "common/rag.rs"]
mod rag_scenario;

use std::path::{Path, PathBuf};
use std::time::Duration;

use llmscope::export::{BatchProcessor, JsonlExporter};
use llmscope::opentelemetry::trace::{
    get_active_span, Span as _, Tracer as _, TracerProvider as _,
};
use llmscope::opentelemetry::trace::{FutureExt as _, TraceContextExt as _};
use llmscope::opentelemetry::KeyValue;
use llmscope::opentelemetry_sdk::trace::SdkTracerProvider;

/// What differs from the baseline traffic.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Variant {
    Baseline,
    CostRegression,
    Improvement,
    Noise,
}

impl Variant {
    fn parse(text: &str) -> Result<Self, String> {
        match text {
            "baseline" => Ok(Self::Baseline),
            "cost-regression" => Ok(Self::CostRegression),
            "improvement" => Ok(Self::Improvement),
            "noise" => Ok(Self::Noise),
            other => Err(format!(
                "unknown `--variant` `{other}`; expected baseline, cost-regression, improvement or noise"
            )),
        }
    }

    /// Token multiplier for a feature.
    fn tokens(self, feature: &str) -> f64 {
        match (self, feature) {
            (Self::CostRegression, "support_answer") => 1.3,
            (Self::Improvement, "summarise_thread") => 0.7,
            _ => 1.0,
        }
    }

    /// Latency multiplier for a feature.
    fn latency(self, feature: &str) -> f64 {
        match (self, feature) {
            (Self::Improvement, "summarise_thread") => 0.6,
            _ => 1.0,
        }
    }
}

/// SplitMix64: a small, well-mixed generator; the same seed gives the same traffic.
#[derive(Debug, Clone)]
struct Random(u64);

impl Random {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Log-normal around `median` with log-space spread `sigma` (skewed, like real latencies
    /// and token counts).
    fn log_normal(&mut self, median: f64, sigma: f64) -> f64 {
        // Box–Muller.
        let u1 = self.unit().max(f64::MIN_POSITIVE);
        let u2 = self.unit();
        let normal = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        median * (sigma * normal).exp()
    }
}

/// Everything one simulated call needs, drawn before the call.
#[derive(Debug, Clone)]
struct Draw {
    user: String,
    input_tokens: u32,
    output_tokens: u32,
    cached_tokens: u32,
    latency: Duration,
    fails: Option<&'static str>,
    score: f64,
}

/// A provider error with its taxonomy class.
#[derive(Debug)]
struct ProviderError(&'static str);

impl std::fmt::Display for ProviderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "simulated provider error: {}", self.0)
    }
}

impl llmscope::ErrorType for ProviderError {
    fn error_type(&self) -> &str {
        self.0
    }
}

/// OpenAI/Gemini-style usage: input includes cached tokens.
#[derive(llmscope::Usage)]
struct Reply {
    #[usage(response_model)]
    model: String,
    #[usage(input_tokens)]
    prompt_tokens: u32,
    #[usage(output_tokens)]
    completion_tokens: u32,
    #[usage(cache_read_tokens)]
    cached_tokens: Option<u32>,
    #[usage(finish_reason)]
    finish_reason: String,
}

/// Anthropic-style usage: input excludes cache reads.
#[derive(llmscope::Usage)]
#[usage(input_excludes_cache)]
struct AnthropicReply {
    #[usage(response_model)]
    model: String,
    #[usage(input_tokens)]
    input_tokens: u32,
    #[usage(output_tokens)]
    output_tokens: u32,
    #[usage(cache_read_tokens)]
    cache_read_input_tokens: u32,
    #[usage(finish_reason)]
    stop_reason: String,
}

/// Marks the current span with the user, as an app does for per-user cost.
fn tag_user(user: &str) {
    get_active_span(|span| span.set_attribute(KeyValue::new("user.id", user.to_owned())));
}

#[llmscope::llm_call(provider = "openai", model = model, temperature = 0.2, feature = "support_answer")]
async fn support_answer(model: &str, draw: &Draw) -> Result<Reply, ProviderError> {
    tag_user(&draw.user);
    tokio::time::sleep(draw.latency).await;
    if let Some(class) = draw.fails {
        return Err(ProviderError(class));
    }
    // Online evaluation of the answer, attached to the evaluated span.
    get_active_span(|span| {
        span.add_event(
            "gen_ai.evaluation.result",
            vec![
                KeyValue::new("gen_ai.evaluation.name", "relevance"),
                KeyValue::new("gen_ai.evaluation.score.value", draw.score),
                KeyValue::new(
                    "gen_ai.evaluation.score.label",
                    if draw.score >= 0.5 { "pass" } else { "fail" },
                ),
            ],
        );
    });
    Ok(Reply {
        model: format!("{model}-2024-08-06"),
        prompt_tokens: draw.input_tokens,
        completion_tokens: draw.output_tokens,
        cached_tokens: Some(draw.cached_tokens),
        finish_reason: "stop".to_owned(),
    })
}

#[llmscope::llm_call(
    provider = "anthropic",
    model = "claude-haiku-4-5",
    max_tokens = 1024,
    feature = "summarise_thread"
)]
async fn summarise_thread(draw: &Draw) -> Result<AnthropicReply, ProviderError> {
    tag_user(&draw.user);
    // Streamed: the first chunk arrives after about a quarter of the call.
    let first_chunk = draw.latency.mul_f64(0.25);
    tokio::time::sleep(first_chunk).await;
    get_active_span(|span| {
        span.set_attribute(KeyValue::new("gen_ai.request.stream", true));
        span.set_attribute(KeyValue::new(
            "gen_ai.response.time_to_first_chunk",
            first_chunk.as_secs_f64(),
        ));
    });
    tokio::time::sleep(draw.latency - first_chunk).await;
    if let Some(class) = draw.fails {
        return Err(ProviderError(class));
    }
    Ok(AnthropicReply {
        model: "claude-haiku-4-5-20251001".to_owned(),
        input_tokens: draw.input_tokens - draw.cached_tokens,
        output_tokens: draw.output_tokens,
        cache_read_input_tokens: draw.cached_tokens,
        stop_reason: if draw.output_tokens > 900 {
            "length"
        } else {
            "end_turn"
        }
        .to_owned(),
    })
}

#[llmscope::llm_call(
    provider = "gcp.gemini",
    model = "gemini-2.5-flash",
    feature = "translate"
)]
async fn translate(draw: &Draw) -> Result<Reply, ProviderError> {
    tag_user(&draw.user);
    tokio::time::sleep(draw.latency).await;
    if let Some(class) = draw.fails {
        return Err(ProviderError(class));
    }
    Ok(Reply {
        model: "gemini-2.5-flash".to_owned(),
        prompt_tokens: draw.input_tokens,
        completion_tokens: draw.output_tokens,
        cached_tokens: None,
        finish_reason: "stop".to_owned(),
    })
}

/// Draws one call of `feature`: `input` and `output` are median token counts, `millis` the
/// median latency.
fn draw(
    random: &mut Random,
    variant: Variant,
    feature: &str,
    (input, output, millis): (f64, f64, f64),
) -> Draw {
    let scale = variant.tokens(feature);
    let input_tokens = (random.log_normal(input, 0.25) * scale).round().max(16.0) as u32;
    let output_tokens = (random.log_normal(output, 0.35) * scale).round().max(1.0) as u32;
    let cached_tokens = if random.unit() < 0.6 {
        // A cached system prompt: a multiple of 128 below the input.
        (input_tokens / 2 / 128) * 128
    } else {
        0
    };
    let latency_ms = random.log_normal(millis, 0.3) * variant.latency(feature);
    let roll = random.unit();
    let fails = if roll < 0.03 {
        Some("rate_limit")
    } else if roll < 0.05 {
        Some("timeout")
    } else {
        None
    };
    Draw {
        user: format!("u-{}", 1 + random.next_u64() % 6),
        input_tokens,
        output_tokens,
        cached_tokens,
        latency: Duration::from_secs_f64(latency_ms / 1000.0),
        fails,
        score: (0.55 + 0.4 * random.unit() - 0.1 * f64::from(u8::from(roll < 0.1))).min(1.0),
    }
}

/// One request of the simulated app, under its root span.
async fn request(
    index: usize,
    random: &mut Random,
    variant: Variant,
    provider: &SdkTracerProvider,
) {
    let kind = random.next_u64() % 20;
    if kind == 0 {
        rag_scenario::answer_question(provider, "How long do refunds take?")
            .await
            .expect("simulated rag pipeline succeeds");
        return;
    }
    if kind == 1 {
        let cx = llmscope::scoped(provider);
        agent_scenario::research("Is intermittent fasting effective?")
            .with_context(cx)
            .await
            .expect("simulated agent succeeds");
        return;
    }
    let tracer = provider.tracer("trace_fixture");
    let parent = llmscope::scoped(provider);
    let (root_name, feature) = match kind {
        2..=10 => ("POST /support/answer", "support_answer"),
        11..=16 => ("POST /threads/summary", "summarise_thread"),
        _ => ("POST /translate", "translate"),
    };
    let mut root = tracer.start_with_context(root_name, &parent);
    root.set_attribute(KeyValue::new("app.request.index", index as i64));
    let cx = parent.with_span(root);
    async {
        match feature {
            "support_answer" => {
                // Query rewrite, then the answer.
                let rewrite = draw(random, variant, feature, (420.0, 40.0, 9.0));
                if support_answer("gpt-4o-mini", &rewrite).await.is_ok() {
                    let answer = draw(random, variant, feature, (1800.0, 220.0, 24.0));
                    let _ = support_answer("gpt-4o-mini", &answer).await;
                }
            }
            "summarise_thread" => {
                let call = draw(random, variant, feature, (3200.0, 380.0, 30.0));
                let _ = summarise_thread(&call).await;
            }
            _ => {
                let call = draw(random, variant, feature, (600.0, 520.0, 14.0));
                let _ = translate(&call).await;
            }
        }
    }
    .with_context(cx.clone())
    .await;
    cx.span().end();
}

/// Writes `traces` requests (8 in flight) to `out`.
async fn write(out: &Path, variant: Variant, seed: u64, traces: usize) {
    let _ = std::fs::remove_file(out);
    let exporter = JsonlExporter::builder(out)
        .with_max_bytes(u64::MAX)
        .build()
        .unwrap_or_else(|error| panic!("cannot open `{}`: {error}", out.display()));
    let provider = SdkTracerProvider::builder()
        // Batches of 64 spans: files of several lines, as an app with steady traffic writes them.
        .with_span_processor(BatchProcessor::builder(exporter).with_max_batch(64).build())
        .build();
    let mut random = Random(seed);
    let mut pending = Vec::new();
    for index in 0..traces {
        // Each request gets its own generator, derived in order: the traffic depends on the
        // seed only, not on how the requests interleave.
        let mut own = Random(random.next_u64());
        let provider = provider.clone();
        pending.push(tokio::spawn(async move {
            request(index, &mut own, variant, &provider).await;
        }));
        if pending.len() == 8 {
            for task in pending.drain(..) {
                task.await.expect("request task");
            }
        }
    }
    for task in pending {
        task.await.expect("request task");
    }
    provider.shutdown().expect("flushed");
    println!(
        "wrote {} ({traces} traces, {variant:?}, seed {seed})",
        out.display()
    );
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mut out: Option<PathBuf> = None;
    let mut fixtures: Option<PathBuf> = None;
    let mut variant = Variant::Baseline;
    let mut seed = 1u64;
    let mut traces = 60usize;
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .unwrap_or_else(|| panic!("`{name}` needs a value"))
        };
        match arg.as_str() {
            "--out" => out = Some(PathBuf::from(value("--out"))),
            "--fixtures" => fixtures = Some(PathBuf::from(value("--fixtures"))),
            "--variant" => variant = Variant::parse(&value("--variant")).unwrap_or_else(|e| panic!("{e}")),
            "--seed" => seed = value("--seed").parse().expect("`--seed` is an integer"),
            "--traces" => traces = value("--traces").parse().expect("`--traces` is an integer"),
            other => panic!("unknown argument `{other}`; expected --out, --fixtures, --variant, --seed or --traces"),
        }
    }
    if let Some(dir) = fixtures {
        // The golden-output fixture, then the diff pairs: a baseline and three changed files,
        // each with its own seed.
        write(&dir.join("traces.jsonl"), Variant::Baseline, 1, 40).await;
        write(&dir.join("diff-before.jsonl"), Variant::Baseline, 11, 240).await;
        write(
            &dir.join("diff-cost-regression.jsonl"),
            Variant::CostRegression,
            12,
            240,
        )
        .await;
        write(
            &dir.join("diff-improvement.jsonl"),
            Variant::Improvement,
            13,
            240,
        )
        .await;
        write(&dir.join("diff-noise.jsonl"), Variant::Noise, 14, 240).await;
        return;
    }
    let out = out.unwrap_or_else(|| PathBuf::from("llmscope-traces.jsonl"));
    write(&out, variant, seed, traces).await;
}
