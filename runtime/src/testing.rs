//! An in-memory setup for tests: a provider local to the test, and its finished spans.
//!
//! Compiled only with the `testing` feature, meant for a `[dev-dependencies]` entry:
//! `llmscope = { version = "…", features = ["testing"] }`.

use opentelemetry::Context;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};

use crate::sampling::{SampledProvider, Sampler};

/// A tracer provider that keeps finished spans in memory, scoped to the caller (no globals).
///
/// # Examples
///
/// ```
/// let telemetry = llmscope::testing::TestTelemetry::new();
/// {
///     let _guard = telemetry.context().attach();
///     // annotated calls made here record into `telemetry`
/// }
/// assert!(telemetry.spans().is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct TestTelemetry {
    provider: SdkTracerProvider,
    exporter: InMemorySpanExporter,
    /// The same provider with its sampler, when built by [`Self::with_sampler`].
    sampler: Option<SampledProvider>,
}

impl Default for TestTelemetry {
    fn default() -> Self {
        Self::new()
    }
}

impl TestTelemetry {
    /// A provider with the SDK's in-memory exporter behind a simple (synchronous) processor.
    pub fn new() -> Self {
        Self::with_builder(SdkTracerProvider::builder())
    }

    /// The same, from a provider builder you configured (sampler, resource, limits).
    pub fn with_builder(builder: opentelemetry_sdk::trace::TracerProviderBuilder) -> Self {
        let exporter = InMemorySpanExporter::default();
        let provider = builder.with_simple_exporter(exporter.clone()).build();
        TestTelemetry {
            provider,
            exporter,
            sampler: None,
        }
    }

    /// A provider built with `sampler` ([`Sampler::build`]), so llmscope decides sampling
    /// first, as [`crate::init`] sets it up.
    ///
    /// ```
    /// use llmscope::{sampling::Sampler, testing::TestTelemetry};
    ///
    /// let telemetry = TestTelemetry::with_sampler(Sampler::always_off());
    /// let _guard = telemetry.context().attach();
    /// ```
    pub fn with_sampler(sampler: Sampler) -> Self {
        let exporter = InMemorySpanExporter::default();
        let sampled =
            sampler.build(SdkTracerProvider::builder().with_simple_exporter(exporter.clone()));
        TestTelemetry {
            provider: sampled.provider().clone(),
            exporter,
            sampler: Some(sampled),
        }
    }

    /// The provider, e.g. to build a tracing-opentelemetry layer on it.
    pub fn provider(&self) -> &SdkTracerProvider {
        &self.provider
    }

    /// The current context with this provider as llmscope's destination (see [`crate::scoped`]).
    pub fn context(&self) -> Context {
        match &self.sampler {
            Some(sampled) => crate::scoped(sampled),
            None => crate::scoped(&self.provider),
        }
    }

    /// Every span finished so far, in the order they ended.
    pub fn spans(&self) -> Vec<SpanData> {
        let _ = self.provider.force_flush();
        self.exporter
            .get_finished_spans()
            .expect("the in-memory exporter is not shut down")
    }

    /// The one finished span named `name`.
    ///
    /// # Panics
    ///
    /// Panics if there is no such span or more than one, listing the spans there are.
    pub fn span(&self, name: &str) -> SpanData {
        let spans = self.spans();
        let mut matching = spans.iter().filter(|span| span.name == name);
        match (matching.next(), matching.next()) {
            (Some(span), None) => span.clone(),
            (None, _) => panic!(
                "no span named `{name}`; finished spans: {:?}",
                spans.iter().map(|span| &span.name).collect::<Vec<_>>()
            ),
            (Some(_), Some(_)) => panic!("more than one span named `{name}`"),
        }
    }
}

/// The value of attribute `key` on `span`.
pub fn attribute<'a>(span: &'a SpanData, key: &str) -> Option<&'a opentelemetry::Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}
