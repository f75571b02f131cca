//! The research-agent scenario shared by `examples/research_agent.rs` and `tests/agent.rs`
//! (included with `#[path]`), so the test checks what the example runs.
//!
//! `research_assistant` plans (LLM), searches the web (tool), reads four pages (three in
//! parallel with `futures::join!`, one in a `tokio::spawn`ed task carrying the context; each
//! summarised by an LLM call), delegates to the `fact_checker` sub-agent, and answers.
//! Everything is simulated in-process.

// The example uses only the entry point.
#![allow(dead_code)]

use std::time::Duration;

use llmscope::opentelemetry::trace::FutureExt as _;
use llmscope::opentelemetry::Context;
use llmscope::Decision;

/// Simulated token counts: (model, input, output) of each LLM call, in the order the
/// scenario makes them (the tests compute the expected totals from these).
pub(crate) const PLAN: (u32, u32) = (420, 35);
/// The summary call of each page read.
pub(crate) const SUMMARY: (u32, u32) = (1200, 90);
/// The fact checker's call.
pub(crate) const CHECK: (u32, u32) = (650, 40);
/// The final answer's call.
pub(crate) const ANSWER: (u32, u32) = (1800, 220);
/// Pages read.
pub(crate) const PAGES: usize = 4;

/// A chat completion.
#[derive(llmscope::Usage)]
pub(crate) struct Completion {
    #[usage(input_tokens)]
    pub(crate) prompt_tokens: u32,
    #[usage(output_tokens)]
    pub(crate) completion_tokens: u32,
    #[usage(completion)]
    pub(crate) text: String,
}

/// A failure of a simulated tool or provider.
#[derive(Debug)]
pub(crate) struct ResearchError(pub(crate) String);

impl std::fmt::Display for ResearchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn completion(tokens: (u32, u32), text: String) -> Completion {
    Completion {
        prompt_tokens: tokens.0,
        completion_tokens: tokens.1,
        text,
    }
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o")]
async fn plan(question: &str) -> Result<Completion, ResearchError> {
    tokio::time::sleep(Duration::from_millis(6)).await;
    Ok(completion(PLAN, format!("search: {question}")))
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini")]
async fn summarize(page: &str) -> Result<Completion, ResearchError> {
    tokio::time::sleep(Duration::from_millis(4)).await;
    Ok(completion(SUMMARY, format!("summary of {page}")))
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini")]
async fn check_claims(notes: &str) -> Result<Completion, ResearchError> {
    tokio::time::sleep(Duration::from_millis(3)).await;
    Ok(completion(
        CHECK,
        format!("{} claims verified", notes.lines().count()),
    ))
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o")]
async fn write_answer(notes: &str) -> Result<Completion, ResearchError> {
    tokio::time::sleep(Duration::from_millis(7)).await;
    Ok(completion(
        ANSWER,
        format!("answer from {} notes", notes.lines().count()),
    ))
}

#[llmscope::tool(name = "web_search", call_id = call_id, type = "function", arguments = query)]
async fn web_search(call_id: &str, query: &str) -> Result<Vec<String>, ResearchError> {
    tokio::time::sleep(Duration::from_millis(5)).await;
    Ok((1..=PAGES)
        .map(|n| format!("https://example.org/{n}?q={}", query.len()))
        .collect())
}

#[llmscope::tool(name = "read_page", call_id = call_id, type = "function", arguments = url)]
async fn read_page(call_id: String, url: String) -> Result<String, ResearchError> {
    tokio::time::sleep(Duration::from_millis(5)).await;
    let summary = summarize(&url).await?;
    Ok(summary.text)
}

#[llmscope::agent_step(step)]
async fn decide_search(question: &str) -> Result<Decision, ResearchError> {
    plan(question).await?;
    Ok(Decision::CallTool)
}

#[llmscope::agent_step(step, decision = "call_tool")]
async fn search_and_read(question: &str) -> Result<Vec<String>, ResearchError> {
    let urls = web_search("call_search_1", question).await?;
    // Three pages in parallel in this task…
    let (first, second, third) = futures::join!(
        read_page("call_read_1".to_owned(), urls[0].clone()),
        read_page("call_read_2".to_owned(), urls[1].clone()),
        read_page("call_read_3".to_owned(), urls[2].clone()),
    );
    // …and one in a spawned task, which carries the context explicitly.
    let spawned = tokio::spawn(
        read_page("call_read_4".to_owned(), urls[3].clone()).with_context(Context::current()),
    )
    .await
    .map_err(|error| ResearchError(error.to_string()))?;
    Ok(vec![first?, second?, third?, spawned?])
}

#[llmscope::agent_step(step)]
async fn check_step(notes: &str) -> Result<Decision, ResearchError> {
    check_claims(notes).await?;
    Ok(Decision::FinalAnswer)
}

#[llmscope::agent_step(
    agent = "fact_checker",
    provider = "openai",
    id = "agent_fc_1",
    description = "Verifies claims against their sources",
    version = "0.3.0",
    max_steps = 2
)]
async fn fact_checker(notes: String) -> Result<String, ResearchError> {
    check_step(&notes).await?;
    Ok("verified".to_owned())
}

#[llmscope::agent_step(step, decision = "delegate")]
async fn delegate_check(notes: &str) -> Result<String, ResearchError> {
    fact_checker(notes.to_owned()).await
}

/// What the last step returns: the answer, and so the decision `final_answer`.
struct FinalAnswer(String);

impl llmscope::Decided for FinalAnswer {
    fn decision(&self) -> Option<Decision> {
        Some(Decision::FinalAnswer)
    }
}

#[llmscope::agent_step(step)]
async fn answer_step(notes: &str) -> Result<FinalAnswer, ResearchError> {
    let answer = write_answer(notes).await?;
    Ok(FinalAnswer(answer.text))
}

#[llmscope::agent_step(
    agent = "research_assistant",
    id = "agent_ra_1",
    description = "Answers research questions from web sources",
    version = "1.2.0",
    provider = "openai",
    tools = ["web_search", "read_page", "fact_checker"],
    max_steps = 8
)]
pub(crate) async fn research(question: &str) -> Result<String, ResearchError> {
    decide_search(question).await?;
    let pages = search_and_read(question).await?;
    let notes = pages.join("\n");
    delegate_check(&notes).await?;
    let FinalAnswer(answer) = answer_step(&notes).await?;
    Ok(answer)
}
