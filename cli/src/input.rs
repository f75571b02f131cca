//! Streaming read of JSONL trace files (or stdin): one line at a time, spans grouped into traces
//! as they complete, so memory holds the traces still open, not the file.
//!
//! A trace is complete when its root span (no parent) has been read and the line holding it
//! ends: exporters send a span when it ends, and a root ends after its children. Spans of a
//! trace that arrive after that, and traces whose root never comes (a root continued from
//! another service), are handed over at the end of the input.
//!
//! A malformed line is an error naming the file and line, unless `--lenient` (then skipped
//! and counted). An incomplete last line without a newline (a writer that crashed mid-line)
//! is always skipped and counted.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read};
use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};

use crate::span::{decode_line, Span};

/// Where spans come from and how strictly to read them.
#[derive(Debug, Clone)]
pub(crate) struct Inputs {
    /// Files in order; empty or `-` reads stdin.
    pub(crate) paths: Vec<PathBuf>,
    /// Skip (and count) malformed lines instead of failing.
    pub(crate) lenient: bool,
    /// Keep the attributes `show` prints.
    pub(crate) details: bool,
}

/// What a command does with the input: each span as it is read, each trace once complete.
pub(crate) trait Visit {
    /// Called for every span, in input order.
    fn span(&mut self, _span: &Span) {}
    /// Called once per trace with all its spans (unordered).
    fn trace(&mut self, _spans: Vec<Span>) {}
}

/// Counts of a finished scan.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Scanned {
    pub(crate) lines: u64,
    pub(crate) spans: u64,
    pub(crate) traces: u64,
    /// Malformed lines skipped with `--lenient`.
    pub(crate) skipped_lines: u64,
}

/// The open traces, keyed by trace id.
#[derive(Default)]
struct Assembler {
    open: HashMap<String, Vec<Span>>,
    rooted: Vec<String>,
}

impl Assembler {
    fn push(&mut self, span: Span) {
        if span.parent_id.is_none() {
            self.rooted.push(span.trace_id.clone());
        }
        self.open.entry(span.trace_id.clone()).or_default().push(span);
    }

    fn end_line(&mut self, visit: &mut dyn Visit, scanned: &mut Scanned) {
        for trace_id in self.rooted.drain(..) {
            if let Some(spans) = self.open.remove(&trace_id) {
                scanned.traces += 1;
                visit.trace(spans);
            }
        }
    }

    fn finish(mut self, visit: &mut dyn Visit, scanned: &mut Scanned) {
        let mut rest: Vec<Vec<Span>> = self.open.drain().map(|(_, spans)| spans).collect();
        // Deterministic order: by first start, then id.
        rest.sort_by_key(|spans| {
            let start = spans.iter().map(|s| s.start_ns).min().unwrap_or(0);
            (start, spans[0].trace_id.clone())
        });
        for spans in rest {
            scanned.traces += 1;
            visit.trace(spans);
        }
    }
}

/// A progress bar on stderr over the inputs' total size, only on a terminal.
fn progress(total: u64) -> Option<ProgressBar> {
    if !io::stderr().is_terminal() || total < 8 * 1024 * 1024 {
        return None;
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    Some(bar)
}

/// Reads every input, calling `visit` for each span and each completed trace.
///
/// # Errors
///
/// A message naming the file (and line) that cannot be opened, read or decoded; with
/// `lenient`, undecodable lines are counted instead.
pub(crate) fn scan(inputs: &Inputs, visit: &mut dyn Visit) -> Result<Scanned, String> {
    let stdin_only =
        inputs.paths.is_empty() || (inputs.paths.len() == 1 && inputs.paths[0].as_os_str() == "-");
    let total: u64 = if stdin_only {
        0
    } else {
        inputs
            .paths
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum()
    };
    let bar = progress(total);
    let mut scanned = Scanned::default();
    let mut assembler = Assembler::default();
    if stdin_only {
        let stdin = io::stdin();
        read_one("<stdin>", stdin.lock(), inputs, &mut assembler, visit, &mut scanned, None)?;
    } else {
        for path in &inputs.paths {
            let name = path.display().to_string();
            if path.as_os_str() == "-" {
                let stdin = io::stdin();
                read_one("<stdin>", stdin.lock(), inputs, &mut assembler, visit, &mut scanned, None)?;
                continue;
            }
            let file = File::open(path).map_err(|error| format!("cannot open `{name}`: {error}"))?;
            read_one(
                &name,
                BufReader::with_capacity(1 << 20, file),
                inputs,
                &mut assembler,
                visit,
                &mut scanned,
                bar.as_ref(),
            )?;
        }
    }
    assembler.finish(visit, &mut scanned);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(scanned)
}

fn read_one(
    name: &str,
    mut reader: impl BufRead,
    inputs: &Inputs,
    assembler: &mut Assembler,
    visit: &mut dyn Visit,
    scanned: &mut Scanned,
    bar: Option<&ProgressBar>,
) -> Result<(), String> {
    let mut bytes = Vec::with_capacity(1 << 16);
    let mut spans = Vec::new();
    let mut number = 0u64;
    loop {
        bytes.clear();
        let read = (&mut reader)
            .take(u64::MAX)
            .read_until(b'\n', &mut bytes)
            .map_err(|error| format!("cannot read `{name}` after line {number}: {error}"))?;
        if read == 0 {
            return Ok(());
        }
        number += 1;
        scanned.lines += 1;
        if let Some(bar) = bar {
            bar.inc(read as u64);
        }
        let decoded = std::str::from_utf8(&bytes)
            .map_err(|error| format!("not UTF-8 ({error})"))
            .map(str::trim)
            .and_then(|line| {
                if line.is_empty() {
                    return Ok(());
                }
                decode_line(line, inputs.details, &mut spans)
            });
        if let Err(message) = decoded {
            spans.clear();
            // A crash of the writer can leave an incomplete last line (no newline): skipped and
            // counted, as the runtime's own reader does.
            if inputs.lenient || !bytes.ends_with(b"\n") {
                scanned.skipped_lines += 1;
                continue;
            }
            return Err(format!(
                "{name}:{number}: malformed line: {message} (use `--lenient` to skip such lines)"
            ));
        }
        for span in spans.drain(..) {
            scanned.spans += 1;
            visit.span(&span);
            assembler.push(span);
        }
        assembler.end_line(visit, scanned);
    }
}
