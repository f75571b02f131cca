//! Property test on what leaves the process: 100,000 generated prompts with secrets of every
//! built-in kind embedded in ASCII and non-ASCII text go through `#[llm_call(capture = redacted)]`
//! and the JSONL exporter; the exported bytes must contain none of the secrets.

#[path = "../runtime/tests/support/secrets.rs"]
mod secrets;

use llmscope::export::JsonlExporter;
use llmscope::opentelemetry_sdk::trace::SdkTracerProvider;
use llmscope_runtime::redact::Detector;
use secrets::{generate, Rng};

const PROMPTS: usize = 100_000;
const PROMPTS_PER_CALL: usize = 25;

#[derive(llmscope::Usage)]
struct Reply {
    #[usage(completion)]
    echo: String,
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o", prompt = prompts, capture = redacted)]
fn call(prompts: &[String]) -> Reply {
    // The completion repeats the last prompt: the output path is checked too.
    Reply {
        echo: prompts.last().cloned().unwrap_or_default(),
    }
}

#[test]
fn exported_bytes_never_contain_a_secret() {
    let dir = std::env::temp_dir().join(format!("llmscope-capture-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("traces.jsonl");
    let exporter = JsonlExporter::builder(&path)
        .with_max_bytes(u64::MAX)
        .build()
        .expect("exporter");
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter)
        .build();

    let mut rng = Rng(0xC0FF_EE00_1234_5678);
    let mut kinds = Detector::ALL.into_iter().cycle();
    // The secrets of each call, in call order (= line order with the simple processor).
    let mut secrets: Vec<Vec<(Detector, String)>> = Vec::new();
    {
        let _guard = llmscope::scoped(&provider).attach();
        for _ in 0..PROMPTS / PROMPTS_PER_CALL {
            let mut prompts = Vec::with_capacity(PROMPTS_PER_CALL);
            let mut call_secrets = Vec::new();
            for _ in 0..PROMPTS_PER_CALL {
                let count = 1 + rng.below(2);
                let (text, ranges) = generate(&mut rng, &mut kinds, count);
                for (kind, range) in ranges {
                    call_secrets.push((kind, text[range].to_owned()));
                }
                prompts.push(text);
            }
            call(&prompts);
            secrets.push(call_secrets);
        }
    }
    provider.shutdown().expect("flushed");

    let exported = std::fs::read_to_string(&path).expect("exported file");
    let lines: Vec<&str> = exported.lines().collect();
    assert_eq!(lines.len(), PROMPTS / PROMPTS_PER_CALL, "one line per span");
    assert!(exported.contains("[EMAIL]") && exported.contains("[API_KEY]"));
    let mut per_kind = std::collections::BTreeMap::new();
    for (line, call_secrets) in lines.iter().zip(&secrets) {
        for (kind, secret) in call_secrets {
            *per_kind.entry(kind.name()).or_insert(0) += 1;
            // As written, and as JSON escapes it (private keys span lines).
            let escaped = serde_json::to_string(secret).unwrap();
            let escaped = &escaped[1..escaped.len() - 1];
            assert!(
                !line.contains(secret.as_str()) && !line.contains(escaped),
                "{kind} secret {secret:?} leaked"
            );
        }
    }
    assert_eq!(per_kind.len(), Detector::ALL.len(), "{per_kind:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
