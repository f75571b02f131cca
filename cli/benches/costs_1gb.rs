//! `llmscope costs` on a ~1 GB JSONL file: wall time and peak RSS of the real binary.
//!
//! ```sh
//! cargo bench -p llmscope-cli --bench costs_1gb
//! ```
//!
//! The input is generated once into `target/llmscope-cli-bench/traces-1gb.jsonl` (never
//! committed) from the traces of `cli/tests/fixtures/diff-before.jsonl` (written by
//! `examples/trace_fixture.rs`): each copy of a trace gets a new trace id and is shifted by
//! 50 ms per copy, so the file holds ~230,000 distinct traces over ~3 hours of span time,
//! written as the batch exporter writes them (one line per batch of 256 spans). The binary is
//! run under GNU `time -v` (package `time`), which reports the peak RSS of the child.
//! Targets: ≤ 20 s and ≤ 200 MB on the 2-core development machine.

use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const TARGET_BYTES: u64 = 1_000_000_000;
const SPANS_PER_LINE: usize = 256;
const SHIFT_NS: u64 = 50_000_000;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diff-before.jsonl")
}

/// The fixture's spans grouped by trace, as JSON values.
fn traces() -> Vec<Vec<serde_json::Value>> {
    let text = std::fs::read_to_string(fixture()).expect("fixture readable");
    let mut by_trace: Vec<(String, Vec<serde_json::Value>)> = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let request: serde_json::Value = serde_json::from_str(line).expect("fixture line is JSON");
        for resource in request["resourceSpans"].as_array().expect("resourceSpans") {
            for scope in resource["scopeSpans"].as_array().expect("scopeSpans") {
                for span in scope["spans"].as_array().expect("spans") {
                    let id = span["traceId"].as_str().expect("traceId").to_owned();
                    match by_trace.iter_mut().find(|(t, _)| *t == id) {
                        Some((_, spans)) => spans.push(span.clone()),
                        None => by_trace.push((id, vec![span.clone()])),
                    }
                }
            }
        }
    }
    by_trace.into_iter().map(|(_, spans)| spans).collect()
}

fn shift(value: &mut serde_json::Value, key: &str, by: u64) {
    let nanos: u64 = value[key]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("timestamp");
    value[key] = serde_json::Value::String((nanos + by).to_string());
}

/// Writes the ~1 GB file unless it is already there.
fn generate(path: &Path) -> (u64, u64) {
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.len() >= TARGET_BYTES {
            return (meta.len(), 0);
        }
    }
    std::fs::create_dir_all(path.parent().expect("parent")).expect("bench dir");
    let templates = traces();
    let file = std::fs::File::create(path).expect("bench file");
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut written = 0u64;
    let mut batch: Vec<serde_json::Value> = Vec::with_capacity(SPANS_PER_LINE);
    let mut copies = 0u64;
    'outer: for round in 0u64.. {
        for (index, template) in templates.iter().enumerate() {
            let copy = round * templates.len() as u64 + index as u64;
            for span in template {
                let mut span = span.clone();
                let id = span["traceId"].as_str().expect("traceId").to_owned();
                span["traceId"] = serde_json::Value::String(format!("{copy:08x}{}", &id[8..]));
                shift(&mut span, "startTimeUnixNano", copy * SHIFT_NS);
                shift(&mut span, "endTimeUnixNano", copy * SHIFT_NS);
                batch.push(span);
                if batch.len() == SPANS_PER_LINE {
                    let line = serde_json::json!({"resourceSpans": [{"scopeSpans": [{"scope": {"name": "llmscope"}, "spans": batch}]}]});
                    let text = serde_json::to_string(&line).expect("serialise");
                    out.write_all(text.as_bytes()).expect("write");
                    out.write_all(b"\n").expect("write");
                    written += text.len() as u64 + 1;
                    batch = Vec::with_capacity(SPANS_PER_LINE);
                    if written >= TARGET_BYTES {
                        copies = copy + 1;
                        break 'outer;
                    }
                }
            }
        }
    }
    out.flush().expect("flush");
    (written, copies)
}

fn main() {
    // `cargo test --benches` runs this with `--bench` absent: skip the 1 GB run then.
    if !std::env::args().any(|a| a == "--bench") {
        println!("costs_1gb: skipped (run with `cargo bench -p llmscope-cli --bench costs_1gb`)");
        return;
    }
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/llmscope-cli-bench/traces-1gb.jsonl");
    let started = Instant::now();
    let (bytes, copies) = generate(&path);
    if copies > 0 {
        println!(
            "generated {} ({bytes} bytes, {copies} traces) in {:.1}s",
            path.display(),
            started.elapsed().as_secs_f64()
        );
    }
    let bytes = std::fs::metadata(&path).expect("bench file").len();
    let output = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(env!("CARGO_BIN_EXE_llmscope"))
        .arg("costs")
        .arg(&path)
        .output()
        .expect("/usr/bin/time runs (apt-get install time)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = String::from_utf8_lossy(&output.stderr);
    let field = |name: &str| {
        report
            .lines()
            .find_map(|l| l.trim().strip_prefix(name).map(|v| v.trim().to_owned()))
            .unwrap_or_else(|| panic!("`{name}` missing from time -v output"))
    };
    let rss_kb: f64 = field("Maximum resident set size (kbytes):")
        .parse()
        .expect("rss");
    let wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss):");
    let seconds: f64 = wall
        .split(':')
        .map(|p| p.parse::<f64>().expect("time field"))
        .fold(0.0, |acc, p| acc * 60.0 + p);
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{}", stdout.lines().next().unwrap_or_default());
    println!(
        "costs_1gb: {:.2} GB in {seconds:.2} s ({:.0} MB/s), peak RSS {:.1} MB (targets: ≤ 20 s, ≤ 200 MB)",
        bytes as f64 / 1e9,
        bytes as f64 / 1e6 / seconds,
        rss_kb / 1024.0
    );
}
