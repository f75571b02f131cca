//! Price override files: JSON or TOML with LiteLLM's field names.
//!
//! ```json
//! { "gpt-4o": { "input_cost_per_token": 2.0e-6, "output_cost_per_token": 8.0e-6 } }
//! ```
//!
//! ```toml
//! ["gpt-4o"]
//! input_cost_per_token = 2.0e-6
//! output_cost_per_token = 8.0e-6
//! ```

use std::path::Path;

use super::error::{Location, PricingError};
use super::json;
use super::prices::{suggest, ModelPrices, PriceField, PriceTier};
use super::snapshot;

/// One model's prices from an override file.
pub(crate) struct Override {
    pub(crate) key: String,
    pub(crate) prices: ModelPrices,
}

/// A value of either format, reduced to what prices need.
enum Scalar<'v> {
    Number(f64),
    String(&'v str),
    Other(&'static str),
}

pub(crate) fn read(path: &Path) -> Result<Vec<Override>, PricingError> {
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .map(str::to_ascii_lowercase);
    let parse: fn(&Path, &str) -> Result<Vec<Override>, PricingError> = match extension.as_deref() {
        Some("json") => parse_json,
        Some("toml") => parse_toml,
        _ => {
            return Err(PricingError::UnsupportedFormat {
                path: path.to_owned(),
            })
        }
    };
    let text = std::fs::read_to_string(path).map_err(|source| PricingError::Io {
        path: path.to_owned(),
        source,
    })?;
    parse(path, &text)
}

/// Collects one entry field by field, applying the shared rules of both formats.
struct EntryBuilder<'p> {
    path: &'p Path,
    model: String,
    prices: ModelPrices,
}

impl EntryBuilder<'_> {
    fn location(&self, line: usize) -> Location {
        Location::file(self.path.to_owned(), line)
    }

    fn field(&mut self, field: &str, line: usize, value: Scalar<'_>) -> Result<(), PricingError> {
        let location = self.location(line);
        if field == "litellm_provider" {
            return match value {
                Scalar::String(provider) => {
                    self.prices.provider = Some(provider.into());
                    Ok(())
                }
                _ => Err(self.invalid(line, "`litellm_provider` must be a string")),
            };
        }
        if PriceField::parse(field).is_some() {
            let value = match value {
                Scalar::Number(value) => value,
                Scalar::String(_) => {
                    return Err(not_a_number(location, &self.model, field, "a string"))
                }
                Scalar::Other(kind) => {
                    return Err(not_a_number(location, &self.model, field, kind))
                }
            };
            return self.prices.set(field, value, &location, &self.model);
        }
        if snapshot::known_fields().any(|known| known == field) {
            // A LiteLLM field llmscope does not price by (capabilities, per-image prices, …).
            return Ok(());
        }
        Err(PricingError::UnknownField {
            location,
            model: self.model.clone(),
            field: field.to_owned(),
            suggestion: suggest(field, snapshot::known_fields()),
        })
    }

    fn invalid(&self, line: usize, message: &str) -> PricingError {
        PricingError::InvalidEntry {
            location: self.location(line),
            model: self.model.clone(),
            message: message.to_owned(),
        }
    }

    fn finish(self) -> Override {
        let mut prices = self.prices;
        prices.sort_tiers();
        Override {
            key: self.model,
            prices,
        }
    }
}

fn not_a_number(location: Location, model: &str, field: &str, found: &'static str) -> PricingError {
    PricingError::InvalidPrice {
        location,
        model: model.to_owned(),
        field: field.to_owned(),
        problem: super::error::PriceProblem::NotANumber { found },
    }
}

const TIER_RANGE_MESSAGE: &str = "each `tiered_pricing` item needs `range = [start, end]`";

fn parse_json(path: &Path, text: &str) -> Result<Vec<Override>, PricingError> {
    let root = json::parse(text).map_err(|error| PricingError::Syntax {
        path: path.to_owned(),
        line: error.line,
        column: error.column,
        message: error.message,
    })?;
    let json::Value::Object(models) = root.value else {
        return Err(PricingError::Syntax {
            path: path.to_owned(),
            line: root.line,
            column: 1,
            message: format!("expected an object of models, found {}", root.value.kind()),
        });
    };
    let mut overrides = Vec::with_capacity(models.len());
    for (model, line, entry) in models {
        let mut builder = EntryBuilder {
            path,
            model,
            prices: ModelPrices::default(),
        };
        let json::Value::Object(fields) = entry.value else {
            return Err(builder.invalid(
                line,
                &format!("expected an object of prices, found {}", entry.value.kind()),
            ));
        };
        for (field, field_line, value) in fields {
            if field == "tiered_pricing" {
                let tiers = json_tiers(&builder, field_line, &value)?;
                builder.prices.tiers = tiers;
                continue;
            }
            builder.field(&field, field_line, json_scalar(&value.value))?;
        }
        overrides.push(builder.finish());
    }
    Ok(overrides)
}

fn json_scalar(value: &json::Value) -> Scalar<'_> {
    match value {
        json::Value::Number(number) => Scalar::Number(*number),
        json::Value::String(text) => Scalar::String(text),
        other => Scalar::Other(other.kind()),
    }
}

fn json_tiers(
    builder: &EntryBuilder<'_>,
    line: usize,
    value: &json::Node,
) -> Result<Vec<PriceTier>, PricingError> {
    let json::Value::Array(items) = &value.value else {
        return Err(builder.invalid(line, "`tiered_pricing` must be an array"));
    };
    let mut tiers = Vec::with_capacity(items.len());
    for item in items {
        let json::Value::Object(fields) = &item.value else {
            return Err(builder.invalid(item.line, TIER_RANGE_MESSAGE));
        };
        let range = fields.iter().find(|(name, _, _)| name == "range");
        let bounds = match range.map(|(_, _, node)| &node.value) {
            Some(json::Value::Array(bounds)) => bounds
                .iter()
                .map(|bound| match bound.value {
                    json::Value::Number(number) => Some(number),
                    _ => None,
                })
                .collect::<Option<Vec<f64>>>(),
            _ => None,
        };
        let Some([start, end]) = bounds.as_deref().and_then(|b| <[f64; 2]>::try_from(b).ok())
        else {
            return Err(builder.invalid(item.line, TIER_RANGE_MESSAGE));
        };
        let mut tier =
            PriceTier::with_range(start, end, &builder.location(item.line), &builder.model)?;
        for (field, field_line, node) in fields {
            if field == "range" {
                continue;
            }
            let location = builder.location(*field_line);
            match json_scalar(&node.value) {
                Scalar::Number(value) => tier.set(field, value, &location, &builder.model)?,
                Scalar::String(_) => {
                    return Err(not_a_number(location, &builder.model, field, "a string"))
                }
                Scalar::Other(kind) => {
                    return Err(not_a_number(location, &builder.model, field, kind))
                }
            }
        }
        tiers.push(tier);
    }
    Ok(tiers)
}

/// Line and column of byte offsets in one text: the line starts are found in one pass, then
/// each lookup is a binary search (a scan per lookup made large files quadratic).
struct LineIndex<'t> {
    text: &'t str,
    /// Byte offset of the start of each line.
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    fn new(text: &'t str) -> Self {
        let mut starts = Vec::with_capacity(text.len() / 32 + 1);
        starts.push(0);
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|newline| newline + 1));
        #[cfg(test)]
        tests::SCANNED.with(|scanned| scanned.set(scanned.get() + text.len()));
        LineIndex { text, starts }
    }

    /// 1-based line of a byte offset.
    fn line(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        self.starts.partition_point(|start| *start <= offset)
    }

    /// 1-based column (in bytes) of a byte offset.
    fn column(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        offset - self.starts[self.line(offset) - 1] + 1
    }
}

type TomlEntry = toml::map::Map<String, toml::Value>;

/// A TOML override file: model → field → value, each with its position.
type TomlFile = std::collections::BTreeMap<
    toml::Spanned<String>,
    toml::Spanned<std::collections::BTreeMap<toml::Spanned<String>, toml::Spanned<toml::Value>>>,
>;

fn parse_toml(path: &Path, text: &str) -> Result<Vec<Override>, PricingError> {
    let lines = LineIndex::new(text);
    let syntax = |error: toml::de::Error| {
        let offset = error.span().map_or(0, |span| span.start);
        PricingError::Syntax {
            path: path.to_owned(),
            line: lines.line(offset),
            column: lines.column(offset),
            message: error.message().trim().to_owned(),
        }
    };
    let models: TomlFile = toml::from_str(text).map_err(syntax)?;
    let mut overrides = Vec::with_capacity(models.len());
    let mut models: Vec<_> = models.into_iter().collect();
    models.sort_by_key(|(model, _)| model.span().start);
    for (model, fields) in models {
        let mut builder = EntryBuilder {
            path,
            model: model.into_inner(),
            prices: ModelPrices::default(),
        };
        for (field, value) in fields.into_inner() {
            let field_line = lines.line(field.span().start);
            let field = field.into_inner();
            let value = value.into_inner();
            if field == "tiered_pricing" {
                builder.prices.tiers = toml_tiers(&builder, field_line, &value)?;
                continue;
            }
            builder.field(&field, field_line, toml_scalar(&value))?;
        }
        overrides.push(builder.finish());
    }
    Ok(overrides)
}

fn toml_scalar(value: &toml::Value) -> Scalar<'_> {
    match value {
        toml::Value::Float(number) => Scalar::Number(*number),
        toml::Value::Integer(number) => Scalar::Number(*number as f64),
        toml::Value::String(text) => Scalar::String(text),
        toml::Value::Boolean(_) => Scalar::Other("a boolean"),
        toml::Value::Datetime(_) => Scalar::Other("a date-time"),
        toml::Value::Array(_) => Scalar::Other("an array"),
        toml::Value::Table(_) => Scalar::Other("a table"),
    }
}

fn toml_tiers(
    builder: &EntryBuilder<'_>,
    line: usize,
    value: &toml::Value,
) -> Result<Vec<PriceTier>, PricingError> {
    let toml::Value::Array(items) = value else {
        return Err(builder.invalid(line, "`tiered_pricing` must be an array of tables"));
    };
    let location = builder.location(line);
    let mut tiers = Vec::with_capacity(items.len());
    for item in items {
        let Some(fields): Option<&TomlEntry> = item.as_table() else {
            return Err(builder.invalid(line, TIER_RANGE_MESSAGE));
        };
        let bounds = fields
            .get("range")
            .and_then(toml::Value::as_array)
            .and_then(|bounds| {
                bounds
                    .iter()
                    .map(|bound| match toml_scalar(bound) {
                        Scalar::Number(number) => Some(number),
                        _ => None,
                    })
                    .collect::<Option<Vec<f64>>>()
            });
        let Some([start, end]) = bounds.as_deref().and_then(|b| <[f64; 2]>::try_from(b).ok())
        else {
            return Err(builder.invalid(line, TIER_RANGE_MESSAGE));
        };
        let mut tier = PriceTier::with_range(start, end, &location, &builder.model)?;
        for (field, value) in fields {
            if field == "range" {
                continue;
            }
            match toml_scalar(value) {
                Scalar::Number(value) => tier.set(field, value, &location, &builder.model)?,
                Scalar::String(_) => {
                    return Err(not_a_number(location, &builder.model, field, "a string"))
                }
                Scalar::Other(kind) => {
                    return Err(not_a_number(location, &builder.model, field, kind))
                }
            }
        }
        tiers.push(tier);
    }
    Ok(tiers)
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        /// Bytes read to number lines, on this thread.
        pub(super) static SCANNED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// `models` entries of two prices each, ~85 bytes per entry.
    fn toml_file(models: usize) -> String {
        let mut text = String::with_capacity(models * 90);
        for model in 0..models {
            text.push_str(&format!(
                "[\"model-{model:07}\"]\ninput_cost_per_token = 1.0e-6\noutput_cost_per_token = {model}.0e-9\n\n"
            ));
        }
        text
    }

    #[test]
    fn lines_and_columns_are_those_of_the_offset() {
        let text = "ab\ncd\n\nef";
        let lines = LineIndex::new(text);
        let expected = [
            (1, 1),
            (1, 2),
            (1, 3),
            (2, 1),
            (2, 2),
            (2, 3),
            (3, 1),
            (4, 1),
            (4, 2),
        ];
        for (offset, (line, column)) in expected.into_iter().enumerate() {
            assert_eq!(
                (lines.line(offset), lines.column(offset)),
                (line, column),
                "{offset}"
            );
        }
        assert_eq!(lines.line(text.len() + 5), 4, "past the end");
    }

    #[test]
    fn a_large_toml_file_is_numbered_in_one_pass() {
        // A size sweep: the bytes read to number lines grow with the file (one pass), not with
        // the file times its number of fields (as when each field's line was counted from the
        // start: 12,000 entries × 2 fields × ~0.5 MB on average ≈ 12 GB read).
        for models in [3_000, 12_000] {
            let text = toml_file(models);
            SCANNED.with(|scanned| scanned.set(0));
            let overrides = parse_toml(Path::new("big.toml"), &text).unwrap();
            assert_eq!(SCANNED.with(std::cell::Cell::get), text.len());
            assert_eq!(overrides.len(), models);
            let last = overrides.last().unwrap();
            assert_eq!(last.key, format!("model-{:07}", models - 1));
            let expected: f64 = format!("{}.0e-9", models - 1).parse().unwrap();
            assert_eq!(last.prices.get("output_cost_per_token"), Some(expected));
        }
    }

    #[test]
    fn errors_deep_in_a_large_file_name_the_file_line_and_key() {
        let mut text = toml_file(12_000);
        // Entry 12,001 starts on line 4 × 12,000 + 1; its field is the line after.
        text.push_str("[\"late-model\"]\ninput_cost_per_tokn = 1.0e-6\n");
        let error = match parse_toml(Path::new("big.toml"), &text) {
            Err(error) => error.to_string(),
            Ok(_) => panic!("the misspelt field is refused"),
        };
        assert!(
            error.starts_with("unknown price field `input_cost_per_tokn`"),
            "{error}"
        );
        assert!(error.contains("`late-model`"), "{error}");
        assert!(error.contains("`big.toml` at line 48002"), "{error}");
    }
}
