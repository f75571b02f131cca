//! End to end against Arize Phoenix, a real OTLP backend that computes cost on its own.
//!
//! `scripts/phoenix.sh start` installs and starts it (`.ci/run` does); this test uses the
//! running instance (`target/phoenix/env`), or, if the venv is installed, starts one itself and
//! stops it afterwards. Otherwise (not installed, or it cannot start) the tests are skipped
//! with a message saying why.
//!
//! - `quickstart_trace_reads_back_with_phoenix_cost`: an app root span and two `#[llm_call]`
//!   chats (gpt-4o, gpt-4o-mini, with cached tokens) over OTLP/HTTP protobuf; read back over
//!   REST: tree, names, tokens, model; Phoenix's own cost (GraphQL) equals ours. One more span
//!   goes over OTLP/gRPC.
//! - `backend_stopped_and_restarted`: with Phoenix stopped, calls stay fast and failed exports
//!   are counted; after a restart on the same ports, new spans arrive.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use llmscope::opentelemetry::trace::{TraceContextExt as _, Tracer as _, TracerProvider as _};
use llmscope::opentelemetry::KeyValue;
use llmscope::setup::Protocol;
use llmscope::Telemetry;
use serde_json::Value;

#[derive(llmscope::Usage)]
struct ChatResponse {
    #[usage(response_model)]
    model: String,
    #[usage(input_tokens)]
    prompt_tokens: u32,
    #[usage(output_tokens)]
    completion_tokens: u32,
    #[usage(cache_read_tokens)]
    cached_tokens: Option<u32>,
}

struct ChatRequest {
    model: &'static str,
    prompt_tokens: u32,
    cached_tokens: u32,
    completion_tokens: u32,
}

#[llmscope::llm_call(provider = "openai", model = req.model, temperature = 0.2, feature = "e2e")]
fn chat(req: &ChatRequest) -> ChatResponse {
    std::thread::sleep(Duration::from_millis(3));
    ChatResponse {
        model: req.model.to_owned(),
        prompt_tokens: req.prompt_tokens,
        completion_tokens: req.completion_tokens,
        cached_tokens: Some(req.cached_tokens),
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A running Phoenix: its base URL and gRPC port.
struct Phoenix {
    url: String,
    grpc_port: u16,
    started_here: bool,
}

fn read_env_file(path: &Path) -> Option<(String, u16)> {
    let text = std::fs::read_to_string(path).ok()?;
    let vars: HashMap<&str, &str> = text.lines().filter_map(|l| l.split_once('=')).collect();
    Some((
        vars.get("PHOENIX_URL")?.to_string(),
        vars.get("PHOENIX_GRPC_PORT")?.parse().ok()?,
    ))
}

fn script(args: &[&str], env: &[(&str, String)]) -> Result<(), String> {
    let output = Command::new(root().join("scripts/phoenix.sh"))
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .map_err(|e| format!("cannot run scripts/phoenix.sh: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

fn healthy(url: &str) -> bool {
    matches!(http("GET", &format!("{url}/healthz"), None), Ok((200, _)))
}

/// The shared Phoenix, started once per test binary if none is running.
fn phoenix() -> Result<&'static Mutex<Phoenix>, String> {
    static PHOENIX: OnceLock<Result<Mutex<Phoenix>, String>> = OnceLock::new();
    PHOENIX
        .get_or_init(|| {
            let env_file = root().join("target/phoenix/env");
            if let Some((url, grpc_port)) = read_env_file(&env_file) {
                if healthy(&url) {
                    return Ok(Mutex::new(Phoenix {
                        url,
                        grpc_port,
                        started_here: false,
                    }));
                }
            }
            let venv = std::env::var_os("PHOENIX_VENV")
                .map(PathBuf::from)
                .unwrap_or_else(|| root().join("target/phoenix-venv"));
            if !venv.join("bin/phoenix").exists() {
                return Err(format!(
                    "not running and not installed in {} (`scripts/phoenix.sh start` installs it)",
                    venv.display()
                ));
            }
            script(&["start"], &[])?;
            let (url, grpc_port) =
                read_env_file(&env_file).ok_or("scripts/phoenix.sh wrote no env file")?;
            Ok(Mutex::new(Phoenix {
                url,
                grpc_port,
                started_here: true,
            }))
        })
        .as_ref()
        .map_err(Clone::clone)
}

macro_rules! phoenix_or_skip {
    () => {
        match phoenix() {
            Ok(p) => p.lock().unwrap_or_else(|e| e.into_inner()),
            Err(why) => {
                eprintln!("SKIPPED: Arize Phoenix could not be started ({why}); run `scripts/phoenix.sh start`");
                return;
            }
        }
    };
}

/// Stops a Phoenix this binary started, whichever test finishes last.
struct StopIfStartedHere<'a>(&'a Phoenix);

impl Drop for StopIfStartedHere<'_> {
    fn drop(&mut self) {
        static FINISHED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        if FINISHED.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 == 2
            && self.0.started_here
        {
            let _ = script(&["stop"], &[]);
        }
    }
}

/// Plain HTTP/1.1 over loopback (Phoenix is on 127.0.0.1): `(status, body)`.
fn http(method: &str, url: &str, body: Option<&str>) -> Result<(u16, String), String> {
    let rest = url.strip_prefix("http://").ok_or("http only")?;
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut stream = TcpStream::connect(host).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&raw);
    let (head, mut payload) = text.split_once("\r\n\r\n").ok_or("no header end")?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("no status")?;
    let mut decoded = String::new();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        loop {
            let (size, rest) = payload.split_once("\r\n").ok_or("bad chunk")?;
            let size = usize::from_str_radix(size.trim(), 16).map_err(|e| e.to_string())?;
            if size == 0 {
                break;
            }
            decoded.push_str(&rest[..size]);
            payload = &rest[size + 2..];
        }
    } else {
        decoded.push_str(payload);
    }
    Ok((status, decoded))
}

fn spans(url: &str, project: &str) -> Vec<Value> {
    match http(
        "GET",
        &format!("{url}/v1/projects/{project}/spans?limit=1000"),
        None,
    ) {
        Ok((200, body)) => serde_json::from_str::<Value>(&body).unwrap()["data"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn wait_spans(url: &str, project: &str, n: usize, within: Duration) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let got = spans(url, project);
        if got.len() >= n || start.elapsed() > within {
            return got;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn phoenix_cost(url: &str, span_id: &str) -> Value {
    let query = r#"query($spanId: String!) { getSpanByOtelId(spanId: $spanId) {
        costSummary { prompt { tokens cost } completion { tokens cost } total { tokens cost } } } }"#;
    let body =
        serde_json::json!({ "query": query, "variables": { "spanId": span_id } }).to_string();
    let (status, text) = http("POST", &format!("{url}/graphql"), Some(&body)).unwrap();
    assert_eq!(status, 200, "{text}");
    let out: Value = serde_json::from_str(&text).unwrap();
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["getSpanByOtelId"]["costSummary"].clone()
}

fn unique_project(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// `endpoint` is the base URL, as `OTEL_EXPORTER_OTLP_ENDPOINT` means it: over HTTP the
/// pipeline appends `/v1/traces` itself.
fn pipeline(endpoint: String, protocol: Protocol, project: &str) -> Telemetry {
    Telemetry::builder()
        .with_env(std::iter::empty::<(String, String)>())
        .with_protocol(protocol)
        .with_endpoint(endpoint)
        .with_service_name("llmscope-e2e")
        .with_resource_attribute(KeyValue::new(
            "openinference.project.name",
            project.to_owned(),
        ))
        .with_timeout(Duration::from_secs(2))
        .with_scheduled_delay(Duration::from_millis(100))
        .build()
        .expect("pipeline")
}

fn attr<'a>(span: &'a Value, key: &str) -> &'a Value {
    &span["attributes"][key]
}

#[test]
fn quickstart_trace_reads_back_with_phoenix_cost() {
    let phoenix = phoenix_or_skip!();
    let _stop = StopIfStartedHere(&phoenix);
    let url = phoenix.url.clone();
    let project = unique_project("llmscope-e2e");
    let guard = pipeline(url.to_string(), Protocol::HttpProtobuf, &project);
    let provider = guard.tracer_provider().unwrap().clone();
    let calls = [
        ChatRequest {
            model: "gpt-4o-mini",
            prompt_tokens: 2100,
            cached_tokens: 1024,
            completion_tokens: 120,
        },
        ChatRequest {
            model: "gpt-4o",
            prompt_tokens: 1517,
            cached_tokens: 1280,
            completion_tokens: 46,
        },
    ];
    let trace_id = {
        let _scope = llmscope::scoped(&provider).attach();
        provider.tracer("app").in_span("handle_question", |cx| {
            for call in &calls {
                chat(call);
            }
            cx.span().span_context().trace_id().to_string()
        })
    };
    drop(guard); // flush

    let got = wait_spans(&url, &project, 3, Duration::from_secs(30));
    assert_eq!(got.len(), 3, "spans in Phoenix project {project}: {got:#?}");
    let by_name: HashMap<&str, &Value> = got
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s))
        .collect();
    let root = by_name["handle_question"];
    let root_id = root["context"]["span_id"].as_str().unwrap();
    assert!(root["parent_id"].is_null(), "{root}");
    for call in &calls {
        let span = by_name[format!("chat {}", call.model).as_str()];
        assert_eq!(span["context"]["trace_id"], trace_id.as_str());
        assert_eq!(span["parent_id"], root_id, "{span}");
        assert_eq!(attr(span, "gen_ai.request.model"), call.model);
        assert_eq!(attr(span, "gen_ai.usage.input_tokens"), call.prompt_tokens);
        assert_eq!(
            attr(span, "gen_ai.usage.output_tokens"),
            call.completion_tokens
        );
        assert_eq!(
            attr(span, "gen_ai.usage.cache_read.input_tokens"),
            call.cached_tokens
        );
        // Phoenix's own reading of the gen_ai attributes.
        assert_eq!(attr(span, "llm.model_name"), call.model, "{span}");
        assert_eq!(
            attr(span, "llm.token_count.prompt"),
            call.prompt_tokens,
            "{span}"
        );
        assert_eq!(
            attr(span, "llm.token_count.completion"),
            call.completion_tokens
        );

        let ours = attr(span, "llmscope.cost.total")
            .as_f64()
            .expect("our cost");
        let theirs = phoenix_cost(&url, span["context"]["span_id"].as_str().unwrap());
        let total = theirs["total"]["cost"]
            .as_f64()
            .unwrap_or_else(|| panic!("phoenix has no cost: {theirs}"));
        let relative = ((total - ours) / ours).abs();
        eprintln!(
            "{}: ours {ours:.12} phoenix {total:.12} relative diff {relative:e}",
            call.model
        );
        assert!(
            relative <= 1e-9,
            "{}: ours {ours} vs phoenix {total} ({relative:e})",
            call.model
        );
        let ours_prompt = attr(span, "llm.cost.prompt").as_f64().unwrap();
        let theirs_prompt = theirs["prompt"]["cost"].as_f64().unwrap();
        assert!(
            ((theirs_prompt - ours_prompt) / ours_prompt).abs() <= 1e-9,
            "prompt {ours_prompt} vs {theirs_prompt}"
        );
    }

    // More prices and odd token counts: the largest relative difference seen is printed.
    let cost_project = unique_project("llmscope-e2e-costs");
    let guard = pipeline(url.to_string(), Protocol::HttpProtobuf, &cost_project);
    let more = [
        ChatRequest {
            model: "gpt-4o",
            prompt_tokens: 123_457,
            cached_tokens: 99_999,
            completion_tokens: 7_777,
        },
        ChatRequest {
            model: "gpt-4o-mini",
            prompt_tokens: 1,
            cached_tokens: 0,
            completion_tokens: 1,
        },
        ChatRequest {
            model: "gpt-4.1",
            prompt_tokens: 33_333,
            cached_tokens: 3_331,
            completion_tokens: 2_047,
        },
        ChatRequest {
            model: "gpt-4.1-mini",
            prompt_tokens: 9_999,
            cached_tokens: 8_191,
            completion_tokens: 333,
        },
        ChatRequest {
            model: "gpt-4.1-nano",
            prompt_tokens: 70_001,
            cached_tokens: 65_536,
            completion_tokens: 12_345,
        },
        ChatRequest {
            model: "o3-mini",
            prompt_tokens: 4_097,
            cached_tokens: 1_024,
            completion_tokens: 31_337,
        },
    ];
    {
        let _scope = llmscope::scoped(guard.tracer_provider().unwrap()).attach();
        for call in &more {
            chat(call);
        }
    }
    drop(guard);
    let got = wait_spans(&url, &cost_project, more.len(), Duration::from_secs(30));
    assert_eq!(got.len(), more.len());
    let mut worst = 0.0_f64;
    for span in &got {
        let ours = attr(span, "llmscope.cost.total")
            .as_f64()
            .expect("our cost");
        let theirs = phoenix_cost(&url, span["context"]["span_id"].as_str().unwrap());
        let total = theirs["total"]["cost"]
            .as_f64()
            .unwrap_or_else(|| panic!("phoenix has no cost: {span}"));
        let relative = ((total - ours) / ours).abs();
        eprintln!(
            "{}: ours {ours:e} phoenix {total:e} relative diff {relative:e}",
            span["name"]
        );
        worst = worst.max(relative);
    }
    eprintln!("largest relative cost difference: {worst:e}");
    assert!(worst <= 1e-9, "largest relative cost difference {worst:e}");

    // The same backend over OTLP/gRPC, from inside a tokio runtime.
    let grpc_project = unique_project("llmscope-e2e-grpc");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let guard = pipeline(
            format!("http://127.0.0.1:{}", phoenix.grpc_port),
            Protocol::Grpc,
            &grpc_project,
        );
        let provider = guard.tracer_provider().unwrap().clone();
        let _scope = llmscope::scoped(&provider).attach();
        chat(&calls[0]);
        drop(_scope);
        drop(guard);
    });
    let got = wait_spans(&url, &grpc_project, 1, Duration::from_secs(30));
    assert_eq!(got.len(), 1, "gRPC span in {grpc_project}");
    assert_eq!(got[0]["name"], "chat gpt-4o-mini");
}

#[test]
fn backend_stopped_and_restarted() {
    let phoenix = phoenix_or_skip!();
    let url = phoenix.url.clone();
    let project = unique_project("llmscope-recovery");
    let guard = pipeline(url.to_string(), Protocol::HttpProtobuf, &project);
    let provider = guard.tracer_provider().unwrap().clone();
    let run = |name: &'static str, n: usize| {
        let _scope = llmscope::scoped(&provider).attach();
        let start = Instant::now();
        for _ in 0..n {
            provider.tracer("app").in_span(name, |_| {});
        }
        start.elapsed() / n as u32
    };

    let port = url.rsplit(':').next().unwrap().to_owned();
    script(&["stop"], &[]).expect("stop phoenix");
    assert!(!healthy(&url));
    let per_span = run("while_down", 5000);
    assert!(
        per_span < Duration::from_millis(1),
        "{per_span:?} per span with the backend down"
    );
    // Every span made while down has failed (each batch after its retries) or been dropped
    // before Phoenix comes back, so what follows is told apart from what was lost.
    llmscope::flush_processing();
    let start = Instant::now();
    while guard.stats().failed() + guard.stats().dropped() < 5000 {
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "the spans made while down were not all counted as lost: {:?}",
            guard.stats()
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let restart = script(
        &["start"],
        &[
            ("PHOENIX_PORT", port),
            ("PHOENIX_GRPC_PORT", phoenix.grpc_port.to_string()),
        ],
    );
    restart.expect("restart phoenix on the same ports");
    run("after_recovery", 3);
    // The flush reports what was lost while Phoenix was down, and the spans made after the
    // restart as exported.
    match guard.flush() {
        Err(llmscope::ExportError::Lost { report, last_error }) => {
            assert_eq!(report.exported, 3, "{report}");
            assert_eq!(report.failed + report.dropped, 5000, "{report}");
            let last_error = last_error.unwrap_or_default();
            assert!(last_error.contains(&url), "{last_error}");
        }
        other => panic!("expected the losses while down to be reported, got {other:?}"),
    }
    let start = Instant::now();
    let recovered = loop {
        let got = spans(&url, &project);
        let n = got.iter().filter(|s| s["name"] == "after_recovery").count();
        if n == 3 || start.elapsed() > Duration::from_secs(30) {
            break n;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(recovered, 3, "spans made after the restart reach Phoenix");
    eprintln!(
        "recovery: queued {} exported {} failed {} dropped {}",
        guard.stats().queued(),
        guard.stats().exported(),
        guard.stats().failed(),
        guard.stats().dropped()
    );
    drop(guard);
    let _stop = StopIfStartedHere(&phoenix);
}
