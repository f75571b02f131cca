//! Span exporters that need no server (a terminal tree and a JSONL file), the bounded batch
//! processor that feeds every exporter, and the attribute mapping for other conventions.
//!
//! - [`TerminalExporter`] prints each finished trace as an indented tree with durations, token
//!   counts and cost. It is the embedded default of the quickstart.
//! - [`JsonlExporter`] appends one OTLP/JSON `ExportTraceServiceRequest` per line to a file,
//!   rotating it by size. [`read_jsonl`] reads such a file back; it is what the viewer reads.
//!
//! - [`BatchProcessor`] queues ended spans (bounded, drops counted) for one export thread.
//! - [`SemconvExporter`] adds OpenInference or pre-1.37 attributes before export.
//!
//! The exporters implement [`opentelemetry_sdk::trace::SpanExporter`] and plug into any
//! [`SdkTracerProvider`](opentelemetry_sdk::trace::SdkTracerProvider).

mod batch;
mod cause;
mod fanout;
mod jsonl;
mod semconv_map;
mod short_slice;
mod terminal;

/// The OTLP message types of what [`read_jsonl`] returns, named so a reader can walk them
/// (opentelemetry-proto 0.33, `tonic` message types): request → resource spans → scope spans →
/// [`Span`](otlp::Span) → attributes.
pub mod otlp {
    pub use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    pub use opentelemetry_proto::tonic::common::v1::{
        any_value, AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList,
    };
    pub use opentelemetry_proto::tonic::resource::v1::Resource;
    pub use opentelemetry_proto::tonic::trace::v1::{
        span, ResourceSpans, ScopeSpans, Span, Status,
    };
}
/// One line of a JSONL trace file, as [`read_jsonl`] returns it.
pub use otlp::ExportTraceServiceRequest;

pub use batch::{dropped_spans, BatchProcessor, BatchProcessorBuilder, ExportStats};
#[cfg(feature = "otlp-grpc")]
pub(crate) use cause::grpc_status;
pub use cause::FailureCause;
pub(crate) use fanout::FanOut;
pub use semconv_map::{SemconvExporter, SemconvOptions};

#[cfg(all(test, feature = "tower"))]
pub(crate) use batch::block_on as block_on_for_tests;

pub use jsonl::{read_jsonl, JsonlError, JsonlExporter, JsonlExporterBuilder};
pub use terminal::{TerminalExporter, TerminalExporterBuilder};
