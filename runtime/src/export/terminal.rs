//! A span exporter that prints each finished trace as a tree on a terminal.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt::{self, Write as _};
use std::io::{self, IsTerminal, Write};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use opentelemetry::trace::{SpanId, Status, TraceId};
use opentelemetry::Value;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

/// How many finished spans may wait for their local root before the oldest trace is printed
/// as incomplete.
const DEFAULT_MAX_BUFFERED_SPANS: usize = 10_000;

/// How many printed span ids are remembered to recognise spans that end after their parent
/// was printed.
const PRINTED_SPAN_MEMORY: usize = 16_384;

const OPERATION_NAME: &str = "gen_ai.operation.name";
const INPUT_TOKENS: &str = "gen_ai.usage.input_tokens";
const OUTPUT_TOKENS: &str = "gen_ai.usage.output_tokens";
const CACHE_READ_TOKENS: &str = "gen_ai.usage.cache_read.input_tokens";
/// llmscope's cost (USD).
const COST_TOTAL: &str = "llmscope.cost.total";
/// The proposed GenAI cost (`gen_ai_latest_experimental`, or another instrumentation's spans).
const PROPOSED_COST_AMOUNT: &str = "gen_ai.usage.cost.amount";
const PROPOSED_COST_CURRENCY: &str = "gen_ai.usage.cost.currency";
const RESPONSE_MODEL: &str = "gen_ai.response.model";
const ERROR_TYPE: &str = "error.type";
const TIME_TO_FIRST_CHUNK: &str = crate::stream::keys::RESPONSE_TIME_TO_FIRST_CHUNK;
const STREAM_CHUNKS: &str = crate::stream::keys::CHUNKS;
const CANCELLED: &str = crate::stream::keys::CANCELLED;

/// Operations whose spans are model calls; only these count towards a trace's totals, so an
/// agent span carrying aggregates of its children is not counted twice.
const MODEL_OPERATIONS: [&str; 4] = ["chat", "text_completion", "generate_content", "embeddings"];

const BOLD: &str = "1";
const DIM: &str = "2";
const RED: &str = "31";
const YELLOW: &str = "33";
const CYAN: &str = "36";

/// Prints each finished trace as a tree: one line per span with its duration, model, token
/// counts, cost and error, and a footer with the trace's totals.
///
/// Spans end child-first, so the exporter buffers the spans of a trace until its *local root*
/// ends: a span with no parent, or whose parent is remote (it came from another process through
/// `traceparent`). A span that ends after its parent was already printed is printed on its own,
/// marked late. Memory is bounded: when more than
/// [`with_max_buffered_spans`](TerminalExporterBuilder::with_max_buffered_spans) spans are
/// waiting, the oldest trace is printed as incomplete; [`force_flush`](SpanExporter::force_flush)
/// and shutdown print every waiting trace the same way. (The SDK's processors do not forward
/// `SdkTracerProvider::force_flush` to their exporter in opentelemetry_sdk 0.33; shutting the
/// provider down does reach it.)
///
/// ```text
/// trace 4bf92f3577b34da6a3ce929d0e0e4736
/// invoke_agent research_assistant  1.24 s
/// ├─ chat gpt-4o  812 ms  gpt-4o-2024-08-06 · in 1,234 · cache read 1,024 · out 56 tok · $0.001845
/// │  └─ parse_answer  21.4 µs
/// └─ execute_tool web_search  402 ms  ✗ timeout
/// ── 4 spans · 1 llm call · 1 error · in 1,234 · cache read 1,024 · out 56 tok · $0.001845
/// ```
///
/// Token counts, cost and model come from the GenAI attributes `gen_ai.usage.input_tokens`,
/// `gen_ai.usage.output_tokens`, `gen_ai.usage.cache_read.input_tokens`,
/// `gen_ai.response.model`, and llmscope's `llmscope.cost.total` (USD); spans without it show
/// the proposed `gen_ai.usage.cost.amount` (USD unless `gen_ai.usage.cost.currency` says
/// otherwise), as other instrumentations may write it. The footer sums only model calls (`gen_ai.operation.name` is `chat`,
/// `text_completion`, `generate_content` or `embeddings`).
///
/// Each trace is written with a single `write_all`, so traces printed from several threads never
/// interleave within one exporter.
///
/// # Examples
///
/// ```
/// use llmscope::export::TerminalExporter;
/// use opentelemetry::trace::{Span, Tracer, TracerProvider};
/// use opentelemetry_sdk::trace::SdkTracerProvider;
///
/// let provider = SdkTracerProvider::builder()
///     .with_simple_exporter(TerminalExporter::stdout())
///     .build();
/// let tracer = provider.tracer("quickstart");
/// tracer.in_span("chat gpt-4o", |_cx| {});
/// provider.shutdown().unwrap();
/// ```
pub struct TerminalExporter {
    state: Mutex<State>,
    style: Style,
    max_buffered_spans: usize,
}

/// Builder for [`TerminalExporter`].
///
/// # Examples
///
/// ```
/// use llmscope::export::TerminalExporter;
///
/// // Colour off, durations hidden, into any writer (here: standard error).
/// let exporter = TerminalExporter::builder()
///     .with_writer(std::io::stderr())
///     .with_color(false)
///     .with_durations(false)
///     .with_max_buffered_spans(1_000)
///     .build();
/// # drop(exporter);
/// ```
#[must_use = "call `build()` to get the exporter"]
pub struct TerminalExporterBuilder {
    writer: Option<Box<dyn Write + Send>>,
    color: Option<bool>,
    durations: bool,
    max_buffered_spans: usize,
}

impl fmt::Debug for TerminalExporterBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TerminalExporterBuilder")
            .field(
                "writer",
                &self.writer.as_ref().map_or("stdout", |_| "custom"),
            )
            .field("color", &self.color)
            .field("durations", &self.durations)
            .field("max_buffered_spans", &self.max_buffered_spans)
            .finish()
    }
}

impl Default for TerminalExporterBuilder {
    fn default() -> Self {
        TerminalExporterBuilder {
            writer: None,
            color: None,
            durations: true,
            max_buffered_spans: DEFAULT_MAX_BUFFERED_SPANS,
        }
    }
}

impl TerminalExporterBuilder {
    /// Writes the trees to `writer` instead of standard output.
    ///
    /// Colour is then off unless [`with_color(true)`](Self::with_color) asks for it.
    pub fn with_writer(mut self, writer: impl Write + Send + 'static) -> Self {
        self.writer = Some(Box::new(writer));
        self
    }

    /// Forces ANSI colour on or off.
    ///
    /// By default colour is on only when writing to standard output, standard output is a
    /// terminal, and the `NO_COLOR` environment variable is unset or empty.
    pub fn with_color(mut self, color: bool) -> Self {
        self.color = Some(color);
        self
    }

    /// Shows or hides span durations (shown by default); hiding them makes the output
    /// reproducible, for tests and documentation.
    pub fn with_durations(mut self, durations: bool) -> Self {
        self.durations = durations;
        self
    }

    /// Sets how many finished spans may wait for their local root (default 10,000, at least 1);
    /// beyond that the oldest waiting trace is printed as incomplete.
    pub fn with_max_buffered_spans(mut self, max: usize) -> Self {
        self.max_buffered_spans = max.max(1);
        self
    }

    /// Builds the exporter.
    pub fn build(self) -> TerminalExporter {
        let color = self
            .color
            .unwrap_or_else(|| self.writer.is_none() && stdout_wants_color());
        let out = self
            .writer
            .unwrap_or_else(|| Box::new(io::stdout()) as Box<dyn Write + Send>);
        TerminalExporter {
            state: Mutex::new(State {
                out,
                pending: HashMap::new(),
                arrival: VecDeque::new(),
                buffered: 0,
                printed: RecentSpans::default(),
                shut_down: false,
            }),
            style: Style {
                color,
                durations: self.durations,
            },
            max_buffered_spans: self.max_buffered_spans,
        }
    }
}

fn stdout_wants_color() -> bool {
    io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

impl TerminalExporter {
    /// Returns a builder with the defaults: standard output, colour when it is a terminal,
    /// durations shown, at most 10,000 buffered spans.
    pub fn builder() -> TerminalExporterBuilder {
        TerminalExporterBuilder::default()
    }

    /// Returns an exporter printing to standard output with the defaults of [`builder`](Self::builder).
    pub fn stdout() -> TerminalExporter {
        TerminalExporterBuilder::default().build()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn export_batch(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let mut state = self.lock();
        if state.shut_down {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        let mut text = String::new();
        for span in batch {
            state.accept(span, &self.style, self.max_buffered_spans, &mut text);
        }
        state.write(&text)
    }

    fn flush_pending(&self, state: &mut State) -> OTelSdkResult {
        let mut text = String::new();
        while state.evict_oldest(&self.style, &mut text) {}
        state.write(&text)
    }
}

impl Default for TerminalExporter {
    fn default() -> Self {
        TerminalExporter::stdout()
    }
}

impl fmt::Debug for TerminalExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TerminalExporter")
            .field("color", &self.style.color)
            .field("durations", &self.style.durations)
            .field("max_buffered_spans", &self.max_buffered_spans)
            .finish_non_exhaustive()
    }
}

impl SpanExporter for TerminalExporter {
    fn export(
        &self,
        batch: Vec<SpanData>,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        std::future::ready(self.export_batch(batch))
    }

    fn force_flush(&self) -> OTelSdkResult {
        let mut state = self.lock();
        if state.shut_down {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        self.flush_pending(&mut state)
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        let mut state = self.lock();
        if state.shut_down {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        state.shut_down = true;
        self.flush_pending(&mut state)
    }
}

#[derive(Clone, Copy, Debug)]
struct Style {
    color: bool,
    durations: bool,
}

impl Style {
    /// Writes `text` wrapped in the ANSI SGR `code` when colour is on.
    fn paint(&self, out: &mut String, code: &str, text: &str) {
        if self.color {
            let _ = write!(out, "\x1b[{code}m{text}\x1b[0m");
        } else {
            out.push_str(text);
        }
    }
}

struct State {
    out: Box<dyn Write + Send>,
    /// Finished spans waiting for their local root, by trace.
    pending: HashMap<TraceId, Vec<SpanData>>,
    /// Trace ids in the order their first waiting span arrived; may hold ids no longer pending.
    arrival: VecDeque<TraceId>,
    /// Number of spans in `pending`.
    buffered: usize,
    printed: RecentSpans,
    shut_down: bool,
}

/// Why a group of spans is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Completion {
    /// The local root ended: the tree is whole.
    Complete,
    /// The spans' parent was printed earlier.
    Late,
    /// Flushed (cap, force_flush or shutdown) before the local root ended.
    Incomplete,
}

impl State {
    fn accept(&mut self, span: SpanData, style: &Style, max_buffered: usize, text: &mut String) {
        let parent = span.parent_span_id;
        let completion = if parent == SpanId::INVALID || span.parent_span_is_remote {
            Some(Completion::Complete)
        } else if self.printed.contains(parent) {
            Some(Completion::Late)
        } else {
            None
        };
        match completion {
            Some(completion) => {
                let mut group =
                    self.take_subtree(span.span_context.trace_id(), span.span_context.span_id());
                group.push(span);
                self.print(group, completion, style, text);
            }
            None => {
                let trace_id = span.span_context.trace_id();
                let waiting = self.pending.entry(trace_id).or_default();
                if waiting.is_empty() {
                    self.arrival.push_back(trace_id);
                }
                waiting.push(span);
                self.buffered += 1;
                while self.buffered > max_buffered && self.evict_oldest(style, text) {}
                self.compact_arrival();
            }
        }
    }

    /// Removes and returns the waiting descendants of `root` in trace `trace_id`.
    fn take_subtree(&mut self, trace_id: TraceId, root: SpanId) -> Vec<SpanData> {
        let Some(waiting) = self.pending.get_mut(&trace_id) else {
            return Vec::new();
        };
        let mut children: HashMap<SpanId, Vec<usize>> = HashMap::new();
        for (index, span) in waiting.iter().enumerate() {
            children.entry(span.parent_span_id).or_default().push(index);
        }
        let mut in_subtree = vec![false; waiting.len()];
        let mut stack = vec![root];
        while let Some(id) = stack.pop() {
            for &index in children.get(&id).map(Vec::as_slice).unwrap_or_default() {
                if !in_subtree[index] {
                    in_subtree[index] = true;
                    stack.push(waiting[index].span_context.span_id());
                }
            }
        }
        let (taken, kept): (Vec<_>, Vec<_>) = std::mem::take(waiting)
            .into_iter()
            .zip(in_subtree)
            .partition(|(_, taken)| *taken);
        let taken: Vec<SpanData> = taken.into_iter().map(|(span, _)| span).collect();
        self.buffered -= taken.len();
        if kept.is_empty() {
            self.pending.remove(&trace_id);
        } else {
            *waiting = kept.into_iter().map(|(span, _)| span).collect();
        }
        taken
    }

    /// Prints the trace that has waited longest as incomplete; false when nothing waits.
    fn evict_oldest(&mut self, style: &Style, text: &mut String) -> bool {
        while let Some(trace_id) = self.arrival.pop_front() {
            if let Some(group) = self.pending.remove(&trace_id) {
                self.buffered -= group.len();
                self.print(group, Completion::Incomplete, style, text);
                return true;
            }
        }
        false
    }

    /// Drops stale ids from `arrival` once it is much longer than `pending`.
    fn compact_arrival(&mut self) {
        if self.arrival.len() > 2 * self.pending.len() + 64 {
            let mut seen = HashSet::new();
            let pending = &self.pending;
            self.arrival
                .retain(|id| pending.contains_key(id) && seen.insert(*id));
        }
    }

    fn print(
        &mut self,
        group: Vec<SpanData>,
        completion: Completion,
        style: &Style,
        text: &mut String,
    ) {
        for span in &group {
            self.printed.insert(span.span_context.span_id());
        }
        render_trace(&group, completion, style, text);
    }

    fn write(&mut self, text: &str) -> OTelSdkResult {
        if text.is_empty() {
            return Ok(());
        }
        self.out
            .write_all(text.as_bytes())
            .and_then(|()| self.out.flush())
            .map_err(|err| {
                OTelSdkError::InternalFailure(format!(
                    "terminal exporter: cannot write the trace tree: {err}"
                ))
            })
    }
}

/// A bounded memory of recently printed span ids.
#[derive(Default)]
struct RecentSpans {
    set: HashSet<SpanId>,
    order: VecDeque<SpanId>,
}

impl RecentSpans {
    fn contains(&self, id: SpanId) -> bool {
        self.set.contains(&id)
    }

    fn insert(&mut self, id: SpanId) {
        if self.set.insert(id) {
            self.order.push_back(id);
            if self.order.len() > PRINTED_SPAN_MEMORY {
                if let Some(oldest) = self.order.pop_front() {
                    self.set.remove(&oldest);
                }
            }
        }
    }
}

/// The GenAI facts shown for one span.
#[derive(Default)]
struct Facts<'a> {
    model_call: bool,
    model: Option<&'a str>,
    input_tokens: Option<i64>,
    output_tokens: Option<i64>,
    cache_read_tokens: Option<i64>,
    cost: Option<f64>,
    currency: Option<&'a str>,
    error: Option<String>,
    /// A streamed call's time to first chunk, in seconds.
    time_to_first_chunk: Option<f64>,
    /// A streamed call's chunk count.
    chunks: Option<i64>,
    /// The call was dropped before it finished (a stream abandoned by its consumer).
    cancelled: bool,
}

impl<'a> Facts<'a> {
    fn of(span: &'a SpanData) -> Facts<'a> {
        let mut facts = Facts::default();
        let mut error_type = None;
        let mut total = None;
        for kv in &span.attributes {
            match kv.key.as_str() {
                OPERATION_NAME => {
                    facts.model_call =
                        as_str(&kv.value).is_some_and(|op| MODEL_OPERATIONS.contains(&op))
                }
                RESPONSE_MODEL => facts.model = as_str(&kv.value),
                INPUT_TOKENS => facts.input_tokens = as_int(&kv.value),
                OUTPUT_TOKENS => facts.output_tokens = as_int(&kv.value),
                CACHE_READ_TOKENS => facts.cache_read_tokens = as_int(&kv.value),
                COST_TOTAL => total = as_float(&kv.value),
                PROPOSED_COST_AMOUNT => facts.cost = as_float(&kv.value),
                PROPOSED_COST_CURRENCY => facts.currency = as_str(&kv.value),
                ERROR_TYPE => error_type = Some(kv.value.as_str().into_owned()),
                TIME_TO_FIRST_CHUNK => facts.time_to_first_chunk = as_float(&kv.value),
                STREAM_CHUNKS => facts.chunks = as_int(&kv.value),
                CANCELLED => facts.cancelled = matches!(kv.value, Value::Bool(true)),
                _ => {}
            }
        }
        if total.is_some() {
            facts.cost = total;
            facts.currency = None;
        }
        facts.error = match (&span.status, error_type) {
            (_, Some(error_type)) => Some(error_type),
            (_, None) if facts.cancelled => Some("abandoned".to_owned()),
            (Status::Error { description }, None) if !description.is_empty() => {
                Some(description.to_string())
            }
            (Status::Error { .. }, None) => Some("error".to_owned()),
            _ => None,
        };
        facts
    }
}

fn as_str(value: &Value) -> Option<&str> {
    match value {
        Value::String(s) => Some(s.as_str()),
        _ => None,
    }
}

fn as_int(value: &Value) -> Option<i64> {
    match value {
        Value::I64(v) => Some(*v),
        Value::F64(v) if v.is_finite() && v.fract() == 0.0 => Some(*v as i64),
        Value::String(s) => s.as_str().trim().parse().ok(),
        _ => None,
    }
}

fn as_float(value: &Value) -> Option<f64> {
    match value {
        Value::F64(v) if v.is_finite() => Some(*v),
        Value::I64(v) => Some(*v as f64),
        Value::String(s) => s
            .as_str()
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite()),
        _ => None,
    }
}

/// Sums of the model calls in one printed tree.
#[derive(Default)]
struct Totals {
    spans: usize,
    errors: usize,
    model_calls: usize,
    input_tokens: Option<i64>,
    output_tokens: Option<i64>,
    cache_read_tokens: Option<i64>,
    cost: Option<f64>,
    currency: Option<String>,
    mixed_currencies: bool,
}

impl Totals {
    fn add(&mut self, facts: &Facts<'_>) {
        self.spans += 1;
        self.errors += usize::from(facts.error.is_some());
        if !facts.model_call {
            return;
        }
        self.model_calls += 1;
        add_opt(&mut self.input_tokens, facts.input_tokens);
        add_opt(&mut self.output_tokens, facts.output_tokens);
        add_opt(&mut self.cache_read_tokens, facts.cache_read_tokens);
        if let Some(cost) = facts.cost {
            *self.cost.get_or_insert(0.0) += cost;
            let currency = facts.currency.unwrap_or("USD");
            match &self.currency {
                None => self.currency = Some(currency.to_owned()),
                Some(seen) if seen != currency => self.mixed_currencies = true,
                Some(_) => {}
            }
        }
    }
}

fn add_opt(total: &mut Option<i64>, value: Option<i64>) {
    if let Some(value) = value {
        *total = Some(total.unwrap_or(0).saturating_add(value));
    }
}

/// Renders one group of spans of a single trace: header, one line per span, footer.
fn render_trace(group: &[SpanData], completion: Completion, style: &Style, out: &mut String) {
    let Some(first) = group.first() else {
        return;
    };
    let ids: HashSet<SpanId> = group.iter().map(|s| s.span_context.span_id()).collect();
    let mut children: HashMap<SpanId, Vec<usize>> = HashMap::new();
    let mut roots = Vec::new();
    for (index, span) in group.iter().enumerate() {
        if span.parent_span_id != SpanId::INVALID && ids.contains(&span.parent_span_id) {
            children.entry(span.parent_span_id).or_default().push(index);
        } else {
            roots.push(index);
        }
    }
    let order = |a: &usize, b: &usize| {
        let (a, b) = (&group[*a], &group[*b]);
        (
            a.start_time,
            a.end_time,
            a.span_context.span_id().to_bytes(),
        )
            .cmp(&(
                b.start_time,
                b.end_time,
                b.span_context.span_id().to_bytes(),
            ))
    };
    roots.sort_by(order);
    for list in children.values_mut() {
        list.sort_by(order);
    }

    style.paint(
        out,
        BOLD,
        &format!("trace {}", first.span_context.trace_id()),
    );
    match completion {
        Completion::Complete => {}
        Completion::Late => style.paint(out, DIM, " (late: the parent was printed earlier)"),
        Completion::Incomplete => style.paint(out, DIM, " (incomplete: the root has not ended)"),
    }
    out.push('\n');

    let mut totals = Totals::default();
    // Depth-first, iteratively: (span index, prefix of its children, glyph before its name).
    let mut stack: Vec<(usize, String, &str)> = roots
        .iter()
        .rev()
        .map(|&index| (index, String::new(), ""))
        .collect();
    while let Some((index, prefix, glyph)) = stack.pop() {
        let span = &group[index];
        let facts = Facts::of(span);
        totals.add(&facts);
        let is_root = glyph.is_empty();
        if !is_root {
            style.paint(out, DIM, &format!("{prefix}{glyph}"));
        }
        let orphan = is_root
            && completion == Completion::Incomplete
            && span.parent_span_id != SpanId::INVALID;
        render_line(span, &facts, is_root, orphan, style, out);

        if let Some(kids) = children.get(&span.span_context.span_id()) {
            let child_prefix = match glyph {
                "" => prefix.clone(),
                "└─ " => format!("{prefix}   "),
                _ => format!("{prefix}│  "),
            };
            for (position, &child) in kids.iter().enumerate().rev() {
                let glyph = if position + 1 == kids.len() {
                    "└─ "
                } else {
                    "├─ "
                };
                stack.push((child, child_prefix.clone(), glyph));
            }
        }
    }
    render_footer(&totals, style, out);
}

fn render_line(
    span: &SpanData,
    facts: &Facts<'_>,
    is_root: bool,
    orphan: bool,
    style: &Style,
    out: &mut String,
) {
    if is_root {
        style.paint(out, BOLD, &span.name);
    } else {
        out.push_str(&span.name);
    }
    if style.durations {
        let duration = span
            .end_time
            .duration_since(span.start_time)
            .unwrap_or(Duration::ZERO);
        out.push_str("  ");
        style.paint(out, DIM, &format_duration(duration));
    }
    let mut first = true;
    let mut part = |out: &mut String, code: Option<&str>, text: &str| {
        out.push_str(if first { "  " } else { " · " });
        first = false;
        match code {
            Some(code) => style.paint(out, code, text),
            None => out.push_str(text),
        }
    };
    if let Some(model) = facts.model {
        part(out, Some(CYAN), model);
    }
    for text in token_parts(
        facts.input_tokens,
        facts.cache_read_tokens,
        facts.output_tokens,
    ) {
        part(out, None, &text);
    }
    if let Some(cost) = facts.cost {
        part(out, Some(YELLOW), &format_cost(cost, facts.currency));
    }
    if let Some(ttfc) = facts.time_to_first_chunk {
        let ttfc = Duration::try_from_secs_f64(ttfc).unwrap_or(Duration::ZERO);
        part(out, None, &format!("ttfc {}", format_duration(ttfc)));
    }
    if let Some(chunks) = facts.chunks {
        part(
            out,
            None,
            &plural(chunks.max(0) as usize, "chunk", "chunks"),
        );
    }
    if let Some(error) = &facts.error {
        part(out, Some(RED), &format!("✗ {error}"));
    }
    if orphan {
        part(
            out,
            Some(DIM),
            &format!("parent {} not seen", span.parent_span_id),
        );
    }
    out.push('\n');
}

fn render_footer(totals: &Totals, style: &Style, out: &mut String) {
    let mut parts = vec![plural(totals.spans, "span", "spans")];
    if totals.model_calls > 0 {
        parts.push(plural(totals.model_calls, "llm call", "llm calls"));
    }
    if totals.errors > 0 {
        parts.push(plural(totals.errors, "error", "errors"));
    }
    parts.extend(token_parts(
        totals.input_tokens,
        totals.cache_read_tokens,
        totals.output_tokens,
    ));
    if let Some(cost) = totals.cost {
        if totals.mixed_currencies {
            parts.push("cost in mixed currencies".to_owned());
        } else {
            parts.push(format_cost(cost, totals.currency.as_deref()));
        }
    }
    style.paint(out, DIM, &format!("── {}", parts.join(" · ")));
    out.push_str("\n\n");
}

fn plural(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// `in 1,234 · cache read 1,000 · out 56 tok`, with only the counts that are known.
fn token_parts(input: Option<i64>, cache_read: Option<i64>, output: Option<i64>) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(input) = input {
        parts.push(format!("in {}", group_thousands(input)));
    }
    if let Some(cache_read) = cache_read {
        parts.push(format!("cache read {}", group_thousands(cache_read)));
    }
    if let Some(output) = output {
        parts.push(format!("out {}", group_thousands(output)));
    }
    if let Some(last) = parts.last_mut() {
        last.push_str(" tok");
    }
    parts
}

/// `1234567` → `1,234,567`.
fn group_thousands(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if value < 0 {
        out.push('-');
    }
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `$0.001234` for USD (six decimals below one dollar, four above), `0.001234 EUR` otherwise.
fn format_cost(amount: f64, currency: Option<&str>) -> String {
    let decimals = if amount.abs() < 1.0 { 6 } else { 4 };
    match currency {
        None | Some("USD") => format!("${amount:.decimals$}"),
        Some(currency) => format!("{amount:.decimals$} {currency}"),
    }
}

/// Three significant digits in the largest unit that keeps the number at least 1:
/// `850 ns`, `12.3 µs`, `812 ms`, `1.24 s`; whole seconds from 1000 s.
fn format_duration(duration: Duration) -> String {
    let nanos = duration.as_nanos();
    if nanos < 1_000 {
        return format!("{nanos} ns");
    }
    for (scale, unit) in [(1e3, "µs"), (1e6, "ms"), (1e9, "s")] {
        let value = nanos as f64 / scale;
        let text = if value < 9.995 {
            format!("{value:.2}")
        } else if value < 99.95 {
            format!("{value:.1}")
        } else if value < 999.5 || unit == "s" {
            format!("{value:.0}")
        } else {
            continue;
        };
        return format!("{text} {unit}");
    }
    unreachable!("the seconds branch always returns")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_use_three_significant_digits() {
        let cases = [
            (Duration::from_nanos(0), "0 ns"),
            (Duration::from_nanos(999), "999 ns"),
            (Duration::from_nanos(1_000), "1.00 µs"),
            (Duration::from_nanos(12_345), "12.3 µs"),
            (Duration::from_nanos(999_499), "999 µs"),
            (Duration::from_nanos(999_600), "1.00 ms"),
            (Duration::from_millis(812), "812 ms"),
            (Duration::from_millis(1_240), "1.24 s"),
            (Duration::from_secs(4_000), "4000 s"),
        ];
        for (duration, expected) in cases {
            assert_eq!(format_duration(duration), expected, "{duration:?}");
        }
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1_234), "1,234");
        assert_eq!(group_thousands(1_234_567), "1,234,567");
        assert_eq!(group_thousands(-12_345), "-12,345");
    }

    #[test]
    fn costs_show_currency() {
        assert_eq!(format_cost(0.001234, None), "$0.001234");
        assert_eq!(format_cost(12.5, Some("USD")), "$12.5000");
        assert_eq!(format_cost(0.5, Some("EUR")), "0.500000 EUR");
    }

    #[test]
    fn token_parts_end_with_unit() {
        assert_eq!(
            token_parts(Some(1_234), Some(1_000), Some(56)),
            ["in 1,234", "cache read 1,000", "out 56 tok"]
        );
        assert_eq!(token_parts(Some(5), None, None), ["in 5 tok"]);
        assert!(token_parts(None, None, None).is_empty());
    }
}
