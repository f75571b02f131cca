//! The resolved configuration and building the providers from it.

use std::path::PathBuf;
use std::time::Duration;

use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::KeyValue;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanProcessor};
use opentelemetry_sdk::Resource;

use super::error::SetupError;
use super::guard::Telemetry;
use super::otlp::{self, Backend};
use super::{Protocol, DEFAULT_JSONL_PATH};
use crate::capture::CapturePolicy;
use crate::diagnostics::{self, diag, Level, Sink};
use crate::export::{
    BatchProcessor, ExportStats, FanOut, JsonlExporter, SemconvExporter, SemconvOptions,
    TerminalExporter,
};
use crate::sampling::Sampler;

/// The resolved configuration ([`TelemetryBuilder::config`](super::TelemetryBuilder::config)).
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
    /// The JSONL path is the default one (not set in code): if it cannot be opened, the file
    /// goes to the temporary directory instead.
    pub jsonl_path_is_default: bool,
    /// Export queue capacity (`OTEL_BSP_MAX_QUEUE_SIZE`).
    pub queue_capacity: usize,
    /// Most spans per export call (`OTEL_BSP_MAX_EXPORT_BATCH_SIZE`).
    pub max_batch: usize,
    /// Longest wait in the queue (`OTEL_BSP_SCHEDULE_DELAY`).
    pub scheduled_delay: Duration,
    /// The one bound on shutdown (`OTEL_BSP_EXPORT_TIMEOUT`).
    pub shutdown_timeout: Duration,
    /// `OTEL_LOG_LEVEL`, if set (`Some(None)`: silenced).
    pub log_level: Option<Option<Level>>,
    /// `LLMSCOPE_DIAGNOSTICS`, if set.
    pub diagnostics_sink: Option<Sink>,
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
    /// Full URL spans are sent to.
    pub endpoint: String,
    /// Where metrics go (`…/v1/metrics` next to `…/v1/traces` over HTTP, the same endpoint
    /// over gRPC); `None` when it cannot be derived from a custom traces URL.
    pub metrics_endpoint: Option<String>,
    /// Request headers, decoded.
    pub headers: Vec<(String, String)>,
    /// Export timeout of one export call, retries included.
    pub timeout: Duration,
}

impl Config {
    /// Builds the providers, with the application's span processors after llmscope's.
    pub(crate) fn build_with_processors(
        self,
        processors: Vec<Box<dyn SpanProcessor>>,
    ) -> Result<Telemetry, SetupError> {
        if let Some(level) = self.log_level {
            diagnostics::set_level(level);
        }
        if let Some(sink) = self.diagnostics_sink {
            diagnostics::set_sink(sink);
        }
        if self.disabled {
            diag!(Info, "setup", "telemetry disabled by OTEL_SDK_DISABLED");
            return Ok(Telemetry::new(
                None,
                None,
                ExportStats::default(),
                self.shutdown_timeout,
            ));
        }
        // Parsed now rather than by the first priced call, inside its span; a registry set
        // with `set_price_registry` after `init()` still replaces it.
        let _ = crate::pricing::PriceRegistry::embedded();
        let resource = Resource::builder_empty()
            .with_detector(Box::new(
                opentelemetry_sdk::resource::TelemetryResourceDetector,
            ))
            .with_service_name(self.service_name.clone())
            .with_attributes(self.resource.iter().cloned())
            .build();
        let mut metrics = None;
        let destination = match &self.otlp {
            Some(config) => {
                let (spans, metric_exporter) = otlp::exporters(config)?;
                metrics = metric_exporter;
                diag!(
                    Info,
                    "setup",
                    "sending spans to {} over {} (export timeout {:?}; metrics to {})",
                    config.endpoint,
                    config.protocol.as_str(),
                    config.timeout,
                    config.metrics_endpoint.as_deref().unwrap_or("nowhere")
                );
                spans
            }
            None => Backend::Embedded(self.embedded()?),
        };
        diag!(
            Info,
            "setup",
            "export queue of {} spans, batches of {}, sent at least every {:?}; shutdown \
             bounded by {:?}",
            self.queue_capacity,
            self.max_batch,
            self.scheduled_delay,
            self.shutdown_timeout
        );
        let mut processor =
            BatchProcessor::builder(SemconvExporter::new(destination, self.semconv));
        if let Some(config) = &self.otlp {
            processor = processor.with_destination(config.endpoint.clone());
        }
        let processor = processor
            .with_queue_capacity(self.queue_capacity)
            .with_max_batch(self.max_batch)
            .with_scheduled_delay(self.scheduled_delay)
            .with_flush_timeout(self.shutdown_timeout)
            .build();
        let stats = processor.stats();
        let mut tracer_provider = SdkTracerProvider::builder()
            .with_resource(resource.clone())
            .with_span_processor(processor);
        for processor in processors {
            tracer_provider = tracer_provider.with_span_processor(Application(processor));
        }
        let tracer_provider = self.sampler.build(tracer_provider).deferred();
        let mut meter_provider = SdkMeterProvider::builder().with_resource(resource);
        if let Some(exporter) = metrics {
            meter_provider = meter_provider
                .with_reader(opentelemetry_sdk::metrics::PeriodicReader::builder(exporter).build());
        }
        let meter_provider = meter_provider.build();
        let meter = meter_provider.meter(crate::INSTRUMENTATION_NAME);
        let for_metric = stats.clone();
        let _dropped = meter
            .u64_observable_counter(crate::keys::LLMSCOPE_EXPORT_DROPPED_SPANS)
            .with_description("Spans dropped because the export queue was full")
            .with_unit("{span}")
            .with_callback(move |observer| observer.observe(for_metric.dropped(), &[]))
            .build();
        Ok(Telemetry::new(
            Some(tracer_provider),
            Some(meter_provider),
            stats,
            self.shutdown_timeout,
        ))
    }

    /// The embedded default: the terminal tree and the JSONL file. The default file falls
    /// back to the temporary directory when the working directory is not writable (a
    /// read-only container), and to no file at all after that: never a refusal to start.
    fn embedded(&self) -> Result<FanOut, SetupError> {
        let terminal = self.terminal.then(TerminalExporter::stdout);
        let jsonl = match &self.jsonl_path {
            None => None,
            Some(path) => match JsonlExporter::builder(path).build() {
                Ok(exporter) => {
                    diag!(Info, "setup", "writing spans to {}", path.display());
                    Some(exporter)
                }
                Err(error) if self.jsonl_path_is_default => {
                    let fallback = std::env::temp_dir().join(DEFAULT_JSONL_PATH);
                    match JsonlExporter::builder(&fallback).build() {
                        Ok(exporter) => {
                            diag!(
                                Warn,
                                "setup",
                                "{error}; writing spans to {} instead",
                                fallback.display()
                            );
                            Some(exporter)
                        }
                        Err(second) => {
                            diag!(
                                Warn,
                                "setup",
                                "{error}; {second}; spans are not written to a file"
                            );
                            None
                        }
                    }
                }
                Err(error) => return Err(SetupError::Jsonl(error)),
            },
        };
        Ok(FanOut::new(terminal, jsonl))
    }
}

/// A span processor of the application's, given to the builder boxed.
#[derive(Debug)]
struct Application(Box<dyn SpanProcessor>);

impl SpanProcessor for Application {
    fn on_start(&self, span: &mut opentelemetry_sdk::trace::Span, cx: &opentelemetry::Context) {
        self.0.on_start(span, cx);
    }

    fn on_end(&self, span: opentelemetry_sdk::trace::SpanData) {
        self.0.on_end(span);
    }

    fn force_flush(&self) -> opentelemetry_sdk::error::OTelSdkResult {
        self.0.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> opentelemetry_sdk::error::OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.0.set_resource(resource);
    }
}
