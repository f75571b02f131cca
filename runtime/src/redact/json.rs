//! Redaction of JSON content on its decoded values.
//!
//! Tool arguments and results, messages and attribute values often arrive as JSON text. Scanning
//! the text as written misses secrets next to an escape (`"Line one\n5105 1051 0510 5100"`: the
//! `n` touches the number) and secrets written with escapes (`\u0034111…`). So when content is a
//! JSON document, each string (object keys included: `{"jane@example.com": 1}`) is decoded,
//! redacted as text, and re-encoded in place; a number that a detector matches becomes a string
//! holding the placeholder. Everything else — key order, spacing, the other values — stays byte
//! for byte. A string that is itself a JSON document (JSON escaped twice) is redacted the same
//! way, a few levels deep.
//!
//! An object member's key is read as context for its value, so `{"ssn": "078051120"}` is
//! redacted like `ssn: 078051120`.

use std::borrow::Cow;

use super::Redactor;

/// How many levels of JSON inside JSON strings are decoded.
pub(crate) const MAX_DEPTH: u32 = 4;

/// Whether `text` may be a JSON document worth decoding: an object, an array or a string.
fn looks_like_json(text: &str) -> bool {
    matches!(
        text.trim_start().as_bytes().first(),
        Some(b'{' | b'[' | b'"')
    ) && matches!(text.trim_end().as_bytes().last(), Some(b'}' | b']' | b'"'))
}

/// `text` redacted on its decoded values when it is a JSON document; `None` when it is not.
pub(crate) fn redact<'a>(redactor: &Redactor, text: &'a str, depth: u32) -> Option<Cow<'a, str>> {
    if depth >= MAX_DEPTH
        || !looks_like_json(text)
        || serde_json::from_str::<serde::de::IgnoredAny>(text).is_err()
    {
        return None;
    }
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    // The decoded key of the member whose value comes next.
    let mut key: Option<String> = None;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let end = string_end(bytes, i);
                let literal = &text[i..end];
                let decoded: Cow<'_, str> = if literal.contains('\\') {
                    Cow::Owned(serde_json::from_str(literal).expect("validated above"))
                } else {
                    Cow::Borrowed(&literal[1..literal.len() - 1])
                };
                let is_key = next_significant(bytes, end) == Some(b':');
                let redacted = if is_key {
                    redactor.redact_content_at(&decoded, depth + 1)
                } else {
                    value_in_context(redactor, key.take().as_deref(), &decoded, depth)
                };
                if let Cow::Owned(redacted) = redacted {
                    let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
                    out.push_str(&text[copied..i]);
                    out.push_str(&serde_json::to_string(&redacted).expect("a string encodes"));
                    copied = end;
                }
                if is_key {
                    key = Some(decoded.into_owned());
                }
                i = end;
            }
            b'-' | b'0'..=b'9' => {
                let end = number_end(bytes, i);
                let number = &text[i..end];
                if let Cow::Owned(redacted) =
                    value_in_context(redactor, key.take().as_deref(), number, depth)
                {
                    let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
                    out.push_str(&text[copied..i]);
                    out.push_str(&serde_json::to_string(&redacted).expect("a string encodes"));
                    copied = end;
                }
                i = end;
            }
            b',' | b'{' | b'[' | b'}' | b']' => {
                key = None;
                i += 1;
            }
            _ => i += 1,
        }
    }
    Some(match out {
        None => Cow::Borrowed(text),
        Some(mut out) => {
            out.push_str(&text[copied..]);
            Cow::Owned(out)
        }
    })
}

/// Redacts an object member's value with its key in front (`ssn: 078051120`), so detectors that
/// need a context see it; the value alone when there is no key or the key itself changes.
fn value_in_context<'a>(
    redactor: &Redactor,
    key: Option<&str>,
    value: &'a str,
    depth: u32,
) -> Cow<'a, str> {
    let alone = redactor.redact_content_at(value, depth + 1);
    let Some(key) = key else { return alone };
    // Only a short value holding a compact number can need its key as context: skip the
    // second pass for everything else (most values), which keeps JSON content cheap.
    if matches!(alone, Cow::Owned(_))
        || key.len() > 64
        || value.len() > CONTEXT_VALUE_BYTES
        || !has_digit_run(value, 9)
    {
        return alone;
    }
    let prefix = format!("{key}: ");
    let joined = format!("{prefix}{value}");
    match redactor.redact(&joined) {
        Cow::Borrowed(_) => alone,
        Cow::Owned(redacted) => match redacted.strip_prefix(&prefix) {
            Some(rest) => Cow::Owned(rest.to_owned()),
            None => alone,
        },
    }
}

/// The longest value read with its key as context: a compact number with a little text
/// around it (`"078051120"`, `"+1 2025550143 (home)"`).
const CONTEXT_VALUE_BYTES: usize = 48;

/// Whether `text` has a run of at least `len` ASCII digits.
fn has_digit_run(text: &str, len: usize) -> bool {
    let mut run = 0;
    for b in text.bytes() {
        run = if b.is_ascii_digit() { run + 1 } else { 0 };
        if run >= len {
            return true;
        }
    }
    false
}

/// The end (after the closing quote) of the JSON string opening at `start`.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The end of the JSON number starting at `start`.
fn number_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() && matches!(bytes[i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') {
        i += 1;
    }
    i
}

/// The first byte at or after `i` that is not JSON whitespace.
fn next_significant(bytes: &[u8], i: usize) -> Option<u8> {
    bytes[i..]
        .iter()
        .copied()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}
