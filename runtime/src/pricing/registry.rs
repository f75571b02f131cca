//! The registry: entries, the per-provider index, lookup and overrides.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::compute::{compute, Cost, ServiceTier, TokenCounts};
use super::error::PricingError;
use super::normalise::{self, Normalisation};
use super::overrides;
use super::prices::ModelPrices;
use super::snapshot;

/// FxHash (rustc's hasher): model names are short and trusted enough that SipHash's DoS
/// resistance is not worth its cost on every lookup.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, mut bytes: &[u8]) {
        while let Some((chunk, rest)) = bytes.split_first_chunk::<8>() {
            self.add(u64::from_le_bytes(*chunk));
            bytes = rest;
        }
        if let Some((chunk, rest)) = bytes.split_first_chunk::<4>() {
            self.add(u64::from(u32::from_le_bytes(*chunk)));
            bytes = rest;
        }
        for byte in bytes {
            self.add(u64::from(*byte));
        }
    }

    #[inline]
    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    #[inline]
    fn write_usize(&mut self, word: usize) {
        self.add(word as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // The multiply leaves the low bits weak; hashbrown picks buckets from them (rustc-hash 2
        // rotates for the same reason).
        self.0.rotate_left(26)
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Where the prices of a match come from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PriceSource {
    /// The snapshot compiled into the binary (see [`PriceRegistry::snapshot_version`]).
    Snapshot,
    /// [`PriceRegistryBuilder::with_price`], merged over the snapshot entry if there was one.
    Code,
    /// An override file, merged over the snapshot entry if there was one.
    File(PathBuf),
}

impl fmt::Display for PriceSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PriceSource::Snapshot => f.write_str("snapshot"),
            PriceSource::Code => f.write_str("override from code"),
            PriceSource::File(path) => write!(f, "override from `{}`", path.display()),
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    key: Box<str>,
    /// LiteLLM's `litellm_provider`, or the provider an override named.
    provider: Box<str>,
    mode: Box<str>,
    prices: ModelPrices,
    source: PriceSource,
    inclusive_thresholds: bool,
}

/// A price entry found for a provider and model name.
///
/// It says which entry matched and how the name was normalised, so that every cost can be
/// audited against the price table.
#[derive(Debug, Clone, Copy)]
pub struct PriceMatch<'r> {
    entry: &'r Entry,
    normalisation: Normalisation,
    version: &'r str,
}

impl<'r> PriceMatch<'r> {
    /// The matched price-table key, e.g. `gemini/gemini-2.5-pro` or `us.anthropic.claude-…`.
    pub fn key(&self) -> &'r str {
        &self.entry.key
    }

    /// The entry's LiteLLM provider (`litellm_provider`), e.g. `vertex_ai-language-models`.
    pub fn provider(&self) -> &'r str {
        &self.entry.provider
    }

    /// The entry's LiteLLM `mode` (`chat`, `embedding`, …); empty if unknown.
    pub fn mode(&self) -> &'r str {
        &self.entry.mode
    }

    /// How the requested name was normalised to reach [`PriceMatch::key`].
    pub fn normalisation(&self) -> Normalisation {
        self.normalisation
    }

    /// The prices of the entry.
    pub fn prices(&self) -> &'r ModelPrices {
        &self.entry.prices
    }

    /// Whether the prices come from the snapshot or an override.
    pub fn source(&self) -> &'r PriceSource {
        &self.entry.source
    }

    /// The registry's snapshot version, e.g. `litellm-1.109.1`.
    pub fn snapshot_version(&self) -> &'r str {
        self.version
    }

    /// The cost of a call priced by this entry.
    pub fn cost(&self, tokens: &TokenCounts, tier: ServiceTier) -> Cost {
        compute(
            &self.entry.prices,
            tokens,
            tier,
            self.entry.inclusive_thresholds,
        )
    }
}

impl fmt::Display for PriceMatch<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}", self.key(), self.version)?;
        if *self.source() != PriceSource::Snapshot {
            write!(f, ", {}", self.source())?;
        }
        if !self.normalisation.is_exact() {
            write!(f, ", {}", self.normalisation)?;
        }
        f.write_str(")")
    }
}

/// Model prices by provider and model name, with LiteLLM's cost rules.
///
/// # Examples
///
/// ```
/// use llmscope::pricing::{PriceRegistry, ServiceTier, TokenCounts};
///
/// let registry = PriceRegistry::embedded();
/// let tokens = TokenCounts { input_tokens: 12_000, cache_read_tokens: 8_192, output_tokens: 600, ..TokenCounts::default() };
/// let (matched, cost) = registry.cost("openai", "gpt-4o-2024-08-06", &tokens, ServiceTier::Standard).unwrap();
/// assert_eq!(matched.key(), "gpt-4o-2024-08-06");
/// assert!((cost.total - 0.02576).abs() < 1e-12);
/// assert!(registry.lookup("anthropic", "claude-sonnet-4-5-foo").is_none());
/// ```
#[derive(Debug, Clone)]
pub struct PriceRegistry {
    version: Box<str>,
    entries: Vec<Entry>,
    /// Per family: bare model name → entry.
    family_maps: Vec<FastMap<Box<str>, u32>>,
    /// Family name → index in `family_maps`.
    family_ids: FastMap<Box<str>, u32>,
    /// `family_maps` index of each of [`normalise::KNOWN_FAMILIES`], `u32::MAX` if absent, so
    /// that a well-known provider costs no hashing.
    known: [u32; normalise::KNOWN_FAMILIES.len()],
    /// Overrides that name no provider: match under any provider, before the families.
    wildcard: FastMap<Box<str>, u32>,
}

static EMBEDDED: OnceLock<PriceRegistry> = OnceLock::new();

impl PriceRegistry {
    /// The snapshot compiled into the binary, parsed on first use (a few milliseconds).
    pub fn embedded() -> &'static PriceRegistry {
        EMBEDDED.get_or_init(Self::load_embedded)
    }

    /// Parses the embedded snapshot into a new registry; [`PriceRegistry::embedded`] does this
    /// once and caches the result.
    ///
    /// # Panics
    ///
    /// Never in practice: the embedded snapshot is generated and checked by the crate's tests.
    pub fn load_embedded() -> PriceRegistry {
        let snapshot = snapshot::parse(snapshot::TEXT)
            .unwrap_or_else(|error| panic!("the embedded price snapshot is corrupt: {error}"));
        let mut registry = PriceRegistry {
            version: snapshot.version.into(),
            entries: Vec::with_capacity(snapshot.entries.len()),
            family_maps: Vec::new(),
            family_ids: FastMap::default(),
            known: [u32::MAX; normalise::KNOWN_FAMILIES.len()],
            wildcard: FastMap::default(),
        };
        for entry in snapshot.entries {
            let family = normalise::family_of_litellm_provider(entry.provider);
            registry.entries.push(Entry {
                key: entry.key.into(),
                provider: entry.provider.into(),
                mode: entry.mode.into(),
                prices: entry.prices,
                source: PriceSource::Snapshot,
                inclusive_thresholds: normalise::inclusive_thresholds(family),
            });
        }
        // Bare keys first, then `provider/model` keys, which LiteLLM prefers on a clash.
        for prefixed_pass in [false, true] {
            for index in 0..registry.entries.len() {
                let entry = &registry.entries[index];
                let family = normalise::family_of_litellm_provider(&entry.provider);
                let (bare, prefixed) = normalise::bare_name(&entry.key, &entry.provider, family);
                if prefixed == prefixed_pass {
                    let bare: Box<str> = bare.into();
                    let family = family.to_owned();
                    registry.family_map_mut(&family).insert(bare, index as u32);
                }
            }
        }
        registry
    }

    /// A builder starting from the embedded snapshot.
    pub fn builder() -> PriceRegistryBuilder {
        PriceRegistryBuilder {
            with_snapshot: true,
            overrides: Vec::new(),
        }
    }

    /// The snapshot version, e.g. `litellm-1.109.1` (`none` for a registry built without it).
    pub fn snapshot_version(&self) -> &str {
        &self.version
    }

    /// Number of price entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the registry has no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Finds the price entry for a model, normalising dated, prefixed and cloud ids.
    ///
    /// `provider` is the OpenTelemetry `gen_ai.provider.name` (`openai`, `anthropic`,
    /// `aws.bedrock`, `azure.ai.openai`, `gcp.gemini`, `gcp.vertex_ai`, `mistral_ai`, `cohere`,
    /// `groq`, `deepseek`, `x_ai`, …) or a LiteLLM provider name. Returns `None` for a model
    /// without a price: never a guess.
    pub fn lookup(&self, provider: &str, model: &str) -> Option<PriceMatch<'_>> {
        let (family, names) = match normalise::known_family(provider) {
            Some(known) => (
                normalise::KNOWN_FAMILIES[known],
                self.family_maps.get(self.known[known] as usize),
            ),
            None => {
                let family = normalise::family_of_provider(provider);
                (family, self.family_map(family))
            }
        };
        let (index, normalisation) = normalise::find(family, model, |name| {
            if !self.wildcard.is_empty() {
                if let Some(&index) = self.wildcard.get(name) {
                    return Some(index);
                }
            }
            names?.get(name).copied()
        })?;
        Some(PriceMatch {
            entry: &self.entries[index as usize],
            normalisation,
            version: &self.version,
        })
    }

    /// Looks the model up and prices one call; `None` if the model has no price.
    pub fn cost(
        &self,
        provider: &str,
        model: &str,
        tokens: &TokenCounts,
        tier: ServiceTier,
    ) -> Option<(PriceMatch<'_>, Cost)> {
        let matched = self.lookup(provider, model)?;
        let cost = matched.cost(tokens, tier);
        Some((matched, cost))
    }

    fn family_map(&self, family: &str) -> Option<&FastMap<Box<str>, u32>> {
        let index = *self.family_ids.get(family)?;
        self.family_maps.get(index as usize)
    }

    fn family_map_mut(&mut self, family: &str) -> &mut FastMap<Box<str>, u32> {
        let index = match self.family_ids.get(family) {
            Some(&index) => index as usize,
            None => {
                let index = self.family_maps.len();
                self.family_maps.push(FastMap::default());
                self.family_ids.insert(family.into(), index as u32);
                if let Some(known) = normalise::KNOWN_FAMILIES
                    .iter()
                    .position(|known| *known == family)
                {
                    self.known[known] = index as u32;
                }
                index
            }
        };
        &mut self.family_maps[index]
    }

    fn apply(
        &mut self,
        key: &str,
        prices: ModelPrices,
        source: PriceSource,
        keys: &mut FastMap<Box<str>, u32>,
    ) {
        if prices.provider().is_none() {
            if let Some(&index) = keys.get(key) {
                let entry = &mut self.entries[index as usize];
                entry.prices.merge_from(&prices);
                entry.source = source;
                return;
            }
        }
        let family: Option<String> = match prices.provider() {
            Some(provider) => Some(normalise::family_of_provider(provider).to_owned()),
            None => key
                .split_once('/')
                .map(|(prefix, _)| normalise::family_of_provider(prefix))
                .filter(|family| self.family_ids.contains_key(*family))
                .map(str::to_owned),
        };
        let existing = match &family {
            Some(family) => {
                let provider = prices.provider().unwrap_or(family);
                let (bare, _) = normalise::bare_name(key, provider, family);
                self.family_map(family)
                    .and_then(|names| names.get(bare))
                    .copied()
            }
            None => self.wildcard.get(key).copied(),
        };
        if let Some(index) = existing {
            let entry = &mut self.entries[index as usize];
            entry.prices.merge_from(&prices);
            entry.source = source;
            if let Some(family) = &family {
                entry.inclusive_thresholds = normalise::inclusive_thresholds(family);
            }
            return;
        }
        let index = self.entries.len() as u32;
        keys.insert(key.into(), index);
        let provider: Box<str> = prices.provider().or(family.as_deref()).unwrap_or("").into();
        match &family {
            Some(family) => {
                let (bare, _) = normalise::bare_name(key, &provider, family);
                let bare: Box<str> = bare.into();
                self.family_map_mut(family).insert(bare, index);
            }
            None => {
                self.wildcard.insert(key.into(), index);
            }
        }
        self.entries.push(Entry {
            key: key.into(),
            inclusive_thresholds: family
                .as_deref()
                .is_some_and(normalise::inclusive_thresholds),
            provider,
            mode: "".into(),
            prices,
            source,
        });
    }
}

/// Builds a [`PriceRegistry`] from the embedded snapshot (or nothing) plus overrides, which take
/// precedence: an override's fields are merged over the entry with the same key, as LiteLLM's
/// `register_model` does; a new key adds an entry.
///
/// An override's provider is its `litellm_provider` field (or [`ModelPrices::with_provider`]),
/// else that of the snapshot entry with the same key, else its `provider/` key prefix; an
/// override with none of these applies to its exact name under every provider.
///
/// # Examples
///
/// ```
/// use llmscope::pricing::{ModelPrices, PriceRegistry, ServiceTier, TokenCounts};
///
/// let registry = PriceRegistry::builder()
///     .with_price("gpt-4o", ModelPrices::new().with("input_cost_per_token", 2.0e-6)?)
///     .with_price("my-finetune", ModelPrices::per_token(1.0e-6, 4.0e-6)?.with_provider("openai"))
///     .build();
/// let (matched, cost) = registry
///     .cost("openai", "gpt-4o", &TokenCounts::new(1000, 100), ServiceTier::Standard)
///     .unwrap();
/// assert_eq!(matched.source().to_string(), "override from code");
/// assert!((cost.input - 0.002).abs() < 1e-12);   // overridden
/// assert!((cost.output - 0.001).abs() < 1e-12);  // kept from the snapshot
/// assert!(registry.lookup("openai", "my-finetune").is_some());
/// # Ok::<(), llmscope::pricing::PricingError>(())
/// ```
#[derive(Debug)]
#[must_use]
pub struct PriceRegistryBuilder {
    with_snapshot: bool,
    overrides: Vec<(String, ModelPrices, PriceSource)>,
}

impl PriceRegistryBuilder {
    /// A builder with no snapshot: only the prices added to it.
    pub fn empty() -> Self {
        Self {
            with_snapshot: false,
            overrides: Vec::new(),
        }
    }

    /// Adds or overrides the prices of `model` (a price-table key such as `gpt-4o` or
    /// `azure/my-deployment`).
    pub fn with_price(mut self, model: &str, prices: ModelPrices) -> Self {
        self.overrides
            .push((model.to_owned(), prices, PriceSource::Code));
        self
    }

    /// Adds the overrides of a JSON or TOML file (chosen by extension) with LiteLLM's field
    /// names: `{ "<model>": { "input_cost_per_token": 1e-6, … } }` or `["<model>"]` tables.
    ///
    /// # Errors
    ///
    /// [`PricingError::Io`] if the file cannot be read, [`PricingError::UnsupportedFormat`]
    /// for another extension, [`PricingError::Syntax`] for malformed JSON/TOML, and
    /// [`PricingError::InvalidPrice`], [`PricingError::UnknownField`] or
    /// [`PricingError::InvalidEntry`] naming the file, line and key of a bad price.
    pub fn with_overrides_file(mut self, path: impl AsRef<Path>) -> Result<Self, PricingError> {
        let path = path.as_ref();
        for entry in overrides::read(path)? {
            self.overrides
                .push((entry.key, entry.prices, PriceSource::File(path.to_owned())));
        }
        Ok(self)
    }

    /// Builds the registry; later overrides win over earlier ones.
    pub fn build(self) -> PriceRegistry {
        let mut registry = if self.with_snapshot {
            PriceRegistry::embedded().clone()
        } else {
            PriceRegistry {
                version: "none".into(),
                entries: Vec::new(),
                family_maps: Vec::new(),
                family_ids: FastMap::default(),
                known: [u32::MAX; normalise::KNOWN_FAMILIES.len()],
                wildcard: FastMap::default(),
            }
        };
        let mut keys: FastMap<Box<str>, u32> = registry
            .entries
            .iter()
            .enumerate()
            .map(|(index, entry)| (entry.key.clone(), index as u32))
            .collect();
        for (key, prices, source) in self.overrides {
            registry.apply(&key, prices, source, &mut keys);
        }
        registry
    }
}
