#[llmscope::agent_step(agent = "research_assistant", max_steps = 5)]
fn run() {}

fn main() {}
