//! Property test on what leaves the process: 100,000 generated prompts with secrets of every
//! built-in kind, embedded in ASCII and non-ASCII text, enter through every place content can
//! enter — prompt, system instructions, completion, tool arguments and results (as text and as
//! JSON), the retrieval query, retrieved documents' text, custom attributes (a string and a string array) and an exception
//! message — all with `capture = redacted`. The bytes of every exporter must contain no secret
//! in any form it can take there:
//!
//! - raw, JSON-escaped once (a JSONL line, a JSON message array) and twice (JSON content inside a
//!   JSON line), and with separators stripped (`4111111111111111` for `4111 1111 1111 1111`);
//! - in the JSONL file, the terminal tree (written to a buffer) and the OTLP/HTTP protobuf request
//!   bodies that the real `opentelemetry-otlp` exporter, set up by `llmscope::setup`, posts to a
//!   server on 127.0.0.1 (searched as raw bytes: protobuf stores strings as they are).
//!
//! The same 100,000 prompts (same seed; 4,000 calls of 25 prompts, each call followed by two tool
//! calls, a retrieval and a failing call, ~216,000 secrets in all) go once through a provider
//! with the JSONL and terminal exporters (simple processors) and once through the OTLP setup
//! (batch processor). Secrets are checked per batch of 100 calls against the bytes exported for
//! that batch (and, for OTLP, the next one), one Aho-Corasick automaton per batch. A form made
//! only of digits counts as a leak when it stands as a number of its own, not inside a longer
//! run of digits (nanosecond timestamps contain any 9-digit string sooner or later).

#[path = "../runtime/tests/support/secrets.rs"]
mod secrets;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use aho_corasick::{AhoCorasick, AhoCorasickKind, Input};
use llmscope::export::{JsonlExporter, TerminalExporter};
use llmscope::opentelemetry_sdk::trace::SdkTracerProvider;
use llmscope::setup::{Protocol, Telemetry};
use llmscope_runtime::redact::Detector;
use secrets::{generate, Rng};

const PROMPTS: usize = 100_000;
const PROMPTS_PER_CALL: usize = 25;
const CALLS_PER_BATCH: usize = 100;
const SEED: u64 = 0xC0FF_EE00_1234_5678;

/// The secrets that went into one batch of calls, with their kinds.
type Secrets = Vec<(Detector, String)>;

#[derive(llmscope::Usage)]
struct Reply {
    #[usage(completion)]
    echo: String,
}

#[derive(Debug)]
struct LeakyError(String);

impl std::fmt::Display for LeakyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o", prompt = prompts, system = system,
    capture = redacted, attrs(custom("app.note") = note, custom("app.tags") = tags))]
fn chat(
    prompts: &[String],
    system: &str,
    note: &str,
    tags: &Vec<String>,
    completion: &str,
) -> Reply {
    Reply {
        echo: completion.to_owned(),
    }
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini", capture = redacted)]
fn failing(message: &str) -> Result<Reply, LeakyError> {
    Err(LeakyError(message.to_owned()))
}

#[llmscope::tool(name = "lookup", arguments = arguments, capture = redacted)]
fn lookup(arguments: &str, result: &str) -> String {
    result.to_owned()
}

/// A retrieved document whose text carries secrets: captured (redacted) as its `content` in
/// `gen_ai.retrieval.documents`.
struct Doc {
    text: String,
}

impl llmscope::Document for Doc {
    fn id(&self) -> std::borrow::Cow<'_, str> {
        "doc-1".into()
    }
    fn score(&self) -> Option<f64> {
        Some(0.5)
    }
    fn content(&self) -> Option<&str> {
        Some(&self.text)
    }
}

#[llmscope::rag_stage(retrieve, data_source = "kb", query = query, capture = redacted)]
fn search(query: &str, document: &str) -> Vec<Doc> {
    vec![Doc {
        text: document.to_owned(),
    }]
}

/// One generated text; its secrets go to `found`.
fn text(
    rng: &mut Rng,
    kinds: &mut impl Iterator<Item = Detector>,
    found: &mut Vec<(Detector, String)>,
) -> String {
    let count = 1 + rng.below(2);
    let (text, ranges) = generate(rng, kinds, count);
    for (kind, range) in ranges {
        found.push((kind, text[range].to_owned()));
    }
    text
}

/// `text` as the JSON content of a tool call or message: `{"q": text, "n": 1}`.
fn as_json(text: &str) -> String {
    serde_json::json!({ "q": text, "n": 1 }).to_string()
}

/// Runs every call of one batch; returns the secrets that went in.
fn run_batch(rng: &mut Rng, kinds: &mut impl Iterator<Item = Detector>) -> Vec<(Detector, String)> {
    let mut found = Vec::new();
    for _ in 0..CALLS_PER_BATCH {
        let prompts: Vec<String> = (0..PROMPTS_PER_CALL)
            .map(|i| {
                let text = text(rng, kinds, &mut found);
                // Every third prompt is a JSON document, as chat messages often are.
                if i % 3 == 0 {
                    as_json(&text)
                } else {
                    text
                }
            })
            .collect();
        let system = text(rng, kinds, &mut found);
        let note = text(rng, kinds, &mut found);
        let tags = vec![
            text(rng, kinds, &mut found),
            as_json(&text(rng, kinds, &mut found)),
        ];
        let completion = text(rng, kinds, &mut found);
        chat(&prompts, &system, &note, &tags, &completion);

        let arguments = text(rng, kinds, &mut found);
        let result = text(rng, kinds, &mut found);
        lookup(&arguments, &result);
        let arguments = as_json(&text(rng, kinds, &mut found));
        let result = as_json(&text(rng, kinds, &mut found));
        lookup(&arguments, &result);

        search(&text(rng, kinds, &mut found), &text(rng, kinds, &mut found));
        let _ = failing(&text(rng, kinds, &mut found));
    }
    found
}

/// Every form a secret can take in exported bytes, longer than 8 bytes when stripped (a short
/// stripped form could occur by chance).
fn forms(secret: &str) -> Vec<String> {
    let once = serde_json::to_string(secret).unwrap();
    let once = once[1..once.len() - 1].to_owned();
    let twice = serde_json::to_string(&once).unwrap();
    let twice = twice[1..twice.len() - 1].to_owned();
    let stripped: String = secret.chars().filter(|c| c.is_alphanumeric()).collect();
    let mut forms = vec![secret.to_owned(), once, twice];
    if stripped.len() > 8 {
        forms.push(stripped);
    }
    forms.sort();
    forms.dedup();
    forms
}

/// Fails if any form of any secret of a batch occurs in the bytes any exporter wrote for that
/// batch or the next one (a span may be exported just after its batch was flushed). `outputs`
/// holds, per exporter, its name and its bytes per batch. One automaton per batch serves every
/// exporter. Returns how many secrets were checked.
fn check(batches: &[Vec<(Detector, String)>], outputs: &[(&str, &[Vec<u8>])]) -> usize {
    let mut checked = 0;
    for (batch, secrets) in batches.iter().enumerate() {
        let mut patterns = Vec::new();
        let mut owners = Vec::new();
        for (index, (_, secret)) in secrets.iter().enumerate() {
            for form in forms(secret) {
                patterns.push(form);
                owners.push(index);
            }
        }
        let automaton = AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::NoncontiguousNFA))
            .build(&patterns)
            .expect("patterns build");
        for (exporter, chunks) in outputs {
            // The simple processor writes each span as it ends; only the batch processor
            // behind OTLP may send a span of this batch with the next one.
            let next = match *exporter {
                "otlp" => chunks.get(batch + 1).map_or(&[][..], Vec::as_slice),
                _ => &[][..],
            };
            for exported in [&chunks[batch][..], next] {
                // A form made only of digits (a compact SSN or phone, a card with its separators
                // stripped) counts inside a number of its own, not inside a longer run of digits
                // such as a nanosecond timestamp, where it would occur by chance.
                let digit_at = |i: usize| exported.get(i).is_some_and(u8::is_ascii_digit);
                let mut from = 0;
                let leak = loop {
                    let Some(found) =
                        automaton.find(Input::new(exported).span(from..exported.len()))
                    else {
                        break None;
                    };
                    let digits_only = patterns[found.pattern().as_usize()]
                        .bytes()
                        .all(|b| b.is_ascii_digit());
                    let in_longer_number =
                        (found.start() > 0 && digit_at(found.start() - 1)) || digit_at(found.end());
                    if !(digits_only && in_longer_number) {
                        break Some(found);
                    }
                    from = found.start() + 1;
                };
                if let Some(found) = leak {
                    let (kind, secret) = &secrets[owners[found.pattern().as_usize()]];
                    let at = found.start();
                    let context = String::from_utf8_lossy(
                        &exported[at.saturating_sub(80)..(at + 120).min(exported.len())],
                    );
                    panic!(
                        "{exporter}, batch {batch}: {kind} secret {secret:?} leaked as {:?} in …{context}…",
                        patterns[found.pattern().as_usize()]
                    );
                }
            }
        }
        checked += secrets.len();
    }
    checked
}

/// A writer shared with the test, for the terminal exporter.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// The request bodies an OTLP/HTTP server on 127.0.0.1 received at `POST /v1/traces`.
struct OtlpServer {
    url: String,
    bodies: Arc<Mutex<Vec<u8>>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl OtlpServer {
    fn start() -> OtlpServer {
        use axum::routing::post;
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let (ready, address) = std::sync::mpsc::channel();
        let store = bodies.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            runtime.block_on(async move {
                let app = axum::Router::new()
                    .route(
                        "/v1/traces",
                        post(
                            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                                let store = store.clone();
                                async move {
                                    assert!(
                                        headers.get("content-encoding").is_none(),
                                        "the OTLP body is compressed: raw bytes cannot be searched"
                                    );
                                    store.lock().unwrap().extend_from_slice(&body);
                                    (
                                        [("content-type", "application/x-protobuf")],
                                        Vec::<u8>::new(),
                                    )
                                }
                            },
                        ),
                    )
                    .route("/v1/metrics", post(|| async { "" }));
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                ready.send(listener.local_addr().expect("address")).unwrap();
                axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stop.await;
                    })
                    .await
                    .expect("server");
            });
        });
        let address = address.recv().expect("server started");
        OtlpServer {
            url: format!("http://{address}/v1/traces"),
            bodies,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.bodies.lock().unwrap())
    }
}

impl Drop for OtlpServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Runs all batches under `provider`, taking each batch's exported bytes with `take`.
fn run_all(
    provider: &SdkTracerProvider,
    mut take: impl FnMut() -> Vec<Vec<u8>>,
) -> (Vec<Secrets>, Vec<Vec<Vec<u8>>>) {
    let mut rng = Rng(SEED);
    let mut kinds = Detector::ALL.into_iter().cycle();
    let mut batches = Vec::new();
    let mut chunks = Vec::new();
    let _guard = llmscope::scoped(provider).attach();
    for _ in 0..PROMPTS / (PROMPTS_PER_CALL * CALLS_PER_BATCH) {
        batches.push(run_batch(&mut rng, &mut kinds));
        provider.force_flush().expect("flushed");
        chunks.push(take());
    }
    (batches, chunks)
}

fn per_kind(
    batches: &[Vec<(Detector, String)>],
) -> std::collections::BTreeMap<&'static str, usize> {
    let mut per_kind = std::collections::BTreeMap::new();
    for (kind, _) in batches.iter().flatten() {
        *per_kind.entry(kind.name()).or_insert(0) += 1;
    }
    per_kind
}

#[test]
fn exported_bytes_never_contain_a_secret() {
    let started = std::time::Instant::now();

    // Phase 1: the JSONL file and the terminal tree, from one provider.
    let dir = std::env::temp_dir().join(format!("llmscope-capture-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("traces.jsonl");
    let jsonl = JsonlExporter::builder(&path)
        .with_max_bytes(u64::MAX)
        .build()
        .expect("exporter");
    let terminal = Buffer::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(jsonl)
        .with_simple_exporter(
            TerminalExporter::builder()
                .with_writer(terminal.clone())
                .with_color(false)
                .build(),
        )
        .build();
    let mut file = None;
    let (batches, chunks) = run_all(&provider, || {
        let file = file.get_or_insert_with(|| std::fs::File::open(&path).expect("exported file"));
        let mut chunk = Vec::new();
        file.read_to_end(&mut chunk).expect("read");
        vec![chunk, terminal.take()]
    });
    provider.shutdown().expect("flushed");
    let (jsonl, tree): (Vec<Vec<u8>>, Vec<Vec<u8>>) = chunks
        .into_iter()
        .map(|mut c| (c.remove(0), c.remove(0)))
        .unzip();
    let local = started.elapsed();

    // Phase 2: the same calls through `llmscope::setup`'s OTLP/HTTP exporter.
    let server = OtlpServer::start();
    let telemetry = Telemetry::builder()
        .with_env(Vec::<(String, String)>::new())
        .with_service_name("capture-property")
        .with_traces_endpoint(server.url.clone())
        .with_protocol(Protocol::HttpProtobuf)
        .build()
        .expect("otlp setup");
    let provider = telemetry.tracer_provider().expect("a provider").clone();
    let (otlp_batches, chunks) = run_all(&provider, || vec![server.take()]);
    assert_eq!(
        telemetry.dropped_spans(),
        0,
        "the export queue dropped spans"
    );
    drop(telemetry);
    let mut bodies: Vec<Vec<u8>> = chunks.into_iter().map(|mut c| c.remove(0)).collect();
    // Anything sent at shutdown belongs to the last batch.
    bodies.last_mut().unwrap().extend(server.take());
    assert!(otlp_batches == batches, "both phases send the same secrets");
    let otlp = started.elapsed() - local;

    // The exporters did write the content, redacted.
    let all_jsonl = String::from_utf8(jsonl.concat()).unwrap();
    // Per call: chat, two tools, a retrieval and a failed call.
    assert_eq!(
        all_jsonl.lines().count(),
        PROMPTS / PROMPTS_PER_CALL * 5,
        "one line per span"
    );
    let all_bodies = bodies.concat();
    let in_bodies = |needle: &str| {
        all_bodies
            .windows(needle.len())
            .any(|window| window == needle.as_bytes())
    };
    for expected in [
        "[EMAIL]",
        "[API_KEY]",
        "[SSN]",
        "[PHONE]",
        "[CARD]",
        "gen_ai.input.messages",
        "gen_ai.system_instructions",
        "gen_ai.output.messages",
        "gen_ai.tool.call.arguments",
        "gen_ai.tool.call.result",
        "gen_ai.retrieval.query.text",
        "gen_ai.retrieval.documents",
        "app.note",
        "app.tags",
        "exception.message",
    ] {
        assert!(
            all_jsonl.contains(expected),
            "no `{expected}` in the JSONL output"
        );
        assert!(
            in_bodies(expected),
            "no `{expected}` in the OTLP request bodies"
        );
    }
    for (batch, body) in bodies.iter().enumerate() {
        assert!(
            !body.is_empty(),
            "batch {batch}: nothing reached the OTLP server"
        );
    }
    let tree_text = String::from_utf8(tree.concat()).unwrap();
    assert!(tree_text.contains("execute_tool lookup") && tree_text.contains("chat gpt-4o"));

    let checked = check(
        &batches,
        &[("jsonl", &jsonl), ("terminal", &tree), ("otlp", &bodies)],
    );
    let kinds = per_kind(&batches);
    assert_eq!(kinds.len(), Detector::ALL.len(), "{kinds:?}");
    assert!(checked > PROMPTS, "{checked} secrets checked");
    eprintln!(
        "{checked} secrets checked in every form on 3 exporters ({kinds:?}); \
         jsonl + terminal {local:.1?}, otlp {otlp:.1?}, check {:.1?}",
        started.elapsed() - local - otlp
    );
    let _ = std::fs::remove_dir_all(&dir);
}
