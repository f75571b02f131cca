//! A call processed on its caller's thread (a provider not made `.deferred()`) allocates its
//! span's attribute vector once, at the size the span ends with (issue 15): the macro's count
//! of a site's attributes is an upper bound, so the first call's vector is shrunk before
//! export; each site then learns the count its calls end with, and its later calls neither grow
//! nor shrink the vector. Shown through the public path with an allocator that counts, on the
//! test's thread, the reallocations that shrink a block; the exported spans are sized to what
//! they hold either way.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use llmscope::opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use llmscope::Sampler;

#[path = "support/reply.rs"]
mod reply_support;
use reply_support::{reply, Reply};

thread_local! {
    /// Set while the test counts on this thread.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    /// Reallocations to a smaller size made on this thread while counting.
    static SHRINKS: Cell<usize> = const { Cell::new(0) };
}

/// The system allocator, counting shrinking reallocations on a thread that asked.
struct CountingShrinks;

unsafe impl GlobalAlloc for CountingShrinks {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        unsafe { System.dealloc(block, layout) }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size < layout.size() && COUNTING.try_with(Cell::get).unwrap_or(false) {
            let _ = SHRINKS.try_with(|shrinks| shrinks.set(shrinks.get() + 1));
        }
        unsafe { System.realloc(block, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingShrinks = CountingShrinks;

/// The shrinking reallocations `work` makes on this thread.
fn shrinks_during(work: impl FnOnce()) -> usize {
    SHRINKS.with(|shrinks| shrinks.set(0));
    COUNTING.with(|counting| counting.set(true));
    work();
    COUNTING.with(|counting| counting.set(false));
    SHRINKS.with(Cell::get)
}

#[llmscope::llm_call(provider = "openai", model = model, feature = feature, temperature = 0.2)]
fn chat(model: &str, feature: &str, call: usize) -> Reply {
    reply(call, "gpt-4o-mini-2024-07-18")
}

/// A second site, with more attributes of its own: each site learns its own count.
#[llmscope::llm_call(
    provider = "openai",
    model = model,
    feature = feature,
    temperature = 0.2,
    server_address = "api.openai.com",
    attrs(custom("app.prompt.hash") = prompt_hash, custom("app.user.hash") = user_hash)
)]
fn chat_described(
    model: &str,
    feature: &str,
    prompt_hash: &str,
    user_hash: &str,
    call: usize,
) -> Reply {
    reply(call, "gpt-4o-mini-2024-07-18")
}

/// Every span holds its attributes in a vector of that size, or at most two more.
fn assert_sized_to_what_they_hold(spans: &[SpanData]) {
    for span in spans {
        assert!(
            span.attributes.capacity() <= span.attributes.len() + 2,
            "{}: {} attributes in a vector of {}",
            span.name,
            span.attributes.len(),
            span.attributes.capacity()
        );
    }
}

#[test]
fn a_site_learns_the_size_its_spans_end_with_and_later_calls_reallocate_nothing() {
    let exporter = InMemorySpanExporter::default();
    // Not `.deferred()`: each call is processed on this thread, into the simple processor.
    let provider = Sampler::default_sampler()
        .build(SdkTracerProvider::builder().with_simple_exporter(exporter.clone()));
    let _scope = llmscope::scoped(&provider).attach();

    // The first call of each site: the macro's count is above what the span holds, so its
    // vector is shrunk before export (the test's premise; without it, nothing is shown).
    let first = shrinks_during(|| {
        chat("gpt-4o-mini", "summarise", 0);
    });
    assert!(first >= 1, "the first call shrank nothing: {first}");
    let first_described = shrinks_during(|| {
        chat_described("gpt-4o-mini", "summarise", "9f86d081", "u-42", 0);
    });
    assert!(first_described >= 1, "the first call shrank nothing");

    // The sites' later calls, interleaved: allocated at the learned size, nothing shrunk.
    let later = shrinks_during(|| {
        for call in 1..=50 {
            chat("gpt-4o-mini", "summarise", call);
            chat_described("gpt-4o-mini", "summarise", "9f86d081", "u-42", call);
        }
    });
    assert_eq!(later, 0, "100 later calls shrank {later} blocks");

    let spans = exporter.get_finished_spans().expect("spans");
    assert_eq!(spans.len(), 102);
    assert_sized_to_what_they_hold(&spans);
    // The two sites' spans differ in size, and every span of a site holds the same attributes.
    let sizes = |hash: bool| {
        spans
            .iter()
            .filter(|span| {
                span.attributes
                    .iter()
                    .any(|attribute| attribute.key.as_str() == "app.prompt.hash")
                    == hash
            })
            .map(|span| span.attributes.len())
            .collect::<std::collections::BTreeSet<_>>()
    };
    let (plain, described) = (sizes(false), sizes(true));
    assert_eq!(plain.len(), 1, "{plain:?}");
    assert_eq!(described.len(), 1, "{described:?}");
    assert!(
        described.first() > plain.first(),
        "{described:?} vs {plain:?}"
    );
    // The cost is among them (the vector held the usage and the 11 cost attributes).
    assert!(spans.iter().all(|span| span
        .attributes
        .iter()
        .any(|attribute| attribute.key.as_str() == "llmscope.cost.total")));
}
