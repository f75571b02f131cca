//! Streaming read of JSONL trace files (or stdin): one line at a time, spans grouped into traces
//! as they complete, so memory holds the traces still open, not the file.
//!
//! A trace is complete once its root span (no parent) has been read and the input has moved
//! 10 s of span time past the root's end: exporters send a span when it ends and a root ends
//! after its children, but exporters with per-thread buffers can write a child a little after
//! its root. Spans of a trace that arrive later still, and traces whose root never comes (a
//! root continued from another service), are handed over at the end of the input. Memory
//! thus holds the traces of the last ~10 s of span time, whatever the file size.
//!
//! A malformed line is an error naming the file and line, unless `--lenient` (then skipped
//! and counted). An incomplete last line without a newline (a writer that crashed mid-line)
//! is always skipped and counted.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
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

/// How long after a root span ends (by the latest end time read so far) its trace is handed
/// over: exporters with per-thread buffers can write a child after its root, but not this much
/// later in span time.
const GRACE_NS: u64 = 10_000_000_000;

/// The open traces, keyed by trace id.
#[derive(Default)]
struct Assembler {
    open: HashMap<String, Vec<Span>>,
    /// Roots read, soonest-ending first: (root end, trace id).
    rooted: BinaryHeap<Reverse<(u64, String)>>,
    /// Latest span end read so far.
    watermark: u64,
}

impl Assembler {
    fn push(&mut self, span: Span) {
        self.watermark = self.watermark.max(span.end_ns);
        if span.parent_id.is_none() {
            self.rooted
                .push(Reverse((span.end_ns, span.trace_id.clone())));
        }
        self.open
            .entry(span.trace_id.clone())
            .or_default()
            .push(span);
    }

    /// Hands over the traces whose root ended more than `GRACE_NS` before the watermark.
    fn end_line(&mut self, visit: &mut dyn Visit, scanned: &mut Scanned) {
        while let Some(Reverse((end, _))) = self.rooted.peek() {
            if end.saturating_add(GRACE_NS) > self.watermark {
                break;
            }
            let Some(Reverse((_, trace_id))) = self.rooted.pop() else {
                break;
            };
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
        read_one(
            "<stdin>",
            stdin.lock(),
            inputs,
            &mut assembler,
            visit,
            &mut scanned,
            None,
        )?;
    } else {
        for path in &inputs.paths {
            let name = path.display().to_string();
            if path.as_os_str() == "-" {
                let stdin = io::stdin();
                read_one(
                    "<stdin>",
                    stdin.lock(),
                    inputs,
                    &mut assembler,
                    visit,
                    &mut scanned,
                    None,
                )?;
                continue;
            }
            let file =
                File::open(path).map_err(|error| format!("cannot open `{name}`: {error}"))?;
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
