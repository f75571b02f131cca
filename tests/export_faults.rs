//! Export under faults, through `Telemetry::builder()` and a fake OTLP backend on 127.0.0.1:
//! throttling with `Retry-After`, a refused request, a backend that refuses connections,
//! hangs, or flaps; flush and shutdown report what was lost; shutdown is bounded and frees
//! what it gives up; the export worker makes progress when batches arrive faster than they
//! export; and failures are visible on stderr to an app with no setup at all.

#[path = "support/otlp_grpc_server.rs"]
mod otlp_grpc_server;
#[path = "support/otlp_server.rs"]
mod otlp_server;

use std::net::TcpListener;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use llmscope::export::FailureCause;
use llmscope::opentelemetry::trace::{Tracer as _, TracerProvider as _};
use llmscope::opentelemetry_sdk::error::OTelSdkResult;
use llmscope::opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
use llmscope::setup::Protocol;
use llmscope::{ExportError, Telemetry};
use otlp_grpc_server::{FakeOtlpGrpc, GrpcMode};
use otlp_server::{FakeOtlp, Mode};
use tonic::Code;

#[derive(llmscope::Usage)]
struct Reply {
    #[usage(input_tokens)]
    prompt_tokens: u32,
    #[usage(output_tokens)]
    completion_tokens: u32,
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini")]
fn chat() -> Reply {
    Reply {
        prompt_tokens: 12,
        completion_tokens: 7,
    }
}

fn builder(base_url: &str) -> llmscope::setup::TelemetryBuilder {
    Telemetry::builder()
        .with_env(std::iter::empty::<(String, String)>())
        .with_endpoint(base_url)
        .with_terminal(false)
        .with_jsonl_path(None)
        .with_timeout(Duration::from_secs(5))
        .with_scheduled_delay(Duration::from_millis(20))
}

fn calls(guard: &Telemetry, n: usize) {
    let _cx = llmscope::scoped(guard.tracer_provider().unwrap()).attach();
    for _ in 0..n {
        chat();
    }
    // The guard's provider is processed on llmscope's processing thread, as `init()` installs
    // it: wait until every call reached the export queue before reading its counters.
    llmscope::flush_processing();
}

fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn throttling_with_retry_after_is_retried_and_delivered() {
    let server = Arc::new(FakeOtlp::start(Mode::Status {
        code: 429,
        retry_after: true,
    }));
    let guard = builder(&server.base_url()).build().unwrap();
    // The backend stops throttling once it has refused one request.
    let watcher = {
        let server = Arc::clone(&server);
        std::thread::spawn(move || {
            while server.requests() == 0 {
                std::thread::sleep(Duration::from_millis(5));
            }
            server.set_mode(Mode::Accept);
        })
    };
    calls(&guard, 5);
    let report = guard.flush().expect("delivered after the retry");
    watcher.join().unwrap();
    assert_eq!((report.exported, report.failed), (5, 0));
    assert!(server.requests() >= 2, "the 429 was retried");
    assert_eq!(server.bodies_containing("chat gpt-4o-mini"), 1);
}

#[test]
fn a_400_is_never_retried_and_flush_reports_the_loss() {
    let server = FakeOtlp::start(Mode::Status {
        code: 400,
        retry_after: false,
    });
    let guard = builder(&server.base_url()).build().unwrap();
    calls(&guard, 5);
    let error = guard.flush().expect_err("every span failed");
    let ExportError::Lost { report, last_error } = &error else {
        panic!("expected Lost, got {error:?}");
    };
    assert_eq!((report.exported, report.failed, report.dropped), (0, 5, 0));
    let last_error = last_error.as_deref().unwrap();
    assert!(
        last_error.contains(&format!("{}/v1/traces", server.base_url()))
            && last_error.contains("HTTP status 400"),
        "{last_error}"
    );
    assert_eq!(server.requests(), 1, "a 400 is not retried");
    assert_eq!(
        guard.stats().failed_by_cause(),
        vec![(FailureCause::HttpStatus(400), 5)]
    );

    // Counts are per call: once the backend accepts, the next flush is clean.
    server.set_mode(Mode::Accept);
    calls(&guard, 3);
    let report = guard.flush().unwrap();
    assert_eq!((report.exported, report.failed), (3, 0));
}

#[test]
fn an_overloaded_backend_is_retried_within_the_export_timeout_then_counted() {
    let server = FakeOtlp::start(Mode::Status {
        code: 503,
        retry_after: false,
    });
    let guard = builder(&server.base_url())
        .with_timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    retried_then_failed(
        &guard,
        || server.requests(),
        "HTTP status 503",
        FailureCause::HttpStatus(503),
    );
}

/// Four calls whose export fails transiently every time: retried by the recommended OTLP
/// policy (the first attempt and at most 3 retries), then counted as failed by `cause`, and
/// the flush error names it.
fn retried_then_failed(
    guard: &Telemetry,
    requests: impl Fn() -> usize,
    named: &str,
    cause: FailureCause,
) {
    calls(guard, 4);
    let error = guard.flush().unwrap_err();
    assert_eq!(error.report().unwrap().failed, 4);
    assert!(error.to_string().contains(named), "{error}");
    assert!((2..=4).contains(&requests()), "{}", requests());
    assert_eq!(guard.stats().failed_by_cause(), vec![(cause, 4)]);
}

#[test]
fn a_refused_connection_is_named_with_the_endpoint() {
    let port = closed_port();
    let base = format!("http://127.0.0.1:{port}");
    let guard = builder(&base)
        .with_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    calls(&guard, 3);
    let error = guard.flush().unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains(&format!(
            "export to {base}/v1/traces failed: connection refused"
        )),
        "{text}"
    );
    assert_eq!(error.report().unwrap().failed, 3);
    assert_eq!(
        guard.stats().failed_by_cause(),
        vec![(FailureCause::ConnectionRefused, 3)]
    );
}

/// Threads of this process named `name` (Linux: `/proc/self/task/*/comm`).
fn threads_named(name: &str) -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .flatten()
        .filter(|task| {
            std::fs::read_to_string(task.path().join("comm")).is_ok_and(|comm| comm.trim() == name)
        })
        .count()
}

/// Waits until `done`, for at most 10 s (a bound on a failure, not a measurement).
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

const HUNG_SPANS: u64 = 5000;

/// In the child: a backend that never answers (OTLP/HTTP, or gRPC when
/// `LLMSCOPE_FAULTS_PROTOCOL=grpc`), an export timeout of 30 s and a shutdown bound of 300 ms.
/// Prints what it observed once `shutdown()` returned.
#[test]
fn child_shutdown_against_a_hung_backend() {
    if !is_child() {
        return;
    }
    let grpc = std::env::var("LLMSCOPE_FAULTS_PROTOCOL").as_deref() == Ok("grpc");
    let http_server = (!grpc).then(|| FakeOtlp::start(Mode::Hang));
    let grpc_server = grpc.then(|| FakeOtlpGrpc::start(GrpcMode::Hang));
    let (base, protocol) = match (&http_server, &grpc_server) {
        (Some(server), _) => (server.base_url(), Protocol::HttpProtobuf),
        (_, Some(server)) => (server.base_url(), Protocol::Grpc),
        _ => unreachable!(),
    };
    let requests = || match (&http_server, &grpc_server) {
        (Some(server), _) => server.requests(),
        (_, Some(server)) => server.requests(),
        _ => unreachable!(),
    };
    let cancelled = || match (&http_server, &grpc_server) {
        (Some(server), _) => server.abandoned_by_client(),
        (_, Some(server)) => server.cancelled_by_client(),
        _ => unreachable!(),
    };
    assert_eq!(threads_named("llmscope-export"), 0);
    let guard = builder(&base)
        .with_protocol(protocol)
        .with_timeout(Duration::from_secs(30))
        .with_shutdown_timeout(Duration::from_millis(300))
        .with_queue_capacity(8192)
        .with_max_batch(256)
        .build()
        .unwrap();
    calls(&guard, HUNG_SPANS as usize);
    // A batch is inside an export call the backend will never answer.
    wait_for("the first export call", || requests() >= 1);
    let during = threads_named("llmscope-export");
    let stats = guard.stats().clone();
    let error = guard.shutdown().expect_err("the backend never answers");
    // Observed the moment shutdown returned.
    let after = threads_named("llmscope-export");
    let held =
        HUNG_SPANS - (stats.exported() + stats.failed() + stats.dropped() + stats.abandoned());
    let ExportError::Timeout { report, .. } = &error else {
        panic!("expected Timeout, got {error:?}");
    };
    println!("EXPORT-THREADS during={during} after={after}");
    println!("HELD {held} ABANDONED {}", report.abandoned);
    println!("ERROR {error}");
    // The backend sees the client give the hung call up (its connection or stream closed).
    wait_for("the hung call to be cancelled", || cancelled() >= 1);
    println!("CANCELLED-BY-CLIENT {}", cancelled());
}

/// The parent side of [`child_shutdown_against_a_hung_backend`].
fn shutdown_against_a_hung_backend(protocol: &str) {
    let (_, stdout) = child(
        "child_shutdown_against_a_hung_backend",
        &[("LLMSCOPE_FAULTS_PROTOCOL", protocol.to_owned())],
    );
    // One export thread while running; none once shutdown returned, though the export
    // timeout (30 s) was far from over: the hung call was cancelled at the bound.
    assert!(
        stdout.contains("EXPORT-THREADS during=1 after=0"),
        "{stdout}"
    );
    // Every span is accounted for and none is held: the batch inside the hung call was freed
    // with the queue, and counted as abandoned with it.
    assert!(
        stdout.contains(&format!("HELD 0 ABANDONED {HUNG_SPANS}")),
        "{stdout}"
    );
    // The report names what was given up on, and where.
    // (A batch of at most 256: the periodic sweep may send a partial one first.)
    assert!(
        stdout.contains("the export call in progress to http://127.0.0.1:"),
        "{stdout}"
    );
    let marker = "was cancelled at the shutdown bound (";
    let spans: u64 = stdout
        .split_once(marker)
        .and_then(|(_, rest)| rest.split_once(" span"))
        .and_then(|(count, _)| count.parse().ok())
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!((1..=256).contains(&spans), "{stdout}");
    assert!(stdout.contains("CANCELLED-BY-CLIENT 1"), "{stdout}");
}

#[test]
fn a_hung_http_backend_shutdown_cancels_the_call_and_ends_the_export_thread() {
    shutdown_against_a_hung_backend("http");
}

#[test]
fn a_hung_grpc_backend_shutdown_cancels_the_call_and_ends_the_export_thread() {
    shutdown_against_a_hung_backend("grpc");
}

#[test]
fn a_flapping_backend_loses_only_what_was_sent_while_down() {
    let server = FakeOtlp::start(Mode::Accept);
    let guard = builder(&server.base_url())
        .with_timeout(Duration::from_millis(800))
        .build()
        .unwrap();
    for round in 0..3 {
        server.set_mode(Mode::Reset);
        calls(&guard, 10);
        let error = guard.flush().unwrap_err();
        assert_eq!(error.report().unwrap().failed, 10, "round {round}");
        server.set_mode(Mode::Accept);
        calls(&guard, 10);
        let report = guard.flush().unwrap();
        assert_eq!((report.exported, report.failed), (10, 0), "round {round}");
    }
    assert_eq!(server.accepted(), 3);
}

/// Exports slowly (1 ms a batch) and counts the batches it received.
#[derive(Debug, Clone, Default)]
struct SlowExporter(Arc<AtomicUsize>);

impl SpanExporter for SlowExporter {
    async fn export(&self, _batch: Vec<SpanData>) -> OTelSdkResult {
        std::thread::sleep(Duration::from_millis(1));
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[test]
fn flush_makes_progress_while_batches_arrive_faster_than_they_export() {
    let exporter = SlowExporter::default();
    let batches = Arc::clone(&exporter.0);
    let (capacity, max_batch) = (4096, 16);
    let processor = llmscope::export::BatchProcessor::builder(exporter)
        .with_queue_capacity(capacity)
        .with_max_batch(max_batch)
        .build();
    let stats = processor.stats();
    let provider = SdkTracerProvider::builder()
        .with_span_processor(processor)
        .build();
    let stop = Arc::new(AtomicBool::new(false));
    let producers: Vec<_> = (0..2)
        .map(|_| {
            let (provider, stop) = (provider.clone(), Arc::clone(&stop));
            std::thread::spawn(move || {
                let tracer = provider.tracer("overload");
                while !stop.load(Ordering::Relaxed) {
                    tracer.in_span("work", |_| {});
                }
            })
        })
        .collect();
    // Overloaded: the queue runs full and drops.
    while stats.dropped() == 0 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let before = batches.load(Ordering::SeqCst);
    let flushed = provider.force_flush();
    let during = batches.load(Ordering::SeqCst) - before;
    stop.store(true, Ordering::Relaxed);
    for producer in producers {
        producer.join().unwrap();
    }
    assert!(flushed.is_ok(), "{flushed:?}");
    // Served within two queue-fulls of exports (the batches the worker is exporting when
    // asked, then those queued when it next looks: each at most capacity / max_batch, as
    // the capacity counts spans until their export returns), plus one partial batch per
    // shard; not after the producers stop. Before the worker took one pass per turn, this
    // flush waited for the producers to stop or timed out after 30 s.
    let bound = 2 * (capacity / max_batch) + 8 + 2;
    assert!(
        during <= bound,
        "flush waited for {during} batches (bound {bound})"
    );
}

/// Runs one test of this binary in a child process with `vars`, returning its stderr and
/// stdout: what a user with no setup sees.
fn child(test: &str, vars: &[(&str, String)]) -> (String, String) {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env("LLMSCOPE_FAULTS_CHILD", "1")
        .env_remove("OTEL_LOG_LEVEL")
        .env_remove("LLMSCOPE_DIAGNOSTICS");
    for (k, v) in vars {
        command.env(k, v);
    }
    let output = command.output().unwrap();
    assert!(output.status.success(), "child {test} failed: {output:?}");
    (
        String::from_utf8_lossy(&output.stderr).into_owned(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

fn is_child() -> bool {
    std::env::var_os("LLMSCOPE_FAULTS_CHILD").is_some()
}

/// In the child: `init()` from the environment, one call, drop the guard.
#[test]
fn child_app_with_no_setup() {
    if !is_child() {
        return;
    }
    let guard = llmscope::init().unwrap();
    calls(&guard, 1);
    drop(guard);
}

/// In the child: the app installs its own `tracing` subscriber first.
#[test]
fn child_app_with_its_own_subscriber() {
    if !is_child() {
        return;
    }
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    struct Seen;
    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Seen {
        fn on_event(
            &self,
            event: &tracing::Event<'_>,
            _cx: tracing_subscriber::layer::Context<'_, S>,
        ) {
            if event.metadata().target() == "llmscope" {
                println!("SEEN-BY-APP {}", event.metadata().level());
            }
        }
    }
    tracing_subscriber::registry().with(Seen).init();
    let guard = llmscope::init().unwrap();
    calls(&guard, 1);
    drop(guard);
}

fn refused_endpoint_vars() -> (String, Vec<(&'static str, String)>) {
    let base = format!("http://127.0.0.1:{}", closed_port());
    let vars = vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT", base.clone()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf".to_owned()),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "500".to_owned()),
        ("OTEL_BSP_SCHEDULE_DELAY", "20".to_owned()),
    ];
    (base, vars)
}

#[test]
fn a_failed_export_is_printed_on_stderr_with_no_setup() {
    let (base, vars) = refused_endpoint_vars();
    let (stderr, _) = child("child_app_with_no_setup", &vars);
    assert!(
        stderr.contains(&format!(
            "llmscope ERROR [export] export to {base}/v1/traces failed: connection refused"
        )),
        "{stderr}"
    );
    // The guard's drop says what was lost.
    assert!(
        stderr.contains("llmscope ERROR [shutdown] 1 spans lost"),
        "{stderr}"
    );
}

#[test]
fn otel_log_level_debug_shows_the_pipeline_and_none_silences_it() {
    let server = FakeOtlp::start(Mode::Accept);
    let vars = vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT", server.base_url()),
        ("OTEL_LOG_LEVEL", "debug".to_owned()),
    ];
    let (stderr, _) = child("child_app_with_no_setup", &vars);
    for expected in [
        format!(
            "sending spans to {}/v1/traces over http/protobuf",
            server.base_url()
        ),
        "export queue of 32768 spans, batches of 512".to_owned(),
        "llmscope DEBUG [export] exported 1 spans".to_owned(),
    ] {
        assert!(
            stderr.contains(&expected),
            "missing {expected:?} in {stderr}"
        );
    }

    let (_, mut vars) = refused_endpoint_vars();
    vars.push(("OTEL_LOG_LEVEL", "none".to_owned()));
    let (stderr, _) = child("child_app_with_no_setup", &vars);
    assert!(!stderr.contains("llmscope"), "{stderr}");
}

#[test]
fn an_app_with_its_own_subscriber_gets_diagnostics_as_tracing_events() {
    let (_, vars) = refused_endpoint_vars();
    let (stderr, stdout) = child("child_app_with_its_own_subscriber", &vars);
    assert!(stdout.contains("SEEN-BY-APP ERROR"), "{stdout}");
    assert!(!stderr.contains("llmscope ERROR"), "{stderr}");
}

/// In the child: `init()` with the embedded default, in a working directory where the
/// default JSONL file cannot be created.
#[test]
fn child_app_in_an_unwritable_directory() {
    if !is_child() {
        return;
    }
    let guard = llmscope::init().expect("init never refuses over the default file");
    calls(&guard, 1);
    drop(guard);
}

#[test]
fn the_default_jsonl_file_falls_back_to_the_temporary_directory() {
    // A working directory where `llmscope-traces.jsonl` cannot be a file (it is a
    // directory): as in a read-only container, the default file cannot be opened there.
    let cwd = std::env::temp_dir().join(format!("llmscope-ro-{}", std::process::id()));
    std::fs::create_dir_all(cwd.join("llmscope-traces.jsonl")).unwrap();
    let fallback = std::env::temp_dir().join("llmscope-traces.jsonl");
    let lines_before = std::fs::read_to_string(&fallback)
        .map(|s| s.lines().count())
        .unwrap_or(0);
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "child_app_in_an_unwritable_directory",
            "--exact",
            "--nocapture",
        ])
        .current_dir(&cwd)
        .env("LLMSCOPE_FAULTS_CHILD", "1")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        .env_remove("OTEL_EXPORTER_OTLP_PROTOCOL")
        .env_remove("OTEL_LOG_LEVEL")
        .env_remove("LLMSCOPE_DIAGNOSTICS");
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("llmscope WARN [setup] cannot open `llmscope-traces.jsonl` for appending")
            && stderr.contains(&format!("writing spans to {} instead", fallback.display())),
        "{stderr}"
    );
    let lines_after = std::fs::read_to_string(&fallback).unwrap().lines().count();
    assert!(
        lines_after > lines_before,
        "the span went to the fallback file"
    );
    std::fs::remove_dir_all(&cwd).unwrap();
}

/// In the child: prints what `init()` says.
#[test]
fn child_app_reporting_init() {
    if !is_child() {
        return;
    }
    match llmscope::init() {
        Ok(_guard) => println!("INIT-OK"),
        Err(error) => println!("INIT-ERROR: {error}"),
    }
}

#[cfg(unix)]
#[test]
fn a_variable_that_is_not_utf8_is_a_setup_error_naming_it() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt as _;
    for var in ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SDK_DISABLED"] {
        let output = Command::new(std::env::current_exe().unwrap())
            .args(["child_app_reporting_init", "--exact", "--nocapture"])
            .env("LLMSCOPE_FAULTS_CHILD", "1")
            .env(var, OsStr::from_bytes(b"http://collector\xff:4318"))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.contains(&format!(
                "INIT-ERROR: invalid value \"http://collector\u{FFFD}:4318\" for {var}: \
                 expected a valid UTF-8 value"
            )),
            "{stdout}"
        );
    }
}

/// In the child: `init()`, then a registry of the app's own prices.
#[test]
fn child_app_setting_prices_after_init() {
    if !is_child() {
        return;
    }
    use llmscope::pricing::{ModelPrices, PriceRegistry};
    let _guard = llmscope::init().unwrap();
    let registry = PriceRegistry::builder()
        .with_price(
            "my-finetune",
            ModelPrices::per_token(0.000_002, 0.000_008).unwrap(),
        )
        .build();
    match llmscope::set_price_registry(registry) {
        Ok(()) => println!("PRICES-SET"),
        Err(_) => println!("PRICES-REFUSED"),
    }
}

#[test]
fn init_loads_the_price_table_yet_prices_can_still_be_set_after_it() {
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "child_app_setting_prices_after_init",
            "--exact",
            "--nocapture",
        ])
        .env("LLMSCOPE_FAULTS_CHILD", "1")
        .env("OTEL_SDK_DISABLED", "false")
        .env(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("http://127.0.0.1:{}", closed_port()),
        )
        .env("OTEL_LOG_LEVEL", "none")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("PRICES-SET"), "{stdout}");
}

#[test]
fn a_refused_grpc_connection_is_named_with_the_endpoint() {
    let base = format!("http://127.0.0.1:{}", closed_port());
    let guard = builder(&base)
        .with_protocol(Protocol::Grpc)
        .with_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    calls(&guard, 2);
    let error = guard.flush().unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains(&format!("export to {base} failed: connection refused")),
        "{text}"
    );
    assert_eq!(error.report().unwrap().failed, 2);
}

fn grpc_builder(server: &FakeOtlpGrpc) -> llmscope::setup::TelemetryBuilder {
    builder(&server.base_url()).with_protocol(Protocol::Grpc)
}

/// Switches `server` to `Accept` once it has answered one call otherwise.
fn accept_after_first(server: &Arc<FakeOtlpGrpc>) -> std::thread::JoinHandle<()> {
    let server = Arc::clone(server);
    std::thread::spawn(move || {
        wait_for("the first call", || server.requests() >= 1);
        server.set_mode(GrpcMode::Accept);
    })
}

#[test]
fn grpc_unavailable_is_retried_and_delivered() {
    let server = Arc::new(FakeOtlpGrpc::start(GrpcMode::Status {
        code: Code::Unavailable,
        retry_after: None,
    }));
    let guard = grpc_builder(&server).build().unwrap();
    let watcher = accept_after_first(&server);
    calls(&guard, 5);
    let report = guard.flush().expect("delivered after the retry");
    watcher.join().unwrap();
    assert_eq!((report.exported, report.failed), (5, 0));
    assert!(server.requests() >= 2, "UNAVAILABLE was retried");
    assert_eq!(server.accepted(), 1);
    assert_eq!(server.spans_named("chat gpt-4o-mini"), 5);
}

#[test]
fn grpc_resource_exhausted_with_retry_info_is_retried_and_delivered() {
    let server = Arc::new(FakeOtlpGrpc::start(GrpcMode::Status {
        code: Code::ResourceExhausted,
        retry_after: Some(Duration::from_millis(200)),
    }));
    let guard = grpc_builder(&server).build().unwrap();
    let watcher = accept_after_first(&server);
    calls(&guard, 5);
    let report = guard.flush().expect("delivered after the throttle");
    watcher.join().unwrap();
    assert_eq!((report.exported, report.failed), (5, 0));
    assert!(server.requests() >= 2, "the throttled call was retried");
    assert_eq!(server.spans_named("chat gpt-4o-mini"), 5);
}

#[test]
fn grpc_invalid_argument_and_bare_resource_exhausted_are_never_retried() {
    for (code, number, name) in [
        (Code::InvalidArgument, 3, "INVALID_ARGUMENT"),
        // Without `RetryInfo` the backend gives no sign it will recover (OTLP spec).
        (Code::ResourceExhausted, 8, "RESOURCE_EXHAUSTED"),
    ] {
        let server = FakeOtlpGrpc::start(GrpcMode::Status {
            code,
            retry_after: None,
        });
        let guard = grpc_builder(&server).build().unwrap();
        calls(&guard, 5);
        let error = guard.flush().expect_err("every span failed");
        let ExportError::Lost { report, last_error } = &error else {
            panic!("expected Lost, got {error:?}");
        };
        assert_eq!((report.exported, report.failed, report.dropped), (0, 5, 0));
        let last_error = last_error.as_deref().unwrap();
        assert!(
            last_error.contains(&format!(
                "export to {} failed: gRPC status {number} {name}",
                server.base_url()
            )),
            "{last_error}"
        );
        assert_eq!(server.requests(), 1, "{name} is not retried");
        assert_eq!(
            guard.stats().failed_by_cause(),
            vec![(FailureCause::GrpcStatus(number), 5)]
        );

        // Counts are per call: once the backend accepts, the next flush is clean.
        server.set_mode(GrpcMode::Accept);
        calls(&guard, 3);
        let report = guard.flush().unwrap();
        assert_eq!((report.exported, report.failed), (3, 0));
    }
}

#[test]
fn grpc_unavailable_is_retried_within_the_export_timeout_then_counted() {
    let server = FakeOtlpGrpc::start(GrpcMode::Status {
        code: Code::Unavailable,
        retry_after: None,
    });
    let guard = grpc_builder(&server)
        .with_timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    retried_then_failed(
        &guard,
        || server.requests(),
        "gRPC status 14 UNAVAILABLE",
        FailureCause::GrpcStatus(14),
    );
}

#[test]
fn a_hung_grpc_backend_never_holds_the_caller() {
    let server = FakeOtlpGrpc::start(GrpcMode::Hang);
    let capacity = 1024;
    let guard = grpc_builder(&server)
        .with_timeout(Duration::from_secs(30))
        .with_shutdown_timeout(Duration::from_millis(300))
        .with_queue_capacity(capacity)
        .with_max_batch(256)
        .build()
        .unwrap();
    calls(&guard, 1);
    wait_for("the first export call", || server.requests() >= 1);
    // The export thread is inside a call the backend never answers; 5,000 more calls all
    // return meanwhile: what does not fit the queue is dropped and counted, never waited for.
    calls(&guard, 5000);
    let stats = guard.stats();
    assert_eq!(stats.queued() + stats.dropped(), 5001);
    assert_eq!(stats.queued(), capacity as u64);
    assert_eq!(
        stats.exported() + stats.failed(),
        0,
        "the call is still hung"
    );
    assert_eq!(server.cancelled_by_client(), 0);
}

#[test]
fn a_grpc_backend_that_goes_down_and_comes_back_loses_only_what_was_sent_while_down() {
    let server = FakeOtlpGrpc::start(GrpcMode::Accept);
    let guard = grpc_builder(&server)
        .with_timeout(Duration::from_millis(800))
        .build()
        .unwrap();
    for round in 0..2 {
        server.go_down();
        calls(&guard, 10);
        let error = guard.flush().unwrap_err();
        assert_eq!(error.report().unwrap().failed, 10, "round {round}");
        server.come_back();
        calls(&guard, 10);
        let report = guard.flush().unwrap();
        assert_eq!((report.exported, report.failed), (10, 0), "round {round}");
    }
    assert_eq!(server.spans_named("chat gpt-4o-mini"), 20);
    let causes = guard.stats().failed_by_cause();
    let last = guard.stats().last_error();
    assert_eq!(causes.iter().map(|(_, n)| n).sum::<u64>(), 20, "{causes:?}");
    // While the backend is down, an export finds the port closed, or (when the client had not
    // yet seen its connection close) writes to the connection the backend dropped: refused or
    // lost, never an unnamed gRPC status.
    assert!(
        causes.iter().all(|(cause, _)| matches!(
            cause,
            FailureCause::ConnectionRefused | FailureCause::ConnectionLost
        )),
        "{causes:?}, last error: {last:?}"
    );
}
