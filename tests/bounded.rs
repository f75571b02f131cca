//! Bounded work on bad input, through the facade: huge or numerous prompts, huge error messages
//! and attribute values, more attributes than the SDK keeps. Each test asserts the behaviour and
//! a bound on the work done or the bytes kept, never on time.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

use llmscope::capture::{self, Message};
use llmscope::opentelemetry::trace::{get_active_span, Status};
use llmscope::opentelemetry::{KeyValue, Value};
use llmscope::opentelemetry_sdk::trace::SpanData;
use llmscope::testing::{attribute, TestTelemetry};

/// What marks a cut text.
const MARKER: &str = "…[truncated]";
/// Raw bytes the redactor may read past a cut (documented on `CapturePolicy`).
const REDACTION_MARGIN: u64 = 4096;

#[derive(llmscope::Usage)]
struct Reply {
    #[usage(input_tokens)]
    input: u32,
    #[usage(output_tokens)]
    output: u32,
}

fn reply() -> Reply {
    Reply {
        input: 100,
        output: 10,
    }
}

#[llmscope::llm_call(provider = "openai", model = "history", prompt = messages, capture = full)]
fn chat_full(messages: &[Message<'_>]) -> Reply {
    reply()
}

#[llmscope::llm_call(provider = "openai", model = "redacted", prompt = prompt, capture = redacted)]
fn chat_redacted(prompt: &str) -> Reply {
    reply()
}

fn max_bytes() -> usize {
    llmscope::capture_policy().max_bytes()
}

fn text(span: &SpanData, key: &str) -> String {
    attribute(span, key)
        .unwrap_or_else(|| panic!("no `{key}` on {}", span.name))
        .as_str()
        .into_owned()
}

fn int(span: &SpanData, key: &str) -> Option<i64> {
    match attribute(span, key) {
        Some(Value::I64(value)) => Some(*value),
        _ => None,
    }
}

/// `count` messages of `size` bytes, each starting with its index.
fn history(count: usize, size: usize) -> Vec<String> {
    (0..count)
        .map(|index| {
            let mut text = format!("message {index:06} ");
            text.extend(std::iter::repeat_n('x', size - text.len()));
            text
        })
        .collect()
}

/// Captures `texts` as one prompt; returns the exported span and the bytes the redactor read.
fn capture_history(texts: &[String]) -> (SpanData, u64) {
    let telemetry = TestTelemetry::new();
    let messages: Vec<Message<'_>> = texts.iter().map(|t| Message::user(t.as_str())).collect();
    let before = capture::work();
    {
        let _guard = telemetry.context().attach();
        chat_full(&messages);
    }
    let read = capture::work() - before;
    (telemetry.span("chat history"), read)
}

/// The kept texts of `gen_ai.input.messages`, after checking the semconv shape: an array of
/// `{role, parts: [{type: "text", content}]}`.
fn kept_texts(json: &str) -> Vec<String> {
    let parsed: serde_json::Value = serde_json::from_str(json).expect("valid JSON");
    parsed
        .as_array()
        .expect("an array of messages")
        .iter()
        .map(|message| {
            assert_eq!(message["role"], "user");
            let parts = message["parts"].as_array().expect("parts");
            assert_eq!(parts.len(), 1);
            assert_eq!(parts[0]["type"], "text");
            parts[0]["content"].as_str().expect("content").to_owned()
        })
        .collect()
}

#[test]
fn a_long_history_keeps_the_first_and_the_newest_messages() {
    // The two shapes of the issue: 2,097 messages of 100 B (exported as `"[]"` before) and
    // 10,240 of 1 KB (over two minutes before).
    for (count, size) in [(2_097, 100), (10_240, 1024)] {
        let texts = history(count, size);
        let (span, read) = capture_history(&texts);
        let json = text(&span, "gen_ai.input.messages");
        assert!(json.len() <= max_bytes(), "{count}: {} bytes", json.len());
        let kept = kept_texts(&json);
        // Message JSON: {"role":"user","parts":[{"type":"text","content":"…"}]} is 55 bytes
        // around the text, plus a comma: the limit holds this many whole messages, give or
        // take the first one's share.
        let whole = (max_bytes() - 2) / (size + 56);
        assert!(kept.len() + 2 >= whole, "{count}: kept {}", kept.len());
        assert_eq!(kept[0], texts[0], "the first message");
        let newest = &texts[count - (kept.len() - 1)..];
        assert_eq!(&kept[1..], newest, "then the newest, in order");
        assert_eq!(
            int(&span, "llmscope.input.omitted_messages"),
            Some((count - kept.len()) as i64)
        );
        assert_eq!(
            attribute(&span, "llmscope.input.truncated"),
            Some(&Value::Bool(true))
        );
        // The redactor (here the full-mode copy) read only what was kept.
        let kept_bytes: usize = kept.iter().map(String::len).sum();
        assert_eq!(read, kept_bytes as u64, "{count}");
    }
}

#[test]
fn work_does_not_grow_with_the_number_of_messages() {
    let reads: Vec<u64> = [1_000, 10_000]
        .into_iter()
        .map(|count| capture_history(&history(count, 1024)).1)
        .collect();
    assert_eq!(reads[0], reads[1], "{reads:?}");
    assert!(reads[1] <= max_bytes() as u64);
}

#[test]
fn a_huge_prompt_is_cut_before_it_is_redacted() {
    let prompt = format!(
        "Contact jane.doe@example.com. {}",
        "lorem ipsum ".repeat(100 << 20 >> 4)
    );
    assert!(prompt.len() > 100 << 20 >> 1);
    let telemetry = TestTelemetry::new();
    let before = capture::work();
    {
        let _guard = telemetry.context().attach();
        chat_redacted(&prompt);
    }
    let read = capture::work() - before;
    assert!(
        read <= max_bytes() as u64 + REDACTION_MARGIN,
        "the redactor read {read} bytes"
    );
    let span = telemetry.span("chat redacted");
    let json = text(&span, "gen_ai.input.messages");
    assert!(json.len() <= max_bytes(), "{} bytes", json.len());
    let kept = kept_texts(&json);
    assert!(
        kept[0].starts_with("Contact [EMAIL]. lorem ipsum"),
        "{}",
        &kept[0][..64]
    );
    assert!(kept[0].ends_with(MARKER));
}

/// An error whose message is `size` bytes, written in 1 KB pieces; counts what it was asked
/// to write.
#[derive(Debug)]
struct HugeError {
    size: usize,
    written: &'static AtomicUsize,
}

impl fmt::Display for HugeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let piece = "e".repeat(1024);
        let mut left = self.size;
        f.write_str("upstream said: ")?;
        while left > 0 {
            let n = left.min(piece.len());
            self.written.fetch_add(n, Ordering::Relaxed);
            f.write_str(&piece[..n])?;
            left -= n;
        }
        Ok(())
    }
}

static WRITTEN: AtomicUsize = AtomicUsize::new(0);

#[llmscope::llm_call(provider = "openai", model = "failing")]
fn failing(size: usize) -> Result<Reply, HugeError> {
    Err(HugeError {
        size,
        written: &WRITTEN,
    })
}

#[llmscope::llm_call(provider = "openai", model = "noted", attrs(custom("app.note") = note))]
fn noted(note: &str) -> Reply {
    reply()
}

#[test]
fn a_huge_error_message_is_formatted_and_exported_bounded() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        assert!(failing(100 << 20).is_err());
    }
    // The message was formatted only up to the limit and the margin (plus the piece that
    // crossed it), not 100 MB.
    let written = WRITTEN.load(Ordering::Relaxed);
    assert!(
        written <= max_bytes() + REDACTION_MARGIN as usize + 1024,
        "{written} bytes formatted"
    );
    let span = telemetry.span("chat failing");
    let event = span
        .events
        .iter()
        .find(|event| event.name == "exception")
        .expect("an exception event");
    let message = event
        .attributes
        .iter()
        .find(|kv| kv.key.as_str() == "exception.message")
        .expect("exception.message")
        .value
        .as_str()
        .into_owned();
    assert!(message.len() <= max_bytes(), "{}", message.len());
    assert!(message.starts_with("upstream said: eee"));
    assert!(message.ends_with(MARKER));
    let Status::Error { description } = &span.status else {
        panic!("status {:?}", span.status);
    };
    assert_eq!(description.as_ref(), message, "the status says the same");
}

#[test]
fn a_huge_attribute_value_is_cut_with_a_marker() {
    let telemetry = TestTelemetry::new();
    let note = "ü".repeat(50 << 20); // 100 MB of two-byte chars
    {
        let _guard = telemetry.context().attach();
        noted(&note);
    }
    let span = telemetry.span("chat noted");
    let value = text(&span, "app.note");
    assert!(value.len() <= max_bytes(), "{}", value.len());
    assert!(
        value.len() + 2 + MARKER.len() >= max_bytes(),
        "nearly the whole room is used"
    );
    assert!(value.starts_with("üü"));
    assert!(value.ends_with(MARKER));
    // A short value is untouched.
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        noted("short note");
    }
    assert_eq!(
        text(&telemetry.span("chat noted"), "app.note"),
        "short note"
    );
}

/// Sets `count` attributes of its own on the current span, through the OpenTelemetry API.
#[llmscope::llm_call(provider = "openai", model = "gpt-4o")]
fn chatty(count: usize) -> Reply {
    get_active_span(|span| {
        for index in 0..count {
            span.set_attribute(KeyValue::new(format!("app.attr.{index}"), index as i64));
        }
    });
    reply()
}

#[test]
fn application_attributes_leave_room_for_usage_and_cost() {
    // The SDK keeps 128 attributes per span by default; llmscope keeps the last 48 for
    // itself. The span starts with 3 (operation, provider, request model), so the
    // application's attributes fill it up to 80: 77 of them.
    assert!(std::env::var_os("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT").is_none());
    let application_budget = 128 - 48 - 3;
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        chatty(200);
    }
    let span = telemetry.span("chat gpt-4o");
    assert!(span.attributes.len() <= 128);
    let kept = span
        .attributes
        .iter()
        .filter(|kv| kv.key.as_str().starts_with("app.attr."))
        .count();
    assert_eq!(kept, application_budget);
    assert_eq!(
        int(&span, "llmscope.attributes.dropped"),
        Some((200 - application_budget) as i64)
    );
    assert_eq!(int(&span, "gen_ai.usage.input_tokens"), Some(100));
    assert_eq!(int(&span, "gen_ai.usage.output_tokens"), Some(10));
    // gpt-4o: $2.50 per million input tokens, $10 per million output tokens.
    let expected = 100.0 * 2.5e-6 + 10.0 * 1e-5;
    let Some(Value::F64(cost)) = attribute(&span, "llm.cost.total") else {
        panic!("no cost: {:?}", span.attributes);
    };
    assert!((cost - expected).abs() < 1e-12, "{cost} != {expected}");

    // Under the budget nothing is dropped or counted.
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        chatty(10);
    }
    let span = telemetry.span("chat gpt-4o");
    assert_eq!(int(&span, "llmscope.attributes.dropped"), None);
    assert_eq!(
        span.attributes
            .iter()
            .filter(|kv| kv.key.as_str().starts_with("app.attr."))
            .count(),
        10
    );
}
