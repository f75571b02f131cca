//! async-openai, unchanged: the real client over real HTTP (a local fixture server on
//! 127.0.0.1 stands in for the API), each call one `#[llm_call]` span with tokens, cost,
//! finish reasons and, as the capture policy allows, the messages. The annotated code is in
//! `examples/common/openai_client.rs`.
//!
//! Run: `cargo run --example async_openai` (an application enables llmscope's `async-openai`
//! feature).

#[path = "common/openai_client.rs"]
mod scenario;

use futures::StreamExt as _;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let telemetry = llmscope::init()?;
    let base = scenario::server::start().await?;
    let client = scenario::client(&base);

    let answer = scenario::chat(&client, scenario::chat_request("gpt-4o", false)).await?;
    println!("answer: {:?}", answer.choices[0].message.content);
    let tool_call = scenario::chat(&client, scenario::chat_request("gpt-4.1", false)).await?;
    println!("tool call: {:?}", tool_call.choices[0].message.tool_calls);
    // The client's own stream, returned through `#[llm_call]`: the span ends at its end.
    let mut stream =
        scenario::chat_stream(&client, scenario::chat_request("gpt-4o-mini", true)).await?;
    let mut chunks = 0;
    while let Some(chunk) = stream.next().await {
        chunk?;
        chunks += 1;
    }
    println!("streamed {chunks} chunks");
    // A streamed tool call: its argument pieces are assembled on the span's output message.
    let stream = scenario::chat_stream(&client, scenario::chat_request("gpt-4.1", true)).await?;
    let chunks: Vec<_> = stream.collect().await;
    println!("streamed tool call in {} chunks", chunks.len());
    scenario::embed(&client, scenario::embed_request()).await?;
    scenario::respond(&client, scenario::response_request()).await?;
    // A failure the taxonomy classifies: `error.type = context_length_exceeded`.
    if let Err(error) = scenario::chat(&client, scenario::chat_request("gpt-4o-long", false)).await
    {
        println!("failed as expected: {error}");
    }

    telemetry.shutdown()?;
    Ok(())
}
