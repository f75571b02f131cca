//! Provider families and model-name normalisation.
//!
//! A *family* groups the LiteLLM `litellm_provider` values of one API (`bedrock` and
//! `bedrock_converse`, every `vertex_ai-*`, …) and is what an OpenTelemetry
//! `gen_ai.provider.name` selects. Names are only ever transformed by removing a prefix or
//! suffix of a known shape and then looked up *exactly*: nothing is prefix-matched.

use std::fmt;

/// Families that [`known_family`] resolves without hashing.
pub(crate) const KNOWN_FAMILIES: [&str; 14] = [
    "openai",
    "azure",
    "azure_ai",
    "anthropic",
    "bedrock",
    "vertex_ai",
    "gemini",
    "mistral",
    "cohere",
    "groq",
    "deepseek",
    "xai",
    "dashscope",
    "watsonx",
];

/// The index in [`KNOWN_FAMILIES`] of a well-known provider name; agrees with
/// [`family_of_provider`].
#[inline]
pub(crate) fn known_family(provider: &str) -> Option<usize> {
    Some(match provider {
        "openai" => 0,
        "azure.ai.openai" | "azure" => 1,
        "azure.ai.inference" | "azure_ai" => 2,
        "anthropic" => 3,
        "aws.bedrock" | "bedrock" => 4,
        "gcp.vertex_ai" | "vertex_ai" => 5,
        "gcp.gemini" | "gcp.gen_ai" | "gemini" => 6,
        "mistral_ai" | "mistral" => 7,
        "cohere" => 8,
        "groq" => 9,
        "deepseek" => 10,
        "x_ai" | "xai" => 11,
        "dashscope" => 12,
        "ibm.watsonx.ai" | "watsonx" => 13,
        _ => return None,
    })
}

/// The family an OpenTelemetry `gen_ai.provider.name` (or a LiteLLM provider name) selects.
pub(crate) fn family_of_provider(provider: &str) -> &str {
    match provider {
        "azure.ai.openai" | "azure_text" => "azure",
        "azure.ai.inference" => "azure_ai",
        "aws.bedrock" | "bedrock_converse" => "bedrock",
        "gcp.vertex_ai" => "vertex_ai",
        "gcp.gemini" | "gcp.gen_ai" => "gemini",
        "mistral_ai" => "mistral",
        "x_ai" => "xai",
        "ibm.watsonx.ai" => "watsonx",
        "cohere_chat" => "cohere",
        "text-completion-openai" => "openai",
        other => family_of_litellm_provider(other),
    }
}

/// The family of a LiteLLM `litellm_provider` value.
pub(crate) fn family_of_litellm_provider(provider: &str) -> &str {
    let provider = provider
        .strip_prefix("text-completion-")
        .unwrap_or(provider);
    match provider {
        "azure_text" => "azure",
        "bedrock_converse" => "bedrock",
        "cohere_chat" => "cohere",
        // `vertex_ai-language-models`, `fireworks_ai-embedding-models`, …
        _ => provider.split('-').next().unwrap_or(provider),
    }
}

/// Key prefixes of a family besides `{family}/`, stripped from a requested name.
fn extra_prefixes(family: &str) -> &'static [&'static str] {
    match family {
        "gemini" => &["models/"],
        "bedrock" => &["bedrock_converse/", "converse/"],
        "cohere" => &["cohere_chat/"],
        "azure" => &["azure_text/"],
        _ => &[],
    }
}

/// Whether this family bills the long-context rate once the prompt *reaches* the threshold.
pub(crate) fn inclusive_thresholds(family: &str) -> bool {
    family == "xai"
}

/// The name under which a price-table key is indexed in its family: the key without a leading
/// `{litellm_provider}/` or `{family}/`.
pub(crate) fn bare_name<'k>(key: &'k str, litellm_provider: &str, family: &str) -> (&'k str, bool) {
    for prefix in [litellm_provider, family] {
        if let Some(rest) = key
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('/'))
        {
            if !rest.is_empty() {
                return (rest, true);
            }
        }
    }
    (key, false)
}

/// One way a requested model name was transformed before it matched a price entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NormalisationStep {
    /// A provider prefix was removed: `openai/gpt-4o`, `gemini/…`, `models/…`, `bedrock/…`.
    ProviderPrefix,
    /// A resource path was reduced to its model id: Vertex `projects/…/models/…`, Bedrock ARNs.
    ResourcePath,
    /// A Bedrock cross-region prefix (`us.`, `eu.`, `global.`, …) was removed because the table
    /// has no entry for the regional id.
    RegionPrefix,
    /// A Vertex version pin (`@20250929`) was removed.
    VersionPin,
    /// A trailing `-YYYY-MM-DD` snapshot date was removed.
    SnapshotDate,
}

impl NormalisationStep {
    const ALL: [NormalisationStep; 5] = [
        NormalisationStep::ProviderPrefix,
        NormalisationStep::ResourcePath,
        NormalisationStep::RegionPrefix,
        NormalisationStep::VersionPin,
        NormalisationStep::SnapshotDate,
    ];

    const fn bit(self) -> u8 {
        1 << self as u8
    }

    /// A short lowercase description, e.g. `snapshot date removed`.
    pub const fn description(self) -> &'static str {
        match self {
            NormalisationStep::ProviderPrefix => "provider prefix removed",
            NormalisationStep::ResourcePath => "resource path reduced to the model id",
            NormalisationStep::RegionPrefix => "region prefix removed",
            NormalisationStep::VersionPin => "version pin removed",
            NormalisationStep::SnapshotDate => "snapshot date removed",
        }
    }
}

/// How a requested model name was normalised to find its price entry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Normalisation(u8);

impl Normalisation {
    /// Whether the name matched as given (apart from the provider's own key prefix, e.g.
    /// `gemini-2.5-pro` under `gcp.gemini` matching `gemini/gemini-2.5-pro`).
    pub const fn is_exact(self) -> bool {
        self.0 == 0
    }

    /// Whether `step` was applied.
    pub const fn contains(self, step: NormalisationStep) -> bool {
        self.0 & step.bit() != 0
    }

    /// The steps applied, in order.
    pub fn steps(self) -> impl Iterator<Item = NormalisationStep> {
        NormalisationStep::ALL
            .into_iter()
            .filter(move |step| self.contains(*step))
    }

    fn with(self, step: NormalisationStep) -> Self {
        Self(self.0 | step.bit())
    }
}

impl fmt::Display for Normalisation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_exact() {
            return f.write_str("exact");
        }
        for (index, step) in self.steps().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            f.write_str(step.description())?;
        }
        Ok(())
    }
}

const BEDROCK_REGIONS: [&str; 9] = [
    "us", "us-gov", "eu", "apac", "au", "jp", "ca", "global", "sa",
];

/// Calls `probe` with the requested name, then with each normalised form, until it returns
/// `Some`. Every form is a sub-slice of `model`: nothing is allocated.
pub(crate) fn find<T>(
    family: &str,
    model: &str,
    mut probe: impl FnMut(&str) -> Option<T>,
) -> Option<(T, Normalisation)> {
    let mut name = model;
    let mut applied = Normalisation::default();
    if let Some(found) = probe(name) {
        return Some((found, applied));
    }
    for step in NormalisationStep::ALL {
        let next = match step {
            NormalisationStep::ProviderPrefix | NormalisationStep::ResourcePath
                if !name.contains('/') =>
            {
                None
            }
            NormalisationStep::ProviderPrefix => strip_family_prefix(family, name),
            NormalisationStep::ResourcePath => resource_path_model(family, name),
            NormalisationStep::RegionPrefix if family == "bedrock" => strip_region(name),
            NormalisationStep::VersionPin if family == "vertex_ai" => {
                name.split_once('@').map(|(base, _)| base)
            }
            NormalisationStep::SnapshotDate => strip_snapshot_date(name),
            _ => None,
        };
        let Some(next) = next.filter(|next| !next.is_empty() && *next != name) else {
            continue;
        };
        name = next;
        applied = applied.with(step);
        if let Some(found) = probe(name) {
            return Some((found, applied));
        }
    }
    None
}

fn strip_family_prefix<'m>(family: &str, model: &'m str) -> Option<&'m str> {
    if let Some(rest) = model
        .strip_prefix(family)
        .and_then(|rest| rest.strip_prefix('/'))
    {
        return Some(rest);
    }
    extra_prefixes(family)
        .iter()
        .find_map(|prefix| model.strip_prefix(prefix))
}

/// `projects/p/locations/l/publishers/google/models/gemini-2.5-pro` → `gemini-2.5-pro`;
/// `arn:aws:bedrock:us-east-1:1:inference-profile/us.anthropic.…` → `us.anthropic.…`.
fn resource_path_model<'m>(family: &str, model: &'m str) -> Option<&'m str> {
    match family {
        "vertex_ai" | "gemini" => model.rsplit_once("/models/").map(|(_, id)| id),
        "bedrock" if model.starts_with("arn:") => model.rsplit_once('/').map(|(_, id)| id),
        _ => None,
    }
}

/// `us.anthropic.claude-…` → `anthropic.claude-…` (the remainder must still be `vendor.model`).
fn strip_region(model: &str) -> Option<&str> {
    let (region, rest) = model.split_once('.')?;
    (BEDROCK_REGIONS.contains(&region) && rest.contains('.')).then_some(rest)
}

/// `gpt-4o-2024-08-06` → `gpt-4o` (LiteLLM's `_strip_dated_snapshot_suffix`).
pub(crate) fn strip_snapshot_date(model: &str) -> Option<&str> {
    let bytes = model.as_bytes();
    if bytes.len() < 12 {
        return None;
    }
    let tail = &bytes[bytes.len() - 11..];
    let shape_ok = tail[0] == b'-'
        && tail[5] == b'-'
        && tail[8] == b'-'
        && [1, 2, 3, 4, 6, 7, 9, 10]
            .iter()
            .all(|&index| tail[index].is_ascii_digit());
    shape_ok.then(|| &model[..model.len() - 11])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_of_otel_and_litellm_names() {
        assert_eq!(family_of_provider("aws.bedrock"), "bedrock");
        assert_eq!(family_of_provider("gcp.vertex_ai"), "vertex_ai");
        assert_eq!(family_of_provider("x_ai"), "xai");
        assert_eq!(family_of_provider("together_ai"), "together_ai");
        assert_eq!(
            family_of_litellm_provider("vertex_ai-anthropic_models"),
            "vertex_ai"
        );
        assert_eq!(
            family_of_litellm_provider("text-completion-openai"),
            "openai"
        );
        assert_eq!(family_of_litellm_provider("cohere_chat"), "cohere");
    }

    #[test]
    fn known_families_agree_with_the_general_mapping() {
        for provider in [
            "openai",
            "azure.ai.openai",
            "azure",
            "azure.ai.inference",
            "azure_ai",
            "anthropic",
            "aws.bedrock",
            "bedrock",
            "gcp.vertex_ai",
            "vertex_ai",
            "gcp.gemini",
            "gcp.gen_ai",
            "gemini",
            "mistral_ai",
            "mistral",
            "cohere",
            "groq",
            "deepseek",
            "x_ai",
            "xai",
            "dashscope",
            "ibm.watsonx.ai",
            "watsonx",
        ] {
            let known = known_family(provider).unwrap();
            assert_eq!(
                KNOWN_FAMILIES[known],
                family_of_provider(provider),
                "{provider}"
            );
        }
        assert_eq!(known_family("together_ai"), None);
    }

    #[test]
    fn strips_only_well_formed_dates() {
        assert_eq!(strip_snapshot_date("gpt-4o-2024-08-06"), Some("gpt-4o"));
        assert_eq!(strip_snapshot_date("claude-sonnet-4-5-20250929"), None);
        assert_eq!(strip_snapshot_date("-2024-08-06"), None);
        assert_eq!(strip_snapshot_date("gpt-4o-2024-0x-06"), None);
    }

    #[test]
    fn normalises_step_by_step() {
        let known = [
            "gpt-4o",
            "anthropic.claude-x-v1:0",
            "claude-3",
            "gemini-2.5-pro",
        ];
        let probe = |name: &str| known.contains(&name).then(|| name.to_owned());
        let (name, how) = find("openai", "openai/gpt-4o-2099-01-01", probe).unwrap();
        assert_eq!(name, "gpt-4o");
        assert_eq!(
            how.to_string(),
            "provider prefix removed, snapshot date removed"
        );
        let (name, how) = find("bedrock", "eu.anthropic.claude-x-v1:0", probe).unwrap();
        assert_eq!(
            (name.as_str(), how.steps().collect::<Vec<_>>()),
            (
                "anthropic.claude-x-v1:0",
                vec![NormalisationStep::RegionPrefix]
            )
        );
        let (name, _) = find(
            "vertex_ai",
            "projects/p/locations/us/publishers/google/models/gemini-2.5-pro",
            probe,
        )
        .unwrap();
        assert_eq!(name, "gemini-2.5-pro");
        let (name, how) = find("vertex_ai", "claude-3@20240229", probe).unwrap();
        assert_eq!(
            (name.as_str(), how.to_string().as_str()),
            ("claude-3", "version pin removed")
        );
        assert_eq!(find("openai", "claude-3@20240229", probe), None);
        assert_eq!(find("openai", "gpt-4o-mini", probe), None);
        assert_eq!(find("openai", "azure/gpt-4o", probe), None);
        assert!(find("openai", "gpt-4o", probe).unwrap().1.is_exact());
    }
}
