//! `#[agent_step]` and `#[tool]` through the facade: the span tree and the aggregated totals of
//! the research-agent example (its scenario is included from `examples/common/agent.rs`).

#[path = "../examples/common/agent.rs"]
mod scenario;

use llmscope::opentelemetry::trace::{FutureExt as _, SpanKind, Status};
use llmscope::opentelemetry::Value;
use llmscope::opentelemetry_sdk::trace::SpanData;
use llmscope::testing::{attribute, TestTelemetry};
use llmscope::Decision;

fn string(span: &SpanData, key: &str) -> Option<String> {
    attribute(span, key).map(|value| value.as_str().into_owned())
}

fn int(span: &SpanData, key: &str) -> Option<i64> {
    match attribute(span, key) {
        Some(Value::I64(value)) => Some(*value),
        _ => None,
    }
}

fn double(span: &SpanData, key: &str) -> Option<f64> {
    match attribute(span, key) {
        Some(Value::F64(value)) => Some(*value),
        _ => None,
    }
}

fn parent<'a>(spans: &'a [SpanData], span: &SpanData) -> Option<&'a SpanData> {
    spans
        .iter()
        .find(|other| other.span_context.span_id() == span.parent_span_id)
}

/// The tree as indented `name [kind]` lines, children in start order.
fn render(spans: &[SpanData]) -> String {
    fn walk(spans: &[SpanData], span: &SpanData, depth: usize, out: &mut String) {
        out.push_str(&format!(
            "{}{} [{:?}]\n",
            "  ".repeat(depth),
            span.name,
            span.span_kind
        ));
        let mut children: Vec<&SpanData> = spans
            .iter()
            .filter(|child| child.parent_span_id == span.span_context.span_id())
            .collect();
        children.sort_by_key(|child| (child.start_time, child.name.to_string()));
        for child in children {
            walk(spans, child, depth + 1, out);
        }
    }
    let mut out = String::new();
    for root in spans.iter().filter(|span| parent(spans, span).is_none()) {
        walk(spans, root, 0, &mut out);
    }
    out
}

/// Published per-token prices (USD) of the simulated models: gpt-4o $2.50/$10 per million
/// input/output tokens, gpt-4o-mini $0.15/$0.60.
fn cost_gpt_4o((input, output): (u32, u32)) -> f64 {
    f64::from(input) * 2.5e-6 + f64::from(output) * 1e-5
}
fn cost_gpt_4o_mini((input, output): (u32, u32)) -> f64 {
    f64::from(input) * 1.5e-7 + f64::from(output) * 6e-7
}

fn close(actual: Option<f64>, expected: f64) {
    let actual = actual.expect("a cost attribute");
    assert!((actual - expected).abs() < 1e-12, "{actual} != {expected}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn research_agent_tree_and_totals() {
    let telemetry = TestTelemetry::new();
    let answer = scenario::research("Is intermittent fasting effective?")
        .with_context(telemetry.context())
        .await
        .unwrap();
    assert_eq!(answer, "answer from 4 notes");

    let spans = telemetry.spans();
    // `execute_tool read_page` ×4 start concurrently: their order among themselves is by
    // start time, and each has exactly one `chat gpt-4o-mini` child.
    assert_eq!(
        render(&spans),
        "\
invoke_agent research_assistant [Internal]
  agent_step [Internal]
    chat gpt-4o [Client]
  agent_step [Internal]
    execute_tool web_search [Internal]
    execute_tool read_page [Internal]
      chat gpt-4o-mini [Client]
    execute_tool read_page [Internal]
      chat gpt-4o-mini [Client]
    execute_tool read_page [Internal]
      chat gpt-4o-mini [Client]
    execute_tool read_page [Internal]
      chat gpt-4o-mini [Client]
  agent_step [Internal]
    invoke_agent fact_checker [Internal]
      agent_step [Internal]
        chat gpt-4o-mini [Client]
  agent_step [Internal]
    chat gpt-4o [Client]
"
    );
    let trace = spans[0].span_context.trace_id();
    assert!(spans
        .iter()
        .all(|span| span.span_context.trace_id() == trace));

    let root = telemetry.span("invoke_agent research_assistant");
    assert_eq!(
        string(&root, "gen_ai.operation.name").as_deref(),
        Some("invoke_agent")
    );
    assert_eq!(
        string(&root, "gen_ai.agent.name").as_deref(),
        Some("research_assistant")
    );
    assert_eq!(
        string(&root, "gen_ai.agent.id").as_deref(),
        Some("agent_ra_1")
    );
    assert_eq!(
        string(&root, "gen_ai.agent.description").as_deref(),
        Some("Answers research questions from web sources")
    );
    assert_eq!(
        string(&root, "gen_ai.agent.version").as_deref(),
        Some("1.2.0")
    );
    assert_eq!(
        attribute(&root, "llmscope.agent.tools"),
        Some(&Value::Array(llmscope::opentelemetry::Array::String(vec![
            "web_search".into(),
            "read_page".into(),
            "fact_checker".into(),
        ])))
    );
    assert_eq!(int(&root, "llmscope.agent.max_steps"), Some(8));
    assert_eq!(int(&root, "llmscope.agent.steps"), Some(4));
    assert_eq!(
        int(&root, "llmscope.agent.tool_calls"),
        Some(1 + scenario::PAGES as i64)
    );
    assert_eq!(
        string(&root, "llmscope.agent.outcome").as_deref(),
        Some("completed")
    );

    // Totals include the sub-agent's call, the joined and the spawned reads.
    let pages = scenario::PAGES as u32;
    let calls = [
        scenario::PLAN,
        scenario::SUMMARY,
        scenario::SUMMARY,
        scenario::SUMMARY,
        scenario::SUMMARY,
        scenario::CHECK,
        scenario::ANSWER,
    ];
    assert_eq!(
        int(&root, "llmscope.agent.llm_calls"),
        Some(calls.len() as i64)
    );
    let input: u32 = calls.iter().map(|call| call.0).sum();
    let output: u32 = calls.iter().map(|call| call.1).sum();
    assert_eq!(
        int(&root, "llmscope.agent.usage.input_tokens"),
        Some(i64::from(input))
    );
    assert_eq!(
        int(&root, "llmscope.agent.usage.output_tokens"),
        Some(i64::from(output))
    );
    let expected = cost_gpt_4o(scenario::PLAN)
        + f64::from(pages) * cost_gpt_4o_mini(scenario::SUMMARY)
        + cost_gpt_4o_mini(scenario::CHECK)
        + cost_gpt_4o(scenario::ANSWER);
    close(double(&root, "llmscope.agent.cost.amount"), expected);
    // … and equal the sum over the LLM spans themselves.
    let span_sum: f64 = spans
        .iter()
        .filter(|span| span.span_kind == SpanKind::Client)
        .filter_map(|span| double(span, "llmscope.cost.total"))
        .sum();
    close(Some(span_sum), expected);
    assert_eq!(attribute(&root, "llmscope.agent.unpriced_llm_calls"), None);

    let checker = telemetry.span("invoke_agent fact_checker");
    assert_eq!(
        string(&checker, "gen_ai.agent.id").as_deref(),
        Some("agent_fc_1")
    );
    assert_eq!(int(&checker, "llmscope.agent.steps"), Some(1));
    assert_eq!(int(&checker, "llmscope.agent.llm_calls"), Some(1));
    assert_eq!(
        int(&checker, "llmscope.agent.usage.input_tokens"),
        Some(i64::from(scenario::CHECK.0))
    );
    close(
        double(&checker, "llmscope.agent.cost.amount"),
        cost_gpt_4o_mini(scenario::CHECK),
    );
    assert_eq!(
        string(&checker, "llmscope.agent.outcome").as_deref(),
        Some("completed")
    );

    // Steps of the root agent: index and decision, in order.
    let mut steps: Vec<&SpanData> = spans
        .iter()
        .filter(|span| span.name == "agent_step")
        .filter(|span| parent(&spans, span).map(|p| p.name.as_ref()) == Some(root.name.as_ref()))
        .collect();
    steps.sort_by_key(|span| span.start_time);
    let described: Vec<(Option<i64>, Option<String>)> = steps
        .iter()
        .map(|span| {
            (
                int(span, "llmscope.agent.step.index"),
                string(span, "llmscope.agent.step.decision"),
            )
        })
        .collect();
    let expected_steps: Vec<(Option<i64>, Option<String>)> = [
        Decision::CallTool,
        Decision::CallTool,
        Decision::Delegate,
        Decision::FinalAnswer,
    ]
    .iter()
    .enumerate()
    .map(|(index, decision)| (Some(index as i64 + 1), Some(decision.as_str().to_owned())))
    .collect();
    assert_eq!(described, expected_steps);

    // Tools: name, call id, type; arguments and results are content, not exported.
    let mut call_ids: Vec<String> = spans
        .iter()
        .filter(|span| span.name.starts_with("execute_tool"))
        .map(|span| {
            assert_eq!(span.span_kind, SpanKind::Internal);
            assert_eq!(
                string(span, "gen_ai.operation.name").as_deref(),
                Some("execute_tool")
            );
            assert_eq!(
                string(span, "gen_ai.tool.type").as_deref(),
                Some("function")
            );
            assert_eq!(attribute(span, "gen_ai.tool.call.arguments"), None);
            assert_eq!(attribute(span, "gen_ai.tool.call.result"), None);
            assert_eq!(
                span.name,
                format!("execute_tool {}", string(span, "gen_ai.tool.name").unwrap())
            );
            string(span, "gen_ai.tool.call.id").unwrap()
        })
        .collect();
    call_ids.sort();
    assert_eq!(
        call_ids,
        [
            "call_read_1",
            "call_read_2",
            "call_read_3",
            "call_read_4",
            "call_search_1"
        ]
    );
}

#[llmscope::agent_step(step)]
fn ponder(round: u32) -> u32 {
    round + 1
}

#[llmscope::agent_step(agent = "looper", provider = "openai", max_steps = 3)]
fn looper(limit: u32) -> u32 {
    let mut round = 0;
    while round < limit {
        round = ponder(round);
    }
    round
}

#[derive(Debug)]
struct ToolFailure;

impl std::fmt::Display for ToolFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("page not found")
    }
}

#[llmscope::tool(name = "read_page", call_id = "call_9")]
fn broken_read() -> Result<String, ToolFailure> {
    Err(ToolFailure)
}

#[llmscope::agent_step(agent = "fragile", provider = "openai", max_steps = 3)]
fn fragile() -> Result<String, ToolFailure> {
    ponder(0);
    broken_read()
}

#[test]
fn an_agent_that_runs_out_of_steps_reports_the_step_limit() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        assert_eq!(looper(3), 3);
    }
    let agent = telemetry.span("invoke_agent looper");
    assert_eq!(int(&agent, "llmscope.agent.steps"), Some(3));
    assert_eq!(
        string(&agent, "llmscope.agent.outcome").as_deref(),
        Some("step_limit")
    );
    assert_eq!(int(&agent, "llmscope.agent.llm_calls"), Some(0));
    assert_eq!(attribute(&agent, "llmscope.agent.cost.amount"), None);

    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        looper(2);
    }
    let agent = telemetry.span("invoke_agent looper");
    assert_eq!(
        string(&agent, "llmscope.agent.outcome").as_deref(),
        Some("completed")
    );
}

#[test]
fn an_agent_root_carries_its_provider_and_a_bare_step_is_a_step() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        looper(1);
    }
    // `agent = …` first: an agent root, with the provider semconv requires on `invoke_agent`.
    let agent = telemetry.span("invoke_agent looper");
    assert_eq!(agent.span_kind, SpanKind::Internal);
    assert_eq!(
        string(&agent, "gen_ai.operation.name").as_deref(),
        Some("invoke_agent")
    );
    assert_eq!(
        string(&agent, "gen_ai.provider.name").as_deref(),
        Some("openai")
    );
    assert_eq!(
        string(&agent, "gen_ai.agent.name").as_deref(),
        Some("looper")
    );
    // `step` first: a step under it.
    let step = telemetry.span("agent_step");
    assert_eq!(step.parent_span_id, agent.span_context.span_id());
    // `agent_step` is not a registered `gen_ai.operation.name` value: the project's key says
    // what the span is.
    assert_eq!(
        string(&step, "llmscope.operation.name").as_deref(),
        Some("agent_step")
    );
    assert_eq!(attribute(&step, "gen_ai.operation.name"), None);
    assert_eq!(attribute(&step, "gen_ai.agent.name"), None);
}

#[test]
fn tool_errors_are_recorded_and_fail_the_agent() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        assert!(fragile().is_err());
    }
    let tool = telemetry.span("execute_tool read_page");
    assert!(matches!(tool.status, Status::Error { .. }));
    assert!(string(&tool, "error.type")
        .unwrap()
        .ends_with("ToolFailure"));
    assert_eq!(
        string(&tool, "gen_ai.tool.call.id").as_deref(),
        Some("call_9")
    );
    let agent = telemetry.span("invoke_agent fragile");
    assert_eq!(
        string(&agent, "llmscope.agent.outcome").as_deref(),
        Some("error")
    );
    assert_eq!(int(&agent, "llmscope.agent.tool_calls"), Some(1));
    assert!(matches!(agent.status, Status::Error { .. }));
}

#[test]
fn steps_outside_an_agent_have_no_index() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        assert_eq!(llmscope::agent::current_totals(), None);
        ponder(0);
    }
    let step = telemetry.span("agent_step");
    assert_eq!(attribute(&step, "llmscope.agent.step.index"), None);
}

#[llmscope::tool(name = "lookup", call_id = "call_c", arguments = query, capture = full)]
fn lookup(query: &str) -> Result<String, ToolFailure> {
    Ok(format!("found {query}"))
}

#[llmscope::tool(name = "lookup_private", arguments = query)]
fn lookup_private(query: &str) -> Result<String, ToolFailure> {
    Ok(format!("found {query}"))
}

#[test]
fn tool_content_follows_the_capture_policy() {
    let telemetry = TestTelemetry::new();
    {
        let _guard = telemetry.context().attach();
        lookup("alpha").unwrap();
        lookup_private("beta").unwrap();
    }
    let captured = telemetry.span("execute_tool lookup");
    assert!(string(&captured, "gen_ai.tool.call.arguments")
        .unwrap()
        .contains("alpha"));
    assert!(string(&captured, "gen_ai.tool.call.result")
        .unwrap()
        .contains("found alpha"));
    // The default policy exports no content.
    let private = telemetry.span("execute_tool lookup_private");
    assert_eq!(attribute(&private, "gen_ai.tool.call.arguments"), None);
    assert_eq!(attribute(&private, "gen_ai.tool.call.result"), None);
}
