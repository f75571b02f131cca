//! Cost through spans: every reference case of `runtime/tests/data/cost-cases.json` (LiteLLM
//! 1.109.1's own results, see its `source` field; a copy of the project's shared reference
//! file) and our own one-hour cache-write cases go through a real `#[llm_call]` span, with the
//! usage reported in each provider's shape, and the span's cost attributes (total and every
//! part) must match to 1e-9 relative.
//!
//! The expected parts come from the case's own hand breakdown (tokens × rate per token class),
//! never from the pricing code.

use llmscope::testing::{attribute, TestTelemetry};
use opentelemetry::Value;
use opentelemetry_sdk::trace::SpanData;
use serde_json::Value as Json;

const CASES: &str = include_str!("../runtime/tests/data/cost-cases.json");

/// One call as the application makes it, in OpenTelemetry semantics: `input` includes every
/// cached token, `cache_write_5m` and `cache_write_1h` are disjoint, `output` includes reasoning.
#[derive(Debug, Clone)]
struct Call {
    id: String,
    provider: String,
    model: String,
    operation: String,
    tier: Option<String>,
    input: u64,
    output: u64,
    cache_read: u64,
    cache_write_5m: u64,
    cache_write_1h: u64,
    reasoning: u64,
}

/// The expected cost of a call, by part (USD); `None` for an unknown model (no cost at all).
#[derive(Debug, Clone, Copy)]
struct Expected {
    total: f64,
    input: f64,
    cache_read: f64,
    cache_write: f64,
    output: f64,
}

// ---- provider shapes ---------------------------------------------------------------------

/// OpenAI's shape: `prompt_tokens` includes cached tokens, `completion_tokens` includes
/// reasoning; the served model is reported back.
#[derive(llmscope::Usage)]
struct OpenAiLike {
    #[usage(response_model)]
    model: Option<String>,
    #[usage(input_tokens)]
    prompt_tokens: u64,
    #[usage(output_tokens)]
    completion_tokens: u64,
    #[usage(cache_read_tokens)]
    cached_tokens: u64,
    #[usage(cache_write_tokens)]
    cache_write_tokens: u64,
    #[usage(cache_write_1h_tokens)]
    cache_write_1h_tokens: u64,
    #[usage(reasoning_tokens)]
    reasoning_tokens: u64,
}

/// Anthropic's (and Bedrock Converse's) shape: `input_tokens` excludes cache reads and writes;
/// `cache_creation_input_tokens` counts every write, `ephemeral_1h_input_tokens` the 1-hour part.
#[derive(llmscope::Usage)]
#[usage(input_excludes_cache)]
struct AnthropicLike {
    #[usage(input_tokens)]
    input_tokens: u64,
    #[usage(output_tokens)]
    output_tokens: u64,
    #[usage(cache_read_tokens)]
    cache_read_input_tokens: Option<u64>,
    #[usage(cache_write_tokens)]
    cache_creation_input_tokens: Option<u64>,
    #[usage(cache_write_1h_tokens)]
    ephemeral_1h_input_tokens: Option<u64>,
    #[usage(reasoning_tokens)]
    thinking_tokens: Option<u64>,
}

/// Gemini's shape: `candidatesTokenCount` excludes `thoughtsTokenCount`; the prompt count
/// includes `cachedContentTokenCount`.
#[derive(llmscope::Usage)]
#[usage(output_excludes_reasoning)]
struct GeminiLike {
    #[usage(response_model)]
    model_version: String,
    #[usage(input_tokens)]
    prompt_token_count: u64,
    #[usage(output_tokens)]
    candidates_token_count: u64,
    #[usage(reasoning_tokens)]
    thoughts_token_count: u64,
    #[usage(cache_read_tokens)]
    cached_content_token_count: u64,
    #[usage(cache_write_tokens)]
    cache_write_tokens: u64,
    #[usage(cache_write_1h_tokens)]
    cache_write_1h_tokens: u64,
}

#[derive(Clone, Copy, Debug)]
enum Shape {
    OpenAi,
    Anthropic,
    Gemini,
}

const SHAPES: [Shape; 3] = [Shape::OpenAi, Shape::Anthropic, Shape::Gemini];

fn openai_like(call: &Call) -> OpenAiLike {
    OpenAiLike {
        model: Some(call.model.clone()),
        prompt_tokens: call.input,
        completion_tokens: call.output,
        cached_tokens: call.cache_read,
        cache_write_tokens: call.cache_write_5m + call.cache_write_1h,
        cache_write_1h_tokens: call.cache_write_1h,
        reasoning_tokens: call.reasoning,
    }
}

fn anthropic_like(call: &Call) -> AnthropicLike {
    let writes = call.cache_write_5m + call.cache_write_1h;
    AnthropicLike {
        input_tokens: call.input - call.cache_read - writes,
        output_tokens: call.output,
        cache_read_input_tokens: Some(call.cache_read),
        cache_creation_input_tokens: Some(writes),
        ephemeral_1h_input_tokens: Some(call.cache_write_1h),
        thinking_tokens: (call.reasoning > 0).then_some(call.reasoning),
    }
}

fn gemini_like(call: &Call) -> GeminiLike {
    GeminiLike {
        model_version: call.model.clone(),
        prompt_token_count: call.input,
        candidates_token_count: call.output - call.reasoning,
        thoughts_token_count: call.reasoning,
        cached_content_token_count: call.cache_read,
        cache_write_tokens: call.cache_write_5m + call.cache_write_1h,
        cache_write_1h_tokens: call.cache_write_1h,
    }
}

// ---- the annotated calls: request values come in as arguments -----------------------------

#[llmscope::llm_call(provider = provider, model = model, service_tier = tier)]
fn chat_openai_like(provider: &str, model: &str, tier: Option<&str>, call: &Call) -> OpenAiLike {
    openai_like(call)
}

#[llmscope::llm_call(provider = provider, model = model, service_tier = tier)]
fn chat_anthropic_like(
    provider: &str,
    model: &str,
    tier: Option<&str>,
    call: &Call,
) -> AnthropicLike {
    anthropic_like(call)
}

#[llmscope::llm_call(provider = provider, model = model, service_tier = tier)]
fn chat_gemini_like(provider: &str, model: &str, tier: Option<&str>, call: &Call) -> GeminiLike {
    gemini_like(call)
}

#[llmscope::llm_call(operation = "embeddings", provider = provider, model = model, service_tier = tier)]
fn embed_openai_like(provider: &str, model: &str, tier: Option<&str>, call: &Call) -> OpenAiLike {
    openai_like(call)
}

#[llmscope::rag_stage(embed, provider = provider, model = model, service_tier = tier)]
fn embed_stage(provider: &str, model: &str, tier: Option<&str>, call: &Call) -> OpenAiLike {
    openai_like(call)
}

/// Makes `call` through the annotated function for `shape` and returns its one span.
fn span_of(call: &Call, shape: Shape) -> SpanData {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        let (provider, model, tier) = (&call.provider, &call.model, call.tier.as_deref());
        match (call.operation.as_str(), shape) {
            ("chat", Shape::OpenAi) => drop(chat_openai_like(provider, model, tier, call)),
            ("chat", Shape::Anthropic) => drop(chat_anthropic_like(provider, model, tier, call)),
            ("chat", Shape::Gemini) => drop(chat_gemini_like(provider, model, tier, call)),
            ("embeddings", Shape::OpenAi) => drop(embed_openai_like(provider, model, tier, call)),
            // Embedding APIs have one shape; the other slot goes through `#[rag_stage(embed)]`.
            ("embeddings", _) => drop(embed_stage(provider, model, tier, call)),
            (other, _) => panic!("{}: unknown operation {other}", call.id),
        }
    }
    let mut spans = telemetry.spans();
    assert_eq!(spans.len(), 1, "{}: one span per call", call.id);
    spans.pop().unwrap()
}

fn f64_attr(span: &SpanData, key: &str) -> Option<f64> {
    match attribute(span, key) {
        Some(Value::F64(value)) => Some(*value),
        None => None,
        Some(other) => panic!("{key} is {other:?}, not a double"),
    }
}

fn int_attr(span: &SpanData, key: &str) -> Option<i64> {
    match attribute(span, key) {
        Some(Value::I64(value)) => Some(*value),
        None => None,
        Some(other) => panic!("{key} is {other:?}, not an integer"),
    }
}

/// Relative 1e-9 (the reference file's tolerance); an expected 0 must be exactly 0.
fn close(actual: f64, expected: f64) -> bool {
    actual == expected || (actual - expected).abs() <= 1e-9 * expected.abs()
}

/// Checks one span against `expected`, returning every mismatch.
fn check_span(call: &Call, shape: Shape, expected: Option<Expected>) -> Vec<String> {
    let span = span_of(call, shape);
    let label = format!("{} ({shape:?} shape)", call.id);
    let mut failures = Vec::new();
    // The shapes differ; the span's usage is always in OTel semantics.
    let counts = [
        ("gen_ai.usage.input_tokens", call.input),
        ("gen_ai.usage.output_tokens", call.output),
    ];
    for (key, want) in counts {
        if int_attr(&span, key) != Some(want as i64) {
            failures.push(format!(
                "{label}: {key} {:?} != {want}",
                int_attr(&span, key)
            ));
        }
    }
    let Some(expected) = expected else {
        for key in [
            "llm.cost.total",
            "llmscope.cost.input",
            "llmscope.cost.output",
        ] {
            if attribute(&span, key).is_some() {
                failures.push(format!(
                    "{label}: unknown model, but {key} = {:?}",
                    attribute(&span, key)
                ));
            }
        }
        return failures;
    };
    let parts = [
        ("llm.cost.total", expected.total),
        ("llmscope.cost.input", expected.input),
        ("llmscope.cost.cache_read", expected.cache_read),
        ("llmscope.cost.cache_write", expected.cache_write),
        ("llmscope.cost.output", expected.output),
        (
            "llm.cost.prompt",
            expected.input + expected.cache_read + expected.cache_write,
        ),
        ("llm.cost.completion", expected.output),
    ];
    for (key, want) in parts {
        match f64_attr(&span, key) {
            Some(actual) if close(actual, want) => {}
            actual => failures.push(format!("{label}: {key} {actual:?} != {want}")),
        }
    }
    failures
}

// ---- the reference cases -----------------------------------------------------------------

fn count(usage: &Json, key: &str) -> u64 {
    usage.get(key).and_then(Json::as_u64).unwrap_or(0)
}

fn call_of(case: &Json) -> Call {
    let usage = &case["usage"];
    let text = |key: &str| case[key].as_str().unwrap().to_owned();
    Call {
        id: text("id"),
        provider: text("provider"),
        model: text("model"),
        operation: text("operation"),
        tier: usage["service_tier"].as_str().map(str::to_owned),
        input: count(usage, "input_tokens"),
        output: count(usage, "output_tokens"),
        cache_read: count(usage, "cache_read_input_tokens"),
        cache_write_5m: count(usage, "cache_write_input_tokens"),
        cache_write_1h: count(usage, "cache_write_1h_input_tokens"),
        reasoning: count(usage, "reasoning_output_tokens"),
    }
}

/// The parts from the case's hand breakdown (tokens × rate for each token class), checked
/// against the case's expected total, input and output. The one case whose expected figures
/// are LiteLLM's and not the plain reading (xAI's inclusive threshold) gets its parts from
/// `xai_boundary_parts`.
fn expected_of(case: &Json) -> Option<Expected> {
    let expected = case
        .get("expected_cost_usd")
        .filter(|value| !value.is_null())?;
    let want = |key: &str| expected[key].as_f64().unwrap();
    let id = case["id"].as_str().unwrap();
    let mut parts = Expected {
        total: want("total"),
        input: 0.0,
        cache_read: 0.0,
        cache_write: 0.0,
        output: 0.0,
    };
    for line in case["hand_breakdown"].as_array().unwrap() {
        let cost = line["tokens"].as_f64().unwrap() * line["rate"].as_f64().unwrap();
        let class = line["token_class"].as_str().unwrap();
        match class {
            "uncached_input" => parts.input += cost,
            "cache_read" => parts.cache_read += cost,
            "cache_write_5m" | "cache_write_1h" => parts.cache_write += cost,
            "text_output" | "reasoning_output" => parts.output += cost,
            other => panic!("{id}: unknown token class {other}"),
        }
    }
    if id == "xai-grok-4.3-at-200k-boundary" {
        parts = xai_boundary_parts();
    }
    let prompt = parts.input + parts.cache_read + parts.cache_write;
    assert!(
        close(parts.total, prompt + parts.output)
            && close(want("input"), prompt)
            && close(want("output"), parts.output),
        "{id}: the hand breakdown {parts:?} does not add up to the expected {expected}"
    );
    Some(parts)
}

/// xAI's long-context rates apply once the prompt *reaches* 200k (LiteLLM and xAI; the case's
/// hand breakdown reads the key literally). `xai/grok-4.3`, above 200k:
/// `input_cost_per_token_above_200k_tokens` 2.5e-6, `cache_read_input_token_cost_above_200k_tokens`
/// 4e-7, `output_cost_per_token_above_200k_tokens` 5e-6.
fn xai_boundary_parts() -> Expected {
    let input = 100_000.0 * 2.5e-6; // 0.25
    let cache_read = 100_000.0 * 4e-7; // 0.04
    let output = 1_000.0 * 5e-6; // 0.005
    Expected {
        total: input + cache_read + output, // 0.295, the case's expected total
        input,
        cache_read,
        cache_write: 0.0,
        output,
    }
}

#[test]
fn every_reference_case_is_priced_on_its_span_in_every_usage_shape() {
    let cases: Json = serde_json::from_str(CASES).unwrap();
    let cases = cases["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 85, "the reference file has 85 cases");
    let mut failures = Vec::new();
    let mut priced = 0;
    for case in cases {
        let call = call_of(case);
        let expected = expected_of(case);
        priced += usize::from(expected.is_some());
        for shape in SHAPES {
            failures.extend(check_span(&call, shape, expected));
        }
    }
    assert_eq!(priced, 80, "80 priced cases, 5 unknown models");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---- our own one-hour cache-write cases ------------------------------------------------------

/// A per-token price quoted below, checked against the price table so a typo cannot hide.
fn quoted(entry: &str, key: &str, rate: f64) -> f64 {
    static TABLE: std::sync::OnceLock<Json> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/runtime/data/litellm-1.109.1.json"
        );
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|error| panic!("cannot read the price table {path}: {error}"));
        serde_json::from_str(&text).unwrap()
    });
    assert_eq!(
        table[entry][key].as_f64(),
        Some(rate),
        "price table {entry}.{key}"
    );
    rate
}

#[allow(clippy::too_many_arguments)]
fn call(
    id: &str,
    provider: &str,
    model: &str,
    input: u64,
    cache_read: u64,
    cache_write_5m: u64,
    cache_write_1h: u64,
    output: u64,
) -> Call {
    Call {
        id: id.to_owned(),
        provider: provider.to_owned(),
        model: model.to_owned(),
        operation: "chat".to_owned(),
        tier: None,
        input,
        output,
        cache_read,
        cache_write_5m,
        cache_write_1h,
        reasoning: 0,
    }
}

fn expected(input: f64, cache_read: f64, cache_write: f64, output: f64) -> Expected {
    Expected {
        total: input + cache_read + cache_write + output,
        input,
        cache_read,
        cache_write,
        output,
    }
}

fn one_hour_cases() -> Vec<(Call, Expected)> {
    let mut cases = Vec::new();

    // 1-hour writes alone. claude-haiku-4-5 (anthropic): input_cost_per_token 1e-6,
    // cache_creation_input_token_cost_above_1hr 2e-6, output_cost_per_token 5e-6.
    // 20,000 input of which 15,000 written for 1 hour: 5,000 uncached.
    //   5,000 × 1e-6 = 0.005; 15,000 × 2e-6 = 0.03; 500 × 5e-6 = 0.0025; total 0.0375.
    let e = "claude-haiku-4-5";
    cases.push((
        call("1h-alone", "anthropic", e, 20_000, 0, 0, 15_000, 500),
        expected(
            5_000.0 * quoted(e, "input_cost_per_token", 1e-6),
            0.0,
            15_000.0 * quoted(e, "cache_creation_input_token_cost_above_1hr", 2e-6),
            500.0 * quoted(e, "output_cost_per_token", 5e-6),
        ),
    ));

    // 1-hour writes with reads. claude-sonnet-4-6 (anthropic): input 3e-6,
    // cache_read_input_token_cost 3e-7, cache_creation_input_token_cost_above_1hr 6e-6, output 1.5e-5.
    // 100,000 input = 80,000 read + 12,000 written (1 h) + 8,000 uncached.
    //   8,000 × 3e-6 = 0.024; 80,000 × 3e-7 = 0.024; 12,000 × 6e-6 = 0.072; 1,000 × 1.5e-5 = 0.015;
    //   total 0.135.
    let e = "claude-sonnet-4-6";
    cases.push((
        call(
            "1h-with-reads",
            "anthropic",
            e,
            100_000,
            80_000,
            0,
            12_000,
            1_000,
        ),
        expected(
            8_000.0 * quoted(e, "input_cost_per_token", 3e-6),
            80_000.0 * quoted(e, "cache_read_input_token_cost", 3e-7),
            12_000.0 * quoted(e, "cache_creation_input_token_cost_above_1hr", 6e-6),
            1_000.0 * quoted(e, "output_cost_per_token", 1.5e-5),
        ),
    ));

    // 1-hour writes with reads and 5-minute writes. claude-opus-4-6 (anthropic): input 5e-6,
    // cache_read 5e-7, cache_creation_input_token_cost 6.25e-6 (5 min),
    // cache_creation_input_token_cost_above_1hr 1e-5, output 2.5e-5.
    // 50,000 input = 30,000 read + 4,000 written (5 min) + 6,000 written (1 h) + 10,000 uncached.
    //   10,000 × 5e-6 = 0.05; 30,000 × 5e-7 = 0.015; 4,000 × 6.25e-6 + 6,000 × 1e-5 = 0.025 + 0.06
    //   = 0.085; 2,000 × 2.5e-5 = 0.05; total 0.2.
    let e = "claude-opus-4-6";
    cases.push((
        call(
            "1h-reads-and-5m",
            "anthropic",
            e,
            50_000,
            30_000,
            4_000,
            6_000,
            2_000,
        ),
        expected(
            10_000.0 * quoted(e, "input_cost_per_token", 5e-6),
            30_000.0 * quoted(e, "cache_read_input_token_cost", 5e-7),
            4_000.0 * quoted(e, "cache_creation_input_token_cost", 6.25e-6)
                + 6_000.0 * quoted(e, "cache_creation_input_token_cost_above_1hr", 1e-5),
            2_000.0 * quoted(e, "output_cost_per_token", 2.5e-5),
        ),
    ));

    // Above the long-context threshold on Bedrock: anthropic.claude-sonnet-4-5-20250929-v1:0
    // (bedrock_converse). 250,000 input > 200k, so every class takes its `_above_200k_tokens`
    // rate: input 6e-6, cache_read 6e-7, cache_creation 7.5e-6,
    // cache_creation_input_token_cost_above_1hr_above_200k_tokens 1.2e-5, output 2.25e-5.
    // 250,000 = 150,000 read + 20,000 (5 min) + 30,000 (1 h) + 50,000 uncached.
    //   50,000 × 6e-6 = 0.3; 150,000 × 6e-7 = 0.09; 20,000 × 7.5e-6 + 30,000 × 1.2e-5 = 0.15 + 0.36
    //   = 0.51; 3,000 × 2.25e-5 = 0.0675; total 0.9675.
    let e = "anthropic.claude-sonnet-4-5-20250929-v1:0";
    cases.push((
        call(
            "1h-bedrock-above-200k",
            "aws.bedrock",
            e,
            250_000,
            150_000,
            20_000,
            30_000,
            3_000,
        ),
        expected(
            50_000.0 * quoted(e, "input_cost_per_token_above_200k_tokens", 6e-6),
            150_000.0 * quoted(e, "cache_read_input_token_cost_above_200k_tokens", 6e-7),
            20_000.0
                * quoted(
                    e,
                    "cache_creation_input_token_cost_above_200k_tokens",
                    7.5e-6,
                )
                + 30_000.0
                    * quoted(
                        e,
                        "cache_creation_input_token_cost_above_1hr_above_200k_tokens",
                        1.2e-5,
                    ),
            3_000.0 * quoted(e, "output_cost_per_token_above_200k_tokens", 2.25e-5),
        ),
    ));

    // Bedrock cross-region id, its own entry with the regional premium, 1-hour writes and reads,
    // nothing uncached. us.anthropic.claude-sonnet-4-5-20250929-v1:0: cache_read 3.3e-7,
    // cache_creation_input_token_cost_above_1hr 6.6e-6, output 1.65e-5.
    // 30,000 input = 10,000 read + 20,000 written (1 h).
    //   10,000 × 3.3e-7 = 0.0033; 20,000 × 6.6e-6 = 0.132; 1,000 × 1.65e-5 = 0.0165; total 0.1518.
    let e = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
    cases.push((
        call(
            "1h-bedrock-regional",
            "aws.bedrock",
            e,
            30_000,
            10_000,
            0,
            20_000,
            1_000,
        ),
        expected(
            0.0,
            10_000.0 * quoted(e, "cache_read_input_token_cost", 3.3e-7),
            20_000.0 * quoted(e, "cache_creation_input_token_cost_above_1hr", 6.6e-6),
            1_000.0 * quoted(e, "output_cost_per_token", 1.65e-5),
        ),
    ));

    // Above the threshold on Vertex: vertex_ai/claude-sonnet-4-5 (model name pinned with `@`).
    // Above 200k: input 6e-6, cache_read 6e-7,
    // cache_creation_input_token_cost_above_1hr_above_200k_tokens 1.2e-5, output 2.25e-5.
    // 300,000 = 200,000 read + 40,000 (1 h) + 60,000 uncached.
    //   60,000 × 6e-6 = 0.36; 200,000 × 6e-7 = 0.12; 40,000 × 1.2e-5 = 0.48; 4,000 × 2.25e-5 = 0.09;
    //   total 1.05.
    let e = "vertex_ai/claude-sonnet-4-5";
    cases.push((
        call(
            "1h-vertex-above-200k",
            "gcp.vertex_ai",
            "claude-sonnet-4-5@20990101",
            300_000,
            200_000,
            0,
            40_000,
            4_000,
        ),
        expected(
            60_000.0 * quoted(e, "input_cost_per_token_above_200k_tokens", 6e-6),
            200_000.0 * quoted(e, "cache_read_input_token_cost_above_200k_tokens", 6e-7),
            40_000.0
                * quoted(
                    e,
                    "cache_creation_input_token_cost_above_1hr_above_200k_tokens",
                    1.2e-5,
                ),
            4_000.0 * quoted(e, "output_cost_per_token_above_200k_tokens", 2.25e-5),
        ),
    ));

    // Exactly at the threshold on Vertex: 200,000 is not above 200k, standard rates:
    // cache_read 3e-7, cache_creation_input_token_cost_above_1hr 6e-6, output 1.5e-5.
    // 200,000 = 150,000 read + 50,000 (1 h).
    //   150,000 × 3e-7 = 0.045; 50,000 × 6e-6 = 0.3; 1,000 × 1.5e-5 = 0.015; total 0.36.
    cases.push((
        call(
            "1h-vertex-at-200k",
            "gcp.vertex_ai",
            "claude-sonnet-4-5",
            200_000,
            150_000,
            0,
            50_000,
            1_000,
        ),
        expected(
            0.0,
            150_000.0 * quoted(e, "cache_read_input_token_cost", 3e-7),
            50_000.0 * quoted(e, "cache_creation_input_token_cost_above_1hr", 6e-6),
            1_000.0 * quoted(e, "output_cost_per_token", 1.5e-5),
        ),
    ));

    cases
}

#[test]
fn one_hour_cache_writes_are_billed_once_at_the_one_hour_rate() {
    let cases = one_hour_cases();
    // The hand totals written in the comments above.
    let totals: Vec<f64> = cases.iter().map(|(_, expected)| expected.total).collect();
    for (actual, written) in totals
        .iter()
        .zip([0.0375, 0.135, 0.2, 0.9675, 0.1518, 1.05, 0.36])
    {
        assert!(close(*actual, written), "{actual} != {written}");
    }
    let mut failures = Vec::new();
    for (call, expected) in &cases {
        for shape in SHAPES {
            failures.extend(check_span(call, shape, Some(*expected)));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_span_reports_all_cache_writes_and_the_one_hour_part() {
    let (call, _) = one_hour_cases()
        .into_iter()
        .find(|(call, _)| call.id == "1h-reads-and-5m")
        .unwrap();
    for shape in SHAPES {
        let span = span_of(&call, shape);
        assert_eq!(
            int_attr(&span, "gen_ai.usage.cache_creation.input_tokens"),
            Some(10_000),
            "{shape:?}: all cache writes"
        );
        assert_eq!(
            int_attr(&span, "llmscope.usage.cache_creation_1h.input_tokens"),
            Some(6_000),
            "{shape:?}: the one-hour part"
        );
        assert_eq!(
            int_attr(&span, "gen_ai.usage.cache_read.input_tokens"),
            Some(30_000),
            "{shape:?}"
        );
    }
}
