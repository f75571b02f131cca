//! Redaction and keyed hashing of prompt and completion content.
//!
//! A [`Redactor`] finds sensitive spans (emails, phone numbers, card numbers, API keys, private keys,
//! …; see [`Detector`]) plus user patterns and deny-lists, and replaces each with a typed
//! placeholder such as `[EMAIL]` or `[API_KEY]`. A [`ContentHasher`] turns content into a keyed
//! HMAC-SHA256 digest for the `hash` capture mode.
//!
//! Guarantees:
//!
//! - Overlapping findings are merged into their union, labelled by the one that starts first (the
//!   longest of those on a tie), so the output never contains any byte of a detected span.
//! - Findings always start and end on character boundaries; any UTF-8 text around them is kept
//!   intact. Built-in detectors match ASCII, except that an email address may hold non-ASCII
//!   letters and digits (`josé.garcía@ejemplo.es`), taken in as whole characters.
//! - Escapes are word boundaries: a backslash run and its escape letter (`\n`, `\\n`, `\"`,
//!   `\u00a0`, `\/`, …) is scanned as spaces, so a secret right after one is found.
//!   [`Redactor::redact_content`] goes further for JSON documents and redacts their decoded
//!   strings.
//! - Clean text is returned borrowed, without allocating.
//! - Scanning is linear in the text: a prefilter finds candidates in two passes (SIMD bit masks
//!   for digits, `:`, `@` and base64 runs; the Teddy searcher for key prefixes such as `sk-` or
//!   `AKIA`) and only candidates are confirmed, with checksums where the format has one (Luhn,
//!   IBAN mod 97). See `BENCHMARKS.md` for throughput.
//!
//! # Examples
//!
//! ```
//! use llmscope_runtime::redact::{Detector, Redactor};
//!
//! let redactor = Redactor::builder()
//!     .without(Detector::Ipv4)
//!     .with_deny_list("codename", ["Project Falcon"])
//!     .with_pattern("ticket", r"TICKET-[0-9]{4,}")?
//!     .build();
//!
//! let prompt = "Grüße! Mail jane.doe@example.com about project falcon, TICKET-20931 \
//!               and key sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8t from 10.0.0.1";
//! assert_eq!(
//!     redactor.redact(prompt),
//!     "Grüße! Mail [EMAIL] about [CODENAME], [TICKET] and key [API_KEY] from 10.0.0.1"
//! );
//!
//! // Clean text comes back borrowed.
//! assert!(matches!(redactor.redact("nothing to see"), std::borrow::Cow::Borrowed(_)));
//! # Ok::<(), llmscope_runtime::redact::RedactError>(())
//! ```

mod block;
mod checksum;
mod detector;
mod error;
mod escape;
mod hash;
mod json;
mod matchers;
mod scan;

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;

pub use detector::Detector;
pub use error::{HashKeyProblem, RedactError};
pub use hash::ContentHasher;

use matchers::{Enabled, Hit};
use scan::Scanner;

/// What produced a [`Finding`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FindingKind {
    /// A built-in detector.
    Builtin(Detector),
    /// A user pattern or deny-list, by the name it was registered under.
    Custom(Arc<str>),
}

impl FindingKind {
    /// The detector's name: [`Detector::name`] or the custom name.
    pub fn name(&self) -> &str {
        match self {
            FindingKind::Builtin(detector) => detector.name(),
            FindingKind::Custom(name) => name,
        }
    }

    /// The placeholder that replaces findings of this kind, e.g. `[EMAIL]` or `[TICKET_ID]`.
    pub fn placeholder(&self) -> Cow<'static, str> {
        match self {
            FindingKind::Builtin(detector) => Cow::Borrowed(detector.placeholder()),
            FindingKind::Custom(name) => Cow::Owned(custom_placeholder(name)),
        }
    }
}

/// A sensitive span found in a text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Finding {
    /// What found it.
    pub kind: FindingKind,
    /// Its byte range in the text (always on character boundaries).
    pub range: Range<usize>,
}

/// The placeholder for a custom name: upper case, anything but ASCII letters and digits becoming
/// `_`, in brackets.
fn custom_placeholder(name: &str) -> String {
    let mut label: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if label.is_empty() {
        label.push_str("REDACTED");
    }
    format!("[{label}]")
}

/// Finds and replaces sensitive content.
///
/// Built once (see [`Redactor::builder`]) and shared: cloning is an `Arc` bump, and `&self`
/// methods may run from any number of threads at once.
///
/// # Examples
///
/// ```
/// use llmscope_runtime::redact::{Detector, FindingKind, Redactor};
///
/// let redactor = Redactor::builder().build();
/// let text = "card 4111 1111 1111 1111, call +44 20 7946 0958";
/// assert_eq!(redactor.redact(text), "card [CARD], call [PHONE]");
///
/// let findings = redactor.find(text);
/// assert_eq!(findings[0].kind, FindingKind::Builtin(Detector::PaymentCard));
/// assert_eq!(&text[findings[0].range.clone()], "4111 1111 1111 1111");
/// ```
#[derive(Clone)]
pub struct Redactor {
    inner: Arc<Inner>,
}

struct Inner {
    enabled: Enabled,
    scanner: Scanner,
    /// User patterns with their kind index.
    patterns: Vec<(Regex, usize)>,
    /// All deny-list words in one automaton; pattern id → kind index.
    deny_list: Option<(AhoCorasick, Vec<usize>)>,
    /// Kinds after the built-ins, indexed from `Detector::ALL.len()`.
    custom: Vec<Custom>,
}

struct Custom {
    name: Arc<str>,
    placeholder: String,
}

impl Redactor {
    /// A builder with every built-in detector enabled and no user patterns.
    pub fn builder() -> RedactorBuilder {
        RedactorBuilder {
            enabled: Enabled::ALL,
            patterns: Vec::new(),
            deny_lists: Vec::new(),
        }
    }

    /// `text` with every finding replaced by its placeholder; borrowed (no allocation) when nothing
    /// is found.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let hits = self.hits(text);
        if hits.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        for hit in &hits {
            out.push_str(&text[copied..hit.start]);
            out.push_str(self.placeholder(hit.kind));
            copied = hit.end;
        }
        out.push_str(&text[copied..]);
        Cow::Owned(out)
    }

    /// Like [`redact`](Redactor::redact), for content that may be JSON text (tool arguments and
    /// results, messages, attribute values): a JSON document (object, array or string) is
    /// redacted on its decoded strings — object keys included — and numbers, each re-encoded in
    /// place, so an escape next to a secret (`"Line one\n5105 1051 0510 5100"`) or inside it
    /// (`\u0034111…`) hides nothing. A string holding JSON is decoded in turn (JSON escaped
    /// twice), and a member's key is context for its value (`{"ssn": "078051120"}`). Anything
    /// else goes to [`redact`](Redactor::redact).
    ///
    /// Borrowed (no allocation) when nothing is found; otherwise only the strings that changed
    /// are rewritten, everything else keeps its bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// use llmscope_runtime::redact::Redactor;
    ///
    /// let redactor = Redactor::builder().build();
    /// assert_eq!(
    ///     redactor.redact_content(r#"{"q":"Line one\n5105 1051 0510 5100","n":1}"#),
    ///     r#"{"q":"Line one\n[CARD]","n":1}"#
    /// );
    /// assert_eq!(
    ///     redactor.redact_content(r#"{"ssn": "078051120"}"#),
    ///     r#"{"ssn": "[SSN]"}"#
    /// );
    /// ```
    pub fn redact_content<'a>(&self, text: &'a str) -> Cow<'a, str> {
        self.redact_content_at(text, 0)
    }

    /// [`redact_content`](Redactor::redact_content) for a text found `depth` levels of JSON deep.
    fn redact_content_at<'a>(&self, text: &'a str, depth: u32) -> Cow<'a, str> {
        match json::redact(self, text, depth) {
            Some(redacted) => redacted,
            None => self.redact(text),
        }
    }

    /// The findings [`redact`](Redactor::redact) would replace: sorted, non-overlapping (overlaps
    /// already merged).
    pub fn find(&self, text: &str) -> Vec<Finding> {
        self.hits(text)
            .into_iter()
            .map(|hit| Finding {
                kind: self.kind(hit.kind),
                range: hit.start..hit.end,
            })
            .collect()
    }

    /// Whether `text` contains nothing to redact.
    pub fn is_clean(&self, text: &str) -> bool {
        self.hits(text).is_empty()
    }

    /// The built-in detectors this redactor runs.
    pub fn detectors(&self) -> impl Iterator<Item = Detector> + '_ {
        Detector::ALL
            .into_iter()
            .filter(|&d| self.inner.enabled.has(d))
    }

    fn hits(&self, text: &str) -> Vec<Hit> {
        // Escapes are boundaries: scan a copy with each one masked by spaces (same offsets).
        match escape::masked(text) {
            Some(masked) => self.hits_unescaped(&masked),
            None => self.hits_unescaped(text),
        }
    }

    fn hits_unescaped(&self, text: &str) -> Vec<Hit> {
        let inner = &*self.inner;
        let mut hits = Vec::new();
        inner.scanner.scan(text.as_bytes(), &mut hits);
        for (regex, kind) in &inner.patterns {
            hits.extend(
                regex
                    .find_iter(text)
                    .filter(|m| !m.is_empty())
                    .map(|m| Hit {
                        start: m.start(),
                        end: m.end(),
                        kind: *kind,
                    }),
            );
        }
        if let Some((automaton, kinds)) = &inner.deny_list {
            hits.extend(automaton.find_iter(text).map(|m| Hit {
                start: m.start(),
                end: m.end(),
                kind: kinds[m.pattern().as_usize()],
            }));
        }
        merge(&mut hits);
        hits
    }

    fn placeholder(&self, kind: usize) -> &str {
        match Detector::ALL.get(kind) {
            Some(detector) => detector.placeholder(),
            None => &self.inner.custom[kind - Detector::ALL.len()].placeholder,
        }
    }

    fn kind(&self, kind: usize) -> FindingKind {
        match Detector::ALL.get(kind) {
            Some(&detector) => FindingKind::Builtin(detector),
            None => FindingKind::Custom(self.inner.custom[kind - Detector::ALL.len()].name.clone()),
        }
    }
}

impl Default for Redactor {
    /// Every built-in detector, no user patterns.
    fn default() -> Redactor {
        Redactor::builder().build()
    }
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("detectors", &self.detectors().collect::<Vec<_>>())
            .field(
                "custom",
                &self
                    .inner
                    .custom
                    .iter()
                    .map(|c| &*c.name)
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Sorts hits and merges overlapping ones into their union, keeping the kind of the one that
/// starts first (the longest on a tie). Touching hits stay separate.
fn merge(hits: &mut Vec<Hit>) {
    if hits.len() < 2 {
        return;
    }
    hits.sort_unstable_by_key(|hit| (hit.start, std::cmp::Reverse(hit.end)));
    let mut kept = 0;
    for i in 1..hits.len() {
        let hit = hits[i];
        if hit.start < hits[kept].end {
            hits[kept].end = hits[kept].end.max(hit.end);
        } else {
            kept += 1;
            hits[kept] = hit;
        }
    }
    hits.truncate(kept + 1);
}

/// Configures a [`Redactor`].
///
/// # Examples
///
/// ```
/// use llmscope_runtime::redact::{Detector, Redactor};
///
/// let redactor = Redactor::builder()
///     .without(Detector::Phone)
///     .with_pattern("employee id", r"\bEMP-[0-9]{6}\b")?
///     .build();
/// assert_eq!(redactor.redact("ask EMP-004211"), "ask [EMPLOYEE_ID]");
/// # Ok::<(), llmscope_runtime::redact::RedactError>(())
/// ```
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct RedactorBuilder {
    enabled: Enabled,
    patterns: Vec<(String, Regex)>,
    deny_lists: Vec<(String, Vec<String>)>,
}

impl RedactorBuilder {
    /// Turns off a built-in detector.
    pub fn without(mut self, detector: Detector) -> Self {
        self.enabled = self.enabled.without(detector);
        self
    }

    /// Turns a built-in detector back on.
    pub fn with(mut self, detector: Detector) -> Self {
        self.enabled = self.enabled.with(detector);
        self
    }

    /// Turns off every built-in detector, to start from user patterns only or re-enable a few with
    /// [`with`](RedactorBuilder::with).
    pub fn without_builtins(mut self) -> Self {
        for detector in Detector::ALL {
            self.enabled = self.enabled.without(detector);
        }
        self
    }

    /// Adds a user regular expression (syntax of the `regex` crate); its matches are replaced by
    /// `[NAME]`, the name in upper case with anything but ASCII letters and digits as `_`.
    ///
    /// Patterns run over the whole text, after the built-in prefilter. Prefer `(?-u:\b)` and
    /// `[0-9]` to Unicode `\b` and `\d`: on non-ASCII text the Unicode forms are many times slower.
    /// Empty matches are ignored.
    ///
    /// # Errors
    ///
    /// [`RedactError::InvalidPattern`] naming the pattern when `regex` does not compile.
    pub fn with_pattern(mut self, name: &str, regex: &str) -> Result<Self, RedactError> {
        let compiled = Regex::new(regex).map_err(|err| RedactError::InvalidPattern {
            name: name.to_owned(),
            message: err.to_string(),
        })?;
        self.patterns.push((name.to_owned(), compiled));
        Ok(self)
    }

    /// Adds literal words or phrases to redact as `[NAME]`, matched anywhere (also inside longer
    /// words) and ignoring ASCII case. Empty words are ignored.
    pub fn with_deny_list(
        mut self,
        name: &str,
        words: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let words: Vec<String> = words
            .into_iter()
            .map(Into::into)
            .filter(|word| !word.is_empty())
            .collect();
        self.deny_lists.push((name.to_owned(), words));
        self
    }

    /// Builds the redactor.
    ///
    /// # Panics
    ///
    /// If the deny-lists are too large for an Aho-Corasick automaton (billions of states).
    pub fn build(self) -> Redactor {
        let mut custom = Vec::new();
        let mut add_kind = |name: String| {
            custom.push(Custom {
                placeholder: custom_placeholder(&name),
                name: name.into(),
            });
            Detector::ALL.len() + custom.len() - 1
        };
        let patterns = self
            .patterns
            .into_iter()
            .map(|(name, regex)| (regex, add_kind(name)))
            .collect();
        let mut words = Vec::new();
        let mut kinds = Vec::new();
        for (name, list) in self.deny_lists {
            let kind = add_kind(name);
            kinds.extend(std::iter::repeat_n(kind, list.len()));
            words.extend(list);
        }
        let deny_list = (!words.is_empty()).then(|| {
            let automaton = AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostLongest)
                .build(&words)
                .expect("deny-lists fit in an Aho-Corasick automaton");
            (automaton, kinds)
        });
        Redactor {
            inner: Arc::new(Inner {
                enabled: self.enabled,
                scanner: Scanner::new(self.enabled),
                patterns,
                deny_list,
                custom,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(start: usize, end: usize, kind: usize) -> Hit {
        Hit { start, end, kind }
    }

    #[test]
    fn merge_takes_the_union_and_the_earliest_longest_kind() {
        let mut hits = vec![
            hit(5, 9, 2),
            hit(0, 4, 1),
            hit(0, 6, 3),
            hit(9, 12, 4),
            hit(10, 11, 5),
        ];
        merge(&mut hits);
        assert_eq!(hits, vec![hit(0, 9, 3), hit(9, 12, 4)]);
    }

    #[test]
    fn custom_placeholders_are_upper_case_and_bracketed() {
        assert_eq!(custom_placeholder("ticket id"), "[TICKET_ID]");
        assert_eq!(custom_placeholder("Kunden-Nr"), "[KUNDEN_NR]");
        assert_eq!(custom_placeholder(""), "[REDACTED]");
    }

    #[test]
    fn redactor_is_send_sync_and_cheap_to_clone() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<Redactor>();
        assert_send_sync::<ContentHasher>();
    }
}
