//! The prefilter: two cheap passes that find candidates for the built-in detectors.
//!
//! Running one regex per detector over a 64 KB prompt costs sixteen full scans. Instead:
//!
//! 1. **One pass of bit masks**, 32 bytes at a time (AVX2 when the CPU has it, else two SSE2
//!    blocks; see `block`), does two jobs:
//!    - *Trigger bytes* (digits, `:` and `@`). A digit opens a window of digits and separators
//!      that may hold a phone, SSN, card, IPv4 address or IBAN; windows too short for any of
//!      them (`in 2004`, `3 items`, `2024-03-15`) are dismissed from the masks without looking at
//!      the bytes, the rest go to `matchers::numeric`. `:` checks for IPv6 (unless the run of hex
//!      digits and colons around it is too short), `@` for an email.
//!    - *AWS secret keys*, which have no prefix: a run of exactly 40 base64 characters. Only the
//!      length of the run reaching the end of each chunk is carried over.
//! 2. **Trigger literals** (`sk-`, `AKIA`, `eyJ`, `ghp_`, `AIza`, `xoxb-`, `-----BEGIN`, …), found
//!    with the SIMD "Teddy" searcher of `aho-corasick`.
//!
//! Each candidate is then confirmed by the matcher of its family (see `matchers`), which only looks
//! at the candidate and its immediate neighbours.

use aho_corasick::packed;
use aho_corasick::{AhoCorasick, Input, MatchKind, Span};

use super::block::{self, Masks, TriggerSet, BLOCK};
use super::detector::Detector;
use super::matchers::{self, Enabled, Hit, Trigger};

/// Bytes handled per step of `Scanner::scan_blocks`.
const CHUNK: usize = 2 * BLOCK;

/// The built-in detectors, ready to scan.
#[derive(Clone, Debug)]
pub(crate) struct Scanner {
    enabled: Enabled,
    trigger_bytes: TriggerSet,
    /// Whether the CPU has AVX2, for 32-byte classification.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    avx2: bool,
    literals: Option<Literals>,
}

#[derive(Clone, Debug)]
struct Literals {
    searcher: LiteralSearcher,
    /// For each pattern: what it announces and its length.
    triggers: Vec<(Trigger, usize)>,
}

/// The SIMD "Teddy" searcher where the CPU has one (x86_64, aarch64), else an automaton.
#[derive(Clone, Debug)]
enum LiteralSearcher {
    Packed(packed::Searcher),
    Automaton(AhoCorasick),
}

impl LiteralSearcher {
    fn new(literals: &[&str]) -> LiteralSearcher {
        let packed = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(literals)
            .build();
        match packed {
            Some(searcher) => LiteralSearcher::Packed(searcher),
            None => LiteralSearcher::Automaton(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(literals)
                    .expect("a few short literals always build"),
            ),
        }
    }

    /// The first match at or after `from`: start, end and pattern index.
    #[inline]
    fn find(&self, text: &[u8], from: usize) -> Option<(usize, usize, usize)> {
        let found = match self {
            LiteralSearcher::Packed(searcher) => {
                searcher.find_in(text, Span::from(from..text.len()))
            }
            LiteralSearcher::Automaton(automaton) => {
                automaton.find(Input::new(text).span(from..text.len()))
            }
        }?;
        Some((found.start(), found.end(), found.pattern().as_usize()))
    }
}

impl Scanner {
    /// A scanner for the `enabled` built-in detectors.
    pub(crate) fn new(enabled: Enabled) -> Scanner {
        let wanted: Vec<(&str, Trigger)> = matchers::TRIGGERS
            .iter()
            .copied()
            .filter(|(_, trigger)| enabled.any(trigger.detectors()))
            .collect();
        let literals = (!wanted.is_empty()).then(|| Literals {
            searcher: LiteralSearcher::new(
                &wanted
                    .iter()
                    .map(|&(literal, _)| literal)
                    .collect::<Vec<_>>(),
            ),
            triggers: wanted
                .iter()
                .map(|&(literal, trigger)| (trigger, literal.len()))
                .collect(),
        });
        Scanner {
            enabled,
            trigger_bytes: TriggerSet::new(
                enabled.any(&matchers::NUMERIC),
                enabled.has(Detector::Ipv6),
                enabled.has(Detector::Email),
            ),
            avx2: block::avx2_available(),
            literals,
        }
    }

    /// Pushes the hits of every enabled built-in detector in `text`, in no particular order and
    /// possibly overlapping.
    pub(crate) fn scan(&self, text: &[u8], out: &mut Vec<Hit>) {
        let aws = self.enabled.has(Detector::AwsSecretKey);
        if !self.trigger_bytes.is_empty() || aws {
            self.scan_blocks(text, aws, out);
        }
        if let Some(literals) = &self.literals {
            self.scan_literals(literals, text, out);
        }
    }

    /// Walks the text in chunks of two blocks, classifying each chunk once for both jobs:
    ///
    /// - trigger bytes: a chunk without any costs two classifications; in one with triggers,
    ///   short numbers (the common case in prose: `in 2004`, `3 items`) and colons outside
    ///   anything address-like are dismissed from the masks alone, and other triggers go to their
    ///   matcher. A matcher that consumes bytes past the chunk masks them out of later chunks.
    /// - AWS secret keys: only the length of the base64 run reaching the end of each chunk is
    ///   carried over; runs inside one chunk are shorter than 40 bytes.
    fn scan_blocks(&self, text: &[u8], aws: bool, out: &mut Vec<Hit>) {
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            // SAFETY: `avx2` is set only when the CPU supports AVX2.
            return unsafe { self.scan_blocks_avx2(text, aws, out) };
        }
        // SAFETY: without AVX2.
        unsafe { self.scan_blocks_with::<false>(text, aws, out) }
    }

    /// [`scan_blocks_with`](Scanner::scan_blocks_with) compiled for AVX2.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn scan_blocks_avx2(&self, text: &[u8], aws: bool, out: &mut Vec<Hit>) {
        // SAFETY: the caller guarantees AVX2.
        unsafe { self.scan_blocks_with::<true>(text, aws, out) }
    }

    /// # Safety
    ///
    /// With `AVX2` set, the CPU must support AVX2.
    #[inline(always)]
    unsafe fn scan_blocks_with<const AVX2: bool>(
        &self,
        text: &[u8],
        aws: bool,
        out: &mut Vec<Hit>,
    ) {
        let set = self.trigger_bytes;
        let mut skip_until = 0;
        let mut aws_run = 0;
        let mut from = 0;
        while from < text.len() {
            // SAFETY: the caller guarantees AVX2 when `AVX2` is set.
            let (mut triggers, base64) = unsafe { block::quick_chunk::<AVX2>(text, from, set) };
            if aws {
                aws_step(text, base64, from, &mut aws_run, out);
            }
            if skip_until > from {
                triggers &= u32::MAX
                    .checked_shl((skip_until - from) as u32)
                    .unwrap_or(0);
            }
            if triggers != 0 {
                // SAFETY: as above.
                let masks = unsafe { block::detail_chunk::<AVX2>(text, from) };
                if let Some(resume) = self.chunk_triggers(text, from, triggers, &masks, out) {
                    skip_until = resume;
                }
            }
            from += CHUNK;
        }
        if aws_run >= matchers::AWS_SECRET_LEN {
            out.extend(matchers::aws_secret(text, text.len() - aws_run, text.len()));
        }
    }

    /// Handles the trigger bytes of the chunk at `from`; returns where scanning resumes when a
    /// matcher consumed bytes past the chunk.
    #[inline]
    fn chunk_triggers(
        &self,
        text: &[u8],
        from: usize,
        mut triggers: u32,
        chunk: &Masks,
        out: &mut Vec<Hit>,
    ) -> Option<usize> {
        while triggers != 0 {
            let offset = triggers.trailing_zeros() as usize;
            let i = from + offset;
            let resume = match text[i] {
                b'@' => match matchers::email(text, i) {
                    Some(hit) => {
                        out.push(hit);
                        hit.end
                    }
                    None => i + 1,
                },
                b':' if short_ipv6_run(chunk, offset) => i + 1,
                b':' => {
                    let (hit, resume) = matchers::ipv6(text, i);
                    out.extend(hit);
                    resume
                }
                _ => {
                    if only_short_numbers_from(chunk, offset)
                        && !self.iban_candidate_in(text, from, chunk, offset)
                    {
                        // Every digit from here to the end of the chunk is in a short number.
                        triggers &= !chunk.digit;
                        continue;
                    }
                    let plus_before_chunk = from > 0 && text[from - 1] == b'+';
                    match short_number_end(chunk, offset, plus_before_chunk) {
                        Some(end) if !self.iban_candidate(text, i) => from + end,
                        _ => matchers::numeric(text, i, self.enabled, out),
                    }
                }
            };
            if resume >= from + CHUNK {
                return Some(resume);
            }
            triggers &= u32::MAX << (resume - from);
        }
        None
    }

    /// Whether some digit at or after chunk offset `offset` may be an IBAN's check digits.
    #[inline]
    fn iban_candidate_in(&self, text: &[u8], from: usize, chunk: &Masks, offset: usize) -> bool {
        if !self.enabled.has(Detector::Iban) {
            return false;
        }
        let digits = chunk.digit & (u32::MAX << offset);
        // Two capitals before a digit; the first two bytes of the chunk look back a scalar way.
        let after_capitals = digits & chunk.upper << 1 & chunk.upper << 2;
        after_capitals != 0
            || (digits & 1 != 0 && self.iban_candidate(text, from))
            || (digits & 2 != 0 && self.iban_candidate(text, from + 1))
    }

    /// Whether the digit at `i` may be an IBAN's check digits (after two capital letters).
    #[inline]
    fn iban_candidate(&self, text: &[u8], i: usize) -> bool {
        self.enabled.has(Detector::Iban)
            && i >= 2
            && text[i - 1].is_ascii_uppercase()
            && text[i - 2].is_ascii_uppercase()
    }

    fn scan_literals(&self, literals: &Literals, text: &[u8], out: &mut Vec<Hit>) {
        let mut from = 0;
        while let Some((start, end, pattern)) = literals.searcher.find(text, from) {
            let (trigger, len) = literals.triggers[pattern];
            from = end;
            if let Some(hit) = matchers::token(text, start, len, trigger, self.enabled) {
                out.push(hit);
                from = from.max(hit.end);
            }
        }
    }
}

/// Whether every digit at or after chunk offset `offset` is in a window too small for any
/// numeric detector, judged for all of them at once: fewer than four digits in total, and the
/// window of the last one ends inside the chunk.
#[inline]
fn only_short_numbers_from(chunk: &Masks, offset: usize) -> bool {
    let digits = chunk.digit & (u32::MAX << offset);
    if !fewer_bits_than(digits, 4) {
        return false;
    }
    let last = 31 - digits.leading_zeros() as usize;
    last + ((chunk.numeric >> last).trailing_ones() as usize) < CHUNK
}

/// For the digit at chunk offset `offset`: the end offset of its window of digits and separators
/// when that window lies inside the chunk and holds too few digits for any numeric detector (the
/// test `matchers::numeric` makes, see [`matchers::minimum_digits`]).
#[inline]
fn short_number_end(chunk: &Masks, offset: usize, plus_before_chunk: bool) -> Option<usize> {
    let len = (chunk.numeric >> offset).trailing_ones() as usize;
    let end = offset + len;
    if end >= CHUNK {
        // The window may go on in the next chunk.
        return None;
    }
    let window = ((1u32 << len) - 1) << offset;
    let digits = chunk.digit & window;
    let dots = chunk.dot & window != 0;
    // A `+` right before the first digit (maybe the last byte of the previous chunk), or inside
    // the window.
    let plus = chunk.plus & (window | window >> 1) != 0 || (offset == 0 && plus_before_chunk);
    let minimum = matchers::minimum_digits(dots, plus);
    fewer_bits_than(digits, minimum).then_some(end)
}

/// Whether the colon at chunk offset `offset` sits in a run of hex digits, colons and dots that
/// lies inside the chunk and is shorter than the shortest IPv6 address reported (`std::fs`,
/// `14:30`, `key: value`).
#[inline]
fn short_ipv6_run(chunk: &Masks, offset: usize) -> bool {
    let after = (chunk.ipv6 >> offset).trailing_ones() as usize;
    let before = (chunk.ipv6 << (31 - offset)).leading_ones() as usize - 1;
    offset + after < CHUNK && offset > before && before + after < matchers::IPV6_MIN_LEN
}

/// Whether `bits` has fewer than `n` bits set (`n` small): cheaper than a software popcount on
/// the x86_64 baseline, which has no `popcnt` instruction.
#[inline]
fn fewer_bits_than(mut bits: u32, n: u32) -> bool {
    for _ in 1..n {
        bits &= bits.wrapping_sub(1);
    }
    bits == 0
}

/// One chunk of the AWS secret key scan: `class` has a bit per base64 byte of the chunk at
/// `from`, and `run` is the length of the base64 run ending at `from`.
#[inline]
fn aws_step(text: &[u8], class: u32, from: usize, run: &mut usize, out: &mut Vec<Hit>) {
    if class == u32::MAX {
        *run += CHUNK;
        return;
    }
    let head = class.trailing_ones() as usize;
    if *run + head >= matchers::AWS_SECRET_LEN {
        out.extend(matchers::aws_secret(text, from - *run, from + head));
    }
    // Zero padding past the end of the text is never base64, so a final run ends in its chunk.
    *run = class.leading_ones() as usize;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_scan_finds_a_forty_byte_run_at_every_offset_and_text_end() {
        let key = b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        for offset in 0..100 {
            let mut text = vec![b' '; offset];
            text.extend_from_slice(key);
            if offset % 2 == 0 {
                text.extend_from_slice(b" tail");
            }
            let mut out = Vec::new();
            Scanner::new(Enabled::ALL).scan(&text, &mut out);
            assert_eq!(out.len(), 1, "offset {offset}");
            assert_eq!((out[0].start, out[0].end), (offset, offset + 40));
        }
    }

    #[test]
    fn avx2_and_sse2_scans_find_the_same_hits() {
        let with_avx2 = Scanner::new(Enabled::ALL);
        if !with_avx2.avx2 {
            return;
        }
        let mut without_avx2 = with_avx2.clone();
        without_avx2.avx2 = false;
        let pieces = [
            "Call +1 (415) 555-2671 ",
            "mail a.b@example.org ",
            "2024-03-15 ",
            "12:30 ",
            "ip 10.0.0.1 ",
            "2001:db8::1 ",
            "DE89 3704 0044 0532 0130 00 ",
            "4111 1111 1111 1111 ",
            "123-45-6789 ",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY ",
            "Grüße 東京 ",
            "+",
            "1.2.3 ",
            "risk-free ",
            "AKIAIOSFODNN7EXAMPLE ",
            "x",
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..2_000 {
            let mut text = String::new();
            for _ in 0..12 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push_str(pieces[(state % pieces.len() as u64) as usize]);
            }
            let (mut wide, mut narrow) = (Vec::new(), Vec::new());
            with_avx2.scan(text.as_bytes(), &mut wide);
            without_avx2.scan(text.as_bytes(), &mut narrow);
            let key = |hit: &Hit| (hit.start, hit.end, hit.kind);
            wide.sort_by_key(key);
            narrow.sort_by_key(key);
            assert_eq!(wide, narrow, "{text:?}");
        }
    }
}
