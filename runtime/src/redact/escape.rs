//! Escapes as word boundaries.
//!
//! Text that is not valid JSON may still carry JSON or C-style escapes (`Line one\n5105 …`, a
//! tool argument cut mid-way, JSON inside prose, a value escaped twice: `\\n`). The letter of an
//! escape touches what follows it, so a detector's boundary check would see `n5105` as one word
//! and miss the number. Before scanning such text, every escape — a run of backslashes with the
//! escape letter or `uXXXX` after it — is masked with spaces of the same length. Offsets do not
//! move, so findings apply to the original text unchanged, and a finding that takes in a masked
//! escape replaces it with the rest.

/// `text` with every escape masked by spaces, or `None` when it has no backslash (no copy).
pub(crate) fn masked(text: &str) -> Option<String> {
    let first = memchr::memchr(b'\\', text.as_bytes())?;
    let mut bytes = text.as_bytes().to_vec();
    let mut i = first;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i] == b'\\' {
            i += 1;
        }
        let end = escape_end(&bytes, i);
        bytes[start..end].fill(b' ');
        i = end;
        // Find the next backslash quickly.
        match memchr::memchr(b'\\', &bytes[i..]) {
            Some(offset) => i += offset,
            None => break,
        }
    }
    // Only ASCII bytes (backslashes, escape letters, hex digits) were replaced by ASCII spaces.
    Some(String::from_utf8(bytes).expect("masking ASCII with ASCII keeps UTF-8 valid"))
}

/// The end of the escape whose letter would be at `i` (just after its backslashes).
fn escape_end(bytes: &[u8], i: usize) -> usize {
    match bytes.get(i) {
        Some(b'u')
            if bytes.len() >= i + 5 && bytes[i + 1..i + 5].iter().all(u8::is_ascii_hexdigit) =>
        {
            i + 5
        }
        Some(b'x')
            if bytes.len() >= i + 3 && bytes[i + 1..i + 3].iter().all(u8::is_ascii_hexdigit) =>
        {
            i + 3
        }
        Some(b'n' | b't' | b'r' | b'b' | b'f' | b'v' | b'"' | b'\'' | b'/') => i + 1,
        _ => i,
    }
}

#[cfg(test)]
mod tests {
    use super::masked;

    #[test]
    fn escapes_become_spaces_of_the_same_length() {
        assert_eq!(masked("plain"), None);
        let cases = [
            (r"a\n5", "a  5"),
            (r"a\\n5", "a   5"),
            (r#"\"x\""#, "  x  "),
            (r"\u00a05", "      5"),
            (r"\/\t\r", "      "),
            (r"C:\\dir", "C:  dir"),
            (r"é\ü", "é ü"),
        ];
        for (text, expected) in cases {
            assert_eq!(masked(text).as_deref(), Some(expected), "{text}");
            assert_eq!(masked(text).unwrap().len(), text.len());
        }
    }
}
