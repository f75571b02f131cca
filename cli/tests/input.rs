//! Reading behaviour every command shares: malformed lines, `--lenient`, a truncated last
//! line, missing files.

mod support;

use support::{crate_dir, fixture, run};

/// A temp file holding `lines` (each followed by a newline unless `trailing_newline` is off).
fn write_lines(name: &str, lines: &[&str], trailing_newline: bool) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("llmscope-cli-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let mut text = lines.join("\n");
    if trailing_newline {
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
    path
}

fn fixture_lines() -> Vec<String> {
    std::fs::read_to_string(crate_dir().join(fixture("traces.jsonl")))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_malformed_line_names_file_and_line_for_every_command() {
    let lines = fixture_lines();
    let path = write_lines(
        "malformed.jsonl",
        &[&lines[0], "{\"resourceSpans\": [oops", &lines[1]],
        true,
    );
    let path = path.to_str().unwrap();
    for args in [
        vec!["traces", path],
        vec!["show", "ab", path],
        vec!["costs", path],
        vec!["latency", path],
        vec!["report", path, "-o", "/dev/null"],
        vec!["diff", path, path],
    ] {
        let output = run(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.starts_with(&format!("error: {path}:2: malformed line: ")),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("--lenient"), "{stderr}");
    }
}

#[test]
fn lenient_skips_and_counts_malformed_lines() {
    let lines = fixture_lines();
    let mut with_bad: Vec<&str> = lines.iter().map(String::as_str).collect();
    with_bad.insert(1, "not json");
    with_bad.insert(3, "{\"resourceSpans\": 7}");
    let path = write_lines("lenient.jsonl", &with_bad, true);
    let output = run(&["costs", path.to_str().unwrap(), "--lenient"]);
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("skipped 2 malformed lines"), "{stdout}");
    // The good lines give the same totals as the clean fixture.
    let clean = run(&["costs", &fixture("traces.jsonl")]);
    let first = |text: &str| text.lines().next().unwrap().to_owned();
    assert_eq!(
        first(&stdout),
        first(&String::from_utf8(clean.stdout).unwrap())
    );
}

#[test]
fn an_incomplete_last_line_is_skipped_as_a_crashed_writer_leaves_it() {
    let lines = fixture_lines();
    let cut = &lines[1][..lines[1].len() / 2];
    let path = write_lines("crashed.jsonl", &[&lines[0], cut], false);
    let output = run(&["traces", path.to_str().unwrap()]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8(output.stdout)
        .unwrap()
        .contains("skipped 1 malformed lines"));
}

#[test]
fn a_missing_file_is_named() {
    let output = run(&["costs", "no/such/file.jsonl"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("error: cannot open `no/such/file.jsonl`: "),
        "{stderr}"
    );
}

#[test]
fn help_has_examples() {
    for command in ["traces", "show", "costs", "latency", "diff", "report"] {
        let output = run(&[command, "--help"]);
        assert_eq!(output.status.code(), Some(0));
        let help = String::from_utf8(output.stdout).unwrap();
        assert!(help.contains("Examples:"), "{command}: {help}");
    }
    let diff = String::from_utf8(run(&["diff", "--help"]).stdout).unwrap();
    assert!(diff.contains("Mann–Whitney U") && diff.contains("Fisher's exact"));
}
