//! `init()` with `OTEL_TRACES_SAMPLER` gives the same sampler to the provider and to llmscope
//! (its own test binary: `init` is once per process). A root call is dropped before its
//! arguments are evaluated; under a sampled caller the call and a child are recorded.

mod support;

use std::cell::Cell;

use llmscope::opentelemetry::trace::{
    SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState, Tracer as _,
    TracerProvider as _,
};
use llmscope::opentelemetry::Context;
use llmscope::{Sampler, Telemetry};

#[derive(llmscope::Usage)]
struct Reply {
    #[usage(input_tokens)]
    prompt_tokens: u32,
}

thread_local! {
    static EVALUATED: Cell<usize> = const { Cell::new(0) };
}

fn model() -> &'static str {
    EVALUATED.with(|count| count.set(count.get() + 1));
    "gpt-4o"
}

#[llmscope::llm_call(provider = "openai", model = model())]
fn chat() -> Reply {
    llmscope::opentelemetry::global::tracer_provider()
        .tracer("app")
        .in_span("child", |_| {});
    Reply { prompt_tokens: 10 }
}

#[test]
fn init_samples_llmscope_calls_with_the_configured_sampler() {
    let dir = std::env::temp_dir().join(format!("llmscope-sampled-{}", std::process::id()));
    let path = dir.join("traces.jsonl");
    let guard = Telemetry::builder()
        .with_env([
            ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0"),
        ])
        .with_terminal(false)
        .with_jsonl_path(Some(path.clone()))
        .init()
        .expect("init");
    assert_eq!(
        guard.tracer_provider().expect("enabled").sampler(),
        &Sampler::trace_id_ratio(0.0).parent_based()
    );

    // A new trace at ratio 0: dropped before `model()` runs, its child with it.
    chat();
    assert_eq!(EVALUATED.with(Cell::get), 0);

    // Under a sampled caller (e.g. an incoming `traceparent`): kept, with its child.
    let trace_id = TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736_u128);
    {
        let _caller = Context::new()
            .with_remote_span_context(SpanContext::new(
                trace_id,
                SpanId::from(0x00f0_67aa_0ba9_02b7_u64),
                TraceFlags::SAMPLED,
                true,
                TraceState::NONE,
            ))
            .attach();
        chat();
    }
    assert_eq!(EVALUATED.with(Cell::get), 1);
    drop(guard);

    let spans = support::jsonl_spans(&path);
    let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    let call = spans
        .iter()
        .find(|s| s.name == "chat gpt-4o")
        .expect("call");
    let child = spans.iter().find(|s| s.name == "child").expect("child");
    assert_eq!(call.trace_id, trace_id.to_bytes().to_vec());
    assert_eq!(child.parent_span_id, call.span_id);
    std::fs::remove_dir_all(&dir).unwrap();
}
