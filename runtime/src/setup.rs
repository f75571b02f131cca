//! One-line setup: a tracer provider and a meter provider from the standard `OTEL_*`
//! environment variables, with the embedded terminal + JSONL default when none is set.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::KeyValue;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
use opentelemetry_sdk::Resource;

use crate::capture::{CaptureError, CapturePolicy};
use crate::export::{
    dropped_spans, BatchProcessor, ExportStats, JsonlError, JsonlExporter, SemconvExporter,
    SemconvOptions, TerminalExporter,
};
use crate::install::InstallError;
use crate::sampling::Sampler;

/// Where the embedded default writes its JSONL file unless told otherwise.
pub const DEFAULT_JSONL_PATH: &str = "llmscope-traces.jsonl";

/// The OTLP transport, as `OTEL_EXPORTER_OTLP_PROTOCOL` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Protocol {
    /// `grpc` (feature `otlp-grpc`); default endpoint `http://localhost:4317`.
    Grpc,
    /// `http/protobuf` (feature `otlp-http`); default endpoint `http://localhost:4318`.
    HttpProtobuf,
}

impl Protocol {
    /// The value `OTEL_EXPORTER_OTLP_PROTOCOL` uses for this protocol.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Grpc => "grpc",
            Protocol::HttpProtobuf => "http/protobuf",
        }
    }
}

/// Why [`init`] or [`TelemetryBuilder`] could not set up telemetry.
#[derive(Debug)]
#[non_exhaustive]
pub enum SetupError {
    /// An environment variable (or the builder value standing for it) has an invalid value.
    InvalidValue {
        /// The variable, e.g. `OTEL_TRACES_SAMPLER`.
        var: &'static str,
        /// The value found.
        value: String,
        /// What is accepted.
        expected: &'static str,
    },
    /// The configuration asks for an OTLP protocol whose cargo feature is not enabled.
    FeatureDisabled {
        /// The protocol asked for.
        protocol: Protocol,
        /// The cargo feature of `llmscope` that provides it.
        feature: &'static str,
    },
    /// The OTLP exporter could not be built.
    Exporter(String),
    /// The JSONL file of the embedded default could not be opened.
    Jsonl(JsonlError),
    /// A provider was already installed in this process (`llmscope::install` or `init`).
    AlreadyInstalled(InstallError),
    /// `with_tracing_layer(true)` but a global `tracing` subscriber is already set.
    TracingSubscriber(String),
    /// A content capture variable is invalid, e.g. `LLMSCOPE_HASH_KEY` is not a usable key
    /// (the error names the variable).
    Capture(CaptureError),
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetupError::InvalidValue {
                var,
                value,
                expected,
            } => write!(f, "invalid value {value:?} for {var}: expected {expected}"),
            SetupError::FeatureDisabled { protocol, feature } => write!(
                f,
                "OTLP protocol {:?} requested but llmscope was built without the `{feature}` feature",
                protocol.as_str()
            ),
            SetupError::Exporter(error) => write!(f, "cannot build the OTLP exporter: {error}"),
            SetupError::Jsonl(error) => write!(f, "cannot open the JSONL trace file: {error}"),
            SetupError::AlreadyInstalled(error) => write!(f, "{error}"),
            SetupError::TracingSubscriber(error) => {
                write!(f, "cannot install the tracing-opentelemetry layer: {error}")
            }
            SetupError::Capture(error) => write!(f, "invalid content capture setting: {error}"),
        }
    }
}

impl std::error::Error for SetupError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SetupError::Jsonl(error) => Some(error),
            SetupError::AlreadyInstalled(error) => Some(error),
            SetupError::Capture(error) => Some(error),
            _ => None,
        }
    }
}

fn invalid(var: &'static str, value: &str, expected: &'static str) -> SetupError {
    SetupError::InvalidValue {
        var,
        value: value.to_owned(),
        expected,
    }
}

/// Sets up telemetry from the process environment and installs it for the process: the
/// same as `Telemetry::builder().init()`.
///
/// Reads `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_EXPORTER_OTLP_ENDPOINT`,
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `OTEL_EXPORTER_OTLP_PROTOCOL`,
/// `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_TIMEOUT`, `OTEL_TRACES_SAMPLER`,
/// `OTEL_TRACES_SAMPLER_ARG`, `OTEL_SDK_DISABLED`, `OTEL_SEMCONV_STABILITY_OPT_IN` and the
/// content capture variables (`OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`,
/// `LLMSCOPE_CAPTURE_MODE`, `LLMSCOPE_CAPTURE_MAX_BYTES`, `LLMSCOPE_HASH_KEY`; see
/// [`crate::capture`]), whose policy it installs unless one was set before. With
/// no OTLP endpoint or protocol set, spans go to the embedded default: a tree on stdout and
/// the JSONL file [`DEFAULT_JSONL_PATH`].
///
/// Keep the returned guard alive for the life of the program: dropping it flushes and shuts
/// the providers down.
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
///     let _telemetry = llmscope_runtime::init()?;
///     // ... annotated calls ...
///     Ok(())
/// }
/// ```
pub fn init() -> Result<TelemetryGuard, SetupError> {
    Telemetry::builder().init()
}

/// Entry point of the setup builder: [`Telemetry::builder`].
#[derive(Debug)]
pub struct Telemetry {
    _private: (),
}

impl Telemetry {
    /// A builder reading the process environment; every `with_*` value overrides the
    /// corresponding variable.
    pub fn builder() -> TelemetryBuilder {
        TelemetryBuilder::default()
    }
}

/// Configures telemetry; [`init`](Self::init) installs it for the process,
/// [`build`](Self::build) only builds it (tests use it with `llmscope::scoped`).
#[derive(Debug, Default)]
#[must_use = "call `init()` or `build()`"]
pub struct TelemetryBuilder {
    env: Option<HashMap<String, String>>,
    service_name: Option<String>,
    resource: Vec<KeyValue>,
    endpoint: Option<String>,
    protocol: Option<Protocol>,
    headers: Vec<(String, String)>,
    timeout: Option<Duration>,
    sampler: Option<Sampler>,
    disabled: Option<bool>,
    terminal: Option<bool>,
    jsonl_path: Option<Option<PathBuf>>,
    semconv: Option<SemconvOptions>,
    queue_capacity: Option<usize>,
    scheduled_delay: Option<Duration>,
    tracing_layer: bool,
}

impl TelemetryBuilder {
    /// Reads configuration from these variables instead of the process environment (tests).
    pub fn with_env<K: Into<String>, V: Into<String>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.env = Some(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
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

    /// The OTLP endpoint, used as given (overrides both endpoint variables). For
    /// `http/protobuf` this is the full URL, e.g. `http://127.0.0.1:6006/v1/traces`.
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
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

    /// The export queue capacity (default 32,768): spans waiting or being exported, at most;
    /// more are dropped and counted. It bounds the memory export holds (~0.9 KB per span with
    /// 10 attributes, so ~30 MB at the default).
    pub fn with_queue_capacity(mut self, capacity: usize) -> Self {
        self.queue_capacity = Some(capacity);
        self
    }

    /// The longest a span waits in the queue when traffic is low (default 1 s).
    pub fn with_scheduled_delay(mut self, delay: Duration) -> Self {
        self.scheduled_delay = Some(delay);
        self
    }

    /// With `true`, [`init`](Self::init) also installs a global `tracing` subscriber: a
    /// registry with the tracing-opentelemetry layer on llmscope's provider, so `tracing`
    /// spans and llmscope's spans form one trace (feature `tracing-layer`). Apps that build
    /// their own subscriber use [`TelemetryGuard::tracing_layer`] instead.
    pub fn with_tracing_layer(mut self, install: bool) -> Self {
        self.tracing_layer = install;
        self
    }

    fn var(&self, key: &str) -> Option<String> {
        let value = match &self.env {
            Some(env) => env.get(key).cloned(),
            None => std::env::var(key).ok(),
        };
        value.filter(|v| !v.trim().is_empty())
    }

    /// Resolves the configuration (builder values over variables) without building anything.
    ///
    /// # Errors
    ///
    /// [`SetupError::InvalidValue`] naming the first invalid variable and its value.
    pub fn config(&self) -> Result<Config, SetupError> {
        let disabled = match self.disabled {
            Some(disabled) => disabled,
            None => match self.var("OTEL_SDK_DISABLED") {
                None => false,
                Some(v) => parse_bool("OTEL_SDK_DISABLED", &v)?,
            },
        };
        let service_name = match &self.service_name {
            Some(name) => name.clone(),
            None => self
                .var("OTEL_SERVICE_NAME")
                .unwrap_or_else(|| "unknown_service".to_owned()),
        };
        let mut resource = match self.var("OTEL_RESOURCE_ATTRIBUTES") {
            Some(v) => parse_pairs("OTEL_RESOURCE_ATTRIBUTES", &v)?
                .into_iter()
                .map(|(k, v)| KeyValue::new(k, v))
                .collect(),
            None => Vec::new(),
        };
        resource.extend(self.resource.iter().cloned());

        let protocol = match self.protocol {
            Some(p) => Some(p),
            None => match self.var("OTEL_EXPORTER_OTLP_PROTOCOL") {
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
        let traces_endpoint = self.var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
        let base_endpoint = self.var("OTEL_EXPORTER_OTLP_ENDPOINT");
        for (var, value) in [
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", &traces_endpoint),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &base_endpoint),
        ] {
            if let Some(v) = value {
                check_url(var, v)?;
            }
        }
        if let Some(endpoint) = &self.endpoint {
            check_url("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)?;
        }
        let otlp = if self.endpoint.is_some()
            || traces_endpoint.is_some()
            || base_endpoint.is_some()
            || protocol.is_some()
        {
            let protocol = protocol.unwrap_or(Protocol::HttpProtobuf);
            let endpoint = match (&self.endpoint, &traces_endpoint, &base_endpoint) {
                (Some(e), _, _) | (None, Some(e), _) => e.clone(),
                (None, None, Some(base)) => match protocol {
                    Protocol::Grpc => base.clone(),
                    Protocol::HttpProtobuf => format!("{}/v1/traces", base.trim_end_matches('/')),
                },
                (None, None, None) => match protocol {
                    Protocol::Grpc => "http://localhost:4317".to_owned(),
                    Protocol::HttpProtobuf => "http://localhost:4318/v1/traces".to_owned(),
                },
            };
            let mut headers = match self.var("OTEL_EXPORTER_OTLP_HEADERS") {
                Some(v) => parse_pairs("OTEL_EXPORTER_OTLP_HEADERS", &v)?,
                None => Vec::new(),
            };
            headers.extend(self.headers.iter().cloned());
            let timeout = match self.timeout {
                Some(t) => t,
                None => match self.var("OTEL_EXPORTER_OTLP_TIMEOUT") {
                    None => Duration::from_secs(10),
                    Some(v) => Duration::from_millis(v.trim().parse::<u64>().map_err(|_| {
                        invalid(
                            "OTEL_EXPORTER_OTLP_TIMEOUT",
                            &v,
                            "a whole number of milliseconds",
                        )
                    })?),
                },
            };
            let metrics_endpoint = match protocol {
                Protocol::Grpc => Some(endpoint.clone()),
                Protocol::HttpProtobuf => match endpoint.strip_suffix("/v1/traces") {
                    Some(base) => Some(format!("{base}/v1/metrics")),
                    None => base_endpoint
                        .as_ref()
                        .map(|base| format!("{}/v1/metrics", base.trim_end_matches('/'))),
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
                self.var("OTEL_TRACES_SAMPLER"),
                self.var("OTEL_TRACES_SAMPLER_ARG"),
            )?,
        };
        // The content capture policy, hash key included, from the same variables: an invalid
        // one fails setup here instead of being found at the first captured call.
        let capture = match &self.env {
            Some(env) => CapturePolicy::from_lookup(|name| env.get(name).cloned()),
            None => CapturePolicy::from_env(),
        }
        .map_err(SetupError::Capture)?;
        let semconv = match self.semconv {
            Some(s) => s,
            None => match self.var("OTEL_SEMCONV_STABILITY_OPT_IN") {
                Some(v) => SemconvOptions::from_opt_in(&v),
                None => SemconvOptions::default(),
            },
        };
        Ok(Config {
            disabled,
            service_name,
            resource,
            otlp,
            sampler,
            semconv,
            terminal: self.terminal.unwrap_or(true),
            jsonl_path: self
                .jsonl_path
                .clone()
                .unwrap_or_else(|| Some(PathBuf::from(DEFAULT_JSONL_PATH))),
            queue_capacity: self.queue_capacity.unwrap_or(32_768),
            scheduled_delay: self.scheduled_delay.unwrap_or(Duration::from_secs(1)),
            capture,
        })
    }

    /// Builds the providers without installing them anywhere.
    ///
    /// # Errors
    ///
    /// See [`init`].
    pub fn build(self) -> Result<TelemetryGuard, SetupError> {
        self.build_with_capture().map(|(guard, _)| guard)
    }

    fn build_with_capture(self) -> Result<(TelemetryGuard, CapturePolicy), SetupError> {
        let config = self.config()?;
        let capture = config.capture.clone();
        let tracing_layer = self.tracing_layer;
        let mut guard = config.build()?;
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
    pub fn init(self) -> Result<TelemetryGuard, SetupError> {
        let (guard, capture) = self.build_with_capture()?;
        let Some(provider) = &guard.tracer_provider else {
            return Ok(guard);
        };
        crate::install_with_sampler(provider, &guard.sampler)
            .map_err(SetupError::AlreadyInstalled)?;
        // A policy the application set before `init` stays.
        let _ = crate::capture::set_capture_policy(capture);
        opentelemetry::global::set_tracer_provider(provider.clone());
        if let Some(meter_provider) = &guard.meter_provider {
            opentelemetry::global::set_meter_provider(meter_provider.clone());
        }
        if guard.install_tracing_layer {
            install_tracing_layer(provider)?;
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

/// The resolved configuration ([`TelemetryBuilder::config`]).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// `OTEL_SDK_DISABLED=true`: nothing is built or installed.
    pub disabled: bool,
    /// `service.name`.
    pub service_name: String,
    /// Other resource attributes.
    pub resource: Vec<KeyValue>,
    /// The OTLP exporter, if any; `None` means the embedded default.
    pub otlp: Option<OtlpConfig>,
    /// The sampler.
    pub sampler: Sampler,
    /// Extra attribute sets.
    pub semconv: SemconvOptions,
    /// Embedded default: print trees on stdout.
    pub terminal: bool,
    /// Embedded default: the JSONL file, if any.
    pub jsonl_path: Option<PathBuf>,
    /// Export queue capacity.
    pub queue_capacity: usize,
    /// Longest wait in the queue.
    pub scheduled_delay: Duration,
    /// The content capture policy from the capture variables (`init` installs it unless the
    /// application set one first).
    pub capture: CapturePolicy,
}

/// The OTLP part of a [`Config`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OtlpConfig {
    /// Transport.
    pub protocol: Protocol,
    /// Full endpoint URL.
    pub endpoint: String,
    /// Where metrics go (`…/v1/metrics` next to `…/v1/traces` over HTTP, the same endpoint
    /// over gRPC); `None` when it cannot be derived from a custom traces URL.
    pub metrics_endpoint: Option<String>,
    /// Request headers, decoded.
    pub headers: Vec<(String, String)>,
    /// Export timeout.
    pub timeout: Duration,
}

impl Config {
    fn build(self) -> Result<TelemetryGuard, SetupError> {
        if self.disabled {
            return Ok(TelemetryGuard {
                tracer_provider: None,
                meter_provider: None,
                sampler: self.sampler,
                stats: ExportStats::default(),
                install_tracing_layer: false,
            });
        }
        let resource = Resource::builder_empty()
            .with_detector(Box::new(
                opentelemetry_sdk::resource::TelemetryResourceDetector,
            ))
            .with_service_name(self.service_name.clone())
            .with_attributes(self.resource.iter().cloned())
            .build();
        let mut metrics = None;
        let destination = match &self.otlp {
            Some(otlp) => {
                let (spans, metric_exporter) = otlp_exporter(otlp)?;
                metrics = metric_exporter;
                spans
            }
            None => {
                let terminal = self.terminal.then(TerminalExporter::stdout);
                let jsonl = match &self.jsonl_path {
                    Some(path) => Some(
                        JsonlExporter::builder(path)
                            .build()
                            .map_err(SetupError::Jsonl)?,
                    ),
                    None => None,
                };
                Destination::Embedded { terminal, jsonl }
            }
        };
        let processor = BatchProcessor::builder(SemconvExporter::new(destination, self.semconv))
            .with_queue_capacity(self.queue_capacity)
            .with_scheduled_delay(self.scheduled_delay)
            .build();
        let stats = processor.stats();
        let tracer_provider = self
            .sampler
            .configure(SdkTracerProvider::builder())
            .with_resource(resource.clone())
            .with_span_processor(processor)
            .build();
        let mut meter_provider = SdkMeterProvider::builder().with_resource(resource);
        if let Some(exporter) = metrics {
            meter_provider = meter_provider
                .with_reader(opentelemetry_sdk::metrics::PeriodicReader::builder(exporter).build());
        }
        let meter_provider = meter_provider.build();
        let meter = meter_provider.meter(crate::INSTRUMENTATION_NAME);
        let for_metric = stats.clone();
        let _dropped = meter
            .u64_observable_counter("llmscope.export.dropped_spans")
            .with_description("Spans dropped because the export queue was full")
            .with_unit("{span}")
            .with_callback(move |observer| observer.observe(for_metric.dropped(), &[]))
            .build();
        Ok(TelemetryGuard {
            tracer_provider: Some(tracer_provider),
            meter_provider: Some(meter_provider),
            sampler: self.sampler,
            stats,
            install_tracing_layer: false,
        })
    }
}

/// Keeps telemetry running; dropping it flushes queued spans and shuts the providers down.
#[derive(Debug)]
#[must_use = "dropping the guard shuts telemetry down"]
pub struct TelemetryGuard {
    tracer_provider: Option<SdkTracerProvider>,
    meter_provider: Option<SdkMeterProvider>,
    sampler: Sampler,
    stats: ExportStats,
    install_tracing_layer: bool,
}

impl TelemetryGuard {
    /// The tracer provider (`None` when disabled by `OTEL_SDK_DISABLED`).
    pub fn tracer_provider(&self) -> Option<&SdkTracerProvider> {
        self.tracer_provider.as_ref()
    }

    /// The sampler the tracer provider was built with (give it to
    /// [`scoped_with_sampler`](crate::scoped_with_sampler) when you scope this provider).
    pub fn sampler(&self) -> &Sampler {
        &self.sampler
    }

    /// The meter provider (`None` when disabled). It reports
    /// `llmscope.export.dropped_spans`; attach a reader to export it.
    pub fn meter_provider(&self) -> Option<&SdkMeterProvider> {
        self.meter_provider.as_ref()
    }

    /// The export queue's counters: queued, dropped, exported, failed.
    pub fn stats(&self) -> &ExportStats {
        &self.stats
    }

    /// Spans dropped by this pipeline's full queue (see also [`dropped_spans`] for the
    /// process-wide total).
    pub fn dropped_spans(&self) -> u64 {
        self.stats.dropped()
    }

    /// Exports every queued span now.
    ///
    /// # Errors
    ///
    /// The processor's error (timeout, already shut down).
    pub fn flush(&self) -> OTelSdkResult {
        match &self.tracer_provider {
            Some(p) => p.force_flush(),
            None => Ok(()),
        }
    }

    /// A tracing-opentelemetry layer writing into this pipeline, for apps that compose their
    /// own `tracing` subscriber (`registry().with(guard.tracing_layer()).with(fmt::layer())`).
    #[cfg(feature = "tracing-layer")]
    pub fn tracing_layer<S>(
        &self,
    ) -> Option<tracing_opentelemetry::OpenTelemetryLayer<S, opentelemetry_sdk::trace::SdkTracer>>
    where
        S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
    {
        self.tracer_provider
            .as_ref()
            .map(|p| tracing_opentelemetry::layer().with_tracer(crate::install::tracer_for(p)))
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.tracer_provider.take() {
            let _ = provider.shutdown();
        }
        if let Some(provider) = self.meter_provider.take() {
            let _ = provider.shutdown();
        }
        let dropped = self.stats.dropped();
        if dropped > 0 {
            tracing::warn!(
                dropped,
                dropped_process_total = dropped_spans(),
                "llmscope: spans were dropped because the export queue was full"
            );
        }
    }
}

/// The exporter behind the batch processor.
#[derive(Debug)]
enum Destination {
    Embedded {
        terminal: Option<TerminalExporter>,
        jsonl: Option<JsonlExporter>,
    },
    #[cfg(feature = "otlp-http")]
    Http(opentelemetry_otlp::SpanExporter),
    #[cfg(feature = "otlp-grpc")]
    Grpc {
        runtime: std::sync::Arc<GrpcRuntime>,
        exporter: opentelemetry_otlp::SpanExporter,
    },
}

/// The gRPC exporters' private runtime. It may be dropped anywhere, including inside the
/// application's async code (the meter provider can drop its exporter there), where dropping a
/// runtime normally panics: it shuts down in the background instead.
#[cfg(feature = "otlp-grpc")]
#[derive(Debug)]
struct GrpcRuntime(Option<tokio::runtime::Runtime>);

#[cfg(feature = "otlp-grpc")]
impl std::ops::Deref for GrpcRuntime {
    type Target = tokio::runtime::Runtime;

    fn deref(&self) -> &tokio::runtime::Runtime {
        self.0.as_ref().expect("present until drop")
    }
}

#[cfg(feature = "otlp-grpc")]
impl Drop for GrpcRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// The OTLP metric exporter behind the meter provider's periodic reader.
#[derive(Debug)]
enum MetricDestination {
    #[cfg(feature = "otlp-http")]
    Http(opentelemetry_otlp::MetricExporter),
    #[cfg(feature = "otlp-grpc")]
    Grpc {
        runtime: std::sync::Arc<GrpcRuntime>,
        exporter: opentelemetry_otlp::MetricExporter,
    },
}

impl opentelemetry_sdk::metrics::exporter::PushMetricExporter for MetricDestination {
    async fn export(
        &self,
        metrics: &opentelemetry_sdk::metrics::data::ResourceMetrics,
    ) -> OTelSdkResult {
        match self {
            #[cfg(feature = "otlp-http")]
            MetricDestination::Http(exporter) => exporter.export(metrics).await,
            #[cfg(feature = "otlp-grpc")]
            MetricDestination::Grpc { runtime, exporter } => {
                runtime.block_on(exporter.export(metrics))
            }
            #[cfg(not(any(feature = "otlp-http", feature = "otlp-grpc")))]
            _ => {
                let _ = metrics;
                unreachable!("no metric exporter without an OTLP feature")
            }
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        match self {
            #[cfg(feature = "otlp-http")]
            MetricDestination::Http(exporter) => exporter.force_flush(),
            #[cfg(feature = "otlp-grpc")]
            MetricDestination::Grpc { exporter, .. } => exporter.force_flush(),
            #[cfg(not(any(feature = "otlp-http", feature = "otlp-grpc")))]
            _ => Ok(()),
        }
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        match self {
            #[cfg(feature = "otlp-http")]
            MetricDestination::Http(exporter) => exporter.shutdown_with_timeout(timeout),
            #[cfg(feature = "otlp-grpc")]
            MetricDestination::Grpc { runtime, exporter } => {
                let _entered = runtime.enter();
                exporter.shutdown_with_timeout(timeout)
            }
            #[cfg(not(any(feature = "otlp-http", feature = "otlp-grpc")))]
            _ => {
                let _ = timeout;
                Ok(())
            }
        }
    }

    fn temporality(&self) -> opentelemetry_sdk::metrics::Temporality {
        opentelemetry_sdk::metrics::Temporality::Cumulative
    }
}

impl SpanExporter for Destination {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        match self {
            Destination::Embedded { terminal, jsonl } => {
                let mut result = Ok(());
                match (terminal, jsonl) {
                    (Some(t), Some(j)) => {
                        let r1 = t.export(batch.clone()).await;
                        let r2 = j.export(batch).await;
                        result = r1.and(r2);
                    }
                    (Some(t), None) => result = t.export(batch).await,
                    (None, Some(j)) => result = j.export(batch).await,
                    (None, None) => {}
                }
                result
            }
            #[cfg(feature = "otlp-http")]
            Destination::Http(exporter) => exporter.export(batch).await,
            #[cfg(feature = "otlp-grpc")]
            Destination::Grpc { runtime, exporter } => runtime.block_on(exporter.export(batch)),
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        match self {
            Destination::Embedded { terminal, jsonl } => {
                let r1 = terminal.as_ref().map_or(Ok(()), |t| t.force_flush());
                let r2 = jsonl.as_ref().map_or(Ok(()), |j| j.force_flush());
                r1.and(r2)
            }
            #[cfg(feature = "otlp-http")]
            Destination::Http(exporter) => exporter.force_flush(),
            #[cfg(feature = "otlp-grpc")]
            Destination::Grpc { exporter, .. } => exporter.force_flush(),
        }
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        match self {
            Destination::Embedded { terminal, jsonl } => {
                let r1 = terminal
                    .as_ref()
                    .map_or(Ok(()), |t| t.shutdown_with_timeout(timeout));
                let r2 = jsonl
                    .as_ref()
                    .map_or(Ok(()), |j| j.shutdown_with_timeout(timeout));
                r1.and(r2)
            }
            #[cfg(feature = "otlp-http")]
            Destination::Http(exporter) => exporter.shutdown_with_timeout(timeout),
            #[cfg(feature = "otlp-grpc")]
            Destination::Grpc { runtime, exporter } => {
                let _entered = runtime.enter();
                exporter.shutdown_with_timeout(timeout)
            }
        }
    }

    fn set_resource(&mut self, resource: &Resource) {
        match self {
            Destination::Embedded { terminal, jsonl } => {
                if let Some(t) = terminal {
                    t.set_resource(resource);
                }
                if let Some(j) = jsonl {
                    j.set_resource(resource);
                }
            }
            #[cfg(feature = "otlp-http")]
            Destination::Http(exporter) => exporter.set_resource(resource),
            #[cfg(feature = "otlp-grpc")]
            Destination::Grpc { exporter, .. } => exporter.set_resource(resource),
        }
    }
}

type Exporters = (Destination, Option<MetricDestination>);

fn otlp_exporter(otlp: &OtlpConfig) -> Result<Exporters, SetupError> {
    match otlp.protocol {
        Protocol::HttpProtobuf => http_exporter(otlp),
        Protocol::Grpc => grpc_exporter(otlp),
    }
}

#[cfg(feature = "otlp-http")]
fn http_exporter(otlp: &OtlpConfig) -> Result<Exporters, SetupError> {
    use opentelemetry_otlp::{WithExportConfig as _, WithHttpConfig as _};
    let otlp = otlp.clone();
    // The blocking reqwest client panics if built (or dropped) on a tokio runtime thread:
    // build it on a thread of its own; it is used only on the export threads.
    std::thread::spawn(move || {
        let headers: HashMap<String, String> = otlp.headers.iter().cloned().collect();
        let spans = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_endpoint(otlp.endpoint.clone())
            .with_timeout(otlp.timeout)
            .with_headers(headers.clone())
            .build()?;
        let metrics = match &otlp.metrics_endpoint {
            Some(endpoint) => Some(MetricDestination::Http(
                opentelemetry_otlp::MetricExporter::builder()
                    .with_http()
                    .with_endpoint(endpoint.clone())
                    .with_timeout(otlp.timeout)
                    .with_headers(headers)
                    .build()?,
            )),
            None => None,
        };
        Ok::<_, opentelemetry_otlp::ExporterBuildError>((Destination::Http(spans), metrics))
    })
    .join()
    .map_err(|_| SetupError::Exporter("the exporter builder panicked".to_owned()))?
    .map_err(|e| SetupError::Exporter(e.to_string()))
}

#[cfg(not(feature = "otlp-http"))]
fn http_exporter(_otlp: &OtlpConfig) -> Result<Exporters, SetupError> {
    Err(SetupError::FeatureDisabled {
        protocol: Protocol::HttpProtobuf,
        feature: "otlp-http",
    })
}

#[cfg(feature = "otlp-grpc")]
fn grpc_exporter(otlp: &OtlpConfig) -> Result<Exporters, SetupError> {
    use opentelemetry_otlp::{WithExportConfig as _, WithTonicConfig as _};
    // tonic needs a tokio reactor: the exporter gets a private one-worker runtime, so it works
    // the same from sync main, a current-thread runtime or a multi-thread one.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("llmscope-otlp-grpc")
        .enable_all()
        .build()
        .map_err(|e| SetupError::Exporter(format!("cannot start the gRPC runtime: {e}")))?;
    let runtime = std::sync::Arc::new(GrpcRuntime(Some(runtime)));
    let mut headers = http::HeaderMap::new();
    for (name, value) in &otlp.headers {
        let key = http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            invalid(
                "OTEL_EXPORTER_OTLP_HEADERS",
                name,
                "header names made of token characters",
            )
        })?;
        let value = http::HeaderValue::from_str(value).map_err(|_| {
            invalid(
                "OTEL_EXPORTER_OTLP_HEADERS",
                value,
                "visible ASCII header values",
            )
        })?;
        headers.append(key, value);
    }
    let metadata = opentelemetry_otlp::tonic_types::metadata::MetadataMap::from_headers(headers);
    let _entered = runtime.enter();
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(otlp.endpoint.clone())
        .with_timeout(otlp.timeout)
        .with_metadata(metadata.clone())
        .build()
        .map_err(|e| SetupError::Exporter(e.to_string()))?;
    let metrics = opentelemetry_otlp::MetricExporter::builder()
        .with_tonic()
        .with_endpoint(otlp.endpoint.clone())
        .with_timeout(otlp.timeout)
        .with_metadata(metadata)
        .build()
        .map_err(|e| SetupError::Exporter(e.to_string()))?;
    drop(_entered);
    Ok((
        Destination::Grpc {
            runtime: std::sync::Arc::clone(&runtime),
            exporter,
        },
        Some(MetricDestination::Grpc {
            runtime,
            exporter: metrics,
        }),
    ))
}

#[cfg(not(feature = "otlp-grpc"))]
fn grpc_exporter(_otlp: &OtlpConfig) -> Result<Exporters, SetupError> {
    Err(SetupError::FeatureDisabled {
        protocol: Protocol::Grpc,
        feature: "otlp-grpc",
    })
}

fn parse_bool(var: &'static str, value: &str) -> Result<bool, SetupError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(invalid(var, value, "`true` or `false`")),
    }
}

fn check_url(var: &'static str, value: &str) -> Result<(), SetupError> {
    let rest = value
        .strip_prefix("http://")
        .or_else(|| value.strip_prefix("https://"));
    match rest {
        Some(host)
            if !host.is_empty()
                && !host.starts_with('/')
                && !value.contains(char::is_whitespace) =>
        {
            Ok(())
        }
        _ => Err(invalid(var, value, "an http:// or https:// URL")),
    }
}

/// Parses `key=value,key2=value2` with percent-encoded keys and values (W3C baggage
/// octets), as `OTEL_RESOURCE_ATTRIBUTES` and `OTEL_EXPORTER_OTLP_HEADERS` use.
fn parse_pairs(var: &'static str, value: &str) -> Result<Vec<(String, String)>, SetupError> {
    let mut pairs = Vec::new();
    for item in value.split(',') {
        if item.trim().is_empty() {
            continue;
        }
        let Some((k, v)) = item.split_once('=') else {
            return Err(invalid(var, value, "comma-separated key=value pairs"));
        };
        let key = percent_decode(k.trim())
            .filter(|k| !k.is_empty())
            .ok_or_else(|| {
                invalid(
                    var,
                    value,
                    "comma-separated key=value pairs, percent-encoded",
                )
            })?;
        let val = percent_decode(v.trim()).ok_or_else(|| {
            invalid(
                var,
                value,
                "comma-separated key=value pairs, percent-encoded",
            )
        })?;
        pairs.push((key, val));
    }
    Ok(pairs)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn parse_sampler(name: Option<String>, arg: Option<String>) -> Result<Sampler, SetupError> {
    let ratio = || -> Result<f64, SetupError> {
        match &arg {
            None => Ok(1.0),
            Some(a) => a
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|r| (0.0..=1.0).contains(r))
                .ok_or_else(|| invalid("OTEL_TRACES_SAMPLER_ARG", a, "a ratio between 0 and 1")),
        }
    };
    let Some(name) = name else {
        return Ok(Sampler::default_sampler());
    };
    Ok(match name.trim() {
        "always_on" => Sampler::always_on(),
        "always_off" => Sampler::always_off(),
        "traceidratio" => Sampler::trace_id_ratio(ratio()?),
        "parentbased_always_on" => Sampler::always_on().parent_based(),
        "parentbased_always_off" => Sampler::always_off().parent_based(),
        "parentbased_traceidratio" => Sampler::trace_id_ratio(ratio()?).parent_based(),
        _ => {
            return Err(invalid(
                "OTEL_TRACES_SAMPLER",
                &name,
                "always_on, always_off, traceidratio, parentbased_always_on, \
                 parentbased_always_off or parentbased_traceidratio",
            ))
        }
    })
}
