//! A research agent (`#[agent_step]`, `#[tool]`, `#[llm_call]`): steps with `web_search`,
//! `read_page` ×4 (three joined, one spawned), a delegated `fact_checker` sub-agent and a final
//! answer; the agent span totals steps, tokens and cost. Set up with `llmscope::init()`: the
//! trace is printed as a tree and appended to `llmscope-traces.jsonl`. Providers are simulated.
//!
//! Run: `cargo run --example research_agent`

#[path = "common/agent.rs"]
mod scenario;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let telemetry = llmscope::init()?;
    let answer = scenario::research("Is intermittent fasting effective?")
        .await
        .map_err(|e| e.to_string())?;
    println!("answer: {answer}");
    telemetry.shutdown()?;
    Ok(())
}
