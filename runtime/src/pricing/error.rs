//! Errors of the pricing registry.

use std::fmt;
use std::path::PathBuf;

/// Where a price came from, for error messages: a file and line, or code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// The override file, or `None` for prices given in code.
    pub path: Option<PathBuf>,
    /// The 1-based line of the offending key, when known.
    pub line: Option<usize>,
}

impl Location {
    pub(crate) fn code() -> Self {
        Self::default()
    }

    pub(crate) fn file(path: PathBuf, line: usize) -> Self {
        Self {
            path: Some(path),
            line: Some(line),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.path {
            write!(f, " in `{}`", path.display())?;
        }
        if let Some(line) = self.line {
            write!(f, " at line {line}")?;
        }
        Ok(())
    }
}

/// Why a price value was rejected.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PriceProblem {
    /// The price is below zero.
    Negative(f64),
    /// The price is NaN or infinite.
    NotFinite,
    /// The value is not a number (`found` names what it is: "a string", "a boolean", …).
    NotANumber {
        /// What was found instead of a number.
        found: &'static str,
    },
}

impl fmt::Display for PriceProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Negative(value) => write!(f, "must not be negative, found {value}"),
            Self::NotFinite => f.write_str("must be a finite number"),
            Self::NotANumber { found } => write!(f, "must be a number, found {found}"),
        }
    }
}

/// An error of the pricing registry: reading or validating price overrides, or parsing a tier.
#[derive(Debug)]
#[non_exhaustive]
pub enum PricingError {
    /// An override file could not be read.
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An override file has neither a `.json` nor a `.toml` extension.
    UnsupportedFormat {
        /// The file.
        path: PathBuf,
    },
    /// An override file is not valid JSON or TOML, or not shaped as `{ model: { field: value } }`.
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser expected.
        message: String,
    },
    /// A price is negative, not finite, or not a number.
    InvalidPrice {
        /// Where the price was given.
        location: Location,
        /// The model (price-table key) it belongs to; empty for a price built in code.
        model: String,
        /// The LiteLLM field name, e.g. `input_cost_per_token`.
        field: String,
        /// What is wrong with the value.
        problem: PriceProblem,
    },
    /// A field that is neither a price llmscope understands nor a known LiteLLM field.
    UnknownField {
        /// Where the field was given.
        location: Location,
        /// The model it belongs to; empty for a price built in code.
        model: String,
        /// The field name as written.
        field: String,
        /// The nearest valid field name, if one is close.
        suggestion: Option<String>,
    },
    /// An entry is structurally wrong (not a table, a malformed `tiered_pricing` range, …).
    InvalidEntry {
        /// Where the entry was given.
        location: Location,
        /// The model it belongs to.
        model: String,
        /// What is wrong.
        message: String,
    },
    /// A service tier name that is not `standard`, `batch`, `flex` or `priority`.
    UnknownTier {
        /// The name as given.
        value: String,
    },
}

fn model_clause(model: &str) -> String {
    if model.is_empty() {
        String::new()
    } else {
        format!(" for model `{model}`")
    }
}

impl fmt::Display for PricingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, source } => {
                write!(
                    f,
                    "cannot read price overrides `{}`: {source}",
                    path.display()
                )
            }
            Self::UnsupportedFormat { path } => write!(
                f,
                "unsupported price override file `{}`: expected a `.json` or `.toml` extension",
                path.display()
            ),
            Self::Syntax {
                path,
                line,
                column,
                message,
            } => write!(
                f,
                "malformed price overrides `{}` at line {line}, column {column}: {message}",
                path.display()
            ),
            Self::InvalidPrice {
                location,
                model,
                field,
                problem,
            } => write!(
                f,
                "invalid price `{field}`{}{location}: {problem}",
                model_clause(model)
            ),
            Self::UnknownField {
                location,
                model,
                field,
                suggestion,
            } => {
                write!(
                    f,
                    "unknown price field `{field}`{}{location}",
                    model_clause(model)
                )?;
                if let Some(suggestion) = suggestion {
                    write!(f, "; did you mean `{suggestion}`?")?;
                }
                Ok(())
            }
            Self::InvalidEntry {
                location,
                model,
                message,
            } => write!(
                f,
                "invalid price entry{}{location}: {message}",
                model_clause(model)
            ),
            Self::UnknownTier { value } => write!(
                f,
                "unknown service tier `{value}`; expected `standard`, `batch`, `flex` or `priority`"
            ),
        }
    }
}

impl std::error::Error for PricingError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
