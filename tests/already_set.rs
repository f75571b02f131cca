//! One convention for process-wide settings that can be set once: each setter returns
//! `llmscope::AlreadySet<T>` carrying the rejected value back, with a message naming the setting.

use llmscope::opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use llmscope::pricing::{ModelPrices, PriceRegistry, PriceRegistryBuilder};
use llmscope::{AlreadySet, CaptureMode, CapturePolicy};

#[test]
fn every_once_only_setting_gives_the_rejected_value_back() {
    let first = SdkTracerProvider::builder()
        .with_simple_exporter(InMemorySpanExporter::default())
        .build();
    llmscope::install(&first).expect("first install");
    let second = SdkTracerProvider::builder().build();
    let error: AlreadySet<SdkTracerProvider> = llmscope::install(&second).unwrap_err();
    assert_eq!(
        error.to_string(),
        "an llmscope tracer provider is already set for this process; use `llmscope::scoped` \
         to record into another provider for part of the program"
    );

    let policy = CapturePolicy::builder()
        .with_mode(CaptureMode::Full)
        .build()
        .expect("valid policy");
    llmscope::set_capture_policy(policy).expect("first policy");
    let again = CapturePolicy::builder()
        .with_mode(CaptureMode::Redacted)
        .build()
        .expect("valid policy");
    let error = llmscope::set_capture_policy(again).unwrap_err();
    assert!(error
        .to_string()
        .starts_with("an llmscope capture policy is already set"));
    // The first policy stays; the rejected one comes back unchanged.
    assert_eq!(llmscope::capture_policy().mode(), CaptureMode::Full);
    assert_eq!(error.into_rejected().mode(), CaptureMode::Redacted);

    let prices = ModelPrices::per_token(0.000_002, 0.000_008).expect("valid prices");
    let registry = PriceRegistryBuilder::empty()
        .with_price("first-model", prices.clone())
        .build();
    llmscope::set_price_registry(registry).expect("first registry");
    let other = PriceRegistryBuilder::empty()
        .with_price("second-model", prices.clone())
        .with_price("third-model", prices)
        .build();
    let error = llmscope::set_price_registry(other).unwrap_err();
    assert!(error
        .to_string()
        .starts_with("an llmscope price registry is already set"));
    // The registry in use is the first (one entry); the two-entry one comes back.
    assert_eq!(llmscope::price_registry().len(), 1);
    let rejected: PriceRegistry = error.into_rejected();
    assert_eq!(rejected.len(), 2);
}
