//! Cost of one call from a model's prices, its token counts and its service tier.
//!
//! This follows LiteLLM 1.109.1's `generic_cost_per_token` and `batch_cost_calculator`
//! (see the module docs of [`crate::pricing`] for the rules and the few deliberate departures).

use std::fmt;
use std::str::FromStr;

use super::error::PricingError;
use super::prices::{Component, ModelPrices, PriceTier, Rates, Variant};

/// Token counts of one call, in OpenTelemetry GenAI semantics.
///
/// `input_tokens` is `gen_ai.usage.input_tokens` and **includes** cached tokens (for Anthropic,
/// add the API's `cache_read_input_tokens` and `cache_creation_input_tokens` to its
/// `input_tokens`); the cache counts are subsets of it. `output_tokens` includes reasoning.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenCounts {
    /// All input tokens, cache reads and writes included (`gen_ai.usage.input_tokens`).
    pub input_tokens: u64,
    /// All output tokens, reasoning included (`gen_ai.usage.output_tokens`).
    pub output_tokens: u64,
    /// Input tokens served from the prompt cache (`gen_ai.usage.cache_read.input_tokens`).
    pub cache_read_tokens: u64,
    /// Input tokens written to the cache with the default (5-minute) lifetime.
    pub cache_write_tokens: u64,
    /// Input tokens written to the cache with Anthropic's 1-hour lifetime (disjoint from
    /// `cache_write_tokens`).
    pub cache_write_1h_tokens: u64,
    /// Output tokens spent on reasoning (`gen_ai.usage.reasoning.output_tokens`).
    pub reasoning_tokens: u64,
}

impl TokenCounts {
    /// Counts with only input and output tokens.
    pub const fn new(input_tokens: u64, output_tokens: u64) -> Self {
        Self {
            input_tokens,
            output_tokens,
            cache_read_tokens: 0,
            cache_write_tokens: 0,
            cache_write_1h_tokens: 0,
            reasoning_tokens: 0,
        }
    }
}

/// How the call was served, which selects the price variant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ServiceTier {
    /// Standard (on-demand) prices.
    #[default]
    Standard,
    /// A provider's Batch API (`…_batches` prices, or half the standard prices).
    Batch,
    /// OpenAI / Gemini flex processing (`…_flex` prices).
    Flex,
    /// Priority processing (`…_priority` prices).
    Priority,
}

impl ServiceTier {
    /// The lowercase name: `standard`, `batch`, `flex` or `priority`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ServiceTier::Standard => "standard",
            ServiceTier::Batch => "batch",
            ServiceTier::Flex => "flex",
            ServiceTier::Priority => "priority",
        }
    }

    const fn variant(self) -> Variant {
        match self {
            ServiceTier::Standard => Variant::Standard,
            ServiceTier::Batch => Variant::Batch,
            ServiceTier::Flex => Variant::Flex,
            ServiceTier::Priority => Variant::Priority,
        }
    }
}

impl fmt::Display for ServiceTier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ServiceTier {
    type Err = PricingError;

    /// Parses a tier name case-insensitively. `default` and `on_demand` (what OpenAI and
    /// Gemini report for standard processing) mean [`ServiceTier::Standard`]. A misspelt tier is
    /// an error, never a silent fallback to standard prices.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let tier = value.trim();
        let matches = |name: &str| tier.eq_ignore_ascii_case(name);
        if matches("standard") || matches("default") || matches("on_demand") {
            Ok(ServiceTier::Standard)
        } else if matches("batch") {
            Ok(ServiceTier::Batch)
        } else if matches("flex") {
            Ok(ServiceTier::Flex)
        } else if matches("priority") {
            Ok(ServiceTier::Priority)
        } else {
            Err(PricingError::UnknownTier {
                value: value.to_owned(),
            })
        }
    }
}

/// The cost of one call in USD, split as OpenTelemetry and OpenInference report it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cost {
    /// Everything: `input + cache_read + cache_write + output`.
    pub total: f64,
    /// Uncached input tokens.
    pub input: f64,
    /// Output tokens, reasoning included.
    pub output: f64,
    /// Cache reads.
    pub cache_read: f64,
    /// Cache writes, 5-minute and 1-hour.
    pub cache_write: f64,
    /// ISO 4217 currency of every amount: always `"USD"`.
    pub currency: &'static str,
}

impl Cost {
    /// All input: uncached input, cache reads and cache writes (OpenInference `llm.cost.prompt`).
    pub fn prompt(&self) -> f64 {
        self.input + self.cache_read + self.cache_write
    }
}

/// Token classes after splitting the inclusive counts.
struct TokenClasses {
    prompt: u64,
    uncached: f64,
    cache_read: f64,
    write_5m: f64,
    write_1h: f64,
    text_output: f64,
    reasoning: f64,
}

impl TokenClasses {
    fn new(tokens: &TokenCounts) -> Self {
        let cached = tokens
            .cache_read_tokens
            .saturating_add(tokens.cache_write_tokens)
            .saturating_add(tokens.cache_write_1h_tokens);
        let reasoning = tokens.reasoning_tokens.min(tokens.output_tokens);
        Self {
            prompt: tokens.input_tokens,
            uncached: tokens.input_tokens.saturating_sub(cached) as f64,
            cache_read: tokens.cache_read_tokens as f64,
            write_5m: tokens.cache_write_tokens as f64,
            write_1h: tokens.cache_write_1h_tokens as f64,
            text_output: (tokens.output_tokens - reasoning) as f64,
            reasoning: reasoning as f64,
        }
    }
}

/// The rate of every token class for one call.
struct Resolved {
    input: f64,
    cache_read: f64,
    write_5m: f64,
    write_1h: f64,
    output: f64,
    reasoning: f64,
}

impl Resolved {
    fn cost(&self, split: &TokenClasses) -> Cost {
        let input = split.uncached * self.input;
        let cache_read = split.cache_read * self.cache_read;
        let cache_write = split.write_5m * self.write_5m + split.write_1h * self.write_1h;
        let output = split.text_output * self.output + split.reasoning * self.reasoning;
        Cost {
            total: input + cache_read + cache_write + output,
            input,
            output,
            cache_read,
            cache_write,
            currency: "USD",
        }
    }

    fn halved(self) -> Self {
        Self {
            input: self.input / 2.0,
            cache_read: self.cache_read / 2.0,
            write_5m: self.write_5m / 2.0,
            write_1h: self.write_1h / 2.0,
            output: self.output / 2.0,
            reasoning: self.reasoning / 2.0,
        }
    }
}

/// Prices one call. `inclusive_thresholds` is true for xAI, whose long-context rates apply once
/// the prompt *reaches* the threshold (every other provider: strictly above).
pub(crate) fn compute(
    prices: &ModelPrices,
    tokens: &TokenCounts,
    tier: ServiceTier,
    inclusive_thresholds: bool,
) -> Cost {
    let split = TokenClasses::new(tokens);
    let rates = match tier {
        ServiceTier::Batch => batch_rates(prices, split.prompt, inclusive_thresholds),
        _ => standard_rates(prices, split.prompt, tier.variant(), inclusive_thresholds),
    };
    rates.cost(&split)
}

fn crosses(prompt: u64, threshold: u64, inclusive: bool) -> bool {
    prompt > threshold || (inclusive && prompt == threshold)
}

/// The `tiered_pricing` range for `prompt` input tokens: `start < prompt <= end`, else the last
/// range. LiteLLM selects nothing for an empty prompt; we take the first range so that an
/// output-only call is still priced.
fn select_tier(prices: &ModelPrices, prompt: u64) -> Option<&PriceTier> {
    let tiers = &prices.tiers;
    if prompt == 0 {
        return tiers.first();
    }
    let prompt = prompt as f64;
    tiers
        .iter()
        .find(|tier| tier.start() < prompt && prompt <= tier.end())
        .or(tiers.last())
}

/// Rates of a `tiered_pricing` range (LiteLLM's `_get_tiered_base_costs`); `None` if the range
/// has no input rate.
fn tiered_rates(prices: &ModelPrices, tier: &PriceTier, variant: Variant) -> Option<Resolved> {
    let rates = &tier.rates;
    let input = rates.get(Component::Input)?;
    let standard = &prices.flat[Variant::Standard as usize];
    let output = rates
        .get(Component::Output)
        .or(standard.get(Component::Output))
        .unwrap_or(0.0);
    let write_5m = rates.get(Component::CacheWrite).unwrap_or(input);
    let reasoning = match (
        rates.get(Component::Reasoning),
        rates.get(Component::Output),
    ) {
        (Some(reasoning), _) | (None, Some(reasoning)) => reasoning,
        (None, None) => reasoning_rate(prices, variant, output),
    };
    Some(Resolved {
        input,
        cache_read: rates.get(Component::CacheRead).unwrap_or(input),
        write_5m,
        write_1h: rates.get(Component::CacheWrite1h).unwrap_or(write_5m),
        output,
        reasoning,
    })
}

/// LiteLLM's `_resolve_reasoning_token_cost`.
fn reasoning_rate(prices: &ModelPrices, variant: Variant, output: f64) -> f64 {
    let tiered = &prices.flat[variant as usize];
    if let Some(rate) = tiered.get(Component::Reasoning) {
        return rate;
    }
    if variant != Variant::Standard && tiered.get(Component::Output).is_some() {
        return output;
    }
    prices.flat[Variant::Standard as usize]
        .get(Component::Reasoning)
        .unwrap_or(output)
}

/// Standard, priority and flex prices (LiteLLM's `_get_token_base_cost`): each component takes
/// the tier's key, else the standard key; the highest threshold crossed reprices every class.
fn standard_rates(
    prices: &ModelPrices,
    prompt: u64,
    variant: Variant,
    inclusive_thresholds: bool,
) -> Resolved {
    if let Some(resolved) =
        select_tier(prices, prompt).and_then(|tier| tiered_rates(prices, tier, variant))
    {
        return resolved;
    }
    let pick = |rates: &[Rates; 4], component: Component| {
        rates[variant as usize]
            .get(component)
            .or_else(|| rates[Variant::Standard as usize].get(component))
    };
    let mut input = pick(&prices.flat, Component::Input).unwrap_or(0.0);
    let mut output = pick(&prices.flat, Component::Output).unwrap_or(0.0);
    let mut cache_read = pick(&prices.flat, Component::CacheRead);
    let mut write_5m = pick(&prices.flat, Component::CacheWrite);
    let mut write_1h = pick(&prices.flat, Component::CacheWrite1h);
    for threshold in &prices.thresholds {
        if !crosses(prompt, threshold.tokens, inclusive_thresholds) {
            continue;
        }
        let rates = &threshold.rates;
        input = pick(rates, Component::Input).unwrap_or(input);
        output = pick(rates, Component::Output).unwrap_or(output);
        cache_read = pick(rates, Component::CacheRead).or(cache_read);
        write_5m = pick(rates, Component::CacheWrite).or(write_5m);
        // LiteLLM takes a 1-hour threshold rate only under the tier's own key.
        write_1h = rates[variant as usize]
            .get(Component::CacheWrite1h)
            .or(write_1h);
    }
    let write_5m = write_5m.unwrap_or(input);
    Resolved {
        input,
        cache_read: cache_read.unwrap_or(input),
        write_5m,
        write_1h: write_1h.unwrap_or(write_5m),
        output,
        reasoning: reasoning_rate(prices, variant, output),
    }
}

/// A `…_batches` rate (LiteLLM's `_batch_rate_for_prefix`): the highest crossed threshold
/// that has a batch key for this component, else the flat batch key.
fn batch_rate(
    prices: &ModelPrices,
    component: Component,
    prompt: u64,
    inclusive_thresholds: bool,
) -> Option<f64> {
    prices
        .thresholds
        .iter()
        .rev()
        .filter(|threshold| crosses(prompt, threshold.tokens, inclusive_thresholds))
        .find_map(|threshold| threshold.rates[Variant::Batch as usize].get(component))
        .or_else(|| prices.flat[Variant::Batch as usize].get(component))
}

/// Batch prices (LiteLLM's `batch_cost_calculator`), with the batch discount applied to every
/// token class where LiteLLM drops it (see the module docs).
fn batch_rates(prices: &ModelPrices, prompt: u64, inclusive_thresholds: bool) -> Resolved {
    let standard = &prices.flat[Variant::Standard as usize];
    let rate = |component| batch_rate(prices, component, prompt, inclusive_thresholds);
    let output = rate(Component::Output)
        .or(standard.get(Component::Output).map(|rate| rate / 2.0))
        .unwrap_or(0.0);
    // Departure: LiteLLM bills batch reasoning at the text rate even where a reasoning rate exists.
    let reasoning = rate(Component::Reasoning)
        .or(standard.get(Component::Reasoning).map(|rate| rate / 2.0))
        .unwrap_or(output);
    // Departure: a 1-hour write without a batch key is half its standard rate, not the 5-minute one.
    let standard_1h = standard.get(Component::CacheWrite1h).map(|rate| rate / 2.0);

    if let Some(input) = rate(Component::Input) {
        let cache_read = rate(Component::CacheRead).unwrap_or(input);
        let batch_write_5m = rate(Component::CacheWrite);
        let batch_write_1h = rate(Component::CacheWrite1h);
        let write_5m = batch_write_5m.unwrap_or(input);
        let write_1h = batch_write_1h.or(standard_1h).unwrap_or(write_5m);
        return Resolved {
            input,
            cache_read,
            write_5m,
            write_1h,
            output,
            reasoning,
        };
    }
    if let Some(input) = standard.get(Component::Input) {
        // No batch keys: half of every standard rate. Departure: LiteLLM bills cache reads of a
        // model without a cache-read price at zero here; we bill them at the input rate.
        let write_5m = standard.get(Component::CacheWrite).unwrap_or(input) / 2.0;
        return Resolved {
            input: input / 2.0,
            cache_read: standard.get(Component::CacheRead).unwrap_or(input) / 2.0,
            write_5m,
            write_1h: standard_1h.unwrap_or(write_5m),
            output,
            reasoning,
        };
    }
    // Departure: a model priced only by `tiered_pricing` gets half its tier rates (LiteLLM: zero).
    if let Some(resolved) =
        select_tier(prices, prompt).and_then(|tier| tiered_rates(prices, tier, Variant::Standard))
    {
        return resolved.halved();
    }
    Resolved {
        input: 0.0,
        cache_read: 0.0,
        write_5m: 0.0,
        write_1h: 0.0,
        output,
        reasoning,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_tier_parses_strictly() {
        assert_eq!(
            "Priority".parse::<ServiceTier>().unwrap(),
            ServiceTier::Priority
        );
        assert_eq!(
            "default".parse::<ServiceTier>().unwrap(),
            ServiceTier::Standard
        );
        assert_eq!(
            " batch ".parse::<ServiceTier>().unwrap(),
            ServiceTier::Batch
        );
        let error = "priorty".parse::<ServiceTier>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown service tier `priorty`; expected `standard`, `batch`, `flex` or `priority`"
        );
    }

    #[test]
    fn inconsistent_counts_never_go_negative() {
        let prices = ModelPrices::per_token(1.0, 2.0).unwrap();
        let tokens = TokenCounts {
            input_tokens: 10,
            cache_read_tokens: 20,
            output_tokens: 5,
            reasoning_tokens: 9,
            ..TokenCounts::default()
        };
        let cost = compute(&prices, &tokens, ServiceTier::Standard, false);
        assert_eq!(cost.input, 0.0);
        assert_eq!(cost.cache_read, 20.0);
        assert_eq!(cost.output, 10.0);
    }
}
