//! Golden-output tests: the real `llmscope` binary on the committed fixture
//! (`tests/fixtures/traces.jsonl`, written by `cargo run --example trace_fixture -- --fixtures
//! cli/tests/fixtures`), each command's output compared with `tests/golden/`. Regenerate the
//! golden files with `LLMSCOPE_BLESS=1 cargo test -p llmscope-cli` and review the diff.
//!
//! Besides the byte comparison, key figures are recomputed here from the raw JSON, without the
//! CLI's decoder, so a golden file cannot bless a wrong number.

mod support;

use support::{
    attribute_f64, attribute_str, crate_dir, fixture, golden, raw_spans, run, run_with_stdin,
    stdout_of,
};

const MODEL_CALLS: [&str; 4] = ["chat", "text_completion", "generate_content", "embeddings"];

/// A call's total cost under the first key present: llmscope's own, OpenInference's (what the
/// runtime writes today), the proposed GenAI one.
fn cost(span: &serde_json::Value) -> Option<f64> {
    [
        "llmscope.cost.total",
        "llm.cost.total",
        "gen_ai.usage.cost.amount",
    ]
    .iter()
    .find_map(|key| attribute_f64(span, key))
}

fn model_calls() -> Vec<serde_json::Value> {
    raw_spans(&crate_dir().join(fixture("traces.jsonl")))
        .into_iter()
        .filter(|s| {
            attribute_str(s, "gen_ai.operation.name").is_some_and(|op| MODEL_CALLS.contains(&op))
        })
        .collect()
}

#[test]
fn traces_lists_every_trace() {
    let out = stdout_of(&["traces", &fixture("traces.jsonl")], 0);
    golden("traces.txt", &out);
    // 40 requests → 40 traces (the root of each is in the file).
    assert!(
        out.ends_with("40 of 40 matching traces (40 read)\n"),
        "{out}"
    );
    assert!(!out.contains("(no root)"));
}

#[test]
fn traces_filters_and_sorts() {
    let out = stdout_of(
        &[
            "traces",
            &fixture("traces.jsonl"),
            "--feature",
            "support_answer",
            "--sort",
            "cost",
            "--limit",
            "5",
        ],
        0,
    );
    golden("traces-support-by-cost.txt", &out);
    let errors = stdout_of(&["traces", &fixture("traces.jsonl"), "--errors"], 0);
    golden("traces-errors.txt", &errors);
    // Every listed trace failed somewhere; their number is the number of traces holding a
    // span with `error.type`, counted from the raw JSON.
    let spans = raw_spans(&crate_dir().join(fixture("traces.jsonl")));
    let mut failed: Vec<&str> = spans
        .iter()
        .filter(|s| attribute_str(s, "error.type").is_some())
        .map(|s| s["traceId"].as_str().unwrap())
        .collect();
    failed.sort_unstable();
    failed.dedup();
    assert!(
        errors.contains(&format!("{n} of {n} matching traces", n = failed.len())),
        "{errors}"
    );
    let expensive = stdout_of(
        &["traces", &fixture("traces.jsonl"), "--min-cost", "1000"],
        0,
    );
    assert!(expensive.contains("0 of 0 matching traces"), "{expensive}");
}

#[test]
fn show_prints_the_agent_tree() {
    // The research agent's trace, found in the raw JSON.
    let spans = raw_spans(&crate_dir().join(fixture("traces.jsonl")));
    let root = spans
        .iter()
        .find(|s| s["name"] == "invoke_agent research_assistant")
        .expect("the fixture holds an agent trace");
    let trace_id = root["traceId"].as_str().unwrap();
    let out = stdout_of(&["show", &trace_id[..10], &fixture("traces.jsonl")], 0);
    golden("show-agent.txt", &out);
    assert!(out.starts_with(&format!(
        "trace {trace_id}  invoke_agent research_assistant"
    )));
    // Every span of the trace is printed once.
    let count = spans.iter().filter(|s| s["traceId"] == trace_id).count();
    let printed = out.lines().filter(|l| l.contains('█')).count();
    assert_eq!(printed, count);
    for expected in [
        "gen_ai.tool.call.id = call_read_4",
        "llmscope.agent.step.decision = delegate",
        "invoke_agent fact_checker",
    ] {
        assert!(out.contains(expected), "missing {expected}");
    }
}

#[test]
fn show_marks_errors_and_streams() {
    let spans = raw_spans(&crate_dir().join(fixture("traces.jsonl")));
    let failed = spans
        .iter()
        .find(|s| attribute_str(s, "error.type").is_some())
        .expect("the fixture holds a failed call");
    let trace_id = failed["traceId"].as_str().unwrap();
    let out = stdout_of(&["show", trace_id, &fixture("traces.jsonl")], 0);
    golden("show-error.txt", &out);
    let class = attribute_str(failed, "error.type").unwrap();
    assert!(
        out.contains(&format!("ERROR {class}: simulated provider error: {class}")),
        "{out}"
    );
    assert!(out.contains("✗ "));

    let stream = spans
        .iter()
        .find(|s| attribute_f64(s, "gen_ai.response.time_to_first_chunk").is_some())
        .expect("the fixture holds a streamed call");
    let out = stdout_of(
        &[
            "show",
            stream["traceId"].as_str().unwrap(),
            &fixture("traces.jsonl"),
        ],
        0,
    );
    assert!(out.contains("first chunk "), "{out}");
}

#[test]
fn show_rejects_unknown_and_ambiguous_prefixes() {
    let output = run(&["show", "zz", &fixture("traces.jsonl")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("error: no trace id starts with `zz`"));
    // A one-character prefix shared by several traces of the fixture.
    let spans = raw_spans(&crate_dir().join(fixture("traces.jsonl")));
    let mut ids: Vec<&str> = spans
        .iter()
        .map(|s| s["traceId"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let shared = ids
        .windows(2)
        .find(|w| w[0][..1] == w[1][..1])
        .map(|w| &w[0][..1])
        .expect("40 traces share a first hex digit");
    let output = run(&["show", shared, &fixture("traces.jsonl")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is ambiguous"));
}

#[test]
fn costs_in_three_formats() {
    let table = stdout_of(&["costs", &fixture("traces.jsonl")], 0);
    golden("costs.txt", &table);
    let json = stdout_of(&["costs", &fixture("traces.jsonl"), "--format", "json"], 0);
    golden("costs.json", &json);
    let csv = stdout_of(&["costs", &fixture("traces.jsonl"), "--format", "csv"], 0);
    golden("costs.csv", &csv);

    // Recompute from the raw spans: calls, total cost, cached and input tokens, the top call.
    let calls = model_calls();
    let total: f64 = calls.iter().filter_map(cost).sum();
    let input: f64 = calls
        .iter()
        .filter_map(|s| attribute_f64(s, "gen_ai.usage.input_tokens"))
        .sum();
    let cached: f64 = calls
        .iter()
        .filter_map(|s| attribute_f64(s, "gen_ai.usage.cache_read.input_tokens"))
        .sum();
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["totals"]["calls"], calls.len());
    assert!((report["totals"]["cost_usd"].as_f64().unwrap() - total).abs() < 1e-12);
    assert_eq!(report["totals"]["input_tokens"].as_f64().unwrap(), input);
    assert!((report["cache"]["hit_rate"].as_f64().unwrap() - cached / input).abs() < 1e-12);
    let top = calls.iter().filter_map(cost).fold(0.0, f64::max);
    assert_eq!(report["top_calls"][0]["cost_usd"].as_f64().unwrap(), top);
    // Features sum to the total.
    let by_feature: f64 = report["by"]["feature"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["cost_usd"].as_f64().unwrap())
        .sum();
    assert!((by_feature - total).abs() < 1e-12);
    // CSV: one row per group value plus the header.
    let groups: usize = ["feature", "model", "provider", "user", "day"]
        .iter()
        .map(|g| report["by"][g].as_array().unwrap().len())
        .sum();
    assert_eq!(csv.lines().count(), groups + 1);
}

#[test]
fn costs_reads_stdin_like_a_file() {
    let bytes = std::fs::read(crate_dir().join(fixture("traces.jsonl"))).unwrap();
    let from_stdin = run_with_stdin(&["costs"], &bytes);
    assert_eq!(from_stdin.status.code(), Some(0));
    let from_file = stdout_of(&["costs", &fixture("traces.jsonl")], 0);
    assert_eq!(String::from_utf8(from_stdin.stdout).unwrap(), from_file);
}

#[test]
fn latency_in_two_formats() {
    let table = stdout_of(&["latency", &fixture("traces.jsonl")], 0);
    golden("latency.txt", &table);
    let json = stdout_of(
        &["latency", &fixture("traces.jsonl"), "--format", "json"],
        0,
    );
    golden("latency.json", &json);
    // The p99 of `chat` spans against the exact nearest-rank value (the sketch is within 0.1 %).
    let mut chat: Vec<f64> = raw_spans(&crate_dir().join(fixture("traces.jsonl")))
        .iter()
        .filter(|s| attribute_str(s, "gen_ai.operation.name") == Some("chat"))
        .map(|s| {
            let t = |k: &str| s[k].as_str().unwrap().parse::<f64>().unwrap();
            (t("endTimeUnixNano") - t("startTimeUnixNano")) / 1e6
        })
        .collect();
    chat.sort_by(f64::total_cmp);
    let exact = chat[((0.99 * chat.len() as f64).ceil() as usize) - 1];
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let sketch = report["by_operation"]["chat"]["p99_ms"].as_f64().unwrap();
    assert!(
        (sketch - exact).abs() / exact < 0.001,
        "{sketch} vs {exact}"
    );
    assert!(
        report["time_to_first_chunk"]["claude-haiku-4-5-20251001"]["count"]
            .as_u64()
            .unwrap()
            > 0
    );
}

#[test]
fn report_writes_one_html_file() {
    let dir = std::env::temp_dir().join(format!("llmscope-cli-golden-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let html = dir.join("report.html");
    let out = stdout_of(
        &[
            "report",
            &fixture("traces.jsonl"),
            "-o",
            html.to_str().unwrap(),
        ],
        0,
    );
    assert_eq!(out, format!("wrote {} (40 traces)\n", html.display()));
    let text = std::fs::read_to_string(&html).unwrap();
    golden("report.html", &text);
    std::fs::remove_dir_all(&dir).unwrap();
}
