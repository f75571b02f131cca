//! Confirmation of candidates found by the prefilter, one function per family of detectors.
//!
//! Every matcher works on bytes and accepts ASCII only, so the ranges it returns start and end on
//! UTF-8 character boundaries of the `&str` the bytes came from. Matchers look at the bytes around
//! a candidate to check boundaries; they never scan further than the candidate itself needs, which
//! keeps the whole scan linear.

use super::checksum::{iban_remainder, luhn_valid};
use super::detector::Detector;

/// A raw finding: byte range and the index of the kind that produced it (a [`Detector::index`] or
/// a custom kind after the built-ins).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Hit {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) kind: usize,
}

impl Hit {
    fn new(start: usize, end: usize, detector: Detector) -> Hit {
        Hit {
            start,
            end,
            kind: detector.index(),
        }
    }
}

/// A set of enabled built-in detectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Enabled(u32);

impl Enabled {
    pub(crate) const ALL: Enabled = Enabled((1 << Detector::ALL.len()) - 1);

    pub(crate) fn has(self, detector: Detector) -> bool {
        self.0 & (1 << detector.index()) != 0
    }

    pub(crate) fn any(self, detectors: &[Detector]) -> bool {
        detectors.iter().any(|&d| self.has(d))
    }

    pub(crate) fn without(self, detector: Detector) -> Enabled {
        Enabled(self.0 & !(1 << detector.index()))
    }

    pub(crate) fn with(self, detector: Detector) -> Enabled {
        Enabled(self.0 | (1 << detector.index()))
    }
}

/// The byte at `i`, or 0 past the end (0 never belongs to any class below).
#[inline]
fn at(text: &[u8], i: usize) -> u8 {
    text.get(i).copied().unwrap_or(0)
}

/// The byte before `i`, or 0 at the start.
#[inline]
fn before(text: &[u8], i: usize) -> u8 {
    if i == 0 {
        0
    } else {
        text[i - 1]
    }
}

#[inline]
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[inline]
fn is_token(b: u8) -> bool {
    is_word(b) || b == b'-'
}

#[inline]
fn is_digit(b: u8) -> bool {
    b.is_ascii_digit()
}

#[inline]
fn is_hex(b: u8) -> bool {
    b.is_ascii_hexdigit()
}

/// End of the run of bytes satisfying `class` that starts at `from`.
#[inline]
fn run_end(text: &[u8], from: usize, class: impl Fn(u8) -> bool) -> usize {
    let mut i = from;
    while i < text.len() && class(text[i]) {
        i += 1;
    }
    i
}

/// Whether the number starting at `start` continues one written just before it (`v1.2`, `12-3`).
fn linked_before(text: &[u8], start: usize) -> bool {
    let b = before(text, start);
    is_word(b) || (matches!(b, b'.' | b'-') && start >= 2 && is_digit(text[start - 2]))
}

/// Whether the number ending at `end` continues right after it.
fn linked_after(text: &[u8], end: usize) -> bool {
    let b = at(text, end);
    is_word(b) || (matches!(b, b'.' | b'-') && is_digit(at(text, end + 1)))
}

// ---------------------------------------------------------------------------------------------
// Email, triggered by `@`.

fn is_email_local(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

/// The non-ASCII character ending at `end`, with its length in bytes, when it is a letter or a
/// digit (internationalised addresses, RFC 6531: `josé.garcía@ejemplo.es`). `text` is the bytes
/// of a `str`, so a character ends at `end` whenever the byte before it is not ASCII.
fn letter_before(text: &[u8], end: usize) -> Option<usize> {
    if end == 0 || text[end - 1] < 0x80 {
        return None;
    }
    let mut start = end - 1;
    while start > 0 && end - start < 4 && text[start] & 0xC0 == 0x80 {
        start -= 1;
    }
    let c = std::str::from_utf8(&text[start..end])
        .ok()?
        .chars()
        .next()?;
    c.is_alphanumeric().then_some(end - start)
}

/// The non-ASCII letter or digit starting at `start`, with its length in bytes.
fn letter_at(text: &[u8], start: usize) -> Option<usize> {
    let lead = at(text, start);
    let len = match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => return None,
    };
    let c = std::str::from_utf8(text.get(start..start + len)?)
        .ok()?
        .chars()
        .next()?;
    c.is_alphanumeric().then_some(len)
}

/// End of the run of domain-label characters (ASCII letters, digits and `-`, and non-ASCII
/// letters and digits) from `from`.
fn domain_label_end(text: &[u8], from: usize) -> usize {
    let mut i = from;
    loop {
        let b = at(text, i);
        if b.is_ascii_alphanumeric() || b == b'-' {
            i += 1;
        } else if let Some(len) = letter_at(text, i) {
            i += len;
        } else {
            return i;
        }
    }
}

/// An email address around the `@` at `at_sign`. The local part and the domain may hold
/// non-ASCII letters; the address then starts and ends on character boundaries all the same,
/// since only whole characters are taken in.
pub(crate) fn email(text: &[u8], at_sign: usize) -> Option<Hit> {
    let mut start = at_sign;
    loop {
        if start > 0 && is_email_local(text[start - 1]) {
            start -= 1;
        } else if let Some(len) = letter_before(text, start) {
            start -= len;
        } else {
            break;
        }
    }
    while start < at_sign && text[start] == b'.' {
        start += 1;
    }
    if start == at_sign {
        return None;
    }
    let mut i = at_sign + 1;
    let mut labels = 0;
    let mut end = None;
    loop {
        let label_start = i;
        // A top-level domain may be followed by text in another script without a space
        // (`taro@example.jpです`, `ivan@пример.рфv2`): the head of the label up to the change
        // of script is tried first, the whole label after.
        if labels >= 1 {
            if let Some(head_end) = script_head_end(text, i) {
                end = Some(head_end);
            }
        }
        i = domain_label_end(text, i);
        let mut label_end = i;
        while label_end > label_start && text[label_end - 1] == b'-' {
            label_end -= 1;
        }
        if label_end == label_start || text[label_start] == b'-' {
            break;
        }
        labels += 1;
        if labels >= 2 && is_top_level_domain(&text[label_start..label_end]) {
            end = Some(label_end);
        }
        if label_end != i || at(text, i) != b'.' {
            break;
        }
        i += 1;
    }
    end.map(|end| Hit::new(start, end, Detector::Email))
}

/// The end of the letters at `from` when they are two or more letters of one kind (ASCII or
/// not) followed by a letter or digit of the other kind.
fn script_head_end(text: &[u8], from: usize) -> Option<usize> {
    let ascii = at(text, from).is_ascii_alphabetic();
    let mut i = from;
    let mut letters = 0;
    loop {
        let b = at(text, i);
        if ascii && b.is_ascii_alphabetic() {
            i += 1;
        } else if let (false, Some(len)) = (ascii, letter_at(text, i)) {
            if !std::str::from_utf8(&text[i..i + len])
                .is_ok_and(|c| c.chars().all(char::is_alphabetic))
            {
                return None;
            }
            i += len;
        } else {
            break;
        }
        letters += 1;
    }
    let next = at(text, i);
    let other_kind = if ascii {
        letter_at(text, i).is_some()
    } else {
        next.is_ascii_alphanumeric()
    };
    (letters >= 2 && other_kind).then_some(i)
}

/// Whether a label may end an address: two or more letters (`es`, `рф`), or a punycode label.
fn is_top_level_domain(label: &[u8]) -> bool {
    if label.len() > 4 && label.starts_with(b"xn--") {
        return true;
    }
    if label.is_ascii() {
        return label.len() >= 2 && label.iter().all(u8::is_ascii_alphabetic);
    }
    std::str::from_utf8(label)
        .is_ok_and(|label| label.chars().count() >= 2 && label.chars().all(char::is_alphabetic))
}

// ---------------------------------------------------------------------------------------------
// IPv6, triggered by `:`.

fn is_ipv6_class(b: u8) -> bool {
    is_hex(b) || b == b':' || b == b'.'
}

/// Longest IPv6 address at the start of `b`; returns its length.
fn parse_ipv6(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    let mut groups = 0;
    let mut compressed = false;
    let mut valid_end = None;
    if b.starts_with(b"::") {
        compressed = true;
        i = 2;
        valid_end = Some(2);
    }
    loop {
        let digits = run_end(b, i, is_hex) - i;
        if digits == 0 {
            break;
        }
        if at(b, i + digits) == b'.' {
            // An embedded IPv4 address takes the last 32 bits.
            if let Some(len) = parse_ipv4(&b[i..]) {
                if (compressed && groups + 2 <= 7) || groups + 2 == 8 {
                    valid_end = Some(i + len);
                }
                break;
            }
            // Not an IPv4 address: the dot ends the sentence, and the group ends the address.
        }
        if digits > 4 {
            break;
        }
        groups += 1;
        i += digits;
        if (compressed && groups <= 7) || groups == 8 {
            valid_end = Some(i);
        }
        if groups == 8 {
            break;
        }
        if b[i..].starts_with(b"::") {
            if compressed {
                break;
            }
            compressed = true;
            i += 2;
            if groups <= 7 {
                valid_end = Some(i);
            }
        } else if at(b, i) == b':' && is_hex(at(b, i + 1)) {
            i += 1;
        } else {
            break;
        }
    }
    valid_end
}

/// Shortest IPv6 address we report: `::1` and `fe80::` say nothing about anyone.
pub(crate) const IPV6_MIN_LEN: usize = 6;
/// Longest textual IPv6 address (`ffff:…:255.255.255.255`).
const IPV6_MAX_LEN: usize = 45;

/// An IPv6 address in the run of hex digits, colons and dots around the `:` at `colon`, starting
/// at most one group after that colon (later starts are tried from later colons).
/// Returns the hit, if any, and where scanning resumes.
pub(crate) fn ipv6(text: &[u8], colon: usize) -> (Option<Hit>, usize) {
    // Fast path: a colon in prose (`Note: `) has no hex digit or colon on either side.
    if !is_ipv6_class(before(text, colon)) && !is_ipv6_class(at(text, colon + 1)) {
        return (None, colon + 1);
    }
    let mut start = colon;
    while start > 0 && colon - start < IPV6_MAX_LEN && is_ipv6_class(text[start - 1]) {
        start -= 1;
    }
    // Candidates: the run start, then for each colon up to the trigger the group after it, or the
    // `::` it starts.
    let try_at = |candidate: usize| {
        if is_word(before(text, candidate)) {
            return None;
        }
        let limit = text.len().min(candidate + IPV6_MAX_LEN);
        let end = run_end(&text[..limit], candidate, is_ipv6_class);
        let len = parse_ipv6(&text[candidate..end])?;
        let hit_end = candidate + len;
        (len >= IPV6_MIN_LEN && !is_word(at(text, hit_end)))
            .then(|| Hit::new(candidate, hit_end, Detector::Ipv6))
    };
    let after_colons = (start..=colon).filter(|&c| text[c] == b':').map(|c| {
        if at(text, c + 1) == b':' {
            c
        } else {
            c + 1
        }
    });
    let candidates = std::iter::once(start).chain(after_colons);
    for candidate in candidates {
        if let Some(hit) = try_at(candidate) {
            return (Some(hit), hit.end);
        }
    }
    // Digits after the colon may still start an IPv4 address or a phone number.
    (None, colon + 1)
}

// ---------------------------------------------------------------------------------------------
// Numbers, triggered by a digit: phone, SSN, card, IPv4, IBAN.

/// Bytes that can appear inside a phone, card, SSN or IPv4 written with separators.
fn is_numeric_class(b: u8) -> bool {
    is_digit(b) || matches!(b, b' ' | b'(' | b')' | b'+' | b'-' | b'.')
}

/// Detectors confirmed by [`numeric`].
pub(crate) const NUMERIC: [Detector; 5] = [
    Detector::Phone,
    Detector::UsSsn,
    Detector::PaymentCard,
    Detector::Iban,
    Detector::Ipv4,
];

/// The numbers in the window of digits and separators that starts with the digit at `first`.
/// Pushes hits and returns where scanning resumes.
pub(crate) fn numeric(text: &[u8], first: usize, enabled: Enabled, out: &mut Vec<Hit>) -> usize {
    let iban_candidate = enabled.has(Detector::Iban)
        && first >= 2
        && text[first - 1].is_ascii_uppercase()
        && text[first - 2].is_ascii_uppercase();

    // Fast path: most numbers in prose are one short group (`in 2004, `, `3 items`). With fewer
    // than eight digits and no second group, no numeric detector can match.
    let group_end = run_end(text, first, is_digit);
    if group_end - first < 8 && !iban_candidate {
        let mut next = group_end;
        while next < text.len() && next - group_end < 2 && is_numeric_class(text[next]) {
            next += 1;
        }
        if !is_numeric_class(at(text, next)) {
            return next;
        }
    }

    let window_end = run_end(text, first, is_numeric_class);
    let mut resume = window_end;
    let mut p = first;

    if iban_candidate && is_digit(at(text, first + 1)) && !is_word(before(text, first - 2)) {
        if let Some(end) = iban(text, first - 2) {
            out.push(Hit::new(first - 2, end, Detector::Iban));
            resume = resume.max(end);
            p = end;
        }
    }

    // Cheap rejection of the common case: a year, a date, a count, a short number.
    let mut digits = 0;
    let mut dots = false;
    let mut plus = before(text, first) == b'+';
    for &b in &text[first..window_end] {
        digits += u32::from(is_digit(b));
        dots |= b == b'.';
        plus |= b == b'+';
    }
    if digits < minimum_digits(dots, plus) {
        return resume;
    }

    while p < window_end {
        if !is_digit(text[p]) {
            p += 1;
            continue;
        }
        let hit = number_at(text, p, window_end, enabled);
        match hit {
            // A card may also start at a later group of the same chain (a number written just
            // before it can pass the Luhn check by chance): keep looking from the next group, and
            // overlapping hits merge into their union.
            Some(hit) if hit.kind == Detector::PaymentCard.index() => {
                out.push(hit);
                p = run_end(text, p, is_digit);
            }
            Some(hit) => {
                out.push(hit);
                p = hit.end;
            }
            None => p = run_end(text, p, is_digit),
        }
    }
    resume
}

/// The fewest digits a window of digits and separators needs for any numeric detector: an IPv4
/// address has four (and dots), an international phone eight (and a `+`), otherwise an SSN has
/// nine and North American phones and cards more.
#[inline]
pub(crate) fn minimum_digits(dots: bool, plus: bool) -> u32 {
    if dots {
        4
    } else if plus {
        8
    } else {
        9
    }
}

/// The first detector that matches a number starting with the digit group at `p`.
fn number_at(text: &[u8], p: usize, window_end: usize, enabled: Enabled) -> Option<Hit> {
    if enabled.has(Detector::Phone) && before(text, p) == b'+' {
        if let Some(hit) = international_phone(text, p, window_end) {
            return Some(hit);
        }
    }
    if enabled.has(Detector::Ipv4) && !linked_before(text, p) {
        if let Some(len) = parse_ipv4(&text[p..window_end]) {
            if !linked_after(text, p + len) {
                return Some(Hit::new(p, p + len, Detector::Ipv4));
            }
        }
    }
    if enabled.has(Detector::UsSsn) {
        if let Some(hit) = ssn(text, p) {
            return Some(hit);
        }
    }
    if enabled.has(Detector::Phone) {
        if let Some(hit) = north_american_phone(text, p) {
            return Some(hit);
        }
    }
    if enabled.has(Detector::PaymentCard) {
        if let Some(hit) = card(text, p, window_end) {
            return Some(hit);
        }
    }
    None
}

/// A dotted-quad IPv4 address at the start of `b`; returns its length.
fn parse_ipv4(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    for part in 0..4 {
        if part > 0 {
            if at(b, i) != b'.' {
                return None;
            }
            i += 1;
        }
        let start = i;
        let mut value = 0u32;
        while i - start < 3 && is_digit(at(b, i)) {
            value = value * 10 + u32::from(b[i] - b'0');
            i += 1;
        }
        if i == start || value > 255 || is_digit(at(b, i)) {
            return None;
        }
    }
    Some(i)
}

/// Digits `[from, from + len)` all ASCII digits.
fn digits_at(text: &[u8], from: usize, len: usize) -> bool {
    from + len <= text.len() && text[from..from + len].iter().all(|&b| is_digit(b))
}

/// How far before a compact number (`078051120`, `2025550143`) the words that name it are
/// looked for: `social security number: ` and `call me at +` fit.
const CONTEXT_BYTES: usize = 32;

/// Words that name a social security number.
const SSN_WORDS: &[&[u8]] = &[b"ssn", b"social security", b"ss#", b"ss no"];

/// Words that name a phone number.
const PHONE_WORDS: &[&[u8]] = &[
    b"phone",
    b"telephone",
    b"cellphone",
    b"tel",
    b"mobile",
    b"cell",
    b"fax",
    b"sms",
    b"whatsapp",
    b"call me",
    b"call us",
    b"call him",
    b"call her",
    b"call them",
    b"call at",
    b"calling",
    b"text me",
    b"reach me",
    b"dial",
];

/// Whether one of `words` (ASCII case ignored, starting a word and not followed by a letter)
/// occurs in the `CONTEXT_BYTES` before `p`.
fn named_before(text: &[u8], p: usize, words: &[&[u8]]) -> bool {
    let from = p.saturating_sub(CONTEXT_BYTES);
    let window = &text[from..p];
    words.iter().any(|word| {
        window
            .windows(word.len())
            .enumerate()
            .any(|(i, candidate)| {
                candidate.eq_ignore_ascii_case(word)
                    && !before(text, from + i).is_ascii_alphabetic()
                    && !at(text, from + i + word.len()).is_ascii_alphabetic()
            })
    })
}

fn ssn(text: &[u8], p: usize) -> Option<Hit> {
    if run_end(text, p, is_digit) == p + 9 {
        return compact_ssn(text, p);
    }
    let shape = digits_at(text, p, 3)
        && at(text, p + 3) == b'-'
        && digits_at(text, p + 4, 2)
        && at(text, p + 6) == b'-'
        && digits_at(text, p + 7, 4);
    if !shape || linked_before(text, p) || linked_after(text, p + 11) {
        return None;
    }
    let area = &text[p..p + 3];
    let issued = area != b"000"
        && area != b"666"
        && area[0] != b'9'
        && &text[p + 4..p + 6] != b"00"
        && &text[p + 7..p + 11] != b"0000";
    issued.then(|| Hit::new(p, p + 11, Detector::UsSsn))
}

/// A 9-digit social security number without dashes, when the words before it name one
/// (`SSN 078051120`, `social security number: 078051120`).
fn compact_ssn(text: &[u8], p: usize) -> Option<Hit> {
    let end = p + 9;
    if linked_before(text, p) || linked_after(text, end) {
        return None;
    }
    let issued = &text[p..p + 3] != b"000"
        && &text[p..p + 3] != b"666"
        && text[p] != b'9'
        && &text[p + 3..p + 5] != b"00"
        && &text[p + 5..end] != b"0000";
    (issued && named_before(text, p, SSN_WORDS)).then(|| Hit::new(p, end, Detector::UsSsn))
}

/// A North American number without separators (`2025550143`, `12025550143`), when the words
/// before it name a phone (`call me at 2025550143`, `phone: 12025550143`).
fn compact_phone(text: &[u8], p: usize) -> Option<Hit> {
    let end = run_end(text, p, is_digit);
    let area = match end - p {
        10 => p,
        11 if text[p] == b'1' => p + 1,
        _ => return None,
    };
    let plausible = (b'2'..=b'9').contains(&text[area]) && (b'2'..=b'9').contains(&text[area + 3]);
    (plausible
        && !linked_before(text, p)
        && !linked_after(text, end)
        && named_before(text, p, PHONE_WORDS))
    .then(|| Hit::new(p, end, Detector::Phone))
}

/// `(415) 555-2671`, `415-555-2671`, `415.555.2671`, `415 555 2671`, `1-800-555-2671`, and
/// compact numbers in a context that names a phone.
fn north_american_phone(text: &[u8], p: usize) -> Option<Hit> {
    if let Some(hit) = compact_phone(text, p) {
        return Some(hit);
    }
    let is_sep = |b: u8| matches!(b, b'-' | b'.' | b' ');
    let mut start = p;
    let mut i = p;
    // Leading trunk prefix `1-`, `1 ` or `1.`.
    if at(text, p) == b'1' && is_sep(at(text, p + 1)) && is_digit(at(text, p + 2)) {
        i = p + 2;
    }
    let area = i;
    if i == p
        && before(text, area) == b'('
        && digits_at(text, area, 3)
        && at(text, area + 3) == b')'
    {
        start = area - 1;
        i = area + 4;
        if at(text, i) == b' ' {
            i += 1;
        }
    } else {
        if !(digits_at(text, area, 3) && is_sep(at(text, area + 3))) {
            return None;
        }
        i = area + 4;
    }
    let exchange = i;
    if !(digits_at(text, exchange, 3)
        && is_sep(at(text, exchange + 3))
        && digits_at(text, exchange + 4, 4))
    {
        return None;
    }
    let end = exchange + 8;
    let plausible = (b'2'..=b'9').contains(&text[area]) && (b'2'..=b'9').contains(&text[exchange]);
    let linked = if start == p {
        linked_before(text, p)
    } else {
        is_word(before(text, start))
    };
    let boundary = !linked && !linked_after(text, end);
    (plausible && boundary).then(|| Hit::new(start, end, Detector::Phone))
}

/// `+` and a country code, then groups of digits joined by at most two of ` .-()`.
fn international_phone(text: &[u8], p: usize, window_end: usize) -> Option<Hit> {
    let plus = p - 1;
    if is_word(before(text, plus)) || before(text, plus) == b'+' {
        return None;
    }
    // (end, digit count) after each group; at most 15 groups of at least one digit.
    let mut ends = [(0usize, 0usize); 15];
    let mut groups = 0;
    let mut digits = 0;
    let mut i = p;
    loop {
        let group_end = run_end(text, i, is_digit);
        if digits + (group_end - i) > 15 {
            break;
        }
        digits += group_end - i;
        ends[groups] = (group_end, digits);
        groups += 1;
        let mut next = group_end;
        while next < window_end
            && next - group_end < 2
            && matches!(text[next], b' ' | b'-' | b'.' | b'(' | b')')
        {
            next += 1;
        }
        if next == group_end || !is_digit(at(text, next)) {
            break;
        }
        i = next;
    }
    // The longest run of groups that ends the number: a following `-5` or `.5` means the last
    // group belongs to something else (a date after the number), so drop groups until it fits.
    ends[..groups]
        .iter()
        .rev()
        .find(|&&(end, n)| (8..=15).contains(&n) && !linked_after(text, end))
        .map(|&(end, _)| Hit::new(plus, end, Detector::Phone))
}

/// 13 to 19 digits starting with the group at `p`, compact or grouped with single spaces or
/// dashes, Luhn-valid; the longest valid prefix of the chain wins.
fn card(text: &[u8], p: usize, window_end: usize) -> Option<Hit> {
    if linked_before(text, p) || !(b'2'..=b'6').contains(&text[p]) {
        return None;
    }
    let mut digits = [0u8; 19];
    let mut count = 0;
    // (end offset, digit count) after each group
    let mut ends = [(0usize, 0usize); 19];
    let mut groups = 0;
    let mut separator = 0;
    let mut i = p;
    loop {
        let group_end = run_end(text, i, is_digit);
        if count + (group_end - i) > 19 {
            break;
        }
        for &b in &text[i..group_end] {
            digits[count] = b - b'0';
            count += 1;
        }
        ends[groups] = (group_end, count);
        groups += 1;
        // Groups are separated by one space or one dash, the same throughout, and only the last
        // group may be shorter than four digits (4-4-4-4, 4-6-5, 4-4-4-4-3, …).
        let sep = at(text, group_end);
        let continues = group_end + 1 < window_end
            && matches!(sep, b' ' | b'-')
            && (groups == 1 || sep == separator)
            && group_end - i >= 4
            && is_digit(text[group_end + 1]);
        if !continues {
            break;
        }
        separator = sep;
        i = group_end + 1;
    }
    ends[..groups]
        .iter()
        .rev()
        .find(|&&(end, n)| {
            (13..=19).contains(&n) && luhn_valid(&digits[..n]) && !linked_after(text, end)
        })
        .map(|&(end, _)| Hit::new(p, end, Detector::PaymentCard))
}

/// An upper-case IBAN starting with the country code at `start`; returns its end.
fn iban(text: &[u8], start: usize) -> Option<usize> {
    let is_char = |b: u8| b.is_ascii_uppercase() || is_digit(b);
    let country = [text[start], text[start + 1]];
    let check = [text[start + 2], text[start + 3]];
    if !is_digit(check[0]) || !is_digit(check[1]) {
        return None;
    }
    let check_value = (check[0] - b'0') * 10 + (check[1] - b'0');
    if !(2..=98).contains(&check_value) {
        return None;
    }
    let mut bban = [0u8; 30];
    let mut len = 0;
    let mut ends = [(0usize, 0usize); 30];
    let mut groups = 0;
    let mut i = start + 4;
    if at(text, i) == b' ' {
        // Printed form: groups of four separated by single spaces, the last one shorter.
        while at(text, i) == b' ' {
            let group_start = i + 1;
            let group_end =
                group_start + (run_end(text, group_start, is_char) - group_start).min(5);
            let group_len = group_end - group_start;
            if group_len == 0
                || group_len > 4
                || is_word(at(text, group_end))
                || len + group_len > 30
            {
                break;
            }
            bban[len..len + group_len].copy_from_slice(&text[group_start..group_end]);
            len += group_len;
            ends[groups] = (group_end, len);
            groups += 1;
            if group_len < 4 {
                break;
            }
            i = group_end;
        }
    } else {
        let end = run_end(text, i, is_char);
        let group_len = end - i;
        if group_len > 30 || is_word(at(text, end)) {
            return None;
        }
        bban[..group_len].copy_from_slice(&text[i..end]);
        ends[0] = (end, group_len);
        groups = 1;
    }
    ends[..groups]
        .iter()
        .rev()
        .find(|&&(_, n)| n + 4 >= 15 && iban_remainder(&bban[..n], country, check) == 1)
        .map(|&(end, _)| end)
}

// ---------------------------------------------------------------------------------------------
// Tokens, triggered by a literal prefix.

/// What a trigger literal announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Trigger {
    /// `sk-`: OpenAI or Anthropic.
    SecretKey,
    /// `AKIA`, `ASIA`, `ABIA`, `ACCA`.
    AwsAccessKeyId,
    /// `eyJ`.
    Jwt,
    /// `ghp_` and friends.
    GitHubClassic,
    /// `github_pat_`.
    GitHubFineGrained,
    /// `AIza`.
    Google,
    /// `xoxb-` and friends.
    Slack,
    /// `-----BEGIN`.
    PrivateKey,
}

/// Trigger literals and what they announce.
pub(crate) const TRIGGERS: &[(&str, Trigger)] = &[
    ("sk-", Trigger::SecretKey),
    ("AKIA", Trigger::AwsAccessKeyId),
    ("ASIA", Trigger::AwsAccessKeyId),
    ("ABIA", Trigger::AwsAccessKeyId),
    ("ACCA", Trigger::AwsAccessKeyId),
    ("eyJ", Trigger::Jwt),
    ("ghp_", Trigger::GitHubClassic),
    ("gho_", Trigger::GitHubClassic),
    ("ghu_", Trigger::GitHubClassic),
    ("ghs_", Trigger::GitHubClassic),
    ("ghr_", Trigger::GitHubClassic),
    ("github_pat_", Trigger::GitHubFineGrained),
    ("AIza", Trigger::Google),
    ("xoxa-", Trigger::Slack),
    ("xoxb-", Trigger::Slack),
    ("xoxp-", Trigger::Slack),
    ("xoxr-", Trigger::Slack),
    ("xoxs-", Trigger::Slack),
    ("-----BEGIN", Trigger::PrivateKey),
];

impl Trigger {
    /// The detectors this trigger can confirm.
    pub(crate) fn detectors(self) -> &'static [Detector] {
        match self {
            Trigger::SecretKey => &[Detector::OpenAiKey, Detector::AnthropicKey],
            Trigger::AwsAccessKeyId => &[Detector::AwsAccessKeyId],
            Trigger::Jwt => &[Detector::Jwt],
            Trigger::GitHubClassic | Trigger::GitHubFineGrained => &[Detector::GitHubToken],
            Trigger::Google => &[Detector::GoogleApiKey],
            Trigger::Slack => &[Detector::SlackToken],
            Trigger::PrivateKey => &[Detector::PrivateKeyBlock],
        }
    }
}

/// Whether at least two of upper case, lower case and digits occur in `body`.
fn mixes_classes(body: &[u8]) -> bool {
    let upper = body.iter().any(u8::is_ascii_uppercase);
    let lower = body.iter().any(u8::is_ascii_lowercase);
    let digit = body.iter().any(u8::is_ascii_digit);
    u8::from(upper) + u8::from(lower) + u8::from(digit) >= 2
}

/// Confirms the token announced by `trigger` at `p` (`len` is the trigger literal's length).
pub(crate) fn token(
    text: &[u8],
    p: usize,
    len: usize,
    trigger: Trigger,
    enabled: Enabled,
) -> Option<Hit> {
    let body = p + len;
    match trigger {
        Trigger::SecretKey => {
            if is_token(before(text, p)) {
                return None;
            }
            let end = run_end(text, body, is_token);
            let (detector, body) = if text[p..].starts_with(b"sk-ant-") {
                (Detector::AnthropicKey, p + 7)
            } else {
                (Detector::OpenAiKey, body)
            };
            (enabled.has(detector) && end - body >= 20 && mixes_classes(&text[body..end]))
                .then(|| Hit::new(p, end, detector))
        }
        Trigger::AwsAccessKeyId => {
            let end = body + 16;
            let shape = end <= text.len()
                && text[body..end]
                    .iter()
                    .all(|&b| b.is_ascii_uppercase() || is_digit(b));
            (shape && !is_word(before(text, p)) && !is_word(at(text, end)))
                .then(|| Hit::new(p, end, Detector::AwsAccessKeyId))
        }
        Trigger::Jwt => {
            if is_token(before(text, p)) || before(text, p) == b'.' {
                return None;
            }
            let header_end = run_end(text, p, is_token);
            if header_end - p < 10 || at(text, header_end) != b'.' {
                return None;
            }
            let payload_end = run_end(text, header_end + 1, is_token);
            if payload_end - header_end - 1 < 2 || at(text, payload_end) != b'.' {
                return None;
            }
            let mut end = run_end(text, payload_end + 1, is_token);
            // JWE compact serialisation has five segments.
            let mut segments = 3;
            while segments < 5 && at(text, end) == b'.' && is_token(at(text, end + 1)) {
                end = run_end(text, end + 1, is_token);
                segments += 1;
            }
            Some(Hit::new(p, end, Detector::Jwt))
        }
        Trigger::GitHubClassic => {
            let end = run_end(text, body, |b| b.is_ascii_alphanumeric());
            (!is_word(before(text, p)) && end - body >= 30 && at(text, end) != b'_')
                .then(|| Hit::new(p, end, Detector::GitHubToken))
        }
        Trigger::GitHubFineGrained => {
            let end = run_end(text, body, is_word);
            (!is_word(before(text, p)) && end - body >= 22)
                .then(|| Hit::new(p, end, Detector::GitHubToken))
        }
        Trigger::Google => {
            let end = run_end(text, body, is_token);
            (!is_token(before(text, p)) && end - body >= 35)
                .then(|| Hit::new(p, end, Detector::GoogleApiKey))
        }
        Trigger::Slack => {
            let end = run_end(text, body, |b| b.is_ascii_alphanumeric() || b == b'-');
            let tail = &text[body..end];
            (!is_token(before(text, p)) && tail.len() >= 10 && tail.iter().any(u8::is_ascii_digit))
                .then(|| Hit::new(p, end, Detector::SlackToken))
        }
        Trigger::PrivateKey => private_key_block(text, p),
    }
}

fn is_pem_label(b: u8) -> bool {
    b.is_ascii_uppercase() || is_digit(b) || b == b' '
}

/// The end of a `-----…-----` armour line whose label follows `label_start`, if it names a
/// private key.
fn armour_line_end(text: &[u8], label_start: usize) -> Option<usize> {
    let label_end = run_end(text, label_start, is_pem_label);
    if label_end - label_start > 64
        || !text[label_start..label_end].ends_with(b"PRIVATE KEY")
            && !text[label_start..label_end].ends_with(b"PRIVATE KEY BLOCK")
    {
        return None;
    }
    text[label_end..]
        .starts_with(b"-----")
        .then_some(label_end + 5)
}

/// Body bytes of a PEM block: base64, line breaks (also JSON-escaped), and the `Proc-Type:` /
/// `DEK-Info:` headers of encrypted keys.
fn is_pem_body(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || b.is_ascii_whitespace()
        || matches!(b, b'+' | b'/' | b'=' | b':' | b',' | b'-' | b'\\')
}

fn private_key_block(text: &[u8], p: usize) -> Option<Hit> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    const END: &[u8] = b"-----END ";
    if !text[p..].starts_with(BEGIN) {
        return None;
    }
    let header_end = armour_line_end(text, p + BEGIN.len())?;
    let end = match memchr::memmem::find(&text[header_end..], END) {
        Some(offset) => {
            let label_start = header_end + offset + END.len();
            armour_line_end(text, label_start)
                .unwrap_or_else(|| run_end(text, label_start, is_pem_label))
        }
        None => run_end(text, header_end, is_pem_body),
    };
    Some(Hit::new(p, end, Detector::PrivateKeyBlock))
}

// ---------------------------------------------------------------------------------------------
// AWS secret access keys: runs of exactly 40 base64 bytes, found by `scan`.

/// Length of an AWS secret access key.
pub(crate) const AWS_SECRET_LEN: usize = 40;

/// Whether the maximal run `[start, end)` of `[A-Za-z0-9/+]` bytes is a secret key.
pub(crate) fn aws_secret(text: &[u8], start: usize, end: usize) -> Option<Hit> {
    if end - start != AWS_SECRET_LEN {
        return None;
    }
    let run = &text[start..end];
    let slashes = run.iter().filter(|&&b| b == b'/').count();
    let shape = run.iter().any(u8::is_ascii_uppercase)
        && run.iter().any(u8::is_ascii_lowercase)
        && run.iter().any(u8::is_ascii_digit)
        && slashes <= 3
        && run[0] != b'/'
        && run[AWS_SECRET_LEN - 1] != b'/';
    let boundary = !matches!(before(text, start), b'_' | b'-' | b'.')
        && !matches!(at(text, end), b'=' | b'_' | b'-');
    (shape && boundary).then(|| Hit::new(start, end, Detector::AwsSecretKey))
}
