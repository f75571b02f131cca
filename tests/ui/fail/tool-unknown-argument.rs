#[llmscope::tool(name = "web_search", callid = "call_1")]
fn web_search(query: &str) -> Vec<String> {
    vec![query.to_owned()]
}

fn main() {}
