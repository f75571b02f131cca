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
//! `gen_ai.output.messages`, `gen_ai.system_instructions`) and is written as span attributes,
//! as a `gen_ai.client.inference.operation.details` event, or both.
//!
//! # Size
//!
//! Each content attribute holds at most [`CapturePolicy::max_bytes`] and is always valid JSON.
//! Content that does not fit is chosen, not shortened evenly: the **newest message** first (the
//! turn the model answers; cut, keeping its beginning, if it alone is too long), then the
//! **first message** (the system prompt or task that framed the exchange) in at most a quarter
//! of the room left, then the messages just before the newest, as many as fit whole. The
//! others are left out and counted in `llmscope.input.omitted_messages` (`…output…`,
//! `…system_instructions…`); a cut text ends with `…[truncated]` and `llmscope.input.truncated`
//! is set. The choice is made on the raw text in one pass that stops reading at the limit, and
//! only the kept text is copied and redacted (with up to 4 KiB past a cut, then dropped, so a
//! secret straddling the cut is redacted whole rather than exported in part): the work in the
//! caller's thread is bounded by the limit, not by the size of the content. String attributes
//! the application adds and exception messages are cut to the same limit.
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

use crate::already_set::AlreadySet;
use crate::keys;
use crate::redact::{ContentHasher, RedactError, Redactor};

mod fit;
mod json_prefix;
pub(crate) mod parts;
pub use parts::{returned, Json, JsonData, Part};

use fit::{fit, Layout};

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
                .filter(|bytes| *bytes >= MIN_MAX_BYTES)
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

    /// The byte limit of one content attribute, also applied to the string attributes the
    /// application adds and to exception messages (see [size](crate::capture#size)).
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
        self.policy.max_bytes = max_bytes.max(MIN_MAX_BYTES);
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
/// Returns [`AlreadySet`] carrying `policy` back if one was already set or already read from the
/// environment.
pub fn set_capture_policy(policy: CapturePolicy) -> Result<(), AlreadySet<CapturePolicy>> {
    let mut slot = Some(policy);
    POLICY.get_or_init(|| slot.take().expect("taken once"));
    match slot {
        None => Ok(()),
        Some(rejected) => Err(AlreadySet::new(
            rejected,
            "capture policy",
            "set it once at startup, before the first annotated call reads it from the environment",
        )),
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

/// One chat message of captured content: a role and its parts (text, tool calls, tool
/// results, reasoning, multimodal data: see [`Part`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Message<'a> {
    /// `system`, `user`, `assistant`, `tool`, or a provider's own role.
    pub role: Cow<'a, str>,
    /// The parts.
    pub parts: Vec<Part<'a>>,
}

impl<'a> Message<'a> {
    /// A message with one text part.
    pub fn new(role: impl Into<Cow<'a, str>>, text: impl Into<Cow<'a, str>>) -> Self {
        Message {
            role: role.into(),
            parts: vec![Part::Text(text.into())],
        }
    }
    /// A message with the given parts.
    pub fn with_parts(role: impl Into<Cow<'a, str>>, parts: Vec<Part<'a>>) -> Self {
        Message {
            role: role.into(),
            parts,
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
/// gives), [`Message`], `(role, text)` pairs, `serde_json::Value` in the OpenAI, Anthropic or
/// Gemini chat shape (`[{"role": …, "content": …}]`, with tool calls, tool results, reasoning
/// and multimodal parts mapped to [`Part`]s), [`Json`] (any `Serialize` value), the
/// `llmscope::providers` response types, [`Sensitive`], and `Option`, slices, `Vec` and
/// references of these.
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
            parts: self.parts.iter().map(Part::borrowed).collect(),
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
        parts::value_messages(self, role, out);
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
            ContentKind::Input => keys::GEN_AI_INPUT_MESSAGES,
            ContentKind::System => keys::GEN_AI_SYSTEM_INSTRUCTIONS,
            ContentKind::Output => keys::GEN_AI_OUTPUT_MESSAGES,
            ContentKind::ToolArguments => keys::GEN_AI_TOOL_CALL_ARGUMENTS,
            ContentKind::ToolResult => keys::GEN_AI_TOOL_CALL_RESULT,
            ContentKind::RetrievalQuery => keys::GEN_AI_RETRIEVAL_QUERY_TEXT,
        }
    }
    fn prefix(self) -> &'static str {
        match self {
            ContentKind::Input => keys::LLMSCOPE_INPUT,
            ContentKind::System => keys::LLMSCOPE_SYSTEM_INSTRUCTIONS,
            ContentKind::Output => keys::LLMSCOPE_OUTPUT,
            ContentKind::ToolArguments => keys::LLMSCOPE_TOOL_CALL_ARGUMENTS,
            ContentKind::ToolResult => keys::LLMSCOPE_TOOL_CALL_RESULT,
            ContentKind::RetrievalQuery => keys::LLMSCOPE_RETRIEVAL_QUERY,
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
    fn omitted_attribute(self) -> String {
        format!("{}.omitted_messages", self.prefix())
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
    let layout = Layout::of(kind, finish_reason);
    match mode {
        CaptureMode::None => return,
        CaptureMode::Hash => {
            let Some((hasher, source)) = &policy.hash_key else {
                return;
            };
            if *source == HashKeySource::Random {
                warn_random_key_once();
            }
            // The hash covers the whole content: one linear pass, nothing cut.
            let json = fit(&layout, messages, &|part| Cow::Borrowed(part), usize::MAX).text;
            attributes.push(KeyValue::new(kind.hash_attribute(), hasher.hash(&json)));
            let length = fit::content_len(messages);
            attributes.push(KeyValue::new(
                kind.length_attribute(),
                i64::try_from(length).unwrap_or(i64::MAX),
            ));
        }
        CaptureMode::Redacted | CaptureMode::Full => {
            let redact = per_part(|part| {
                if mode == CaptureMode::Redacted {
                    policy.redactor.redact_content(part)
                } else {
                    Cow::Borrowed(part)
                }
            });
            let fitted = fit(&layout, messages, &redact, policy.max_bytes);
            attributes.push(KeyValue::new(kind.attribute(), fitted.text));
            if fitted.truncated {
                attributes.push(KeyValue::new(kind.truncated_attribute(), true));
            }
            if fitted.omitted > 0 {
                attributes.push(KeyValue::new(
                    kind.omitted_attribute(),
                    i64::try_from(fitted.omitted).unwrap_or(i64::MAX),
                ));
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

/// Gives a closure the signature of a per-part transform (borrowing from its input).
fn per_part<F: for<'x> Fn(&'x str) -> Cow<'x, str>>(transform: F) -> F {
    transform
}

/// What marks text that was cut.
pub(crate) const TRUNCATION_MARKER: &str = "…[truncated]";

/// The smallest byte limit a policy can have: strings no longer than this are never cut.
pub(crate) const MIN_MAX_BYTES: usize = 64;

/// Cuts `text` to the process policy's [`max_bytes`](CapturePolicy::max_bytes) on a char
/// boundary, ending it with [`TRUNCATION_MARKER`]; borrowed when it already fits. Reads at most
/// `max_bytes` of it.
pub(crate) fn bound_text(text: &str) -> Cow<'_, str> {
    if text.len() <= MIN_MAX_BYTES {
        return Cow::Borrowed(text);
    }
    let max_bytes = capture_policy().max_bytes;
    if text.len() <= max_bytes {
        return Cow::Borrowed(text);
    }
    let cut = floor_char_boundary(text, max_bytes.saturating_sub(TRUNCATION_MARKER.len()));
    let mut out = String::with_capacity(cut + TRUNCATION_MARKER.len());
    out.push_str(&text[..cut]);
    out.push_str(TRUNCATION_MARKER);
    Cow::Owned(out)
}

/// The part of a string attribute value worth copying: all of a short one; of a long one, what
/// [`bound_redacted`] may read (`max_bytes` and twice the redaction margin).
#[inline]
pub(crate) fn attribute_window(text: &str) -> &str {
    if text.len() <= MIN_MAX_BYTES {
        return text;
    }
    let limit = capture_policy()
        .max_bytes
        .saturating_add(2 * REDACTION_MARGIN);
    &text[..floor_char_boundary(text, limit)]
}

/// A string the application adds (an attribute value or an error message), redacted and cut
/// to the policy's [`max_bytes`](CapturePolicy::max_bytes) with [`TRUNCATION_MARKER`]. Reads
/// and redacts at most `max_bytes` plus [`REDACTION_MARGIN`] of it.
pub(crate) fn bound_redacted<'a>(policy: &CapturePolicy, text: &'a str) -> Cow<'a, str> {
    let end = floor_char_boundary(text, policy.max_bytes.saturating_add(REDACTION_MARGIN));
    redact_window(policy, &text[..end], end < text.len())
}

/// A retrieved document's text for `gen_ai.retrieval.documents` in `mode`: `None` unless the
/// mode exports content (`redacted`, `full`); else at most `room` bytes of it, read no further
/// than `room` plus [`REDACTION_MARGIN`], redacted in `redacted` mode and cut with
/// [`TRUNCATION_MARKER`] (the flag says it was cut). `room` shrinks as documents are added, so
/// the documents' text together holds at most the policy's `max_bytes`.
pub(crate) fn bound_document(
    policy: &CapturePolicy,
    mode: CaptureMode,
    text: &str,
    room: usize,
) -> Option<(String, bool)> {
    if !matches!(mode, CaptureMode::Redacted | CaptureMode::Full) || room < MIN_MAX_BYTES / 4 {
        return None;
    }
    let end = floor_char_boundary(text, room.saturating_add(REDACTION_MARGIN));
    let windowed = end < text.len();
    let window = &text[..end];
    let redacted = if mode == CaptureMode::Redacted {
        policy.redactor.redact_content(window)
    } else {
        Cow::Borrowed(window)
    };
    if !windowed && redacted.len() <= room {
        return Some((redacted.into_owned(), false));
    }
    Some((cut_with_marker(&redacted, room, windowed), true))
}

/// Formats `message` into at most `max_bytes` (plus the margin) — a huge `Display` is never
/// written out whole — then redacts and cuts it like [`bound_redacted`].
pub(crate) fn bound_display(policy: &CapturePolicy, message: &dyn fmt::Display) -> String {
    let mut window = Window {
        out: String::new(),
        limit: policy.max_bytes.saturating_add(REDACTION_MARGIN),
        full: false,
    };
    let _ = fmt::write(&mut window, format_args!("{message}"));
    match redact_window(policy, &window.out, window.full) {
        Cow::Borrowed(_) => window.out,
        Cow::Owned(text) => text,
    }
}

/// Redacts `window` (the beginning of a longer text when `windowed`) and cuts it to
/// `max_bytes`; the last [`REDACTION_MARGIN`] bytes of a window are always dropped, so a
/// secret cut by the window's end is never exported in part.
fn redact_window<'a>(policy: &CapturePolicy, window: &'a str, windowed: bool) -> Cow<'a, str> {
    // JSON content is redacted on its decoded values; other text (or JSON cut by the window)
    // with every escape as a word boundary.
    let redacted = policy.redactor.redact_content(window);
    if !windowed && redacted.len() <= policy.max_bytes {
        return redacted;
    }
    Cow::Owned(cut_with_marker(&redacted, policy.max_bytes, windowed))
}

/// `redacted` cut to `room` bytes with [`TRUNCATION_MARKER`]; from a window (`windowed`), the
/// last [`REDACTION_MARGIN`] bytes are dropped too, so a secret cut by the window's end is never
/// exported in part.
fn cut_with_marker(redacted: &str, room: usize, windowed: bool) -> String {
    let mut keep = room.saturating_sub(TRUNCATION_MARKER.len());
    if windowed {
        keep = keep.min(redacted.len().saturating_sub(REDACTION_MARGIN));
    }
    let cut = floor_char_boundary(redacted, keep);
    let mut out = String::with_capacity(cut + TRUNCATION_MARKER.len());
    out.push_str(&redacted[..cut]);
    out.push_str(TRUNCATION_MARKER);
    out
}

/// A `fmt::Write` that keeps the first `limit` bytes and then stops the formatting.
struct Window {
    out: String,
    limit: usize,
    full: bool,
}

impl fmt::Write for Window {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let room = self.limit - self.out.len();
        if text.len() <= room {
            self.out.push_str(text);
            return Ok(());
        }
        self.out.push_str(&text[..floor_char_boundary(text, room)]);
        self.full = true;
        Err(fmt::Error)
    }
}

/// The largest char boundary of `text` at or below `index`.
fn floor_char_boundary(text: &str, index: usize) -> usize {
    if index >= text.len() {
        return text.len();
    }
    let mut cut = index;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    cut
}

/// Raw bytes read past a cut before redacting, then dropped after redacting: a secret that
/// straddles the cut is seen whole by the redactor (up to this length) and never exported in
/// part.
const REDACTION_MARGIN: usize = 4096;

/// Bytes of content handed to the redactor on this thread so far (for tests: capture reads a
/// bounded amount of text however large the content is).
#[doc(hidden)]
pub fn work() -> u64 {
    fit::work()
}

#[cfg(test)]
mod tests {
    use super::fit::{escaped_char_len, quoted_len, write_json_str, Fitted};
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

    fn fitted(kind: ContentKind, messages: &[Message<'_>], max_bytes: usize) -> Fitted {
        fit(
            &Layout::of(kind, None),
            messages,
            &|part| Cow::Borrowed(part),
            max_bytes,
        )
    }

    #[test]
    fn the_escaped_length_is_what_serde_json_writes() {
        for text in [
            "plain",
            "quote \" back \\ slash",
            "line\nfeed\ttab\r",
            "\u{1}\u{1f}\u{7f}",
            "Grüße — ü",
        ] {
            let expected = serde_json::to_string(text).unwrap();
            let mut written = String::new();
            write_json_str(&mut written, text);
            assert_eq!(written, expected);
            assert_eq!(quoted_len(text), expected.len(), "{text:?}");
            let chars: usize = text.chars().map(escaped_char_len).sum();
            assert_eq!(chars + 2, expected.len(), "{text:?}");
        }
    }

    #[test]
    fn content_that_fits_is_the_schema_json_of_every_message() {
        let messages = [
            Message::system("Be brief."),
            Message::user("Hi \"there\"\n"),
        ];
        let fitted = fitted(ContentKind::Input, &messages, 16 * 1024);
        let expected = serde_json::json!([
            {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
            {"role": "user", "parts": [{"type": "text", "content": "Hi \"there\"\n"}]},
        ]);
        let parsed: serde_json::Value = serde_json::from_str(&fitted.text).unwrap();
        assert_eq!(parsed, expected);
        assert!(!fitted.truncated);
        assert_eq!(fitted.omitted, 0);
    }

    #[test]
    fn too_many_messages_keep_the_first_and_the_newest() {
        // 2,097 messages of 100 B: about 270 KB of JSON, cut to 16 KiB.
        let texts: Vec<String> = (0..2_097)
            .map(|i| format!("{i:05} {}", "x".repeat(94)))
            .collect();
        let messages: Vec<Message<'_>> = texts
            .iter()
            .map(|text| Message::user(text.as_str()))
            .collect();
        let fitted = fitted(ContentKind::Input, &messages, 16 * 1024);
        assert!(fitted.text.len() <= 16 * 1024, "{}", fitted.text.len());
        let parsed: Vec<serde_json::Value> = serde_json::from_str(&fitted.text).unwrap();
        let kept: Vec<&str> = parsed
            .iter()
            .map(|message| message["parts"][0]["content"].as_str().unwrap())
            .collect();
        // Each message costs 27 + 29 + 100 = 156 bytes: about 104 of them fit in 16 KiB.
        assert!(kept.len() > 90, "{}", kept.len());
        assert_eq!(kept[0], texts[0]);
        assert_eq!(*kept.last().unwrap(), texts[2_096]);
        // The rest are the newest, contiguous and in order.
        let tail = &texts[texts.len() - (kept.len() - 1)..];
        assert_eq!(
            &kept[1..],
            tail.iter().map(String::as_str).collect::<Vec<_>>()
        );
        assert!(fitted.truncated);
        assert_eq!(fitted.omitted, 2_097 - kept.len());
    }

    #[test]
    fn one_long_message_keeps_its_beginning_and_stays_json() {
        let text = "ü\"".repeat(50_000);
        for kind in [ContentKind::Input, ContentKind::Output, ContentKind::System] {
            for max_bytes in [64, 256, 1000, 4096] {
                let fitted = fitted(kind, &[Message::user(text.as_str())], max_bytes);
                assert!(
                    fitted.text.len() <= max_bytes,
                    "{kind:?} {max_bytes}: {}",
                    fitted.text.len()
                );
                let parsed: serde_json::Value = serde_json::from_str(&fitted.text).unwrap();
                assert!(fitted.truncated);
                if max_bytes >= 256 {
                    let part = if kind == ContentKind::System {
                        &parsed[0]
                    } else {
                        &parsed[0]["parts"][0]
                    };
                    let content = part["content"].as_str().unwrap();
                    assert!(content.starts_with("ü\"ü\""), "{content}");
                    assert!(content.ends_with(TRUNCATION_MARKER), "{content}");
                    // Nearly all the room is used (the marker and a char at most are lost).
                    assert!(
                        fitted.text.len() + 3 + 2 * 2 >= max_bytes,
                        "{max_bytes}: {}",
                        fitted.text.len()
                    );
                }
            }
        }
    }

    #[test]
    fn redaction_reads_only_what_is_kept_plus_the_margin() {
        let big = "a".repeat(10 << 20);
        let messages: Vec<Message<'_>> = (0..1_000)
            .map(|_| Message::user(&big[..1024]))
            .chain([Message::user(big.as_str())])
            .collect();
        let before = work();
        let fitted = fitted_redacted(&messages, 16 * 1024);
        let read = work() - before;
        assert!(fitted.text.len() <= 16 * 1024);
        // Only the newest message is kept (cut), and the redactor saw its kept part and the
        // margin, not 10 MB.
        assert!(read <= 16 * 1024 + REDACTION_MARGIN as u64, "{read}");
        assert_eq!(fitted.omitted, 1_000);
    }

    fn fitted_redacted(messages: &[Message<'_>], max_bytes: usize) -> Fitted {
        let redactor = Redactor::builder().build();
        let redact = per_part(|part| redactor.redact(part));
        fit(
            &Layout::of(ContentKind::Input, None),
            messages,
            &redact,
            max_bytes,
        )
    }

    #[test]
    fn a_secret_across_the_cut_is_redacted_not_exported_in_part() {
        let secret = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz012345";
        for pad in 150..200 {
            let text = format!("{} {secret} and more text after it", "x".repeat(pad));
            let fitted = fitted_redacted(&[Message::user(text.as_str())], 256);
            assert!(fitted.text.len() <= 256);
            assert!(
                !fitted.text.contains("sk-proj-AbC"),
                "{pad}: {}",
                fitted.text
            );
        }
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
