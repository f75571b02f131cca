//! A span exporter that prints each finished trace as a tree on a terminal.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet, VecDeque};

use crate::keys;
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

const OPERATION_NAME: &str = keys::GEN_AI_OPERATION_NAME;
const INPUT_TOKENS: &str = keys::GEN_AI_USAGE_INPUT_TOKENS;
const OUTPUT_TOKENS: &str = keys::GEN_AI_USAGE_OUTPUT_TOKENS;
const CACHE_READ_TOKENS: &str = keys::GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS;
/// Cache writes: the v1.41.0 name, and the newer GenAI name (latest-experimental opt-in).
const CACHE_WRITE_TOKENS: [&str; 2] = [
    keys::GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
    keys::GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS,
];
/// A call's total cost, in order of preference: llmscope's own key, OpenInference's, the
/// proposed GenAI name.
const COST_TOTAL: [&str; 3] = [
    keys::LLMSCOPE_COST_TOTAL,
    keys::LLM_COST_TOTAL,
    keys::GEN_AI_USAGE_COST_AMOUNT,
];
const COST_CURRENCY: &str = keys::GEN_AI_USAGE_COST_CURRENCY;
const RESPONSE_MODEL: &str = keys::GEN_AI_RESPONSE_MODEL;
const ERROR_TYPE: &str = keys::ERROR_TYPE;
const CANCELLED: &str = keys::LLMSCOPE_CANCELLED;
const ABANDONED: [&str; 2] = [keys::LLMSCOPE_ABANDONED, keys::LLMSCOPE_STREAM_ABANDONED];
const STEP_INDEX: &str = keys::LLMSCOPE_AGENT_STEP_INDEX;
const STEP_DECISION: &str = keys::LLMSCOPE_AGENT_STEP_DECISION;
const AGENT_STEPS: &str = keys::LLMSCOPE_AGENT_STEPS;
const AGENT_TOOL_CALLS: &str = keys::LLMSCOPE_AGENT_TOOL_CALLS;
const AGENT_LLM_CALLS: &str = keys::LLMSCOPE_AGENT_LLM_CALLS;
const AGENT_INPUT_TOKENS: &str = keys::LLMSCOPE_AGENT_USAGE_INPUT_TOKENS;
const AGENT_OUTPUT_TOKENS: &str = keys::LLMSCOPE_AGENT_USAGE_OUTPUT_TOKENS;
/// The agent's total cost, in order of preference.
const AGENT_COST: [&str; 2] = [
    keys::LLMSCOPE_AGENT_COST_TOTAL,
    keys::LLMSCOPE_AGENT_COST_AMOUNT,
];
const AGENT_OUTCOME: &str = keys::LLMSCOPE_AGENT_OUTCOME;

/// Nesting levels drawn with their own guide; deeper spans are drawn at this indentation with
/// their depth written out, so a line never grows with the depth of the tree.
const MAX_INDENT_LEVELS: usize = 16;
const TIME_TO_FIRST_CHUNK: &str = crate::stream::keys::RESPONSE_TIME_TO_FIRST_CHUNK;
const STREAM_CHUNKS: &str = crate::stream::keys::CHUNKS;

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
/// invoke_agent research_assistant  1.24 s  2 steps · 1 tool call · 1 llm call · in 1,234 · out 56 tok · $0.001845 · completed
/// ├─ step  812 ms  #1 · call_tool
/// │  ├─ chat gpt-4o  810 ms  gpt-4o-2024-08-06 · in 1,234 · cache read 1,024 · out 56 tok · $0.001845
/// │  └─ execute_tool web_search  402 ms  ✗ timeout
/// └─ step  3.10 ms  #2 · final_answer  ⊘ cancelled
/// ── 5 spans · 1 llm call · 1 error · 1 cancelled · in 1,234 · cache read 1,024 · out 56 tok · $0.001845
/// ```
///
/// Token counts, cost and model come from the GenAI attributes `gen_ai.usage.input_tokens`,
/// `gen_ai.usage.output_tokens`, `gen_ai.usage.cache_read.input_tokens`,
/// `gen_ai.usage.cache_creation.input_tokens` (or `gen_ai.usage.cache_write.input_tokens`), the
/// cost total (`llmscope.cost.total`, else `llm.cost.total`, else `gen_ai.usage.cost.amount`;
/// USD unless `gen_ai.usage.cost.currency` says otherwise) and `gen_ai.response.model`. Costs
/// show at least three significant digits (`$0.0000200` for an embedding, never `$0.000000`).
/// The footer sums only model calls (`gen_ai.operation.name` is `chat`, `text_completion`,
/// `generate_content` or `embeddings`). Agent steps show their index and decision, an agent
/// span its totals and outcome, and a call that was cancelled (its future dropped) or abandoned
/// is marked `⊘`.
///
/// Span names and attribute values are printed with control characters (ANSI escape
/// sequences included) and bidirectional overrides escaped (`\u{1b}[31m`), so a model name or
/// error message can never restyle or rewrite the terminal. Nesting deeper than 16 levels is
/// drawn at the 16th level's indentation with the depth written out (`[depth 40]`), so output
/// grows linearly with the number of spans, whatever the depth.
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
    cache_write_tokens: Option<i64>,
    cost: Option<f64>,
    /// Position in [`COST_TOTAL`] of the key the cost came from.
    cost_rank: usize,
    currency: Option<&'a str>,
    error: Option<String>,
    /// `cancelled` or `abandoned`.
    stopped: Option<&'static str>,
    step_index: Option<i64>,
    step_decision: Option<&'a str>,
    agent: Option<AgentFacts<'a>>,
    /// A streamed call's time to first chunk, in seconds.
    time_to_first_chunk: Option<f64>,
    /// A streamed call's chunk count.
    chunks: Option<i64>,
}

/// What an agent span says about its whole run.
#[derive(Default)]
struct AgentFacts<'a> {
    steps: Option<i64>,
    tool_calls: Option<i64>,
    llm_calls: Option<i64>,
    input_tokens: Option<i64>,
    output_tokens: Option<i64>,
    cost: Option<f64>,
    cost_rank: usize,
    outcome: Option<&'a str>,
}

impl<'a> Facts<'a> {
    fn of(span: &'a SpanData) -> Facts<'a> {
        let mut facts = Facts::default();
        let mut error_type = None;
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
                key if CACHE_WRITE_TOKENS.contains(&key) => {
                    facts.cache_write_tokens = as_int(&kv.value)
                }
                key if COST_TOTAL.contains(&key) => {
                    let rank = COST_TOTAL.iter().position(|k| *k == key).unwrap_or(0);
                    if facts.cost.is_none() || rank < facts.cost_rank {
                        if let Some(cost) = as_float(&kv.value) {
                            facts.cost = Some(cost);
                            facts.cost_rank = rank;
                        }
                    }
                }
                COST_CURRENCY => facts.currency = as_str(&kv.value),
                ERROR_TYPE => error_type = Some(kv.value.as_str().into_owned()),
                CANCELLED if kv.value == Value::Bool(true) => facts.stopped = Some("cancelled"),
                key if ABANDONED.contains(&key) && kv.value == Value::Bool(true) => {
                    facts.stopped.get_or_insert("abandoned");
                }
                STEP_INDEX => facts.step_index = as_int(&kv.value),
                STEP_DECISION => facts.step_decision = as_str(&kv.value),
                AGENT_STEPS => facts.agent_mut().steps = as_int(&kv.value),
                AGENT_TOOL_CALLS => facts.agent_mut().tool_calls = as_int(&kv.value),
                AGENT_LLM_CALLS => facts.agent_mut().llm_calls = as_int(&kv.value),
                AGENT_INPUT_TOKENS => facts.agent_mut().input_tokens = as_int(&kv.value),
                AGENT_OUTPUT_TOKENS => facts.agent_mut().output_tokens = as_int(&kv.value),
                AGENT_OUTCOME => facts.agent_mut().outcome = as_str(&kv.value),
                key if AGENT_COST.contains(&key) => {
                    let rank = AGENT_COST.iter().position(|k| *k == key).unwrap_or(0);
                    let agent = facts.agent_mut();
                    if agent.cost.is_none() || rank < agent.cost_rank {
                        if let Some(cost) = as_float(&kv.value) {
                            agent.cost = Some(cost);
                            agent.cost_rank = rank;
                        }
                    }
                }
                TIME_TO_FIRST_CHUNK => facts.time_to_first_chunk = as_float(&kv.value),
                STREAM_CHUNKS => facts.chunks = as_int(&kv.value),
                _ => {}
            }
        }
        // llmscope's and OpenInference's totals are USD; a currency applies to the proposed
        // GenAI key only.
        if facts.cost.is_some() && facts.cost_rank < 2 {
            facts.currency = None;
        }
        // A stream its consumer dropped shows as an abandoned call (an error), not a cancel.
        let abandoned_stream = facts.chunks.is_some() && facts.stopped == Some("cancelled");
        if abandoned_stream {
            facts.stopped = None;
        }
        facts.error = match (&span.status, error_type) {
            (_, Some(error_type)) => Some(error_type),
            (_, None) if abandoned_stream => Some("abandoned".to_owned()),
            (Status::Error { description }, None) if !description.is_empty() => {
                Some(description.to_string())
            }
            (Status::Error { .. }, None) => Some("error".to_owned()),
            _ => None,
        };
        facts
    }

    fn agent_mut(&mut self) -> &mut AgentFacts<'a> {
        self.agent.get_or_insert_with(AgentFacts::default)
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
    cache_write_tokens: Option<i64>,
    cost: Option<f64>,
    currency: Option<String>,
    mixed_currencies: bool,
    stopped: usize,
}

impl Totals {
    fn add(&mut self, facts: &Facts<'_>) {
        self.spans += 1;
        self.errors += usize::from(facts.error.is_some());
        self.stopped += usize::from(facts.stopped.is_some());
        if !facts.model_call {
            return;
        }
        self.model_calls += 1;
        add_opt(&mut self.input_tokens, facts.input_tokens);
        add_opt(&mut self.output_tokens, facts.output_tokens);
        add_opt(&mut self.cache_read_tokens, facts.cache_read_tokens);
        add_opt(&mut self.cache_write_tokens, facts.cache_write_tokens);
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
    // Depth-first, iteratively. The guides of the first `MAX_INDENT_LEVELS` levels are kept
    // in one shared string (truncated when the walk goes back up), so neither memory nor a
    // line grows with depth beyond that.
    // Stack entries: (span index, depth, whether it is its parent's last child).
    let mut stack: Vec<(usize, usize, bool)> =
        roots.iter().rev().map(|&index| (index, 0, true)).collect();
    // `guides[level]` is the byte length of `prefix` for children at `level + 1`.
    let mut prefix = String::new();
    let mut guides: Vec<usize> = Vec::new();
    while let Some((index, depth, last)) = stack.pop() {
        let span = &group[index];
        let facts = Facts::of(span);
        totals.add(&facts);
        let is_root = depth == 0;
        if !is_root {
            let level = (depth - 1).min(MAX_INDENT_LEVELS - 1);
            prefix.truncate(guides.get(level).copied().unwrap_or(prefix.len()));
            guides.truncate(level);
            let glyph = if last { "└─ " } else { "├─ " };
            if depth > MAX_INDENT_LEVELS {
                style.paint(out, DIM, &format!("{prefix}{glyph}[depth {depth}] "));
            } else {
                style.paint(out, DIM, &format!("{prefix}{glyph}"));
            }
            if level + 1 < MAX_INDENT_LEVELS {
                guides.push(prefix.len());
                prefix.push_str(if last { "   " } else { "│  " });
            }
        } else {
            prefix.clear();
            guides.clear();
        }
        let orphan = is_root
            && completion == Completion::Incomplete
            && span.parent_span_id != SpanId::INVALID;
        render_line(span, &facts, is_root, orphan, style, out);

        if let Some(kids) = children.get(&span.span_context.span_id()) {
            for (position, &child) in kids.iter().enumerate().rev() {
                stack.push((child, depth + 1, position + 1 == kids.len()));
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
    let name = escape(&span.name);
    if is_root {
        style.paint(out, BOLD, &name);
    } else {
        out.push_str(&name);
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
    if let Some(agent) = &facts.agent {
        let count = |out: &mut String,
                     value: Option<i64>,
                     one: &str,
                     many: &str,
                     part: &mut dyn FnMut(&mut String, Option<&str>, &str)| {
            if let Some(value) = value {
                let noun = if value == 1 { one } else { many };
                part(out, None, &format!("{} {noun}", group_thousands(value)));
            }
        };
        count(out, agent.steps, "step", "steps", &mut part);
        count(out, agent.tool_calls, "tool call", "tool calls", &mut part);
        count(out, agent.llm_calls, "llm call", "llm calls", &mut part);
        for text in token_parts(agent.input_tokens, None, None, agent.output_tokens) {
            part(out, None, &text);
        }
        if let Some(cost) = agent.cost {
            part(out, Some(YELLOW), &format_cost(cost, facts.currency));
        }
        if let Some(outcome) = agent.outcome {
            part(out, None, &escape(outcome));
        }
    }
    if let Some(index) = facts.step_index {
        part(out, None, &format!("#{index}"));
    }
    if let Some(decision) = facts.step_decision {
        part(out, None, &escape(decision));
    }
    if let Some(model) = facts.model {
        part(out, Some(CYAN), &escape(model));
    }
    for text in token_parts(
        facts.input_tokens,
        facts.cache_read_tokens,
        facts.cache_write_tokens,
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
        part(out, Some(RED), &format!("✗ {}", escape(error)));
    }
    if let Some(stopped) = facts.stopped {
        part(out, Some(YELLOW), &format!("⊘ {stopped}"));
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
    if totals.stopped > 0 {
        parts.push(format!("{} cancelled", totals.stopped));
    }
    parts.extend(token_parts(
        totals.input_tokens,
        totals.cache_read_tokens,
        totals.cache_write_tokens,
        totals.output_tokens,
    ));
    if let Some(cost) = totals.cost {
        if totals.mixed_currencies {
            parts.push("cost in mixed currencies".to_owned());
        } else {
            parts.push(format_cost(
                cost,
                totals.currency.as_deref().map(escape).as_deref(),
            ));
        }
    }
    style.paint(out, DIM, &format!("── {}", parts.join(" · ")));
    out.push_str("\n\n");
}

fn plural(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// `in 1,234 · cache read 1,000 · cache write 200 · out 56 tok`, with only the counts that
/// are known.
fn token_parts(
    input: Option<i64>,
    cache_read: Option<i64>,
    cache_write: Option<i64>,
    output: Option<i64>,
) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(input) = input {
        parts.push(format!("in {}", group_thousands(input)));
    }
    if let Some(cache_read) = cache_read {
        parts.push(format!("cache read {}", group_thousands(cache_read)));
    }
    if let Some(cache_write) = cache_write {
        parts.push(format!("cache write {}", group_thousands(cache_write)));
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

/// `$0.001234` for USD, `0.001234 EUR` otherwise: four decimals from one unit up, below that at
/// least six decimals and at least three significant digits (`$0.0000200`, never a
/// `$0.000000` that looks free), in scientific notation below a billionth (`$1.50e-15`).
fn format_cost(amount: f64, currency: Option<&str>) -> String {
    let magnitude = amount.abs();
    let decimals = if magnitude >= 1.0 {
        4
    } else if magnitude == 0.0 || !magnitude.is_finite() {
        6
    } else {
        // Digits after the point before the first significant one, plus three.
        let leading_zeros = ((-magnitude.log10()).ceil() as usize).saturating_sub(1);
        if leading_zeros + 3 > 12 {
            // Smaller than any real price: scientific notation rather than a row of zeros.
            return match currency {
                None | Some("USD") => format!("${amount:.2e}"),
                Some(currency) => format!("{amount:.2e} {currency}"),
            };
        }
        (leading_zeros + 3).max(6)
    };
    match currency {
        None | Some("USD") => format!("${amount:.decimals$}"),
        Some(currency) => format!("{amount:.decimals$} {currency}"),
    }
}

/// `text` with every control character (C0, DEL, C1: ANSI escape sequences start with one)
/// and every bidirectional override written as a visible escape (`\u{1b}`), so printing it
/// cannot restyle, move or rewrite what the terminal shows; borrowed when there is none.
fn escape(text: &str) -> Cow<'_, str> {
    let unsafe_char = |ch: char| {
        ch.is_control()
            || matches!(ch, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for ch in text.chars() {
        if unsafe_char(ch) {
            let _ = write!(out, "\\u{{{:x}}}", ch as u32);
        } else {
            out.push(ch);
        }
    }
    Cow::Owned(out)
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
        assert_eq!(format_cost(0.0, None), "$0.000000");
    }

    #[test]
    fn small_costs_keep_three_significant_digits() {
        // text-embedding-3-small at $0.02 per million tokens: 1,000 tokens cost 2e-5, 10
        // tokens 2e-7.
        assert_eq!(format_cost(1_000.0 * 2e-8, None), "$0.0000200");
        assert_eq!(format_cost(10.0 * 2e-8, None), "$0.000000200");
        assert_eq!(format_cost(0.000_123_4, None), "$0.000123");
        assert_eq!(format_cost(1.5e-15, None), "$1.50e-15");
    }

    #[test]
    fn control_characters_and_overrides_are_escaped() {
        assert_eq!(escape("gpt-4o"), "gpt-4o");
        assert!(matches!(escape("gpt-4o"), Cow::Borrowed(_)));
        assert_eq!(escape("a\x1b[31mred\x07\n"), "a\\u{1b}[31mred\\u{7}\\u{a}");
        assert_eq!(escape("x\u{9b}2J\u{202e}y"), "x\\u{9b}2J\\u{202e}y");
    }

    #[test]
    fn token_parts_end_with_unit() {
        assert_eq!(
            token_parts(Some(1_234), Some(1_000), Some(200), Some(56)),
            [
                "in 1,234",
                "cache read 1,000",
                "cache write 200",
                "out 56 tok"
            ]
        );
        assert_eq!(token_parts(Some(5), None, None, None), ["in 5 tok"]);
        assert!(token_parts(None, None, None, None).is_empty());
    }
}
