#[llmscope::agent_step(max_steps = 5, tools = ["web_search"])]
fn run() {}

fn main() {}
