// `returns = stream` on a type that is not a boxed stream: the error is at the return type.
use futures::stream::{self, Stream};

type Reply = String;

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini", returns = stream)]
fn chat() -> Reply {
    String::new()
}

#[derive(llmscope::Usage)]
struct Chunk {
    #[usage(completion)]
    text: String,
}

/// A concrete stream type: the recorded stream cannot be handed back as it.
type Chunks = stream::Iter<std::vec::IntoIter<Chunk>>;

#[llmscope::llm_call(provider = "openai", model = "gpt-4o-mini", returns = stream)]
fn concrete() -> Chunks {
    stream::iter(vec![Chunk { text: String::new() }])
}

fn assert_stream(_: impl Stream) {}

fn main() {
    assert_stream(concrete());
}
