use futures::stream::{self, Stream};

struct Chunk {
    text: String,
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini")]
fn chat() -> impl Stream<Item = Chunk> {
    stream::iter([Chunk { text: String::new() }])
}

fn main() {}
