//! Cutting JSON text so that what is kept is still valid JSON, in one pass over the kept bytes.
//!
//! A cut inside a string value keeps the string's beginning, marks it and closes it; elsewhere
//! the text is cut after the last complete value (or after an opening bracket), never after a
//! key, a colon or a comma. Then every open bracket is closed. A text that is not a JSON
//! prefix up to the cut gives no cut (the caller writes it as a string instead).

/// What is open at a point of the scan.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A value (after `:` or at the top level).
    Value,
    /// A value or `]` (after `[`).
    ValueOrClose,
    /// A key or `}` (after `{`).
    KeyOrClose,
    /// A key (after `,` in an object).
    Key,
    /// `:` after a key.
    Colon,
    /// `,` or the closing bracket, after a value.
    CommaOrClose,
    /// Nothing but whitespace: the top-level value is complete.
    End,
}

/// Inside a string.
#[derive(Clone, Copy)]
struct InString {
    key: bool,
    /// 0: none; 1: after `\`; 2..=5: hex digits of `\u` still expected, plus one.
    escape: u8,
}

/// The scan state after some prefix.
struct Scan {
    stack: Vec<u8>,
    expect: Expect,
    string: Option<InString>,
    /// The start of a number or literal being read.
    literal: Option<usize>,
}

impl Scan {
    fn new() -> Self {
        Scan {
            stack: Vec::new(),
            expect: Expect::Value,
            string: None,
            literal: None,
        }
    }

    /// What comes after a complete value.
    fn after_value(&self) -> Expect {
        if self.stack.is_empty() {
            Expect::End
        } else {
            Expect::CommaOrClose
        }
    }
}

/// Whether `literal` is `true`, `false`, `null` or a JSON number.
fn valid_literal(literal: &str) -> bool {
    matches!(literal, "true" | "false" | "null")
        || (literal.starts_with(|c: char| c == '-' || c.is_ascii_digit())
            && serde_json::from_str::<serde::de::IgnoredAny>(literal).is_ok())
}

/// Scans `text[..end]`, calling `candidate(at, size)` for each place where the text can be cut
/// and closed, `size` being the bytes written for a cut there (`marker_len` counts the marker
/// added inside a cut string). `None` on a syntax error.
fn scan(
    text: &str,
    end: usize,
    marker_len: usize,
    mut candidate: impl FnMut(usize, usize),
) -> Option<Scan> {
    let bytes = text.as_bytes();
    let mut state = Scan::new();
    let mut i = 0;
    while i < end {
        let byte = bytes[i];
        if let Some(string) = &mut state.string {
            if string.escape == 0 && !string.key && text.is_char_boundary(i) {
                candidate(i, i + marker_len + 1 + state.stack.len());
            }
            match string.escape {
                0 => match byte {
                    b'"' => {
                        let key = string.key;
                        state.string = None;
                        if key {
                            state.expect = Expect::Colon;
                        } else {
                            state.expect = state.after_value();
                            candidate(i + 1, i + 1 + state.stack.len());
                        }
                    }
                    b'\\' => string.escape = 1,
                    0..=0x1f => return None,
                    _ => {}
                },
                1 => match byte {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => string.escape = 0,
                    b'u' => string.escape = 5,
                    _ => return None,
                },
                _ => {
                    if !byte.is_ascii_hexdigit() {
                        return None;
                    }
                    string.escape = if string.escape == 2 {
                        0
                    } else {
                        string.escape - 1
                    };
                }
            }
            i += 1;
            continue;
        }
        if let Some(start) = state.literal {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'+' | b'.') {
                i += 1;
                continue;
            }
            if !valid_literal(&text[start..i]) {
                return None;
            }
            state.literal = None;
            state.expect = state.after_value();
            candidate(i, i + state.stack.len());
        }
        match (byte, state.expect) {
            (b' ' | b'\n' | b'\r' | b'\t', _) => {}
            (b'"', Expect::Value | Expect::ValueOrClose) => {
                state.string = Some(InString {
                    key: false,
                    escape: 0,
                })
            }
            (b'"', Expect::Key | Expect::KeyOrClose) => {
                state.string = Some(InString {
                    key: true,
                    escape: 0,
                })
            }
            (b'{' | b'[', Expect::Value | Expect::ValueOrClose) => {
                state.stack.push(byte);
                state.expect = if byte == b'{' {
                    Expect::KeyOrClose
                } else {
                    Expect::ValueOrClose
                };
                candidate(i + 1, i + 1 + state.stack.len());
            }
            (b'}', Expect::KeyOrClose | Expect::CommaOrClose)
            | (b']', Expect::ValueOrClose | Expect::CommaOrClose) => {
                let open = if byte == b'}' { b'{' } else { b'[' };
                if state.stack.pop() != Some(open) {
                    return None;
                }
                state.expect = state.after_value();
                candidate(i + 1, i + 1 + state.stack.len());
            }
            (b',', Expect::CommaOrClose) => {
                state.expect = if state.stack.last() == Some(&b'{') {
                    Expect::Key
                } else {
                    Expect::Value
                };
            }
            (b':', Expect::Colon) => state.expect = Expect::Value,
            (b'-' | b'0'..=b'9' | b't' | b'f' | b'n', Expect::Value | Expect::ValueOrClose) => {
                state.literal = Some(i)
            }
            _ => return None,
        }
        i += 1;
    }
    Some(state)
}

/// The longest cut of the JSON text `text` whose closed form fits `room` bytes, with the bytes
/// it takes; `None` when `text` is not a JSON prefix there or nothing fits. Reads at most
/// `room` bytes of `text`.
pub(super) fn cut(text: &str, room: usize, marker: &str) -> Option<(usize, usize)> {
    let end = text.len().min(room);
    let mut best = None;
    scan(text, end, marker.len(), |at, size| {
        if size <= room {
            best = Some((at, size));
        }
    })?;
    best
}

/// Writes `text` cut at `at` (a point [`cut`] gave), closed: a cut string marked with `marker`
/// and closed, then every open bracket.
pub(super) fn write(out: &mut String, text: &str, at: usize, marker: &str) {
    let state = scan(text, at, marker.len(), |_, _| {}).expect("a point `cut` gave");
    out.push_str(&text[..at]);
    if state.string.is_some() {
        out.push_str(marker);
        out.push('"');
    }
    for open in state.stack.iter().rev() {
        out.push(if *open == b'{' { '}' } else { ']' });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARKER: &str = "…[truncated]";

    fn closed(text: &str, room: usize) -> Option<String> {
        let (at, size) = cut(text, room, MARKER)?;
        let mut out = String::new();
        write(&mut out, text, at, MARKER);
        assert_eq!(out.len(), size, "{out}");
        Some(out)
    }

    #[test]
    fn every_cut_of_a_document_is_valid_json_within_the_room() {
        let text = r#"{"city": "Lisbon", "days": [1, 2, 30], "nested": {"a": true, "b": null, "q": "x\"y\u00e9z"}, "n": -1.5e3}"#;
        for room in 16..text.len() + 20 {
            let out = closed(text, room).unwrap();
            assert!(out.len() <= room, "{room}: {out}");
            serde_json::from_str::<serde_json::Value>(&out)
                .unwrap_or_else(|error| panic!("{room}: {out}: {error}"));
        }
    }

    #[test]
    fn a_long_string_value_keeps_its_beginning_and_is_marked() {
        let text = format!(r#"{{"page": "{}"}}"#, "x".repeat(1000));
        let out = closed(&text, 100).unwrap();
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        let page = value["page"].as_str().unwrap();
        assert!(page.starts_with("xxxx") && page.ends_with(MARKER), "{page}");
        assert!(out.len() > 90, "{}", out.len());
    }

    #[test]
    fn text_that_is_not_json_gives_no_cut() {
        assert_eq!(cut("hello {world}", 100, MARKER), None);
        assert_eq!(cut(r#"{"a": tru, "b": 1}"#, 100, MARKER), None);
        assert_eq!(cut("{\"a\": \"tab\there\"}", 100, MARKER), None);
    }
}
