//! A small JSON reader that keeps the line of every object key, so that an invalid price in an
//! override file can be reported at its line (`serde_json` does not expose positions).

/// A JSON value with the position where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) line: usize,
    pub(crate) value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Node>),
    /// Members in file order, each with the line of its key.
    Object(Vec<(String, usize, Node)>),
}

impl Value {
    /// "a string", "an object", … for error messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }
}

/// A syntax error at a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) message: String,
}

pub(crate) fn parse(text: &str) -> Result<Node, SyntaxError> {
    let mut parser = Parser {
        bytes: text.as_bytes(),
        position: 0,
        line: 1,
        line_start: 0,
        depth: 0,
    };
    parser.skip_whitespace();
    let node = parser.value()?;
    parser.skip_whitespace();
    if parser.position < parser.bytes.len() {
        return Err(parser.error("trailing characters after the JSON value"));
    }
    Ok(node)
}

struct Parser<'a> {
    bytes: &'a [u8],
    position: usize,
    line: usize,
    line_start: usize,
    depth: usize,
}

const MAX_DEPTH: usize = 64;

impl Parser<'_> {
    fn error(&self, message: &str) -> SyntaxError {
        SyntaxError {
            line: self.line,
            column: self.position - self.line_start + 1,
            message: message.to_owned(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.position).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(byte) = self.peek() {
            match byte {
                b'\n' => {
                    self.position += 1;
                    self.line += 1;
                    self.line_start = self.position;
                }
                b' ' | b'\t' | b'\r' => self.position += 1,
                _ => break,
            }
        }
    }

    fn expect(&mut self, byte: u8, what: &str) -> Result<(), SyntaxError> {
        if self.peek() == Some(byte) {
            self.position += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected {what}")))
        }
    }

    fn value(&mut self) -> Result<Node, SyntaxError> {
        let line = self.line;
        let value = match self.peek() {
            Some(b'{') => self.object()?,
            Some(b'[') => self.array()?,
            Some(b'"') => Value::String(self.string()?),
            Some(b't') => self.literal("true", Value::Bool(true))?,
            Some(b'f') => self.literal("false", Value::Bool(false))?,
            Some(b'n') => self.literal("null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(_) => return Err(self.error("expected a JSON value")),
            None => return Err(self.error("unexpected end of file, expected a JSON value")),
        };
        Ok(Node { line, value })
    }

    fn nested(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("nesting too deep"));
        }
        self.position += 1;
        self.skip_whitespace();
        Ok(())
    }

    fn object(&mut self) -> Result<Value, SyntaxError> {
        self.nested()?;
        let mut members = Vec::new();
        if self.peek() == Some(b'}') {
            self.position += 1;
            self.depth -= 1;
            return Ok(Value::Object(members));
        }
        loop {
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key"));
            }
            let line = self.line;
            let key = self.string()?;
            self.skip_whitespace();
            self.expect(b':', "`:` after an object key")?;
            self.skip_whitespace();
            let value = self.value()?;
            members.push((key, line, value));
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => {
                    self.position += 1;
                    self.skip_whitespace();
                }
                Some(b'}') => {
                    self.position += 1;
                    self.depth -= 1;
                    return Ok(Value::Object(members));
                }
                _ => return Err(self.error("expected `,` or `}` in an object")),
            }
        }
    }

    fn array(&mut self) -> Result<Value, SyntaxError> {
        self.nested()?;
        let mut items = Vec::new();
        if self.peek() == Some(b']') {
            self.position += 1;
            self.depth -= 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => {
                    self.position += 1;
                    self.skip_whitespace();
                }
                Some(b']') => {
                    self.position += 1;
                    self.depth -= 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.error("expected `,` or `]` in an array")),
            }
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, SyntaxError> {
        if self.bytes[self.position..].starts_with(word.as_bytes()) {
            self.position += word.len();
            Ok(value)
        } else {
            Err(self.error("expected a JSON value"))
        }
    }

    fn number(&mut self) -> Result<Value, SyntaxError> {
        let start = self.position;
        while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') = self.peek() {
            self.position += 1;
        }
        let text = std::str::from_utf8(&self.bytes[start..self.position])
            .expect("number characters are ASCII");
        let valid_start = text.strip_prefix('-').unwrap_or(text);
        let leading_zero = valid_start.len() > 1
            && valid_start.starts_with('0')
            && valid_start.as_bytes()[1].is_ascii_digit();
        match text.parse::<f64>() {
            Ok(number)
                if !leading_zero && valid_start.starts_with(|c: char| c.is_ascii_digit()) =>
            {
                Ok(Value::Number(number))
            }
            _ => {
                self.position = start;
                Err(self.error(&format!("invalid number `{text}`")))
            }
        }
    }

    fn string(&mut self) -> Result<String, SyntaxError> {
        self.position += 1; // opening quote
        let mut out = String::new();
        loop {
            let start = self.position;
            while let Some(byte) = self.peek() {
                if byte == b'"' || byte == b'\\' || byte < 0x20 {
                    break;
                }
                self.position += 1;
            }
            out.push_str(
                std::str::from_utf8(&self.bytes[start..self.position])
                    .map_err(|_| self.error("invalid UTF-8 in a string"))?,
            );
            match self.peek() {
                Some(b'"') => {
                    self.position += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.position += 1;
                    let escaped = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.position += 1;
                            let unit = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&unit) {
                                if !self.bytes[self.position..].starts_with(b"\\u") {
                                    return Err(self.error("unpaired surrogate in a string"));
                                }
                                self.position += 2;
                                let low = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&low) {
                                    return Err(self.error("unpaired surrogate in a string"));
                                }
                                0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                            } else {
                                unit
                            };
                            out.push(
                                char::from_u32(code)
                                    .ok_or_else(|| self.error("invalid `\\u` escape"))?,
                            );
                            continue;
                        }
                        _ => return Err(self.error("invalid escape in a string")),
                    };
                    self.position += 1;
                    out.push(escaped);
                }
                Some(_) => return Err(self.error("control character in a string")),
                None => return Err(self.error("unterminated string")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let digits = self
            .bytes
            .get(self.position..self.position + 4)
            .and_then(|digits| std::str::from_utf8(digits).ok())
            .and_then(|digits| u32::from_str_radix(digits, 16).ok())
            .ok_or_else(|| self.error("invalid `\\u` escape"))?;
        self.position += 4;
        Ok(digits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_key_lines() {
        let node = parse("{\n  \"gpt-4o\": {\n    \"input_cost_per_token\": 1e-6,\n    \"x\": [1, \"\\u00e9\"]\n  }\n}").unwrap();
        let Value::Object(members) = node.value else {
            panic!("object")
        };
        assert_eq!(members[0].0, "gpt-4o");
        assert_eq!(members[0].1, 2);
        let Value::Object(fields) = &members[0].2.value else {
            panic!("object")
        };
        assert_eq!(
            fields[0],
            (
                "input_cost_per_token".to_owned(),
                3,
                Node {
                    line: 3,
                    value: Value::Number(1e-6)
                }
            )
        );
        let Value::Array(items) = &fields[1].2.value else {
            panic!("array")
        };
        assert_eq!(items[1].value, Value::String("é".to_owned()));
    }

    #[test]
    fn reports_syntax_errors_with_position() {
        let error = parse("{\n  \"a\": 1,\n  \"b\" 2\n}").unwrap_err();
        assert_eq!((error.line, error.column), (3, 7));
        assert_eq!(error.message, "expected `:` after an object key");
        assert!(parse("[01]").is_err());
        assert!(parse("{\"a\": 1} x").is_err());
        assert!(parse("\"abc").is_err());
    }
}
