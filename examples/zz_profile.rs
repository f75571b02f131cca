use llmscope::opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use std::hint::black_box;
struct Request {
    model: String,
    temperature: f64,
    top_p: f64,
    max_tokens: u32,
    seed: i64,
}
#[derive(llmscope::Usage)]
struct Reply {
    #[usage(input_tokens)]
    input_tokens: u32,
}
#[llmscope::llm_call(provider = "openai", model = req.model, temperature = req.temperature, top_p = req.top_p, max_tokens = req.max_tokens, seed = req.seed, server_address = "api.openai.com", server_port = 443)]
fn annotated(req: &Request) -> Reply {
    black_box(req);
    Reply { input_tokens: 3 }
}
fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let provider = SdkTracerProvider::builder()
        .with_sampler(if mode == "off" {
            Sampler::AlwaysOff
        } else {
            Sampler::AlwaysOn
        })
        .build();
    let req = Request {
        model: "gpt-4o".into(),
        temperature: 0.2,
        top_p: 0.9,
        max_tokens: 512,
        seed: 42,
    };
    let _g = llmscope::scoped(&provider).attach();
    let n: u64 = std::env::args()
        .nth(2)
        .map(|s| s.parse().unwrap())
        .unwrap_or(200_000);
    let t = std::time::Instant::now();
    for _ in 0..n {
        annotated(black_box(&req));
    }
    eprintln!("{:?} per call", t.elapsed() / n as u32);
}
