//! The records a burst leaves for reuse are freed once the thread's calls slow down (issue
//! 15): a thread keeps up to `KEEP` records after a burst, and a quieter thread would otherwise
//! reuse the oldest of them long after they left every cache. Shown through the public path:
//! deferred `#[llm_call]`s back to back, then one at a time, the records held for reuse read
//! after each phase. One test in this binary: the count is process-wide.

#[path = "support/deferred.rs"]
mod deferred_support;
use deferred_support::deferred_provider;

#[derive(llmscope::Usage)]
struct Reply {
    #[usage(response_id)]
    id: String,
    #[usage(input_tokens)]
    input_tokens: u32,
    #[usage(output_tokens)]
    output_tokens: u32,
}

#[llmscope::llm_call(provider = "openai", model = model, feature = feature)]
fn chat(model: &str, feature: &str, call: usize) -> Reply {
    Reply {
        id: format!("chatcmpl-{call}"),
        input_tokens: 1_000,
        output_tokens: 100,
    }
}

const BURST: usize = 3_000;
const QUIET: usize = 200;

#[test]
fn records_left_by_a_burst_are_freed_once_calls_slow_down() {
    let (provider, exporter) = deferred_provider();
    let _scope = llmscope::scoped(&provider).attach();
    let keep = llmscope::__private::KEPT_FOR_REUSE;
    let spare = llmscope::__private::SPARE_FOR_REUSE;

    // A burst: every record comes back at once, and the next call keeps as many as it may.
    for call in 0..BURST {
        chat("gpt-4o", "summarise", call);
    }
    llmscope::flush_processing();
    chat("gpt-4o", "summarise", BURST);
    llmscope::flush_processing();
    let after_burst = llmscope::__private::held_for_reuse();
    assert!(
        after_burst > spare + 64,
        "{after_burst} records held after a burst of {BURST} calls: nothing left to free"
    );
    assert!(
        after_burst <= keep + 1,
        "{after_burst} held, at most {keep} kept"
    );

    // Quiet calls, each processed before the next: the records the stock held unused go,
    // a few at a time.
    for call in 0..QUIET {
        chat("gpt-4o", "summarise", BURST + 1 + call);
        llmscope::flush_processing();
    }
    let after_quiet = llmscope::__private::held_for_reuse();
    println!("records held for reuse: {after_burst} after the burst, {after_quiet} after {QUIET} quiet calls");
    // The stock's spare records, the one in use and the one just returned.
    assert!(
        after_quiet <= spare + 2,
        "{after_quiet} records held after {QUIET} quiet calls (spare {spare})"
    );
    // Every call was exported, with its own response id.
    let spans = exporter.get_finished_spans().expect("the spans");
    assert_eq!(spans.len(), BURST + 1 + QUIET);
    let last = spans.last().expect("a span");
    let id = last
        .attributes
        .iter()
        .find(|kv| kv.key.as_str() == "gen_ai.response.id")
        .map(|kv| kv.value.as_str().into_owned());
    assert_eq!(
        id.as_deref(),
        Some(format!("chatcmpl-{}", BURST + QUIET).as_str())
    );
}
