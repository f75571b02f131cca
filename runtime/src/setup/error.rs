//! Errors of setup ([`SetupError`]) and of flush and shutdown ([`ExportError`]).

use std::fmt;
use std::time::Duration;

use crate::capture::CaptureError;
use crate::export::JsonlError;
use opentelemetry_sdk::trace::SdkTracerProvider;

use crate::already_set::AlreadySet;

use super::Protocol;

/// Why [`init`](crate::init) or [`TelemetryBuilder`](super::TelemetryBuilder) could not set up
/// telemetry.
#[derive(Debug)]
#[non_exhaustive]
pub enum SetupError {
    /// An environment variable (or the builder value standing for it) has an invalid value.
    InvalidValue {
        /// The variable, e.g. `OTEL_TRACES_SAMPLER`.
        var: &'static str,
        /// The value found (non-UTF-8 bytes shown as `\u{FFFD}`).
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
    /// The JSONL file asked for with `with_jsonl_path` could not be opened (the default file
    /// falls back to the temporary directory instead, with a warning).
    Jsonl(JsonlError),
    /// A provider was already installed in this process (`llmscope::install` or `init`).
    AlreadyInstalled(AlreadySet<SdkTracerProvider>),
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

pub(crate) fn invalid(var: &'static str, value: &str, expected: &'static str) -> SetupError {
    SetupError::InvalidValue {
        var,
        value: value.to_owned(),
        expected,
    }
}

/// What the export pipeline did with the spans that ended since the previous
/// [`flush`](super::Telemetry::flush) or shutdown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExportReport {
    /// Spans the exporter accepted.
    pub exported: u64,
    /// Spans the exporter failed to deliver (backend down, refused, timed out, …).
    pub failed: u64,
    /// Spans dropped because the export queue was full.
    pub dropped: u64,
    /// Spans still queued when shutdown ran out of time, given up on.
    pub abandoned: u64,
}

impl ExportReport {
    /// Spans lost: failed, dropped or abandoned.
    pub fn lost(&self) -> u64 {
        self.failed + self.dropped + self.abandoned
    }
}

impl fmt::Display for ExportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} exported, {} failed, {} dropped (queue full), {} abandoned at shutdown",
            self.exported, self.failed, self.dropped, self.abandoned
        )
    }
}

/// Why [`Telemetry::flush`](super::Telemetry::flush) or
/// [`shutdown`](super::Telemetry::shutdown) did not deliver everything.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ExportError {
    /// Spans were lost since the previous call; the report counts them.
    Lost {
        /// Counts since the previous call.
        report: ExportReport,
        /// The last export error (endpoint and cause), if exports failed.
        last_error: Option<String>,
    },
    /// The pipeline did not finish in time (a hung or very slow backend).
    Timeout {
        /// How long the call waited.
        waited: Duration,
        /// Counts since the previous call, the spans given up on included.
        report: ExportReport,
        /// The last export error, if any.
        last_error: Option<String>,
    },
    /// The pipeline was already shut down.
    AlreadyShutDown,
}

impl ExportError {
    /// The counts since the previous call (`None` when already shut down).
    pub fn report(&self) -> Option<&ExportReport> {
        match self {
            ExportError::Lost { report, .. } | ExportError::Timeout { report, .. } => Some(report),
            ExportError::AlreadyShutDown => None,
        }
    }
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let last = |f: &mut fmt::Formatter<'_>, error: &Option<String>| match error {
            Some(error) => write!(f, "; last error: {error}"),
            None => Ok(()),
        };
        match self {
            ExportError::Lost { report, last_error } => {
                write!(f, "{} spans lost ({report})", report.lost())?;
                last(f, last_error)
            }
            ExportError::Timeout {
                waited,
                report,
                last_error,
            } => {
                write!(f, "export did not finish within {waited:?} ({report})")?;
                last(f, last_error)
            }
            ExportError::AlreadyShutDown => f.write_str("telemetry was already shut down"),
        }
    }
}

impl std::error::Error for ExportError {}
