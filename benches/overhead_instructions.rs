//! Instructions per call, counted by valgrind: repeatable on a noisy machine where wall-clock
//! figures swing by 2x. Each variant is the code of `benches/overhead.rs` (shared in
//! `benches/common`), through the simple processor into a no-op exporter.
//!
//! Run: `scripts/instructions.sh` (runs every variant at two iteration counts under
//! `valgrind --tool=callgrind` and prints the difference per call).

use std::hint::black_box;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider, TracerProviderBuilder};
use tracing_subscriber::layer::SubscriberExt as _;

mod common;
use common::*;

fn simple(builder: TracerProviderBuilder) -> SdkTracerProvider {
    builder.with_simple_exporter(NoopExporter).build()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let variant = args.next().unwrap_or_default();
    // Under `cargo bench` (no variant given, `--bench` passed) there is nothing to measure.
    let Ok(iterations) = args.next().unwrap_or_default().parse::<u64>() else {
        eprintln!(
            "usage: overhead_instructions <variant> <iterations> (see scripts/instructions.sh)"
        );
        return;
    };
    if let Some(realistic) = variant.strip_prefix("realistic_") {
        run_realistic(realistic, iterations);
        return;
    }
    let req = request();
    // `llm_call_unsampled*` and `llm_call_known_sampler` use a sampler llmscope knows (as
    // `llmscope::init` sets up); `llm_call_unsampled_sdk_sampler` and `raw_sdk_unsampled` an
    // SDK sampler that llmscope does not see.
    let known = match variant.as_str() {
        "llm_call_unsampled" => Some(llmscope::Sampler::always_off()),
        "llm_call_unsampled_caller" | "llm_call_known_sampler" => {
            Some(llmscope::Sampler::default_sampler())
        }
        _ => None,
    };
    let sampled = known.as_ref().map(|sampler| {
        sampler.build(SdkTracerProvider::builder().with_simple_exporter(NoopExporter))
    });
    let provider = simple(match &known {
        Some(_) => SdkTracerProvider::builder(),
        None if variant.ends_with("unsampled") || variant.ends_with("unsampled_sdk_sampler") => {
            SdkTracerProvider::builder().with_sampler(Sampler::AlwaysOff)
        }
        None => SdkTracerProvider::builder().with_sampler(Sampler::AlwaysOn),
    });
    let provider = sampled.as_ref().map_or(provider, |s| s.provider().clone());
    let tracer = provider.tracer("bench");
    let _caller = (variant == "llm_call_unsampled_caller").then(|| unsampled_caller().attach());
    // With no provider anywhere in the process, nothing may have been scoped either.
    let _scope = match &known {
        Some(_) => Some(llmscope::scoped(sampled.as_ref().expect("built")).attach()),
        None => (variant != "llm_call_no_provider").then(|| llmscope::scoped(&provider).attach()),
    };
    let run = |f: &dyn Fn()| {
        for _ in 0..iterations {
            f();
        }
    };
    match variant.as_str() {
        "bare" => run(&|| {
            black_box(simulated_call(black_box(&req)));
        }),
        "llm_call"
        | "llm_call_known_sampler"
        | "llm_call_unsampled"
        | "llm_call_unsampled_caller"
        | "llm_call_unsampled_sdk_sampler" => run(&|| {
            black_box(annotated(black_box(&req)));
        }),
        "raw_sdk" | "raw_sdk_unsampled" => run(&|| {
            black_box(raw_sdk(&tracer, black_box(&req)));
        }),
        "raw_sdk_with_cost" => run(&|| {
            black_box(raw_sdk_with_cost(&tracer, black_box(&req)));
        }),
        "tracing_opentelemetry" | "tracing_opentelemetry_with_cost" => {
            let subscriber = tracing_subscriber::registry()
                .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("bench")));
            tracing::subscriber::with_default(subscriber, || {
                if variant == "tracing_opentelemetry" {
                    run(&|| {
                        black_box(with_tracing(black_box(&req)));
                    })
                } else {
                    run(&|| {
                        black_box(with_tracing_and_cost(black_box(&req)));
                    })
                }
            });
        }
        "llm_call_no_provider" => run(&|| {
            black_box(annotated(black_box(&req)));
        }),
        "tracing_instrument_no_subscriber" => run(&|| {
            black_box(tracing_instrumented(black_box(&req)));
        }),
        other => panic!("unknown variant `{other}`"),
    }
}

/// The realistic call (issue 15, `benches/common/realistic.rs`): `<what>` or `<what>_simple`,
/// `<what>` one of `llm_call` (processed on the caller's thread), `llm_call_deferred`
/// (processed on llmscope's processing thread, as `llmscope::init()` installs it; back to
/// back, the caller processes its own call whenever the queue is full),
/// `llm_call_deferred_paced` (the same, waiting for the processing thread every 1,000 calls),
/// `raw_sdk`,
/// `tracing`, `floor`; without `_simple` through the
/// pipeline `llmscope::init()` builds (llmscope's batch processor), with it through the SDK's
/// simple processor. The calls run on the main thread; `scripts/instructions.sh` counts that
/// thread (what the caller pays) and all threads (the export work too).
fn run_realistic(variant: &str, iterations: u64) {
    use common::realistic;
    let (what, simple) = match variant.strip_suffix("_simple") {
        Some(what) => (what, true),
        None => (variant, false),
    };
    let req = realistic::request();
    let sampler = llmscope::Sampler::default_sampler();
    let provider = if simple {
        simple_provider(&sampler)
    } else {
        init_style_provider(&sampler)
    };
    let tracer = provider.tracer("bench");
    let run = |f: &dyn Fn()| {
        for _ in 0..iterations {
            f();
        }
    };
    match what {
        "llm_call" => {
            let _scope = llmscope::scoped(&provider).attach();
            run(&|| {
                black_box(realistic::annotated(black_box(&req)));
            });
        }
        "llm_call_deferred" => {
            let _scope = llmscope::scoped(&provider.clone().deferred()).attach();
            run(&|| {
                black_box(realistic::annotated(black_box(&req)));
            });
            llmscope::flush_processing();
        }
        // The processing thread keeps up (as with real calls, milliseconds apart): the caller
        // waits for it every 1,000 calls, so the queue never fills and the caller only records.
        "llm_call_deferred_paced" => {
            let _scope = llmscope::scoped(&provider.clone().deferred()).attach();
            for done in 0..iterations {
                black_box(realistic::annotated(black_box(&req)));
                if done % 1000 == 999 {
                    llmscope::flush_processing();
                }
            }
            llmscope::flush_processing();
        }
        "raw_sdk" => run(&|| {
            black_box(realistic::raw_sdk(&tracer, black_box(&req)));
        }),
        "tracing" => {
            let subscriber = tracing_subscriber::registry()
                .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("bench")));
            tracing::subscriber::with_default(subscriber, || {
                run(&|| {
                    black_box(realistic::with_tracing(black_box(&req)));
                })
            });
        }
        "floor" => run(&|| {
            black_box(realistic::floor(black_box(&req)));
        }),
        other => panic!("unknown realistic variant `{other}`"),
    }
    let _ = provider.shutdown();
}
