//! [`TelemetryBuilder`]: values set in code over the `OTEL_*` variables.

use std::path::PathBuf;
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry_sdk::trace::SdkTracerProvider;

use super::config::{Config, OtlpConfig};
use super::env::{check_headers, check_url, parse_bool, parse_pairs, parse_sampler, Env};
use super::error::{invalid, SetupError};
use super::guard::Telemetry;
use super::{Protocol, DEFAULT_JSONL_PATH};
use crate::capture::CapturePolicy;
use crate::diagnostics;
use crate::export::SemconvOptions;
use crate::sampling::Sampler;

/// Sets up telemetry from the process environment and installs it for the process: the
/// same as `Telemetry::builder().init()`.
///
/// Reads `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_EXPORTER_OTLP_ENDPOINT`,
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `OTEL_EXPORTER_OTLP_PROTOCOL`,
/// `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_TIMEOUT`, `OTEL_TRACES_SAMPLER`,
/// `OTEL_TRACES_SAMPLER_ARG`, `OTEL_SDK_DISABLED`, `OTEL_SEMCONV_STABILITY_OPT_IN`,
/// `OTEL_BSP_MAX_QUEUE_SIZE`, `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, `OTEL_BSP_SCHEDULE_DELAY`,
/// `OTEL_BSP_EXPORT_TIMEOUT` (llmscope's one bound on shutdown), `OTEL_LOG_LEVEL`,
/// `LLMSCOPE_DIAGNOSTICS` (see [`crate::diagnostics`]) and the content capture variables
/// (`OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`, `LLMSCOPE_CAPTURE_MODE`,
/// `LLMSCOPE_CAPTURE_MAX_BYTES`, `LLMSCOPE_HASH_KEY`; see [`crate::capture`]), whose policy it
/// installs unless one was set before. With no OTLP endpoint or protocol set,
/// spans go to the embedded default: a tree on stdout and the JSONL file
/// [`DEFAULT_JSONL_PATH`] (in the temporary directory, with a warning, when the working
/// directory is not writable). The price table is loaded here, not on the first priced call.
///
/// Keep the returned guard alive for the life of the program: dropping it flushes and shuts
/// the providers down within the shutdown bound (default 5 s).
///
/// # Errors
///
/// [`SetupError`]: an invalid variable (named with its value), a protocol whose feature is
/// not compiled in, an exporter that cannot be built, or a provider already installed.
///
/// # Examples
///
/// ```no_run
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let _telemetry = llmscope::init()?;
///     // ... annotated calls ...
///     Ok(())
/// }
/// ```
pub fn init() -> Result<Telemetry, SetupError> {
    Telemetry::builder().init()
}

/// Configures telemetry; [`init`](Self::init) installs it for the process,
/// [`build`](Self::build) only builds it (tests use it with `llmscope::scoped`).
#[derive(Debug, Default)]
#[must_use = "call `init()` or `build()`"]
pub struct TelemetryBuilder {
    env: Env,
    service_name: Option<String>,
    resource: Vec<KeyValue>,
    endpoint: Option<String>,
    traces_endpoint: Option<String>,
    protocol: Option<Protocol>,
    headers: Vec<(String, String)>,
    timeout: Option<Duration>,
    sampler: Option<Sampler>,
    disabled: Option<bool>,
    terminal: Option<bool>,
    jsonl_path: Option<Option<PathBuf>>,
    semconv: Option<SemconvOptions>,
    queue_capacity: Option<usize>,
    max_batch: Option<usize>,
    scheduled_delay: Option<Duration>,
    shutdown_timeout: Option<Duration>,
    tracing_layer: bool,
    span_processors: Vec<Box<dyn opentelemetry_sdk::trace::SpanProcessor>>,
}

impl TelemetryBuilder {
    /// Reads configuration from these variables instead of the process environment (tests).
    pub fn with_env<K: Into<String>, V: Into<String>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.env = Env(Some(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        ));
        self
    }

    /// `service.name` (overrides `OTEL_SERVICE_NAME`).
    pub fn with_service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// Adds a resource attribute (added to, and overriding, `OTEL_RESOURCE_ATTRIBUTES`).
    pub fn with_resource_attribute(mut self, attribute: KeyValue) -> Self {
        self.resource.push(attribute);
        self
    }

    /// The OTLP base endpoint, as `OTEL_EXPORTER_OTLP_ENDPOINT` means it (overrides that
    /// variable): over `http/protobuf` the signal path is appended (`http://127.0.0.1:6006`
    /// sends spans to `http://127.0.0.1:6006/v1/traces`); over gRPC it is used as given. The
    /// same value set here or in the variable behaves the same.
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// The full URL spans are sent to, as `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` means it
    /// (overrides that variable; used as given, e.g. `http://127.0.0.1:6006/v1/traces`). It
    /// wins over [`with_endpoint`](Self::with_endpoint) for spans.
    pub fn with_traces_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.traces_endpoint = Some(endpoint.into());
        self
    }

    /// The OTLP protocol (overrides `OTEL_EXPORTER_OTLP_PROTOCOL`); setting one without an
    /// endpoint uses the protocol's default endpoint on localhost.
    pub fn with_protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = Some(protocol);
        self
    }

    /// Adds a header to every OTLP request (added to `OTEL_EXPORTER_OTLP_HEADERS`).
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The OTLP export timeout (overrides `OTEL_EXPORTER_OTLP_TIMEOUT`; default 10 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The sampler (overrides `OTEL_TRACES_SAMPLER`/`_ARG`; default parent-based always-on):
    /// an llmscope [`Sampler`], or an SDK sampler (`AlwaysOn`, `AlwaysOff` and
    /// `TraceIdRatioBased` are decided by llmscope before a call builds anything; others by
    /// the SDK, see [`crate::sampling`]).
    pub fn with_sampler(mut self, sampler: impl Into<Sampler>) -> Self {
        self.sampler = Some(sampler.into());
        self
    }

    /// Turns telemetry off (`true`) or on (overrides `OTEL_SDK_DISABLED`).
    pub fn with_disabled(mut self, disabled: bool) -> Self {
        self.disabled = Some(disabled);
        self
    }

    /// Whether the embedded default prints trees on stdout (default `true`).
    pub fn with_terminal(mut self, terminal: bool) -> Self {
        self.terminal = Some(terminal);
        self
    }

    /// Where the embedded default writes its JSONL file; `None` writes none (default
    /// [`DEFAULT_JSONL_PATH`] in the working directory).
    pub fn with_jsonl_path(mut self, path: Option<PathBuf>) -> Self {
        self.jsonl_path = Some(path);
        self
    }

    /// Extra attribute sets to emit (overrides `OTEL_SEMCONV_STABILITY_OPT_IN`).
    pub fn with_semconv(mut self, options: SemconvOptions) -> Self {
        self.semconv = Some(options);
        self
    }

    /// The export queue capacity (overrides `OTEL_BSP_MAX_QUEUE_SIZE`; default 32,768):
    /// spans waiting or being exported, at most; more are dropped and counted. It bounds the
    /// memory export holds: about the capacity times the size of one span (see
    /// `BENCHMARKS.md` for real `#[llm_call]` spans).
    pub fn with_queue_capacity(mut self, capacity: usize) -> Self {
        self.queue_capacity = Some(capacity);
        self
    }

    /// The most spans per export call (overrides `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`; default 512).
    pub fn with_max_batch(mut self, max_batch: usize) -> Self {
        self.max_batch = Some(max_batch);
        self
    }

    /// The one bound on shutdown (overrides `OTEL_BSP_EXPORT_TIMEOUT`; default 5 s): dropping
    /// the guard, or [`Telemetry::shutdown`], returns within it. Spans still queued then
    /// are given up on, counted and reported, and their memory freed.
    pub fn with_shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = Some(timeout);
        self
    }

    /// The longest a span waits in the queue when traffic is low (overrides
    /// `OTEL_BSP_SCHEDULE_DELAY`; default 1 s).
    pub fn with_scheduled_delay(mut self, delay: Duration) -> Self {
        self.scheduled_delay = Some(delay);
        self
    }

    /// With `true`, [`init`](Self::init) also installs a global `tracing` subscriber: a
    /// registry with the tracing-opentelemetry layer on llmscope's provider, so `tracing`
    /// spans and llmscope's spans form one trace (feature `tracing-layer`). Apps that build
    /// their own subscriber use [`Telemetry::tracing_layer`] instead.
    pub fn with_tracing_layer(mut self, install: bool) -> Self {
        self.tracing_layer = install;
        self
    }

    /// Adds a span processor of the application's after llmscope's export processor (for
    /// example one that enriches or inspects spans).
    ///
    /// It sees every span of the provider, and llmscope's only once processed: the capture
    /// policy applied, the application's attribute values redacted, the cost computed. Its
    /// `on_start` and `on_end` run on llmscope's processing thread for the annotated calls
    /// ([`SampledProvider::deferred`](crate::SampledProvider::deferred)), not on the caller's.
    ///
    /// # Examples
    ///
    /// ```
    /// use llmscope::opentelemetry_sdk::trace::{InMemorySpanExporter, SimpleSpanProcessor};
    ///
    /// let exporter = InMemorySpanExporter::default();
    /// let guard = llmscope::Telemetry::builder()
    ///     .with_disabled(false)
    ///     .with_terminal(false)
    ///     .with_jsonl_path(None)
    ///     .with_span_processor(SimpleSpanProcessor::new(exporter.clone()))
    ///     .build()
    ///     .unwrap();
    /// # drop(guard);
    /// ```
    pub fn with_span_processor(
        mut self,
        processor: impl opentelemetry_sdk::trace::SpanProcessor + 'static,
    ) -> Self {
        self.span_processors.push(Box::new(processor));
        self
    }

    /// Resolves the configuration (builder values over variables) without building anything.
    ///
    /// # Errors
    ///
    /// [`SetupError::InvalidValue`] naming the first invalid variable and its value.
    pub fn config(&self) -> Result<Config, SetupError> {
        let env = &self.env;
        let disabled = match self.disabled {
            Some(disabled) => disabled,
            None => match env.var("OTEL_SDK_DISABLED")? {
                None => false,
                Some(v) => parse_bool("OTEL_SDK_DISABLED", &v)?,
            },
        };
        let log_level = match env.var(diagnostics::LEVEL_VAR)? {
            None => None,
            Some(v) => Some(diagnostics::parse_level_value(&v).ok_or_else(|| {
                invalid(
                    diagnostics::LEVEL_VAR,
                    &v,
                    "`error`, `warn`, `info`, `debug` or `none`",
                )
            })?),
        };
        let diagnostics_sink = match env.var(diagnostics::SINK_VAR)? {
            None => None,
            Some(v) => Some(diagnostics::parse_sink(&v).ok_or_else(|| {
                invalid(
                    diagnostics::SINK_VAR,
                    &v,
                    "`auto`, `stderr`, `tracing` or `off`",
                )
            })?),
        };
        let service_name = match &self.service_name {
            Some(name) => name.clone(),
            None => env
                .var("OTEL_SERVICE_NAME")?
                .unwrap_or_else(|| "unknown_service".to_owned()),
        };
        let mut resource = match env.var("OTEL_RESOURCE_ATTRIBUTES")? {
            Some(v) => parse_pairs("OTEL_RESOURCE_ATTRIBUTES", &v)?
                .into_iter()
                .map(|(k, v)| KeyValue::new(k, v))
                .collect(),
            None => Vec::new(),
        };
        resource.extend(self.resource.iter().cloned());

        let protocol = match self.protocol {
            Some(p) => Some(p),
            None => match env.var("OTEL_EXPORTER_OTLP_PROTOCOL")? {
                None => None,
                Some(v) => Some(match v.trim() {
                    "grpc" => Protocol::Grpc,
                    "http/protobuf" => Protocol::HttpProtobuf,
                    _ => {
                        return Err(invalid(
                            "OTEL_EXPORTER_OTLP_PROTOCOL",
                            &v,
                            "`grpc` or `http/protobuf`",
                        ))
                    }
                }),
            },
        };
        // A builder value stands for its variable: same checks, same meaning.
        let traces_endpoint = match &self.traces_endpoint {
            Some(e) => Some(e.clone()),
            None => env.var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")?,
        };
        let base_endpoint = match &self.endpoint {
            Some(e) => Some(e.clone()),
            None => env.var("OTEL_EXPORTER_OTLP_ENDPOINT")?,
        };
        if let Some(v) = &traces_endpoint {
            check_url("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", v)?;
        }
        if let Some(v) = &base_endpoint {
            check_url("OTEL_EXPORTER_OTLP_ENDPOINT", v)?;
        }
        let otlp = if traces_endpoint.is_some() || base_endpoint.is_some() || protocol.is_some() {
            let protocol = protocol.unwrap_or(Protocol::HttpProtobuf);
            let signal_url = |base: &str, signal: &str| match protocol {
                Protocol::Grpc => base.to_owned(),
                Protocol::HttpProtobuf => format!("{}/v1/{signal}", base.trim_end_matches('/')),
            };
            let endpoint = match (&traces_endpoint, &base_endpoint) {
                (Some(e), _) => e.clone(),
                (None, Some(base)) => signal_url(base, "traces"),
                (None, None) => match protocol {
                    Protocol::Grpc => "http://localhost:4317".to_owned(),
                    Protocol::HttpProtobuf => "http://localhost:4318/v1/traces".to_owned(),
                },
            };
            let mut headers = match env.var("OTEL_EXPORTER_OTLP_HEADERS")? {
                Some(v) => parse_pairs("OTEL_EXPORTER_OTLP_HEADERS", &v)?,
                None => Vec::new(),
            };
            headers.extend(self.headers.iter().cloned());
            check_headers("OTEL_EXPORTER_OTLP_HEADERS", &headers)?;
            let timeout = match self.timeout {
                Some(t) if t.is_zero() => {
                    return Err(invalid(
                        "OTEL_EXPORTER_OTLP_TIMEOUT",
                        "0",
                        "a timeout greater than 0",
                    ))
                }
                Some(t) => t,
                None => env
                    .millis("OTEL_EXPORTER_OTLP_TIMEOUT")?
                    .unwrap_or(Duration::from_secs(10)),
            };
            let metrics_endpoint = match protocol {
                Protocol::Grpc => Some(endpoint.clone()),
                Protocol::HttpProtobuf => match endpoint.strip_suffix("/v1/traces") {
                    Some(base) => Some(format!("{base}/v1/metrics")),
                    None => base_endpoint.as_deref().map(|b| signal_url(b, "metrics")),
                },
            };
            Some(OtlpConfig {
                protocol,
                endpoint,
                metrics_endpoint,
                headers,
                timeout,
            })
        } else {
            None
        };

        let sampler = match &self.sampler {
            Some(s) => s.clone(),
            None => parse_sampler(
                env.var("OTEL_TRACES_SAMPLER")?,
                env.var("OTEL_TRACES_SAMPLER_ARG")?,
            )?,
        };
        // The content capture policy, hash key included, from the same variables: an invalid
        // one fails setup here instead of being found at the first captured call.
        let capture = match &env.0 {
            Some(env) => CapturePolicy::from_lookup(|name| env.get(name).cloned()),
            None => CapturePolicy::from_env(),
        }
        .map_err(SetupError::Capture)?;
        let semconv = match self.semconv {
            Some(s) => s,
            None => match env.var("OTEL_SEMCONV_STABILITY_OPT_IN")? {
                Some(v) => SemconvOptions::from_opt_in(&v),
                None => SemconvOptions::default(),
            },
        };
        let queue_capacity = match self.queue_capacity {
            Some(n) => n,
            None => env.count("OTEL_BSP_MAX_QUEUE_SIZE")?.unwrap_or(32_768),
        };
        let max_batch = match self.max_batch {
            Some(n) => n,
            None => env.count("OTEL_BSP_MAX_EXPORT_BATCH_SIZE")?.unwrap_or(512),
        };
        let scheduled_delay = match self.scheduled_delay {
            Some(d) => d,
            None => env
                .millis("OTEL_BSP_SCHEDULE_DELAY")?
                .unwrap_or(Duration::from_secs(1)),
        };
        let shutdown_timeout = match self.shutdown_timeout {
            Some(d) => d,
            None => env
                .millis("OTEL_BSP_EXPORT_TIMEOUT")?
                .unwrap_or(Duration::from_secs(5)),
        };
        Ok(Config {
            disabled,
            service_name,
            resource,
            otlp,
            sampler,
            semconv,
            terminal: self.terminal.unwrap_or(true),
            jsonl_path: match &self.jsonl_path {
                Some(path) => path.clone(),
                None => Some(PathBuf::from(DEFAULT_JSONL_PATH)),
            },
            jsonl_path_is_default: self.jsonl_path.is_none(),
            queue_capacity,
            max_batch,
            scheduled_delay,
            shutdown_timeout,
            log_level,
            diagnostics_sink,
            capture,
        })
    }

    /// Builds the providers without installing them anywhere.
    ///
    /// # Errors
    ///
    /// See [`init`].
    pub fn build(self) -> Result<Telemetry, SetupError> {
        self.build_with_capture().map(|(guard, _)| guard)
    }

    fn build_with_capture(self) -> Result<(Telemetry, CapturePolicy), SetupError> {
        let config = self.config()?;
        let capture = config.capture.clone();
        let tracing_layer = self.tracing_layer;
        let mut guard = config.build_with_processors(self.span_processors)?;
        guard.install_tracing_layer = tracing_layer;
        Ok((guard, capture))
    }

    /// Builds the providers and installs them for the process: llmscope's spans
    /// (`llmscope::install`), the `opentelemetry` global tracer and meter providers, and,
    /// if asked, the tracing-opentelemetry layer.
    ///
    /// # Errors
    ///
    /// See [`init`].
    pub fn init(self) -> Result<Telemetry, SetupError> {
        let (guard, capture) = self.build_with_capture()?;
        let Some(provider) = &guard.tracer_provider else {
            return Ok(guard);
        };
        // Deferred (see `SampledProvider::deferred`): the caller records, llmscope's processing
        // thread redacts, prices and hands the span to the provider (`flush` and `shutdown`
        // wait for it).
        crate::install(provider).map_err(SetupError::AlreadyInstalled)?;
        // A policy the application set before `init` stays.
        let _ = crate::capture::set_capture_policy(capture);
        opentelemetry::global::set_tracer_provider(provider.provider().clone());
        if let Some(meter_provider) = &guard.meter_provider {
            opentelemetry::global::set_meter_provider(meter_provider.clone());
        }
        if guard.install_tracing_layer {
            install_tracing_layer(provider)?;
            diagnostics::own_subscriber_installed();
        }
        Ok(guard)
    }
}

#[cfg(feature = "tracing-layer")]
fn install_tracing_layer(provider: &SdkTracerProvider) -> Result<(), SetupError> {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(crate::install::tracer_for(provider)))
        .try_init()
        .map_err(|e| SetupError::TracingSubscriber(e.to_string()))
}

#[cfg(not(feature = "tracing-layer"))]
fn install_tracing_layer(_provider: &SdkTracerProvider) -> Result<(), SetupError> {
    Err(SetupError::TracingSubscriber(
        "llmscope was built without the `tracing-layer` feature".to_owned(),
    ))
}
