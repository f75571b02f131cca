//! The prices of one model, keyed by LiteLLM's field names.
//!
//! A LiteLLM price field is `{component}[_above_{N}[k]_tokens][_{variant}]`, e.g.
//! `cache_read_input_token_cost_above_272k_tokens_priority`. The structure below keeps each
//! component per variant and per long-context threshold so that pricing a call never builds a
//! key string.

use super::error::{Location, PriceProblem, PricingError};

/// What a per-token price applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Component {
    Input = 0,
    Output = 1,
    CacheRead = 2,
    CacheWrite = 3,
    CacheWrite1h = 4,
    Reasoning = 5,
}

impl Component {
    pub(crate) const ALL: [Component; 6] = [
        Component::Input,
        Component::Output,
        Component::CacheRead,
        Component::CacheWrite,
        Component::CacheWrite1h,
        Component::Reasoning,
    ];

    pub(crate) const fn field(self) -> &'static str {
        match self {
            Component::Input => "input_cost_per_token",
            Component::Output => "output_cost_per_token",
            Component::CacheRead => "cache_read_input_token_cost",
            Component::CacheWrite => "cache_creation_input_token_cost",
            Component::CacheWrite1h => "cache_creation_input_token_cost_above_1hr",
            Component::Reasoning => "output_cost_per_reasoning_token",
        }
    }

    /// Components in the order the field parser must try them (longest shared prefix first).
    const PARSE_ORDER: [Component; 6] = [
        Component::CacheWrite1h,
        Component::CacheWrite,
        Component::CacheRead,
        Component::Input,
        Component::Output,
        Component::Reasoning,
    ];
}

/// Price variant: the standard rate or a service-tier rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Variant {
    Standard = 0,
    Priority = 1,
    Flex = 2,
    Batch = 3,
}

impl Variant {
    pub(crate) const ALL: [Variant; 4] = [
        Variant::Standard,
        Variant::Priority,
        Variant::Flex,
        Variant::Batch,
    ];

    const fn suffix(self) -> &'static str {
        match self {
            Variant::Standard => "",
            Variant::Priority => "_priority",
            Variant::Flex => "_flex",
            Variant::Batch => "_batches",
        }
    }
}

/// A parsed LiteLLM price field name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PriceField<'a> {
    pub(crate) component: Component,
    /// `(label, tokens)` of `_above_{label}_tokens`, e.g. `("200k", 200000)`.
    pub(crate) threshold: Option<(&'a str, u64)>,
    pub(crate) variant: Variant,
}

impl<'a> PriceField<'a> {
    /// Parses a LiteLLM field name; `None` if it is not a per-token price llmscope models.
    pub(crate) fn parse(name: &'a str) -> Option<Self> {
        let (rest, variant) = [Variant::Priority, Variant::Flex, Variant::Batch]
            .into_iter()
            .find_map(|variant| {
                name.strip_suffix(variant.suffix())
                    .map(|rest| (rest, variant))
            })
            .unwrap_or((name, Variant::Standard));
        for component in Component::PARSE_ORDER {
            let Some(tail) = rest.strip_prefix(component.field()) else {
                continue;
            };
            if tail.is_empty() {
                return Some(Self {
                    component,
                    threshold: None,
                    variant,
                });
            }
            let label = tail
                .strip_prefix("_above_")
                .and_then(|tail| tail.strip_suffix("_tokens"));
            if let Some((label, tokens)) =
                label.and_then(|label| Some((label, parse_threshold(label)?)))
            {
                return Some(Self {
                    component,
                    threshold: Some((label, tokens)),
                    variant,
                });
            }
        }
        None
    }
}

/// `200k` → 200 000, `128` → 128 (LiteLLM's `_parse_token_threshold`).
fn parse_threshold(label: &str) -> Option<u64> {
    let (digits, multiplier) = match label.strip_suffix('k') {
        Some(digits) => (digits, 1000),
        None => (label, 1),
    };
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(multiplier)
}

/// One rate per [`Component`]; NaN marks an absent rate (an explicit `0.0` is a real price).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rates([f64; 6]);

impl Default for Rates {
    fn default() -> Self {
        Self([f64::NAN; 6])
    }
}

impl Rates {
    #[inline]
    pub(crate) fn get(&self, component: Component) -> Option<f64> {
        let value = self.0[component as usize];
        (!value.is_nan()).then_some(value)
    }

    fn set(&mut self, component: Component, value: f64) {
        self.0[component as usize] = value;
    }

    fn is_empty(&self) -> bool {
        self.0.iter().all(|value| value.is_nan())
    }

    fn merge_from(&mut self, other: &Rates) {
        for (mine, theirs) in self.0.iter_mut().zip(other.0) {
            if !theirs.is_nan() {
                *mine = theirs;
            }
        }
    }
}

/// Rates per [`Variant`].
pub(crate) type VariantRates = [Rates; 4];

/// Rates that replace the flat ones once the prompt exceeds `tokens`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Threshold {
    pub(crate) tokens: u64,
    label: Box<str>,
    pub(crate) rates: VariantRates,
}

/// One range of LiteLLM's `tiered_pricing`: every token of a request whose input falls in
/// `(start, end]` bills at these rates.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceTier {
    start: f64,
    end: f64,
    pub(crate) rates: Rates,
}

impl PriceTier {
    /// Creates a tier for inputs in `(start, end]` tokens with `fields` (LiteLLM names without
    /// threshold or tier suffix, e.g. `input_cost_per_token`).
    ///
    /// # Errors
    ///
    /// [`PricingError::InvalidEntry`] if the range is empty or negative,
    /// [`PricingError::UnknownField`] or [`PricingError::InvalidPrice`] for a bad field.
    pub fn new(start: f64, end: f64, fields: &[(&str, f64)]) -> Result<Self, PricingError> {
        let mut tier = Self::with_range(start, end, &Location::code(), "")?;
        for (field, value) in fields {
            tier.set(field, *value, &Location::code(), "")?;
        }
        Ok(tier)
    }

    pub(crate) fn with_range(
        start: f64,
        end: f64,
        location: &Location,
        model: &str,
    ) -> Result<Self, PricingError> {
        if !(start.is_finite() && end.is_finite() && start >= 0.0 && end > start) {
            return Err(PricingError::InvalidEntry {
                location: location.clone(),
                model: model.to_owned(),
                message: format!(
                    "`tiered_pricing` range must be `[start, end]` with 0 <= start < end, found [{start}, {end}]"
                ),
            });
        }
        Ok(Self {
            start,
            end,
            rates: Rates::default(),
        })
    }

    pub(crate) fn set(
        &mut self,
        field: &str,
        value: f64,
        location: &Location,
        model: &str,
    ) -> Result<(), PricingError> {
        check_price(field, value, location, model)?;
        match PriceField::parse(field) {
            Some(PriceField {
                component,
                threshold: None,
                variant: Variant::Standard,
            }) => {
                self.rates.set(component, value);
                Ok(())
            }
            _ => Err(PricingError::UnknownField {
                location: location.clone(),
                model: model.to_owned(),
                field: field.to_owned(),
                suggestion: suggest(field, Component::ALL.iter().map(|c| c.field())),
            }),
        }
    }

    /// The input range `(start, end]` in tokens.
    pub fn range(&self) -> (f64, f64) {
        (self.start, self.end)
    }

    /// The rate of a field of this tier (e.g. `output_cost_per_token`), USD per token.
    pub fn get(&self, field: &str) -> Option<f64> {
        match PriceField::parse(field)? {
            PriceField {
                component,
                threshold: None,
                variant: Variant::Standard,
            } => self.rates.get(component),
            _ => None,
        }
    }

    pub(crate) fn start(&self) -> f64 {
        self.start
    }

    pub(crate) fn end(&self) -> f64 {
        self.end
    }
}

/// The per-token prices of one model, in USD per token, under LiteLLM's field names.
///
/// Modelled fields: `input_cost_per_token`, `output_cost_per_token`,
/// `cache_read_input_token_cost`, `cache_creation_input_token_cost` (5-minute writes),
/// `cache_creation_input_token_cost_above_1hr` (1-hour writes), `output_cost_per_reasoning_token`,
/// each optionally with a long-context threshold (`…_above_200k_tokens`) and a tier suffix
/// (`…_priority`, `…_flex`, `…_batches`), plus `tiered_pricing` ranges.
///
/// # Examples
///
/// ```
/// use llmscope::pricing::ModelPrices;
///
/// let prices = ModelPrices::per_token(2.0e-6, 8.0e-6)?
///     .with("cache_read_input_token_cost", 5.0e-7)?
///     .with("input_cost_per_token_batches", 1.0e-6)?;
/// assert_eq!(prices.get("cache_read_input_token_cost"), Some(5.0e-7));
/// assert!(ModelPrices::new().with("input_cost_per_token", -1.0).is_err());
/// # Ok::<(), llmscope::pricing::PricingError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelPrices {
    pub(crate) flat: VariantRates,
    /// Sorted by `tokens`, ascending.
    pub(crate) thresholds: Vec<Threshold>,
    /// Sorted by range start, ascending.
    pub(crate) tiers: Vec<PriceTier>,
    pub(crate) provider: Option<Box<str>>,
}

impl ModelPrices {
    /// Empty prices (a model with no price prices nothing: use [`ModelPrices::with`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Prices with an input and an output rate (USD per token).
    ///
    /// # Errors
    ///
    /// [`PricingError::InvalidPrice`] if a rate is negative or not finite.
    pub fn per_token(input: f64, output: f64) -> Result<Self, PricingError> {
        Self::new()
            .with("input_cost_per_token", input)?
            .with("output_cost_per_token", output)
    }

    /// Sets one price by its LiteLLM field name (USD per token).
    ///
    /// # Errors
    ///
    /// [`PricingError::InvalidPrice`] for a negative or non-finite value,
    /// [`PricingError::UnknownField`] for a field that is not a per-token price.
    pub fn with(mut self, field: &str, value: f64) -> Result<Self, PricingError> {
        self.set(field, value, &Location::code(), "")?;
        Ok(self)
    }

    /// Adds a `tiered_pricing` range.
    pub fn with_tier(mut self, tier: PriceTier) -> Self {
        self.tiers.push(tier);
        self.sort_tiers();
        self
    }

    /// Names the LiteLLM or OpenTelemetry provider these prices belong to (e.g. `openai`,
    /// `aws.bedrock`); without it an override applies to its key under any provider.
    pub fn with_provider(mut self, provider: &str) -> Self {
        self.provider = Some(provider.into());
        self
    }

    /// The provider set with [`ModelPrices::with_provider`] or the entry's `litellm_provider`.
    pub fn provider(&self) -> Option<&str> {
        self.provider.as_deref()
    }

    /// The value of a price field by its LiteLLM name, e.g. `input_cost_per_token_above_200k_tokens`.
    pub fn get(&self, field: &str) -> Option<f64> {
        let parsed = PriceField::parse(field)?;
        let rates = match parsed.threshold {
            None => &self.flat,
            Some((_, tokens)) => {
                &self
                    .thresholds
                    .iter()
                    .find(|threshold| threshold.tokens == tokens)?
                    .rates
            }
        };
        rates[parsed.variant as usize].get(parsed.component)
    }

    /// The `tiered_pricing` ranges, ascending.
    pub fn tiered_pricing(&self) -> &[PriceTier] {
        &self.tiers
    }

    /// Every price field set, as `(LiteLLM field name, USD per token)`, for auditing.
    pub fn fields(&self) -> Vec<(String, f64)> {
        let mut fields = Vec::new();
        let mut push = |rates: &VariantRates, threshold: Option<&str>| {
            for variant in Variant::ALL {
                for component in Component::ALL {
                    if let Some(value) = rates[variant as usize].get(component) {
                        let above = threshold
                            .map(|label| format!("_above_{label}_tokens"))
                            .unwrap_or_default();
                        fields.push((
                            format!("{}{above}{}", component.field(), variant.suffix()),
                            value,
                        ));
                    }
                }
            }
        };
        push(&self.flat, None);
        for threshold in &self.thresholds {
            push(&threshold.rates, Some(&threshold.label));
        }
        fields
    }

    /// Whether any per-token price is set.
    pub fn is_empty(&self) -> bool {
        self.flat.iter().all(Rates::is_empty)
            && self
                .thresholds
                .iter()
                .all(|threshold| threshold.rates.iter().all(Rates::is_empty))
            && self.tiers.is_empty()
    }

    pub(crate) fn set(
        &mut self,
        field: &str,
        value: f64,
        location: &Location,
        model: &str,
    ) -> Result<(), PricingError> {
        check_price(field, value, location, model)?;
        let Some(parsed) = PriceField::parse(field) else {
            return Err(PricingError::UnknownField {
                location: location.clone(),
                model: model.to_owned(),
                field: field.to_owned(),
                suggestion: suggest(field, Component::ALL.iter().map(|c| c.field())),
            });
        };
        self.set_parsed(&parsed, value);
        Ok(())
    }

    pub(crate) fn set_parsed(&mut self, field: &PriceField<'_>, value: f64) {
        let rates = match field.threshold {
            None => &mut self.flat,
            Some((label, tokens)) => {
                let index = match self
                    .thresholds
                    .binary_search_by_key(&tokens, |threshold| threshold.tokens)
                {
                    Ok(index) => index,
                    Err(index) => {
                        self.thresholds.insert(
                            index,
                            Threshold {
                                tokens,
                                label: label.into(),
                                rates: VariantRates::default(),
                            },
                        );
                        index
                    }
                };
                &mut self.thresholds[index].rates
            }
        };
        rates[field.variant as usize].set(field.component, value);
    }

    pub(crate) fn sort_tiers(&mut self) {
        self.tiers
            .sort_by(|left, right| left.start.total_cmp(&right.start));
    }

    /// Overlays `other` on `self`, field by field (as LiteLLM's `register_model` does); a
    /// non-empty `tiered_pricing` in `other` replaces the whole list.
    pub(crate) fn merge_from(&mut self, other: &ModelPrices) {
        for (mine, theirs) in self.flat.iter_mut().zip(&other.flat) {
            mine.merge_from(theirs);
        }
        for threshold in &other.thresholds {
            match self
                .thresholds
                .binary_search_by_key(&threshold.tokens, |mine| mine.tokens)
            {
                Ok(index) => {
                    for (mine, theirs) in self.thresholds[index]
                        .rates
                        .iter_mut()
                        .zip(&threshold.rates)
                    {
                        mine.merge_from(theirs);
                    }
                }
                Err(index) => self.thresholds.insert(index, threshold.clone()),
            }
        }
        if !other.tiers.is_empty() {
            self.tiers = other.tiers.clone();
        }
        if other.provider.is_some() {
            self.provider = other.provider.clone();
        }
    }
}

pub(crate) fn check_price(
    field: &str,
    value: f64,
    location: &Location,
    model: &str,
) -> Result<(), PricingError> {
    let problem = if !value.is_finite() {
        PriceProblem::NotFinite
    } else if value < 0.0 {
        PriceProblem::Negative(value)
    } else {
        return Ok(());
    };
    Err(PricingError::InvalidPrice {
        location: location.clone(),
        model: model.to_owned(),
        field: field.to_owned(),
        problem,
    })
}

/// The candidate closest to `name` by edit distance, if close enough to be a typo.
pub(crate) fn suggest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let limit = (name.len() / 4).max(2);
    candidates
        .map(|candidate| (edit_distance(name, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate.to_owned())
}

fn edit_distance(left: &str, right: &str) -> usize {
    let right: Vec<char> = right.chars().collect();
    let mut previous: Vec<usize> = (0..=right.len()).collect();
    let mut current = vec![0; right.len() + 1];
    for (i, left_char) in left.chars().enumerate() {
        current[0] = i + 1;
        for (j, right_char) in right.iter().enumerate() {
            let substitution = previous[j] + usize::from(left_char != *right_char);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[right.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_litellm_field_names() {
        let field =
            PriceField::parse("cache_read_input_token_cost_above_272k_tokens_priority").unwrap();
        assert_eq!(field.component, Component::CacheRead);
        assert_eq!(field.threshold, Some(("272k", 272_000)));
        assert_eq!(field.variant, Variant::Priority);

        let field =
            PriceField::parse("cache_creation_input_token_cost_above_1hr_above_100k_tokens")
                .unwrap();
        assert_eq!(field.component, Component::CacheWrite1h);
        assert_eq!(field.threshold, Some(("100k", 100_000)));

        let field = PriceField::parse("cache_creation_input_token_cost_above_1hr").unwrap();
        assert_eq!(
            (field.component, field.threshold),
            (Component::CacheWrite1h, None)
        );

        let field = PriceField::parse("input_cost_per_token_batches").unwrap();
        assert_eq!(
            (field.component, field.variant),
            (Component::Input, Variant::Batch)
        );

        assert_eq!(
            PriceField::parse("input_cost_per_token_above_128_tokens")
                .unwrap()
                .threshold,
            Some(("128", 128))
        );
        for unmodelled in [
            "cache_creation_input_token_cost_above_12hr",
            "input_cost_per_token_ultrafast",
            "input_cost_per_audio_token",
            "input_cost_per_token_above_x_tokens",
            "input_cost_per_tokens",
        ] {
            assert_eq!(PriceField::parse(unmodelled), None, "{unmodelled}");
        }
    }

    #[test]
    fn get_reads_back_every_field_set() {
        let prices = ModelPrices::new()
            .with("input_cost_per_token_above_200k_tokens_batches", 1.5e-6)
            .unwrap()
            .with("output_cost_per_token", 0.0)
            .unwrap();
        assert_eq!(
            prices.get("input_cost_per_token_above_200k_tokens_batches"),
            Some(1.5e-6)
        );
        assert_eq!(prices.get("output_cost_per_token"), Some(0.0));
        assert_eq!(prices.get("input_cost_per_token"), None);
        let mut fields = prices.fields();
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            fields,
            vec![
                (
                    "input_cost_per_token_above_200k_tokens_batches".to_owned(),
                    1.5e-6
                ),
                ("output_cost_per_token".to_owned(), 0.0),
            ]
        );
    }

    #[test]
    fn suggests_near_field_names() {
        assert_eq!(
            suggest(
                "input_cost_per_tokn",
                Component::ALL.iter().map(|c| c.field())
            )
            .as_deref(),
            Some("input_cost_per_token")
        );
        assert_eq!(
            suggest("colour", Component::ALL.iter().map(|c| c.field())),
            None
        );
    }
}
