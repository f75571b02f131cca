//! The fault table: what an app sees while its OTLP backend is healthy, refuses connections,
//! hangs, throttles (429 + Retry-After; gRPC `RESOURCE_EXHAUSTED` + `RetryInfo`), is overloaded
//! (503; gRPC `UNAVAILABLE`) or flaps, over OTLP/HTTP and OTLP/gRPC.
//!
//! For each fault: 100,000 `#[llm_call]` calls from one thread, paced at 50,000 calls/s, through
//! `Telemetry::builder()` to a fake backend on 127.0.0.1; per-call latency p50/p99, peak RSS
//! during the run, spans delivered / failed / dropped / abandoned, the time `shutdown()` took,
//! and the export threads still alive when it returned.
//!
//! Run: `cargo bench --bench faults` (prints a Markdown table).

#[path = "../tests/support/otlp_grpc_server.rs"]
mod otlp_grpc_server;
#[path = "../tests/support/otlp_server.rs"]
mod otlp_server;

use std::time::{Duration, Instant};

use llmscope::setup::Protocol;
use llmscope::{ExportError, ExportReport, Telemetry};
use otlp_grpc_server::{FakeOtlpGrpc, GrpcMode};
use otlp_server::{FakeOtlp, Mode};
use tonic::Code;

#[derive(llmscope::Usage)]
struct Reply {
    #[usage(input_tokens)]
    prompt_tokens: u32,
    #[usage(output_tokens)]
    completion_tokens: u32,
    #[usage(response_model)]
    model: &'static str,
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini", feature = "support_chat")]
fn chat(user: &str) -> Reply {
    std::hint::black_box(user);
    Reply {
        prompt_tokens: 812,
        completion_tokens: 96,
        model: "gpt-4o-mini-2024-07-18",
    }
}

const CALLS: usize = 100_000;
/// Calls per second: a busy service, well below what the export thread sends to a healthy
/// local backend, so a healthy run drops nothing.
const RATE: f64 = 50_000.0;

/// Peak resident memory since the last reset, in MB (Linux: VmHWM, reset by `clear_refs`).
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Threads of this process named `name` (Linux: `/proc/self/task/*/comm`).
fn threads_named(name: &str) -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|tasks| {
            tasks
                .flatten()
                .filter(|task| {
                    std::fs::read_to_string(task.path().join("comm"))
                        .is_ok_and(|comm| comm.trim() == name)
                })
                .count()
        })
        .unwrap_or(0)
}

/// The backend of one row.
enum Backend<'a> {
    Http(&'a FakeOtlp),
    Grpc(&'a FakeOtlpGrpc),
    /// Nothing listens (over this protocol).
    Refusing(Protocol),
}

impl Backend<'_> {
    fn base_url(&self) -> String {
        match self {
            Backend::Http(server) => server.base_url(),
            Backend::Grpc(server) => server.base_url(),
            Backend::Refusing(_) => {
                let port = std::net::TcpListener::bind("127.0.0.1:0")
                    .unwrap()
                    .local_addr()
                    .unwrap()
                    .port();
                format!("http://127.0.0.1:{port}")
            }
        }
    }

    fn protocol(&self) -> Protocol {
        match self {
            Backend::Http(_) => Protocol::HttpProtobuf,
            Backend::Grpc(_) => Protocol::Grpc,
            Backend::Refusing(protocol) => *protocol,
        }
    }

    /// Down for the even tenths of the run, up for the odd ones.
    fn flap(&self, down: bool) {
        match self {
            Backend::Http(server) => server.set_mode(if down { Mode::Reset } else { Mode::Accept }),
            Backend::Grpc(server) => {
                if down {
                    server.go_down();
                } else {
                    server.come_back();
                }
            }
            Backend::Refusing(_) => {}
        }
    }
}

fn run(name: &str, backend: Backend<'_>, flap: bool) {
    let base = backend.base_url();
    reset_peak_rss();
    let guard = Telemetry::builder()
        .with_env(std::iter::empty::<(String, String)>())
        .with_endpoint(&base)
        .with_protocol(backend.protocol())
        .with_terminal(false)
        .with_jsonl_path(None)
        .build()
        .unwrap();
    let mut latencies = Vec::with_capacity(CALLS);
    {
        let _cx = llmscope::scoped(guard.tracer_provider().unwrap()).attach();
        let run_started = Instant::now();
        for i in 0..CALLS {
            // Paced at RATE calls per second, as a busy service makes them.
            if i % 1000 == 0 {
                let due = run_started + Duration::from_secs_f64(i as f64 / RATE);
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
            }
            if flap && i % 10_000 == 0 {
                backend.flap((i / 10_000) % 2 == 0);
            }
            let started = Instant::now();
            chat("user-7");
            latencies.push(started.elapsed());
        }
    }
    let peak = peak_rss_mb();
    let started = Instant::now();
    let report = match guard.shutdown() {
        Ok(report) => report,
        Err(ExportError::Lost { report, .. } | ExportError::Timeout { report, .. }) => report,
        Err(other) => panic!("{other}"),
    };
    let shutdown = started.elapsed();
    let threads_left = threads_named("llmscope-export");
    latencies.sort_unstable();
    let ExportReport {
        exported,
        failed,
        dropped,
        abandoned,
        ..
    } = report;
    println!(
        "| {name} | {:.0} ns | {:.0} ns | {peak:.1} MB | {exported} | {failed} | {dropped} | {abandoned} | {:.2} s | {threads_left} |",
        percentile(&latencies, 0.50).as_nanos(),
        percentile(&latencies, 0.99).as_nanos(),
        shutdown.as_secs_f64()
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a plain `cargo test --benches` run skips the minute this
    // takes.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    println!(
        "| backend | call p50 | call p99 | peak RSS | delivered | failed | dropped | abandoned | shutdown | export threads after |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let healthy = FakeOtlp::start(Mode::Accept);
    run("HTTP healthy", Backend::Http(&healthy), false);
    run(
        "HTTP refuses connections",
        Backend::Refusing(Protocol::HttpProtobuf),
        false,
    );
    let hung = FakeOtlp::start(Mode::Hang);
    run("HTTP hangs", Backend::Http(&hung), false);
    let throttling = FakeOtlp::start(Mode::Status {
        code: 429,
        retry_after: true,
    });
    run(
        "HTTP 429 + Retry-After: 1",
        Backend::Http(&throttling),
        false,
    );
    let overloaded = FakeOtlp::start(Mode::Status {
        code: 503,
        retry_after: false,
    });
    run("HTTP 503", Backend::Http(&overloaded), false);
    let flapping = FakeOtlp::start(Mode::Accept);
    run("HTTP flaps every 0.2 s", Backend::Http(&flapping), true);

    let healthy = FakeOtlpGrpc::start(GrpcMode::Accept);
    run("gRPC healthy", Backend::Grpc(&healthy), false);
    run(
        "gRPC refuses connections",
        Backend::Refusing(Protocol::Grpc),
        false,
    );
    let hung = FakeOtlpGrpc::start(GrpcMode::Hang);
    run("gRPC hangs", Backend::Grpc(&hung), false);
    let throttling = FakeOtlpGrpc::start(GrpcMode::Status {
        code: Code::ResourceExhausted,
        retry_after: Some(Duration::from_secs(1)),
    });
    run(
        "gRPC RESOURCE_EXHAUSTED + RetryInfo 1 s",
        Backend::Grpc(&throttling),
        false,
    );
    let overloaded = FakeOtlpGrpc::start(GrpcMode::Status {
        code: Code::Unavailable,
        retry_after: None,
    });
    run("gRPC UNAVAILABLE", Backend::Grpc(&overloaded), false);
    let flapping = FakeOtlpGrpc::start(GrpcMode::Accept);
    run("gRPC down/up every 0.2 s", Backend::Grpc(&flapping), true);
}
