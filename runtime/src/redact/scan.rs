//! The prefilter: three cheap passes that find candidates for the built-in detectors.
//!
//! Running one regex per detector over a 64 KB prompt costs sixteen full scans. Instead:
//!
//! 1. **Trigger bytes** (digits, `:` and `@`), found sixteen bytes at a time (SSE2 on x86_64, see
//!    `block`). A digit opens a window of digits and separators that is checked for phones,
//!    SSNs, cards, IPv4 addresses and IBANs (after rejecting the common short number at once);
//!    `:` checks for IPv6, `@` for an email.
//! 2. **Trigger literals** (`sk-`, `AKIA`, `eyJ`, `ghp_`, `AIza`, `xoxb-`, `-----BEGIN`, …), found
//!    with one Aho-Corasick automaton whose SIMD prefilter skips clean text quickly.
//! 3. **AWS secret keys** have no prefix: they are a run of exactly 40 base64 characters. Blocks
//!    are classified sixteen bytes at a time and only the length of the run crossing block
//!    boundaries is tracked: a run of 40 cannot fit inside one block.
//!
//! Each candidate is then confirmed by the matcher of its family (see `matchers`), which only looks
//! at the candidate and its immediate neighbours.

use aho_corasick::{AhoCorasick, Input, MatchKind};

use super::block::{self, TriggerSet, BLOCK};
use super::detector::Detector;
use super::matchers::{self, Enabled, Hit, Trigger};

/// The built-in detectors, ready to scan.
#[derive(Clone, Debug)]
pub(crate) struct Scanner {
    enabled: Enabled,
    trigger_bytes: TriggerSet,
    literals: Option<Literals>,
}

#[derive(Clone, Debug)]
struct Literals {
    automaton: AhoCorasick,
    /// For each automaton pattern: what it announces and its length.
    triggers: Vec<(Trigger, usize)>,
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
            automaton: AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .build(wanted.iter().map(|(literal, _)| literal))
                .expect("a few short literals always build"),
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
            literals,
        }
    }

    /// Pushes the hits of every enabled built-in detector in `text`, in no particular order and
    /// possibly overlapping.
    pub(crate) fn scan(&self, text: &[u8], out: &mut Vec<Hit>) {
        if !self.trigger_bytes.is_empty() {
            self.scan_trigger_bytes(text, out);
        }
        if let Some(literals) = &self.literals {
            self.scan_literals(literals, text, out);
        }
        if self.enabled.has(Detector::AwsSecretKey) {
            scan_aws_secrets(text, out);
        }
    }

    /// Walks the text in chunks of two blocks. A chunk without trigger bytes costs two
    /// classifications; in one with triggers, short numbers (the common case in prose: `in 2004`,
    /// `3 items`) are dismissed from the masks alone, and other triggers go to their matcher.
    fn scan_trigger_bytes(&self, text: &[u8], out: &mut Vec<Hit>) {
        const CHUNK: usize = 2 * BLOCK;
        let set = self.trigger_bytes;
        let mut from = 0;
        while from < text.len() {
            let first = block::load(text, from);
            let second = block::load(text, from + BLOCK);
            let mut triggers =
                block::triggers(&first, set) | block::triggers(&second, set) << BLOCK;
            if triggers == 0 {
                from += CHUNK;
                continue;
            }
            let numbers = ChunkNumbers::new(&first, &second);
            let mut resume = from;
            while triggers != 0 {
                let offset = triggers.trailing_zeros() as usize;
                let i = from + offset;
                resume = match text[i] {
                    b'@' => match matchers::email(text, i) {
                        Some(hit) => {
                            out.push(hit);
                            hit.end
                        }
                        None => i + 1,
                    },
                    b':' if numbers.short_ipv6_run(offset) => i + 1,
                    b':' => {
                        let (hit, resume) = matchers::ipv6(text, i);
                        out.extend(hit);
                        resume
                    }
                    _ => match numbers.short_number_end(offset) {
                        Some(end) if !self.iban_candidate(text, i) => from + end,
                        _ => matchers::numeric(text, i, self.enabled, out),
                    },
                };
                if resume >= from + CHUNK {
                    break;
                }
                triggers &= u32::MAX << (resume - from);
            }
            from = resume.max(from + CHUNK);
        }
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
        while from < text.len() {
            let input = Input::new(text).span(from..text.len());
            let Some(found) = literals.automaton.find(input) else {
                break;
            };
            let (trigger, len) = literals.triggers[found.pattern().as_usize()];
            from = found.end();
            if let Some(hit) = matchers::token(text, found.start(), len, trigger, self.enabled) {
                out.push(hit);
                from = from.max(hit.end);
            }
        }
    }
}

/// Numeric masks of a two-block chunk.
struct ChunkNumbers {
    digit: u32,
    class: u32,
    dot: u32,
    ipv6: u32,
}

impl ChunkNumbers {
    #[inline]
    fn new(first: &[u8; BLOCK], second: &[u8; BLOCK]) -> ChunkNumbers {
        let (low, high) = (block::numeric(first), block::numeric(second));
        ChunkNumbers {
            digit: low.digit | high.digit << BLOCK,
            class: low.class | high.class << BLOCK,
            dot: low.dot | high.dot << BLOCK,
            ipv6: low.ipv6 | high.ipv6 << BLOCK,
        }
    }

    /// For the digit at chunk offset `offset`: the end offset of its window of digits and
    /// separators when that window lies inside the chunk and is too small for any numeric
    /// detector (the same test as `matchers::numeric` makes: fewer than four digits, or fewer than
    /// eight and no dot).
    #[inline]
    fn short_number_end(&self, offset: usize) -> Option<usize> {
        let len = (self.class >> offset).trailing_ones() as usize;
        let end = offset + len;
        if end >= 2 * BLOCK {
            return None;
        }
        let window = ((1u32 << len) - 1) << offset;
        let digits = self.digit & window;
        let short = if self.dot & window == 0 {
            fewer_bits_than(digits, 8)
        } else {
            fewer_bits_than(digits, 4)
        };
        short.then_some(end)
    }

    /// Whether the colon at chunk offset `offset` sits in a run of hex digits, colons and dots
    /// that lies inside the chunk and is shorter than the shortest IPv6 address reported
    /// (`std::fs`, `14:30`, `key: value`).
    #[inline]
    fn short_ipv6_run(&self, offset: usize) -> bool {
        let after = (self.ipv6 >> offset).trailing_ones() as usize;
        let before = (self.ipv6 << (31 - offset)).leading_ones() as usize - 1;
        offset + after < 2 * BLOCK && offset >= before + 1 && before + after < matchers::IPV6_MIN_LEN
    }
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

/// Finds runs of exactly [`AWS_SECRET_LEN`](matchers::AWS_SECRET_LEN) base64 bytes. Only the run
/// that reaches the end of each block is carried over: runs inside one block are too short.
fn scan_aws_secrets(text: &[u8], out: &mut Vec<Hit>) {
    const FULL: u32 = (1 << BLOCK) - 1;
    // Length of the run of class bytes ending at `from`.
    let mut run = 0;
    let mut from = 0;
    let mut step = |class: u32, from: usize, run: &mut usize| {
        if class == FULL {
            *run += BLOCK;
            return;
        }
        let head = class.trailing_ones() as usize;
        if *run + head >= matchers::AWS_SECRET_LEN {
            out.extend(matchers::aws_secret(text, from - *run, from + head));
        }
        *run = (class << (32 - BLOCK)).leading_ones() as usize;
    };
    let mut blocks = text.chunks_exact(BLOCK);
    for chunk in blocks.by_ref() {
        let class = block::base64(chunk.try_into().expect("chunk of BLOCK bytes"));
        step(class, from, &mut run);
        from += BLOCK;
    }
    if !blocks.remainder().is_empty() {
        // Zero padding is never class, so a run reaching the end of the text ends here.
        step(block::base64(&block::load(text, from)), from, &mut run);
        run = 0;
    }
    if run >= matchers::AWS_SECRET_LEN {
        out.extend(matchers::aws_secret(text, text.len() - run, text.len()));
    }
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
            scan_aws_secrets(&text, &mut out);
            assert_eq!(out.len(), 1, "offset {offset}");
            assert_eq!((out[0].start, out[0].end), (offset, offset + 40));
        }
    }
}
