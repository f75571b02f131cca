//! A deferred call's allocations return to the thread that made them (issue 15): with
//! `llmscope::init()`'s deferred pipeline, llmscope's processing thread builds the span from
//! copies of its own and hands the record back, so no other thread frees a block the caller
//! allocated for a call (with glibc's malloc such frees take the caller's arena lock).
//!
//! Shown through the public path: many deferred `#[llm_call]`s on a few threads, every span
//! exported, the blocks of the caller threads counted by a global allocator that tags each
//! block with the thread that allocated it, and the records held for reuse bounded and freed
//! when the threads exit. One test in this binary: the allocator counts the whole process.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};

use llmscope::opentelemetry::{KeyValue, Value};
use llmscope::opentelemetry_sdk::error::OTelSdkResult;
use llmscope::opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
use llmscope::Sampler;

#[path = "support/reply.rs"]
mod reply_support;
use reply_support::{reply, Reply};

/// Blocks are tagged in a header: the allocating thread's id, and whether it is a caller.
struct Tagging;

/// The header before each block (16 bytes, or the block's alignment when larger).
const HEADER: usize = 16;

static NEXT_THREAD: AtomicU64 = AtomicU64::new(1);
/// Blocks a caller thread allocated and another thread freed.
static FREED_ELSEWHERE: AtomicU64 = AtomicU64::new(0);
/// Blocks caller threads allocated.
static CALLER_ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static THREAD: Cell<u64> = const { Cell::new(0) };
    static CALLER: Cell<bool> = const { Cell::new(false) };
}

fn thread_id() -> u64 {
    THREAD
        .try_with(|id| {
            if id.get() == 0 {
                id.set(NEXT_THREAD.fetch_add(1, Ordering::Relaxed));
            }
            id.get()
        })
        .unwrap_or(u64::MAX)
}

fn header(layout: Layout) -> usize {
    HEADER.max(layout.align())
}

unsafe impl GlobalAlloc for Tagging {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let offset = header(layout);
        let full = Layout::from_size_align(layout.size() + offset, layout.align().max(8)).unwrap();
        let base = unsafe { System.alloc(full) };
        if base.is_null() {
            return base;
        }
        let caller = CALLER.try_with(Cell::get).unwrap_or(false);
        if caller {
            CALLER_ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        let tag = (thread_id() << 1) | u64::from(caller);
        unsafe {
            let block = base.add(offset);
            (block.sub(8) as *mut u64).write_unaligned(tag);
            block
        }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        let offset = header(layout);
        let tag = unsafe { (block.sub(8) as *const u64).read_unaligned() };
        if tag & 1 == 1 && tag >> 1 != thread_id() {
            FREED_ELSEWHERE.fetch_add(1, Ordering::Relaxed);
        }
        let full = Layout::from_size_align(layout.size() + offset, layout.align().max(8)).unwrap();
        unsafe { System.dealloc(block.sub(offset), full) };
    }
}

#[global_allocator]
static ALLOCATOR: Tagging = Tagging;

/// Counts the spans it exports and keeps the first.
#[derive(Debug, Default, Clone)]
struct Counting {
    exported: Arc<AtomicUsize>,
    first: Arc<Mutex<Option<SpanData>>>,
}

impl SpanExporter for Counting {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.exported.fetch_add(batch.len(), Ordering::Relaxed);
        let mut first = self.first.lock().unwrap();
        if first.is_none() {
            *first = batch.into_iter().next();
        }
        Ok(())
    }
}

/// The realistic call: run-time model, feature and two strings of the application's, the
/// response's model, id and finish reason.
#[llmscope::llm_call(
    provider = "openai",
    model = model,
    temperature = 0.2,
    server_address = "api.openai.com",
    feature = feature,
    attrs(custom("app.prompt.hash") = prompt_hash, custom("app.note") = note)
)]
fn chat(model: &str, feature: &str, prompt_hash: &str, note: &str, call: usize) -> Reply {
    reply(call, "gpt-4o-2024-08-06")
}

const THREADS: usize = 4;
const CALLS: usize = 25_000;

fn attribute<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

#[test]
fn deferred_calls_return_their_allocations_to_the_caller_thread() {
    let exporter = Counting::default();
    let provider = Sampler::default_sampler()
        .build(SdkTracerProvider::builder().with_simple_exporter(exporter.clone()))
        .deferred();
    let scope = llmscope::scoped(&provider);
    let made = Arc::new(Barrier::new(THREADS + 1));
    let counted = Arc::new(Barrier::new(THREADS + 1));
    let again = Arc::new(Barrier::new(THREADS + 1));
    let (allocations_before, freed_before, after_calls, after_one_more) = {
        // Spawned and joined (not scoped): a join returns once the thread's locals are
        // destroyed.
        let threads: Vec<_> = (0..THREADS)
            .map(|thread| {
                let (scope, made, counted, again) =
                    (scope.clone(), made.clone(), counted.clone(), again.clone());
                std::thread::spawn(move || {
                    CALLER.with(|caller| caller.set(true));
                    let _scope = scope.clone().attach();
                    let model = "gpt-4o".to_owned();
                    let feature = format!("summarise thread {thread}");
                    let hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
                    let note = "reply to alice@example.com".to_owned();
                    for call in 0..CALLS {
                        chat(&model, &feature, hash, &note, call);
                    }
                    made.wait();
                    counted.wait();
                    // One more call: it takes back what the bin holds (keeping a bounded
                    // stock, freeing the rest here).
                    chat(&model, &feature, hash, &note, CALLS);
                    again.wait();
                    again.wait();
                    CALLER.with(|caller| caller.set(false));
                })
            })
            .collect();
        {
            made.wait();
            llmscope::flush_processing();
            let allocations = CALLER_ALLOCATIONS.load(Ordering::Relaxed);
            let freed = FREED_ELSEWHERE.load(Ordering::Relaxed);
            let after_calls = llmscope::__private::held_for_reuse();
            counted.wait();
            again.wait();
            llmscope::flush_processing();
            let after_one_more = llmscope::__private::held_for_reuse();
            again.wait();
            for thread in threads {
                thread.join().unwrap();
            }
            (allocations, freed, after_calls, after_one_more)
        }
    };
    // The threads exited: what was still queued of theirs is processed and freed.
    llmscope::flush_processing();
    let calls = THREADS * (CALLS + 1);
    assert_eq!(exporter.exported.load(Ordering::Relaxed), calls);

    // Every caller-allocated block of the calls was freed on its own thread. The few allowed:
    // the bins' vectors changing hands as they grow (a handful per thread, not per call).
    println!(
        "{allocations_before} blocks allocated by the caller threads in {} calls, \
         {freed_before} freed by another thread",
        THREADS * CALLS
    );
    assert!(
        allocations_before >= (THREADS * CALLS) as u64,
        "the callers allocated {allocations_before} blocks in {} calls",
        THREADS * CALLS
    );
    assert!(
        freed_before <= (THREADS * 64) as u64,
        "{freed_before} blocks of the caller threads freed by another thread in {} calls",
        THREADS * CALLS
    );

    // Bounded: after 100,000 calls a thread's bin holds what was processed since its last
    // call, and its stock at most `KEEP` records; one more call frees the rest.
    let keep = llmscope::__private::KEPT_FOR_REUSE;
    assert!(
        after_calls <= THREADS * (keep + 2 * 4096),
        "{after_calls} records held after {} calls",
        THREADS * CALLS
    );
    assert!(
        after_one_more <= THREADS * keep,
        "{after_one_more} records held after one more call per thread (each keeps {keep})"
    );
    // The threads exited: their bins and stocks were freed.
    assert_eq!(llmscope::__private::held_for_reuse(), 0);

    // The span is built from copies: what it holds is right, redacted as before.
    let span = exporter.first.lock().unwrap().take().expect("a span");
    assert_eq!(span.name, "chat gpt-4o");
    assert_eq!(
        attribute(&span, "gen_ai.request.model"),
        Some(&Value::from("gpt-4o"))
    );
    assert_eq!(
        attribute(&span, "app.prompt.hash"),
        Some(&Value::from(
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
        ))
    );
    let Some(Value::String(note)) = attribute(&span, "app.note") else {
        panic!("no note: {:?}", span.attributes);
    };
    assert!(
        !note.as_str().contains("alice@example.com") && note.as_str().contains('['),
        "{note}"
    );
    assert_eq!(
        attribute(&span, "gen_ai.response.model"),
        Some(&Value::from("gpt-4o-2024-08-06"))
    );
    let Some(Value::String(id)) = attribute(&span, "gen_ai.response.id") else {
        panic!("no response id: {:?}", span.attributes);
    };
    assert!(id.as_str().starts_with("chatcmpl-"), "{id}");
    assert!(span.attributes.contains(&KeyValue::new(
        "gen_ai.response.finish_reasons",
        Value::Array(vec![llmscope::opentelemetry::StringValue::from("stop")].into())
    )));
    // gpt-4o: $2.50 per million input tokens, $10 per million output tokens:
    // 1,000 × 2.5e-6 + 100 × 1e-5 = 0.0035.
    let Some(Value::F64(cost)) = attribute(&span, "llm.cost.total") else {
        panic!("no cost: {:?}", span.attributes);
    };
    assert!((cost - 0.0035).abs() < 1e-12, "{cost}");
    // Sized to what it holds.
    assert!(span.attributes.len() >= 15, "{:?}", span.attributes);
    let _ = provider.shutdown();
}
