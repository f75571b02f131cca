// The first argument decides the mode of `#[agent_step]`: `agent = …` makes an agent root;
// `step`, a step argument or nothing makes a step.

#[llmscope::agent_step]
fn bare_step() {}

#[llmscope::agent_step(step)]
fn flagged_step() {}

#[llmscope::agent_step(decision = "call_tool")]
fn deciding_step() {}

#[llmscope::agent_step(agent = "helper", provider = "openai", max_steps = 3)]
fn root() {
    bare_step();
    flagged_step();
    deciding_step();
}

fn main() {
    root();
}
