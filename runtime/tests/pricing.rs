//! Pricing registry: LiteLLM's reference cases, normalisation, every price component,
//! thresholds, service tiers, tiered pricing and overrides.

use std::path::PathBuf;

use llmscope_runtime::pricing::{
    ModelPrices, NormalisationStep, PriceRegistry, PriceRegistryBuilder, PriceSource, PriceTier,
    PricingError, ServiceTier, TokenCounts,
};
use serde_json::Value;

const CASES: &str = include_str!("data/cost-cases.json");

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() <= 1e-9 * expected.abs().max(f64::MIN_POSITIVE)
}

#[test]
fn reproduces_every_reference_case() {
    let cases: Value = serde_json::from_str(CASES).unwrap();
    let cases = cases["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 85);
    let registry = PriceRegistry::embedded();
    let mut failures = Vec::new();
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let usage = &case["usage"];
        let count = |key: &str| usage.get(key).and_then(Value::as_u64).unwrap_or(0);
        let tokens = TokenCounts {
            input_tokens: count("input_tokens"),
            output_tokens: count("output_tokens"),
            cache_read_tokens: count("cache_read_input_tokens"),
            cache_write_tokens: count("cache_write_input_tokens"),
            cache_write_1h_tokens: count("cache_write_1h_input_tokens"),
            reasoning_tokens: count("reasoning_output_tokens"),
        };
        let tier = usage["service_tier"]
            .as_str()
            .map_or(ServiceTier::Standard, |tier| tier.parse().unwrap());
        let provider = case["provider"].as_str().unwrap();
        let model = case["model"].as_str().unwrap();
        let priced = registry.cost(provider, model, &tokens, tier);
        match (case.get("expect_error").and_then(Value::as_str), priced) {
            (Some("unknown_model"), None) => {}
            (Some(error), Some((matched, cost))) => failures.push(format!(
                "{id}: expected {error}, priced {} as {matched}",
                cost.total
            )),
            (None, None) => failures.push(format!("{id}: no price for {provider} {model}")),
            (None, Some((matched, cost))) => {
                let expected = &case["expected_cost_usd"];
                let want = |key: &str| expected[key].as_f64().unwrap();
                if matched.key() != case["entry_key"].as_str().unwrap() {
                    failures.push(format!(
                        "{id}: matched {matched}, expected {}",
                        case["entry_key"]
                    ));
                }
                let parts = [
                    ("total", cost.total, want("total")),
                    ("input", cost.prompt(), want("input")),
                    ("output", cost.output, want("output")),
                ];
                for (part, actual, expected) in parts {
                    if !close(actual, expected) {
                        failures.push(format!("{id}: {part} {actual} != {expected}"));
                    }
                }
                if !close(
                    cost.total,
                    cost.input + cost.cache_read + cost.cache_write + cost.output,
                ) {
                    failures.push(format!("{id}: parts do not add up"));
                }
            }
            (Some(other), None) => failures.push(format!("{id}: unexpected expect_error {other}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn key_of(provider: &str, model: &str) -> Option<String> {
    PriceRegistry::embedded()
        .lookup(provider, model)
        .map(|matched| matched.key().to_owned())
}

#[test]
fn normalises_each_name_form() {
    let registry = PriceRegistry::embedded();
    // Dated: the exact entry wins; otherwise the date is removed.
    let exact = registry.lookup("openai", "gpt-4o-2024-08-06").unwrap();
    assert_eq!(
        (exact.key(), exact.normalisation().is_exact()),
        ("gpt-4o-2024-08-06", true)
    );
    let dated = registry.lookup("openai", "gpt-4o-2099-01-01").unwrap();
    assert_eq!(dated.key(), "gpt-4o");
    assert!(dated
        .normalisation()
        .contains(NormalisationStep::SnapshotDate));
    // Provider prefixes.
    for (provider, model, key) in [
        ("openai", "openai/gpt-4o", "gpt-4o"),
        ("openai", "openai/gpt-4o-2099-01-01", "gpt-4o"),
        ("azure.ai.openai", "azure/gpt-4o", "azure/gpt-4o"),
        ("azure.ai.openai", "gpt-4o", "azure/gpt-4o"),
        (
            "gcp.gemini",
            "gemini/gemini-2.5-pro",
            "gemini/gemini-2.5-pro",
        ),
        (
            "gcp.gemini",
            "models/gemini-2.5-pro",
            "gemini/gemini-2.5-pro",
        ),
        (
            "anthropic",
            "anthropic/claude-sonnet-4-5",
            "claude-sonnet-4-5",
        ),
        (
            "groq",
            "groq/openai/gpt-oss-120b",
            "groq/openai/gpt-oss-120b",
        ),
    ] {
        assert_eq!(
            key_of(provider, model).as_deref(),
            Some(key),
            "{provider} {model}"
        );
    }
    let prefixed = registry.lookup("openai", "openai/gpt-4o").unwrap();
    assert_eq!(
        prefixed.normalisation().to_string(),
        "provider prefix removed"
    );
    // Bedrock ids: base, regional entries with their premium, a region without an entry.
    let base = "anthropic.claude-sonnet-4-5-20250929-v1:0";
    assert_eq!(key_of("aws.bedrock", base).as_deref(), Some(base));
    for region in ["us", "eu", "global", "jp"] {
        let id = format!("{region}.{base}");
        assert_eq!(key_of("aws.bedrock", &id), Some(id.clone()));
    }
    let us = registry
        .lookup("aws.bedrock", &format!("us.{base}"))
        .unwrap();
    let plain = registry.lookup("aws.bedrock", base).unwrap();
    assert!(
        us.prices().get("input_cost_per_token").unwrap()
            > plain.prices().get("input_cost_per_token").unwrap(),
        "regional premium"
    );
    let stripped = registry
        .lookup("aws.bedrock", &format!("ca.{base}"))
        .unwrap();
    assert_eq!(stripped.key(), base);
    assert!(stripped
        .normalisation()
        .contains(NormalisationStep::RegionPrefix));
    let arn = format!("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{base}");
    assert_eq!(key_of("aws.bedrock", &arn), Some(format!("us.{base}")));
    assert_eq!(
        key_of("aws.bedrock", &format!("bedrock/{base}")).as_deref(),
        Some(base)
    );
    // Vertex ids.
    assert_eq!(
        key_of("gcp.vertex_ai", "claude-sonnet-4-5").as_deref(),
        Some("vertex_ai/claude-sonnet-4-5")
    );
    assert_eq!(
        key_of("gcp.vertex_ai", "claude-3-5-haiku@20241022").as_deref(),
        Some("vertex_ai/claude-3-5-haiku@20241022")
    );
    let pinned = registry
        .lookup("gcp.vertex_ai", "claude-sonnet-4-5@20990101")
        .unwrap();
    assert_eq!(pinned.key(), "vertex_ai/claude-sonnet-4-5");
    assert!(pinned
        .normalisation()
        .contains(NormalisationStep::VersionPin));
    assert_eq!(
        key_of(
            "gcp.vertex_ai",
            "projects/p/locations/us-central1/publishers/google/models/gemini-2.5-pro"
        )
        .as_deref(),
        Some("gemini-2.5-pro")
    );
    // Never a prefix match, never another provider's entry.
    for (provider, model) in [
        ("anthropic", "claude-sonnet-4-5-foo"),
        ("anthropic", "claude-sonnet-4"),
        ("anthropic", "claude-sonnet-4-6-20260101"),
        ("anthropic", "claude-3-5-haiku-20241022"),
        ("openai", "claude-sonnet-4-5"),
        ("openai", "gpt-4o-2024"),
        ("openai", "azure/gpt-4o"),
        ("gcp.gemini", "gemini-9-ultra"),
        ("no_such_provider", "gpt-4o"),
    ] {
        assert_eq!(key_of(provider, model), None, "{provider} {model}");
    }
}

/// A registry with only `prices` under `model`.
fn only(provider: &str, model: &str, prices: ModelPrices) -> PriceRegistry {
    PriceRegistryBuilder::empty()
        .with_price(model, prices.with_provider(provider))
        .build()
}

fn price(provider: &str, prices: ModelPrices, tokens: TokenCounts, tier: ServiceTier) -> f64 {
    only(provider, "m", prices)
        .cost(provider, "m", &tokens, tier)
        .unwrap()
        .1
        .total
}

fn base() -> ModelPrices {
    ModelPrices::per_token(1.0, 10.0).unwrap()
}

fn assert_close(actual: f64, expected: f64) {
    assert!(close(actual, expected), "{actual} != {expected}");
}

#[test]
fn prices_each_component() {
    let prices = base()
        .with("cache_read_input_token_cost", 0.1)
        .unwrap()
        .with("cache_creation_input_token_cost", 1.25)
        .unwrap()
        .with("cache_creation_input_token_cost_above_1hr", 2.0)
        .unwrap()
        .with("output_cost_per_reasoning_token", 20.0)
        .unwrap();
    let tokens = TokenCounts {
        input_tokens: 100,
        cache_read_tokens: 50,
        cache_write_tokens: 20,
        cache_write_1h_tokens: 10,
        output_tokens: 30,
        reasoning_tokens: 12,
    };
    let registry = only("anthropic", "m", prices);
    let (_, cost) = registry
        .cost("anthropic", "m", &tokens, ServiceTier::Standard)
        .unwrap();
    assert_close(cost.input, 20.0); // 100 - 50 - 20 - 10 uncached
    assert_close(cost.cache_read, 5.0);
    assert_close(cost.cache_write, 20.0 * 1.25 + 10.0 * 2.0);
    assert_close(cost.output, 18.0 * 10.0 + 12.0 * 20.0);
    assert_close(cost.total, 20.0 + 5.0 + 45.0 + 420.0);
    assert_eq!(cost.currency, "USD");

    // No cache or reasoning price: cached tokens at the input rate, 1-hour writes at the
    // 5-minute rate, reasoning at the output rate.
    assert_close(
        price("openai", base(), tokens, ServiceTier::Standard),
        100.0 + 300.0,
    );
    let write_only = base()
        .with("cache_creation_input_token_cost", 1.25)
        .unwrap();
    assert_close(
        price("anthropic", write_only, tokens, ServiceTier::Standard),
        70.0 + 30.0 * 1.25 + 300.0,
    );
    // An explicit zero is a price, not an absence.
    let free_cache = base().with("cache_read_input_token_cost", 0.0).unwrap();
    assert_close(
        price("openai", free_cache, tokens, ServiceTier::Standard),
        50.0 + 300.0,
    );
}

fn long_context() -> ModelPrices {
    base()
        .with("cache_read_input_token_cost", 0.1)
        .unwrap()
        .with("input_cost_per_token_above_200k_tokens", 2.0)
        .unwrap()
        .with("output_cost_per_token_above_200k_tokens", 15.0)
        .unwrap()
        .with("cache_read_input_token_cost_above_200k_tokens", 0.2)
        .unwrap()
        .with("input_cost_per_token_above_128k_tokens", 1.5)
        .unwrap()
}

#[test]
fn thresholds_reprice_the_whole_request() {
    let at = |input: u64| TokenCounts {
        input_tokens: input,
        cache_read_tokens: 100_000,
        output_tokens: 10,
        ..TokenCounts::default()
    };
    let standard = ServiceTier::Standard;
    // At the threshold: flat rates for everyone but xAI.
    assert_close(
        price("openai", long_context(), at(128_000), standard),
        28_000.0 + 10_000.0 + 100.0,
    );
    assert_close(
        price("openai", long_context(), at(200_000), standard),
        100_000.0 * 1.5 + 10_000.0 + 100.0,
    );
    assert_close(
        price("x_ai", long_context(), at(200_000), standard),
        100_000.0 * 2.0 + 20_000.0 + 150.0,
    );
    assert_close(
        price("x_ai", long_context(), at(199_999), standard),
        99_999.0 * 1.5 + 10_000.0 + 100.0,
    );
    // Above: the highest threshold crossed reprices input, cache and output.
    assert_close(
        price("openai", long_context(), at(200_001), standard),
        100_001.0 * 2.0 + 20_000.0 + 150.0,
    );
    // The cache-inclusive input decides, not the uncached part.
    let mostly_cached = TokenCounts {
        input_tokens: 250_000,
        cache_read_tokens: 240_000,
        ..TokenCounts::default()
    };
    assert_close(
        price("openai", long_context(), mostly_cached, standard),
        20_000.0 + 48_000.0,
    );
}

fn tiered_prices() -> ModelPrices {
    base()
        .with("input_cost_per_token_priority", 2.0)
        .unwrap()
        .with("cache_read_input_token_cost", 0.1)
        .unwrap()
        .with("input_cost_per_token_flex", 0.5)
        .unwrap()
        .with("output_cost_per_token_flex", 5.0)
        .unwrap()
}

#[test]
fn service_tiers_and_their_fallbacks() {
    let tokens = TokenCounts {
        input_tokens: 100,
        cache_read_tokens: 40,
        output_tokens: 10,
        ..TokenCounts::default()
    };
    // Priority: input from `_priority`, cache read and output fall back to standard keys.
    assert_close(
        price("openai", tiered_prices(), tokens, ServiceTier::Priority),
        120.0 + 4.0 + 100.0,
    );
    assert_close(
        price("openai", tiered_prices(), tokens, ServiceTier::Flex),
        30.0 + 4.0 + 50.0,
    );
    assert_close(
        price("openai", tiered_prices(), tokens, ServiceTier::Standard),
        60.0 + 4.0 + 100.0,
    );
    // Batch without batch keys: half of every standard rate.
    assert_close(
        price("openai", tiered_prices(), tokens, ServiceTier::Batch),
        (60.0 + 4.0 + 100.0) / 2.0,
    );
    // Batch keys: cache reads without a batch key bill at the batch input rate.
    let batch = tiered_prices()
        .with("input_cost_per_token_batches", 0.4)
        .unwrap()
        .with("output_cost_per_token_batches", 4.0)
        .unwrap();
    assert_close(
        price("openai", batch.clone(), tokens, ServiceTier::Batch),
        100.0 * 0.4 + 40.0,
    );
    // Batch long-context keys apply per component once crossed.
    let batch = batch
        .with("input_cost_per_token_above_200k_tokens_batches", 0.8)
        .unwrap();
    let long = TokenCounts::new(300_000, 10);
    assert_close(
        price("openai", batch, long, ServiceTier::Batch),
        300_000.0 * 0.8 + 40.0,
    );
    // Priority above a threshold without a priority threshold key: the standard threshold key.
    let priority_long = long_context()
        .with("input_cost_per_token_priority", 3.0)
        .unwrap();
    assert_close(
        price("openai", priority_long, long, ServiceTier::Priority),
        300_000.0 * 2.0 + 150.0,
    );
}

#[test]
fn tiered_pricing_ranges() {
    let tiered = ModelPrices::new()
        .with_tier(
            PriceTier::new(
                0.0,
                1000.0,
                &[
                    ("input_cost_per_token", 1.0),
                    ("output_cost_per_token", 2.0),
                ],
            )
            .unwrap(),
        )
        .with_tier(
            PriceTier::new(
                1000.0,
                5000.0,
                &[
                    ("input_cost_per_token", 3.0),
                    ("output_cost_per_token", 6.0),
                ],
            )
            .unwrap(),
        );
    let cost = |input, tier| {
        price(
            "dashscope",
            tiered.clone(),
            TokenCounts::new(input, 10),
            tier,
        )
    };
    assert_close(cost(1000, ServiceTier::Standard), 1000.0 + 20.0); // upper bound inclusive
    assert_close(cost(1001, ServiceTier::Standard), 3003.0 + 60.0);
    assert_close(cost(9000, ServiceTier::Standard), 27_000.0 + 60.0); // beyond the last range
    assert_close(cost(0, ServiceTier::Standard), 20.0); // output-only call: first range
    assert_close(cost(1001, ServiceTier::Batch), (3003.0 + 60.0) / 2.0);
    assert!(PriceTier::new(5.0, 1.0, &[]).is_err());
}

#[test]
fn builder_overrides_take_precedence() {
    let snapshot = PriceRegistry::embedded()
        .lookup("openai", "gpt-4o")
        .unwrap();
    let snapshot_output = snapshot.prices().get("output_cost_per_token").unwrap();
    let registry = PriceRegistry::builder()
        .with_price(
            "gpt-4o",
            ModelPrices::new()
                .with("input_cost_per_token", 1.0e-6)
                .unwrap(),
        )
        .with_price(
            "gemini/gemini-2.5-pro",
            ModelPrices::per_token(7.0, 8.0).unwrap(),
        )
        .with_price("in-house-llm", ModelPrices::per_token(1.0, 2.0).unwrap())
        .build();
    let matched = registry.lookup("openai", "gpt-4o").unwrap();
    assert_eq!(matched.source(), &PriceSource::Code);
    assert_eq!(matched.prices().get("input_cost_per_token"), Some(1.0e-6));
    assert_eq!(
        matched.prices().get("output_cost_per_token"),
        Some(snapshot_output)
    );
    // The dated entry exists in the snapshot and is not touched.
    assert_eq!(
        registry
            .lookup("openai", "gpt-4o-2024-08-06")
            .unwrap()
            .source(),
        &PriceSource::Snapshot
    );
    // A key with a provider prefix overrides that provider's entry only.
    let gemini = registry.lookup("gcp.gemini", "gemini-2.5-pro").unwrap();
    assert_eq!(gemini.prices().get("input_cost_per_token"), Some(7.0));
    assert_ne!(
        registry
            .lookup("gcp.vertex_ai", "gemini-2.5-pro")
            .unwrap()
            .prices()
            .get("input_cost_per_token"),
        Some(7.0)
    );
    // A new key without a provider matches under any provider.
    assert!(registry.lookup("openai", "in-house-llm").is_some());
    assert!(registry.lookup("vllm", "in-house-llm").is_some());
    // The embedded registry is unchanged.
    assert_eq!(
        PriceRegistry::embedded()
            .lookup("openai", "gpt-4o")
            .unwrap()
            .source(),
        &PriceSource::Snapshot
    );
    // Later overrides win.
    let twice = PriceRegistryBuilder::empty()
        .with_price("m", ModelPrices::per_token(1.0, 1.0).unwrap())
        .with_price("m", ModelPrices::per_token(2.0, 2.0).unwrap())
        .build();
    assert_eq!(
        twice
            .lookup("x", "m")
            .unwrap()
            .prices()
            .get("input_cost_per_token"),
        Some(2.0)
    );
    assert_eq!(twice.snapshot_version(), "none");
}

struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, contents: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("llmscope-pricing-{}-{name}", std::process::id()));
        std::fs::write(&path, contents).unwrap();
        Self(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn file_overrides_take_precedence() {
    let json = TempFile::new(
        "prices.json",
        r#"{
  "gpt-4o": { "input_cost_per_token": 1e-6, "supports_vision": true },
  "my-model": {
    "litellm_provider": "openai",
    "input_cost_per_token": 2e-6,
    "output_cost_per_token": 4e-6,
    "tiered_pricing": [{ "range": [0, 1000], "input_cost_per_token": 1e-6 }]
  }
}"#,
    );
    let toml = TempFile::new(
        "prices.toml",
        "[\"claude-sonnet-4-5\"]\noutput_cost_per_token = 1.0e-5\n\n[\"my-model\"]\noutput_cost_per_token = 3.0e-6\n",
    );
    let registry = PriceRegistry::builder()
        .with_overrides_file(&json.0)
        .unwrap()
        .with_overrides_file(&toml.0)
        .unwrap()
        .build();
    let gpt = registry.lookup("openai", "gpt-4o").unwrap();
    assert_eq!(gpt.source(), &PriceSource::File(json.0.clone()));
    assert_eq!(gpt.prices().get("input_cost_per_token"), Some(1e-6));
    let claude = registry.lookup("anthropic", "claude-sonnet-4-5").unwrap();
    assert_eq!(claude.prices().get("output_cost_per_token"), Some(1e-5));
    assert_eq!(
        claude.prices().get("input_cost_per_token"),
        Some(3e-6),
        "merged over the snapshot"
    );
    let mine = registry.lookup("openai", "my-model").unwrap();
    assert_eq!(
        mine.prices().get("output_cost_per_token"),
        Some(3e-6),
        "the later file wins"
    );
    assert_eq!(mine.prices().tiered_pricing().len(), 1);
    assert!(
        registry.lookup("anthropic", "my-model").is_none(),
        "litellm_provider scopes it"
    );
}

fn load_error(name: &str, contents: &str) -> String {
    let file = TempFile::new(name, contents);
    let error = PriceRegistry::builder()
        .with_overrides_file(&file.0)
        .unwrap_err();
    let path = file.0.display().to_string();
    error.to_string().replace(&path, "FILE")
}

#[test]
fn malformed_override_files_name_file_line_and_key() {
    assert_eq!(
        load_error(
            "syntax.json",
            "{\n  \"m\": {\n    \"input_cost_per_token\" 1e-6\n  }\n}"
        ),
        "malformed price overrides `FILE` at line 3, column 28: expected `:` after an object key"
    );
    assert_eq!(
        load_error("negative.json", "{\n  \"m\": {\n    \"output_cost_per_token\": 1e-6,\n    \"input_cost_per_token\": -1e-6\n  }\n}"),
        "invalid price `input_cost_per_token` for model `m` in `FILE` at line 4: must not be negative, found -0.000001"
    );
    assert_eq!(
        load_error("string.json", "{\"m\": {\"input_cost_per_token\": \"3e-7\"}}"),
        "invalid price `input_cost_per_token` for model `m` in `FILE` at line 1: must be a number, found a string"
    );
    assert_eq!(
        load_error("typo.json", "{\"m\":\n {\"input_cost_per_tokn\": 1e-6}}"),
        "unknown price field `input_cost_per_tokn` for model `m` in `FILE` at line 2; did you mean `input_cost_per_token`?"
    );
    assert_eq!(
        load_error("shape.json", "[1, 2]"),
        "malformed price overrides `FILE` at line 1, column 1: expected an object of models, found an array"
    );
    assert_eq!(
        load_error("tiers.json", "{\"m\": {\"tiered_pricing\": [{\"input_cost_per_token\": 1}]}}"),
        "invalid price entry for model `m` in `FILE` at line 1: each `tiered_pricing` item needs `range = [start, end]`"
    );
    assert_eq!(
        load_error("negative.toml", "[m]\ninput_cost_per_token = 1e-6\n\noutput_cost_per_token = -2.0\n"),
        "invalid price `output_cost_per_token` for model `m` in `FILE` at line 4: must not be negative, found -2"
    );
    assert_eq!(
        load_error("string.toml", "[m]\ninput_cost_per_token = \"cheap\"\n"),
        "invalid price `input_cost_per_token` for model `m` in `FILE` at line 2: must be a number, found a string"
    );
    let syntax = load_error("syntax.toml", "[m]\ninput_cost_per_token = = 1\n");
    assert!(
        syntax.starts_with("malformed price overrides `FILE` at line 2, column "),
        "{syntax}"
    );
    assert!(
        load_error("prices.yaml", "m: {}").starts_with("unsupported price override file `FILE`")
    );
    let missing = PriceRegistry::builder()
        .with_overrides_file("/nonexistent/llmscope/prices.json")
        .unwrap_err();
    assert!(matches!(missing, PricingError::Io { .. }));
    assert!(missing
        .to_string()
        .starts_with("cannot read price overrides `/nonexistent/llmscope/prices.json`: "));
}

#[test]
fn prices_from_code_are_validated() {
    let negative = ModelPrices::new()
        .with("input_cost_per_token", -1.0)
        .unwrap_err();
    assert_eq!(
        negative.to_string(),
        "invalid price `input_cost_per_token`: must not be negative, found -1"
    );
    let nan = ModelPrices::per_token(f64::NAN, 1.0).unwrap_err();
    assert_eq!(
        nan.to_string(),
        "invalid price `input_cost_per_token`: must be a finite number"
    );
    let unknown = ModelPrices::new()
        .with("output_cost_per_tokens", 1.0)
        .unwrap_err();
    assert_eq!(
        unknown.to_string(),
        "unknown price field `output_cost_per_tokens`; did you mean `output_cost_per_token`?"
    );
}

#[test]
fn snapshot_covers_the_table() {
    let registry = PriceRegistry::embedded();
    assert_eq!(registry.snapshot_version(), "litellm-1.109.1");
    assert!(registry.len() > 3700, "{}", registry.len());
    let fresh = PriceRegistry::load_embedded();
    assert_eq!(fresh.len(), registry.len());
    let matched = registry.lookup("openai", "gpt-4o").unwrap();
    assert_eq!(matched.to_string(), "gpt-4o (litellm-1.109.1)");
    assert_eq!(matched.mode(), "chat");
    assert_eq!(matched.provider(), "openai");
}
