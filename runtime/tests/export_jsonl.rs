//! The JSONL exporter, driven through the OTel API with a provider local to each test; the
//! file is checked as plain JSON against the OTLP/JSON encoding rules.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use llmscope_runtime::export::{read_jsonl, JsonlError, JsonlExporter};
use opentelemetry::trace::{SpanKind, Status, TraceContextExt, Tracer, TracerProvider};
use opentelemetry::{Array, Context, InstrumentationScope, KeyValue, StringValue, Value};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracer, SdkTracerProvider, SpanExporter};
use opentelemetry_sdk::Resource;
use serde_json::{json, Value as Json};

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "llmscope-export-jsonl-{}-{name}",
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn install(exporter: JsonlExporter) -> (SdkTracerProvider, SdkTracer) {
    let provider = SdkTracerProvider::builder()
        .with_resource(
            Resource::builder_empty()
                .with_service_name("jsonl-test")
                .build(),
        )
        .with_simple_exporter(exporter)
        .build();
    let scope = InstrumentationScope::builder("llmscope-test")
        .with_version("0.1.0")
        .build();
    let tracer = provider.tracer_with_scope(scope);
    (provider, tracer)
}

const EPOCH_SECS: u64 = 1_700_000_000;

fn at(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(EPOCH_SECS) + Duration::from_millis(ms)
}

/// `at(ms)` in Unix nanoseconds, as OTLP/JSON writes it: a decimal string.
fn nanos(ms: u64) -> String {
    (u128::from(EPOCH_SECS) * 1_000_000_000 + u128::from(ms) * 1_000_000).to_string()
}

fn lower_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn start(
    tracer: &SdkTracer,
    name: &'static str,
    kind: SpanKind,
    start_ms: u64,
    parent: &Context,
    attrs: Vec<KeyValue>,
) -> Context {
    let span = tracer
        .span_builder(name)
        .with_kind(kind)
        .with_start_time(at(start_ms))
        .with_attributes(attrs)
        .start_with_context(tracer, parent);
    parent.with_span(span)
}

fn lines(path: &Path) -> Vec<Json> {
    let text = fs::read_to_string(path).unwrap();
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "the file ends with a newline"
    );
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

fn attribute<'a>(span: &'a Json, key: &str) -> &'a Json {
    span["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|kv| kv["key"] == key)
        .map(|kv| &kv["value"])
        .unwrap_or_else(|| panic!("no attribute `{key}` in {span}"))
}

fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[test]
fn each_span_is_an_otlp_json_request_line() {
    let dir = scratch("shape");
    let path = dir.join("traces.jsonl");
    let (provider, tracer) = install(JsonlExporter::builder(&path).build().unwrap());

    let root = start(
        &tracer,
        "invoke_agent helper",
        SpanKind::Internal,
        0,
        &Context::new(),
        vec![],
    );
    let chat = start(
        &tracer,
        "chat gpt-4o",
        SpanKind::Client,
        10,
        &root,
        vec![
            KeyValue::new("gen_ai.operation.name", "chat"),
            KeyValue::new("gen_ai.usage.input_tokens", 1_234),
            KeyValue::new("gen_ai.request.temperature", 0.7),
            KeyValue::new("llmscope.cost.total", 0.001845),
            KeyValue::new(
                "gen_ai.response.finish_reasons",
                Value::Array(Array::String(vec![StringValue::from("stop")])),
            ),
            KeyValue::new("app.cached", true),
            KeyValue::new("app.ratio", f64::NAN),
            KeyValue::new("app.limit", f64::NEG_INFINITY),
        ],
    );
    let parse = start(
        &tracer,
        "parse_answer",
        SpanKind::Internal,
        20,
        &chat,
        vec![],
    );
    let tool = start(
        &tracer,
        "execute_tool web_search",
        SpanKind::Internal,
        30,
        &root,
        vec![KeyValue::new("error.type", "timeout")],
    );
    tool.span().add_event(
        "exception",
        vec![KeyValue::new("exception.message", "deadline exceeded")],
    );
    tool.span().set_status(Status::error("deadline exceeded"));
    parse.span().end_with_timestamp(at(25));
    chat.span().end_with_timestamp(at(40));
    tool.span().end_with_timestamp(at(50));
    root.span().end_with_timestamp(at(60));
    provider.shutdown().unwrap();

    let lines = lines(&path);
    assert_eq!(
        lines.len(),
        4,
        "the simple processor exports one span per batch"
    );
    let mut spans = HashMap::new();
    for line in &lines {
        let object = line.as_object().unwrap();
        assert_eq!(object.keys().collect::<Vec<_>>(), ["resourceSpans"]);
        let resource_spans = line["resourceSpans"].as_array().unwrap();
        assert_eq!(resource_spans.len(), 1);
        let resource_attributes = resource_spans[0]["resource"]["attributes"]
            .as_array()
            .unwrap();
        assert!(
            resource_attributes
                .contains(&json!({"key": "service.name", "value": {"stringValue": "jsonl-test"}})),
            "{line}"
        );
        let scope_spans = resource_spans[0]["scopeSpans"].as_array().unwrap();
        assert_eq!(scope_spans.len(), 1);
        assert_eq!(scope_spans[0]["scope"]["name"], "llmscope-test");
        assert_eq!(scope_spans[0]["scope"]["version"], "0.1.0");
        let batch = scope_spans[0]["spans"].as_array().unwrap();
        assert_eq!(batch.len(), 1);
        spans.insert(
            batch[0]["name"].as_str().unwrap().to_owned(),
            batch[0].clone(),
        );
    }

    let trace_id = lower_hex(&root.span().span_context().trace_id().to_bytes());
    let span_id = |cx: &Context| lower_hex(&cx.span().span_context().span_id().to_bytes());
    let (root_json, chat_json) = (&spans["invoke_agent helper"], &spans["chat gpt-4o"]);
    let (parse_json, tool_json) = (&spans["parse_answer"], &spans["execute_tool web_search"]);
    for span in spans.values() {
        assert_eq!(span["traceId"], trace_id.as_str());
        assert!(
            is_lower_hex(span["traceId"].as_str().unwrap(), 32),
            "{span}"
        );
        assert!(is_lower_hex(span["spanId"].as_str().unwrap(), 16), "{span}");
    }
    assert_eq!(root_json["spanId"], span_id(&root).as_str());
    assert!(
        root_json.get("parentSpanId").is_none_or(|p| p == ""),
        "a root has no parent: {root_json}"
    );
    assert_eq!(chat_json["parentSpanId"], span_id(&root).as_str());
    assert_eq!(parse_json["parentSpanId"], span_id(&chat).as_str());
    assert_eq!(tool_json["parentSpanId"], span_id(&root).as_str());

    // 64-bit integers as decimal strings, enums as integers.
    assert_eq!(chat_json["startTimeUnixNano"], nanos(10).as_str());
    assert_eq!(chat_json["endTimeUnixNano"], nanos(40).as_str());
    assert_eq!(chat_json["kind"], 3, "SPAN_KIND_CLIENT");
    assert_eq!(root_json["kind"], 1, "SPAN_KIND_INTERNAL");
    assert_eq!(tool_json["status"]["code"], 2, "STATUS_CODE_ERROR");
    assert_eq!(tool_json["status"]["message"], "deadline exceeded");
    assert_eq!(
        chat_json["status"].get("code").unwrap_or(&json!(0)),
        0,
        "STATUS_CODE_UNSET"
    );

    // Attribute values.
    assert_eq!(
        attribute(chat_json, "gen_ai.operation.name"),
        &json!({"stringValue": "chat"})
    );
    assert_eq!(
        attribute(chat_json, "gen_ai.usage.input_tokens"),
        &json!({"intValue": "1234"})
    );
    assert_eq!(
        attribute(chat_json, "gen_ai.request.temperature"),
        &json!({"doubleValue": 0.7})
    );
    assert_eq!(
        attribute(chat_json, "llmscope.cost.total"),
        &json!({"doubleValue": 0.001845})
    );
    assert_eq!(
        attribute(chat_json, "gen_ai.response.finish_reasons"),
        &json!({"arrayValue": {"values": [{"stringValue": "stop"}]}})
    );
    assert_eq!(
        attribute(chat_json, "app.cached"),
        &json!({"boolValue": true})
    );
    // The protobuf JSON mapping writes non-finite doubles as strings.
    assert_eq!(
        attribute(chat_json, "app.ratio"),
        &json!({"doubleValue": "NaN"})
    );
    assert_eq!(
        attribute(chat_json, "app.limit"),
        &json!({"doubleValue": "-Infinity"})
    );
    assert_eq!(
        attribute(tool_json, "error.type"),
        &json!({"stringValue": "timeout"})
    );

    let event = &tool_json["events"][0];
    assert_eq!(event["name"], "exception");
    assert!(
        event["timeUnixNano"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .is_ok(),
        "{event}"
    );
    assert_eq!(
        event["attributes"][0],
        json!({"key": "exception.message", "value": {"stringValue": "deadline exceeded"}})
    );

    // The reader gives the same spans back, non-finite doubles included.
    let requests = read_jsonl(&path).unwrap();
    assert_eq!(requests.len(), 4);
    let chat = requests
        .iter()
        .flat_map(|r| &r.resource_spans[0].scope_spans[0].spans)
        .find(|s| s.name == "chat gpt-4o")
        .unwrap();
    assert_eq!(lower_hex(&chat.trace_id), trace_id);
    let double = |key: &str| {
        use llmscope_runtime::export::otlp::any_value::Value as V;
        match chat
            .attributes
            .iter()
            .find(|kv| kv.key == key)
            .unwrap()
            .value
            .as_ref()
            .unwrap()
            .value
        {
            Some(V::DoubleValue(d)) => d,
            ref other => panic!("{key}: {other:?}"),
        }
    };
    assert!(double("app.ratio").is_nan());
    assert_eq!(double("app.limit"), f64::NEG_INFINITY);
    assert_eq!(double("gen_ai.request.temperature"), 0.7);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn one_export_batch_is_one_line() {
    let dir = scratch("batch");
    let path = dir.join("traces.jsonl");
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(JsonlExporter::builder(&path).build().unwrap())
        .build();
    let tracer = provider.tracer("batch-test");
    for name in ["a", "b", "c"] {
        tracer.in_span(name, |_cx| {});
    }
    provider.force_flush().unwrap();
    provider.shutdown().unwrap();

    let lines = lines(&path);
    assert_eq!(lines.len(), 1);
    let spans = lines[0]["resourceSpans"][0]["scopeSpans"][0]["spans"]
        .as_array()
        .unwrap();
    let names: Vec<&str> = spans.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    fs::remove_dir_all(&dir).unwrap();
}

fn span_names(path: &Path) -> Vec<String> {
    read_jsonl(path)
        .unwrap()
        .iter()
        .flat_map(|r| &r.resource_spans)
        .flat_map(|r| &r.scope_spans)
        .flat_map(|s| &s.spans)
        .map(|s| s.name.clone())
        .collect()
}

#[test]
fn files_rotate_by_size() {
    let dir = scratch("rotate");
    let path = dir.join("traces.jsonl");
    let max_bytes = 4_096;
    let exporter = JsonlExporter::builder(&path)
        .with_max_bytes(max_bytes)
        .with_max_files(3)
        .build()
        .unwrap();
    let (provider, tracer) = install(exporter);
    for i in 0..60 {
        let name = format!("span {i:03}");
        let mut span = tracer.span_builder(name).start(&tracer);
        opentelemetry::trace::Span::end(&mut span);
    }
    provider.shutdown().unwrap();

    let rotated: Vec<PathBuf> = (1..=3)
        .map(|i| dir.join(format!("traces.jsonl.{i}")))
        .collect();
    assert!(rotated[0].exists() && rotated[1].exists());
    assert!(!rotated[2].exists(), "three files in all");
    let mut names = Vec::new();
    for file in [&rotated[1], &rotated[0], &path] {
        let len = fs::metadata(file).unwrap().len();
        assert!(
            len > 0 && len <= max_bytes,
            "{}: {len} bytes",
            file.display()
        );
        lines(file); // every line parses
        names.extend(span_names(file));
    }
    // Oldest first, consecutive, ending with the last span: nothing lost inside the kept files.
    assert!(names.len() < 60, "the oldest file was dropped");
    let first: usize = names[0]["span ".len()..].parse().unwrap();
    let expected: Vec<String> = (first..60).map(|i| format!("span {i:03}")).collect();
    assert_eq!(names, expected);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn one_file_rotation_empties_the_file() {
    let dir = scratch("rotate-one");
    let path = dir.join("traces.jsonl");
    let exporter = JsonlExporter::builder(&path)
        .with_max_bytes(2_000)
        .with_max_files(1)
        .build()
        .unwrap();
    let (provider, tracer) = install(exporter);
    for i in 0..20 {
        tracer.in_span(format!("span {i:03}"), |_cx| {});
    }
    provider.shutdown().unwrap();

    assert!(!dir.join("traces.jsonl.1").exists());
    assert!(fs::metadata(&path).unwrap().len() <= 2_000);
    assert_eq!(span_names(&path).last().unwrap(), "span 019");
    fs::remove_dir_all(&dir).unwrap();
}

/// 8 threads, each with its own provider and exporter on the same path, 1,000 spans each.
fn write_concurrently(path: &Path, max_bytes: u64, max_files: usize) {
    std::thread::scope(|scope| {
        for thread in 0..8_i64 {
            scope.spawn(move || {
                let exporter = JsonlExporter::builder(path)
                    .with_max_bytes(max_bytes)
                    .with_max_files(max_files)
                    .build()
                    .unwrap();
                let (provider, tracer) = install(exporter);
                for seq in 0..1_000_i64 {
                    let mut span = tracer
                        .span_builder("work")
                        .with_attributes([
                            KeyValue::new("thread", thread),
                            KeyValue::new("seq", seq),
                        ])
                        .start(&tracer);
                    opentelemetry::trace::Span::end(&mut span);
                }
                provider.shutdown().unwrap();
            });
        }
    });
}

fn thread_and_seq(files: &[PathBuf]) -> Vec<(i64, i64)> {
    use llmscope_runtime::export::otlp::any_value::Value as V;
    let mut pairs = Vec::new();
    for file in files {
        lines(file); // every raw line parses as JSON
        for request in read_jsonl(file).unwrap() {
            for span in request
                .resource_spans
                .iter()
                .flat_map(|r| &r.scope_spans)
                .flat_map(|s| &s.spans)
            {
                let int = |key: &str| match span.attributes.iter().find(|kv| kv.key == key) {
                    Some(kv) => match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                        Some(V::IntValue(i)) => *i,
                        other => panic!("{key}: {other:?}"),
                    },
                    None => panic!("no {key}"),
                };
                pairs.push((int("thread"), int("seq")));
            }
        }
    }
    pairs
}

#[test]
fn concurrent_writers_to_one_file_lose_nothing() {
    let dir = scratch("concurrent");
    let path = dir.join("traces.jsonl");

    write_concurrently(&path, u64::MAX, 5);

    let pairs = thread_and_seq(std::slice::from_ref(&path));
    assert_eq!(pairs.len(), 8_000);
    let unique: HashSet<_> = pairs.iter().collect();
    assert_eq!(unique.len(), 8_000);
    assert_eq!(fs::read_to_string(&path).unwrap().lines().count(), 8_000);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn concurrent_writers_rotate_once_per_limit() {
    let dir = scratch("concurrent-rotate");
    let path = dir.join("traces.jsonl");
    let max_bytes = 256 * 1024;

    write_concurrently(&path, max_bytes, 100);

    let mut files = vec![path.clone()];
    files.extend(
        (1..100)
            .map(|i| dir.join(format!("traces.jsonl.{i}")))
            .filter(|p| p.exists()),
    );
    assert!(files.len() > 2, "{files:?}");
    for file in &files {
        assert!(
            fs::metadata(file).unwrap().len() <= max_bytes,
            "{}",
            file.display()
        );
    }
    let pairs = thread_and_seq(&files);
    assert_eq!(pairs.len(), 8_000);
    assert_eq!(pairs.iter().collect::<HashSet<_>>().len(), 8_000);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_partial_last_line_is_skipped_then_repaired() {
    let dir = scratch("partial");
    let path = dir.join("traces.jsonl");
    let (provider, tracer) = install(JsonlExporter::builder(&path).build().unwrap());
    tracer.in_span("first", |_cx| {});
    tracer.in_span("second", |_cx| {});
    provider.shutdown().unwrap();
    drop((provider, tracer)); // the process "crashes": its writer is gone

    // A write cut short: half of a line, no newline.
    let whole = fs::read_to_string(&path).unwrap();
    let first_line = whole.lines().next().unwrap();
    fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(&first_line.as_bytes()[..first_line.len() / 2])
        .unwrap();

    assert_eq!(span_names(&path), ["first", "second"]);

    // The next writer truncates the partial line before appending.
    let (provider, tracer) = install(JsonlExporter::builder(&path).build().unwrap());
    tracer.in_span("third", |_cx| {});
    provider.shutdown().unwrap();
    assert_eq!(lines(&path).len(), 3);
    assert_eq!(span_names(&path), ["first", "second", "third"]);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_complete_last_line_without_newline_is_read() {
    let dir = scratch("no-newline");
    let path = dir.join("traces.jsonl");
    let (provider, tracer) = install(JsonlExporter::builder(&path).build().unwrap());
    tracer.in_span("only", |_cx| {});
    provider.shutdown().unwrap();
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, text.trim_end()).unwrap();

    assert_eq!(span_names(&path), ["only"]);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn errors_name_the_file() {
    let dir = scratch("errors");

    // A directory that cannot exist: its parent is a file.
    let blocker = dir.join("blocker");
    fs::write(&blocker, "").unwrap();
    let bad = blocker.join("traces.jsonl");
    let err = JsonlExporter::builder(&bad).build().unwrap_err();
    assert!(matches!(err, JsonlError::Open { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&format!("`{}`", bad.display())),
        "{err}"
    );
    // The message says which part of the path is the problem.
    assert!(
        err.to_string().contains(&format!(
            "(`{}` is a file, so it cannot hold `{}`)",
            blocker.display(),
            bad.display()
        )),
        "{err}"
    );
    let err = JsonlExporter::builder(&dir).build().unwrap_err();
    assert!(
        err.to_string().contains(&format!(
            "(`{}` is a directory: give the path of a file)",
            dir.display()
        )),
        "{err}"
    );

    let missing = dir.join("missing.jsonl");
    let err = read_jsonl(&missing).unwrap_err();
    assert!(matches!(err, JsonlError::Read { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with(&format!("cannot read `{}`: ", missing.display())),
        "{err}"
    );

    let corrupt = dir.join("corrupt.jsonl");
    fs::write(
        &corrupt,
        "{\"resourceSpans\":[]}\nnot json\n{\"resourceSpans\":[]}\n",
    )
    .unwrap();
    let err = read_jsonl(&corrupt).unwrap_err();
    assert!(matches!(err, JsonlError::Parse { line: 2, .. }), "{err:?}");
    assert!(
        err.to_string().starts_with(&format!(
            "line 2 of `{}` is not an OTLP/JSON trace request",
            corrupt.display()
        )),
        "{err}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[cfg(target_os = "linux")]
#[test]
fn a_failed_write_is_an_error_naming_the_file() {
    let full = Path::new("/dev/full");
    if !full.exists() {
        eprintln!("skipped: /dev/full is missing");
        return;
    }
    let memory = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(memory.clone())
        .build();
    provider.tracer("full").in_span("lost", |_cx| {});
    let spans = memory.get_finished_spans().unwrap();

    let exporter = JsonlExporter::builder(full).build().unwrap();
    let err = ready(exporter.export(spans)).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("cannot write to `/dev/full`"), "{message}");
    provider.shutdown().unwrap();
}

/// Polls a future that is ready at once (the exporters do their work before returning it).
fn ready<T>(future: impl std::future::Future<Output = T>) -> T {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
    {
        std::task::Poll::Ready(value) => value,
        std::task::Poll::Pending => panic!("the exporter's future is not ready"),
    }
}

#[test]
fn exporting_after_shutdown_fails() {
    let dir = scratch("shutdown");
    let exporter = JsonlExporter::builder(dir.join("traces.jsonl"))
        .build()
        .unwrap();
    exporter.shutdown().unwrap();
    let memory = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(memory.clone())
        .build();
    provider.tracer("late").in_span("late", |_cx| {});
    assert!(ready(exporter.export(memory.get_finished_spans().unwrap())).is_err());
    provider.shutdown().unwrap();
    fs::remove_dir_all(&dir).unwrap();
}
