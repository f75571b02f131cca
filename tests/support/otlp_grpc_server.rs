//! A fake OTLP/gRPC backend on 127.0.0.1 (tonic, the collector's `TraceService` and
//! `MetricsService`) that can accept, answer a gRPC status (`UNAVAILABLE`,
//! `RESOURCE_EXHAUSTED` with or without `RetryInfo`, `INVALID_ARGUMENT`, …), hang, and go down
//! and come back on the same port, switched at run time; it counts what it saw.

// Each test binary that includes this file uses a part of it.
#![allow(dead_code)]

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use tonic::{Code, Request, Response, Status};
use tonic_types::{ErrorDetails, StatusExt as _};

/// How the backend answers the next trace exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GrpcMode {
    /// `OK`.
    Accept,
    /// This status; with a `RetryInfo` detail asking for this delay when `retry_after` is set.
    Status {
        code: Code,
        retry_after: Option<Duration>,
    },
    /// Never answers, until the client cancels the call.
    Hang,
}

#[derive(Default)]
struct State {
    mode: Mutex<Option<GrpcMode>>,
    /// Trace export calls received, whatever the answer.
    requests: AtomicUsize,
    /// Trace export calls answered `OK`.
    accepted: AtomicUsize,
    /// The names of the spans of accepted calls.
    span_names: Mutex<Vec<String>>,
    /// Hung calls the client cancelled (the call's future dropped while the server is up).
    cancelled_by_client: AtomicUsize,
    /// Set while the server goes down: calls dropped then were not cancelled by the client.
    going_down: AtomicBool,
}

struct Traces(Arc<State>);

/// Alive while a call hangs; counts the call as cancelled when dropped by the server (the
/// client reset the stream or closed the connection).
struct Hung(Arc<State>);

impl Drop for Hung {
    fn drop(&mut self) {
        if !self.0.going_down.load(Ordering::SeqCst) {
            self.0.cancelled_by_client.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[tonic::async_trait]
impl TraceService for Traces {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let state = &self.0;
        state.requests.fetch_add(1, Ordering::SeqCst);
        let mode = state.mode.lock().unwrap().unwrap_or(GrpcMode::Accept);
        match mode {
            GrpcMode::Accept => {
                let names = request
                    .into_inner()
                    .resource_spans
                    .into_iter()
                    .flat_map(|r| r.scope_spans)
                    .flat_map(|s| s.spans)
                    .map(|span| span.name);
                state.span_names.lock().unwrap().extend(names);
                state.accepted.fetch_add(1, Ordering::SeqCst);
                Ok(Response::new(ExportTraceServiceResponse {
                    partial_success: None,
                }))
            }
            GrpcMode::Status { code, retry_after } => Err(match retry_after {
                Some(delay) => Status::with_error_details(
                    code,
                    "fake backend",
                    ErrorDetails::with_retry_info(Some(delay)),
                ),
                None => Status::new(code, "fake backend"),
            }),
            GrpcMode::Hang => {
                let _hung = Hung(Arc::clone(state));
                std::future::pending::<()>().await;
                unreachable!("a pending future never completes")
            }
        }
    }
}

/// Accepts every metrics export, so the exporter's metrics do not add failures to the traces'.
struct Metrics;

#[tonic::async_trait]
impl MetricsService for Metrics {
    async fn export(
        &self,
        _request: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        Ok(Response::new(ExportMetricsServiceResponse {
            partial_success: None,
        }))
    }
}

/// The running backend; goes down when dropped.
pub(crate) struct FakeOtlpGrpc {
    pub(crate) port: u16,
    state: Arc<State>,
    server: Mutex<Option<tokio::runtime::Runtime>>,
}

impl FakeOtlpGrpc {
    pub(crate) fn start(mode: GrpcMode) -> FakeOtlpGrpc {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State::default());
        *state.mode.lock().unwrap() = Some(mode);
        let server = serve(listener, Arc::clone(&state));
        FakeOtlpGrpc {
            port,
            state,
            server: Mutex::new(Some(server)),
        }
    }

    /// The endpoint, as `OTEL_EXPORTER_OTLP_ENDPOINT` takes it.
    pub(crate) fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub(crate) fn set_mode(&self, mode: GrpcMode) {
        *self.state.mode.lock().unwrap() = Some(mode);
    }

    /// Stops serving and closes every connection: the port refuses connections.
    pub(crate) fn go_down(&self) {
        if let Some(server) = self.server.lock().unwrap().take() {
            self.state.going_down.store(true, Ordering::SeqCst);
            server.shutdown_timeout(Duration::from_secs(2));
            self.state.going_down.store(false, Ordering::SeqCst);
        }
    }

    /// Serves again on the same port.
    pub(crate) fn come_back(&self) {
        let mut server = self.server.lock().unwrap();
        if server.is_none() {
            let listener = TcpListener::bind(("127.0.0.1", self.port)).unwrap();
            *server = Some(serve(listener, Arc::clone(&self.state)));
        }
    }

    /// Trace export calls received, whatever the answer.
    pub(crate) fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// Trace export calls answered `OK`.
    pub(crate) fn accepted(&self) -> usize {
        self.state.accepted.load(Ordering::SeqCst)
    }

    /// Spans received in accepted calls with this name.
    pub(crate) fn spans_named(&self, name: &str) -> usize {
        self.state
            .span_names
            .lock()
            .unwrap()
            .iter()
            .filter(|n| *n == name)
            .count()
    }

    /// Hung calls the client cancelled.
    pub(crate) fn cancelled_by_client(&self) -> usize {
        self.state.cancelled_by_client.load(Ordering::SeqCst)
    }
}

impl Drop for FakeOtlpGrpc {
    fn drop(&mut self) {
        self.go_down();
    }
}

fn serve(listener: TcpListener, state: Arc<State>) -> tokio::runtime::Runtime {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("fake-otlp-grpc")
        .enable_all()
        .build()
        .unwrap();
    listener.set_nonblocking(true).unwrap();
    runtime.spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(Traces(state)))
            .add_service(MetricsServiceServer::new(Metrics))
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener))
            .await
            .unwrap();
    });
    runtime
}
