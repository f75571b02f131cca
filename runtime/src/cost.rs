//! Cost of LLM calls, computed in-process from the pricing registry and written on their spans.

use std::cell::RefCell;
use std::sync::{LazyLock, OnceLock};

use opentelemetry::{KeyValue, StringValue};

use crate::already_set::AlreadySet;
use crate::attribute::push_attribute;
use crate::keys;
use crate::pricing::{PriceMatch, PriceRegistry, ServiceTier, TokenCounts, UnknownModels};
use crate::usage::UsageData;

/// The registry in use: the embedded one (parsed once, never copied) or the one set, kept
/// for the life of the process.
static REGISTRY: OnceLock<&'static PriceRegistry> = OnceLock::new();
static UNKNOWN: LazyLock<UnknownModels> = LazyLock::new(UnknownModels::new);

/// Replaces the embedded price snapshot for this process (for example one built with
/// [`PriceRegistry::builder`] and your negotiated prices).
///
/// # Errors
///
/// Returns [`AlreadySet`] carrying `registry` back if one was already set, or if a span was already priced with
/// the embedded snapshot (the registry in use never changes under running code).
///
/// # Examples
///
/// ```
/// use llmscope::pricing::{ModelPrices, PriceRegistry};
///
/// let registry = PriceRegistry::builder()
///     .with_price("my-finetune", ModelPrices::per_token(0.000_002, 0.000_008).unwrap())
///     .build();
/// llmscope::set_price_registry(registry).expect("first and only registry");
/// ```
pub fn set_price_registry(registry: PriceRegistry) -> Result<(), AlreadySet<PriceRegistry>> {
    let mut slot = Some(registry);
    REGISTRY.get_or_init(|| Box::leak(Box::new(slot.take().expect("taken once"))));
    match slot {
        None => Ok(()),
        Some(rejected) => Err(AlreadySet::new(
            rejected,
            "price registry",
            "set it once at startup, before the first call is priced",
        )),
    }
}

/// The registry spans are priced with: the one set with [`set_price_registry`], else the
/// embedded snapshot.
pub fn price_registry() -> &'static PriceRegistry {
    REGISTRY.get_or_init(PriceRegistry::embedded)
}

/// How many `(provider, model)` lookups a thread remembers ([`remembered_lookup`]).
const REMEMBERED: usize = 4;
/// The longest provider or model name remembered; a longer one is looked up every time.
const REMEMBERED_BYTES: usize = 128;

/// A price-table lookup a thread remembers: the names as given, and what they matched.
struct Remembered {
    provider: Box<str>,
    model: Box<str>,
    found: Option<PriceMatch<'static>>,
}

thread_local! {
    /// This thread's last few lookups, replaced in turn.
    static LOOKUPS: RefCell<([Option<Remembered>; REMEMBERED], usize)> =
        const { RefCell::new(([const { None }; REMEMBERED], 0)) };
}

/// [`PriceRegistry::lookup`] in the registry in use ([`price_registry`]), remembered per
/// thread: the calls of an application name the same few models over and over, and a lookup
/// normalises the name and searches the tables (about 240 instructions for
/// `gpt-4o-mini-2024-07-18`) where a repeat costs two comparisons (about 100 with the
/// thread-local's access). The registry in use never changes ([`set_price_registry`]), so
/// what a name matched stays true.
fn remembered_lookup(provider: &str, model: &str) -> Option<PriceMatch<'static>> {
    let registry = price_registry();
    if provider.len() > REMEMBERED_BYTES || model.len() > REMEMBERED_BYTES {
        return registry.lookup(provider, model);
    }
    LOOKUPS
        .try_with(|lookups| {
            let mut lookups = lookups.borrow_mut();
            let (remembered, next) = &mut *lookups;
            for entry in remembered.iter().flatten() {
                if *entry.model == *model && *entry.provider == *provider {
                    return entry.found;
                }
            }
            let found = registry.lookup(provider, model);
            remembered[*next] = Some(Remembered {
                provider: provider.into(),
                model: model.into(),
                found,
            });
            *next = (*next + 1) % REMEMBERED;
            found
        })
        // The thread is exiting: no remembering.
        .unwrap_or_else(|_| registry.lookup(provider, model))
}

/// Calls whose model has no price: counted, and each `(provider, model)` warned about once.
pub fn unknown_models() -> &'static UnknownModels {
    &UNKNOWN
}

/// What pricing a call needs, copied out of its usage so that it can be priced later, off the
/// caller's thread (see `private/record.rs`).
#[derive(Debug, Clone)]
pub(crate) struct CostInput {
    /// `gen_ai.provider.name`.
    pub(crate) provider: StringValue,
    /// The request model, tried when the response model has no price.
    pub(crate) request_model: Option<StringValue>,
    /// The response model, tried first.
    pub(crate) response_model: Option<StringValue>,
    /// The requested service tier, else the one the response reported.
    pub(crate) tier: Option<StringValue>,
    /// The token counts.
    pub(crate) tokens: TokenCounts,
}

impl CostInput {
    /// The input for pricing a call with this usage, or `None` when the usage carries no
    /// token count (nothing to price).
    pub(crate) fn new(
        provider: &StringValue,
        request_model: Option<&StringValue>,
        tier: Option<&StringValue>,
        response_model: Option<&StringValue>,
        usage: &UsageData<'_>,
    ) -> Option<CostInput> {
        if usage.input_tokens().is_none() && usage.output_tokens().is_none() {
            return None;
        }
        Some(CostInput {
            provider: provider.clone(),
            request_model: request_model.cloned(),
            response_model: response_model.cloned(),
            tier: tier.cloned().or_else(|| {
                usage
                    .service_tier()
                    .map(|tier| StringValue::from(tier.to_owned()))
            }),
            tokens: TokenCounts {
                input_tokens: usage.input_tokens().unwrap_or(0),
                output_tokens: usage.output_tokens().unwrap_or(0),
                cache_read_tokens: usage.cache_read_tokens().unwrap_or(0),
                // `UsageData` counts all cache writes, the 1-hour ones included; pricing takes
                // the two lifetimes apart, so each write is billed once at its own rate.
                cache_write_tokens: usage.cache_write_5m_tokens().unwrap_or(0),
                cache_write_1h_tokens: usage.cache_write_1h_tokens().unwrap_or(0),
                reasoning_tokens: usage.reasoning_tokens().unwrap_or(0),
            },
        })
    }
}

/// Prices a call and appends the cost attributes; an unknown model or tier adds none (never a
/// guessed or zero cost) and warns once per model.
pub(crate) fn write_cost(input: &CostInput, attributes: &mut Vec<KeyValue>) {
    let provider = input.provider.as_str();
    let tier = match &input.tier {
        None => ServiceTier::Standard,
        Some(name) => match name.as_str().parse::<ServiceTier>() {
            Ok(tier) => tier,
            Err(error) => {
                if UNKNOWN.record(provider, &format!("service tier {name}")) {
                    crate::diagnostics::diag!(
                        Warn,
                        "pricing",
                        "no cost recorded for provider `{provider}`: {error}"
                    );
                }
                return;
            }
        },
    };
    let request_model = input.request_model.as_ref().map(StringValue::as_str);
    let response_model = input.response_model.as_ref().map(StringValue::as_str);
    let tokens = &input.tokens;
    let matched = response_model
        .and_then(|model| remembered_lookup(provider, model))
        .or_else(|| request_model.and_then(|model| remembered_lookup(provider, model)));
    let Some((matched, cost)) = matched.map(|matched| (matched, matched.cost(tokens, tier))) else {
        let model = response_model.or(request_model).unwrap_or("<no model>");
        if UNKNOWN.record(provider, model) {
            crate::diagnostics::diag!(
                Warn,
                "pricing",
                "no price for model `{model}` of provider `{provider}`: its spans carry no cost \
                 attribute (add it with a price override, see the pricing docs)"
            );
        }
        return;
    };
    // The registry lives as long as the process: its names are borrowed, never copied. Room
    // is made once; each attribute is written in place (`push_attribute`).
    attributes.reserve(COST_ATTRIBUTES);
    push_attribute(attributes, keys::LLMSCOPE_COST_TOTAL, cost.total);
    push_attribute(attributes, keys::LLM_COST_PROMPT, cost.prompt());
    push_attribute(attributes, keys::LLM_COST_COMPLETION, cost.output);
    push_attribute(attributes, keys::LLM_COST_TOTAL, cost.total);
    push_attribute(attributes, keys::LLMSCOPE_COST_INPUT, cost.input);
    push_attribute(attributes, keys::LLMSCOPE_COST_OUTPUT, cost.output);
    push_attribute(attributes, keys::LLMSCOPE_COST_CACHE_READ, cost.cache_read);
    push_attribute(
        attributes,
        keys::LLMSCOPE_COST_CACHE_WRITE,
        cost.cache_write,
    );
    push_attribute(attributes, keys::LLMSCOPE_PRICING_ENTRY, matched.key());
    push_attribute(
        attributes,
        keys::LLMSCOPE_PRICING_SNAPSHOT,
        matched.snapshot_version(),
    );
    push_attribute(attributes, keys::LLMSCOPE_PRICING_TIER, tier.as_str());
}

/// How many attributes [`write_cost`] writes for a priced call.
const COST_ATTRIBUTES: usize = 11;

#[cfg(test)]
mod tests {
    use super::*;

    /// What a lookup matched, comparable: the entry's key and how the name was normalised.
    fn matched(found: Option<PriceMatch<'_>>) -> Option<(String, String)> {
        found.map(|found| (found.key().to_owned(), found.normalisation().to_string()))
    }

    #[test]
    fn a_remembered_lookup_answers_as_the_registry_does_for_every_name_in_any_order() {
        let registry = price_registry();
        let long = format!("gpt-4o-{}", "x".repeat(REMEMBERED_BYTES));
        // More names than are remembered, the same model under two providers, an unknown model
        // and a name too long to remember, each asked several times in turns.
        let names = [
            ("openai", "gpt-4o-mini"),
            ("azure.ai.openai", "gpt-4o-mini"),
            ("openai", "gpt-4o-mini-2024-07-18"),
            ("anthropic", "claude-sonnet-4-5-20250929"),
            ("gcp.gemini", "gemini-2.5-pro"),
            ("openai", "no-such-model"),
            ("openai", long.as_str()),
        ];
        let priced = names
            .iter()
            .filter(|(provider, model)| registry.lookup(provider, model).is_some())
            .count();
        assert!(priced >= 5, "only {priced} of the names have a price");
        for round in 0..3 {
            for (provider, model) in names {
                assert_eq!(
                    matched(remembered_lookup(provider, model)),
                    matched(registry.lookup(provider, model)),
                    "round {round}: {provider} / {model}"
                );
            }
        }
    }
}
