#[llmscope::tool(call_id = "call_1", type = "function")]
fn web_search(query: &str) -> Vec<String> {
    vec![query.to_owned()]
}

fn main() {}
