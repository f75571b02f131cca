//! Observability for Rust LLM applications with a few annotations.
//!
//! [`llm_call`] turns a function that calls a model into an OpenTelemetry span carrying the
//! GenAI semantic-convention attributes (semconv v1.41.0) and the token usage read from the value
//! it returns through [`Usage`] (usually `#[derive(Usage)]`). Attribute names and value types
//! are checked at compile time against a registry generated from the semconv YAML.
//!
//! ```
//! use llmscope::testing::TestTelemetry;
//!
//! #[derive(llmscope::Usage)]
//! struct Reply {
//!     #[usage(input_tokens)]
//!     prompt_tokens: u32,
//!     #[usage(output_tokens)]
//!     completion_tokens: u32,
//! }
//!
//! #[llmscope::llm_call(provider = "openai", model = "gpt-4o", temperature = 0.2)]
//! fn chat(prompt: &str) -> Reply {
//!     Reply { prompt_tokens: prompt.len() as u32, completion_tokens: 5 }
//! }
//!
//! let telemetry = TestTelemetry::new();
//! {
//!     let _guard = telemetry.context().attach();
//!     chat("Hello!");
//! }
//! let span = telemetry.span("chat gpt-4o");
//! assert_eq!(
//!     llmscope::testing::attribute(&span, "gen_ai.usage.output_tokens"),
//!     Some(&llmscope::opentelemetry::Value::I64(5))
//! );
//! ```
//!
//! Where spans go: call [`init()`] once at startup (it reads the standard `OTEL_*` variables:
//! OTLP over HTTP/protobuf or gRPC with the `otlp-http` / `otlp-grpc` features, or, with none
//! set, the embedded terminal tree + JSONL file), or [`install`] a provider once for the process (with any exporter: the
//! terminal tree and JSONL file in [`export`], OTLP, …), or make one current for part of the
//! program with [`scoped`]. With neither, annotated functions run unchanged and build nothing.
//!
//! Keep `opentelemetry` at the version re-exported here ([`opentelemetry`]): two versions in one
//! application silently break span nesting.

/// Turns a function that calls an LLM into one OpenTelemetry GenAI span.
///
/// Works on `async fn` and `fn`, free functions and methods (`&self`, `&mut self`), generic
/// functions, `impl Trait`, `Result` and `Option` returns, and async fns in trait impls.
///
/// # Arguments
///
/// Every value may be a literal or an expression over the function's parameters
/// (`model = req.model`); an `Option` that is `None` leaves the attribute out.
///
/// | argument | type | default | writes |
/// |---|---|---|---|
/// | `provider` | string | — | `gen_ai.provider.name` (well-known values are typo-checked) |
/// | `model` | string | — | `gen_ai.request.model`; span name `{operation} {model}` |
/// | `operation` | `chat` \| `text_completion` \| `generate_content` \| `embeddings` | `chat` | `gen_ai.operation.name` |
/// | `temperature`, `top_p`, `top_k`, `frequency_penalty`, `presence_penalty` | number | — | `gen_ai.request.*` |
/// | `max_tokens`, `seed`, `choice_count` | integer | — | `gen_ai.request.max_tokens`, `.seed`, `.choice.count` |
/// | `stop_sequences` | string array | — | `gen_ai.request.stop_sequences` |
/// | `stream` | bool | — | `gen_ai.request.stream` |
/// | `conversation_id` | string | — | `gen_ai.conversation.id` |
/// | `server_address`, `server_port` | string, integer | — | `server.address`, `server.port` |
/// | `prompt_template` | string | — | `gen_ai.prompt.name` |
/// | `prompt_version` | string | — | `llmscope.prompt.version` |
/// | `feature` | string | — | `llmscope.feature` (cost attribution) |
/// | `prompt` | [`capture::Content`] (text, messages, …) | — | `gen_ai.input.messages`, only as the capture policy allows |
/// | `system` | [`capture::Content`] | — | `gen_ai.system_instructions`, only as the capture policy allows |
/// | `capture` | `none` \| `hash` \| `redacted` \| `full` | the policy's ([`capture_policy`]) | this call's capture mode |
/// | `service_tier` | `standard` \| `batch` \| `flex` \| `priority` | from the usage, else `standard` | `llmscope.request.service_tier`; prices the call |
/// | `name` | string | `{operation} {model}` | the span name |
/// | `usage` | bool | `true` | `false` opts out of reading [`Usage`] from the return value |
/// | `attrs(...)` | `"semconv.key" = v`, `custom("app.key") = v` | — | any other attribute, name and type checked |
/// | `crate` | path | `::llmscope` | where the generated code finds this crate |
///
/// The name and the attributes semconv marks sampling-relevant (`gen_ai.operation.name`,
/// `gen_ai.provider.name`, `gen_ai.request.model`, `server.address`, `server.port`) are set
/// **at span creation**, so samplers see them; the other request attributes are added right
/// after the span starts, before the body runs, and only if the span records — a span the
/// sampler drops evaluates none of them. After the call:
/// `gen_ai.usage.input_tokens` (inclusive of cache), `…output_tokens`,
/// `…cache_read.input_tokens`, `…cache_creation.input_tokens`, `…reasoning.output_tokens`,
/// `gen_ai.response.model`, `…id`, `…finish_reasons`, and the cost in USD from the pricing
/// registry ([`pricing`]): `gen_ai.usage.cost.amount`/`.currency`, OpenInference's
/// `llm.cost.prompt`/`.completion`/`.total`, the parts `llmscope.cost.*`, and the matched entry
/// and snapshot (`llmscope.pricing.entry`, `.snapshot`, `.tier`) so any number can be audited;
/// an unknown model gets no cost attribute (see [`unknown_models`]). On `Err`: status Error, `error.type`
/// ([`ErrorType`] if implemented, else the error's type name) and an `exception` event. On
/// panic: status Error and `error.type = "panic"`, and the panic continues. If the future is
/// dropped before it completes: the span ends with `llmscope.cancelled = true`.
///
/// The span (kind CLIENT) is current while the body runs: `tracing` spans and OpenTelemetry
/// spans created inside nest under it, and it nests under the caller's current span.
///
/// # Expands to
///
/// Roughly, for a sync function (async functions wrap the body in `async move` and poll it
/// with the span's context current instead of attaching a guard):
///
/// ```text
/// fn chat(req: &Request) -> Reply {
///     static SITE: Site = Site { operation: "chat", kind: Client };
///     let call = __private::start(&SITE, |start| {     // None when no provider: no work at all
///         start.provider(Some("openai".into()));
///         start.model(__private::value::<Str, _>(&(req.model)));
///     });
///     let body = move || { /* the original body */ };
///     match call {
///         None => body(),
///         Some(mut call) => {
///             let guard = call.enter();
///             let output = body();
///             drop(guard);
///             __private::record_usage(&mut call, &output);   // requires `Reply: Usage`
///             (&&&&Outcome(&output)).record_outcome(&mut call); // Err → error.type, event, status
///             call.end();
///             output
///         }
///     }
/// }
/// ```
///
/// # Errors at compile time
///
/// Unknown arguments and attribute names get a "did you mean", wrong literal kinds and
/// deprecated names are rejected, and a return type without [`Usage`] is an error at the
/// return type:
///
/// ```compile_fail
/// #[llmscope::llm_call(provider = "openai", model = "gpt-4o", attrs("gen_ai.request.temprature" = 0.7))]
/// fn chat() -> String { String::new() }
/// ```
pub use llmscope_macros::llm_call;

/// Derives [`Usage`](trait@Usage) for a struct with named fields.
///
/// # Field roles: `#[usage(role)]`
///
/// | role | field type | meaning |
/// |---|---|---|
/// | `input_tokens` | integer or `Option` | prompt tokens as the provider reports them |
/// | `output_tokens` | integer or `Option` | completion tokens |
/// | `cache_read_tokens` | integer or `Option` | input tokens read from the cache |
/// | `cache_write_tokens` | integer or `Option` | input tokens written to the cache |
/// | `cache_write_1h_tokens` | integer or `Option` | the one-hour-TTL part of the cache writes |
/// | `reasoning_tokens` | integer or `Option` | reasoning output tokens |
/// | `response_model`, `response_id`, `service_tier` | text | `gen_ai.response.*` |
/// | `finish_reason` / `finish_reasons` | text / list of texts | `gen_ai.response.finish_reasons` |
/// | `completion` | text or list | content, exported only as the capture policy allows |
/// | `flatten` | a type that implements `Usage` (also `Option`, `Vec`) | read it too |
///
/// Integers: `u32`, `u64`, `i64`, `usize` (any integer type). Text: `String`, `&str`,
/// `Cow<str>`, `Box<str>`, `Arc<str>`, or an `Option` of one.
///
/// # Container options: `#[usage(...)]` on the struct
///
/// - `input_excludes_cache`: the provider's input count excludes cache reads and writes
///   (Anthropic); the span's `gen_ai.usage.input_tokens` adds them back, as semconv defines it.
/// - `output_excludes_reasoning`: the output count excludes reasoning tokens (Gemini's
///   `thoughtsTokenCount`); the span's `gen_ai.usage.output_tokens` adds them.
/// - `crate = path`: where the generated code finds this crate.
///
/// ```
/// #[derive(llmscope::Usage)]
/// #[usage(input_excludes_cache)]
/// struct AnthropicUsage {
///     #[usage(input_tokens)] input_tokens: u64,
///     #[usage(output_tokens)] output_tokens: u64,
///     #[usage(cache_read_tokens)] cache_read_input_tokens: Option<u64>,
///     #[usage(cache_write_tokens)] cache_creation_input_tokens: Option<u64>,
/// }
///
/// let usage = AnthropicUsage {
///     input_tokens: 247,
///     output_tokens: 384,
///     cache_read_input_tokens: Some(8000),
///     cache_creation_input_tokens: Some(1500),
/// };
/// let mut data = llmscope::UsageData::default();
/// llmscope::Usage::record_usage(&usage, &mut data);
/// assert_eq!(data.input_tokens(), Some(9747));
/// ```
///
/// ```compile_fail
/// #[derive(llmscope::Usage)]
/// enum NotAStruct { A }
/// ```
pub use llmscope_macros::Usage;

pub use llmscope_runtime::capture::{
    capture_policy, set_capture_policy, CaptureMode, CapturePolicy, Message, Sensitive,
};
pub use llmscope_runtime::{
    capture, dropped_spans, export, init, install, is_installed, opentelemetry, opentelemetry_sdk,
    price_registry, pricing, redact, scoped, semconv, set_price_registry, setup, testing,
    unknown_models, ErrorType, InstallError, SetupError, Telemetry, TelemetryGuard, Usage,
    UsageData, INSTRUMENTATION_NAME,
};

/// W3C `traceparent`/`baggage` across HTTP hops (feature `http`; the tower layer: `tower`).
#[cfg(feature = "http")]
pub use llmscope_runtime::propagation;

#[doc(hidden)]
pub use llmscope_runtime::__private;
