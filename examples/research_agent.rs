//! A research agent (`#[agent_step]`, `#[tool]`, `#[llm_call]`): steps with `web_search`,
//! `read_page` ×4 (three joined, one spawned), a delegated `fact_checker` sub-agent and a final
//! answer; the agent span totals steps, tokens and cost. Providers are simulated.
//!
//! Run: `cargo run --example research_agent`

#[path = "common/agent.rs"]
mod scenario;

use llmscope::export::TerminalExporter;
use llmscope::opentelemetry_sdk::trace::SdkTracerProvider;

#[tokio::main]
async fn main() {
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(TerminalExporter::stdout())
        .build();
    llmscope::install(&provider).expect("installed once");
    let answer = scenario::research("Is intermittent fasting effective?")
        .await
        .expect("simulated agent succeeds");
    println!("answer: {answer}");
    provider.shutdown().expect("flushed");
}
