#[llmscope::agent_step(step, decision = "final_anwser")]
fn answer() {}

fn main() {}
