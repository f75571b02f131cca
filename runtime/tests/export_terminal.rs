//! The terminal exporter, driven through the OTel API with a provider local to each test.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use llmscope_runtime::export::TerminalExporter;
use opentelemetry::trace::{
    SpanContext, SpanId, SpanKind, Status, TraceContextExt, TraceFlags, TraceId, TraceState,
    Tracer, TracerProvider,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};

/// A writer the test can read back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    fn lines(&self) -> Vec<String> {
        self.text().lines().map(str::to_owned).collect()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn install(exporter: TerminalExporter) -> (SdkTracerProvider, SdkTracer) {
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter)
        .build();
    let tracer = provider.tracer("export-terminal-test");
    (provider, tracer)
}

fn plain(out: &Captured) -> TerminalExporter {
    TerminalExporter::builder()
        .with_writer(out.clone())
        .with_color(false)
        .build()
}

fn at(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000) + Duration::from_millis(ms)
}

fn hex(trace_id: TraceId) -> String {
    trace_id
        .to_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn start(
    tracer: &SdkTracer,
    name: &'static str,
    start_ms: u64,
    parent: &Context,
    attrs: Vec<KeyValue>,
) -> Context {
    let span = tracer
        .span_builder(name)
        .with_kind(SpanKind::Client)
        .with_start_time(at(start_ms))
        .with_attributes(attrs)
        .start_with_context(tracer, parent);
    parent.with_span(span)
}

fn llm(model: &str, input: i64, cache_read: Option<i64>, output: i64, cost: f64) -> Vec<KeyValue> {
    let mut attrs = vec![
        KeyValue::new("gen_ai.operation.name", "chat"),
        KeyValue::new("gen_ai.provider.name", "openai"),
        KeyValue::new("gen_ai.response.model", model.to_owned()),
        KeyValue::new("gen_ai.usage.input_tokens", input),
        KeyValue::new("gen_ai.usage.output_tokens", output),
        KeyValue::new("llmscope.cost.total", cost),
    ];
    if let Some(cache_read) = cache_read {
        attrs.push(KeyValue::new(
            "gen_ai.usage.cache_read.input_tokens",
            cache_read,
        ));
    }
    attrs
}

/// An agent with two model calls (one with a grandchild) and a failing tool, ended child-first
/// and out of start order.
fn agent_trace(tracer: &SdkTracer) -> TraceId {
    let root = start(
        tracer,
        "invoke_agent research_assistant",
        0,
        &Context::new(),
        vec![
            KeyValue::new("gen_ai.operation.name", "invoke_agent"),
            // Aggregates of the children: shown on the line, never added to the footer again.
            KeyValue::new("gen_ai.usage.input_tokens", 3_234),
            KeyValue::new("gen_ai.usage.output_tokens", 156),
            KeyValue::new("llmscope.cost.total", 0.002245),
        ],
    );
    let chat = start(
        tracer,
        "chat gpt-4o",
        10,
        &root,
        llm("gpt-4o-2024-08-06", 1_234, Some(1_000), 56, 0.001845),
    );
    let parse = start(tracer, "parse_answer", 800, &chat, vec![]);
    let mini = start(
        tracer,
        "chat gpt-4o-mini",
        500,
        &root,
        llm("gpt-4o-mini-2024-07-18", 2_000, None, 100, 0.0004),
    );
    let tool = start(
        tracer,
        "execute_tool web_search",
        830,
        &root,
        vec![
            KeyValue::new("gen_ai.operation.name", "execute_tool"),
            KeyValue::new("error.type", "timeout"),
        ],
    );
    tool.span().set_status(Status::error("deadline exceeded"));

    parse
        .span()
        .end_with_timestamp(at(800) + Duration::from_nanos(21_400));
    tool.span().end_with_timestamp(at(1_232));
    chat.span().end_with_timestamp(at(822));
    mini.span().end_with_timestamp(at(700));
    root.span().end_with_timestamp(at(1_240));
    root.span().span_context().trace_id()
}

#[test]
fn prints_a_whole_trace_when_its_root_ends() {
    let out = Captured::default();
    let (provider, tracer) = install(plain(&out));

    let trace_id = agent_trace(&tracer);

    let expected = [
        format!("trace {}", hex(trace_id)),
        "invoke_agent research_assistant  1.24 s  in 3,234 · out 156 tok · $0.002245".to_owned(),
        "├─ chat gpt-4o  812 ms  gpt-4o-2024-08-06 · in 1,234 · cache read 1,000 · out 56 tok · $0.001845".to_owned(),
        "│  └─ parse_answer  21.4 µs".to_owned(),
        "├─ chat gpt-4o-mini  200 ms  gpt-4o-mini-2024-07-18 · in 2,000 · out 100 tok · $0.000400".to_owned(),
        "└─ execute_tool web_search  402 ms  ✗ timeout".to_owned(),
        // 1,234 + 2,000 in, 56 + 100 out, 0.001845 + 0.0004: the agent's own aggregates are not added.
        "── 5 spans · 2 llm calls · 1 error · in 3,234 · cache read 1,000 · out 156 tok · $0.002245".to_owned(),
        String::new(),
    ];
    assert_eq!(out.lines(), expected);
    provider.shutdown().unwrap();
    assert_eq!(out.lines(), expected, "shutdown printed nothing more");
}

#[test]
fn nothing_is_printed_before_the_root_ends() {
    let out = Captured::default();
    let (provider, tracer) = install(plain(&out));

    let root = start(&tracer, "root", 0, &Context::new(), vec![]);
    let child = start(&tracer, "child", 1, &root, vec![]);
    child.span().end_with_timestamp(at(2));
    assert_eq!(out.text(), "");

    root.span().end_with_timestamp(at(3));
    assert_eq!(
        out.lines()[1..],
        ["root  3.00 ms", "└─ child  1.00 ms", "── 2 spans", ""]
    );
    provider.shutdown().unwrap();
}

#[test]
fn durations_can_be_hidden() {
    let out = Captured::default();
    let exporter = TerminalExporter::builder()
        .with_writer(out.clone())
        .with_color(false)
        .with_durations(false)
        .build();
    let (provider, tracer) = install(exporter);

    agent_trace(&tracer);

    assert_eq!(
        out.lines()[1..6],
        [
            "invoke_agent research_assistant  in 3,234 · out 156 tok · $0.002245",
            "├─ chat gpt-4o  gpt-4o-2024-08-06 · in 1,234 · cache read 1,000 · out 56 tok · $0.001845",
            "│  └─ parse_answer",
            "├─ chat gpt-4o-mini  gpt-4o-mini-2024-07-18 · in 2,000 · out 100 tok · $0.000400",
            "└─ execute_tool web_search  ✗ timeout",
        ]
    );
    provider.shutdown().unwrap();
}

#[test]
fn a_span_under_a_remote_parent_is_a_local_root() {
    let out = Captured::default();
    let (provider, tracer) = install(plain(&out));
    let trace_id = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
    let remote = SpanContext::new(
        trace_id,
        SpanId::from_hex("00f067aa0ba902b7").unwrap(),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    );
    let incoming = Context::new().with_remote_span_context(remote);

    let server = start(&tracer, "POST /ask", 0, &incoming, vec![]);
    let chat = start(
        &tracer,
        "chat gpt-4o",
        1,
        &server,
        llm("gpt-4o", 10, None, 5, 0.0001),
    );
    chat.span().end_with_timestamp(at(2));
    server.span().end_with_timestamp(at(4));

    assert_eq!(
        out.lines(),
        [
            "trace 4bf92f3577b34da6a3ce929d0e0e4736",
            "POST /ask  4.00 ms",
            "└─ chat gpt-4o  1.00 ms  gpt-4o · in 10 · out 5 tok · $0.000100",
            "── 2 spans · 1 llm call · in 10 · out 5 tok · $0.000100",
            "",
        ]
    );
    provider.shutdown().unwrap();
}

#[test]
fn an_orphan_waits_and_is_flushed_as_incomplete() {
    let out = Captured::default();
    let (provider, tracer) = install(plain(&out));
    // A local (not remote) parent that this process never exports.
    let parent = SpanContext::new(
        TraceId::from_hex("0af7651916cd43dd8448eb211c80319c").unwrap(),
        SpanId::from_hex("b7ad6b7169203331").unwrap(),
        TraceFlags::SAMPLED,
        false,
        TraceState::default(),
    );
    let cx = Context::new().with_remote_span_context(parent);
    let orphan = start(&tracer, "orphan", 0, &cx, vec![]);
    let child = start(&tracer, "orphan child", 1, &orphan, vec![]);
    child.span().end_with_timestamp(at(2));
    orphan.span().end_with_timestamp(at(5));
    assert_eq!(out.text(), "", "the parent may still end");

    provider.shutdown().unwrap();

    assert_eq!(
        out.lines(),
        [
            "trace 0af7651916cd43dd8448eb211c80319c (incomplete: the root has not ended)",
            "orphan  5.00 ms  parent b7ad6b7169203331 not seen",
            "└─ orphan child  1.00 ms",
            "── 2 spans",
            "",
        ]
    );
}

#[test]
fn shutdown_prints_waiting_spans() {
    let out = Captured::default();
    let (provider, tracer) = install(plain(&out));
    let root = start(&tracer, "never ends", 0, &Context::new(), vec![]);
    let child = start(&tracer, "step", 0, &root, vec![]);
    child.span().end_with_timestamp(at(7));

    provider.shutdown().unwrap();

    let root_id = root.span().span_context().span_id();
    let lines = out.lines();
    assert!(
        lines[0].ends_with(" (incomplete: the root has not ended)"),
        "{lines:?}"
    );
    assert_eq!(
        lines[1],
        format!("step  7.00 ms  parent {root_id} not seen")
    );
    assert_eq!(lines[2], "── 1 span");
}

#[test]
fn a_span_ending_after_its_printed_parent_is_printed_late() {
    let out = Captured::default();
    let (provider, tracer) = install(plain(&out));
    let root = start(&tracer, "request", 0, &Context::new(), vec![]);
    let background = start(&tracer, "background", 1, &root, vec![]);
    root.span().end_with_timestamp(at(2));
    background.span().end_with_timestamp(at(9));

    let trace = hex(root.span().span_context().trace_id());
    assert_eq!(
        out.lines(),
        [
            format!("trace {trace}"),
            "request  2.00 ms".to_owned(),
            "── 1 span".to_owned(),
            String::new(),
            format!("trace {trace} (late: the parent was printed earlier)"),
            "background  8.00 ms".to_owned(),
            "── 1 span".to_owned(),
            String::new(),
        ]
    );
    provider.shutdown().unwrap();
}

#[test]
fn the_oldest_trace_is_printed_when_the_buffer_is_full() {
    let out = Captured::default();
    let exporter = TerminalExporter::builder()
        .with_writer(out.clone())
        .with_color(false)
        .with_durations(false)
        .with_max_buffered_spans(2)
        .build();
    let (provider, tracer) = install(exporter);
    let roots: Vec<Context> = (0..3)
        .map(|i| start(&tracer, ["a", "b", "c"][i], 0, &Context::new(), vec![]))
        .collect();
    for (i, root) in roots.iter().enumerate() {
        let child = start(&tracer, ["a.1", "b.1", "c.1"][i], 1, root, vec![]);
        child.span().end_with_timestamp(at(2));
    }

    // Three waiting spans, at most two kept: the first trace is printed, incomplete.
    let lines = out.lines();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert_eq!(
        lines[0],
        format!(
            "trace {} (incomplete: the root has not ended)",
            hex(roots[0].span().span_context().trace_id())
        )
    );
    assert!(lines[1].starts_with("a.1  parent "), "{lines:?}");

    // When the roots end, "a" is printed alone and "b", "c" as whole trees.
    for root in &roots {
        root.span().end_with_timestamp(at(3));
    }
    let lines = out.lines();
    let trees: Vec<&[String]> = lines
        .split(|l| l.is_empty())
        .filter(|t| !t.is_empty())
        .collect();
    assert_eq!(trees.len(), 4, "{lines:?}");
    assert_eq!(trees[1][1..], ["a", "── 1 span"]);
    assert_eq!(trees[2][1..], ["b", "└─ b.1", "── 2 spans"]);
    assert_eq!(trees[3][1..], ["c", "└─ c.1", "── 2 spans"]);
    provider.shutdown().unwrap();
}

#[test]
fn an_error_without_a_type_shows_the_status_description() {
    let out = Captured::default();
    let (provider, tracer) = install(plain(&out));
    let cx = start(&tracer, "chat gpt-4o", 0, &Context::new(), vec![]);
    cx.span().set_status(Status::error("rate limited"));
    cx.span().end_with_timestamp(at(1));

    assert_eq!(
        out.lines()[1..3],
        [
            "chat gpt-4o  1.00 ms  ✗ rate limited",
            "── 1 span · 1 error"
        ]
    );
    provider.shutdown().unwrap();
}

#[test]
fn llmscope_cost_wins_over_the_proposed_gen_ai_cost() {
    let out = Captured::default();
    let (provider, tracer) = install(plain(&out));
    // llmscope's own cost (USD) beside the proposed key (as `gen_ai_latest_experimental`
    // writes it, or another instrumentation with another currency).
    let ours = start(
        &tracer,
        "chat gpt-4o",
        0,
        &Context::new(),
        vec![
            KeyValue::new("gen_ai.operation.name", "chat"),
            KeyValue::new("gen_ai.usage.cost.amount", 9.0),
            KeyValue::new("gen_ai.usage.cost.currency", "EUR"),
            KeyValue::new("llmscope.cost.total", 0.002),
        ],
    );
    ours.span().end_with_timestamp(at(1));
    // Only the proposed key: another instrumentation's span.
    let theirs = start(
        &tracer,
        "chat other",
        0,
        &Context::new(),
        vec![
            KeyValue::new("gen_ai.operation.name", "chat"),
            KeyValue::new("gen_ai.usage.cost.amount", 0.5),
            KeyValue::new("gen_ai.usage.cost.currency", "EUR"),
        ],
    );
    theirs.span().end_with_timestamp(at(1));

    let text = out.text();
    assert!(text.contains("chat gpt-4o  1.00 ms  $0.002000"), "{text}");
    assert!(!text.contains("9.0000"), "{text}");
    assert!(text.contains("chat other  1.00 ms  0.500000 EUR"), "{text}");
    provider.shutdown().unwrap();
}

#[test]
fn colour_is_ansi_when_forced_and_absent_otherwise() {
    let coloured = Captured::default();
    let exporter = TerminalExporter::builder()
        .with_writer(coloured.clone())
        .with_color(true)
        .build();
    let (provider, tracer) = install(exporter);
    agent_trace(&tracer);
    provider.shutdown().unwrap();
    let text = coloured.text();
    assert!(text.contains("\u{1b}[31m✗ timeout\u{1b}[0m"), "{text}");
    assert!(
        text.contains("\u{1b}[1minvoke_agent research_assistant\u{1b}[0m"),
        "{text}"
    );
    assert!(
        text.contains("\u{1b}[36mgpt-4o-2024-08-06\u{1b}[0m"),
        "{text}"
    );

    // A custom writer without `with_color` gets no colour.
    let uncoloured = Captured::default();
    let exporter = TerminalExporter::builder()
        .with_writer(uncoloured.clone())
        .build();
    let (provider, tracer) = install(exporter);
    agent_trace(&tracer);
    provider.shutdown().unwrap();
    assert!(!uncoloured.text().contains('\u{1b}'));
}

#[test]
fn exporting_after_shutdown_fails() {
    use opentelemetry_sdk::trace::SpanExporter;
    let exporter = TerminalExporter::builder()
        .with_writer(Captured::default())
        .build();
    exporter.shutdown().unwrap();
    assert!(exporter.shutdown().is_err());
    assert!(exporter.force_flush().is_err());
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
fn force_flush_prints_waiting_spans_as_incomplete() {
    use opentelemetry_sdk::trace::{InMemorySpanExporter, SpanExporter};
    // Finished spans from the SDK's in-memory exporter, fed to the terminal exporter by hand:
    // the SDK's processors do not forward force_flush to their exporter.
    let memory = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(memory.clone())
        .build();
    let tracer = provider.tracer("export-terminal-test");
    let root = start(&tracer, "root", 0, &Context::new(), vec![]);
    let child = start(&tracer, "child", 1, &root, vec![]);
    child.span().end_with_timestamp(at(3));
    let spans = memory.get_finished_spans().unwrap();
    assert_eq!(spans.len(), 1);

    let out = Captured::default();
    let exporter = TerminalExporter::builder()
        .with_writer(out.clone())
        .with_color(false)
        .build();
    ready(exporter.export(spans)).unwrap();
    assert_eq!(out.text(), "");
    exporter.force_flush().unwrap();

    let root_id = root.span().span_context().span_id();
    assert_eq!(
        out.lines(),
        [
            format!(
                "trace {} (incomplete: the root has not ended)",
                hex(root.span().span_context().trace_id())
            ),
            format!("child  2.00 ms  parent {root_id} not seen"),
            "── 1 span".to_owned(),
            String::new(),
        ]
    );
    exporter.force_flush().unwrap();
    assert_eq!(out.lines().len(), 4, "a second flush prints nothing");
    provider.shutdown().unwrap();
}
