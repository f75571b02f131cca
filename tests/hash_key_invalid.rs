//! `LLMSCOPE_HASH_KEY` set to something that is not a key (its own test binary: the variable
//! and the capture policy are per process). Every way of setting up fails naming the variable;
//! none falls back to a random key; an explicit key still works.

#[path = "support/hash_key.rs"]
mod hash_key;

use hash_key::{expected_digest, lock, PROMPT};
use llmscope::capture::{CaptureError, CapturePolicy, HashKeySource};
use llmscope::redact::ContentHasher;
use llmscope::testing::{attribute, TestTelemetry};
use llmscope::{SetupError, Telemetry};

/// Not hex: the kind of value a copy-paste slip leaves behind.
const INVALID: &str = "my-secret-key";

fn set_variable() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::env::set_var("LLMSCOPE_HASH_KEY", INVALID));
}

const EXPECTED_MESSAGE: &str =
    "invalid hash key in `LLMSCOPE_HASH_KEY`: expected hex digits, found `m` at offset 0";

#[test]
fn the_builder_and_the_env_policy_fail_naming_the_variable() {
    let _lock = lock();
    set_variable();
    let error = CapturePolicy::builder().build().unwrap_err();
    assert!(
        matches!(error, CaptureError::InvalidHashKey(_)),
        "{error:?}"
    );
    assert_eq!(error.to_string(), EXPECTED_MESSAGE);
    let error = CapturePolicy::from_env().unwrap_err();
    assert_eq!(error.to_string(), EXPECTED_MESSAGE);
}

#[test]
fn an_explicit_key_does_not_read_the_variable() {
    let _lock = lock();
    set_variable();
    let key = b"explicit deployment key, 32 byte";
    let policy = CapturePolicy::builder()
        .with_hasher(ContentHasher::new(key))
        .build()
        .expect("an explicit key wins over the invalid variable");
    assert_eq!(policy.hash_key_source(), Some(HashKeySource::Explicit));
    assert_eq!(
        policy.hasher().unwrap().hash(PROMPT),
        expected_digest(key, PROMPT)
    );
}

#[test]
fn init_is_a_setup_error_naming_the_variable() {
    let _lock = lock();
    set_variable();
    let error = Telemetry::builder()
        .with_terminal(false)
        .with_jsonl_path(None)
        .init()
        .unwrap_err();
    assert!(matches!(error, SetupError::Capture(_)), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!("invalid content capture setting: {EXPECTED_MESSAGE}")
    );
    assert!(!llmscope::is_installed(), "nothing installed on error");

    // The same from variables given to the builder.
    let error = Telemetry::builder()
        .with_env([("LLMSCOPE_HASH_KEY", "00112233")])
        .with_terminal(false)
        .with_jsonl_path(None)
        .build()
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid content capture setting: invalid hash key in `LLMSCOPE_HASH_KEY`: the key has \
         4 bytes; expected at least 16 (generate one with `openssl rand -hex 32`)"
    );
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

#[test]
fn without_setup_hash_mode_exports_no_hash_rather_than_one_under_a_random_key() {
    let _lock = lock();
    set_variable();
    // No policy was set (`init` failed): the process policy is read from the environment on
    // first use, where the invalid key can only be warned about.
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        hashed(PROMPT);
    }
    let span = telemetry.span("chat hashed");
    assert_eq!(llmscope::capture_policy().hash_key_source(), None);
    assert!(attribute(&span, "llmscope.input.hash").is_none());
    assert!(attribute(&span, "gen_ai.input.messages").is_none());
    assert!(
        attribute(&span, "gen_ai.usage.output_tokens").is_some(),
        "the call is still recorded"
    );
}
