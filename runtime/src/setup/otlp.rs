//! The OTLP transports (HTTP/protobuf and gRPC) and the exporter the batch processor drives.
//!
//! Retries follow the OTLP specification through `opentelemetry-otlp`'s recommended policy:
//! transient failures (HTTP 429, 502, 503, 504, gRPC `UNAVAILABLE`-style codes, network
//! errors) are retried up to 3 times with exponential backoff (100 ms doubling to 1.6 s, with
//! jitter), honouring `Retry-After`, all within the export timeout; other failures (a 400, a
//! 401) are never retried. Shutdown never waits past its own bound: each export call runs as a
//! task on the exporters' private runtime, and when shutdown runs out of time the call in
//! progress is cancelled (request or backoff sleep alike), so the export thread exits and the
//! batch it carried is freed within the bound, whatever the export timeout. A failed export is
//! reported with the endpoint and its cause: connection refused, timed out, HTTP status, gRPC
//! status, TLS.

#[cfg(feature = "otlp-http")]
use std::collections::HashMap;
#[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
use std::future::Future;
#[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
use std::pin::Pin;
#[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
use std::sync::Arc;
#[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use opentelemetry_sdk::Resource;

use super::config::OtlpConfig;
#[cfg(feature = "otlp-grpc")]
use super::error::invalid;
use super::error::SetupError;
use super::Protocol;
use crate::export::FanOut;

/// The exporter behind the batch processor.
// One per pipeline, never moved after setup: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum Backend {
    /// The terminal tree and the JSONL file.
    Embedded(FanOut),
    #[cfg(feature = "otlp-http")]
    Http {
        runtime: Arc<ExportRuntime>,
        exporter: Arc<opentelemetry_otlp::SpanExporter>,
        endpoint: String,
        cause: Arc<http_cause::LastCause>,
    },
    #[cfg(feature = "otlp-grpc")]
    Grpc {
        runtime: Arc<ExportRuntime>,
        exporter: Arc<opentelemetry_otlp::SpanExporter>,
        endpoint: String,
    },
}

/// The OTLP exporters' private runtime (one worker thread): every export call runs on it as a
/// task, so it works the same from sync main, a current-thread runtime or a multi-thread one,
/// and an export call can be cancelled. It may be dropped anywhere, including inside the
/// application's async code (the meter provider can drop its exporter there), where dropping a
/// runtime normally panics: it shuts down in the background instead.
#[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
#[derive(Debug)]
pub(crate) struct ExportRuntime(Option<tokio::runtime::Runtime>);

#[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
impl ExportRuntime {
    fn start(thread_name: &str) -> Result<Arc<ExportRuntime>, SetupError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name(thread_name)
            .enable_all()
            .build()
            .map_err(|e| {
                SetupError::Exporter(format!("cannot start the `{thread_name}` runtime: {e}"))
            })?;
        Ok(Arc::new(ExportRuntime(Some(runtime))))
    }

    /// Runs one export call as a task; the returned future aborts it when dropped.
    fn export(
        &self,
        exporter: &Arc<opentelemetry_otlp::SpanExporter>,
        batch: Vec<SpanData>,
    ) -> ExportTask {
        let exporter = Arc::clone(exporter);
        ExportTask(self.spawn(async move { exporter.export(batch).await }))
    }
}

#[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
impl std::ops::Deref for ExportRuntime {
    type Target = tokio::runtime::Runtime;

    fn deref(&self) -> &tokio::runtime::Runtime {
        self.0.as_ref().expect("present until drop")
    }
}

#[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
impl Drop for ExportRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// One export call running on the [`ExportRuntime`]. Dropping it before it completes — the
/// batch processor does when shutdown runs out of time — aborts the task at its next await:
/// the request in flight (or the backoff sleep between retries) is cancelled, its connection
/// closed and the batch it carries freed, whatever the exporter's own timeout.
#[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
struct ExportTask(tokio::task::JoinHandle<OTelSdkResult>);

#[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
impl Future for ExportTask {
    type Output = OTelSdkResult;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<OTelSdkResult> {
        Pin::new(&mut self.0).poll(cx).map(|joined| {
            joined.unwrap_or_else(|error| {
                Err(OTelSdkError::InternalFailure(format!(
                    "the export task ended abnormally: {error}"
                )))
            })
        })
    }
}

#[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
impl Drop for ExportTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The OTLP metric exporter behind the meter provider's periodic reader.
#[derive(Debug)]
pub(crate) enum MetricDestination {
    #[cfg(feature = "otlp-http")]
    Http {
        runtime: Arc<ExportRuntime>,
        exporter: opentelemetry_otlp::MetricExporter,
    },
    #[cfg(feature = "otlp-grpc")]
    Grpc {
        runtime: Arc<ExportRuntime>,
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
            MetricDestination::Http { runtime, exporter } => {
                runtime.block_on(exporter.export(metrics))
            }
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
            MetricDestination::Http { exporter, .. } => exporter.force_flush(),
            #[cfg(feature = "otlp-grpc")]
            MetricDestination::Grpc { exporter, .. } => exporter.force_flush(),
            #[cfg(not(any(feature = "otlp-http", feature = "otlp-grpc")))]
            _ => Ok(()),
        }
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        match self {
            #[cfg(feature = "otlp-http")]
            MetricDestination::Http { runtime, exporter } => {
                let _entered = runtime.enter();
                exporter.shutdown_with_timeout(timeout)
            }
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

impl SpanExporter for Backend {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        match self {
            Backend::Embedded(fan_out) => fan_out.export(batch).await,
            #[cfg(feature = "otlp-http")]
            Backend::Http {
                runtime,
                exporter,
                endpoint,
                cause,
            } => {
                cause.clear();
                runtime.export(exporter, batch).await.map_err(|error| {
                    let cause = cause.take().unwrap_or_else(|| describe(&error));
                    OTelSdkError::InternalFailure(format!("export to {endpoint} failed: {cause}"))
                })
            }
            #[cfg(feature = "otlp-grpc")]
            Backend::Grpc {
                runtime,
                exporter,
                endpoint,
            } => runtime.export(exporter, batch).await.map_err(|error| {
                OTelSdkError::InternalFailure(format!(
                    "export to {endpoint} failed: {}",
                    grpc_cause(&describe(&error))
                ))
            }),
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        match self {
            Backend::Embedded(fan_out) => fan_out.force_flush(),
            #[cfg(feature = "otlp-http")]
            Backend::Http { exporter, .. } => exporter.force_flush(),
            #[cfg(feature = "otlp-grpc")]
            Backend::Grpc { exporter, .. } => exporter.force_flush(),
        }
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        match self {
            Backend::Embedded(fan_out) => fan_out.shutdown_with_timeout(timeout),
            #[cfg(feature = "otlp-http")]
            Backend::Http {
                runtime, exporter, ..
            } => {
                let _entered = runtime.enter();
                exporter.shutdown_with_timeout(timeout)
            }
            #[cfg(feature = "otlp-grpc")]
            Backend::Grpc {
                runtime, exporter, ..
            } => {
                let _entered = runtime.enter();
                exporter.shutdown_with_timeout(timeout)
            }
        }
    }

    fn set_resource(&mut self, resource: &Resource) {
        match self {
            Backend::Embedded(fan_out) => fan_out.set_resource(resource),
            // Set before the first export, while the backend is the exporter's only owner.
            #[cfg(feature = "otlp-http")]
            Backend::Http { exporter, .. } => {
                if let Some(exporter) = Arc::get_mut(exporter) {
                    exporter.set_resource(resource);
                }
            }
            #[cfg(feature = "otlp-grpc")]
            Backend::Grpc { exporter, .. } => {
                if let Some(exporter) = Arc::get_mut(exporter) {
                    exporter.set_resource(resource);
                }
            }
        }
    }
}

/// The message of an SDK error without the SDK's wording around it.
#[cfg_attr(
    not(any(feature = "otlp-http", feature = "otlp-grpc")),
    allow(dead_code)
)]
fn describe(error: &OTelSdkError) -> String {
    match error {
        OTelSdkError::InternalFailure(message) => message.clone(),
        other => other.to_string(),
    }
}

/// Names the cause of a gRPC failure from the OTLP exporter's message (`… export failed with
/// gRPC code: Unavailable: <transport error>`): connection refused, timed out, TLS, or the
/// status code (`gRPC status 14 UNAVAILABLE`), each followed by the message in parentheses.
#[cfg(feature = "otlp-grpc")]
fn grpc_cause(message: &str) -> String {
    let lower = message.to_ascii_lowercase();
    if lower.contains("connection refused") {
        format!("connection refused ({message})")
    } else if lost_connection(&lower) {
        format!("connection lost ({message})")
    } else if lower.contains("timeout") || lower.contains("timed out") || lower.contains("deadline")
    {
        format!("timed out ({message})")
    } else if lower.contains("tls") || lower.contains("certificate") {
        format!("TLS error ({message})")
    } else if let Some(status) = message
        .split_once("gRPC code: ")
        .and_then(|(_, code)| crate::export::grpc_status(code.split(':').next().unwrap_or(code)))
    {
        format!("{status} ({message})")
    } else {
        message.to_owned()
    }
}

/// Whether a transport error (lowercase) says the connection broke under a call in flight: the
/// backend went down or restarted (tonic reports it as `Unknown: transport error: connection
/// error: stream closed because of a broken pipe`; hyper as a reset or an unexpected end).
#[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
fn lost_connection(lower: &str) -> bool {
    [
        "broken pipe",
        "connection reset",
        "connection aborted",
        "connection closed",
        "stream closed",
        "unexpected eof",
        "unexpected end of file",
    ]
    .iter()
    .any(|sign| lower.contains(sign))
}

type Exporters = (Backend, Option<MetricDestination>);

/// Builds the span exporter (and the metric exporter next to it) for the configuration.
pub(crate) fn exporters(otlp: &OtlpConfig) -> Result<Exporters, SetupError> {
    match otlp.protocol {
        Protocol::HttpProtobuf => http_exporter(otlp),
        Protocol::Grpc => grpc_exporter(otlp),
    }
}

#[cfg(feature = "otlp-http")]
fn http_exporter(otlp: &OtlpConfig) -> Result<Exporters, SetupError> {
    use opentelemetry_otlp::{WithExportConfig as _, WithHttpConfig as _};
    let runtime = ExportRuntime::start("llmscope-otlp-http")?;
    let headers: HashMap<String, String> = otlp.headers.iter().cloned().collect();
    let client = {
        let _entered = runtime.enter();
        reqwest::Client::builder()
            .timeout(otlp.timeout)
            .build()
            .map_err(|e| SetupError::Exporter(e.to_string()))?
    };
    let cause = Arc::new(http_cause::LastCause::default());
    let spans = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(http_cause::CauseClient::new(
            client.clone(),
            Arc::clone(&cause),
            otlp.timeout,
        ))
        .with_endpoint(otlp.endpoint.clone())
        .with_timeout(otlp.timeout)
        .with_headers(headers.clone())
        .build()
        .map_err(|e| SetupError::Exporter(e.to_string()))?;
    let metrics = match &otlp.metrics_endpoint {
        Some(endpoint) => Some(MetricDestination::Http {
            runtime: Arc::clone(&runtime),
            exporter: opentelemetry_otlp::MetricExporter::builder()
                .with_http()
                .with_http_client(client)
                .with_endpoint(endpoint.clone())
                .with_timeout(otlp.timeout)
                .with_headers(headers)
                .build()
                .map_err(|e| SetupError::Exporter(e.to_string()))?,
        }),
        None => None,
    };
    Ok((
        Backend::Http {
            runtime,
            exporter: Arc::new(spans),
            endpoint: otlp.endpoint.clone(),
            cause,
        },
        metrics,
    ))
}

#[cfg(not(feature = "otlp-http"))]
fn http_exporter(_otlp: &OtlpConfig) -> Result<Exporters, SetupError> {
    Err(SetupError::FeatureDisabled {
        protocol: Protocol::HttpProtobuf,
        feature: "otlp-http",
    })
}

/// An HTTP client that remembers why the last request failed, so the export error can name
/// the cause (the OTLP exporter reports every network failure as "network error").
#[cfg(feature = "otlp-http")]
mod http_cause {
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::Mutex;
    use std::time::Duration;

    use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};

    /// The cause of the last failed request of one export call.
    #[derive(Debug, Default)]
    pub(crate) struct LastCause(Mutex<Option<String>>);

    impl LastCause {
        pub(crate) fn clear(&self) {
            *self.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }

        pub(crate) fn take(&self) -> Option<String> {
            self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
        }

        fn set(&self, cause: String) {
            *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(cause);
        }
    }

    #[derive(Debug)]
    pub(crate) struct CauseClient {
        inner: reqwest::Client,
        cause: std::sync::Arc<LastCause>,
        timeout: Duration,
    }

    impl CauseClient {
        pub(crate) fn new(
            inner: reqwest::Client,
            cause: std::sync::Arc<LastCause>,
            timeout: Duration,
        ) -> CauseClient {
            CauseClient {
                inner,
                cause,
                timeout,
            }
        }
    }

    // The trait is declared with `#[async_trait]`; this is what that expands to.
    impl HttpClient for CauseClient {
        fn send_bytes<'life0, 'async_trait>(
            &'life0 self,
            request: Request<Bytes>,
        ) -> Pin<Box<dyn Future<Output = Result<Response<Bytes>, HttpError>> + Send + 'async_trait>>
        where
            'life0: 'async_trait,
            Self: 'async_trait,
        {
            Box::pin(async move {
                match self.inner.send_bytes(request).await {
                    Ok(response) => {
                        if !response.status().is_success() {
                            let status = response.status();
                            let retry_after = response
                                .headers()
                                .get("retry-after")
                                .and_then(|v| v.to_str().ok())
                                .map(|v| format!(", Retry-After {v}"))
                                .unwrap_or_default();
                            self.cause.set(format!(
                                "HTTP status {}{}{retry_after}",
                                status.as_u16(),
                                status
                                    .canonical_reason()
                                    .map(|r| format!(" {r}"))
                                    .unwrap_or_default()
                            ));
                        }
                        Ok(response)
                    }
                    Err(error) => {
                        self.cause.set(classify(error.as_ref(), self.timeout));
                        Err(error)
                    }
                }
            })
        }
    }

    /// Connection refused, timed out, TLS, or the error chain as it is.
    pub(crate) fn classify(error: &(dyn std::error::Error + 'static), timeout: Duration) -> String {
        let mut chain = Vec::new();
        let mut refused = false;
        let mut lost = false;
        let mut timed_out = false;
        let mut current = Some(error);
        while let Some(e) = current {
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                use std::io::ErrorKind;
                refused |= io.kind() == ErrorKind::ConnectionRefused;
                lost |= matches!(
                    io.kind(),
                    ErrorKind::ConnectionReset
                        | ErrorKind::ConnectionAborted
                        | ErrorKind::BrokenPipe
                        | ErrorKind::UnexpectedEof
                );
                timed_out |= io.kind() == ErrorKind::TimedOut;
            }
            if let Some(r) = e.downcast_ref::<reqwest::Error>() {
                timed_out |= r.is_timeout();
            }
            let text = e.to_string();
            if chain.last() != Some(&text) {
                chain.push(text);
            }
            current = e.source();
        }
        let text = chain.join(": ");
        let lower = text.to_ascii_lowercase();
        if refused || lower.contains("connection refused") {
            "connection refused".to_owned()
        } else if lost || super::lost_connection(&lower) {
            format!("connection lost ({text})")
        } else if timed_out {
            format!("timed out after {timeout:?}")
        } else if ["tls", "certificate", "ssl", "handshake"]
            .iter()
            .any(|w| lower.contains(w))
        {
            format!("TLS error: {text}")
        } else {
            text
        }
    }
}

#[cfg(feature = "otlp-grpc")]
fn grpc_exporter(otlp: &OtlpConfig) -> Result<Exporters, SetupError> {
    use opentelemetry_otlp::{WithExportConfig as _, WithTonicConfig as _};
    // tonic needs a tokio reactor: the exporter gets a private one-worker runtime.
    let runtime = ExportRuntime::start("llmscope-otlp-grpc")?;
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
        Backend::Grpc {
            runtime: Arc::clone(&runtime),
            exporter: Arc::new(exporter),
            endpoint: otlp.endpoint.clone(),
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

#[cfg(all(test, feature = "otlp-grpc"))]
mod tests {
    use super::grpc_cause;
    use crate::export::FailureCause;

    #[test]
    fn a_connection_broken_under_a_grpc_call_is_named_lost_not_unknown() {
        // As tonic reports a call written to a connection the backend closed (seen when a
        // backend goes down between two exports).
        let message = "TonicTracesClient export failed with gRPC code: Unknown: transport error: \
                       connection error: stream closed because of a broken pipe";
        let cause = grpc_cause(message);
        assert_eq!(cause, format!("connection lost ({message})"));
        assert_eq!(
            FailureCause::of(&format!("export to http://127.0.0.1:4317 failed: {cause}")),
            FailureCause::ConnectionLost
        );
        // A refused connection and a status the backend sent keep their names.
        let refused = "TonicTracesClient export failed with gRPC code: Unavailable: \
                       tcp connect error: Connection refused (os error 111)";
        assert!(grpc_cause(refused).starts_with("connection refused"));
        let unknown = "TonicTracesClient export failed with gRPC code: Unknown: the backend failed";
        assert!(grpc_cause(unknown).starts_with("gRPC status 2 UNKNOWN"));
    }
}
