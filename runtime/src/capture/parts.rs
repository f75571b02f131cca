//! Structured message parts (semconv v1.41.0 `gen-ai-*-messages.json`): text, tool calls,
//! tool call responses, reasoning and multimodal parts, and how provider-shaped JSON (OpenAI,
//! Anthropic, Gemini) maps to them. How they are written — bounded, redacted, valid JSON
//! however they are cut — is the fitter's concern (`super::fit`).

use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value;

use super::{Content, Message};

/// JSON given either as a value or as the JSON text a provider sent (OpenAI's
/// `function.arguments`): text is never parsed whole, it is written as JSON when it is valid
/// JSON and as a JSON string otherwise.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonData<'a> {
    /// A JSON value.
    Value(Cow<'a, Value>),
    /// JSON text, as received.
    Text(Cow<'a, str>),
}

impl JsonData<'_> {
    /// The same data borrowing from this one.
    pub fn borrowed(&self) -> JsonData<'_> {
        match self {
            JsonData::Value(value) => JsonData::Value(Cow::Borrowed(&**value)),
            JsonData::Text(text) => JsonData::Text(Cow::Borrowed(&**text)),
        }
    }

    /// This data with every borrow turned into an owned copy.
    pub fn into_owned(self) -> JsonData<'static> {
        match self {
            JsonData::Value(value) => JsonData::Value(Cow::Owned(value.into_owned())),
            JsonData::Text(text) => JsonData::Text(Cow::Owned(text.into_owned())),
        }
    }
}

impl From<Value> for JsonData<'_> {
    fn from(value: Value) -> Self {
        JsonData::Value(Cow::Owned(value))
    }
}

impl<'a> From<&'a Value> for JsonData<'a> {
    fn from(value: &'a Value) -> Self {
        JsonData::Value(Cow::Borrowed(value))
    }
}

/// One part of a captured message, as semconv's message schemas define them.
#[derive(Debug, Clone, PartialEq)]
pub enum Part<'a> {
    /// Text (`{"type": "text", "content": …}`).
    Text(Cow<'a, str>),
    /// Reasoning or thinking text (`{"type": "reasoning", "content": …}`).
    Reasoning(Cow<'a, str>),
    /// A tool call requested by the model (`{"type": "tool_call", "id", "name", "arguments"}`).
    ToolCall {
        /// The call id, if the provider gives one.
        id: Option<Cow<'a, str>>,
        /// The tool name.
        name: Cow<'a, str>,
        /// The arguments.
        arguments: JsonData<'a>,
    },
    /// A tool's result sent back to the model (`{"type": "tool_call_response", "id", "response"}`).
    ToolCallResponse {
        /// The id of the call this answers.
        id: Option<Cow<'a, str>>,
        /// The result.
        response: JsonData<'a>,
    },
    /// Data referenced by URI (`{"type": "uri", "modality", "mime_type", "uri"}`).
    Uri {
        /// `image`, `video`, `audio`.
        modality: Cow<'a, str>,
        /// The IANA MIME type, if known.
        mime_type: Option<Cow<'a, str>>,
        /// The URI.
        uri: Cow<'a, str>,
    },
    /// Inline data (`{"type": "blob", "modality", "mime_type", "content"}`), base64.
    Blob {
        /// `image`, `video`, `audio`.
        modality: Cow<'a, str>,
        /// The IANA MIME type, if known.
        mime_type: Option<Cow<'a, str>>,
        /// The data, base64-encoded.
        content: Cow<'a, str>,
    },
    /// A file uploaded to the provider (`{"type": "file", "modality", "mime_type", "file_id"}`).
    File {
        /// `image`, `video`, `audio`, or another modality.
        modality: Cow<'a, str>,
        /// The IANA MIME type, if known.
        mime_type: Option<Cow<'a, str>>,
        /// The provider's file id.
        file_id: Cow<'a, str>,
    },
    /// Any JSON value (tool arguments or results, an application's own structure): the JSON
    /// itself in the tool-call attributes, its JSON text as a text part in messages.
    Json(JsonData<'a>),
}

impl<'a> Part<'a> {
    /// A text part.
    pub fn text(text: impl Into<Cow<'a, str>>) -> Self {
        Part::Text(text.into())
    }

    /// A tool call whose arguments arrive as JSON text (OpenAI's `function.arguments`):
    /// written as JSON when they are valid JSON, as a JSON string otherwise.
    pub fn tool_call_from_text(id: Option<&'a str>, name: &'a str, arguments: &'a str) -> Self {
        Part::ToolCall {
            id: id.map(Cow::Borrowed),
            name: Cow::Borrowed(name),
            arguments: JsonData::Text(Cow::Borrowed(arguments)),
        }
    }

    /// The same part borrowing from this one.
    pub fn borrowed(&self) -> Part<'_> {
        fn cow(text: &str) -> Cow<'_, str> {
            Cow::Borrowed(text)
        }
        fn opt<'b>(text: &'b Option<Cow<'_, str>>) -> Option<Cow<'b, str>> {
            text.as_deref().map(Cow::Borrowed)
        }
        match self {
            Part::Text(text) => Part::Text(cow(text)),
            Part::Reasoning(text) => Part::Reasoning(cow(text)),
            Part::ToolCall {
                id,
                name,
                arguments,
            } => Part::ToolCall {
                id: opt(id),
                name: cow(name),
                arguments: arguments.borrowed(),
            },
            Part::ToolCallResponse { id, response } => Part::ToolCallResponse {
                id: opt(id),
                response: response.borrowed(),
            },
            Part::Uri {
                modality,
                mime_type,
                uri,
            } => Part::Uri {
                modality: cow(modality),
                mime_type: opt(mime_type),
                uri: cow(uri),
            },
            Part::Blob {
                modality,
                mime_type,
                content,
            } => Part::Blob {
                modality: cow(modality),
                mime_type: opt(mime_type),
                content: cow(content),
            },
            Part::File {
                modality,
                mime_type,
                file_id,
            } => Part::File {
                modality: cow(modality),
                mime_type: opt(mime_type),
                file_id: cow(file_id),
            },
            Part::Json(value) => Part::Json(value.borrowed()),
        }
    }
}

impl<'a> From<&'a str> for Part<'a> {
    fn from(text: &'a str) -> Self {
        Part::Text(Cow::Borrowed(text))
    }
}

impl From<String> for Part<'_> {
    fn from(text: String) -> Self {
        Part::Text(Cow::Owned(text))
    }
}

impl<'a> From<Cow<'a, str>> for Part<'a> {
    fn from(text: Cow<'a, str>) -> Self {
        Part::Text(text)
    }
}

/// Any `Serialize` value captured as JSON (`#[tool]` arguments and results take any
/// `Serialize` value this way on their own; wrap one to pass it as `prompt`/`system`). The
/// value is serialized only when the policy captures content, and only as far as the byte
/// limit lets any of it be kept.
///
/// ```
/// use llmscope::capture::{Content, Json, JsonData, Part};
///
/// #[derive(serde::Serialize)]
/// struct Search { query: &'static str, top_k: u32 }
///
/// let mut messages = Vec::new();
/// Json(Search { query: "rust", top_k: 3 }).messages("tool", &mut messages);
/// let Part::Json(JsonData::Text(json)) = &messages[0].parts[0] else { unreachable!() };
/// assert_eq!(json, r#"{"query":"rust","top_k":3}"#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T: Serialize> Content for Json<T> {
    fn messages<'a>(&'a self, role: &'static str, out: &mut Vec<Message<'a>>) {
        let limit = super::capture_policy()
            .max_bytes()
            .saturating_add(2 * super::REDACTION_MARGIN);
        let text = super::fit::serialize_bounded(&self.0, limit)
            .unwrap_or_else(|error| format!("[not serializable: {error}]"));
        out.push(Message {
            role: Cow::Borrowed(role),
            parts: vec![Part::Json(JsonData::Text(Cow::Owned(text)))],
        });
    }
}

// ----- provider-shaped JSON to messages -----

/// Maps a JSON value to messages: a string is text in `role`; an array, its items; an
/// object with `role` a chat message in the OpenAI, Anthropic or Gemini shape (text,
/// multimodal content, tool calls, tool results, reasoning); any other object is one JSON part.
pub(crate) fn value_messages<'a>(value: &'a Value, role: &'static str, out: &mut Vec<Message<'a>>) {
    match value {
        Value::String(text) => out.push(Message::new(role, text.as_str())),
        Value::Array(items) => {
            for item in items {
                value_messages(item, role, out);
            }
        }
        Value::Object(object)
            if object.contains_key("role")
                || object.contains_key("content")
                || object.contains_key("parts") =>
        {
            let role = object.get("role").and_then(Value::as_str).unwrap_or(role);
            let mut parts = Vec::new();
            let tool_call_id = object.get("tool_call_id").and_then(Value::as_str);
            match (object.get("content"), tool_call_id) {
                // An OpenAI tool message: its content is the response.
                (Some(content), Some(id)) => parts.push(Part::ToolCallResponse {
                    id: Some(Cow::Borrowed(id)),
                    response: match content {
                        Value::String(text) => JsonData::Text(Cow::Borrowed(text)),
                        other => JsonData::from(other),
                    },
                }),
                (Some(Value::String(text)), None) => parts.push(Part::text(text.as_str())),
                (Some(Value::Array(items)), None) => {
                    parts.extend(items.iter().filter_map(block_part))
                }
                _ => {}
            }
            if let Some(Value::Array(items)) = object.get("parts") {
                parts.extend(items.iter().filter_map(gemini_part));
            }
            if let Some(reasoning) = object.get("reasoning_content").and_then(Value::as_str) {
                parts.insert(0, Part::Reasoning(Cow::Borrowed(reasoning)));
            }
            if let Some(Value::Array(calls)) = object.get("tool_calls") {
                parts.extend(calls.iter().filter_map(openai_tool_call));
            }
            out.push(Message {
                role: Cow::Borrowed(role),
                parts,
            });
        }
        Value::Null => {}
        other => out.push(Message {
            role: Cow::Borrowed(role),
            parts: vec![Part::Json(JsonData::from(other))],
        }),
    }
}

fn str_at<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// An OpenAI `tool_calls` entry: `{"id", "type": "function", "function": {"name", "arguments"}}`.
fn openai_tool_call(call: &Value) -> Option<Part<'_>> {
    let function = call.get("function")?;
    Some(Part::tool_call_from_text(
        str_at(call, "id"),
        str_at(function, "name")?,
        str_at(function, "arguments").unwrap_or(""),
    ))
}

/// One block of a content array: OpenAI (`text`, `image_url`, `input_audio`, `file`) or
/// Anthropic (`text`, `image`, `document`, `tool_use`, `tool_result`, `thinking`).
fn block_part(block: &Value) -> Option<Part<'_>> {
    let kind = str_at(block, "type").unwrap_or("text");
    Some(match kind {
        "text" | "input_text" | "output_text" => Part::text(str_at(block, "text")?),
        "refusal" => Part::text(str_at(block, "refusal")?),
        "thinking" => Part::Reasoning(Cow::Borrowed(str_at(block, "thinking")?)),
        "reasoning" => Part::Reasoning(Cow::Borrowed(str_at(block, "text")?)),
        "tool_use" | "server_tool_use" => Part::ToolCall {
            id: str_at(block, "id").map(Cow::Borrowed),
            name: Cow::Borrowed(str_at(block, "name")?),
            arguments: JsonData::from(block.get("input").unwrap_or(&Value::Null)),
        },
        "tool_result" => Part::ToolCallResponse {
            id: str_at(block, "tool_use_id").map(Cow::Borrowed),
            response: JsonData::from(block.get("content").unwrap_or(&Value::Null)),
        },
        "image_url" => {
            let url = block
                .get("image_url")
                .and_then(|image| str_at(image, "url").or_else(|| image.as_str()))?;
            data_url_part("image", url)
        }
        "input_audio" => {
            let audio = block.get("input_audio")?;
            Part::Blob {
                modality: Cow::Borrowed("audio"),
                mime_type: str_at(audio, "format").map(|f| Cow::Owned(format!("audio/{f}"))),
                content: Cow::Borrowed(str_at(audio, "data")?),
            }
        }
        "image" | "document" => {
            let modality = if kind == "image" { "image" } else { "document" };
            let source = block.get("source")?;
            let mime_type = str_at(source, "media_type").map(Cow::Borrowed);
            match str_at(source, "type") {
                Some("base64") => Part::Blob {
                    modality: Cow::Borrowed(modality),
                    mime_type,
                    content: Cow::Borrowed(str_at(source, "data")?),
                },
                Some("url") => Part::Uri {
                    modality: Cow::Borrowed(modality),
                    mime_type,
                    uri: Cow::Borrowed(str_at(source, "url")?),
                },
                Some("file") => Part::File {
                    modality: Cow::Borrowed(modality),
                    mime_type,
                    file_id: Cow::Borrowed(str_at(source, "file_id")?),
                },
                _ => return None,
            }
        }
        "file" => Part::File {
            modality: Cow::Borrowed("document"),
            mime_type: None,
            file_id: Cow::Borrowed(block.get("file").and_then(|f| str_at(f, "file_id"))?),
        },
        _ => return None,
    })
}

/// A `data:` URL is inline data (a blob); any other URL a URI part.
fn data_url_part<'a>(modality: &'static str, url: &'a str) -> Part<'a> {
    if let Some(rest) = url.strip_prefix("data:") {
        if let Some((mime, data)) = rest.split_once(";base64,") {
            return Part::Blob {
                modality: Cow::Borrowed(modality),
                mime_type: Some(Cow::Borrowed(mime)),
                content: Cow::Borrowed(data),
            };
        }
    }
    Part::Uri {
        modality: Cow::Borrowed(modality),
        mime_type: None,
        uri: Cow::Borrowed(url),
    }
}

/// A Gemini part: `text` (with `thought: true`, reasoning), `functionCall`,
/// `functionResponse`, `inlineData`, `fileData`.
fn gemini_part(part: &Value) -> Option<Part<'_>> {
    if let Some(text) = str_at(part, "text") {
        return Some(if part.get("thought") == Some(&Value::Bool(true)) {
            Part::Reasoning(Cow::Borrowed(text))
        } else {
            Part::text(text)
        });
    }
    if let Some(call) = part.get("functionCall") {
        return Some(Part::ToolCall {
            id: str_at(call, "id").map(Cow::Borrowed),
            name: Cow::Borrowed(str_at(call, "name")?),
            arguments: JsonData::from(call.get("args").unwrap_or(&Value::Null)),
        });
    }
    if let Some(response) = part.get("functionResponse") {
        return Some(Part::ToolCallResponse {
            id: str_at(response, "id").map(Cow::Borrowed),
            response: JsonData::from(response.get("response").unwrap_or(&Value::Null)),
        });
    }
    let modality_of = |mime: &str| -> &'static str {
        match mime.split('/').next() {
            Some("image") => "image",
            Some("audio") => "audio",
            Some("video") => "video",
            _ => "document",
        }
    };
    if let Some(data) = part.get("inlineData") {
        let mime = str_at(data, "mimeType").unwrap_or("");
        return Some(Part::Blob {
            modality: Cow::Borrowed(modality_of(mime)),
            mime_type: Some(Cow::Borrowed(mime)),
            content: Cow::Borrowed(str_at(data, "data")?),
        });
    }
    if let Some(data) = part.get("fileData") {
        let mime = str_at(data, "mimeType").unwrap_or("");
        return Some(Part::Uri {
            modality: Cow::Borrowed(modality_of(mime)),
            mime_type: Some(Cow::Borrowed(mime)),
            uri: Cow::Borrowed(str_at(data, "fileUri")?),
        });
    }
    None
}

/// The returned value itself as the output messages, for a return type that is
/// [`Content`] (the `llmscope::providers` response types are): `output = llmscope::capture::returned`
/// captures its tool calls, reasoning and text as `gen_ai.output.messages`.
pub fn returned<T: Content + ?Sized>(value: &T) -> &T {
    value
}

impl Part<'_> {
    /// This part with every borrow turned into an owned copy.
    pub fn into_owned(self) -> Part<'static> {
        fn own(text: Cow<'_, str>) -> Cow<'static, str> {
            Cow::Owned(text.into_owned())
        }
        fn own_opt(text: Option<Cow<'_, str>>) -> Option<Cow<'static, str>> {
            text.map(own)
        }
        match self {
            Part::Text(text) => Part::Text(own(text)),
            Part::Reasoning(text) => Part::Reasoning(own(text)),
            Part::ToolCall {
                id,
                name,
                arguments,
            } => Part::ToolCall {
                id: own_opt(id),
                name: own(name),
                arguments: arguments.into_owned(),
            },
            Part::ToolCallResponse { id, response } => Part::ToolCallResponse {
                id: own_opt(id),
                response: response.into_owned(),
            },
            Part::Uri {
                modality,
                mime_type,
                uri,
            } => Part::Uri {
                modality: own(modality),
                mime_type: own_opt(mime_type),
                uri: own(uri),
            },
            Part::Blob {
                modality,
                mime_type,
                content,
            } => Part::Blob {
                modality: own(modality),
                mime_type: own_opt(mime_type),
                content: own(content),
            },
            Part::File {
                modality,
                mime_type,
                file_id,
            } => Part::File {
                modality: own(modality),
                mime_type: own_opt(mime_type),
                file_id: own(file_id),
            },
            Part::Json(value) => Part::Json(value.into_owned()),
        }
    }
}

impl Message<'_> {
    /// This message with every borrow turned into an owned copy.
    pub fn into_owned(self) -> Message<'static> {
        Message {
            role: Cow::Owned(self.role.into_owned()),
            parts: self.parts.into_iter().map(Part::into_owned).collect(),
        }
    }
}

/// Appends the messages of a value that serializes to provider-shaped JSON (an OpenAI chat
/// message, say), owned: for client types that are `Serialize` but not borrowable as JSON.
#[cfg_attr(not(feature = "async-openai"), allow(dead_code))]
pub(crate) fn serialized_messages<T: Serialize + ?Sized>(
    value: &T,
    role: &'static str,
    out: &mut Vec<Message<'_>>,
) {
    let Ok(json) = serde_json::to_value(value) else {
        return;
    };
    let mut messages = Vec::new();
    value_messages(&json, role, &mut messages);
    let owned: Vec<Message<'static>> = messages.into_iter().map(Message::into_owned).collect();
    out.extend(owned);
}
