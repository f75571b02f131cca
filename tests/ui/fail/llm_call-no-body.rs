trait Chat {
    #[llmscope::llm_call(provider = "openai", model = "gpt-4o", usage = false)]
    fn chat(&self) -> String;
}

fn main() {}
