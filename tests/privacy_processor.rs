//! Privacy by construction (issue 15): a span processor the application installs through the
//! public builder, inspecting every attribute, event, status and name of every span in
//! `on_start` and `on_end`, never sees a planted secret unredacted — raw, JSON-escaped once or
//! twice — although the caller hands the application's values over unprocessed and llmscope
//! redacts them later, on its processing thread (`llmscope::init()` installs the pipeline that
//! way); and the same with a provider whose calls are processed on the caller's thread, which
//! redacts the application's attributes as the call is described.
//!
//! Secrets of every built-in kind enter through every place the application's data can enter:
//! the prompt, a string attribute of the application (`attrs(custom(…) = …)`, redacted when the
//! call is processed), a string set at run time as `feature`, an error message, tool-call
//! arguments. The same processor must see the text around each secret (so it does look at the
//! values) and the redaction marker in its place.
//!
//! Its own test binary: `init()` installs the process-wide pipeline once.

#[path = "../runtime/tests/support/secrets.rs"]
mod secrets;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use llmscope::opentelemetry::trace::Status;
use llmscope::opentelemetry::{Array, Context, KeyValue, Value};
use llmscope::opentelemetry_sdk::error::OTelSdkResult;
use llmscope::opentelemetry_sdk::trace::{Span, SpanData, SpanProcessor};
use llmscope::redact::Detector;
use llmscope::setup::Telemetry;
use secrets::{secret, Rng};

/// Every text the processor was shown, and how many spans it saw start and end.
#[derive(Debug, Default)]
struct Seen {
    texts: Vec<String>,
    started: usize,
    ended: usize,
}

/// The application's processor: it copies every piece of text a span carries.
#[derive(Debug, Clone, Default)]
struct Inspector(Arc<Mutex<Seen>>);

fn value_texts(value: &Value, texts: &mut Vec<String>) {
    match value {
        Value::String(text) => texts.push(text.as_str().to_owned()),
        Value::Array(Array::String(items)) => {
            texts.extend(items.iter().map(|item| item.as_str().to_owned()))
        }
        other => texts.push(other.to_string()),
    }
}

fn attribute_texts(attributes: &[KeyValue], texts: &mut Vec<String>) {
    for attribute in attributes {
        texts.push(attribute.key.as_str().to_owned());
        value_texts(&attribute.value, texts);
    }
}

fn span_texts(span: &SpanData, texts: &mut Vec<String>) {
    texts.push(span.name.to_string());
    attribute_texts(&span.attributes, texts);
    for event in span.events.iter() {
        texts.push(event.name.to_string());
        attribute_texts(&event.attributes, texts);
    }
    for link in span.links.iter() {
        attribute_texts(&link.attributes, texts);
    }
    if let Status::Error { description } = &span.status {
        texts.push(description.to_string());
    }
}

impl SpanProcessor for Inspector {
    fn on_start(&self, span: &mut Span, _cx: &Context) {
        let mut seen = self.0.lock().unwrap();
        seen.started += 1;
        if let Some(data) = span.exported_data() {
            span_texts(&data, &mut seen.texts);
        }
    }

    fn on_end(&self, span: SpanData) {
        let mut seen = self.0.lock().unwrap();
        seen.ended += 1;
        span_texts(&span, &mut seen.texts);
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}

#[derive(llmscope::Usage)]
struct Reply {
    #[usage(input_tokens)]
    input_tokens: u32,
    #[usage(output_tokens)]
    output_tokens: u32,
}

fn reply() -> Reply {
    Reply {
        input_tokens: 120,
        output_tokens: 8,
    }
}

#[derive(Debug)]
struct ApiError(String);

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o", prompt = prompt, feature = feature,
    capture = redacted, attrs(custom("app.note") = note))]
fn chat(prompt: &str, note: &str, feature: &str) -> Reply {
    reply()
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini", capture = redacted)]
fn failing(message: &str) -> Result<Reply, ApiError> {
    Err(ApiError(message.to_owned()))
}

#[llmscope::tool(name = "lookup", arguments = arguments, capture = redacted)]
fn lookup(arguments: &str) -> String {
    "found".to_owned()
}

/// The forms a secret can take in what a processor is shown: as it is, and JSON-escaped once
/// and twice (content is JSON text; JSON inside JSON).
fn forms(secret: &str) -> Vec<String> {
    let once = serde_json::to_string(secret).unwrap();
    let twice = serde_json::to_string(&once).unwrap();
    vec![
        secret.to_owned(),
        once[1..once.len() - 1].to_owned(),
        twice[1..twice.len() - 1].to_owned(),
    ]
}

#[test]
fn a_users_span_processor_never_sees_unredacted_values() {
    let inspector = Inspector::default();
    let guard = Telemetry::builder()
        .with_env(Vec::<(String, String)>::new())
        .with_terminal(false)
        .with_jsonl_path(None)
        .with_span_processor(inspector.clone())
        .init()
        .expect("init");
    plant_secrets_and_check(&inspector, || {
        guard.flush().expect("flush");
    });
    guard.shutdown().expect("shutdown");
}

/// The same with a provider whose calls are processed on the caller's thread (not
/// `.deferred()`): there the application's text is redacted as the call is described, before
/// the body runs, instead of when the call ends.
#[test]
fn calls_processed_on_the_callers_thread_show_a_users_processor_only_redacted_values() {
    let inspector = Inspector::default();
    let provider = llmscope::Sampler::default_sampler().build(
        llmscope::opentelemetry_sdk::trace::SdkTracerProvider::builder()
            .with_span_processor(inspector.clone()),
    );
    assert!(!provider.is_deferred());
    let _scope = llmscope::scoped(&provider).attach();
    plant_secrets_and_check(&inspector, || {});
}

/// Plants secrets of every kind in every place, ten calls each, then (after `flush`) checks
/// what `inspector` saw: the text around each secret, and no secret in any form.
fn plant_secrets_and_check(inspector: &Inspector, flush: impl FnOnce()) {
    let mut rng = Rng(0x5EC2_E75A_FE00_0015);
    let mut planted = Vec::new();
    let mut calls = 0;
    for (round, kind) in Detector::ALL.iter().cycle().take(64).enumerate() {
        let mut plant = |place: &str| {
            let value = secret(&mut rng, *kind);
            let text = format!("{place} {round} says: {value} (end)");
            planted.push((*kind, value));
            text
        };
        let prompt = plant("prompt");
        let note = plant("note");
        let feature = plant("feature");
        // Ten times: from the third time on, the processing thread (or the caller's) answers
        // the short values from what redaction made of them the second time (it remembers,
        // per thread, a value seen twice), and the tenth from the copy it keeps for the life
        // of the process (a value that keeps coming back); it must hand the processor the
        // same redacted text every time.
        for _ in 0..10 {
            chat(&prompt, &note, &feature);
        }
        let message = plant("error");
        assert!(failing(&message).is_err());
        let arguments = serde_json::json!({ "query": plant("arguments"), "n": 1 }).to_string();
        lookup(&arguments);
        calls += 12;
    }
    flush();

    let seen = inspector.0.lock().unwrap();
    // The processor saw every span start and end, and the values around each secret.
    assert_eq!(seen.started, calls, "spans started");
    assert_eq!(seen.ended, calls, "spans ended");
    let all = seen.texts.join("\n");
    // Each value as the processor saw it: the text around the secret, and a placeholder
    // (`[EMAIL]`, `[PAYMENT_CARD]`, …) where the secret was.
    for place in ["prompt", "note", "feature", "error", "arguments"] {
        for round in [0, 31, 63] {
            let seen_text = format!("{place} {round} says: [");
            assert!(
                all.contains(&seen_text),
                "the processor never saw `{seen_text}…` (value missing, or not redacted)"
            );
        }
    }
    // No secret, in any form.
    let mut leaks = Vec::new();
    for (kind, secret) in &planted {
        for form in forms(secret) {
            if all.contains(&form) {
                leaks.push(format!("{kind:?}: {form}"));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "{} of {} secrets reached the application's processor: {leaks:#?}",
        leaks.len(),
        planted.len()
    );
}
