//! The generator's error type.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Everything that can go wrong while reading the semconv YAML or writing the generated files.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A file or directory could not be read.
    Read {
        /// The path that could not be read.
        path: PathBuf,
        /// The underlying I/O error.
        source: io::Error,
    },
    /// A YAML file is not valid YAML or does not have the semconv model shape.
    Parse {
        /// The YAML file.
        path: PathBuf,
        /// The parser's error.
        source: serde_yaml::Error,
    },
    /// An attribute definition lacks a field the generator needs.
    MissingField {
        /// The YAML file.
        path: PathBuf,
        /// The attribute id.
        attribute: String,
        /// The missing field.
        field: &'static str,
    },
    /// An attribute has a type the registry cannot represent.
    UnsupportedType {
        /// The YAML file.
        path: PathBuf,
        /// The attribute id.
        attribute: String,
        /// The type as written in the YAML.
        ty: String,
    },
    /// An enum attribute mixes string and integer member values, or has a value of another kind.
    InvalidEnumValue {
        /// The YAML file.
        path: PathBuf,
        /// The attribute id.
        attribute: String,
        /// The member id.
        member: String,
    },
    /// The same attribute is defined twice.
    DuplicateAttribute {
        /// The attribute id.
        attribute: String,
        /// The file of the first definition.
        first: PathBuf,
        /// The file of the second definition.
        second: PathBuf,
    },
    /// A name cannot be turned into a Rust identifier, or two names map to the same identifier.
    Identifier {
        /// What is wrong, naming the names involved.
        message: String,
    },
    /// `rustfmt` could not be run or rejected the generated code.
    Rustfmt {
        /// What went wrong, including rustfmt's own output.
        message: String,
    },
    /// A generated file could not be written.
    Write {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        source: io::Error,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Read { path, source } => {
                write!(f, "cannot read `{}`: {source}", path.display())
            }
            Error::Parse { path, source } => {
                write!(f, "cannot parse `{}`: {source}", path.display())
            }
            Error::MissingField {
                path,
                attribute,
                field,
            } => write!(
                f,
                "attribute `{attribute}` in `{}` has no `{field}`",
                path.display()
            ),
            Error::UnsupportedType {
                path,
                attribute,
                ty,
            } => write!(
                f,
                "attribute `{attribute}` in `{}` has unsupported type `{ty}`; \
                 add a variant to `AttrType` in the generator",
                path.display()
            ),
            Error::InvalidEnumValue {
                path,
                attribute,
                member,
            } => write!(
                f,
                "enum member `{member}` of `{attribute}` in `{}` has a value that is not a \
                 string or integer like the other members",
                path.display()
            ),
            Error::DuplicateAttribute {
                attribute,
                first,
                second,
            } => write!(
                f,
                "attribute `{attribute}` is defined twice, in `{}` and `{}`",
                first.display(),
                second.display()
            ),
            Error::Identifier { message } | Error::Rustfmt { message } => f.write_str(message),
            Error::Write { path, source } => {
                write!(f, "cannot write `{}`: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Read { source, .. } | Error::Write { source, .. } => Some(source),
            Error::Parse { source, .. } => Some(source),
            _ => None,
        }
    }
}
