//! Redaction throughput on 2 KB and 64 KB prompts, ASCII and mixed-script, clean and with
//! secrets; JSON content (a chat message array, as tool arguments and messages arrive) through
//! `redact` (escapes as boundaries) and `redact_content` (decoded values); and the cost of
//! hashing a 2 KB prompt.
//!
//! Run with `cargo bench --bench redaction`. Figures are in `BENCHMARKS.md`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use llmscope_runtime::redact::{ContentHasher, Redactor};

/// English prose with the numbers, dates, versions, times, hyphenations and code that real prompts
/// carry, none of which is sensitive.
const ENGLISH: &[&str] = &[
    "You are a helpful assistant that answers questions about the quarterly report. ",
    "Summarise the thread below in 3 bullet points and keep it under 120 words. ",
    "The meeting on 2024-03-15 at 14:30 moved the launch of version 2.4.1 to Q3. ",
    "Revenue grew 12% year over year, while costs stayed risk-free and flat at 4.2 million. ",
    "Use the function `parse_config(path: &str) -> Result<Config, Error>` from std::fs. ",
    "If the user asks about pricing, refer to the table on page 17 of the handbook. ",
    "Customer feedback mentioned the desk-top app crashing after the 1.2.3 update. ",
    "Respond in JSON with the keys \"title\", \"summary\" and \"tags\", nothing else. ",
    "The model should cite at most 5 sources, each with a title and a short quote. ",
    "Between 1998 and 2004 the team shipped 37 releases across 6 platforms. ",
];

/// German and Japanese prose, mixed with the English in the non-ASCII corpus.
const MIXED: &[&str] = &[
    "Bitte fasse die Besprechung vom 15. März zusammen und nenne die nächsten Schritte. ",
    "Die Größe der Datei überschreitet das Limit von 25 MB; kürze den Anhang. ",
    "Grüße aus München — das Team prüft die Änderungen bis Übermorgen. ",
    "以下のスレッドを3行で要約してください。重要な決定事項を含めてください。 ",
    "東京オフィスの会議は午後2時に始まり、新しい機能について議論しました。 ",
    "ユーザーの質問に丁寧に答え、必要なら参考資料を示してください。 ",
];

/// One sample of every built-in kind.
const SECRETS: &[&str] = &[
    "jane.doe@example.com",
    "+44 20 7946 0958",
    "123-45-6789",
    "4111 1111 1111 1111",
    "DE89 3704 0044 0532 0130 00",
    "192.168.10.42",
    "2001:db8::8a2e:370:7334",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    "sk-proj-Xy7aB3cD9eF1gH5iJ2kL8mN4oP6qR0sT-uV_wX3yZ",
    "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AA",
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
    "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe",
    "xoxb-263594206564-2343594206574-FGqddMF8t08v8N7Oq4i57vs1",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx4U5fG8aQ2fz0jK1Xq0xN3y+Zb7c9Tq\n-----END RSA PRIVATE KEY-----",
];

/// Bytes of prose between two secrets in the corpora with secrets.
const SECRET_SPACING: usize = 256;

/// Deterministic prose of about `len` bytes (cut on a character boundary).
fn prose(len: usize, mixed: bool) -> String {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut text = String::with_capacity(len + 256);
    while text.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let pool = if mixed && state % 2 == 0 {
            MIXED
        } else {
            ENGLISH
        };
        text.push_str(pool[(state >> 8) as usize % pool.len()]);
    }
    let mut cut = len;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
    text
}

/// `prose` with a secret (cycling through every kind) after each `SECRET_SPACING` bytes of it.
fn with_secrets(prose: &str) -> (String, usize) {
    let mut text = String::with_capacity(prose.len() * 2);
    let mut count = 0;
    let mut rest = prose;
    while !rest.is_empty() {
        let mut cut = SECRET_SPACING.min(rest.len());
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        text.push_str(&rest[..cut]);
        rest = &rest[cut..];
        text.push(' ');
        text.push_str(SECRETS[count % SECRETS.len()]);
        text.push(' ');
        count += 1;
    }
    (text, count)
}

fn redaction(c: &mut Criterion) {
    let redactor = Redactor::builder().build();
    let mut group = c.benchmark_group("redact");
    for (size_name, size) in [("2KB", 2 * 1024), ("64KB", 64 * 1024)] {
        for (script, mixed) in [("ascii", false), ("non-ascii", true)] {
            let clean = prose(size, mixed);
            assert!(redactor.is_clean(&clean), "benchmark corpus is not clean");
            assert_eq!(clean.is_ascii(), !mixed);
            let (dirty, count) = with_secrets(&clean);
            assert_eq!(
                redactor.find(&dirty).len(),
                count,
                "every secret found once"
            );

            group.throughput(Throughput::Bytes(clean.len() as u64));
            group.bench_with_input(
                BenchmarkId::new(format!("clean/{script}"), size_name),
                &clean,
                |b, text| b.iter(|| black_box(redactor.redact(black_box(text)))),
            );
            group.throughput(Throughput::Bytes(dirty.len() as u64));
            group.bench_with_input(
                BenchmarkId::new(format!("secrets/{script}"), size_name),
                &dirty,
                |b, text| b.iter(|| black_box(redactor.redact(black_box(text)))),
            );
        }
    }
    group.finish();
}

/// `prose` as the JSON a chat API receives: an array of user messages of about
/// `SECRET_SPACING` bytes each, ending in a newline (JSON-escaped), with a secret (cycling
/// through every kind) before it when `secrets` is set. Returns the JSON and the secret count.
fn as_messages(prose: &str, secrets: bool) -> (String, usize) {
    let mut messages = Vec::new();
    let mut rest = prose;
    while !rest.is_empty() {
        let mut cut = SECRET_SPACING.min(rest.len());
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        let secret = if secrets {
            SECRETS[messages.len() % SECRETS.len()]
        } else {
            ""
        };
        let content = format!("{} {secret}\n", &rest[..cut]);
        messages.push(serde_json::json!({"role": "user", "content": content}));
        rest = &rest[cut..];
    }
    let count = if secrets { messages.len() } else { 0 };
    (serde_json::Value::Array(messages).to_string(), count)
}

fn json_content(c: &mut Criterion) {
    let redactor = Redactor::builder().build();
    let mut group = c.benchmark_group("redact_json");
    for (script, mixed) in [("ascii", false), ("non-ascii", true)] {
        let (clean, _) = as_messages(&prose(2 * 1024, mixed), false);
        assert!(redactor.is_clean(&clean), "benchmark corpus is not clean");
        let (dirty, count) = as_messages(&prose(2 * 1024, mixed), true);
        assert_eq!(
            redactor.find(&dirty).len(),
            count,
            "every secret found once"
        );
        for (name, text) in [("clean", &clean), ("secrets", &dirty)] {
            group.throughput(Throughput::Bytes(text.len() as u64));
            group.bench_with_input(
                BenchmarkId::new(format!("redact/{name}/{script}"), "2KB"),
                text,
                |b, text| b.iter(|| black_box(redactor.redact(black_box(text)))),
            );
            group.bench_with_input(
                BenchmarkId::new(format!("redact_content/{name}/{script}"), "2KB"),
                text,
                |b, text| b.iter(|| black_box(redactor.redact_content(black_box(text)))),
            );
        }
    }
    group.finish();
}

fn hashing(c: &mut Criterion) {
    let hasher = ContentHasher::new(b"benchmark deployment key, 32 bytes");
    let text = prose(2 * 1024, true);
    let mut group = c.benchmark_group("hash");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("hmac-sha256/2KB", |b| {
        b.iter(|| black_box(hasher.hash(black_box(&text))))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = redaction, json_content, hashing
}
criterion_main!(benches);
