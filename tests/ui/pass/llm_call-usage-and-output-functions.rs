use llmscope::capture::Message;
use llmscope::UsageData;

mod extract {
    pub fn usage(value: &serde_json::Value) -> llmscope::UsageData<'_> {
        let mut usage = llmscope::UsageData::default();
        if let Some(input) = value["usage"]["prompt_tokens"].as_u64() {
            usage.set_input_tokens(input);
        }
        usage
    }
}

fn output(value: &serde_json::Value) -> Option<&str> {
    value["choices"][0]["message"]["content"].as_str()
}

fn messages(value: &serde_json::Value) -> Vec<Message<'_>> {
    vec![Message::assistant(value.to_string())]
}

fn empty(_: &serde_json::Value) -> UsageData<'static> {
    UsageData::default()
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o", usage = extract::usage, output = output)]
fn chat() -> serde_json::Value {
    serde_json::Value::Null
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o", usage = empty, output = messages)]
async fn chat_async() -> Result<serde_json::Value, std::io::Error> {
    Ok(serde_json::Value::Null)
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o", usage = true)]
fn chat_unit() {}

fn main() {
    chat();
    drop(chat_async());
    chat_unit();
}
