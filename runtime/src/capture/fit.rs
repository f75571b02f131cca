//! Fitting content into the byte limit (see [size](super#size)): which messages and parts are
//! kept, chosen on the raw text in a pass that stops reading at the limit; only what is kept
//! is serialized and redacted; what is written is the semconv JSON of the kept parts, valid
//! JSON however it is cut.
//!
//! A part is a fixed frame (`{"type":"tool_call","id":…,"name":…,"arguments":` … `}`) around
//! one body: text (a JSON string), JSON text (written as is when it is valid JSON, else as a
//! string) or a JSON value (serialized only as far as the room lets any of it be kept). A cut
//! text keeps its beginning and ends with [`TRUNCATION_MARKER`]; cut JSON keeps its structure
//! (`json_prefix`).

use std::borrow::Cow;
use std::fmt;
use std::io;

use serde::Serialize;
use serde_json::Value;

use super::json_prefix;
use super::parts::{JsonData, Part};
use super::{floor_char_boundary, ContentKind, Message, REDACTION_MARGIN, TRUNCATION_MARKER};

/// A cut part keeps at least this many bytes of text, else it is left out.
const MIN_CUT_TEXT: usize = 16;

/// The serialized shape of one kind of content, and what each piece of it costs in bytes.
pub(super) struct Layout<'f> {
    kind: ContentKind,
    finish_reason: &'f str,
}

impl<'f> Layout<'f> {
    pub(super) fn of(kind: ContentKind, finish_reason: Option<&'f str>) -> Self {
        Layout {
            kind,
            finish_reason: finish_reason.unwrap_or("stop"),
        }
    }

    /// Whether the content is JSON (messages) rather than plain text (tool arguments and
    /// results, the retrieval query).
    fn json(&self) -> bool {
        !self.kind.is_text()
    }

    /// Bytes around everything (`[` `]` of a JSON array; nothing for plain text).
    fn frame(&self) -> usize {
        if self.json() {
            2
        } else {
            0
        }
    }

    /// Bytes of a message without its parts, its separator included.
    fn message_overhead(&self, role: &str) -> usize {
        match self.kind {
            // {"role":R,"parts":[…]},
            ContentKind::Input => 8 + quoted_len(role) + 10 + 2 + 1,
            // {"role":R,"parts":[…],"finish_reason":F},
            ContentKind::Output => {
                8 + quoted_len(role) + 10 + 1 + 17 + quoted_len(self.finish_reason) + 1 + 1
            }
            _ => 0,
        }
    }

    /// Bytes of a part besides its body: the head, the closing brace and the separator (a
    /// newline between texts).
    fn part_frame(&self, part: &Part<'_>) -> usize {
        if self.json() {
            head_len(part) + 1 + 1
        } else {
            1
        }
    }

    /// Bytes of `body` once written whole, reading no further than needed to exceed `cap`
    /// (the result is then some value above `cap`).
    fn body_len(&self, body: &Body<'_>, cap: usize) -> usize {
        match body {
            Body::Str(text) if self.json() => escaped_len(text, cap).saturating_add(2),
            Body::Str(text) => text.len(),
            Body::Json(text) => {
                if !self.json() || text.len() > cap || is_json(text) {
                    text.len()
                } else {
                    escaped_len(text, cap).saturating_add(2)
                }
            }
            Body::Value(value, as_text) => {
                serialized_len(value, self.json() && *as_text, cap.saturating_add(1))
            }
        }
    }

    /// The longest cut of `body` that fits `room` with the marker, and its size; `None` when
    /// less than [`MIN_CUT_TEXT`] would be kept.
    fn cut_body(&self, body: &Body<'_>, room: usize) -> Option<(Cut, usize)> {
        if room < MIN_CUT_TEXT {
            return None;
        }
        match body {
            Body::Str(text) => self.cut_text(text, room),
            Body::Json(text) => self.cut_json(text, room),
            Body::Value(value, as_text) => {
                let (window, _) = serialize_bounded_window(value, room);
                if self.json() && *as_text {
                    self.cut_text(&window, room)
                } else {
                    self.cut_json(&window, room)
                }
            }
        }
    }

    fn cut_json(&self, text: &str, room: usize) -> Option<(Cut, usize)> {
        match json_prefix::cut(text, room, TRUNCATION_MARKER) {
            Some((at, size)) => Some((Cut { at, json: true }, size)),
            None => self.cut_text(text, room),
        }
    }

    /// A cut of `text` written as a string (plain text in a text kind).
    fn cut_text(&self, text: &str, room: usize) -> Option<(Cut, usize)> {
        let (quotes, marker) = if self.json() {
            (2, escaped_len(TRUNCATION_MARKER, usize::MAX))
        } else {
            (0, TRUNCATION_MARKER.len())
        };
        let text_room = room.checked_sub(quotes + marker)?;
        let at = if self.json() {
            cut_escaped(text, text_room)
        } else {
            floor_char_boundary(text, text_room)
        };
        let written = if self.json() {
            escaped_len(&text[..at], usize::MAX)
        } else {
            at
        };
        Some((Cut { at, json: false }, quotes + written + marker))
    }
}

/// The longest prefix of `text` (a char boundary) whose escaped bytes fit `room`.
fn cut_escaped(text: &str, room: usize) -> usize {
    let mut used = 0;
    for (index, ch) in text.char_indices() {
        used += escaped_char_len(ch);
        if used > room {
            return index;
        }
    }
    text.len()
}

/// Whether `text` is one valid JSON document.
fn is_json(text: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

/// JSON-escaped length of `text` without quotes, as serde_json writes it; stops counting once
/// past `cap` (the result is then some value above `cap`).
pub(super) fn escaped_len(text: &str, cap: usize) -> usize {
    let mut len = 0usize;
    for chunk in text.as_bytes().chunks(256) {
        len += chunk.len();
        for &byte in chunk {
            len += match byte {
                b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 1,
                0..=0x1f => 5,
                _ => 0,
            };
        }
        if len > cap {
            return len;
        }
    }
    len
}

pub(super) fn escaped_char_len(ch: char) -> usize {
    match ch {
        '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
        '\0'..='\u{1f}' => 6,
        _ => ch.len_utf8(),
    }
}

pub(super) fn quoted_len(text: &str) -> usize {
    escaped_len(text, usize::MAX) + 2
}

/// Writes `text` as a JSON string, escaped as serde_json escapes it.
pub(super) fn write_json_str(out: &mut String, text: &str) {
    out.push('"');
    let mut copied = 0;
    for (index, byte) in text.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&text[copied..index]);
        if escape.is_empty() {
            use fmt::Write as _;
            let _ = write!(out, "\\u{byte:04x}");
        } else {
            out.push_str(escape);
        }
        copied = index + 1;
    }
    out.push_str(&text[copied..]);
    out.push('"');
}

// ----- bounded serialization -----

/// An `io::Write` that keeps the first `limit` bytes and then fails the serialization; with
/// `escaped`, it counts the bytes the output takes written as a JSON string instead of keeping
/// them.
struct Bounded {
    out: Vec<u8>,
    count: usize,
    limit: usize,
    keep: bool,
    escaped: bool,
    full: bool,
}

impl io::Write for Bounded {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let size = if self.escaped {
            bytes.len() + bytes.iter().filter(|b| matches!(b, b'"' | b'\\')).count()
        } else {
            bytes.len()
        };
        let room = self.limit - self.count;
        if size > room {
            if self.keep {
                self.out.extend_from_slice(&bytes[..room.min(bytes.len())]);
            }
            self.count = self.limit;
            self.full = true;
            return Err(io::Error::other("limit reached"));
        }
        if self.keep {
            self.out.extend_from_slice(bytes);
        }
        self.count += size;
        Ok(bytes.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn bounded(limit: usize, keep: bool, escaped: bool) -> Bounded {
    Bounded {
        out: Vec::new(),
        count: 0,
        limit,
        keep,
        escaped,
        full: false,
    }
}

/// The JSON text of `value`, at most `limit` bytes of it (cut on a char boundary when it is
/// longer): work bounded by the limit, not by the size of the value.
///
/// # Errors
///
/// The serializer's error when `value` cannot be serialized.
pub(super) fn serialize_bounded<T: Serialize + ?Sized>(
    value: &T,
    limit: usize,
) -> Result<String, serde_json::Error> {
    let mut writer = bounded(limit, true, false);
    if let Err(error) = serde_json::to_writer(&mut writer, value) {
        if !writer.full {
            return Err(error);
        }
    }
    Ok(into_text(writer.out))
}

/// [`serialize_bounded`] for a value, and whether it was cut.
fn serialize_bounded_window(value: &Value, limit: usize) -> (String, bool) {
    let mut writer = bounded(limit, true, false);
    let _ = serde_json::to_writer(&mut writer, value);
    (into_text(writer.out), writer.full)
}

fn into_text(mut bytes: Vec<u8>) -> String {
    if let Err(error) = std::str::from_utf8(&bytes) {
        bytes.truncate(error.valid_up_to());
    }
    String::from_utf8(bytes).expect("cut to valid UTF-8")
}

/// Bytes of `value`'s JSON text (escaped as a string when `escaped`), counting no further
/// than `cap` (the result is then `cap`).
fn serialized_len(value: &Value, escaped: bool, cap: usize) -> usize {
    let mut writer = bounded(cap, false, escaped);
    let _ = serde_json::to_writer(&mut writer, value);
    writer.count + usize::from(escaped) * 2
}

// ----- parts -----

/// A part's body, the piece of it that is content.
enum Body<'m> {
    /// Text, written as a JSON string (plain in a text kind).
    Str(Cow<'m, str>),
    /// JSON text: written as is when it is valid JSON, else as a string.
    Json(Cow<'m, str>),
    /// A JSON value, serialized when read; `true` writes its JSON text as a string (a JSON
    /// part in a message is a text part).
    Value(&'m Value, bool),
}

/// A value of a part's head.
enum Field<'p> {
    Null,
    Str(&'p str),
}

fn opt_field<'p>(text: &'p Option<Cow<'_, str>>) -> Field<'p> {
    match text {
        Some(text) => Field::Str(text),
        None => Field::Null,
    }
}

/// A part's type, its fields before the body, and the body's key.
fn head_fields<'p>(
    part: &'p Part<'_>,
) -> (
    &'static str,
    [Option<(&'static str, Field<'p>)>; 2],
    &'static str,
) {
    match part {
        Part::Text(_) | Part::Json(_) => ("text", [None, None], "content"),
        Part::Reasoning(_) => ("reasoning", [None, None], "content"),
        Part::ToolCall { id, name, .. } => (
            "tool_call",
            [
                Some(("id", opt_field(id))),
                Some(("name", Field::Str(name))),
            ],
            "arguments",
        ),
        Part::ToolCallResponse { id, .. } => (
            "tool_call_response",
            [Some(("id", opt_field(id))), None],
            "response",
        ),
        Part::Uri {
            modality,
            mime_type,
            ..
        } => (
            "uri",
            [
                Some(("modality", Field::Str(modality))),
                Some(("mime_type", opt_field(mime_type))),
            ],
            "uri",
        ),
        Part::Blob {
            modality,
            mime_type,
            ..
        } => (
            "blob",
            [
                Some(("modality", Field::Str(modality))),
                Some(("mime_type", opt_field(mime_type))),
            ],
            "content",
        ),
        Part::File {
            modality,
            mime_type,
            ..
        } => (
            "file",
            [
                Some(("modality", Field::Str(modality))),
                Some(("mime_type", opt_field(mime_type))),
            ],
            "file_id",
        ),
    }
}

/// Bytes of `{"type":T,"k":v,…,"body":`.
fn head_len(part: &Part<'_>) -> usize {
    let (kind, fields, body) = head_fields(part);
    let mut len = 8 + quoted_len(kind);
    for (key, value) in fields.iter().flatten() {
        len += 4 + key.len();
        len += match value {
            Field::Null => 4,
            Field::Str(text) => quoted_len(text),
        };
    }
    len + 4 + body.len()
}

fn write_head(out: &mut String, part: &Part<'_>) {
    let (kind, fields, body) = head_fields(part);
    out.push_str(r#"{"type":"#);
    write_json_str(out, kind);
    for (key, value) in fields.iter().flatten() {
        out.push_str(",\"");
        out.push_str(key);
        out.push_str("\":");
        match value {
            Field::Null => out.push_str("null"),
            Field::Str(text) => write_json_str(out, text),
        }
    }
    out.push_str(",\"");
    out.push_str(body);
    out.push_str("\":");
}

/// The body of `part` in `layout`, and whether it is redacted (base64 data and file ids are
/// not text a detector can read).
fn body_of<'m>(layout: &Layout<'_>, part: &'m Part<'m>) -> (Body<'m>, bool) {
    let json = |data: &'m JsonData<'m>, in_text_part: bool| match data {
        JsonData::Text(text) if in_text_part => Body::Str(Cow::Borrowed(&**text)),
        JsonData::Text(text) => Body::Json(Cow::Borrowed(&**text)),
        JsonData::Value(value) => Body::Value(value, in_text_part),
    };
    match part {
        Part::Text(text) | Part::Reasoning(text) => (Body::Str(Cow::Borrowed(&**text)), true),
        Part::ToolCall {
            arguments: data, ..
        }
        | Part::ToolCallResponse { response: data, .. } => (json(data, false), true),
        Part::Json(data) => (json(data, layout.json()), true),
        Part::Uri { uri, .. } => (Body::Str(Cow::Borrowed(&**uri)), true),
        Part::Blob { content, .. } => (Body::Str(Cow::Borrowed(&**content)), false),
        Part::File { file_id, .. } => (Body::Str(Cow::Borrowed(&**file_id)), false),
    }
}

/// One part of a message being fitted.
struct Piece<'m> {
    part: &'m Part<'m>,
    body: Body<'m>,
    redact: bool,
    /// Already cut (it ends with the margin dropped after redaction): written cut, never whole.
    cut: bool,
}

/// One message being fitted.
struct Draft<'m> {
    role: &'m str,
    pieces: Vec<Piece<'m>>,
}

/// Where a body is cut: at byte `at` of its text (its JSON text for a value), closed as JSON
/// (`json`) or written as a cut string.
#[derive(Clone, Copy)]
struct Cut {
    at: usize,
    json: bool,
}

/// What is kept of one message: its first `parts` parts, the last of them cut if set.
#[derive(Clone, Copy)]
struct Keep {
    message: usize,
    parts: usize,
    cut: Option<Cut>,
}

/// The fitted content.
pub(super) struct Fitted {
    pub(super) text: String,
    pub(super) truncated: bool,
    pub(super) omitted: usize,
}

/// Serializes `messages` per the semconv schema of the layout's kind in at most `max_bytes`,
/// valid JSON whatever is cut, in time linear in what is kept (plus one step per message).
///
/// When everything does not fit, what is kept is, in this order of priority:
/// 1. the newest message (cut, keeping its beginning, if it alone is too long);
/// 2. the first message (the system prompt or task that framed the exchange), in at most a
///    quarter of the room left, cut if longer;
/// 3. the messages just before the newest, as many as fit whole.
///
/// Messages in between are left out (counted in `omitted`); a cut text ends with
/// [`TRUNCATION_MARKER`]. Only kept text reaches `transform` (the redactor): a cut part is
/// handed over with [`REDACTION_MARGIN`] more bytes, dropped again afterwards.
pub(super) fn fit<'m>(
    layout: &Layout<'_>,
    messages: &'m [Message<'m>],
    transform: &dyn Fn(&str) -> Cow<'_, str>,
    max_bytes: usize,
) -> Fitted {
    let raw: Vec<Draft<'m>> = messages
        .iter()
        .map(|message| Draft {
            role: &message.role,
            pieces: message
                .parts
                .iter()
                .map(|part| {
                    let (body, redact) = body_of(layout, part);
                    Piece {
                        part,
                        body,
                        redact,
                        cut: false,
                    }
                })
                .collect(),
        })
        .collect();
    if max_bytes == usize::MAX {
        let keeps: Vec<Keep> = (0..raw.len())
            .map(|message| Keep {
                message,
                parts: raw[message].pieces.len(),
                cut: None,
            })
            .collect();
        return Fitted {
            text: write(layout, &raw, &keeps),
            truncated: false,
            omitted: 0,
        };
    }
    let budget = max_bytes.saturating_sub(layout.frame());
    // First pass on the raw text: which messages and how much of each, reading at most
    // about `budget` bytes of text in all.
    let first = select(layout, &raw, budget);
    // Serialize and redact only what is kept; a cut part with a margin past the cut.
    let mut drafts = Vec::with_capacity(first.len());
    for keep in &first {
        let draft = &raw[keep.message];
        let mut pieces = Vec::with_capacity(keep.parts);
        for (index, piece) in draft.pieces[..keep.parts].iter().enumerate() {
            let cut = if index + 1 == keep.parts {
                keep.cut
            } else {
                None
            };
            pieces.push(materialize(layout, piece, cut, transform));
        }
        drafts.push(Draft {
            role: draft.role,
            pieces,
        });
    }
    // Second pass on the redacted text (redaction changes lengths): bounded by what the first
    // pass kept.
    let second = select(layout, &drafts, budget);
    let text = write(layout, &drafts, &second);
    debug_assert!(text.len() <= max_bytes, "{} > {max_bytes}", text.len());
    let truncated = second.len() < messages.len()
        || second.iter().any(|keep| {
            let draft = &drafts[keep.message];
            let original = &messages[first[keep.message].message];
            keep.cut.is_some()
                || keep.parts < original.parts.len()
                || draft.pieces[..keep.parts].iter().any(|piece| piece.cut)
        });
    Fitted {
        text,
        truncated,
        omitted: messages.len() - second.len(),
    }
}

/// The kept piece with its body as (redacted) text: whole, or its beginning up to the cut
/// plus the margin, redacted, the margin dropped again.
fn materialize<'m>(
    layout: &Layout<'_>,
    piece: &Piece<'m>,
    cut: Option<Cut>,
    transform: &dyn Fn(&str) -> Cow<'_, str>,
) -> Piece<'m> {
    let redact = |text: Cow<'m, str>| -> Cow<'m, str> {
        if !piece.redact {
            return text;
        }
        WORK.with(|work| work.set(work.get().saturating_add(text.len() as u64)));
        let redacted = match transform(&text) {
            Cow::Borrowed(_) => None,
            Cow::Owned(redacted) => Some(redacted),
        };
        match redacted {
            Some(redacted) => Cow::Owned(redacted),
            None => text,
        }
    };
    // The body's text and whether it is written as a string.
    let (source, as_string): (Cow<'m, str>, bool) = match &piece.body {
        Body::Str(text) => (text.clone(), true),
        Body::Json(text) => (text.clone(), false),
        Body::Value(value, as_text) => {
            let limit = match cut {
                Some(cut) => cut.at.saturating_add(REDACTION_MARGIN).saturating_add(1),
                None => usize::MAX,
            };
            let (text, _) = serialize_bounded_window(value, limit);
            (Cow::Owned(text), layout.json() && *as_text)
        }
    };
    let (text, windowed) = match cut {
        None => (redact(source), false),
        Some(cut) => {
            let end = floor_char_boundary(&source, cut.at.saturating_add(REDACTION_MARGIN));
            let windowed = end < source.len();
            let window = match source {
                Cow::Borrowed(text) => Cow::Borrowed(&text[..end]),
                Cow::Owned(mut text) => {
                    text.truncate(end);
                    Cow::Owned(text)
                }
            };
            let mut text = redact(window);
            if windowed {
                let keep_to =
                    floor_char_boundary(&text, text.len().saturating_sub(REDACTION_MARGIN));
                match &mut text {
                    Cow::Borrowed(text) => *text = &text[..keep_to],
                    Cow::Owned(text) => text.truncate(keep_to),
                }
            }
            (text, windowed)
        }
    };
    let json_cut = cut.is_some_and(|cut| cut.json);
    Piece {
        part: piece.part,
        body: if as_string || (cut.is_some() && !json_cut) {
            Body::Str(text)
        } else {
            Body::Json(text)
        },
        redact: piece.redact,
        cut: windowed,
    }
}

thread_local! {
    static WORK: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Bytes of content handed to the redactor on this thread so far.
pub(super) fn work() -> u64 {
    WORK.with(std::cell::Cell::get)
}

/// Chooses what of `drafts` fits `budget` (see [`fit`] for the order), reading no more text
/// than it keeps plus one part per message tried.
fn select(layout: &Layout<'_>, drafts: &[Draft<'_>], budget: usize) -> Vec<Keep> {
    let Some(newest) = drafts.len().checked_sub(1) else {
        return Vec::new();
    };
    let mut keeps = Vec::new();
    let mut room = budget;
    let whole = |message: usize| Keep {
        message,
        parts: drafts[message].pieces.len(),
        cut: None,
    };
    match place(layout, &drafts[newest], room) {
        Placed::Whole(size) => {
            room -= size;
            keeps.push(whole(newest));
        }
        Placed::Cut(parts, cut, _) => {
            keeps.push(Keep {
                message: newest,
                parts,
                cut,
            });
            return keeps;
        }
        Placed::None => return keeps,
    }
    if newest > 0 {
        match place(layout, &drafts[0], room / 4) {
            Placed::Whole(size) => {
                room -= size;
                keeps.push(whole(0));
            }
            Placed::Cut(parts, cut, size) => {
                room -= size;
                keeps.push(Keep {
                    message: 0,
                    parts,
                    cut,
                });
            }
            Placed::None => {}
        }
        for message in (1..newest).rev() {
            match place(layout, &drafts[message], room) {
                Placed::Whole(size) => {
                    room -= size;
                    keeps.push(whole(message));
                }
                _ => break,
            }
        }
    }
    keeps.sort_unstable_by_key(|keep| keep.message);
    keeps
}

/// How a message fits a room.
enum Placed {
    /// Whole, in this many bytes.
    Whole(usize),
    /// Its first parts, the last cut if set, in this many bytes.
    Cut(usize, Option<Cut>, usize),
    /// Not at all.
    None,
}

fn place(layout: &Layout<'_>, draft: &Draft<'_>, room: usize) -> Placed {
    let mut used = layout.message_overhead(draft.role);
    if used > room {
        return Placed::None;
    }
    for (index, piece) in draft.pieces.iter().enumerate() {
        let left = room - used;
        let frame = layout.part_frame(piece.part);
        if !piece.cut && frame <= left {
            let cost = frame.saturating_add(layout.body_len(&piece.body, left - frame));
            if cost <= left {
                used += cost;
                continue;
            }
        }
        // This part does not fit (or was cut before): cut it, or stop before it.
        if let Some((cut, size)) = left
            .checked_sub(frame)
            .and_then(|body_room| layout.cut_body(&piece.body, body_room))
        {
            return Placed::Cut(index + 1, Some(cut), used + frame + size);
        }
        if index == 0 {
            return Placed::None;
        }
        return Placed::Cut(index, None, used);
    }
    Placed::Whole(used)
}

/// Writes the kept parts of `drafts` in the layout's shape.
fn write(layout: &Layout<'_>, drafts: &[Draft<'_>], keeps: &[Keep]) -> String {
    let mut out = String::new();
    let body = |keep: &Keep, index: usize, piece: &Piece<'_>, out: &mut String| {
        let cut = if index + 1 == keep.parts {
            keep.cut
        } else {
            None
        };
        write_body(layout, &piece.body, cut, out);
    };
    let parts = |keep: &Keep, out: &mut String, first: &mut bool| {
        for (index, piece) in drafts[keep.message].pieces[..keep.parts].iter().enumerate() {
            if !std::mem::take(first) {
                out.push(',');
            }
            write_head(out, piece.part);
            body(keep, index, piece, out);
            out.push('}');
        }
    };
    match layout.kind {
        ContentKind::ToolArguments | ContentKind::ToolResult | ContentKind::RetrievalQuery => {
            let mut first = true;
            for keep in keeps {
                for (index, piece) in drafts[keep.message].pieces[..keep.parts].iter().enumerate() {
                    if !std::mem::take(&mut first) {
                        out.push('\n');
                    }
                    body(keep, index, piece, &mut out);
                }
            }
        }
        ContentKind::System => {
            out.push('[');
            let mut first = true;
            for keep in keeps {
                parts(keep, &mut out, &mut first);
            }
            out.push(']');
        }
        ContentKind::Input | ContentKind::Output => {
            out.push('[');
            for (position, keep) in keeps.iter().enumerate() {
                if position > 0 {
                    out.push(',');
                }
                out.push_str(r#"{"role":"#);
                write_json_str(&mut out, drafts[keep.message].role);
                out.push_str(r#","parts":["#);
                parts(keep, &mut out, &mut true);
                out.push(']');
                if layout.kind == ContentKind::Output {
                    out.push_str(r#","finish_reason":"#);
                    write_json_str(&mut out, layout.finish_reason);
                }
                out.push('}');
            }
            out.push(']');
        }
    }
    out
}

/// Writes a body whole or cut.
fn write_body(layout: &Layout<'_>, body: &Body<'_>, cut: Option<Cut>, out: &mut String) {
    let serialized;
    let (text, as_string) = match body {
        Body::Str(text) => (&**text, true),
        Body::Json(text) => (&**text, false),
        Body::Value(value, as_text) => {
            serialized = serde_json::to_string(value).unwrap_or_default();
            (serialized.as_str(), *as_text)
        }
    };
    match cut {
        Some(Cut { at, json: true }) => json_prefix::write(out, text, at, TRUNCATION_MARKER),
        Some(Cut { at, json: false }) if layout.json() => {
            let mut owned = String::with_capacity(at + TRUNCATION_MARKER.len());
            owned.push_str(&text[..at]);
            owned.push_str(TRUNCATION_MARKER);
            write_json_str(out, &owned);
        }
        Some(Cut { at, json: false }) => {
            out.push_str(&text[..at]);
            out.push_str(TRUNCATION_MARKER);
        }
        None if !layout.json() => out.push_str(text),
        None if as_string || !is_json(text) => write_json_str(out, text),
        None => out.push_str(text),
    }
}

/// Content bytes of `messages` (hash mode's `*.length`): texts, and JSON as its JSON text.
pub(super) fn content_len(messages: &[Message<'_>]) -> usize {
    let json_len = |data: &JsonData<'_>| match data {
        JsonData::Text(text) => text.len(),
        JsonData::Value(value) => serialized_len(value, false, usize::MAX),
    };
    messages
        .iter()
        .flat_map(|message| message.parts.iter())
        .map(|part| match part {
            Part::Text(text) | Part::Reasoning(text) => text.len(),
            Part::ToolCall {
                arguments: data, ..
            }
            | Part::ToolCallResponse { response: data, .. }
            | Part::Json(data) => json_len(data),
            Part::Uri { uri, .. } => uri.len(),
            Part::Blob { content, .. } => content.len(),
            Part::File { file_id, .. } => file_id.len(),
        })
        .sum()
}
