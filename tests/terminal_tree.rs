//! The terminal tree of annotated calls, through the facade: what it shows (embedding costs,
//! cache writes, agent steps and totals, cancelled calls) and what it never lets through
//! (control characters), with output growing linearly in depth.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use llmscope::export::{BatchProcessor, TerminalExporter};
use llmscope::opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use llmscope::Decision;

/// A writer the test reads back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Runs `work` with a terminal exporter installed for it; returns what it printed.
fn printed(work: impl FnOnce()) -> String {
    let out = Captured::default();
    let exporter = TerminalExporter::builder()
        .with_writer(out.clone())
        .with_color(false)
        .with_durations(false)
        .build();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter)
        .build();
    {
        let _guard = llmscope::scoped(&provider).attach();
        work();
    }
    provider.shutdown().unwrap();
    let bytes = out.0.lock().unwrap().clone();
    String::from_utf8(bytes).unwrap()
}

#[derive(llmscope::Usage)]
struct Embedding {
    #[usage(input_tokens)]
    input: u32,
}

/// text-embedding-3-small costs $0.02 per million tokens.
const EMBEDDING_TOKENS: u32 = 1_000;

#[llmscope::llm_call(
    provider = "openai",
    model = "text-embedding-3-small",
    operation = "embeddings"
)]
fn embed(_text: &str) -> Embedding {
    Embedding {
        input: EMBEDDING_TOKENS,
    }
}

#[derive(llmscope::Usage)]
struct Cached {
    #[usage(input_tokens)]
    input: u32,
    #[usage(output_tokens)]
    output: u32,
    #[usage(cache_read_tokens)]
    cache_read: u32,
    #[usage(cache_write_tokens)]
    cache_write: u32,
}

#[llmscope::llm_call(provider = "anthropic", model = "claude-sonnet-4-5")]
fn cached() -> Cached {
    Cached {
        input: 3_000,
        output: 50,
        cache_read: 1_000,
        cache_write: 1_200,
    }
}

#[llmscope::agent_step(step)]
fn look_up() -> Decision {
    embed("query");
    Decision::CallTool
}

#[llmscope::agent_step(step)]
fn answer() -> Decision {
    cached();
    Decision::FinalAnswer
}

#[llmscope::agent_step(agent = "tree_agent", provider = "openai")]
fn run_agent() -> u32 {
    look_up();
    answer();
    2
}

#[test]
fn an_agent_tree_shows_steps_totals_cache_writes_and_small_costs() {
    let text = printed(|| {
        run_agent();
    });
    let lines: Vec<&str> = text.lines().collect();
    let line = |prefix: &str| -> &str {
        lines
            .iter()
            .find(|line| {
                line.trim_start_matches(['│', '├', '└', '─', ' '])
                    .starts_with(prefix)
            })
            .unwrap_or_else(|| panic!("no line for `{prefix}` in\n{text}"))
    };
    // The agent root carries its totals: 2 steps, 2 model calls, 1,000 + 3,000 input tokens.
    let root = line("invoke_agent tree_agent");
    for part in [
        "2 steps",
        "2 llm calls",
        "in 4,000",
        "out 50 tok",
        "completed",
    ] {
        assert!(root.contains(part), "`{part}` missing: {root}");
    }
    // Steps show their index and decision.
    let steps: Vec<&&str> = lines.iter().filter(|l| l.contains("agent_step")).collect();
    assert_eq!(steps.len(), 2, "{text}");
    assert!(steps[0].contains("#1 · call_tool"), "{text}");
    assert!(steps[1].contains("#2 · final_answer"), "{text}");
    // 1,000 tokens × $0.02 per million = $0.00002: shown with three significant digits.
    let embedding_cost = f64::from(EMBEDDING_TOKENS) * 0.02 / 1e6;
    assert_eq!(format!("{embedding_cost:.7}"), "0.0000200");
    let embedding = line("embeddings text-embedding-3-small");
    assert!(
        embedding.ends_with("in 1,000 tok · $0.0000200"),
        "{embedding}"
    );
    // Cache reads and writes both show.
    let cached = line("chat claude-sonnet-4-5");
    assert!(
        cached.contains("in 3,000 · cache read 1,000 · cache write 1,200 · out 50 tok"),
        "{cached}"
    );
    let footer = line("5 spans");
    assert!(
        footer.contains("cache write 1,200"),
        "the footer sums cache writes: {footer}"
    );
}

#[derive(llmscope::Usage)]
struct Reply {
    #[usage(output_tokens)]
    output: u32,
}

#[llmscope::llm_call(provider = "openai", model = model)]
async fn never_answers(model: &str) -> Reply {
    std::future::pending::<()>().await;
    Reply { output: 1 }
}

#[llmscope::llm_call(provider = "openai", model = model)]
fn echo(model: &str) -> Reply {
    Reply { output: 1 }
}

#[test]
fn a_cancelled_call_is_marked() {
    let text = printed(|| {
        // Polled once, then dropped: the caller gave up on it.
        assert!(futures::FutureExt::now_or_never(never_answers("gpt-4o")).is_none());
    });
    let call = text
        .lines()
        .find(|line| line.starts_with("chat gpt-4o"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(call.ends_with("⊘ cancelled"), "{call}");
    assert!(
        text.contains("1 cancelled"),
        "the footer counts it:\n{text}"
    );
}

#[test]
fn control_characters_in_names_and_values_are_escaped() {
    let hostile = "gpt-4o\x1b[2J\x1b]0;owned\x07\u{202e}";
    let text = printed(|| {
        echo(hostile);
    });
    assert!(
        !text.contains(['\x1b', '\x07', '\u{202e}']),
        "raw control characters reached the terminal: {text:?}"
    );
    assert!(
        text.contains(r"chat gpt-4o\u{1b}[2J\u{1b}]0;owned\u{7}\u{202e}"),
        "{text}"
    );
}

#[llmscope::tool(name = "nest")]
fn nest(depth: usize) -> usize {
    if depth > 1 {
        nest(depth - 1)
    } else {
        0
    }
}

#[test]
fn deep_trees_are_indented_at_most_sixteen_levels() {
    let measure = |depth: usize| {
        let text = printed(|| {
            nest(depth);
        });
        let widest = text.lines().map(str::len).max().unwrap();
        (text.len(), widest)
    };
    let (bytes_200, widest_200) = measure(200);
    let (bytes_800, widest_800) = measure(800);
    // The widest line is the same at depth 200 and 800 (the deepest spans, at depth 199 and
    // 799, both write three digits): uncapped, the deepest line alone would hold 799 guides
    // of three chars. So the output grows linearly: the 600 extra spans add at most one
    // widest line each.
    assert_eq!(widest_200, widest_800);
    assert!(widest_800 < 16 * "│  ".len() + 64, "{widest_800}");
    assert!(
        bytes_800 - bytes_200 <= 600 * (widest_800 + 1),
        "{bytes_200} → {bytes_800}"
    );
}

#[test]
fn export_stats_debug_shows_counts() {
    let exporter = InMemorySpanExporter::default();
    let processor = BatchProcessor::builder(exporter.clone()).build();
    let stats = processor.stats();
    let provider = SdkTracerProvider::builder()
        .with_span_processor(processor)
        .build();
    {
        let _guard = llmscope::scoped(&provider).attach();
        echo("gpt-4o");
    }
    provider.force_flush().unwrap();
    assert_eq!(exporter.get_finished_spans().unwrap().len(), 1);
    assert_eq!(
        format!("{stats:?}"),
        "ExportStats { queued: 1, exported: 1, failed: 0, dropped: 0 }"
    );
}
