//! Cost on LLM spans: computed in-process, auditable, never guessed.
//!
//! Expected figures are computed here from the LiteLLM table itself
//! (runtime/data/litellm-1.109.1.json), independently of the registry code.

use llmscope::testing::{attribute, TestTelemetry};
use opentelemetry::Value;

fn table_price(model: &str, field: &str) -> f64 {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/runtime/data/litellm-1.109.1.json"
    );
    let table: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("price table")).unwrap();
    table[model][field]
        .as_f64()
        .unwrap_or_else(|| panic!("{model}.{field}"))
}

fn f64_attr(span: &opentelemetry_sdk::trace::SpanData, key: &str) -> Option<f64> {
    match attribute(span, key) {
        Some(Value::F64(v)) => Some(*v),
        None => None,
        other => panic!("{key} is {other:?}"),
    }
}

fn assert_close(actual: f64, expected: f64) {
    assert!(
        ((actual - expected) / expected).abs() < 1e-9,
        "{actual} != {expected}"
    );
}

#[derive(llmscope::Usage)]
struct Reply {
    #[usage(response_model)]
    model: &'static str,
    #[usage(input_tokens)]
    input: u32,
    #[usage(output_tokens)]
    output: u32,
    #[usage(cache_read_tokens)]
    cached: u32,
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o")]
fn openai() -> Reply {
    Reply {
        model: "gpt-4o-2024-08-06",
        input: 1117,
        output: 46,
        cached: 1024,
    }
}

#[test]
fn cached_tokens_are_billed_once_at_the_cache_rate() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        openai();
    }
    let span = telemetry.span("chat gpt-4o");
    let m = "gpt-4o-2024-08-06";
    let input = (1117.0 - 1024.0) * table_price(m, "input_cost_per_token");
    let cache_read = 1024.0 * table_price(m, "cache_read_input_token_cost");
    let output = 46.0 * table_price(m, "output_cost_per_token");
    assert_close(
        f64_attr(&span, "llmscope.cost.total").unwrap(),
        input + cache_read + output,
    );
    assert_close(
        f64_attr(&span, "llm.cost.total").unwrap(),
        input + cache_read + output,
    );
    assert_close(
        f64_attr(&span, "llm.cost.prompt").unwrap(),
        input + cache_read,
    );
    assert_close(f64_attr(&span, "llm.cost.completion").unwrap(), output);
    assert_close(f64_attr(&span, "llmscope.cost.input").unwrap(), input);
    assert_close(
        f64_attr(&span, "llmscope.cost.cache_read").unwrap(),
        cache_read,
    );
    // Semconv v1.41.0 has no cost attribute: the proposed one is opt-in (tests/conformance.rs).
    assert_eq!(attribute(&span, "gen_ai.usage.cost.amount"), None);
    assert_eq!(attribute(&span, "gen_ai.usage.cost.currency"), None);
    assert_eq!(
        attribute(&span, "llmscope.pricing.entry"),
        Some(&Value::from(m))
    );
    assert_eq!(
        attribute(&span, "llmscope.pricing.snapshot"),
        Some(&Value::from(
            llmscope::price_registry().snapshot_version().to_owned()
        ))
    );
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o", service_tier = "batch")]
fn openai_batch() -> Reply {
    Reply {
        model: "gpt-4o",
        input: 1000,
        output: 100,
        cached: 0,
    }
}

#[test]
fn the_service_tier_argument_selects_batch_prices() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        openai_batch();
    }
    let span = telemetry.span("chat gpt-4o");
    let expected = 1000.0 * table_price("gpt-4o", "input_cost_per_token_batches")
        + 100.0 * table_price("gpt-4o", "output_cost_per_token_batches");
    assert_close(f64_attr(&span, "llmscope.cost.total").unwrap(), expected);
    assert_eq!(
        attribute(&span, "llmscope.pricing.tier"),
        Some(&Value::from("batch"))
    );
}

#[derive(llmscope::Usage)]
#[usage(input_excludes_cache)]
struct AnthropicReply {
    #[usage(input_tokens)]
    input_tokens: u64,
    #[usage(output_tokens)]
    output_tokens: u64,
    #[usage(cache_read_tokens)]
    cache_read: u64,
    #[usage(cache_write_tokens)]
    cache_write: u64,
}

#[llmscope::llm_call(provider = "anthropic", model = "claude-sonnet-4-5-20250929")]
fn anthropic() -> AnthropicReply {
    AnthropicReply {
        input_tokens: 247,
        output_tokens: 384,
        cache_read: 8000,
        cache_write: 1500,
    }
}

#[test]
fn anthropic_exclusive_input_is_not_double_billed() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        anthropic();
    }
    let span = telemetry.span("chat claude-sonnet-4-5-20250929");
    let m = "claude-sonnet-4-5-20250929";
    let expected = 247.0 * table_price(m, "input_cost_per_token")
        + 8000.0 * table_price(m, "cache_read_input_token_cost")
        + 1500.0 * table_price(m, "cache_creation_input_token_cost")
        + 384.0 * table_price(m, "output_cost_per_token");
    assert_close(f64_attr(&span, "llmscope.cost.total").unwrap(), expected);
}

#[llmscope::llm_call(provider = "openai", model = "gpt-9-imaginary")]
fn unknown() -> Reply {
    Reply {
        model: "gpt-9-imaginary",
        input: 10,
        output: 10,
        cached: 0,
    }
}

#[test]
fn unknown_models_get_no_cost_and_are_counted() {
    let telemetry = TestTelemetry::new();
    let before = llmscope::unknown_models().calls();
    {
        let _guard = telemetry.context().attach();
        unknown();
        unknown();
    }
    for span in telemetry.spans() {
        assert_eq!(attribute(&span, "llmscope.cost.total"), None);
        assert_eq!(attribute(&span, "llm.cost.total"), None);
        assert_eq!(
            attribute(&span, "gen_ai.usage.input_tokens"),
            Some(&Value::I64(10))
        );
    }
    assert!(llmscope::unknown_models().calls() >= before + 2);
    assert!(llmscope::unknown_models()
        .models()
        .contains(&("openai".to_owned(), "gpt-9-imaginary".to_owned())));
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o", service_tier = tier)]
fn misspelt_tier(tier: &str) -> Reply {
    let _ = tier;
    Reply {
        model: "gpt-4o",
        input: 10,
        output: 10,
        cached: 0,
    }
}

#[test]
fn a_misspelt_runtime_tier_prices_nothing_rather_than_falling_back() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        misspelt_tier("priorty");
    }
    let span = telemetry.span("chat gpt-4o");
    assert_eq!(attribute(&span, "llmscope.cost.total"), None);
    assert_eq!(
        attribute(&span, "llmscope.request.service_tier"),
        Some(&Value::from("priorty"))
    );
}
