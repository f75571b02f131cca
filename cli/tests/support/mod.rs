//! Helpers shared by the command-line tests: run the real binary, compare with golden files.

#![allow(dead_code)] // each test file uses a part

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The crate directory: the binary runs there, so fixture paths in outputs are stable.
pub(crate) fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/fixtures/NAME`, relative to the crate directory (as the binary is given it).
pub(crate) fn fixture(name: &str) -> String {
    format!("tests/fixtures/{name}")
}

/// Runs `llmscope ARGS` in the crate directory with `stdin` piped in.
pub(crate) fn run_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_llmscope"))
        .args(args)
        .current_dir(crate_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the llmscope binary starts");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin)
        .expect("stdin is written");
    child.wait_with_output().expect("llmscope finishes")
}

/// Runs `llmscope ARGS` in the crate directory.
pub(crate) fn run(args: &[&str]) -> Output {
    run_with_stdin(args, b"")
}

/// Stdout of a run that must succeed with exit code `code`.
pub(crate) fn stdout_of(args: &[&str], code: i32) -> String {
    let output = run(args);
    assert_eq!(
        output.status.code(),
        Some(code),
        "llmscope {args:?}: stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("stdout is UTF-8")
}

/// Compares `actual` with `tests/golden/NAME`; with `LLMSCOPE_BLESS=1` writes it instead.
pub(crate) fn golden(name: &str, actual: &str) {
    let path = crate_dir().join("tests/golden").join(name);
    if std::env::var_os("LLMSCOPE_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("golden dir")).expect("golden dir");
        std::fs::write(&path, actual).expect("golden file written");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "cannot read golden file `{}` ({error}); run `LLMSCOPE_BLESS=1 cargo test -p llmscope-cli` to create it",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(e, a)| e != a)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "output differs from `{}` at line {}:\n  expected: {:?}\n  actual:   {:?}\n(if the change is intended: LLMSCOPE_BLESS=1 cargo test -p llmscope-cli, then review the diff)",
            path.display(),
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

/// Every span of a fixture as raw JSON, read independently of the CLI's decoder.
pub(crate) fn raw_spans(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).expect("fixture readable");
    let mut spans = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let request: serde_json::Value = serde_json::from_str(line).expect("fixture line is JSON");
        for resource in request["resourceSpans"].as_array().expect("resourceSpans") {
            for scope in resource["scopeSpans"].as_array().expect("scopeSpans") {
                spans.extend(scope["spans"].as_array().expect("spans").iter().cloned());
            }
        }
    }
    spans
}

/// The value of attribute `key` of a raw span, as f64 (int, double or numeric string).
pub(crate) fn attribute_f64(span: &serde_json::Value, key: &str) -> Option<f64> {
    let value = &span["attributes"]
        .as_array()?
        .iter()
        .find(|kv| kv["key"] == key)?["value"];
    value["doubleValue"]
        .as_f64()
        .or_else(|| value["intValue"].as_str().and_then(|s| s.parse().ok()))
        .or_else(|| value["intValue"].as_f64())
}

/// The string attribute `key` of a raw span.
pub(crate) fn attribute_str<'a>(span: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    span["attributes"]
        .as_array()?
        .iter()
        .find(|kv| kv["key"] == key)?["value"]["stringValue"]
        .as_str()
}
