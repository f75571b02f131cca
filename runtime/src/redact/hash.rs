//! Keyed hashing of content, for the `hash` capture mode.

use std::ffi::OsString;
use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::error::{HashKeyProblem, RedactError};

/// Keyed hash of content: HMAC-SHA256 under a deployment key.
///
/// A plain hash of a prompt can be reversed by hashing candidate texts (a dictionary attack on short
/// or guessable content). Keyed with a secret that only the deployment holds, equal contents still
/// hash equally (so repeated prompts can be grouped) but nobody without the key can test a guess.
///
/// Cloning is cheap: the key schedule is computed once in [`ContentHasher::new`].
///
/// # Examples
///
/// ```
/// use llmscope::redact::ContentHasher;
///
/// let hasher = ContentHasher::new(b"deployment key, at least 16 bytes");
/// let digest = hasher.hash("What is my balance?");
/// assert!(digest.starts_with("hmac-sha256:"));
/// assert_eq!(digest.len(), "hmac-sha256:".len() + 64);
/// assert_eq!(digest, hasher.hash("What is my balance?"));
/// ```
#[derive(Clone)]
pub struct ContentHasher {
    keyed: Hmac<Sha256>,
}

impl ContentHasher {
    /// Environment variable read by [`ContentHasher::from_env`].
    pub const ENV_VAR: &'static str = "LLMSCOPE_HASH_KEY";

    /// Prefix of every digest, naming the algorithm.
    pub const PREFIX: &'static str = "hmac-sha256:";

    /// Shortest key accepted from hex ([`from_hex`](ContentHasher::from_hex),
    /// [`from_env`](ContentHasher::from_env)); 32 bytes are recommended.
    pub const MIN_KEY_BYTES: usize = 16;

    /// A hasher keyed with `key` (any length; HMAC hashes keys longer than 64 bytes first).
    pub fn new(key: &[u8]) -> ContentHasher {
        ContentHasher {
            keyed: <Hmac<Sha256> as Mac>::new_from_slice(key)
                .expect("HMAC accepts keys of any length"),
        }
    }

    /// A hasher keyed with the bytes written as hex digits in `hex` (upper or lower case,
    /// surrounding whitespace ignored), at least [`MIN_KEY_BYTES`](ContentHasher::MIN_KEY_BYTES)
    /// bytes long.
    ///
    /// # Errors
    ///
    /// [`RedactError::InvalidHashKey`] if `hex` is empty, holds a non-hex character or an odd
    /// number of digits, or is too short.
    pub fn from_hex(hex: &str) -> Result<ContentHasher, RedactError> {
        parse_hex_key(hex)
            .map(|key| ContentHasher::new(&key))
            .map_err(|problem| RedactError::InvalidHashKey {
                variable: None,
                problem,
            })
    }

    /// The hasher configured by the `LLMSCOPE_HASH_KEY` environment variable, which holds the key
    /// as **hex** digits (e.g. the output of `openssl rand -hex 32`); `None` when it is not set.
    ///
    /// # Errors
    ///
    /// [`RedactError::InvalidHashKey`] naming the variable when it is set but empty, not Unicode,
    /// not hex, or shorter than [`MIN_KEY_BYTES`](ContentHasher::MIN_KEY_BYTES).
    pub fn from_env() -> Result<Option<ContentHasher>, RedactError> {
        from_env_value(std::env::var_os(Self::ENV_VAR))
    }

    /// [`from_env`](ContentHasher::from_env) on `value`, standing for the variable's value:
    /// the one parser of `LLMSCOPE_HASH_KEY` (capture policies resolve their key through it).
    pub(crate) fn from_env_value(
        value: Option<OsString>,
    ) -> Result<Option<ContentHasher>, RedactError> {
        from_env_value(value)
    }

    /// The digest of `text`: `hmac-sha256:` followed by 64 lower-case hex digits.
    pub fn hash(&self, text: &str) -> String {
        self.hash_bytes(text.as_bytes())
    }

    /// The digest of arbitrary bytes, in the same format as [`hash`](ContentHasher::hash).
    pub fn hash_bytes(&self, bytes: &[u8]) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut mac = self.keyed.clone();
        mac.update(bytes);
        let digest = mac.finalize().into_bytes();
        let mut out = String::with_capacity(Self::PREFIX.len() + 2 * digest.len());
        out.push_str(Self::PREFIX);
        for byte in digest {
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
        out
    }
}

impl fmt::Debug for ContentHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the key.
        f.debug_struct("ContentHasher").finish_non_exhaustive()
    }
}

/// [`ContentHasher::from_env`] on an explicit value, so tests need not touch the environment.
fn from_env_value(value: Option<OsString>) -> Result<Option<ContentHasher>, RedactError> {
    let Some(value) = value else {
        return Ok(None);
    };
    let key = match value.into_string() {
        Ok(text) => parse_hex_key(&text),
        Err(_) => Err(HashKeyProblem::NotUnicode),
    };
    key.map(|key| Some(ContentHasher::new(&key)))
        .map_err(|problem| RedactError::InvalidHashKey {
            variable: Some(ContentHasher::ENV_VAR),
            problem,
        })
}

fn parse_hex_key(text: &str) -> Result<Vec<u8>, HashKeyProblem> {
    let trimmed = text.trim();
    let leading = text.len() - text.trim_start().len();
    if trimmed.is_empty() {
        return Err(HashKeyProblem::Empty);
    }
    if let Some((offset, found)) = trimmed.char_indices().find(|(_, c)| !c.is_ascii_hexdigit()) {
        return Err(HashKeyProblem::NotHex {
            offset: leading + offset,
            found,
        });
    }
    if trimmed.len() % 2 != 0 {
        return Err(HashKeyProblem::OddLength {
            digits: trimmed.len(),
        });
    }
    let value = |digit: u8| match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        _ => digit - b'A' + 10,
    };
    let key: Vec<u8> = trimmed
        .as_bytes()
        .chunks_exact(2)
        .map(|pair| value(pair[0]) << 4 | value(pair[1]))
        .collect();
    if key.len() < ContentHasher::MIN_KEY_BYTES {
        return Err(HashKeyProblem::TooShort { bytes: key.len() });
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn unset_variable_means_no_hasher() {
        assert!(from_env_value(None).unwrap().is_none());
    }

    #[test]
    fn hex_variable_gives_the_same_hasher_as_the_raw_key() {
        let from_env = from_env_value(Some(KEY_HEX.into())).unwrap().unwrap();
        let raw: Vec<u8> = (0u8..32).collect();
        assert_eq!(from_env.hash("x"), ContentHasher::new(&raw).hash("x"));
        let upper = from_env_value(Some(format!(" {} \n", KEY_HEX.to_uppercase()).into()))
            .unwrap()
            .unwrap();
        assert_eq!(upper.hash("x"), from_env.hash("x"));
    }

    #[test]
    fn errors_name_the_variable_and_the_problem() {
        let cases: [(&str, HashKeyProblem); 4] = [
            ("", HashKeyProblem::Empty),
            (
                "00112233445566778899aabbccddeefg",
                HashKeyProblem::NotHex {
                    offset: 31,
                    found: 'g',
                },
            ),
            (
                "0011223344556677889",
                HashKeyProblem::OddLength { digits: 19 },
            ),
            ("00112233", HashKeyProblem::TooShort { bytes: 4 }),
        ];
        for (value, problem) in cases {
            let err = from_env_value(Some(value.into())).unwrap_err();
            assert_eq!(
                err,
                RedactError::InvalidHashKey {
                    variable: Some("LLMSCOPE_HASH_KEY"),
                    problem
                }
            );
            assert!(
                err.to_string()
                    .starts_with("invalid hash key in `LLMSCOPE_HASH_KEY`: "),
                "{err}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn non_unicode_value_is_an_error() {
        use std::os::unix::ffi::OsStringExt;
        let err = from_env_value(Some(OsString::from_vec(vec![0xff, 0xfe]))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid hash key in `LLMSCOPE_HASH_KEY`: the value is not valid unicode; expected hex digits"
        );
    }
}
