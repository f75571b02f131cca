//! Observability for Rust LLM applications with a few annotations.
//!
//! [`llm_call`] turns a function that calls a model into an OpenTelemetry span carrying the
//! GenAI semantic-convention attributes (semconv v1.41.0) and the token usage read from the value
//! it returns through [`Usage`] (usually `#[derive(Usage)]`). Attribute names and value types
//! are checked at compile time against a registry generated from the semconv YAML.
//!
//! The example asserts through [`testing`] (feature `testing`, for `[dev-dependencies]`).
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
//! Sampling: when llmscope knows the provider's sampler ([`init()`] does; a provider built with
//! [`Sampler::build`] and given to [`install`] / [`scoped`] otherwise), it decides
//! before the call builds anything, and a dropped call evaluates none of the macro's arguments
//! (see [`sampling`]).
//!
//! Keep `opentelemetry` at the version re-exported here ([`opentelemetry`]): two versions in one
//! application silently break span nesting.

#![cfg_attr(docsrs, feature(doc_cfg))]

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
/// | `usage` | bool or function path | `true` | `false` opts out of reading [`Usage`] from the return value; `usage = path::to::f` reads it through `f(&T) -> impl Usage` (usually [`UsageData`]), for a return type that is not `Usage` (another crate's type, no newtype needed) |
/// | `output` | function path | — | `output = path::to::f`: the output messages, `f(&T) -> impl capture::Content`, captured as `gen_ai.output.messages` instead of the usage's completion text |
/// | `attempt` | integer | — | `llmscope.request.attempt`: the attempt number when the call is retried (each attempt its own span, see [`errors`]) |
/// | `returns` | `stream` | read from the return type | `stream`: the return type is a boxed stream behind an alias the macro cannot see through (see [Streams](#streams)) |
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
/// registry ([`pricing`]): `llmscope.cost.total` and its parts `llmscope.cost.input`,
/// `.output`, `.cache_read`, `.cache_write`, OpenInference's
/// `llm.cost.prompt`/`.completion`/`.total`, and the matched entry
/// and snapshot (`llmscope.pricing.entry`, `.snapshot`, `.tier`) so any number can be audited;
/// an unknown model gets no cost attribute (see [`unknown_models`]). Semconv v1.41.0 has no
/// cost attribute; the proposed `gen_ai.usage.cost.amount`/`.currency`/`.source` are added on
/// export with `OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental`
/// ([`export::SemconvOptions`]). On `Err`: status Error, `error.type`
/// ([`ErrorType`] if implemented, else the error's type name) and an `exception` event. On
/// panic: status Error and `error.type = "panic"`, and the panic continues. If the future is
/// dropped before it completes: the span ends with `llmscope.cancelled = true`.
///
/// The span (kind CLIENT) is current while the body runs: `tracing` spans and OpenTelemetry
/// spans created inside nest under it, and it nests under the caller's current span.
///
/// # Examples
///
/// ```
/// use llmscope::testing::{attribute, TestTelemetry};
///
/// #[derive(llmscope::Usage)]
/// struct Reply {
///     #[usage(input_tokens)]
///     prompt_tokens: u32,
///     #[usage(output_tokens)]
///     completion_tokens: u32,
/// }
///
/// struct Request { model: String, question: String }
///
/// #[llmscope::llm_call(provider = "openai", model = req.model, temperature = 0.2, prompt = req.question.as_str())]
/// fn ask(req: &Request) -> Reply {
///     Reply { prompt_tokens: 12, completion_tokens: 30 }
/// }
///
/// let telemetry = TestTelemetry::new();
/// {
///     let _guard = telemetry.context().attach();
///     ask(&Request { model: "gpt-4o-mini".to_owned(), question: "Why is the sky blue?".to_owned() });
/// }
/// let span = telemetry.span("chat gpt-4o-mini");
/// assert_eq!(attribute(&span, "gen_ai.usage.input_tokens"), Some(&12i64.into()));
/// assert_eq!(attribute(&span, "gen_ai.request.temperature"), Some(&0.2f64.into()));
/// ```
///
/// A type from another crate, without a newtype: name a function that reads its usage (and,
/// optionally, one that reads its output messages). A function receives the `Ok` value of a
/// `Result` return and the returned value otherwise; an `Err` records no usage.
///
/// ```
/// use llmscope::UsageData;
/// use serde_json::Value;
///
/// fn usage_of(response: &Value) -> UsageData<'_> {
///     let mut usage = UsageData::default();
///     if let Some(input) = response["usage"]["prompt_tokens"].as_u64() {
///         usage.set_input_tokens(input);
///     }
///     if let Some(output) = response["usage"]["completion_tokens"].as_u64() {
///         usage.set_output_tokens(output);
///     }
///     usage
/// }
///
/// fn answer_of(response: &Value) -> Option<&str> {
///     response["choices"][0]["message"]["content"].as_str()
/// }
///
/// #[llmscope::llm_call(provider = "openai", model = "gpt-4o", usage = usage_of, output = answer_of)]
/// fn chat(question: &str) -> Result<Value, std::io::Error> {
///     Ok(serde_json::json!({
///         "choices": [{"message": {"content": "Paris."}}],
///         "usage": {"prompt_tokens": 12, "completion_tokens": 2},
///     }))
/// }
///
/// let telemetry = llmscope::testing::TestTelemetry::new();
/// {
///     let _guard = telemetry.context().attach();
///     chat("What is the capital of France?").unwrap();
/// }
/// let span = telemetry.span("chat gpt-4o");
/// assert_eq!(llmscope::testing::attribute(&span, "gen_ai.usage.input_tokens"), Some(&12i64.into()));
/// ```
///
/// Retries: give each attempt its own span with `attempt = n`, so the cost of every attempt
/// shows; an error type implementing [`ErrorType::retryable`] says whether to try again:
///
/// ```
/// use llmscope::errors::ErrorClass;
///
/// #[llmscope::llm_call(provider = "openai", model = "gpt-4o", attempt = attempt)]
/// fn chat(attempt: i64) -> Result<(), ErrorClass> {
///     if attempt < 3 { Err(ErrorClass::RateLimit) } else { Ok(()) }
/// }
///
/// let mut attempt = 1;
/// while let Err(error) = chat(attempt) {
///     if !error.is_retryable() { break; }
///     attempt += 1; // back off here
/// }
/// assert_eq!(attempt, 3);
/// ```
///
/// # Expands to
///
/// Every span macro generates the same wrapper; what differs per kind is shown on each macro.
/// For the example above (names shortened: `__llmscope_` locals, `::llmscope::__private::`
/// paths, `::core::option::Option` in the real code), a sync function becomes:
///
/// ```text
/// fn ask(req: &Request) -> Reply {
///     static SITE: Site = Site { operation: "chat", kind: Kind::Client, capture: None, attributes: 30 };
///     let mut call = __private::start(
///         &SITE,
///         |start| {                   // the name and the sampling-relevant attributes
///             Start::literal_provider(start, Value::String("openai".into())); // a literal: shared, never copied
///             Start::model(start, __private::value::<kind::Str, _>(&(req.model)));
///         },
///         |start| {                   // the rest, only when the span records
///             // a compile-time literal: never redacted (`Start::attribute` for a run-time
///             // value, whose text is redacted when the call is processed)
///             Start::literal(start, "gen_ai.request.temperature", Value::F64(0.2));
///         },
///     );                              // None without a provider: nothing is built
///     if let Some(call) = &mut call { // content, only as the capture policy allows
///         Call::capture_input(call, &(req.question.as_str()));
///     }
///     let mut body = move || { /* the original body */ };
///     match call {
///         None => body(),
///         Some(mut call) => {
///             let guard = Call::enter(&mut call);    // the span is current in the body
///             let output = body();
///             drop(guard);
///             // the end strategy "the span ends when the body returns":
///             __private::record_usage(&mut call, &output);       // requires `Reply: Usage`
///             (&&&&Dispatch(&output)).record_outcome(&mut call);  // Err → error.type, event, status
///             Call::end(call);   // hands the record over: redaction, cost, the SDK span
///             output
///         }
///     }
/// }
/// ```
///
/// An `async fn` keeps its signature: the body becomes an `async move` block, polled with the
/// span's context current (`Call::instrument`) instead of a guard; if the future is dropped
/// first, the span ends as cancelled. A literal `model` makes the name a constant
/// (`Start::name(start, Cow::Borrowed("chat gpt-4o"))`); with an expression the runtime joins
/// `{operation} {model}`.
///
/// # Streams
///
/// A function (sync or `async`) that returns `impl Stream<Item = …>`, `Result<impl Stream, E>`
/// or a boxed stream (`Pin<Box<dyn Stream<…> + Send>>`, `BoxStream<'_, …>`, or `Result` of one)
/// gets a span that stays open while the stream is consumed. The shape is read from the
/// written return type. A type the macro cannot see through, such as a provider client's
/// alias (async-openai's `ChatCompletionResponseStream`, a
/// `Pin<Box<dyn Stream<Item = Result<…>> + Send>>`) or your own `type ChatStream = …`, is
/// declared with `returns = stream`, alone or
/// in a `Result`; it must be a boxed stream (`Pin<Box<dyn Stream<Item = …> + …>>`, `BoxStream`,
/// `LocalBoxStream`), which is checked at compile time with the error at your return type.
/// (`stream = true` is different: it only writes `gen_ai.request.stream`, for a function that
/// streams from the provider but returns the collected chunks.) The span ends exactly once:
///
/// | how the stream ends | the span |
/// |---|---|
/// | it yields `None` | usage, cost, finish reasons, content from the chunks |
/// | it yields an `Err` item | `error.type` and status Error, as a failed call |
/// | the consumer drops it early, or never polls it, or its task is dropped (runtime shutdown) | `llmscope.cancelled = true`, status Error, `gen_ai.response.finish_reasons = ["error"]` unless the provider sent one; usage and content that had arrived are kept |
/// | polling it panics | `error.type = "panic"`, status Error |
/// | the function returns `Err` before any stream | a failed call, as without streams |
///
/// Each item is read through [`Usage`] (of the `Ok` value for `Result` items; `usage = false`
/// skips it), and the chunks' counts are folded: the latest value of each count wins. That
/// is every provider's streaming rule: OpenAI's final chunk with empty `choices` (sent only with
/// `stream_options.include_usage`), Anthropic's `message_start` (input and cache counts) and
/// cumulative `message_delta` output, Gemini's cumulative `usageMetadata`. Response id and
/// model come from the first chunk that has them, finish reasons from all; the completion is
/// assembled from the `#[usage(completion)]` deltas and captured (redacted once) only as the
/// capture policy allows. A stream that ends with no count at all gets
/// `llmscope.stream.usage_missing = true` and no usage or cost attribute, and a warning once per
/// call site (naming the function; not held back by the diagnostics' per-topic rate limit, see
/// [`diagnostics`]). The span also gets `gen_ai.request.stream = true`,
/// `gen_ai.response.time_to_first_chunk` (seconds from the call's start), `llmscope.stream.chunks`
/// and `llmscope.stream.time_per_output_chunk` (mean seconds between chunks). Every key is listed
/// in [`stream::keys`].
///
/// The span's context is current only while the stream is polled: calls the stream's producer
/// makes nest under it, calls the consumer makes between polls do not. When the call does not
/// record, polling costs a branch and allocates nothing.
///
/// ```
/// use futures::stream::{self, Stream, StreamExt as _};
/// use llmscope::testing::{attribute, TestTelemetry};
///
/// #[derive(llmscope::Usage)]
/// struct Chunk {
///     #[usage(completion)] text: String,
///     #[usage(output_tokens)] output_tokens: Option<u32>,
/// }
///
/// #[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini")]
/// fn chat(prompt: &str) -> impl Stream<Item = Chunk> {
///     stream::iter([
///         Chunk { text: "Hello".into(), output_tokens: None },
///         Chunk { text: "!".into(), output_tokens: Some(2) },
///     ])
/// }
///
/// let telemetry = TestTelemetry::new();
/// {
///     let _guard = telemetry.context().attach();
///     let mut chunks = chat("hi");
///     let first = tokio::runtime::Builder::new_current_thread().build().unwrap()
///         .block_on(chunks.next());
///     assert_eq!(first.unwrap().text, "Hello");
///     assert!(telemetry.spans().is_empty()); // open while the stream is held
/// }                                           // dropped early: the span ends here
/// let span = telemetry.span("chat gpt-4o-mini");
/// assert_eq!(attribute(&span, "llmscope.cancelled"), Some(&true.into()));
/// assert_eq!(attribute(&span, "llmscope.stream.chunks"), Some(&1i64.into()));
/// ```
///
/// A stream type behind an alias:
///
/// ```
/// use std::pin::Pin;
/// use futures::stream::{self, Stream, StreamExt as _};
/// use llmscope::testing::{attribute, TestTelemetry};
///
/// #[derive(llmscope::Usage)]
/// struct Chunk {
///     #[usage(output_tokens)] output_tokens: Option<u32>,
/// }
///
/// /// As a client library declares its stream type.
/// type ChatStream = Pin<Box<dyn Stream<Item = Chunk> + Send>>;
///
/// #[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini", returns = stream)]
/// fn chat() -> ChatStream {
///     Box::pin(stream::iter([Chunk { output_tokens: Some(2) }]))
/// }
///
/// let telemetry = TestTelemetry::new();
/// {
///     let _guard = telemetry.context().attach();
///     let chunks = tokio::runtime::Builder::new_current_thread().build().unwrap()
///         .block_on(chat().count());
///     assert_eq!(chunks, 1);
/// }
/// let span = telemetry.span("chat gpt-4o-mini");
/// assert_eq!(attribute(&span, "gen_ai.usage.output_tokens"), Some(&2i64.into()));
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
/// | `cache_write_tokens` | integer or `Option` | input tokens written to the cache (all of them, the one-hour ones included) |
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
/// # Expands to
///
/// One impl in an anonymous `const` block (names shortened); each role is one statement, and
/// a field of a generic type adds its bound (`T: TokenCount`) to the `where` clause:
///
/// ```text
/// const _: () = {
///     #[automatically_derived]
///     impl ::llmscope::Usage for AnthropicUsage {
///         fn record_usage<'a>(&'a self, usage: &mut ::llmscope::UsageData<'a>) {
///             if let Some(tokens) = __private::tokens(&self.input_tokens) {
///                 UsageData::set_input_tokens(usage, tokens);
///             }
///             // … one such statement per role …
///             UsageData::set_input_excludes_cache(usage, true);
///         }
///     }
/// };
/// ```
///
/// # Errors at compile time
///
/// Enums, tuple structs, unknown roles (with a suggestion), a role given twice, a field type
/// the role cannot read, and a struct with no role at all (it would record nothing: to record
/// no usage, drop the derive and write `usage = false` on the call):
///
/// ```compile_fail
/// #[derive(llmscope::Usage)]
/// enum NotAStruct { A }
/// ```
///
/// ```compile_fail
/// #[derive(llmscope::Usage)]
/// struct Reply { text: String, tokens: u32 }
/// ```
pub use llmscope_macros::Usage;

/// Turns one stage of a retrieval-augmented pipeline into a span: embedding, retrieval,
/// reranking, prompt assembly, post-processing, or a stage of your own.
///
/// The first argument is the stage kind; the others depend on it. Values are literals or
/// expressions over the function's parameters, as in [`llm_call`]. Every stage span carries
/// `llmscope.stage` (the kind, or the custom name), so "was it retrieval or generation?" is one
/// attribute away. Errors (`Err`), panics and cancellation are recorded as by [`llm_call`].
///
/// | kind | span name, kind | arguments | recorded after the call |
/// |---|---|---|---|
/// | `embed` | `embeddings {model}`, CLIENT | `provider`, `model`, `dimensions` (`gen_ai.embeddings.dimension.count`), `server_address`, `server_port`, `feature`, `service_tier`, `usage = false` | input tokens and cost from the return value's [`Usage`](trait@Usage), as [`llm_call`] |
/// | `retrieve` | `retrieval {data_source}`, CLIENT | `data_source` (**required**, `gen_ai.data_source.id`), `top_k` (`gen_ai.request.top_k`), `similarity_threshold` (`llmscope.retrieval.similarity_threshold`), `server_address`, `server_port`, `query = expr` (content), `capture` | `gen_ai.retrieval.documents` = `[{"id": …, "score": …}]` and `llmscope.documents.count`, from the return value through [`Retrieved`] |
/// | `rerank` | `rerank {model}`, CLIENT | `provider`, `model`, `top_n` (`llmscope.rerank.top_n`), `input = expr` (the documents before reranking, any [`Retrieved`]) | `llmscope.rerank.scores.before` (from `input`), `.scores.after`, `llmscope.documents.count` |
/// | `prompt` | `prompt {template}`, INTERNAL | `template` (`gen_ai.prompt.name`), `version` (`llmscope.prompt.version`) | `llmscope.prompt.length` (characters) when it returns text |
/// | `postprocess` | `postprocess`, INTERNAL | — | — |
/// | `custom = "dedupe"` | `dedupe`, INTERNAL | — | — |
///
/// Every kind also takes `name` (span name override), `attrs(...)` and `crate`, as
/// [`llm_call`] does. `gen_ai.operation.name` is `embeddings` or `retrieval`; semconv v1.41.0
/// registers no operation for the other kinds, so their spans carry
/// `llmscope.operation.name` instead (`rerank`, `prompt`, `postprocess` or the custom name) and
/// no `gen_ai.operation.name`.
///
/// **Content follows the capture policy** (nothing by default): the retrieval query
/// (`query = …`, any [`capture::Content`] such as `&str`) is written as
/// `gen_ai.retrieval.query.text` only as the policy, or the stage's `capture = …`, allows.
/// Document contents ([`Document::content`]) and the assembled prompt are not recorded
/// (capture the prompt where it is sent, with `#[llm_call(prompt = …)]`).
///
/// ```
/// use std::borrow::Cow;
/// use llmscope::testing::{attribute, TestTelemetry};
///
/// struct Chunk { id: &'static str, score: f64 }
/// impl llmscope::Document for Chunk {
///     fn id(&self) -> Cow<'_, str> { Cow::Borrowed(self.id) }
///     fn score(&self) -> Option<f64> { Some(self.score) }
/// }
///
/// #[llmscope::rag_stage(retrieve, data_source = "kb-prod", top_k = 2, query = question)]
/// fn search(question: &str) -> Vec<Chunk> {
///     vec![Chunk { id: "doc-7", score: 0.91 }, Chunk { id: "doc-2", score: 0.78 }]
/// }
///
/// let telemetry = TestTelemetry::new();
/// {
///     let _guard = telemetry.context().attach();
///     search("What is our refund policy?");
/// }
/// let span = telemetry.span("retrieval kb-prod");
/// assert_eq!(
///     attribute(&span, "gen_ai.retrieval.documents").map(|v| v.to_string()).as_deref(),
///     Some(r#"[{"id":"doc-7","score":0.91},{"id":"doc-2","score":0.78}]"#)
/// );
/// ```
///
/// # Expands to
///
/// The wrapper of [`llm_call`] (see its "Expands to"), with the stage's own parts. For the
/// retrieval above:
///
/// ```text
/// static SITE: Site = Site { operation: "retrieval", kind: Kind::Client, capture: None, attributes: 9 };
/// let mut call = __private::start(
///     &SITE,
///     |start| Start::name(start, Cow::Borrowed("retrieval kb-prod")),
///     |start| {
///         Start::literal(start, keys::LLMSCOPE_STAGE, Value::String("retrieve".into()));
///         Start::literal(start, "gen_ai.data_source.id", Value::String("kb-prod".into()));
///         Start::literal(start, "gen_ai.request.top_k", Value::F64(2.0));
///     },
/// );
/// if let Some(call) = &mut call {   // `query`: content, as the capture policy allows
///     (&&Dispatch(&(question))).capture_content(call, Slot::RetrievalQuery);
/// }
/// // … the body runs as in `llm_call`; when it returns:
/// __private::record_documents(&mut call, &output);   // requires `Vec<Chunk>: Retrieved`
/// (&&&&Dispatch(&output)).record_outcome(&mut call);
/// Call::end(call);
/// ```
///
/// The other kinds differ only in these parts: `embed` reads [`Usage`](trait@Usage) from the
/// return value (`__private::record_usage`, as [`llm_call`]); `rerank` records the scores of
/// `input` before the body (`__private::record_rerank_input`) and of the result after
/// (`__private::record_rerank_output`); `prompt` records the length of a text result
/// (`Dispatch(&output).record_prompt_length`); `postprocess` and custom stages record only
/// `llmscope.stage`, errors and the duration.
///
/// An unknown kind is a compile error with a suggestion (`unknown stage kind `retreive`; did
/// you mean `retrieve`?`), and so is a retrieval without its data source:
///
/// ```compile_fail
/// #[llmscope::rag_stage(retreive, data_source = "kb")]
/// fn search() -> Vec<(String, f64)> { Vec::new() }
/// ```
pub use llmscope_macros::rag_stage;

/// Turns an agent run, or one step of it, into a span; the agent span totals what happens
/// under it.
///
/// **The first argument decides which**: `agent = "…"` first makes an agent root;
/// `step` first, a step argument first (`decision = …`) or no argument at all makes a step.
/// An agent argument anywhere else is an error that says so.
///
/// # An agent: `#[agent_step(agent = "name", provider = "…", ...)]`
///
/// Span `invoke_agent {agent}`, kind INTERNAL, `gen_ai.operation.name = "invoke_agent"`.
/// `provider` is required: semconv v1.41.0 requires `gen_ai.provider.name` on `invoke_agent`
/// spans (name the provider the agent's model calls go to; an agent whose calls go to several
/// names the main one).
///
/// | argument | type | writes |
/// |---|---|---|
/// | `agent` | string (**required, first**) | `gen_ai.agent.name`, the span name's second word |
/// | `provider` | string (**required**: semconv requires it on `invoke_agent`) | `gen_ai.provider.name` |
/// | `id`, `description`, `version` | string | `gen_ai.agent.id`, `.description`, `.version` |
/// | `conversation_id` | string | `gen_ai.conversation.id` |
/// | `tools` | string array | `llmscope.agent.tools`: the tools it may call |
/// | `max_steps` | integer | `llmscope.agent.max_steps`; decides the `step_limit` outcome |
/// | `name`, `attrs(...)`, `crate` | | as [`llm_call`] |
///
/// When the agent returns, its span gets `llmscope.agent.steps`, `.tool_calls`, `.llm_calls`,
/// `.usage.input_tokens`, `.usage.output_tokens`, `.cost.amount` (USD, the sum of the calls'
/// `llmscope.cost.total`, priced calls only;
/// `.unpriced_llm_calls` counts the others) and `llmscope.agent.outcome`: `error` if it returned
/// `Err`, else `completed` if a step decided `final_answer`, else `step_limit` if it took
/// `max_steps` steps, else `completed`. The span's duration is the run's latency.
///
/// The totals come from an accumulator the agent span carries in the OpenTelemetry context:
/// every recorded [`llm_call`] adds its tokens and cost to it, at any depth, in `join!`ed
/// branches and in spawned tasks that carry the context
/// (`tokio::spawn(fut.with_context(Context::current()))`). **Token and cost totals include
/// sub-agents** (a delegated agent's calls count in its own span and in every enclosing
/// agent's); steps and tool calls count only the agent's own. The totals are `llmscope.agent.*`
/// rather than `gen_ai.usage.*` so that backends summing usage per span do not count a call twice.
/// [`agent::current_totals`] reads them from inside the run.
///
/// # A step: `#[agent_step(step)]` (or bare `#[agent_step]`)
///
/// Span `agent_step`, kind INTERNAL, `llmscope.operation.name = "agent_step"` (semconv v1.41.0
/// registers no operation for a step, so the span carries no `gen_ai.operation.name`), with
/// `llmscope.agent.step.index` (1-based, counted by the
/// nearest agent) and `llmscope.agent.step.decision` (`call_tool`, `delegate` or
/// `final_answer`): read from the return value when it implements [`Decided`] (e.g. returns a
/// [`Decision`], `Result<Decision, E>`), else from a literal `decision = "…"` argument.
///
/// ```
/// use llmscope::testing::{attribute, TestTelemetry};
/// use llmscope::Decision;
///
/// #[llmscope::agent_step(step)]
/// fn think(round: u32) -> Decision {
///     if round < 2 { Decision::CallTool } else { Decision::FinalAnswer }
/// }
///
/// #[llmscope::agent_step(agent = "helper", provider = "openai", max_steps = 5)]
/// fn run() -> Result<(), String> {
///     let mut round = 0;
///     while think(round) != Decision::FinalAnswer { round += 1; }
///     Ok(())
/// }
///
/// let telemetry = TestTelemetry::new();
/// {
///     let _guard = telemetry.context().attach();
///     run().unwrap();
/// }
/// let agent = telemetry.span("invoke_agent helper");
/// assert_eq!(attribute(&agent, "llmscope.agent.steps"), Some(&3i64.into()));
/// assert_eq!(attribute(&agent, "llmscope.agent.outcome"), Some(&"completed".into()));
/// ```
///
/// # Expands to
///
/// The wrapper of [`llm_call`] (see its "Expands to"), with these parts. An agent root runs
/// its body inside the agent's accumulator instead of the plain span context:
///
/// ```text
/// let max_steps = match &call { Some(_) => Some(Value::I64(5)), None => None };
/// match call {
///     None => body(),
///     Some(mut call) => {
///         let agent = Agent::begin(&call, max_steps);
///         let guard = Agent::enter(&agent);          // async: Agent::instrument(&agent, body)
///         let output = body();
///         drop(guard);
///         let failed = (&Dispatch(&output)).failed();
///         Agent::finish(agent, &mut call, failed);   // the totals and the outcome
///         (&&&&Dispatch(&output)).record_outcome(&mut call);
///         Call::end(call);
///         output
///     }
/// }
/// ```
///
/// A step counts itself in the nearest agent before the body (`__private::begin_step(call)`)
/// and, when it returns, records the decision read from the value or declared:
/// `__private::finish_step(&mut call, (&Dispatch(&output)).read_decision(), Some("final_answer"))`.
///
/// # Errors at compile time
///
/// A misspelled argument gets a suggestion in the right mode (`unknown `agent_step` argument
/// `agnet`; did you mean `agent`?`), and an agent root without its provider is an error:
///
/// ```compile_fail
/// #[llmscope::agent_step(step, decision = "final_anwser")]
/// fn answer() {}
/// ```
///
/// An agent without `provider` does not compile:
///
/// ```compile_fail
/// #[llmscope::agent_step(agent = "helper", max_steps = 5)]
/// fn run() {}
/// ```
pub use llmscope_macros::agent_step;

/// Turns a tool implementation into an `execute_tool {name}` span (kind INTERNAL,
/// `gen_ai.operation.name = "execute_tool"`).
///
/// | argument | type | writes |
/// |---|---|---|
/// | `name` | string (**required**) | `gen_ai.tool.name`, the span name's second word |
/// | `call_id` | string | `gen_ai.tool.call.id` (usually the id the model gave the call) |
/// | `type` | string | `gen_ai.tool.type` (`function`, `extension`, `datastore`) |
/// | `description` | string | `gen_ai.tool.description` |
/// | `arguments = expr` | [`capture::Content`] | `gen_ai.tool.call.arguments`, only as the capture policy allows |
/// | `capture` | `none` \| `hash` \| `redacted` \| `full` | this tool's capture mode, else the policy's |
/// | `attrs(...)`, `crate` | | as [`llm_call`] |
///
/// The result is content too: `gen_ai.tool.call.result` when it (or its `Ok` value) implements
/// `Content` and the policy allows; other types are never captured. An `Err` result records `error.type`, an
/// `exception` event and status Error, as [`llm_call`] does. The call counts in the nearest
/// agent's `llmscope.agent.tool_calls`.
///
/// ```
/// #[llmscope::tool(name = "web_search", call_id = call_id, type = "function", arguments = query)]
/// async fn web_search(call_id: &str, query: &str) -> Result<Vec<String>, std::io::Error> {
///     Ok(vec![format!("https://example.org/?q={query}")])
/// }
/// ```
///
/// # Expands to
///
/// The wrapper of [`llm_call`] (see its "Expands to"), with these parts:
///
/// ```text
/// static SITE: Site = Site { operation: "execute_tool", kind: Kind::Internal, capture: None, attributes: 7 };
/// let mut call = __private::start(
///     &SITE,
///     |start| Start::name(start, Cow::Borrowed("execute_tool web_search")),
///     |start| { /* gen_ai.tool.name, .call.id, .type, .description */ },
/// );
/// if let Some(call) = &mut call {
///     (&&Dispatch(&(query))).capture_content(call, Slot::ToolArguments);
///     __private::begin_tool(call);                 // counts in the nearest agent
/// }
/// // … the body runs as in `llm_call`; when it returns:
/// (&&Dispatch(&output)).capture_content(&mut call, Slot::ToolResult);
/// (&&&&Dispatch(&output)).record_outcome(&mut call);
/// Call::end(call);
/// ```
///
/// ```compile_fail
/// #[llmscope::tool(call_id = "1")]
/// fn nameless() {}
/// ```
pub use llmscope_macros::tool;

pub use llmscope_runtime::{
    agent, keys, AgentOutcome, AgentTotals, Decided, Decision, Document, Retrieved,
};

pub use llmscope_runtime::capture::{
    capture_policy, set_capture_policy, CaptureMode, CapturePolicy, Message, Sensitive,
};
pub use llmscope_runtime::{
    capture, diagnostics, dropped_spans, export, flush_processing, init, install, is_installed,
    opentelemetry, opentelemetry_sdk, price_registry, pricing, redact, sampling, scoped, semconv,
    set_price_registry, setup, stream, unknown_models, AlreadySet, ErrorType, ExportError,
    ExportReport, SampledProvider, Sampler, SetupError, SpanDestination, Telemetry,
    ToolCallFragment, Usage, UsageData, INSTRUMENTATION_NAME,
};

/// The error taxonomy: `error.type` classes, the retryable flag, and a classifier for apps
/// with their own error types.
pub use llmscope_runtime::errors;

/// Wire types for the OpenAI, Anthropic and Gemini HTTP APIs (feature `providers`).
#[cfg(feature = "providers")]
#[cfg_attr(docsrs, doc(cfg(feature = "providers")))]
pub use llmscope_runtime::providers;

/// W3C `traceparent`/`baggage` across HTTP hops (feature `http`; the tower layer: `tower`).
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub use llmscope_runtime::propagation;

/// A test harness that records spans in memory (feature `testing`, for `[dev-dependencies]`).
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub use llmscope_runtime::testing;

#[doc(hidden)]
pub use llmscope_runtime::__private;
