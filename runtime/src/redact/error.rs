//! Errors raised while configuring redaction and hashing.

use std::fmt;

/// An error configuring a [`Redactor`](super::Redactor) or a [`ContentHasher`](super::ContentHasher).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RedactError {
    /// A user pattern given to [`RedactorBuilder::with_pattern`](super::RedactorBuilder::with_pattern)
    /// is not a valid regular expression.
    InvalidPattern {
        /// The name the pattern was registered under.
        name: String,
        /// The regex compiler's explanation.
        message: String,
    },
    /// A hash key is unusable.
    InvalidHashKey {
        /// The environment variable the key came from, if it came from one.
        variable: Option<&'static str>,
        /// What is wrong with it.
        problem: HashKeyProblem,
    },
}

/// What is wrong with a hash key given as hex.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HashKeyProblem {
    /// The value is not valid Unicode.
    NotUnicode,
    /// The value is empty.
    Empty,
    /// A character is not a hex digit.
    NotHex {
        /// Byte offset of the character in the value.
        offset: usize,
        /// The character found.
        found: char,
    },
    /// The number of hex digits is odd, so they do not make whole bytes.
    OddLength {
        /// Number of hex digits given.
        digits: usize,
    },
    /// The key is shorter than [`ContentHasher::MIN_KEY_BYTES`](super::ContentHasher::MIN_KEY_BYTES).
    TooShort {
        /// Number of key bytes given.
        bytes: usize,
    },
}

impl fmt::Display for RedactError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RedactError::InvalidPattern { name, message } => {
                write!(f, "invalid pattern `{name}`: {message}")
            }
            RedactError::InvalidHashKey {
                variable: Some(variable),
                problem,
            } => write!(f, "invalid hash key in `{variable}`: {problem}"),
            RedactError::InvalidHashKey {
                variable: None,
                problem,
            } => write!(f, "invalid hash key: {problem}"),
        }
    }
}

impl fmt::Display for HashKeyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HashKeyProblem::NotUnicode => f.write_str("the value is not valid unicode; expected hex digits"),
            HashKeyProblem::Empty => f.write_str("the value is empty; expected hex digits"),
            HashKeyProblem::NotHex { offset, found } => {
                write!(f, "expected hex digits, found `{found}` at offset {offset}")
            }
            HashKeyProblem::OddLength { digits } => {
                write!(f, "expected an even number of hex digits, found {digits}")
            }
            HashKeyProblem::TooShort { bytes } => write!(
                f,
                "the key has {bytes} bytes; expected at least {} (generate one with `openssl rand -hex 32`)",
                super::ContentHasher::MIN_KEY_BYTES
            ),
        }
    }
}

impl std::error::Error for RedactError {}
