//! One-line setup: a tracer provider and a meter provider from the standard `OTEL_*`
//! environment variables, with the embedded terminal + JSONL default when none is set.
//!
//! Which door is for whom:
//!
//! - [`init()`](crate::init): most applications. Reads `OTEL_*`, installs everything, returns
//!   a guard to keep alive.
//! - [`Telemetry::builder()`]: the same with values set in code (`with_*` overrides the
//!   corresponding variable); `build()` instead of `init()` builds without installing (tests).
//!   The sampler is given once (`with_sampler`): the builder configures the provider with it
//!   and tells llmscope.
//! - [`install`](crate::install): applications that build their own `SdkTracerProvider`. Build
//!   it with [`Sampler::build`](crate::Sampler::build) (the sampler is given once) and llmscope
//!   decides first, so a dropped call builds nothing; a provider built any other way is accepted
//!   too, and the SDK decides on every built span.
//! - [`scoped`](crate::scoped): the same, for part of the program (tests, a second pipeline).
//!
//! [`Telemetry::tracer_provider`] returns the built provider with its sampler, ready for
//! [`scoped`](crate::scoped).
//!
//! Each process-wide setting is set once; a second attempt returns
//! [`AlreadySet`](crate::AlreadySet) with the rejected value.
//!
//! # Files
//!
//! - `builder.rs`: [`TelemetryBuilder`] and the resolution of its values over the variables;
//! - `env.rs`: reading and parsing the `OTEL_*` variables (every error names the variable);
//! - `config.rs`: the resolved [`Config`] and building the providers from it;
//! - `guard.rs`: [`Telemetry`], flush and the bounded shutdown;
//! - `otlp.rs`: the OTLP transports (HTTP and gRPC);
//! - `error.rs`: [`SetupError`] and [`ExportError`].

mod builder;
mod config;
mod env;
mod error;
mod guard;
mod otlp;

pub use builder::{init, TelemetryBuilder};
pub use config::{Config, OtlpConfig};
pub use error::{ExportError, ExportReport, SetupError};
pub use guard::Telemetry;

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
