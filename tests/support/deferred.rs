//! A deferred provider, as `llmscope::init()` builds it, for tests of the deferred path.

use llmscope::opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use llmscope::Sampler;

/// A deferred provider (default sampler, processed on llmscope's processing thread) into an
/// in-memory exporter, through the SDK's simple processor.
pub(crate) fn deferred_provider() -> (llmscope::SampledProvider, InMemorySpanExporter) {
    let exporter = InMemorySpanExporter::default();
    let provider = Sampler::default_sampler()
        .build(SdkTracerProvider::builder().with_simple_exporter(exporter.clone()))
        .deferred();
    (provider, exporter)
}
