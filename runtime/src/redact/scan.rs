//! The prefilter: three cheap passes that find candidates for the built-in detectors.
//!
//! Running one regex per detector over a 64 KB prompt costs sixteen full scans. Instead:
//!
//! 1. **Trigger bytes** (digits, `:` and `@`), found eight bytes at a time with SWAR arithmetic on
//!    `u64` words. A digit opens a window of digits and separators that is checked for phones,
//!    SSNs, cards, IPv4 addresses and IBANs (after rejecting the common short number at once);
//!    `:` checks for IPv6, `@` for an email.
//! 2. **Trigger literals** (`sk-`, `AKIA`, `eyJ`, `ghp_`, `AIza`, `xoxb-`, `-----BEGIN`, …), found
//!    with one Aho-Corasick automaton whose SIMD prefilter skips clean text quickly.
//! 3. **AWS secret keys** have no prefix: they are a run of exactly 40 base64 characters, so a
//!    probe every 40 bytes is enough to land inside every such run; only runs around probes that
//!    hit a base64 byte are measured.
//!
//! Each candidate is then confirmed by the matcher of its family (see `matchers`), which only looks
//! at the candidate and its immediate neighbours.

use aho_corasick::{AhoCorasick, Input, MatchKind};

use super::detector::Detector;
use super::matchers::{self, Enabled, Hit, Trigger};

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// `byte` repeated in every lane of a `u64`.
const fn lanes(byte: u8) -> u64 {
    ONES * byte as u64
}

/// The built-in detectors, ready to scan.
#[derive(Clone, Debug)]
pub(crate) struct Scanner {
    enabled: Enabled,
    /// Per trigger byte class, `HIGH` when wanted and 0 otherwise.
    digit_lanes: u64,
    colon_lanes: u64,
    at_lanes: u64,
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
        let select = |on: bool| if on { HIGH } else { 0 };
        Scanner {
            enabled,
            digit_lanes: select(enabled.any(&matchers::NUMERIC)),
            colon_lanes: select(enabled.has(Detector::Ipv6)),
            at_lanes: select(enabled.has(Detector::Email)),
            literals,
        }
    }

    /// Pushes the hits of every enabled built-in detector in `text`, in no particular order and
    /// possibly overlapping.
    pub(crate) fn scan(&self, text: &[u8], out: &mut Vec<Hit>) {
        if self.digit_lanes | self.colon_lanes | self.at_lanes != 0 {
            self.scan_trigger_bytes(text, out);
        }
        if let Some(literals) = &self.literals {
            self.scan_literals(literals, text, out);
        }
        if self.enabled.has(Detector::AwsSecretKey) {
            scan_aws_secrets(text, out);
        }
    }

    /// High bit set in each lane of `word` that holds a wanted trigger byte.
    #[inline(always)]
    fn trigger_lanes(&self, word: u64) -> u64 {
        // Lanes are < 0x80 after masking, so adding at most 0x50 never carries into the next lane;
        // the high bit of `low + (0x80 - c)` is then set exactly when `low >= c`.
        let low = word & !HIGH;
        let at_least_zero = low.wrapping_add(lanes(0x80 - b'0'));
        let at_least_colon = low.wrapping_add(lanes(0x80 - b':'));
        let at_least_semicolon = low.wrapping_add(lanes(0x80 - b';'));
        let digit = at_least_zero & !at_least_colon;
        let colon = at_least_colon & !at_least_semicolon;
        // Exact zero-lane test on `word ^ '@'`: no false positives, unlike the classic shortcut.
        let diff = word ^ lanes(b'@');
        let at = !((diff & !HIGH).wrapping_add(!HIGH) | diff);
        ((digit & self.digit_lanes) | (colon & self.colon_lanes) | (at & self.at_lanes))
            & !word
            & HIGH
    }

    /// Position of the first wanted trigger byte at or after `from`.
    #[inline]
    fn next_trigger_byte(&self, text: &[u8], mut from: usize) -> Option<usize> {
        let load =
            |i: usize| u64::from_le_bytes(text[i..i + 8].try_into().expect("slice of eight bytes"));
        while from + 16 <= text.len() {
            let first = self.trigger_lanes(load(from));
            let second = self.trigger_lanes(load(from + 8));
            if first != 0 {
                return Some(from + first.trailing_zeros() as usize / 8);
            }
            if second != 0 {
                return Some(from + 8 + second.trailing_zeros() as usize / 8);
            }
            from += 16;
        }
        while from < text.len() {
            let mut tail = [0u8; 8];
            let n = (text.len() - from).min(8);
            tail[..n].copy_from_slice(&text[from..from + n]);
            let found = self.trigger_lanes(u64::from_le_bytes(tail));
            if found != 0 {
                return Some(from + found.trailing_zeros() as usize / 8);
            }
            from += n;
        }
        None
    }

    fn scan_trigger_bytes(&self, text: &[u8], out: &mut Vec<Hit>) {
        let mut from = 0;
        while let Some(i) = self.next_trigger_byte(text, from) {
            from = match text[i] {
                b'@' => match matchers::email(text, i) {
                    Some(hit) => {
                        out.push(hit);
                        hit.end
                    }
                    None => i + 1,
                },
                b':' => {
                    let (hit, resume) = matchers::ipv6(text, i);
                    out.extend(hit);
                    resume
                }
                _ => matchers::numeric(text, i, self.enabled, out),
            };
        }
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

/// Probes every [`AWS_SECRET_LEN`](matchers::AWS_SECRET_LEN)-th byte: any run of that length
/// contains exactly one probe, and runs around probes in ordinary prose are short words.
fn scan_aws_secrets(text: &[u8], out: &mut Vec<Hit>) {
    const STRIDE: usize = matchers::AWS_SECRET_LEN;
    let mut probe = STRIDE - 1;
    while probe < text.len() {
        if !matchers::is_aws_secret_class(text[probe]) {
            probe += STRIDE;
            continue;
        }
        // The previous probe was outside any run reaching this one, so this walks < STRIDE bytes.
        let mut start = probe;
        while start > 0 && matchers::is_aws_secret_class(text[start - 1]) {
            start -= 1;
        }
        let mut end = probe + 1;
        while end < text.len() && matchers::is_aws_secret_class(text[end]) {
            end += 1;
        }
        out.extend(matchers::aws_secret(text, start, end));
        // First probe position after `end` (probes sit at STRIDE - 1 modulo STRIDE).
        probe = end + (STRIDE - 1) - end % STRIDE;
        if probe <= end {
            probe += STRIDE;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_lanes_flag_exactly_digits_colons_and_at_signs() {
        let scanner = Scanner::new(Enabled::ALL);
        for byte in 0..=255u8 {
            for lane in 0..8 {
                let mut bytes = [b'x'; 8];
                bytes[lane] = byte;
                let found = scanner.trigger_lanes(u64::from_le_bytes(bytes));
                let expected = byte.is_ascii_digit() || byte == b':' || byte == b'@';
                let expected = if expected { 0x80u64 << (8 * lane) } else { 0 };
                assert_eq!(found, expected, "byte {byte:#04x} in lane {lane}");
            }
        }
    }

    #[test]
    fn aws_probe_finds_a_forty_byte_run_at_every_offset() {
        let key = b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        for offset in 0..100 {
            let mut text = vec![b' '; offset];
            text.extend_from_slice(key);
            text.extend_from_slice(b" tail");
            let mut out = Vec::new();
            scan_aws_secrets(&text, &mut out);
            assert_eq!(out.len(), 1, "offset {offset}");
            assert_eq!((out[0].start, out[0].end), (offset, offset + 40));
        }
    }
}
