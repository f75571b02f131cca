//! [`Telemetry`]: keeps telemetry running, flushes it, and shuts it down within one bound.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use opentelemetry_sdk::error::OTelSdkError;
use opentelemetry_sdk::metrics::SdkMeterProvider;

use super::error::{ExportError, ExportReport};
use super::TelemetryBuilder;
use crate::diagnostics::diag;
use crate::export::{dropped_spans, ExportStats};
use crate::sampling::SampledProvider;

/// Running telemetry, built by [`Telemetry::builder`] (or [`init`](crate::init)): keep it alive
/// for the life of the program; dropping it flushes queued spans and shuts the providers down,
/// within the shutdown bound ([`with_shutdown_timeout`](super::TelemetryBuilder::with_shutdown_timeout),
/// default 5 s). Lost spans are reported on stderr (see [`crate::diagnostics`]); call
/// [`shutdown`](Self::shutdown) to get the report as a value instead.
///
/// # Examples
///
/// ```
/// let telemetry = llmscope::Telemetry::builder()
///     .with_terminal(false)
///     .with_jsonl_path(None)
///     .build()?;
/// // ... annotated calls ...
/// let report = telemetry.flush()?; // serverless: before the invocation ends
/// assert_eq!(report.lost(), 0);
/// telemetry.shutdown()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[must_use = "dropping the guard shuts telemetry down"]
pub struct Telemetry {
    pub(super) tracer_provider: Option<SampledProvider>,
    pub(super) meter_provider: Option<SdkMeterProvider>,
    stats: ExportStats,
    shutdown_timeout: Duration,
    /// The counters at the previous flush or shutdown.
    reported: Mutex<ExportReport>,
    pub(super) install_tracing_layer: bool,
}

impl Telemetry {
    /// A builder reading the process environment; every `with_*` value overrides the
    /// corresponding variable. [`init`](crate::init) is `Telemetry::builder().init()`.
    pub fn builder() -> TelemetryBuilder {
        TelemetryBuilder::default()
    }

    pub(super) fn new(
        tracer_provider: Option<SampledProvider>,
        meter_provider: Option<SdkMeterProvider>,
        stats: ExportStats,
        shutdown_timeout: Duration,
    ) -> Telemetry {
        Telemetry {
            tracer_provider,
            meter_provider,
            stats,
            shutdown_timeout,
            reported: Mutex::new(ExportReport::default()),
            install_tracing_layer: false,
        }
    }

    /// The tracer provider with the sampler it was built with (`None` when disabled by
    /// `OTEL_SDK_DISABLED`): give it to [`scoped`](crate::scoped) and llmscope keeps deciding
    /// sampling first; it dereferences to the `SdkTracerProvider`.
    ///
    /// ```
    /// let telemetry = llmscope::Telemetry::builder()
    ///     .with_terminal(false)
    ///     .with_jsonl_path(None)
    ///     .with_sampler(llmscope::Sampler::always_off())
    ///     .build()?;
    /// let provider = telemetry.tracer_provider().expect("not disabled");
    /// let _scope = llmscope::scoped(provider).attach();
    /// assert!(provider.sampler().is_standard());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tracer_provider(&self) -> Option<&SampledProvider> {
        self.tracer_provider.as_ref()
    }

    /// The meter provider (`None` when disabled). It reports
    /// `llmscope.export.dropped_spans`; attach a reader to export it.
    pub fn meter_provider(&self) -> Option<&SdkMeterProvider> {
        self.meter_provider.as_ref()
    }

    /// The export queue's counters since the start: queued, dropped, exported, failed,
    /// abandoned.
    pub fn stats(&self) -> &ExportStats {
        &self.stats
    }

    /// Spans dropped by this pipeline's full queue (see also [`dropped_spans`] for the
    /// process-wide total).
    pub fn dropped_spans(&self) -> u64 {
        self.stats.dropped()
    }

    /// Exports every span queued now, waiting at most the shutdown bound, and reports what
    /// happened to the spans that ended since the previous flush.
    ///
    /// # Errors
    ///
    /// [`ExportError::Lost`] when spans failed or were dropped since the previous call (with
    /// the counts and the last export error), [`ExportError::Timeout`] when the backend did
    /// not answer in time, [`ExportError::AlreadyShutDown`].
    pub fn flush(&self) -> Result<ExportReport, ExportError> {
        let Some(provider) = &self.tracer_provider else {
            return Ok(ExportReport::default());
        };
        let started = Instant::now();
        // Calls still being processed reach the provider first.
        crate::private::flush_within(self.shutdown_timeout);
        let result = provider.force_flush();
        self.outcome(result, started)
    }

    /// Flushes and shuts the providers down within the shutdown bound, and reports what
    /// happened to the spans that ended since the previous flush. Spans still queued when the
    /// bound is reached are given up on (counted as abandoned) and their memory freed.
    ///
    /// # Errors
    ///
    /// As [`flush`](Self::flush).
    pub fn shutdown(mut self) -> Result<ExportReport, ExportError> {
        self.shut_down()
    }

    fn shut_down(&mut self) -> Result<ExportReport, ExportError> {
        let started = Instant::now();
        let Some(provider) = self.tracer_provider.take() else {
            return Ok(ExportReport::default());
        };
        // Calls still being processed reach the provider first, within the same bound.
        crate::private::flush_within(self.shutdown_timeout / 2);
        let left = self.shutdown_timeout.saturating_sub(started.elapsed());
        let result = provider.shutdown_with_timeout(left);
        if let Some(meter_provider) = self.meter_provider.take() {
            // The SDK's meter shutdown takes no bound: give it the time left, on a thread of
            // its own, so a hung metrics endpoint cannot hold the process.
            let left = self.shutdown_timeout.saturating_sub(started.elapsed());
            let (done, wait) = std::sync::mpsc::channel();
            let spawned = std::thread::Builder::new()
                .name("llmscope-metrics-shutdown".to_owned())
                .spawn(move || {
                    let _ = meter_provider.shutdown();
                    let _ = done.send(());
                });
            if spawned.is_ok() && wait.recv_timeout(left).is_err() {
                diag!(
                    Warn,
                    "shutdown",
                    "the metrics exporter did not shut down within {:?}; left behind",
                    self.shutdown_timeout
                );
            }
        }
        self.outcome(result, started)
    }

    fn outcome(
        &self,
        result: Result<(), OTelSdkError>,
        started: Instant,
    ) -> Result<ExportReport, ExportError> {
        let now = ExportReport {
            exported: self.stats.exported(),
            failed: self.stats.failed(),
            dropped: self.stats.dropped(),
            abandoned: self.stats.abandoned(),
        };
        let report = {
            let mut previous = self.reported.lock().unwrap_or_else(|e| e.into_inner());
            let report = ExportReport {
                exported: now.exported - previous.exported,
                failed: now.failed - previous.failed,
                dropped: now.dropped - previous.dropped,
                abandoned: now.abandoned - previous.abandoned,
            };
            *previous = now;
            report
        };
        // The provider wraps its processors' errors in a message: a timeout shows there, and
        // in the spans shutdown gave up on.
        let timed_out = match &result {
            Err(OTelSdkError::Timeout(_)) => true,
            Err(OTelSdkError::InternalFailure(message)) => message.contains("Timeout("),
            _ => false,
        } || report.abandoned > 0;
        match result {
            Err(OTelSdkError::AlreadyShutdown) => Err(ExportError::AlreadyShutDown),
            _ if timed_out => Err(ExportError::Timeout {
                waited: started.elapsed(),
                report,
                last_error: self.stats.last_error(),
            }),
            _ if report.lost() > 0 => Err(ExportError::Lost {
                report,
                last_error: self.stats.last_error(),
            }),
            _ => Ok(report),
        }
    }

    /// A tracing-opentelemetry layer writing into this pipeline, for apps that compose their
    /// own `tracing` subscriber (`registry().with(guard.tracing_layer()).with(fmt::layer())`).
    #[cfg(feature = "tracing-layer")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tracing-layer")))]
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

impl Drop for Telemetry {
    fn drop(&mut self) {
        match self.shut_down() {
            Ok(_) | Err(ExportError::AlreadyShutDown) => {}
            Err(error) => diag!(
                Error,
                "shutdown",
                "{error} (process total dropped: {})",
                dropped_spans()
            ),
        }
    }
}
