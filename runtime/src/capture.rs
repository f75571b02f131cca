//! The content capture policy: what of prompts and completions may leave the process.
//!
//! Content (input and output messages, system instructions) is **never exported by default**.
//! A [`CapturePolicy`] opts in, per process ([`set_capture_policy`], or the standard
//! `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` variable) or per call
//! (`#[llm_call(capture = redacted)]`), to one of four [`CaptureMode`]s:
//!
//! | mode | what is exported |
//! |---|---|
//! | `none` (default) | nothing |
//! | `hash` | a keyed HMAC-SHA256 of the content and its length (`llmscope.input.hash`, `llmscope.input.length`, …) |
//! | `redacted` | the content as semconv JSON, with detected secrets and PII replaced by typed placeholders (`[EMAIL]`) |
//! | `full` | the content as semconv JSON |
//!
//! The JSON follows the semconv v1.41.0 schemas (`gen_ai.input.messages`,
//! `gen_ai.output.messages`, `gen_ai.system_instructions`), is cut to
//! [`CapturePolicy::max_bytes`] by shortening text parts so it always stays valid JSON, and is
//! written as span attributes, as a `gen_ai.client.inference.operation.details` event, or both.
//! Content wrapped in [`Sensitive`] is exported as `[SENSITIVE]` in every mode. Nothing is
//! rendered, hashed or redacted for a span that does not record.
//!
//! # Environment
//!
//! | variable | values |
//! |---|---|
//! | `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` | `NO_CONTENT` (mode `none`), `SPAN_ONLY`, `EVENT_ONLY`, `SPAN_AND_EVENT` (mode `redacted`, written where named) |
//! | `LLMSCOPE_CAPTURE_MODE` | `none`, `hash`, `redacted`, `full`: overrides the mode |
//! | `LLMSCOPE_CAPTURE_MAX_BYTES` | byte limit of each content attribute (default 16384) |
//! | `LLMSCOPE_HASH_KEY` | hex key of the content hash (at least 16 bytes) |
//!
//! # The hash key
//!
//! `hash` mode exports an HMAC-SHA256 of the content under a key, resolved the same way for
//! every policy ([`CapturePolicy::builder`], [`CapturePolicy::from_env`],
//! [`CapturePolicy::from_lookup`], and the policy `init()` installs):
//!
//! 1. the key given to [`CapturePolicyBuilder::with_hasher`], if any;
//! 2. else `LLMSCOPE_HASH_KEY` (hex digits, at least 16 bytes, e.g. `openssl rand -hex 32`);
//!    a variable that is set but unusable is an error naming it, never a silent fallback;
//! 3. else a random key drawn from the operating system's cryptographic source, new for each
//!    policy: hashes then compare only within that policy, so the first hash made with such
//!    a key logs a `tracing` warning (once per process).
//!
//! # Examples
//!
//! ```
//! use llmscope::capture::{CaptureMode, CapturePolicy, ContentDestination};
//!
//! let policy = CapturePolicy::builder()
//!     .with_mode(CaptureMode::Redacted)
//!     .with_destination(ContentDestination::SpanAndEvent)
//!     .with_max_bytes(8 * 1024)
//!     .build()?;
//! assert_eq!(policy.mode(), CaptureMode::Redacted);
//! # Ok::<(), llmscope_runtime::capture::CaptureError>(())
//! ```

use std::borrow::Cow;
use std::ffi::OsString;
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use opentelemetry::KeyValue;

use crate::redact::{ContentHasher, RedactError, Redactor};

/// How much of the content is exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CaptureMode {
    /// No content at all (the default).
    #[default]
    None,
    /// A keyed hash and the length of the content, never the content.
    Hash,
    /// The content with detected secrets and PII replaced by typed placeholders.
    Redacted,
    /// The content as it is (opt-in).
    Full,
}

impl CaptureMode {
    /// The mode's name as written in arguments and env vars.
    pub const fn as_str(self) -> &'static str {
        match self {
            CaptureMode::None => "none",
            CaptureMode::Hash => "hash",
            CaptureMode::Redacted => "redacted",
            CaptureMode::Full => "full",
        }
    }
}

impl fmt::Display for CaptureMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CaptureMode {
    type Err = CaptureError;

    fn from_str(value: &str) -> Result<Self, CaptureError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(CaptureMode::None),
            "hash" => Ok(CaptureMode::Hash),
            "redacted" => Ok(CaptureMode::Redacted),
            "full" => Ok(CaptureMode::Full),
            _ => Err(CaptureError::InvalidValue {
                variable: MODE_VAR,
                value: value.to_owned(),
                expected: "`none`, `hash`, `redacted` or `full`",
            }),
        }
    }
}

/// Where captured content is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContentDestination {
    /// As span attributes (`gen_ai.input.messages`, …).
    #[default]
    Span,
    /// As a `gen_ai.client.inference.operation.details` event on the span.
    Event,
    /// Both.
    SpanAndEvent,
}

impl ContentDestination {
    fn span(self) -> bool {
        matches!(
            self,
            ContentDestination::Span | ContentDestination::SpanAndEvent
        )
    }
    fn event(self) -> bool {
        matches!(
            self,
            ContentDestination::Event | ContentDestination::SpanAndEvent
        )
    }
}

/// A capture policy setting that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CaptureError {
    /// An environment variable holds a value outside its set.
    InvalidValue {
        /// The variable.
        variable: &'static str,
        /// What it holds.
        value: String,
        /// What it may hold.
        expected: &'static str,
    },
    /// `LLMSCOPE_HASH_KEY` is set but not a valid key (the error names the variable).
    InvalidHashKey(RedactError),
    /// No hash key was given and the operating system's random source failed.
    RandomKey(String),
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaptureError::InvalidValue {
                variable,
                value,
                expected,
            } => write!(
                f,
                "invalid `{variable}` value `{value}`: expected {expected}"
            ),
            CaptureError::InvalidHashKey(error) => write!(f, "{error}"),
            CaptureError::RandomKey(error) => write!(
                f,
                "cannot draw a random hash key from the operating system ({error}); set `{}`",
                ContentHasher::ENV_VAR
            ),
        }
    }
}

impl std::error::Error for CaptureError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CaptureError::InvalidHashKey(error) => Some(error),
            _ => None,
        }
    }
}

/// Where the hash key of a [`CapturePolicy`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HashKeySource {
    /// Given to [`CapturePolicyBuilder::with_hasher`].
    Explicit,
    /// Read from `LLMSCOPE_HASH_KEY`.
    Environment,
    /// Drawn from the operating system's random source for this policy: its hashes do not
    /// compare with those of another process (or another policy).
    Random,
}

/// The standard variable.
pub const STANDARD_VAR: &str = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";
/// Overrides the mode.
pub const MODE_VAR: &str = "LLMSCOPE_CAPTURE_MODE";
/// Byte limit of each content attribute.
pub const MAX_BYTES_VAR: &str = "LLMSCOPE_CAPTURE_MAX_BYTES";

/// What content is exported, where, and how it is cut and redacted.
#[derive(Clone)]
pub struct CapturePolicy {
    mode: CaptureMode,
    destination: ContentDestination,
    max_bytes: usize,
    redactor: Redactor,
    /// `None` only for the process policy read from an invalid environment: it hashes nothing.
    hash_key: Option<(ContentHasher, HashKeySource)>,
}

impl fmt::Debug for CapturePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CapturePolicy")
            .field("mode", &self.mode)
            .field("destination", &self.destination)
            .field("max_bytes", &self.max_bytes)
            .field("hash_key_source", &self.hash_key_source())
            .finish_non_exhaustive()
    }
}

impl CapturePolicy {
    /// Default byte limit of one content attribute.
    pub const DEFAULT_MAX_BYTES: usize = 16 * 1024;

    /// A builder starting from the defaults: mode `none`, span attributes, 16 KiB, every
    /// built-in detector, and the hash key resolved as the [module docs](self#the-hash-key)
    /// say when it is built (`LLMSCOPE_HASH_KEY` unless [`with_hasher`](CapturePolicyBuilder::with_hasher)
    /// gives one).
    pub fn builder() -> CapturePolicyBuilder {
        CapturePolicyBuilder {
            policy: CapturePolicy {
                mode: CaptureMode::None,
                destination: ContentDestination::Span,
                max_bytes: Self::DEFAULT_MAX_BYTES,
                redactor: Redactor::builder().build(),
                hash_key: None,
            },
            hasher: None,
        }
    }

    /// Reads the policy from the process environment (see the module docs).
    ///
    /// # Errors
    ///
    /// [`CaptureError`] naming the variable and the value when one is invalid.
    pub fn from_env() -> Result<Self, CaptureError> {
        Self::read(
            |name| std::env::var(name).ok(),
            std::env::var_os(ContentHasher::ENV_VAR),
        )
    }

    /// Reads the policy through `lookup` instead of the process environment.
    ///
    /// # Errors
    ///
    /// [`CaptureError`] naming the variable and the value when one is invalid.
    ///
    /// # Examples
    ///
    /// ```
    /// use llmscope::capture::{CaptureMode, CapturePolicy};
    ///
    /// let env = |name: &str| (name == "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT")
    ///     .then(|| "SPAN_ONLY".to_owned());
    /// assert_eq!(CapturePolicy::from_lookup(env).unwrap().mode(), CaptureMode::Redacted);
    ///
    /// let bad = |name: &str| (name == "LLMSCOPE_CAPTURE_MODE").then(|| "everything".to_owned());
    /// let error = CapturePolicy::from_lookup(bad).unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "invalid `LLMSCOPE_CAPTURE_MODE` value `everything`: expected `none`, `hash`, `redacted` or `full`"
    /// );
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, CaptureError> {
        let hash_key = lookup(ContentHasher::ENV_VAR).map(OsString::from);
        Self::read(lookup, hash_key)
    }

    /// The policy from variables read through `lookup`, `LLMSCOPE_HASH_KEY` given apart so
    /// that a value that is not Unicode is an error, not an unset variable.
    fn read(
        lookup: impl Fn(&str) -> Option<String>,
        hash_key: Option<OsString>,
    ) -> Result<Self, CaptureError> {
        let mut builder = CapturePolicy::builder();
        if let Some(value) = lookup(STANDARD_VAR) {
            let (mode, destination) = match value.trim().to_ascii_uppercase().as_str() {
                "" | "NO_CONTENT" | "FALSE" => (CaptureMode::None, ContentDestination::Span),
                "SPAN_ONLY" => (CaptureMode::Redacted, ContentDestination::Span),
                "EVENT_ONLY" => (CaptureMode::Redacted, ContentDestination::Event),
                "SPAN_AND_EVENT" => (CaptureMode::Redacted, ContentDestination::SpanAndEvent),
                _ => {
                    return Err(CaptureError::InvalidValue {
                        variable: STANDARD_VAR,
                        value,
                        expected: "`NO_CONTENT`, `SPAN_ONLY`, `EVENT_ONLY` or `SPAN_AND_EVENT`",
                    })
                }
            };
            builder = builder.with_mode(mode).with_destination(destination);
        }
        if let Some(value) = lookup(MODE_VAR) {
            builder = builder.with_mode(value.parse()?);
        }
        if let Some(value) = lookup(MAX_BYTES_VAR) {
            let max_bytes = value
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|bytes| *bytes >= 64)
                .ok_or(CaptureError::InvalidValue {
                    variable: MAX_BYTES_VAR,
                    value,
                    expected: "a number of bytes, at least 64",
                })?;
            builder = builder.with_max_bytes(max_bytes);
        }
        builder.build_with(hash_key)
    }

    /// The process policy when the environment's capture settings are invalid: the defaults,
    /// and no hash key at all, so `hash` mode exports nothing rather than hashes under a key
    /// nobody chose.
    fn unconfigured() -> Self {
        CapturePolicy::builder().policy
    }

    /// The mode of calls that do not set their own.
    pub fn mode(&self) -> CaptureMode {
        self.mode
    }

    /// Where content is written.
    pub fn destination(&self) -> ContentDestination {
        self.destination
    }

    /// The byte limit of one content attribute.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// The redactor applied in `redacted` mode, and to every string attribute users add and
    /// to exception messages in every mode.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// The keyed hasher of `hash` mode; `None` only for the process policy read from an
    /// environment whose capture settings are invalid (it hashes nothing).
    pub fn hasher(&self) -> Option<&ContentHasher> {
        self.hash_key.as_ref().map(|(hasher, _)| hasher)
    }

    /// Where the hash key came from (see the [module docs](self#the-hash-key)).
    pub fn hash_key_source(&self) -> Option<HashKeySource> {
        self.hash_key.as_ref().map(|(_, source)| *source)
    }
}

/// Builds a [`CapturePolicy`].
#[derive(Debug)]
#[must_use = "call `build()`"]
pub struct CapturePolicyBuilder {
    policy: CapturePolicy,
    hasher: Option<ContentHasher>,
}

impl CapturePolicyBuilder {
    /// Sets the mode.
    pub fn with_mode(mut self, mode: CaptureMode) -> Self {
        self.policy.mode = mode;
        self
    }
    /// Sets where content is written.
    pub fn with_destination(mut self, destination: ContentDestination) -> Self {
        self.policy.destination = destination;
        self
    }
    /// Sets the byte limit of each content attribute (at least 64).
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        self.policy.max_bytes = max_bytes.max(64);
        self
    }
    /// Sets the redactor (detectors, user patterns, deny-lists).
    pub fn with_redactor(mut self, redactor: Redactor) -> Self {
        self.policy.redactor = redactor;
        self
    }
    /// Sets the keyed hasher of `hash` mode (a deployment key, so hashes compare across
    /// processes). It takes precedence over `LLMSCOPE_HASH_KEY`.
    ///
    /// ```
    /// use llmscope_runtime::capture::{CaptureMode, CapturePolicy, HashKeySource};
    /// use llmscope_runtime::redact::ContentHasher;
    ///
    /// let key = ContentHasher::from_hex("000102030405060708090a0b0c0d0e0f").unwrap();
    /// let policy = CapturePolicy::builder()
    ///     .with_mode(CaptureMode::Hash)
    ///     .with_hasher(key)
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(policy.hash_key_source(), Some(HashKeySource::Explicit));
    /// ```
    pub fn with_hasher(mut self, hasher: ContentHasher) -> Self {
        self.hasher = Some(hasher);
        self
    }

    /// The policy, its hash key resolved as the [module docs](self#the-hash-key) say: the
    /// one given to [`with_hasher`](Self::with_hasher), else `LLMSCOPE_HASH_KEY` from the
    /// process environment, else a random key from the operating system.
    ///
    /// # Errors
    ///
    /// [`CaptureError::InvalidHashKey`] naming `LLMSCOPE_HASH_KEY` when no key was given and
    /// the variable is set but unusable; [`CaptureError::RandomKey`] if the operating system
    /// cannot provide random bytes.
    pub fn build(self) -> Result<CapturePolicy, CaptureError> {
        self.build_with(std::env::var_os(ContentHasher::ENV_VAR))
    }

    /// [`build`](Self::build) with `env_key` standing for the value of `LLMSCOPE_HASH_KEY`:
    /// the one place a policy's hash key is decided.
    fn build_with(self, env_key: Option<OsString>) -> Result<CapturePolicy, CaptureError> {
        let hash_key = match self.hasher {
            Some(hasher) => (hasher, HashKeySource::Explicit),
            None => match ContentHasher::from_env_value(env_key)
                .map_err(CaptureError::InvalidHashKey)?
            {
                Some(hasher) => (hasher, HashKeySource::Environment),
                None => (ContentHasher::new(&random_key()?), HashKeySource::Random),
            },
        };
        Ok(CapturePolicy {
            hash_key: Some(hash_key),
            ..self.policy
        })
    }
}

/// A key from the operating system's cryptographic random source (not the trace-id
/// generator, whose output also appears in exported trace ids).
fn random_key() -> Result<[u8; 32], CaptureError> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|error| CaptureError::RandomKey(error.to_string()))?;
    Ok(key)
}

static RANDOM_KEY_WARNED: AtomicBool = AtomicBool::new(false);

/// Says once per process that hashes are made under a random key.
fn warn_random_key_once() {
    if !RANDOM_KEY_WARNED.swap(true, Ordering::Relaxed) {
        crate::diagnostics::diag!(
            Warn,
            "capture",
            "content is hashed under a random key because `{}` is not set: hashes will not be \
             comparable across processes",
            ContentHasher::ENV_VAR
        );
    }
}

static POLICY: OnceLock<CapturePolicy> = OnceLock::new();

/// Sets the process-wide capture policy.
///
/// # Errors
///
/// Returns the policy back if one was already set or already read from the environment.
pub fn set_capture_policy(policy: CapturePolicy) -> Result<(), Box<CapturePolicy>> {
    let mut slot = Some(policy);
    POLICY.get_or_init(|| slot.take().expect("taken once"));
    match slot {
        None => Ok(()),
        Some(rejected) => Err(Box::new(rejected)),
    }
}

/// The process-wide policy: the one set with [`set_capture_policy`] (`init()` sets the one
/// read from its environment, failing on an invalid variable), else read from the process
/// environment on first use. An invalid variable found there can no longer fail setup: it is
/// reported once as a warning, the policy captures nothing by default, and `hash` mode exports
/// nothing at all (never a hash under a key nobody chose). Call `init()` or
/// [`CapturePolicy::from_env`] at startup to fail fast instead.
pub fn capture_policy() -> &'static CapturePolicy {
    POLICY.get_or_init(|| {
        CapturePolicy::from_env().unwrap_or_else(|error| {
            crate::diagnostics::diag!(Warn, "capture", "content capture disabled: {error}");
            CapturePolicy::unconfigured()
        })
    })
}

/// One chat message of captured content: a role and its text parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<'a> {
    /// `system`, `user`, `assistant`, `tool`, or a provider's own role.
    pub role: Cow<'a, str>,
    /// The text parts.
    pub parts: Vec<Cow<'a, str>>,
}

impl<'a> Message<'a> {
    /// A message with one text part.
    pub fn new(role: impl Into<Cow<'a, str>>, text: impl Into<Cow<'a, str>>) -> Self {
        Message {
            role: role.into(),
            parts: vec![text.into()],
        }
    }
    /// A `user` message.
    pub fn user(text: impl Into<Cow<'a, str>>) -> Self {
        Message::new("user", text)
    }
    /// A `system` message.
    pub fn system(text: impl Into<Cow<'a, str>>) -> Self {
        Message::new("system", text)
    }
    /// An `assistant` message.
    pub fn assistant(text: impl Into<Cow<'a, str>>) -> Self {
        Message::new("assistant", text)
    }
}

/// A value that can be captured as content (`#[llm_call(prompt = …, system = …)]`).
///
/// Implemented for text (`str`, `String`, `Cow<str>`: one message in the role the argument
/// gives), [`Message`], `(role, text)` pairs, `serde_json::Value` in the OpenAI chat shape
/// (`[{"role": …, "content": "…"}]`), [`Sensitive`], and `Option`, slices, `Vec` and references
/// of these.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be captured as content",
    label = "expected text, messages, or `llmscope::Sensitive`",
    note = "content is text (`&str`, `String`), `llmscope::capture::Message`, `(role, text)` pairs, a `serde_json::Value` chat array, or a slice/`Vec`/`Option` of these; implement `llmscope::capture::Content` for your own message type"
)]
pub trait Content {
    /// Appends this value's messages; `role` is the role plain text takes.
    fn messages<'a>(&'a self, role: &'static str, out: &mut Vec<Message<'a>>);
}

impl Content for str {
    fn messages<'a>(&'a self, role: &'static str, out: &mut Vec<Message<'a>>) {
        out.push(Message::new(role, self));
    }
}
impl Content for String {
    fn messages<'a>(&'a self, role: &'static str, out: &mut Vec<Message<'a>>) {
        self.as_str().messages(role, out);
    }
}
impl Content for Cow<'_, str> {
    fn messages<'a>(&'a self, role: &'static str, out: &mut Vec<Message<'a>>) {
        (**self).messages(role, out);
    }
}
impl Content for Message<'_> {
    fn messages<'a>(&'a self, _role: &'static str, out: &mut Vec<Message<'a>>) {
        out.push(Message {
            role: Cow::Borrowed(&self.role),
            parts: self
                .parts
                .iter()
                .map(|part| Cow::Borrowed(&**part))
                .collect(),
        });
    }
}
impl<R: AsRef<str>, T: AsRef<str>> Content for (R, T) {
    fn messages<'a>(&'a self, _role: &'static str, out: &mut Vec<Message<'a>>) {
        out.push(Message::new(self.0.as_ref(), self.1.as_ref()));
    }
}
impl<T: Content + ?Sized> Content for &T {
    fn messages<'a>(&'a self, role: &'static str, out: &mut Vec<Message<'a>>) {
        (**self).messages(role, out);
    }
}
impl<T: Content> Content for Option<T> {
    fn messages<'a>(&'a self, role: &'static str, out: &mut Vec<Message<'a>>) {
        if let Some(value) = self {
            value.messages(role, out);
        }
    }
}
impl<T: Content> Content for [T] {
    fn messages<'a>(&'a self, role: &'static str, out: &mut Vec<Message<'a>>) {
        for value in self {
            value.messages(role, out);
        }
    }
}
impl<T: Content> Content for Vec<T> {
    fn messages<'a>(&'a self, role: &'static str, out: &mut Vec<Message<'a>>) {
        self.as_slice().messages(role, out);
    }
}
impl<T: Content, const N: usize> Content for [T; N] {
    fn messages<'a>(&'a self, role: &'static str, out: &mut Vec<Message<'a>>) {
        self.as_slice().messages(role, out);
    }
}
impl Content for serde_json::Value {
    fn messages<'a>(&'a self, role: &'static str, out: &mut Vec<Message<'a>>) {
        match self {
            serde_json::Value::String(text) => text.messages(role, out),
            serde_json::Value::Array(items) => {
                for item in items {
                    item.messages(role, out);
                }
            }
            serde_json::Value::Object(object) => {
                let role = object
                    .get("role")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or(role);
                let mut parts = Vec::new();
                match object.get("content") {
                    Some(serde_json::Value::String(text)) => {
                        parts.push(Cow::Borrowed(text.as_str()))
                    }
                    Some(serde_json::Value::Array(items)) => {
                        for item in items {
                            if let Some(text) = item.get("text").and_then(serde_json::Value::as_str)
                            {
                                parts.push(Cow::Borrowed(text));
                            }
                        }
                    }
                    _ => {}
                }
                out.push(Message {
                    role: Cow::Borrowed(role),
                    parts,
                });
            }
            _ => {}
        }
    }
}

/// A value that is never exported in clear, whatever the capture mode: captured as
/// `[SENSITIVE]`, and not usable as an attribute value at all (a compile error).
///
/// ```
/// use llmscope::capture::Sensitive;
///
/// let email = Sensitive::new("jane@example.com".to_owned());
/// assert_eq!(format!("{email:?}"), "Sensitive(***)");
/// assert_eq!(email.expose(), "jane@example.com"); // the application still has it
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    /// Wraps a value.
    pub const fn new(value: T) -> Self {
        Sensitive(value)
    }
    /// The value, for the application's own use.
    pub fn expose(&self) -> &T {
        &self.0
    }
    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sensitive(***)")
    }
}

/// What a [`Sensitive`] value is captured as.
pub const SENSITIVE_PLACEHOLDER: &str = "[SENSITIVE]";

impl<T> Content for Sensitive<T> {
    fn messages<'a>(&'a self, role: &'static str, out: &mut Vec<Message<'a>>) {
        out.push(Message::new(role, SENSITIVE_PLACEHOLDER));
    }
}

/// Which content a rendering is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContentKind {
    Input,
    System,
    Output,
    /// `gen_ai.tool.call.arguments` (text, not messages).
    ToolArguments,
    /// `gen_ai.tool.call.result` (text).
    ToolResult,
    /// `gen_ai.retrieval.query.text` (text).
    RetrievalQuery,
}

impl ContentKind {
    fn attribute(self) -> &'static str {
        match self {
            ContentKind::Input => "gen_ai.input.messages",
            ContentKind::System => "gen_ai.system_instructions",
            ContentKind::Output => "gen_ai.output.messages",
            ContentKind::ToolArguments => "gen_ai.tool.call.arguments",
            ContentKind::ToolResult => "gen_ai.tool.call.result",
            ContentKind::RetrievalQuery => "gen_ai.retrieval.query.text",
        }
    }
    fn prefix(self) -> &'static str {
        match self {
            ContentKind::Input => "llmscope.input",
            ContentKind::System => "llmscope.system_instructions",
            ContentKind::Output => "llmscope.output",
            ContentKind::ToolArguments => "llmscope.tool.call.arguments",
            ContentKind::ToolResult => "llmscope.tool.call.result",
            ContentKind::RetrievalQuery => "llmscope.retrieval.query",
        }
    }
    fn hash_attribute(self) -> String {
        format!("{}.hash", self.prefix())
    }
    fn length_attribute(self) -> String {
        format!("{}.length", self.prefix())
    }
    fn truncated_attribute(self) -> String {
        format!("{}.truncated", self.prefix())
    }
    fn is_text(self) -> bool {
        matches!(
            self,
            ContentKind::ToolArguments | ContentKind::ToolResult | ContentKind::RetrievalQuery
        )
    }
}

/// Where rendered content goes, decided by the policy.
#[derive(Debug, Default)]
pub(crate) struct Rendered {
    pub(crate) span: Vec<KeyValue>,
    pub(crate) event: Vec<KeyValue>,
}

/// Renders `messages` per `mode` (the call's own, else the policy's) into attributes.
pub(crate) fn render(
    policy: &CapturePolicy,
    mode: CaptureMode,
    kind: ContentKind,
    messages: &[Message<'_>],
    finish_reason: Option<&str>,
    out: &mut Rendered,
) {
    if mode == CaptureMode::None || messages.is_empty() {
        return;
    }
    let mut attributes = Vec::with_capacity(3);
    match mode {
        CaptureMode::None => return,
        CaptureMode::Hash => {
            let Some((hasher, source)) = &policy.hash_key else {
                return;
            };
            if *source == HashKeySource::Random {
                warn_random_key_once();
            }
            let json = to_json(
                kind,
                messages,
                finish_reason,
                &|part| Cow::Borrowed(part),
                usize::MAX,
            )
            .0;
            attributes.push(KeyValue::new(kind.hash_attribute(), hasher.hash(&json)));
            let length: usize = messages
                .iter()
                .flat_map(|message| message.parts.iter())
                .map(|part| part.len())
                .sum();
            attributes.push(KeyValue::new(
                kind.length_attribute(),
                i64::try_from(length).unwrap_or(i64::MAX),
            ));
        }
        CaptureMode::Redacted | CaptureMode::Full => {
            let redact = |part: &str| -> Cow<'_, str> {
                if mode == CaptureMode::Redacted {
                    Cow::Owned(policy.redactor.redact_content(part).into_owned())
                } else {
                    Cow::Owned(part.to_owned())
                }
            };
            let (json, truncated) = if kind.is_text() {
                let text: String = messages
                    .iter()
                    .flat_map(|message| message.parts.iter())
                    .map(|part| redact(part))
                    .collect::<Vec<_>>()
                    .join("\n");
                cut_text(text, policy.max_bytes)
            } else {
                to_json(kind, messages, finish_reason, &redact, policy.max_bytes)
            };
            attributes.push(KeyValue::new(kind.attribute(), json));
            if truncated {
                attributes.push(KeyValue::new(kind.truncated_attribute(), true));
            }
        }
    }
    if policy.destination.event() {
        out.event.extend(attributes.iter().cloned());
    }
    if policy.destination.span() {
        out.span.extend(attributes);
    }
}

/// Cuts plain text to `max_bytes` on a char boundary, marking the cut.
fn cut_text(mut text: String, max_bytes: usize) -> (String, bool) {
    if text.len() <= max_bytes {
        return (text, false);
    }
    let marker = "…[truncated]";
    let mut cut = max_bytes.saturating_sub(marker.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
    text.push_str(marker);
    (text, true)
}

/// Serializes per the semconv schema, shortening text parts until the JSON fits `max_bytes`.
fn to_json<'m>(
    kind: ContentKind,
    messages: &'m [Message<'m>],
    finish_reason: Option<&str>,
    transform: &dyn Fn(&'m str) -> Cow<'m, str>,
    max_bytes: usize,
) -> (String, bool) {
    let mut parts: Vec<Vec<String>> = messages
        .iter()
        .map(|message| {
            message
                .parts
                .iter()
                .map(|part| transform(part).into_owned())
                .collect()
        })
        .collect();
    let mut truncated = false;
    loop {
        let json = serialize(kind, messages, &parts, finish_reason);
        if json.len() <= max_bytes {
            return (json, truncated);
        }
        truncated = true;
        // Shorten the longest part by the excess (plus the marker), on a char boundary.
        let excess = json.len() - max_bytes;
        let longest = parts
            .iter_mut()
            .flat_map(|message| message.iter_mut())
            .max_by_key(|part| part.len());
        match longest {
            Some(part) if !part.is_empty() => {
                let marker = "…[truncated]";
                let keep = part.len().saturating_sub(excess + marker.len() + 8);
                let mut cut = keep.min(part.len());
                while !part.is_char_boundary(cut) {
                    cut -= 1;
                }
                part.truncate(cut);
                if !part.ends_with(marker) {
                    part.push_str(marker);
                }
                if cut == 0 {
                    part.clear();
                }
            }
            _ => return ("[]".to_owned(), true),
        }
    }
}

fn serialize(
    kind: ContentKind,
    messages: &[Message<'_>],
    parts: &[Vec<String>],
    finish_reason: Option<&str>,
) -> String {
    use serde_json::{json, Value};
    let text_parts = |texts: &[String]| -> Vec<Value> {
        texts
            .iter()
            .map(|text| json!({"type": "text", "content": text}))
            .collect()
    };
    let value = match kind {
        ContentKind::System => {
            Value::Array(parts.iter().flat_map(|texts| text_parts(texts)).collect())
        }
        ContentKind::Input => Value::Array(
            messages
                .iter()
                .zip(parts)
                .map(|(message, texts)| json!({"role": message.role, "parts": text_parts(texts)}))
                .collect(),
        ),
        ContentKind::ToolArguments | ContentKind::ToolResult | ContentKind::RetrievalQuery => {
            Value::String(
                parts
                    .iter()
                    .flatten()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
        }
        ContentKind::Output => Value::Array(
            messages
                .iter()
                .zip(parts)
                .map(|(message, texts)| {
                    json!({
                        "role": message.role,
                        "parts": text_parts(texts),
                        "finish_reason": finish_reason.unwrap_or("stop"),
                    })
                })
                .collect(),
        ),
    };
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(
        mode: CaptureMode,
        kind: ContentKind,
        text: &str,
        max_bytes: usize,
    ) -> Vec<KeyValue> {
        let policy = CapturePolicy::builder()
            .with_max_bytes(max_bytes)
            .build_with(None)
            .unwrap();
        let mut out = Rendered::default();
        render(&policy, mode, kind, &[Message::user(text)], None, &mut out);
        out.span
    }

    const KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f";

    fn input_hash(policy: &CapturePolicy) -> Option<String> {
        let mut out = Rendered::default();
        let messages = [Message::user("What is my balance?")];
        render(
            policy,
            CaptureMode::Hash,
            ContentKind::Input,
            &messages,
            None,
            &mut out,
        );
        out.span
            .iter()
            .find(|kv| kv.key.as_str() == "llmscope.input.hash")
            .map(|kv| kv.value.as_str().into_owned())
    }

    #[test]
    fn the_hash_key_is_explicit_else_the_variable_else_random() {
        let explicit = ContentHasher::new(b"explicit key, 32 bytes long.....");
        let policy = CapturePolicy::builder()
            .with_hasher(explicit.clone())
            .build_with(Some("zz".into()))
            .unwrap();
        assert_eq!(policy.hash_key_source(), Some(HashKeySource::Explicit));
        assert_eq!(
            policy.hasher().unwrap().hash("x"),
            explicit.hash("x"),
            "explicit beats the variable, even an invalid one"
        );

        let policy = CapturePolicy::builder()
            .build_with(Some(KEY_HEX.into()))
            .unwrap();
        assert_eq!(policy.hash_key_source(), Some(HashKeySource::Environment));
        let key: Vec<u8> = (0u8..16).collect();
        assert_eq!(
            policy.hasher().unwrap().hash("x"),
            ContentHasher::new(&key).hash("x")
        );

        let error = CapturePolicy::builder()
            .build_with(Some("0011".into()))
            .unwrap_err();
        assert!(error.to_string().contains("`LLMSCOPE_HASH_KEY`"), "{error}");

        let first = CapturePolicy::builder().build_with(None).unwrap();
        let second = CapturePolicy::builder().build_with(None).unwrap();
        assert_eq!(first.hash_key_source(), Some(HashKeySource::Random));
        assert_ne!(input_hash(&first), input_hash(&second));
    }

    #[test]
    fn a_policy_without_a_key_hashes_nothing() {
        let policy = CapturePolicy::unconfigured();
        assert_eq!(policy.hash_key_source(), None);
        assert_eq!(input_hash(&policy), None);
    }

    #[test]
    fn text_kinds_are_plain_redacted_strings() {
        let attributes = rendered(
            CaptureMode::Redacted,
            ContentKind::ToolArguments,
            r#"{"to": "jane@example.com"}"#,
            1024,
        );
        assert_eq!(attributes.len(), 1);
        assert_eq!(attributes[0].key.as_str(), "gen_ai.tool.call.arguments");
        assert_eq!(attributes[0].value.as_str(), r#"{"to": "[EMAIL]"}"#);
    }

    #[test]
    fn long_text_is_cut_on_a_char_boundary() {
        let attributes = rendered(
            CaptureMode::Full,
            ContentKind::RetrievalQuery,
            &"ü".repeat(100),
            64,
        );
        let text = attributes[0].value.as_str().into_owned();
        assert!(text.len() <= 64, "{}", text.len());
        assert!(text.ends_with("…[truncated]"));
        assert_eq!(
            attributes[1].key.as_str(),
            "llmscope.retrieval.query.truncated"
        );
    }

    #[test]
    fn hash_mode_never_carries_the_text() {
        let attributes = rendered(
            CaptureMode::Hash,
            ContentKind::ToolResult,
            "secret result",
            1024,
        );
        let keys: Vec<&str> = attributes.iter().map(|kv| kv.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "llmscope.tool.call.result.hash",
                "llmscope.tool.call.result.length"
            ]
        );
        assert!(!format!("{attributes:?}").contains("secret result"));
    }
}
