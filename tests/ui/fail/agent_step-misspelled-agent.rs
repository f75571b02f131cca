#[llmscope::agent_step(agnet = "research_assistant", provider = "openai")]
fn run() {}

fn main() {}
