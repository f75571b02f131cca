#[llmscope::agent_step(agent = "research_assistant", provider = "openai", max_step = 5)]
fn run() {}

fn main() {}
