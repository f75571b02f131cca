//! The price snapshot compiled into the binary.
//!
//! `runtime/data/prices-litellm-1.109.1.tsv` is generated from LiteLLM's table
//! (`runtime/data/litellm-1.109.1.json`) by the test `embedded_snapshot_matches_source`
//! below; run it with `LLMSCOPE_REGENERATE_PRICES=1` to rewrite the file. The format is one
//! line per model, tab-separated, so loading it costs a split and a float parse per price:
//!
//! ```text
//! version <tab> litellm-1.109.1
//! fields <tab> <every field name LiteLLM uses, space-separated>
//! <key> <tab> <litellm_provider> <tab> <mode> <tab> <field>=<USD per token> … <tab> tier=<start>:<end>;<field>=<value>;…
//! ```

use super::error::Location;
use super::prices::{ModelPrices, PriceField, PriceTier};

/// The embedded snapshot text.
pub(crate) const TEXT: &str = include_str!("../../data/prices-litellm-1.109.1.tsv");

/// One entry of a snapshot.
pub(crate) struct SnapshotEntry<'t> {
    pub(crate) key: &'t str,
    pub(crate) provider: &'t str,
    pub(crate) mode: &'t str,
    pub(crate) prices: ModelPrices,
}

/// A parsed snapshot.
pub(crate) struct Snapshot<'t> {
    pub(crate) version: &'t str,
    pub(crate) entries: Vec<SnapshotEntry<'t>>,
}

/// Every field name LiteLLM uses (accepted, and ignored unless modelled, in override files).
pub(crate) fn known_fields() -> impl Iterator<Item = &'static str> {
    TEXT.lines()
        .find_map(|line| line.strip_prefix("fields\t"))
        .unwrap_or_default()
        .split(' ')
}

pub(crate) fn parse(text: &str) -> Result<Snapshot<'_>, String> {
    let mut version = None;
    let mut entries = Vec::with_capacity(4096);
    for (number, line) in text.lines().enumerate() {
        let fail = |what: &str| format!("price snapshot line {}: {what}", number + 1);
        if line.is_empty() || line.starts_with('#') || line.starts_with("fields\t") {
            continue;
        }
        if let Some(value) = line.strip_prefix("version\t") {
            version = Some(value);
            continue;
        }
        let mut columns = line.split('\t');
        let (Some(key), Some(provider), Some(mode)) =
            (columns.next(), columns.next(), columns.next())
        else {
            return Err(fail("expected key, provider and mode"));
        };
        let mut prices = ModelPrices::default();
        for item in columns {
            if let Some(tier) = item.strip_prefix("tier=") {
                prices
                    .tiers
                    .push(parse_tier(tier).ok_or_else(|| fail("malformed tier"))?);
                continue;
            }
            let (field, value) = item
                .split_once('=')
                .ok_or_else(|| fail("expected field=value"))?;
            let field = PriceField::parse(field).ok_or_else(|| fail("unknown price field"))?;
            let value = value.parse::<f64>().map_err(|_| fail("malformed price"))?;
            prices.set_parsed(&field, value);
        }
        prices.sort_tiers();
        entries.push(SnapshotEntry {
            key,
            provider,
            mode,
            prices,
        });
    }
    Ok(Snapshot {
        version: version.ok_or("price snapshot has no version line")?,
        entries,
    })
}

fn parse_tier(text: &str) -> Option<PriceTier> {
    let mut parts = text.split(';');
    let (start, end) = parts.next()?.split_once(':')?;
    let location = Location::code();
    let mut tier =
        PriceTier::with_range(start.parse().ok()?, end.parse().ok()?, &location, "").ok()?;
    for part in parts {
        let (field, value) = part.split_once('=')?;
        tier.set(field, value.parse().ok()?, &location, "").ok()?;
    }
    Some(tier)
}

#[cfg(test)]
pub(crate) mod generate {
    //! Generates the compact snapshot from LiteLLM's JSON table.

    use std::collections::BTreeSet;
    use std::fmt::Write as _;

    use serde_json::Value;

    use super::super::prices::{Component, PriceField};

    /// Entries that are not models.
    const SKIPPED: [&str; 2] = ["sample_spec", "fallback_generalizations"];

    pub(crate) fn from_litellm(json: &str, version: &str, sha256: &str) -> String {
        let table: serde_json::Map<String, Value> =
            serde_json::from_str(json).expect("LiteLLM table is a JSON object");
        let mut fields = BTreeSet::new();
        let mut lines = String::new();
        let mut models = 0;
        for (key, entry) in &table {
            let Some(entry) = entry.as_object() else {
                continue;
            };
            fields.extend(entry.keys().map(String::as_str));
            if SKIPPED.contains(&key.as_str()) {
                continue;
            }
            assert!(
                !key.contains(['\t', '\n', '\r']),
                "price-table key {key:?} cannot be stored"
            );
            let mut line = format!(
                "{key}\t{}\t{}",
                entry
                    .get("litellm_provider")
                    .and_then(Value::as_str)
                    .unwrap_or(""),
                entry.get("mode").and_then(Value::as_str).unwrap_or(""),
            );
            let mut priced = false;
            for (field, value) in entry {
                if let (Some(_), Some(value)) = (PriceField::parse(field), value.as_f64()) {
                    write!(line, "\t{field}={value:e}").expect("write to String");
                    priced = true;
                }
            }
            for tier in entry
                .get("tiered_pricing")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(range) = tier.get("range").and_then(Value::as_array) else {
                    continue;
                };
                let bounds: Vec<f64> = range.iter().filter_map(Value::as_f64).collect();
                let [start, end] = bounds[..] else { continue };
                write!(line, "\ttier={start:e}:{end:e}").expect("write to String");
                for component in Component::ALL {
                    if let Some(value) = tier.get(component.field()).and_then(Value::as_f64) {
                        write!(line, ";{}={value:e}", component.field()).expect("write to String");
                    }
                }
                priced = true;
            }
            if priced {
                lines.push_str(&line);
                lines.push('\n');
                models += 1;
            }
        }
        let mut out = String::new();
        writeln!(
            out,
            "# llmscope price snapshot: generated, do not edit.\n\
             # Source: {version}.json, LiteLLM's model_prices_and_context_window_backup.json \
             (MIT, Copyright (c) 2023 Berri AI; see LICENSE-litellm), sha256 {sha256}.\n\
             # {models} models with per-token prices. Regenerate: LLMSCOPE_REGENERATE_PRICES=1 \
             cargo test -p llmscope-runtime --lib pricing::snapshot\n\
             version\t{version}"
        )
        .expect("write to String");
        let fields: Vec<&str> = fields
            .into_iter()
            .filter(|field| !field.contains(' '))
            .collect();
        writeln!(out, "fields\t{}", fields.join(" ")).expect("write to String");
        out.push_str(&lines);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/litellm-1.109.1.json");
    const TARGET: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/prices-litellm-1.109.1.tsv"
    );
    const SHA256: &str = "8f8060d8ce7a40c91b995c74d6a27657543d49e3c1c53430dabd556f244392c6";

    #[test]
    fn embedded_snapshot_matches_source() {
        let json = std::fs::read_to_string(SOURCE).expect("the LiteLLM table is in runtime/data");
        let generated = generate::from_litellm(&json, "litellm-1.109.1", SHA256);
        if std::env::var_os("LLMSCOPE_REGENERATE_PRICES").is_some() {
            std::fs::write(TARGET, &generated).expect("write the snapshot");
            return;
        }
        assert!(
            generated == TEXT,
            "runtime/data/prices-litellm-1.109.1.tsv is stale: rerun with LLMSCOPE_REGENERATE_PRICES=1"
        );
    }

    #[test]
    fn embedded_snapshot_parses() {
        let snapshot = parse(TEXT).unwrap();
        assert_eq!(snapshot.version, "litellm-1.109.1");
        assert!(snapshot.entries.len() > 3500, "{}", snapshot.entries.len());
        let qwen = snapshot
            .entries
            .iter()
            .find(|entry| entry.key == "dashscope/qwen3-max")
            .unwrap();
        assert_eq!(qwen.provider, "dashscope");
        assert_eq!(qwen.prices.tiered_pricing().len(), 3);
        assert!(known_fields().any(|field| field == "supports_vision"));
    }
}
