//! No hash key anywhere (its own test binary: the variable and the capture policy are per
//! process). Each policy then gets its own random key from the operating system, so two
//! policies, and two processes, hash the same content differently; the first hash made under
//! such a key is reported once through `tracing`.

#[path = "support/hash_key.rs"]
mod hash_key;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use hash_key::{input_messages_json, lock, PROMPT};
use llmscope::capture::{CaptureMode, CapturePolicy, HashKeySource};
use llmscope::testing::{attribute, TestTelemetry};
use tracing_subscriber::layer::SubscriberExt as _;

/// Set in the child processes of `two_processes_hash_the_same_content_differently`.
const CHILD: &str = "LLMSCOPE_TEST_PRINT_HASH";

fn unset_variable() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::env::remove_var("LLMSCOPE_HASH_KEY"));
}

/// Counts `tracing` warnings that mention `LLMSCOPE_HASH_KEY`.
struct Warnings(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Warnings {
    fn on_event(&self, event: &tracing::Event<'_>, _cx: tracing_subscriber::layer::Context<'_, S>) {
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                use std::fmt::Write as _;
                let _ = write!(self.0, "{}={value:?} ", field.name());
            }
        }
        if *event.metadata().level() != tracing::Level::WARN {
            return;
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        if message.0.contains("LLMSCOPE_HASH_KEY") && message.0.contains("not be comparable") {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
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

fn hash_of(policy: &CapturePolicy) -> String {
    policy.hasher().expect("a key").hash(PROMPT)
}

#[test]
fn each_policy_gets_its_own_random_key() {
    let _lock = lock();
    unset_variable();
    let first = CapturePolicy::builder().build().unwrap();
    let second = CapturePolicy::builder().build().unwrap();
    let from_env = CapturePolicy::from_env().unwrap();
    for policy in [&first, &second, &from_env] {
        assert_eq!(policy.hash_key_source(), Some(HashKeySource::Random));
    }
    assert_ne!(hash_of(&first), hash_of(&second));
    assert_ne!(hash_of(&first), hash_of(&from_env));
    assert_eq!(
        hash_of(&first),
        hash_of(&first.clone()),
        "stable within a policy"
    );
}

#[test]
fn hashes_compare_within_the_process_and_the_random_key_is_reported_once() {
    let _lock = lock();
    unset_variable();
    let warnings = Arc::new(AtomicUsize::new(0));
    let subscriber = tracing_subscriber::registry().with(Warnings(warnings.clone()));
    let _subscriber = tracing::subscriber::set_default(subscriber);
    let policy = CapturePolicy::builder()
        .with_mode(CaptureMode::Hash)
        .build()
        .unwrap();
    let expected = policy.hasher().unwrap().hash(&input_messages_json(PROMPT));
    llmscope::set_capture_policy(policy).expect("the only policy this process sets");
    assert_eq!(
        warnings.load(Ordering::Relaxed),
        0,
        "no warning before anything is hashed"
    );

    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        for _ in 0..3 {
            hashed(PROMPT);
        }
    }
    let spans = telemetry.spans();
    assert_eq!(spans.len(), 3);
    for span in &spans {
        // The installed policy's random key, the same for every call of the process.
        let hash = attribute(span, "llmscope.input.hash").unwrap().as_str();
        assert_eq!(hash, expected.as_str());
    }
    assert_eq!(warnings.load(Ordering::Relaxed), 1, "reported exactly once");
}

/// Run as a child process only: prints the hash of `PROMPT` under a fresh policy.
#[test]
fn print_hash_in_child_process() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    unset_variable();
    let policy = CapturePolicy::builder().build().unwrap();
    println!("HASH={}", hash_of(&policy));
}

#[test]
fn two_processes_hash_the_same_content_differently() {
    let hash_in_child = || {
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "print_hash_in_child_process", "--nocapture"])
            .env(CHILD, "1")
            .env_remove("LLMSCOPE_HASH_KEY")
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .find_map(|line| line.strip_prefix("HASH=").map(str::to_owned))
            .expect("the child prints its hash")
    };
    let (first, second) = (hash_in_child(), hash_in_child());
    assert!(first.starts_with("hmac-sha256:"), "{first}");
    assert_ne!(first, second);
}
