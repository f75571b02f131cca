//! Finish reasons normalised to the values semconv v1.41.0 names (`FinishReason` in
//! `gen-ai-output-messages.json`: `stop`, `length`, `content_filter`, `tool_call`, `error`)
//! from each provider's own words. `gen_ai.response.finish_reasons` and the output messages'
//! `finish_reason` carry the normalised value; the provider's words are kept in
//! `llmscope.response.finish_reasons.raw` when any of them differs. A value no mapping knows
//! (`pause_turn`, `OTHER`, an application's own) is kept as it is: semconv allows any string.

/// The semconv finish reason for a provider's `raw` value, or `raw` itself when unknown.
///
/// | semconv | OpenAI | Anthropic | Gemini |
/// |---|---|---|---|
/// | `stop` | `stop` | `end_turn`, `stop_sequence` | `STOP` |
/// | `length` | `length`, `max_output_tokens` | `max_tokens`, `model_context_window_exceeded` | `MAX_TOKENS` |
/// | `content_filter` | `content_filter` | `refusal` | `SAFETY`, `RECITATION`, `BLOCKLIST`, `PROHIBITED_CONTENT`, `SPII`, `IMAGE_SAFETY` |
/// | `tool_call` | `tool_calls`, `function_call` | `tool_use` | — (a `functionCall` part ends with `STOP`) |
/// | `error` | — | — | `MALFORMED_FUNCTION_CALL`, `UNEXPECTED_TOOL_CALL` |
pub(crate) fn normalize(raw: &str) -> &str {
    semconv(raw).unwrap_or(raw)
}

/// The semconv finish reason for a provider's `raw` value (a `'static` string, so writing it
/// allocates nothing), or `None` when no mapping knows `raw`.
pub(crate) fn semconv(raw: &str) -> Option<&'static str> {
    Some(match raw {
        "stop" | "end_turn" | "stop_sequence" | "STOP" | "completed" => "stop",
        "length"
        | "max_tokens"
        | "max_output_tokens"
        | "model_context_window_exceeded"
        | "MAX_TOKENS" => "length",
        "content_filter" | "refusal" | "SAFETY" | "RECITATION" | "BLOCKLIST"
        | "PROHIBITED_CONTENT" | "SPII" | "IMAGE_SAFETY" => "content_filter",
        "tool_call" | "tool_calls" | "function_call" | "tool_use" => "tool_call",
        "error" | "MALFORMED_FUNCTION_CALL" | "UNEXPECTED_TOOL_CALL" => "error",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn each_provider_word_maps_to_the_semconv_value_and_unknown_ones_stay() {
        for (raw, expected) in [
            ("tool_calls", "tool_call"),
            ("function_call", "tool_call"),
            ("end_turn", "stop"),
            ("max_tokens", "length"),
            ("stop_sequence", "stop"),
            ("tool_use", "tool_call"),
            ("STOP", "stop"),
            ("MAX_TOKENS", "length"),
            ("SAFETY", "content_filter"),
            ("pause_turn", "pause_turn"),
        ] {
            assert_eq!(normalize(raw), expected, "{raw}");
        }
    }
}
