//! Head sampling decided by llmscope before a call builds anything (`llmscope::Sampler`),
//! asserted on the spans the SDK exports.

use std::cell::Cell;

use llmscope::testing::TestTelemetry;
use llmscope::Sampler;
use opentelemetry::trace::{
    SpanContext, TraceContextExt, TraceFlags, TraceId, TraceState, Tracer as _, TracerProvider as _,
};
use opentelemetry::Context;

#[derive(llmscope::Usage)]
struct Reply {
    #[usage(input_tokens)]
    prompt_tokens: u32,
    #[usage(output_tokens)]
    completion_tokens: u32,
}

thread_local! {
    /// How many times an argument of the span (even a sampling-relevant one) was evaluated.
    static EVALUATED: Cell<usize> = const { Cell::new(0) };
    /// How many times the body ran.
    static RAN: Cell<usize> = const { Cell::new(0) };
}

fn counted(model: &'static str) -> &'static str {
    EVALUATED.with(|count| count.set(count.get() + 1));
    model
}

#[llmscope::llm_call(provider = "openai", model = counted("gpt-4o"), server_address = counted("api.openai.com"), temperature = 0.2)]
fn chat(tracer: &opentelemetry_sdk::trace::SdkTracer) -> Reply {
    RAN.with(|count| count.set(count.get() + 1));
    // A span the application makes inside the call through the OTel API, and one through
    // `tracing` (recorded when a tracing-opentelemetry subscriber is set).
    tracer.in_span("child", |_| {});
    tracing::info_span!("tracing_child").in_scope(|| {});
    Reply {
        prompt_tokens: 3,
        completion_tokens: 4,
    }
}

#[llmscope::llm_call(provider = "openai", model = counted("gpt-4o"))]
async fn chat_async() -> Reply {
    tokio::task::yield_now().await;
    Reply {
        prompt_tokens: 1,
        completion_tokens: 1,
    }
}

fn names(telemetry: &TestTelemetry) -> Vec<String> {
    let mut names: Vec<String> = telemetry
        .spans()
        .iter()
        .map(|s| s.name.to_string())
        .collect();
    names.sort();
    names
}

fn remote_parent(sampled: bool) -> Context {
    Context::new().with_remote_span_context(SpanContext::new(
        TraceId::from(0x0af7_6519_16cd_43dd_8448_eb21_1c80_319c_u128),
        opentelemetry::trace::SpanId::from(0xb7ad_6b71_6920_3331_u64),
        if sampled {
            TraceFlags::SAMPLED
        } else {
            TraceFlags::default()
        },
        true,
        TraceState::NONE,
    ))
}

#[test]
fn a_call_the_known_sampler_drops_evaluates_nothing_and_drops_its_children() {
    let telemetry = TestTelemetry::with_sampler(Sampler::always_off());
    let tracer = telemetry.provider().tracer("app");
    EVALUATED.with(|count| count.set(0));
    RAN.with(|count| count.set(0));
    let reply = tracing::dispatcher::with_default(&subscriber(&telemetry), || {
        let _guard = telemetry.context().attach();
        chat(&tracer)
    });
    assert_eq!(reply.completion_tokens, 4, "the body's value is returned");
    assert_eq!(RAN.with(Cell::get), 1, "the body ran once");
    assert_eq!(
        EVALUATED.with(Cell::get),
        0,
        "no argument is evaluated for a dropped call, not even the model"
    );
    assert!(names(&telemetry).is_empty(), "{:?}", names(&telemetry));
}

#[test]
fn under_a_sampled_parent_a_parent_based_sampler_keeps_the_call_and_its_children() {
    let telemetry = TestTelemetry::with_sampler(Sampler::always_off().parent_based());
    let tracer = telemetry.provider().tracer("app");
    EVALUATED.with(|count| count.set(0));
    {
        let _parent = remote_parent(true).attach();
        let _guard = telemetry.context().attach();
        chat(&tracer);
    }
    assert_eq!(EVALUATED.with(Cell::get), 2);
    let spans = telemetry.spans();
    let call = spans
        .iter()
        .find(|s| s.name == "chat gpt-4o")
        .expect("call");
    let child = spans.iter().find(|s| s.name == "child").expect("child");
    assert_eq!(
        call.span_context.trace_id(),
        TraceId::from(0x0af7_6519_16cd_43dd_8448_eb21_1c80_319c_u128)
    );
    assert_eq!(child.parent_span_id, call.span_context.span_id());
}

#[test]
fn under_an_unsampled_parent_the_call_and_its_children_are_dropped() {
    let telemetry = TestTelemetry::with_sampler(Sampler::always_on().parent_based());
    let tracer = telemetry.provider().tracer("app");
    EVALUATED.with(|count| count.set(0));
    {
        let _parent = remote_parent(false).attach();
        let _guard = telemetry.context().attach();
        chat(&tracer);
        // The caller's context is unchanged afterwards.
        assert!(!Context::current().span().span_context().is_sampled());
        assert_eq!(
            Context::current().span().span_context().trace_id(),
            TraceId::from(0x0af7_6519_16cd_43dd_8448_eb21_1c80_319c_u128)
        );
    }
    assert_eq!(EVALUATED.with(Cell::get), 0);
    assert!(names(&telemetry).is_empty(), "{:?}", names(&telemetry));
}

fn subscriber(telemetry: &TestTelemetry) -> tracing::Dispatch {
    use tracing_subscriber::layer::SubscriberExt as _;
    tracing::Dispatch::new(
        tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(telemetry.provider().tracer("app"))),
    )
}

#[test]
fn a_dropped_root_call_drops_children_that_the_ratio_would_have_kept() {
    // Ratio 0.5 at the root, parent-based below: without an unsampled context around the
    // dropped call, about half of its children would start traces of their own.
    let telemetry = TestTelemetry::with_sampler(Sampler::trace_id_ratio(0.5).parent_based());
    let tracer = telemetry.provider().tracer("app");
    tracing::dispatcher::with_default(&subscriber(&telemetry), || {
        let _guard = telemetry.context().attach();
        for _ in 0..400 {
            chat(&tracer);
        }
    });
    let spans = telemetry.spans();
    let calls = spans.iter().filter(|s| s.name == "chat gpt-4o").count();
    assert!(calls > 0 && calls < 400, "{calls} of 400 kept");
    for name in ["child", "tracing_child"] {
        let children: Vec<_> = spans.iter().filter(|s| s.name == name).collect();
        assert_eq!(
            children.len(),
            calls,
            "each kept call has its {name}, no other"
        );
        for child in children {
            assert!(
                spans
                    .iter()
                    .any(|call| call.span_context.span_id() == child.parent_span_id),
                "a {name} of a dropped call was recorded as a root"
            );
        }
    }
}

/// The SDK's `TraceIdRatioBased` rule: kept when the low 63 bits are below ratio × 2^63.
fn ratio_keeps(ratio: f64, trace_id: TraceId) -> bool {
    let low = u64::from_be_bytes(trace_id.to_bytes()[8..].try_into().unwrap());
    (low >> 1) < (ratio * (1u64 << 63) as f64) as u64
}

#[test]
fn a_ratio_keeps_that_share_of_traces_decided_on_their_own_trace_id() {
    let ratio = 0.25;
    let telemetry = TestTelemetry::with_sampler(Sampler::trace_id_ratio(ratio).parent_based());
    let tracer = telemetry.provider().tracer("app");
    let calls = 8_000;
    {
        let _guard = telemetry.context().attach();
        for _ in 0..calls {
            chat(&tracer);
        }
    }
    let spans = telemetry.spans();
    let kept: Vec<_> = spans.iter().filter(|s| s.name == "chat gpt-4o").collect();
    // Binomial(8000, 0.25): mean 2000, sd ~39. Deciding twice on two ids (early, then the
    // SDK on another id) would keep r² = 6.25 %, i.e. ~500.
    assert!(
        (1_800..=2_200).contains(&kept.len()),
        "{} of {calls} kept at ratio {ratio}",
        kept.len()
    );
    for span in &kept {
        assert!(
            ratio_keeps(ratio, span.span_context.trace_id()),
            "trace {} was kept although its id is outside the ratio: other services \
             sampling at the same ratio would drop it",
            span.span_context.trace_id()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_async_call_dropped_early_completes_and_records_nothing() {
    use opentelemetry::context::FutureExt as _;
    let telemetry = TestTelemetry::with_sampler(Sampler::always_off());
    let reply = chat_async().with_context(telemetry.context()).await;
    assert_eq!(reply.completion_tokens, 1);
    assert!(telemetry.spans().is_empty());
}

#[test]
fn a_custom_sampler_is_left_to_the_sdk_and_sees_the_sampling_attributes() {
    use opentelemetry_sdk::trace::{SamplingDecision, SamplingResult, ShouldSample};

    #[derive(Debug, Clone)]
    struct KeepOpenAi;
    impl ShouldSample for KeepOpenAi {
        fn should_sample(
            &self,
            _: Option<&Context>,
            _: TraceId,
            name: &str,
            _: &opentelemetry::trace::SpanKind,
            attributes: &[opentelemetry::KeyValue],
            _: &[opentelemetry::trace::Link],
        ) -> SamplingResult {
            let openai = attributes.iter().any(|kv| {
                kv.key.as_str() == "gen_ai.provider.name" && kv.value.as_str() == "openai"
            });
            SamplingResult {
                decision: if openai || name == "child" {
                    SamplingDecision::RecordAndSample
                } else {
                    SamplingDecision::Drop
                },
                attributes: Vec::new(),
                trace_state: TraceState::NONE,
            }
        }
    }

    let telemetry = TestTelemetry::with_sampler(Sampler::custom(KeepOpenAi));
    let tracer = telemetry.provider().tracer("app");
    {
        let _guard = telemetry.context().attach();
        chat(&tracer);
    }
    assert_eq!(
        names(&telemetry),
        ["chat gpt-4o", "child"],
        "no tracing subscriber here"
    );
}

/// The application's own provider, the sampler given once (`Sampler::build`): llmscope
/// decides first through `scoped` (as through `install`), so a dropped call evaluates none of
/// its arguments; the provider exports the spans llmscope kept, with the trace id it decided on.
#[test]
fn a_provider_built_with_the_sampler_once_lets_llmscope_decide_first() {
    use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};

    let exporter = InMemorySpanExporter::default();
    let dropping = Sampler::always_off()
        .build(SdkTracerProvider::builder().with_simple_exporter(exporter.clone()));
    assert!(dropping.sampler().is_standard());
    {
        let _scope = llmscope::scoped(&dropping).attach();
        EVALUATED.with(|count| count.set(0));
        chat(&dropping.tracer("app"));
        assert_eq!(EVALUATED.with(Cell::get), 0, "arguments of a dropped call");
    }
    assert!(exporter.get_finished_spans().unwrap().is_empty());

    // Ratio 0.5 at the root: each kept trace's id satisfies the ratio (the provider used the
    // id llmscope decided on), and about half the traces are kept.
    let keeping = Sampler::trace_id_ratio(0.5)
        .build(SdkTracerProvider::builder().with_simple_exporter(exporter.clone()));
    let _scope = llmscope::scoped(&keeping).attach();
    for _ in 0..400 {
        chat(&keeping.tracer("app"));
    }
    let spans = exporter.get_finished_spans().unwrap();
    let roots: Vec<_> = spans.iter().filter(|s| s.name == "chat gpt-4o").collect();
    assert!(
        (120..=280).contains(&roots.len()),
        "{} of 400 traces kept at ratio 0.5",
        roots.len()
    );
    for span in &roots {
        assert!(ratio_keeps(0.5, span.span_context.trace_id()));
    }
}

/// `Telemetry::tracer_provider` carries the sampler `init`/`build` configured, so scoping
/// it keeps llmscope's early decision (nothing to pass twice).
#[test]
fn the_guards_provider_carries_its_sampler() {
    let guard = llmscope::Telemetry::builder()
        .with_terminal(false)
        .with_jsonl_path(None)
        .with_sampler(Sampler::always_off())
        .build()
        .expect("builds");
    let provider = guard.tracer_provider().expect("enabled");
    assert_eq!(provider.sampler(), &Sampler::always_off());
    let _scope = llmscope::scoped(provider).attach();
    EVALUATED.with(|count| count.set(0));
    chat(&provider.tracer("app"));
    assert_eq!(EVALUATED.with(Cell::get), 0, "arguments of a dropped call");
}
