#[llmscope::agent_step(agent = "research_assistant", max_step = 5)]
fn run() {}

fn main() {}
