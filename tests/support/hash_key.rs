#![allow(dead_code)] // each hash-key test binary uses a part of it
//! Shared by the hash-key test binaries (one per `LLMSCOPE_HASH_KEY` scenario, since the
//! variable and the capture policy are per process).

use std::sync::{Mutex, MutexGuard};

use hmac::{Hmac, Mac};
use llmscope::export::otlp::any_value;
use llmscope::export::otlp::Span;
use sha2::Sha256;

/// The prompt every scenario hashes.
pub(crate) const PROMPT: &str = "What is the balance of account 4471?";

/// Serialises the tests of one binary: they read (and the first one sets) the process
/// environment, and share the process-wide capture policy.
pub(crate) fn lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poison| poison.into_inner())
}

/// HMAC-SHA256 of `text` under `key`, in llmscope's digest format, computed here with the
/// `hmac` and `sha2` crates directly (not through llmscope).
pub(crate) fn expected_digest(key: &[u8], text: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
    mac.update(text.as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("hmac-sha256:{hex}")
}

/// Decodes hex digits (the test keys).
pub(crate) fn bytes_of_hex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&hex[at..at + 2], 16).unwrap())
        .collect()
}

/// The string attribute `key` of an exported (OTLP) span.
pub(crate) fn proto_string(span: &Span, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|value| match &value.value {
            Some(any_value::Value::StringValue(text)) => Some(text.clone()),
            _ => None,
        })
}

/// The semconv JSON of one user message holding `text`: what `hash` mode hashes, built here
/// with `serde_json` (compact, keys in sorted order, as llmscope renders it).
pub(crate) fn input_messages_json(text: &str) -> String {
    // Keys in the order of the semconv message schema, as llmscope writes them.
    format!(
        r#"[{{"role":"user","parts":[{{"type":"text","content":{}}}]}}]"#,
        serde_json::to_string(text).unwrap()
    )
}
