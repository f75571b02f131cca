fn usage_of(_: &serde_json::Value) -> llmscope::UsageData<'static> {
    llmscope::UsageData::default()
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o", usage = usage_of)]
fn chat() -> impl futures::Stream<Item = serde_json::Value> {
    futures::stream::empty()
}

fn main() {}
