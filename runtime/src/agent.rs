//! Agent aggregation: an accumulator carried in the OpenTelemetry [`Context`] by each agent
//! span (`#[agent_step(agent = …)]`).
//!
//! Every recorded LLM call adds its tokens and cost to the nearest accumulator and to each
//! enclosing one, so an agent's totals **include its sub-agents**; steps and tool calls count
//! only the agent's own. Work reaches the accumulator wherever the context goes: nested calls,
//! `futures::join!` branches polled inside the agent, and spawned tasks given the context
//! (`tokio::spawn(fut.with_context(Context::current()))`).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use opentelemetry::{Context, KeyValue, Value};

use crate::keys;
use crate::usage::UsageData;

/// What an agent step decided to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Call a tool.
    CallTool,
    /// Hand the task to another agent.
    Delegate,
    /// Answer: the agent is done.
    FinalAnswer,
}

impl Decision {
    /// The attribute value: `call_tool`, `delegate` or `final_answer`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Decision::CallTool => "call_tool",
            Decision::Delegate => "delegate",
            Decision::FinalAnswer => "final_answer",
        }
    }

    /// The decision named `name` (as written by [`Decision::as_str`]).
    pub fn from_name(name: &str) -> Option<Decision> {
        match name {
            "call_tool" => Some(Decision::CallTool),
            "delegate" => Some(Decision::Delegate),
            "final_answer" => Some(Decision::FinalAnswer),
            _ => None,
        }
    }
}

/// A step's return value that tells what the step decided; `#[agent_step(step)]` reads it
/// and writes `llmscope.agent.step.decision`. Return types without it are fine: then only a
/// literal `decision = "…"` argument (if any) is recorded.
pub trait Decided {
    /// The decision, if the value carries one.
    fn decision(&self) -> Option<Decision>;
}

impl Decided for Decision {
    fn decision(&self) -> Option<Decision> {
        Some(*self)
    }
}
impl<T: Decided + ?Sized> Decided for &T {
    fn decision(&self) -> Option<Decision> {
        (**self).decision()
    }
}
impl<T: Decided> Decided for Option<T> {
    fn decision(&self) -> Option<Decision> {
        self.as_ref().and_then(Decided::decision)
    }
}
impl<T: Decided, E> Decided for Result<T, E> {
    fn decision(&self) -> Option<Decision> {
        self.as_ref().ok().and_then(Decided::decision)
    }
}

/// How an agent run ended (`llmscope.agent.outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AgentOutcome {
    /// Returned normally: a step gave the final answer, or no step limit was reached.
    Completed,
    /// Returned after `max_steps` steps without a final answer.
    StepLimit,
    /// Returned `Err`.
    Error,
}

impl AgentOutcome {
    /// The attribute value: `completed`, `step_limit` or `error`.
    pub const fn as_str(self) -> &'static str {
        match self {
            AgentOutcome::Completed => "completed",
            AgentOutcome::StepLimit => "step_limit",
            AgentOutcome::Error => "error",
        }
    }
}

/// A snapshot of an agent's totals so far.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AgentTotals {
    /// Steps of this agent (sub-agents' steps not included).
    pub steps: u64,
    /// Tool calls of this agent (sub-agents' not included).
    pub tool_calls: u64,
    /// Recorded LLM calls under the agent, sub-agents included.
    pub llm_calls: u64,
    /// Their input tokens.
    pub input_tokens: u64,
    /// Their output tokens.
    pub output_tokens: u64,
    /// Their cost in USD: the sum over the priced calls, `None` if none was priced.
    pub cost_usd: Option<f64>,
    /// Calls that had usage but no price (their cost is not in `cost_usd`).
    pub unpriced_llm_calls: u64,
}

/// The accumulator of one agent run.
#[derive(Debug, Default)]
pub(crate) struct Accumulator {
    parent: Option<Arc<Accumulator>>,
    max_steps: Option<u64>,
    steps: AtomicU64,
    tool_calls: AtomicU64,
    llm_calls: AtomicU64,
    input_tokens: AtomicU64,
    output_tokens: AtomicU64,
    unpriced: AtomicU64,
    cost: Mutex<Option<f64>>,
    final_answer: AtomicBool,
}

/// The context value: the nearest agent's accumulator.
#[derive(Debug, Clone)]
struct Frame(Arc<Accumulator>);

impl Accumulator {
    fn totals(&self) -> AgentTotals {
        AgentTotals {
            steps: self.steps.load(Ordering::Relaxed),
            tool_calls: self.tool_calls.load(Ordering::Relaxed),
            llm_calls: self.llm_calls.load(Ordering::Relaxed),
            input_tokens: self.input_tokens.load(Ordering::Relaxed),
            output_tokens: self.output_tokens.load(Ordering::Relaxed),
            cost_usd: *self
                .cost
                .lock()
                .unwrap_or_else(|poison| poison.into_inner()),
            unpriced_llm_calls: self.unpriced.load(Ordering::Relaxed),
        }
    }

    /// This accumulator and every enclosing one.
    fn chain(self: &Arc<Self>) -> impl Iterator<Item = &Accumulator> {
        std::iter::successors(Some(&**self), |node| node.parent.as_deref())
    }
}

/// The totals of the agent the current code runs under, if any.
///
/// # Examples
///
/// ```
/// assert_eq!(llmscope::agent::current_totals(), None);
/// ```
pub fn current_totals() -> Option<AgentTotals> {
    Context::map_current(|cx| cx.get::<Frame>().map(|frame| frame.0.totals()))
}

fn nearest(cx: &Context) -> Option<Arc<Accumulator>> {
    cx.get::<Frame>().map(|frame| frame.0.clone())
}

/// The hook of the LLM-call path: a recorded call finished with `usage`; `attributes` are the
/// ones it writes (the cost, if priced, is among them).
/// Whether `cx` runs inside an agent (its totals take the usage and cost of model calls).
pub(crate) fn in_agent(cx: &Context) -> bool {
    cx.get::<Frame>().is_some()
}

pub(crate) fn add_llm_usage(cx: &Context, usage: &UsageData<'_>, attributes: &[KeyValue]) {
    let Some(frame) = cx.get::<Frame>() else {
        return;
    };
    let cost = attributes
        .iter()
        .find(|kv| kv.key.as_str() == keys::LLMSCOPE_COST_TOTAL)
        .and_then(|kv| match kv.value {
            Value::F64(cost) => Some(cost),
            _ => None,
        });
    let has_tokens = usage.input_tokens().is_some() || usage.output_tokens().is_some();
    for node in frame.0.chain() {
        node.llm_calls.fetch_add(1, Ordering::Relaxed);
        node.input_tokens
            .fetch_add(usage.input_tokens().unwrap_or(0), Ordering::Relaxed);
        node.output_tokens
            .fetch_add(usage.output_tokens().unwrap_or(0), Ordering::Relaxed);
        match cost {
            Some(cost) => {
                let mut total = node
                    .cost
                    .lock()
                    .unwrap_or_else(|poison| poison.into_inner());
                *total = Some(total.unwrap_or(0.0) + cost);
            }
            None if has_tokens => {
                node.unpriced.fetch_add(1, Ordering::Relaxed);
            }
            None => {}
        }
    }
}

/// Starts an agent run: a new accumulator under the nearest one, carried by `span_cx`.
pub(crate) fn begin(span_cx: &Context, max_steps: Option<u64>) -> (Context, Arc<Accumulator>) {
    let accumulator = Arc::new(Accumulator {
        parent: nearest(span_cx),
        max_steps,
        ..Accumulator::default()
    });
    let cx = span_cx.with_value(Frame(accumulator.clone()));
    (cx, accumulator)
}

/// Counts a step on the nearest agent; its 1-based index.
pub(crate) fn next_step(cx: &Context) -> Option<u64> {
    nearest(cx).map(|acc| acc.steps.fetch_add(1, Ordering::Relaxed) + 1)
}

/// A step decided: a final answer marks the nearest agent completed.
pub(crate) fn decided(cx: &Context, decision: Decision) {
    if decision == Decision::FinalAnswer {
        if let Some(acc) = nearest(cx) {
            acc.final_answer.store(true, Ordering::Relaxed);
        }
    }
}

/// Counts a tool call on the nearest agent.
pub(crate) fn tool_called(cx: &Context) {
    if let Some(acc) = nearest(cx) {
        acc.tool_calls.fetch_add(1, Ordering::Relaxed);
    }
}

/// The attributes written on the agent span when it ends.
pub(crate) fn end_attributes(accumulator: &Accumulator, failed: bool) -> Vec<KeyValue> {
    let totals = accumulator.totals();
    let outcome = if failed {
        AgentOutcome::Error
    } else if accumulator.final_answer.load(Ordering::Relaxed) {
        AgentOutcome::Completed
    } else if accumulator
        .max_steps
        .is_some_and(|max_steps| totals.steps >= max_steps)
    {
        AgentOutcome::StepLimit
    } else {
        AgentOutcome::Completed
    };
    let int = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
    let mut attributes = vec![
        KeyValue::new(keys::LLMSCOPE_AGENT_STEPS, int(totals.steps)),
        KeyValue::new(keys::LLMSCOPE_AGENT_TOOL_CALLS, int(totals.tool_calls)),
        KeyValue::new(keys::LLMSCOPE_AGENT_LLM_CALLS, int(totals.llm_calls)),
        KeyValue::new(
            keys::LLMSCOPE_AGENT_USAGE_INPUT_TOKENS,
            int(totals.input_tokens),
        ),
        KeyValue::new(
            keys::LLMSCOPE_AGENT_USAGE_OUTPUT_TOKENS,
            int(totals.output_tokens),
        ),
        KeyValue::new(keys::LLMSCOPE_AGENT_OUTCOME, outcome.as_str()),
    ];
    if let Some(cost) = totals.cost_usd {
        attributes.push(KeyValue::new(keys::LLMSCOPE_AGENT_COST_AMOUNT, cost));
    }
    if totals.unpriced_llm_calls > 0 {
        attributes.push(KeyValue::new(
            keys::LLMSCOPE_AGENT_UNPRICED_LLM_CALLS,
            int(totals.unpriced_llm_calls),
        ));
    }
    attributes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(input: u64, output: u64) -> UsageData<'static> {
        let mut usage = UsageData::default();
        usage.set_input_tokens(input);
        usage.set_output_tokens(output);
        usage
    }

    #[test]
    fn usage_rolls_up_to_every_enclosing_agent() {
        let (outer_cx, outer) = begin(&Context::new(), Some(3));
        let (inner_cx, inner) = begin(&outer_cx, None);
        let cost = [KeyValue::new(keys::LLMSCOPE_COST_TOTAL, 0.25)];
        add_llm_usage(&inner_cx, &usage(10, 2), &cost);
        add_llm_usage(&outer_cx, &usage(5, 1), &[]);
        assert_eq!(next_step(&outer_cx), Some(1));
        let inner_totals = inner.totals();
        assert_eq!(
            (
                inner_totals.llm_calls,
                inner_totals.input_tokens,
                inner_totals.cost_usd
            ),
            (1, 10, Some(0.25))
        );
        let outer_totals = outer.totals();
        assert_eq!(
            (
                outer_totals.llm_calls,
                outer_totals.input_tokens,
                outer_totals.output_tokens,
                outer_totals.cost_usd,
                outer_totals.unpriced_llm_calls,
                outer_totals.steps,
            ),
            (2, 15, 3, Some(0.25), 1, 1)
        );
        assert_eq!(inner_totals.steps, 0);
    }

    #[test]
    fn outcome_follows_final_answer_and_step_limit() {
        let outcome = |attributes: Vec<KeyValue>| {
            attributes
                .into_iter()
                .find(|kv| kv.key.as_str() == keys::LLMSCOPE_AGENT_OUTCOME)
                .map(|kv| kv.value.to_string())
        };
        let (cx, acc) = begin(&Context::new(), Some(2));
        next_step(&cx);
        assert_eq!(
            outcome(end_attributes(&acc, false)).as_deref(),
            Some("completed")
        );
        next_step(&cx);
        assert_eq!(
            outcome(end_attributes(&acc, false)).as_deref(),
            Some("step_limit")
        );
        decided(&cx, Decision::FinalAnswer);
        assert_eq!(
            outcome(end_attributes(&acc, false)).as_deref(),
            Some("completed")
        );
        assert_eq!(
            outcome(end_attributes(&acc, true)).as_deref(),
            Some("error")
        );
    }
}
