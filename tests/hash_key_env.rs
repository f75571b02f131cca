//! `LLMSCOPE_HASH_KEY` set in the process environment (its own test binary: the variable and
//! the capture policy are per process). Every way of building a policy uses the variable's key
//! unless one is given explicitly, and the span `init()` exports carries the HMAC-SHA256 of
//! the content under that key, computed here independently.

#[path = "support/hash_key.rs"]
mod hash_key;
mod support;

use hash_key::{bytes_of_hex, expected_digest, input_messages_json, lock, proto_string, PROMPT};
use llmscope::capture::{CaptureMode, CapturePolicy, HashKeySource};
use llmscope::redact::ContentHasher;
use llmscope::Telemetry;

/// The deployment key of this process, as `openssl rand -hex 32` would print one.
const ENV_KEY_HEX: &str = "5f1c0a9e3b7d4e2f8a6c1b0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f";

fn set_variable() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // Set before any test reads the environment; every test holds `lock()` meanwhile.
    ONCE.call_once(|| std::env::set_var("LLMSCOPE_HASH_KEY", ENV_KEY_HEX));
}

#[derive(llmscope::Usage)]
struct Reply {
    #[usage(output_tokens)]
    tokens: u32,
}

#[llmscope::llm_call(provider = "openai", model = "hashed", prompt = prompt, capture = hash)]
fn hashed(prompt: &str) -> Reply {
    Reply { tokens: 1 }
}

#[llmscope::llm_call(provider = "openai", model = "full", prompt = prompt, capture = full)]
fn full(prompt: &str) -> Reply {
    Reply { tokens: 1 }
}

#[test]
fn the_builder_and_the_env_policy_use_the_variable_and_an_explicit_key_wins() {
    let _lock = lock();
    set_variable();
    let env_key = bytes_of_hex(ENV_KEY_HEX);

    let built = CapturePolicy::builder()
        .with_mode(CaptureMode::Hash)
        .build()
        .expect("the variable holds a valid key");
    assert_eq!(built.hash_key_source(), Some(HashKeySource::Environment));
    assert_eq!(
        built.hasher().unwrap().hash(PROMPT),
        expected_digest(&env_key, PROMPT)
    );

    let from_env = CapturePolicy::from_env().unwrap();
    assert_eq!(from_env.hash_key_source(), Some(HashKeySource::Environment));
    assert_eq!(
        from_env.hasher().unwrap().hash(PROMPT),
        expected_digest(&env_key, PROMPT)
    );

    // Explicit beats the variable.
    let explicit_key = b"explicit deployment key, 32 byte";
    let explicit = CapturePolicy::builder()
        .with_hasher(ContentHasher::new(explicit_key))
        .build()
        .unwrap();
    assert_eq!(explicit.hash_key_source(), Some(HashKeySource::Explicit));
    let digest = explicit.hasher().unwrap().hash(PROMPT);
    assert_eq!(digest, expected_digest(explicit_key, PROMPT));
    assert_ne!(digest, expected_digest(&env_key, PROMPT));
}

#[test]
fn init_exports_the_hmac_of_the_content_under_the_variable_key() {
    let _lock = lock();
    set_variable();
    let dir = std::env::temp_dir().join(format!("llmscope-hash-env-{}", std::process::id()));
    let path = dir.join("traces.jsonl");
    let guard = Telemetry::builder()
        .with_terminal(false)
        .with_jsonl_path(Some(path.clone()))
        .init()
        .expect("init with a valid LLMSCOPE_HASH_KEY");
    assert_eq!(
        llmscope::capture_policy().hash_key_source(),
        Some(HashKeySource::Environment),
        "init installs the policy read from the environment"
    );
    hashed(PROMPT);
    full(PROMPT);
    drop(guard);

    let spans = support::jsonl_spans(&path);
    let span = |name: &str| {
        spans
            .iter()
            .find(|span| span.name == name)
            .unwrap_or_else(|| panic!("no span {name}"))
    };
    // What was hashed: the semconv JSON of the prompt, as the full-mode call exports it and as
    // written by hand here.
    let json = proto_string(span("chat full"), "gen_ai.input.messages").unwrap();
    assert_eq!(json, input_messages_json(PROMPT));
    let exported = proto_string(span("chat hashed"), "llmscope.input.hash").unwrap();
    assert_eq!(exported, expected_digest(&bytes_of_hex(ENV_KEY_HEX), &json));
    assert_eq!(
        proto_string(span("chat hashed"), "gen_ai.input.messages"),
        None,
        "hash mode never exports the content"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
