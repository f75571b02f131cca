//! `llmscope::Telemetry::builder()`: configuration from `OTEL_*` variables (an explicit map,
//! never the process environment), the embedded default, OTLP/HTTP from sync code and both
//! tokio runtime flavours, and a backend that is down, hangs, then comes back.

#[path = "support/otlp_server.rs"]
mod otlp_server;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use otlp_server::{FakeOtlp, Mode};

use llmscope::setup::Protocol;
use llmscope::{SetupError, Telemetry};

#[derive(llmscope::Usage)]
struct Reply {
    #[usage(input_tokens)]
    prompt_tokens: u32,
    #[usage(output_tokens)]
    completion_tokens: u32,
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini")]
fn chat(marker: &str) -> Reply {
    Reply {
        prompt_tokens: marker.len() as u32,
        completion_tokens: 7,
    }
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini")]
async fn chat_async(marker: &str) -> Reply {
    tokio::task::yield_now().await;
    Reply {
        prompt_tokens: marker.len() as u32,
        completion_tokens: 7,
    }
}

fn builder(vars: &[(&str, &str)]) -> llmscope::setup::TelemetryBuilder {
    Telemetry::builder()
        .with_env(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
        .with_terminal(false)
        .with_jsonl_path(None)
}

fn invalid(vars: &[(&str, &str)]) -> (String, String, String) {
    match builder(vars).config() {
        Err(err @ SetupError::InvalidValue { .. }) => {
            let text = err.to_string();
            let SetupError::InvalidValue { var, value, .. } = err else {
                unreachable!()
            };
            (var.to_owned(), value, text)
        }
        other => panic!("expected an invalid value error for {vars:?}, got {other:?}"),
    }
}

#[test]
fn each_invalid_variable_is_named_with_its_value() {
    for (var, value) in [
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "udp"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4318"),
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ftp://collector"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "10s"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "api-key"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "k=%zz"),
        ("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment"),
        ("OTEL_TRACES_SAMPLER", "sometimes"),
        ("OTEL_SDK_DISABLED", "yes"),
    ] {
        let mut vars = vec![(var, value)];
        if var.starts_with("OTEL_EXPORTER_OTLP_") && !var.contains("ENDPOINT") {
            vars.push(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"));
        }
        let (got_var, got_value, text) = invalid(&vars);
        assert_eq!((got_var.as_str(), got_value.as_str()), (var, value));
        assert!(text.contains(var) && text.contains(value), "{text}");
    }
    let (var, value, _) = invalid(&[
        ("OTEL_TRACES_SAMPLER", "traceidratio"),
        ("OTEL_TRACES_SAMPLER_ARG", "1.5"),
    ]);
    assert_eq!(
        (var.as_str(), value.as_str()),
        ("OTEL_TRACES_SAMPLER_ARG", "1.5")
    );
}

#[test]
fn endpoints_follow_the_otlp_exporter_spec() {
    let config = builder(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/")])
        .config()
        .unwrap();
    let otlp = config.otlp.unwrap();
    assert_eq!(otlp.protocol, Protocol::HttpProtobuf);
    assert_eq!(otlp.endpoint, "http://collector:4318/v1/traces");
    assert_eq!(
        otlp.metrics_endpoint.as_deref(),
        Some("http://collector:4318/v1/metrics")
    );
    assert_eq!(otlp.timeout, Duration::from_secs(10));

    // The signal-specific endpoint is used as is and wins over the base one.
    let config = builder(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
        (
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "https://traces.example/custom",
        ),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
    ])
    .config()
    .unwrap();
    let otlp = config.otlp.unwrap();
    assert_eq!(otlp.endpoint, "https://traces.example/custom");
    assert_eq!(
        otlp.metrics_endpoint.as_deref(),
        Some("http://collector:4318/v1/metrics")
    );
    assert_eq!(otlp.timeout, Duration::from_millis(2500));

    // gRPC keeps the base endpoint; a protocol alone implies the localhost default.
    let grpc = builder(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
    ])
    .config()
    .unwrap()
    .otlp
    .unwrap();
    assert_eq!(
        (grpc.protocol, grpc.endpoint.as_str()),
        (Protocol::Grpc, "http://collector:4317")
    );
    let local = builder(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")])
        .config()
        .unwrap();
    assert_eq!(local.otlp.unwrap().endpoint, "http://localhost:4317");

    // The builder overrides the variables.
    let config = builder(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")])
        .with_traces_endpoint("http://127.0.0.1:9/v1/traces")
        .with_timeout(Duration::from_millis(5))
        .config()
        .unwrap();
    let otlp = config.otlp.unwrap();
    assert_eq!(otlp.endpoint, "http://127.0.0.1:9/v1/traces");
    assert_eq!(otlp.timeout, Duration::from_millis(5));

    // Nothing set: the embedded default.
    assert!(builder(&[]).config().unwrap().otlp.is_none());
}

#[test]
fn a_builder_endpoint_means_what_the_same_variable_means() {
    // Same value in code or in the environment: same endpoints, same errors.
    for protocol in ["http/protobuf", "grpc"] {
        for value in [
            "http://collector:4318",
            "http://collector:4318/",
            "https://otlp.example/base",
            "http://[::1]:4317",
        ] {
            let from_env = builder(&[
                ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", value),
            ])
            .config()
            .unwrap()
            .otlp;
            let from_code = builder(&[("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)])
                .with_endpoint(value)
                .config()
                .unwrap()
                .otlp;
            assert_eq!(from_env, from_code, "{protocol} {value}");
            let traces_from_env = builder(&[
                ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
                ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", value),
            ])
            .config()
            .unwrap()
            .otlp;
            let traces_from_code = builder(&[("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)])
                .with_traces_endpoint(value)
                .config()
                .unwrap()
                .otlp;
            assert_eq!(traces_from_env, traces_from_code, "{protocol} {value}");
        }
    }
    let base = builder(&[])
        .with_endpoint("http://collector:4318")
        .config()
        .unwrap()
        .otlp
        .unwrap();
    assert_eq!(base.endpoint, "http://collector:4318/v1/traces");
    for bad in [
        "collector:4318",
        "http://collector:70000",
        "http://collector:4318\n",
    ] {
        let from_env = builder(&[("OTEL_EXPORTER_OTLP_ENDPOINT", bad)])
            .config()
            .unwrap_err()
            .to_string();
        let from_code = builder(&[])
            .with_endpoint(bad)
            .config()
            .unwrap_err()
            .to_string();
        assert_eq!(from_env, from_code);
        assert!(
            from_env.contains("OTEL_EXPORTER_OTLP_ENDPOINT"),
            "{from_env}"
        );
    }
}

#[test]
fn values_that_would_fail_every_export_are_setup_errors() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
                ("OTEL_EXPORTER_OTLP_TIMEOUT", "0"),
            ],
            "OTEL_EXPORTER_OTLP_TIMEOUT",
        ),
        (
            &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:65536")],
            "OTEL_EXPORTER_OTLP_ENDPOINT",
        ),
        (
            &[(
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "http://c:99999/v1/traces",
            )],
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        ),
        (
            &[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
                (
                    "OTEL_EXPORTER_OTLP_HEADERS",
                    "authorization=Bearer%20x%0Ainjected",
                ),
            ],
            "OTEL_EXPORTER_OTLP_HEADERS",
        ),
        (
            &[("OTEL_BSP_EXPORT_TIMEOUT", "0")],
            "OTEL_BSP_EXPORT_TIMEOUT",
        ),
        (
            &[("OTEL_BSP_MAX_QUEUE_SIZE", "many")],
            "OTEL_BSP_MAX_QUEUE_SIZE",
        ),
        (&[("OTEL_LOG_LEVEL", "loud")], "OTEL_LOG_LEVEL"),
        (&[("LLMSCOPE_DIAGNOSTICS", "file")], "LLMSCOPE_DIAGNOSTICS"),
    ];
    for (vars, named) in cases {
        let (var, _, text) = invalid(vars);
        assert_eq!(&var, named, "{text}");
    }
    // A header value with a newline set in code is refused the same way.
    let error = builder(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318")])
        .with_header("x-key", "a\r\nb")
        .config()
        .unwrap_err();
    assert!(
        error.to_string().contains("OTEL_EXPORTER_OTLP_HEADERS"),
        "{error}"
    );
    assert!(builder(&[])
        .with_endpoint("http://c:4318")
        .with_timeout(Duration::ZERO)
        .config()
        .is_err());
}

#[test]
fn headers_resource_sampler_and_disabled() {
    let config = builder(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
        (
            "OTEL_EXPORTER_OTLP_HEADERS",
            "api-key=s%3Dcret,x-team = llm ",
        ),
        ("OTEL_SERVICE_NAME", "support-bot"),
        (
            "OTEL_RESOURCE_ATTRIBUTES",
            "deployment.environment=prod,team=a%2Cb",
        ),
        ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
        ("OTEL_TRACES_SAMPLER_ARG", "0.25"),
    ])
    .with_header("authorization", "Bearer t")
    .config()
    .unwrap();
    assert_eq!(
        config.otlp.unwrap().headers,
        vec![
            ("api-key".to_owned(), "s=cret".to_owned()),
            ("x-team".to_owned(), "llm".to_owned()),
            ("authorization".to_owned(), "Bearer t".to_owned()),
        ]
    );
    assert_eq!(config.service_name, "support-bot");
    let resource: Vec<(String, String)> = config
        .resource
        .iter()
        .map(|kv| (kv.key.to_string(), kv.value.to_string()))
        .collect();
    assert_eq!(
        resource,
        vec![
            ("deployment.environment".to_owned(), "prod".to_owned()),
            ("team".to_owned(), "a,b".to_owned()),
        ]
    );
    assert_eq!(
        config.sampler,
        llmscope::Sampler::trace_id_ratio(0.25).parent_based()
    );

    // An empty value counts as unset, as the spec says.
    assert!(
        !builder(&[("OTEL_SDK_DISABLED", "")])
            .config()
            .unwrap()
            .disabled
    );
    let guard = builder(&[("OTEL_SDK_DISABLED", "TRUE")]).build().unwrap();
    assert!(guard.tracer_provider().is_none());
    assert_eq!(guard.flush().unwrap(), llmscope::ExportReport::default());
}

#[test]
fn embedded_default_writes_the_jsonl_file_with_openinference_when_opted_in() {
    let dir = std::env::temp_dir().join(format!("llmscope-setup-{}", std::process::id()));
    let path = dir.join("traces.jsonl");
    let guard = Telemetry::builder()
        .with_env([
            ("OTEL_SERVICE_NAME", "jsonl-test"),
            ("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai/dup,openinference"),
        ])
        .with_terminal(false)
        .with_jsonl_path(Some(path.clone()))
        .build()
        .unwrap();
    {
        let _cx = llmscope::scoped(guard.tracer_provider().unwrap()).attach();
        chat("hello");
    }
    drop(guard); // flushes
    let requests = llmscope::export::read_jsonl(&path).unwrap();
    let resource = requests[0].resource_spans[0].resource.as_ref().unwrap();
    assert!(format!("{resource:?}").contains("jsonl-test"));
    let span = &requests[0].resource_spans[0].scope_spans[0].spans[0];
    assert_eq!(span.name, "chat gpt-4o-mini");
    let attr = |key: &str| {
        span.attributes
            .iter()
            .find(|kv| kv.key == key)
            .map(|kv| format!("{:?}", kv.value))
    };
    assert!(attr("gen_ai.system").unwrap().contains("openai"));
    assert!(attr("openinference.span.kind").unwrap().contains("LLM"));
    assert!(attr("llm.token_count.total").unwrap().contains("12"));
    assert!(attr("gen_ai.provider.name").is_some());
    std::fs::remove_dir_all(&dir).unwrap();
}

fn otlp_guard(endpoint: &str) -> Telemetry {
    builder(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")])
        .with_traces_endpoint(endpoint)
        .with_timeout(Duration::from_millis(500))
        .with_scheduled_delay(Duration::from_millis(50))
        .build()
        .expect("otlp pipeline")
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn otlp_http_from_sync_code() {
    let receiver = FakeOtlp::start(Mode::Accept);
    let guard = otlp_guard(&receiver.traces_url());
    {
        let _cx = llmscope::scoped(guard.tracer_provider().unwrap()).attach();
        chat("sync-main-marker");
    }
    drop(guard);
    assert_eq!(receiver.bodies_containing("sync-main-marker"), 0); // content never exported
    assert_eq!(receiver.bodies_containing("chat gpt-4o-mini"), 1);
    // The meter provider exports the dropped-span counter next to the traces, at shutdown.
    assert_eq!(
        receiver.bodies_at("/v1/metrics", "llmscope.export.dropped_spans"),
        1
    );
}

#[test]
fn otlp_http_from_a_current_thread_runtime() {
    let receiver = FakeOtlp::start(Mode::Accept);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use llmscope::opentelemetry::context::FutureExt as _;
        // Built, used and dropped inside the runtime: the exporter's own runtime must not panic.
        let guard = otlp_guard(&receiver.traces_url());
        let cx = llmscope::scoped(guard.tracer_provider().unwrap());
        chat_async("current-thread").with_context(cx).await;
        drop(guard);
    });
    assert_eq!(receiver.bodies_containing("chat gpt-4o-mini"), 1);
}

#[test]
fn otlp_http_from_a_multi_thread_runtime() {
    let receiver = FakeOtlp::start(Mode::Accept);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use llmscope::opentelemetry::context::FutureExt as _;
        let guard = otlp_guard(&receiver.traces_url());
        let cx = llmscope::scoped(guard.tracer_provider().unwrap());
        let task = tokio::spawn(chat_async("multi-thread").with_context(cx.clone()));
        task.await.unwrap();
        guard.flush().unwrap();
        drop(guard);
    });
    assert_eq!(receiver.bodies_containing("chat gpt-4o-mini"), 1);
}

#[test]
fn backend_down_or_hanging_never_blocks_and_recovery_delivers() {
    // Reserve a port, then close it: the backend is down (connection refused).
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}/v1/traces");
    let guard = builder(&[])
        .with_traces_endpoint(&endpoint)
        .with_timeout(Duration::from_millis(300))
        .with_scheduled_delay(Duration::from_millis(20))
        .with_queue_capacity(256)
        .build()
        .unwrap();
    let provider = guard.tracer_provider().unwrap().clone();
    let calls = |label: &str, n: usize| {
        let _cx = llmscope::scoped(&provider).attach();
        let start = Instant::now();
        for _ in 0..n {
            chat(label);
        }
        start.elapsed() / n as u32
    };
    let per_call_down = calls("down", 2000);
    // Each call costs microseconds, not an export round trip.
    assert!(
        per_call_down < Duration::from_millis(1),
        "{per_call_down:?} per call while down"
    );
    wait_for("the failed exports", || guard.stats().failed() > 0);
    // The queue is bounded: at most its capacity waits, the rest is dropped and counted.
    let stats = guard.stats();
    assert_eq!(stats.queued() + stats.dropped(), 2000);
    assert!(
        stats.dropped() > 0,
        "a 256-span queue cannot hold 2000 spans with the backend down"
    );
    assert!(llmscope::dropped_spans() >= stats.dropped());

    // The backend comes back on the same port, but hangs: calls stay fast.
    let receiver = FakeOtlp::start_on(TcpListener::bind(("127.0.0.1", port)).unwrap(), Mode::Hang);
    let per_call_hang = calls("hang", 2000);
    assert!(
        per_call_hang < Duration::from_millis(1),
        "{per_call_hang:?} per call while hanging"
    );

    // It recovers: spans produced afterwards arrive.
    receiver.set_mode(Mode::Accept);
    std::thread::sleep(Duration::from_millis(700)); // let the hung export time out
    calls("recovered", 5);
    wait_for("spans after recovery", || guard.stats().exported() >= 5);
    assert!(receiver.bodies_containing("chat gpt-4o-mini") >= 1);
}
