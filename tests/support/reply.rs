//! A provider's reply as the tests of the realistic call return it: an id of its own, the model
//! that served it, token counts and a finish reason.

#[derive(llmscope::Usage)]
pub(crate) struct Reply {
    #[usage(response_id)]
    id: String,
    #[usage(response_model)]
    model: String,
    #[usage(input_tokens)]
    input_tokens: u32,
    #[usage(output_tokens)]
    output_tokens: u32,
    #[usage(finish_reasons)]
    finish_reasons: Vec<String>,
}

/// The reply to call number `call` (id `chatcmpl-{call}`), served by `model`.
pub(crate) fn reply(call: usize, model: &str) -> Reply {
    Reply {
        id: format!("chatcmpl-{call}"),
        model: model.to_owned(),
        input_tokens: 1_000,
        output_tokens: 100,
        finish_reasons: vec!["stop".to_owned()],
    }
}
