//! `llmscope diff` on before/after files written by the same generator
//! (`cargo run --example trace_fixture -- --fixtures cli/tests/fixtures`), each after file
//! with its own seed and one change: `cost-regression` makes `support_answer` calls 30 % longer
//! (tokens and cost), `improvement` makes `summarise_thread` 40 % faster and 30 % cheaper,
//! `noise` changes nothing. The verdicts are checked against those parameters; the tool is
//! not told what changed.

mod support;

use std::collections::BTreeSet;

use support::{fixture, golden, run, stdout_of};

fn verdicts(after: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    let before = fixture("diff-before.jsonl");
    let after = fixture(after);
    let mut args = vec!["diff", before.as_str(), after.as_str(), "--format", "json"];
    args.extend_from_slice(extra);
    let output = run(&args);
    let code = output.status.code().expect("exit code");
    (
        code,
        serde_json::from_slice(&output.stdout).expect("diff --format json is JSON"),
    )
}

fn findings(report: &serde_json::Value, verdict: &str) -> BTreeSet<(String, String, String)> {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["verdict"] == verdict)
        .map(|r| {
            (
                r["group"].as_str().unwrap().to_owned(),
                r["name"].as_str().unwrap().to_owned(),
                r["metric"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn cost_up_30_percent_on_one_feature_is_a_regression() {
    let (code, report) = verdicts("diff-cost-regression.jsonl", &[]);
    assert_eq!(code, 1, "a regression exits 1");
    let regressions = findings(&report, "regression");
    // The changed feature, on cost and tokens per call ...
    for metric in ["cost/call", "tokens/call"] {
        assert!(
            regressions.contains(&("feature".into(), "support_answer".into(), metric.into())),
            "{regressions:?}"
        );
    }
    // ... and nothing about the features that did not change.
    assert!(
        regressions
            .iter()
            .all(|(group, name, _)| group == "model" || name == "support_answer"),
        "{regressions:?}"
    );
    assert!(findings(&report, "improvement").is_empty());

    let before = fixture("diff-before.jsonl");
    let after = fixture("diff-cost-regression.jsonl");
    golden(
        "diff-cost-regression.md",
        &stdout_of(&["diff", &before, &after, "--format", "markdown"], 1),
    );
    golden(
        "diff-cost-regression.txt",
        &stdout_of(&["diff", &before, &after], 1),
    );
}

#[test]
fn a_faster_cheaper_feature_is_an_improvement_not_a_failure() {
    let (code, report) = verdicts("diff-improvement.jsonl", &[]);
    assert_eq!(code, 0);
    assert!(findings(&report, "regression").is_empty());
    let improvements = findings(&report, "improvement");
    for metric in ["cost/call", "tokens/call", "latency p50"] {
        assert!(
            improvements.contains(&("feature".into(), "summarise_thread".into(), metric.into())),
            "{improvements:?}"
        );
    }
    assert!(improvements
        .iter()
        .all(|(group, name, _)| group == "model" || name == "summarise_thread"));
    golden(
        "diff-improvement.md",
        &stdout_of(
            &[
                "diff",
                &fixture("diff-before.jsonl"),
                &fixture("diff-improvement.jsonl"),
                "--format",
                "markdown",
            ],
            0,
        ),
    );
}

#[test]
fn noise_does_not_fail() {
    let (code, report) = verdicts("diff-noise.jsonl", &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["regressions"], 0);
    assert_eq!(report["improvements"], 0);
    golden(
        "diff-noise.txt",
        &stdout_of(
            &[
                "diff",
                &fixture("diff-before.jsonl"),
                &fixture("diff-noise.jsonl"),
            ],
            0,
        ),
    );
}

#[test]
fn small_samples_do_not_flap() {
    // The first 8 traces of each file: a handful of calls per feature. Even the 30 % cost
    // change is "too few", and the exit code stays 0.
    let dir = std::env::temp_dir().join(format!("llmscope-cli-small-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let head = |name: &str| {
        let spans = support::raw_spans(&support::crate_dir().join(fixture(name)));
        let mut kept: Vec<&str> = Vec::new();
        for span in &spans {
            let id = span["traceId"].as_str().unwrap();
            if kept.len() < 8 && !kept.contains(&id) {
                kept.push(id);
            }
        }
        let few: Vec<&serde_json::Value> = spans
            .iter()
            .filter(|s| kept.contains(&s["traceId"].as_str().unwrap()))
            .collect();
        let line = serde_json::json!({"resourceSpans": [{"scopeSpans": [{"spans": few}]}]});
        let path = dir.join(name);
        std::fs::write(&path, format!("{line}\n")).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let (before, after) = (
        head("diff-before.jsonl"),
        head("diff-cost-regression.jsonl"),
    );
    let output = run(&["diff", &before, &after, "--format", "json"]);
    assert_eq!(output.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["regressions"], 0);
    assert!(!findings(&report, "too_few").is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn thresholds_come_from_a_config_file_and_flags_override_it() {
    let dir = std::env::temp_dir().join(format!("llmscope-cli-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A 40 % minimum cost and token effect: the ~+26 % change no longer gates.
    let config = dir.join("llmscope-diff.toml");
    std::fs::write(&config, "cost = 0.40\ntokens = 0.40\n").unwrap();
    let config = config.to_str().unwrap();
    let (code, report) = verdicts("diff-cost-regression.jsonl", &["--config", config]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["thresholds"]["cost"], 0.40);
    // The flag wins over the file.
    let (code, _) = verdicts(
        "diff-cost-regression.jsonl",
        &["--config", config, "--cost", "0.1"],
    );
    assert_eq!(code, 1);
    // An unknown key names the file and the key.
    std::fs::write(dir.join("bad.toml"), "costs = 0.1\n").unwrap();
    let bad = dir.join("bad.toml");
    let output = run(&[
        "diff",
        &fixture("diff-before.jsonl"),
        &fixture("diff-noise.jsonl"),
        "--config",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("bad.toml") && stderr.contains("costs"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
