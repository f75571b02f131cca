//! Model prices and the in-process cost of an LLM call.
//!
//! The [`PriceRegistry`] holds a pinned snapshot of LiteLLM's price table
//! (`litellm-1.109.1`, 4,552 entries, MIT; see `runtime/data/LICENSE-litellm`), compiled into
//! the binary as a compact text file and parsed on first use in about 5 ms. It finds a model
//! by OpenTelemetry provider name and model name, says which entry matched and how the name
//! was normalised, and prices a call from its token counts exactly as LiteLLM's cost functions
//! do (every case of LiteLLM's own reference results is reproduced to 1e-9 relative, see
//! `runtime/tests/pricing.rs`). Overrides from code or a JSON/TOML file take precedence.
//!
//! # Examples
//!
//! ```
//! use llmscope::pricing::{PriceRegistry, ServiceTier, TokenCounts, UnknownModels};
//!
//! let registry = PriceRegistry::embedded();
//! let tokens = TokenCounts {
//!     input_tokens: 60_000,          // includes cached tokens, as gen_ai.usage.input_tokens
//!     cache_read_tokens: 40_000,
//!     cache_write_tokens: 5_000,     // 5-minute cache writes
//!     cache_write_1h_tokens: 10_000, // 1-hour cache writes
//!     output_tokens: 2_000,
//!     ..TokenCounts::default()
//! };
//! let (matched, cost) = registry
//!     .cost("aws.bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", &tokens, ServiceTier::Standard)
//!     .expect("priced");
//! assert_eq!(matched.key(), "us.anthropic.claude-sonnet-4-5-20250929-v1:0"); // regional premium
//! assert_eq!(matched.snapshot_version(), "litellm-1.109.1");
//! assert!((cost.total - 0.149325).abs() < 1e-12);
//! assert_eq!(cost.currency, "USD");
//!
//! // Unknown model: no cost at all, and one warning per model.
//! let unknown = UnknownModels::new();
//! if registry.lookup("openai", "gpt-9-turbo").is_none() && unknown.record("openai", "gpt-9-turbo") {
//!     // warn once here
//! }
//! assert_eq!(unknown.calls(), 1);
//! ```
//!
//! # Name normalisation
//!
//! The provider selects a family of price entries (`aws.bedrock` → `bedrock` and
//! `bedrock_converse` entries, `gcp.vertex_ai` → every `vertex_ai-*` entry, `gcp.gemini` →
//! `gemini/…`, `azure.ai.openai` → `azure/…`, `x_ai` → `xai/…`, `mistral_ai` → `mistral/…`;
//! other names are taken as LiteLLM provider names, e.g. `together_ai`). Within it the name is
//! tried as given (also against `{provider}/{name}` keys), then, each step only if the previous
//! form has no entry: without a provider prefix (`openai/gpt-4o`, `gemini/…`, `models/…`,
//! `bedrock/…`), reduced from a resource path (Vertex `projects/…/models/x`, Bedrock ARNs),
//! without a Bedrock cross-region prefix (`us.`, `eu.`, `global.`…: the regional entry, with
//! its premium, wins when it exists), without a Vertex `@version` pin, and without a trailing
//! `-YYYY-MM-DD` date. Every form is looked up exactly, so `claude-sonnet-4-5-foo` is unknown
//! and `claude-sonnet-4-6-20260101` (an Anthropic date that has no entry) is unknown too.
//! [`PriceMatch::normalisation`] records the steps taken.
//!
//! # Cost rules (LiteLLM 1.109.1)
//!
//! - Input is inclusive: uncached input = `input_tokens − cache_read − cache_write − cache_write_1h`
//!   for every provider. A model without a cache price bills cached tokens at the input rate; a
//!   1-hour write without its own price bills at the 5-minute write rate.
//! - Long-context thresholds (`…_above_200k_tokens`, 128k, 272k…) compare the whole input,
//!   strictly above (xAI: at or above); the highest threshold crossed reprices every token class.
//! - Reasoning tokens bill at `output_cost_per_reasoning_token` if present, else the output rate.
//! - Priority and flex take `…_priority` / `…_flex` keys one by one, falling back to the standard
//!   key; batch takes `…_batches` keys (cache classes without one bill at the batch input rate), and
//!   a model without batch keys gets half its standard rates.
//! - `tiered_pricing`: the range is chosen by input tokens (`start < n ≤ end`, else the last),
//!   and all tokens of the call bill at that range's rates.
//!
//! Deliberate departures, where LiteLLM guesses or drops a discount: a batch 1-hour cache write
//! without a batch price is half its standard 1-hour rate (LiteLLM: the 5-minute batch rate);
//! batch reasoning tokens are half the reasoning rate (LiteLLM: the text rate); without batch keys,
//! cache reads of a model with no cache price are half the input rate (LiteLLM: free); a model
//! priced only by `tiered_pricing` gets half its tier rates in batch (LiteLLM: zero) and its first
//! range for an empty prompt (LiteLLM: zero); and a name LiteLLM only maps to a capability rule
//! (`fallback_generalizations`) is unknown, not free. Off-peak windows, regional-processing
//! uplifts and audio/image/video token rates are not modelled.
//!
//! # Why not the `genai-prices` crate
//!
//! `genai-prices` 0.2.1 (Pydantic, MIT) was measured on this machine against the same 85
//! reference cases: it builds fine (fancy-regex, serde_json), covers 2,267 models over 47
//! providers (894 are OpenRouter and 224 HuggingFace copies) against 4,552 here, and agrees on
//! 58 of 82 priced cases. It differs on priority/flex for Gemini and Bedrock, batch for
//! embeddings, Azure and DeepSeek, the Bedrock long-context tier and Mistral/DeepSeek cache
//! prices; it does not price `openai/`- or `anthropic/`-prefixed names, future-dated OpenAI
//! names or DashScope; and it prices two names we must call unknown (`claude-3-5-haiku-20241022`
//! as `claude-3-5-haiku-latest`, `claude-sonnet-4-6-20260101` as `claude-sonnet-4-6`, and
//! `claude-sonnet-4-5-foo` by prefix). A misspelt tier (`priorty`) silently prices at standard
//! rates, tier rates depend on the request date, there is no data version and no per-entry
//! override. Loading takes 45–59 ms and one price 4–17 µs (our goals: ≤ 10 ms, ≤ 100 ns).
//! So it is not a dependency: this registry reads LiteLLM's table, which the reference cases
//! are computed from, and `genai-prices` remains a useful manual cross-check when the snapshot
//! is updated (it found LiteLLM's 1-hour batch write bug). See `docs/pricing.md`.
//!
//! # Updating the snapshot
//!
//! Replace `runtime/data/litellm-<version>.json` with the file from a newer `litellm` wheel
//! and run `LLMSCOPE_REGENERATE_PRICES=1 cargo test -p llmscope-runtime --lib pricing::snapshot`,
//! then the reference tests.

mod compute;
mod error;
mod json;
mod normalise;
mod overrides;
mod prices;
mod registry;
mod snapshot;
mod unknown;

pub use compute::{Cost, ServiceTier, TokenCounts};
pub use error::{Location, PriceProblem, PricingError};
pub use normalise::{Normalisation, NormalisationStep};
pub use prices::{ModelPrices, PriceTier};
pub use registry::{PriceMatch, PriceRegistry, PriceRegistryBuilder, PriceSource};
pub use unknown::UnknownModels;
