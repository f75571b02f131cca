//! Classification of 16-byte blocks into bit masks: SSE2 on x86_64 (part of its baseline, so no
//! runtime detection), a plain loop elsewhere.

/// Bytes classified per step.
pub(crate) const BLOCK: usize = 16;

/// Which trigger bytes a scan wants, as all-ones or all-zeros bit selectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TriggerSet {
    digits: u32,
    colon: u32,
    at: u32,
}

impl TriggerSet {
    pub(crate) fn new(digits: bool, colon: bool, at: bool) -> TriggerSet {
        let select = |on: bool| if on { u32::MAX } else { 0 };
        TriggerSet {
            digits: select(digits),
            colon: select(colon),
            at: select(at),
        }
    }

    pub(crate) fn is_empty(self) -> bool {
        self.digits | self.colon | self.at == 0
    }

    /// The trigger mask from the masks of digits, colons and at signs.
    #[inline(always)]
    fn select(self, digit: u32, colon: u32, at: u32) -> u32 {
        (digit & self.digits) | (colon & self.colon) | (at & self.at)
    }
}

/// Bit masks of a block (or, combined with [`Masks::join`], of two): bit `i` describes byte `i`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Masks {
    /// The trigger bytes wanted by the [`TriggerSet`]: digits, `:`, `@`.
    pub(crate) triggers: u32,
    /// `[A-Za-z0-9/+]`, the bytes of an AWS secret key.
    pub(crate) base64: u32,
    /// ASCII digits.
    pub(crate) digit: u32,
    /// Digits and the separators ` ()+-.` (the numeric window class of `matchers`).
    pub(crate) numeric: u32,
    /// `.`
    pub(crate) dot: u32,
    /// `+`
    pub(crate) plus: u32,
    /// Hex digits, `:` and `.` (the IPv6 class of `matchers`).
    pub(crate) ipv6: u32,
    /// Upper-case ASCII letters.
    pub(crate) upper: u32,
}

impl Masks {
    /// The masks of two consecutive blocks, `low` first.
    #[inline(always)]
    pub(crate) fn join(low: Masks, high: Masks) -> Masks {
        let join = |low: u32, high: u32| low | high << BLOCK;
        Masks {
            triggers: join(low.triggers, high.triggers),
            base64: join(low.base64, high.base64),
            digit: join(low.digit, high.digit),
            numeric: join(low.numeric, high.numeric),
            dot: join(low.dot, high.dot),
            plus: join(low.plus, high.plus),
            ipv6: join(low.ipv6, high.ipv6),
            upper: join(low.upper, high.upper),
        }
    }
}

/// The 16 bytes at `from`, zero-padded past the end of `text` (zero is in no class).
#[inline(always)]
pub(crate) fn load(text: &[u8], from: usize) -> [u8; BLOCK] {
    match text.get(from..from + BLOCK) {
        Some(block) => block.try_into().expect("slice of BLOCK bytes"),
        None => {
            let mut block = [0u8; BLOCK];
            let rest = &text[from.min(text.len())..];
            block[..rest.len()].copy_from_slice(rest);
            block
        }
    }
}

/// The masks of `block` (the reference the split `quick`/`detail` classifications are tested
/// against).
#[cfg(test)]
pub(crate) fn classify(block: &[u8; BLOCK], set: TriggerSet) -> Masks {
    imp::classify(block, set)
}

/// The 32 bytes at `from`, zero-padded past the end of `text`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn load_chunk(text: &[u8], from: usize) -> [u8; 2 * BLOCK] {
    match text.get(from..from + 2 * BLOCK) {
        Some(chunk) => chunk.try_into().expect("slice of two blocks"),
        None => {
            let mut chunk = [0u8; 2 * BLOCK];
            chunk[..BLOCK].copy_from_slice(&load(text, from));
            chunk[BLOCK..].copy_from_slice(&load(text, from + BLOCK));
            chunk
        }
    }
}

/// The masks of the two blocks at `from`, with AVX2 when `AVX2` is set.
///
/// # Safety
///
/// With `AVX2` set, the CPU must support AVX2 (see [`avx2_available`]).
#[cfg(test)]
pub(crate) unsafe fn classify_chunk<const AVX2: bool>(
    text: &[u8],
    from: usize,
    set: TriggerSet,
) -> Masks {
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        // SAFETY: the caller guarantees AVX2.
        return unsafe { avx2::classify(&load_chunk(text, from), set) };
    }
    Masks::join(
        classify(&load(text, from), set),
        classify(&load(text, from + BLOCK), set),
    )
}

/// The masks of the two blocks at `from` that only chunks with triggers need: all but `triggers`
/// and `base64`, which are left zero (the caller has them from [`quick_chunk`]).
///
/// # Safety
///
/// With `AVX2` set, the CPU must support AVX2 (see [`avx2_available`]).
#[inline(always)]
pub(crate) unsafe fn detail_chunk<const AVX2: bool>(text: &[u8], from: usize) -> Masks {
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        // SAFETY: the caller guarantees AVX2.
        return unsafe { avx2::detail(&load_chunk(text, from)) };
    }
    Masks::join(
        imp::detail(&load(text, from)),
        imp::detail(&load(text, from + BLOCK)),
    )
}

/// Just the trigger and base64 masks of the two blocks at `from` (what every chunk needs; the
/// rest only matters where there are triggers).
///
/// # Safety
///
/// With `AVX2` set, the CPU must support AVX2 (see [`avx2_available`]).
#[inline(always)]
pub(crate) unsafe fn quick_chunk<const AVX2: bool>(
    text: &[u8],
    from: usize,
    set: TriggerSet,
) -> (u32, u32) {
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        // SAFETY: the caller guarantees AVX2.
        return unsafe { avx2::quick(&load_chunk(text, from), set) };
    }
    let (low_triggers, low_base64) = imp::quick(&load(text, from), set);
    let (high_triggers, high_base64) = imp::quick(&load(text, from + BLOCK), set);
    (
        low_triggers | high_triggers << BLOCK,
        low_base64 | high_base64 << BLOCK,
    )
}

/// Whether this CPU supports AVX2 (checked once per `Scanner`).
pub(crate) fn avx2_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Masks, TriggerSet, BLOCK};
    use core::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_min_epu8, _mm256_movemask_epi8,
        _mm256_or_si256, _mm256_set1_epi8, _mm256_sub_epi8,
    };

    // The same classification as the SSE2 one, 32 bytes at a time.

    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn splat(byte: u8) -> __m256i {
        _mm256_set1_epi8(byte as i8)
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn in_range(x: __m256i, low: u8, span: u8) -> __m256i {
        let offset = _mm256_sub_epi8(x, splat(low));
        _mm256_cmpeq_epi8(_mm256_min_epu8(offset, splat(span)), offset)
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn equal(x: __m256i, byte: u8) -> __m256i {
        _mm256_cmpeq_epi8(x, splat(byte))
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn or(a: __m256i, b: __m256i) -> __m256i {
        _mm256_or_si256(a, b)
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn bits(x: __m256i) -> u32 {
        _mm256_movemask_epi8(x) as u32
    }

    /// All masks but `triggers` and `base64`.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX2. The only memory access is the unaligned load of exactly the 32
    /// bytes of `chunk`.
    #[target_feature(enable = "avx2")]
    #[inline]
    pub(super) unsafe fn detail(chunk: &[u8; 2 * BLOCK]) -> Masks {
        let x = _mm256_loadu_si256(chunk.as_ptr().cast());
        let digit = in_range(x, b'0', 9);
        let dot = equal(x, b'.');
        let plus = equal(x, b'+');
        let separator = or(
            or(dot, plus),
            or(equal(x, b' '), or(equal(x, b'-'), in_range(x, b'(', 1))),
        );
        let hex_letter = in_range(or(x, splat(0x20)), b'a', 5);
        let ipv6 = or(or(hex_letter, digit), or(equal(x, b':'), dot));
        Masks {
            triggers: 0,
            base64: 0,
            digit: bits(digit),
            numeric: bits(or(digit, separator)),
            dot: bits(dot),
            plus: bits(plus),
            ipv6: bits(ipv6),
            upper: bits(in_range(x, b'A', 25)),
        }
    }

    /// Trigger and base64 masks only.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX2. The only memory access is the unaligned load of exactly the 32
    /// bytes of `chunk`.
    #[target_feature(enable = "avx2")]
    #[inline]
    pub(super) unsafe fn quick(chunk: &[u8; 2 * BLOCK], set: TriggerSet) -> (u32, u32) {
        let x = _mm256_loadu_si256(chunk.as_ptr().cast());
        let digit = in_range(x, b'0', 9);
        let letter = in_range(or(x, splat(0x20)), b'a', 25);
        let base64 = or(or(letter, digit), or(equal(x, b'/'), equal(x, b'+')));
        let triggers = set.select(bits(digit), bits(equal(x, b':')), bits(equal(x, b'@')));
        (triggers, bits(base64))
    }

    /// # Safety
    ///
    /// The CPU must support AVX2. The only memory access is the unaligned load of exactly the 32
    /// bytes of `chunk`.
    #[cfg(test)]
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn classify(chunk: &[u8; 2 * BLOCK], set: TriggerSet) -> Masks {
        let x = _mm256_loadu_si256(chunk.as_ptr().cast());
        let folded = or(x, splat(0x20));
        let digit = in_range(x, b'0', 9);
        let colon = equal(x, b':');
        let at = equal(x, b'@');
        let dot = equal(x, b'.');
        let plus = equal(x, b'+');

        let letter = in_range(folded, b'a', 25);
        let base64 = or(or(letter, digit), or(equal(x, b'/'), plus));
        let separator = or(
            or(dot, plus),
            or(equal(x, b' '), or(equal(x, b'-'), in_range(x, b'(', 1))),
        );
        let ipv6 = or(or(in_range(folded, b'a', 5), digit), or(colon, dot));
        let digit_bits = bits(digit);
        Masks {
            triggers: set.select(digit_bits, bits(colon), bits(at)),
            base64: bits(base64),
            digit: digit_bits,
            numeric: bits(or(digit, separator)),
            dot: bits(dot),
            plus: bits(plus),
            ipv6: bits(ipv6),
            upper: bits(in_range(x, b'A', 25)),
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod imp {
    use super::{Masks, TriggerSet, BLOCK};
    use core::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8, _mm_sub_epi8,
    };

    // SAFETY (for every `unsafe` below): SSE2 is part of the x86_64 baseline, so its intrinsics
    // are always available; the only memory access is the unaligned load of exactly the 16 bytes
    // of a `&[u8; 16]`.

    #[inline(always)]
    unsafe fn splat(byte: u8) -> __m128i {
        _mm_set1_epi8(byte as i8)
    }

    /// Lanes equal to all-ones where `x - low` (wrapping) is at most `span`.
    #[inline(always)]
    unsafe fn in_range(x: __m128i, low: u8, span: u8) -> __m128i {
        let offset = _mm_sub_epi8(x, splat(low));
        _mm_cmpeq_epi8(_mm_min_epu8(offset, splat(span)), offset)
    }

    #[inline(always)]
    unsafe fn equal(x: __m128i, byte: u8) -> __m128i {
        _mm_cmpeq_epi8(x, splat(byte))
    }

    #[inline(always)]
    unsafe fn or(a: __m128i, b: __m128i) -> __m128i {
        _mm_or_si128(a, b)
    }

    #[inline(always)]
    unsafe fn bits(x: __m128i) -> u32 {
        _mm_movemask_epi8(x) as u32
    }

    #[inline(always)]
    pub(super) fn detail(block: &[u8; BLOCK]) -> Masks {
        // SAFETY: see above.
        unsafe {
            let x = _mm_loadu_si128(block.as_ptr().cast());
            let digit = in_range(x, b'0', 9);
            let dot = equal(x, b'.');
            let plus = equal(x, b'+');
            let separator = or(
                or(dot, plus),
                or(equal(x, b' '), or(equal(x, b'-'), in_range(x, b'(', 1))),
            );
            let hex_letter = in_range(or(x, splat(0x20)), b'a', 5);
            let ipv6 = or(or(hex_letter, digit), or(equal(x, b':'), dot));
            Masks {
                triggers: 0,
                base64: 0,
                digit: bits(digit),
                numeric: bits(or(digit, separator)),
                dot: bits(dot),
                plus: bits(plus),
                ipv6: bits(ipv6),
                upper: bits(in_range(x, b'A', 25)),
            }
        }
    }

    #[inline(always)]
    pub(super) fn quick(block: &[u8; BLOCK], set: TriggerSet) -> (u32, u32) {
        // SAFETY: see above.
        unsafe {
            let x = _mm_loadu_si128(block.as_ptr().cast());
            let digit = in_range(x, b'0', 9);
            let letter = in_range(or(x, splat(0x20)), b'a', 25);
            let base64 = or(or(letter, digit), or(equal(x, b'/'), equal(x, b'+')));
            let triggers = set.select(bits(digit), bits(equal(x, b':')), bits(equal(x, b'@')));
            (triggers, bits(base64))
        }
    }

    #[cfg(test)]
    pub(super) fn classify(block: &[u8; BLOCK], set: TriggerSet) -> Masks {
        // SAFETY: see above.
        unsafe {
            let x = _mm_loadu_si128(block.as_ptr().cast());
            let folded = or(x, splat(0x20)); // ASCII letters to lower case
            let digit = in_range(x, b'0', 9);
            let colon = equal(x, b':');
            let at = equal(x, b'@');
            let dot = equal(x, b'.');
            let plus = equal(x, b'+');

            let letter = in_range(folded, b'a', 25);
            let base64 = or(or(letter, digit), or(equal(x, b'/'), plus));
            let separator = or(
                or(dot, plus),
                or(equal(x, b' '), or(equal(x, b'-'), in_range(x, b'(', 1))),
            );
            let ipv6 = or(or(in_range(folded, b'a', 5), digit), or(colon, dot));
            let digit_bits = bits(digit);
            Masks {
                triggers: set.select(digit_bits, bits(colon), bits(at)),
                base64: bits(base64),
                digit: digit_bits,
                numeric: bits(or(digit, separator)),
                dot: bits(dot),
                plus: bits(plus),
                ipv6: bits(ipv6),
                upper: bits(in_range(x, b'A', 25)),
            }
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod imp {
    use super::{Masks, TriggerSet, BLOCK};

    #[inline(always)]
    pub(super) fn quick(block: &[u8; BLOCK], set: TriggerSet) -> (u32, u32) {
        let masks = classify(block, set);
        (masks.triggers, masks.base64)
    }

    #[inline(always)]
    pub(super) fn detail(block: &[u8; BLOCK]) -> Masks {
        Masks {
            triggers: 0,
            base64: 0,
            ..classify(block, TriggerSet::new(false, false, false))
        }
    }

    #[inline(always)]
    pub(super) fn classify(block: &[u8; BLOCK], set: TriggerSet) -> Masks {
        let mut masks = Masks {
            triggers: 0,
            base64: 0,
            digit: 0,
            numeric: 0,
            dot: 0,
            plus: 0,
            ipv6: 0,
            upper: 0,
        };
        for (i, &b) in block.iter().enumerate() {
            let digit = b.is_ascii_digit();
            let trigger = (digit && set.digits != 0)
                || (b == b':' && set.colon != 0)
                || (b == b'@' && set.at != 0);
            masks.triggers |= u32::from(trigger) << i;
            masks.base64 |= u32::from(b.is_ascii_alphanumeric() || b == b'/' || b == b'+') << i;
            masks.digit |= u32::from(digit) << i;
            masks.numeric |= u32::from(digit || b" ()+-.".contains(&b)) << i;
            masks.dot |= u32::from(b == b'.') << i;
            masks.plus |= u32::from(b == b'+') << i;
            masks.ipv6 |= u32::from(b.is_ascii_hexdigit() || b == b':' || b == b'.') << i;
            masks.upper |= u32::from(b.is_ascii_uppercase()) << i;
        }
        masks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_match_the_byte_classes_for_every_byte_in_every_lane() {
        let all = TriggerSet::new(true, true, true);
        let digits_only = TriggerSet::new(true, false, false);
        for byte in 0..=255u8 {
            for lane in 0..BLOCK {
                // Other lanes hold a byte (0) that is in no class.
                let mut block = [0u8; BLOCK];
                block[lane] = byte;
                let bit = |on: bool| if on { 1u32 << lane } else { 0 };
                let masks = classify(&block, all);
                let digit = byte.is_ascii_digit();
                let expected = Masks {
                    triggers: bit(digit || byte == b':' || byte == b'@'),
                    base64: bit(byte.is_ascii_alphanumeric() || byte == b'/' || byte == b'+'),
                    digit: bit(digit),
                    numeric: bit(digit || b" ()+-.".contains(&byte)),
                    dot: bit(byte == b'.'),
                    plus: bit(byte == b'+'),
                    ipv6: bit(byte.is_ascii_hexdigit() || byte == b':' || byte == b'.'),
                    upper: bit(byte.is_ascii_uppercase()),
                };
                assert_eq!(masks, expected, "byte {byte:#04x} in lane {lane}");
                assert_eq!(classify(&block, digits_only).triggers, bit(digit));
            }
        }
    }

    #[test]
    fn join_puts_the_second_block_in_the_high_half() {
        let set = TriggerSet::new(true, true, true);
        let joined = Masks::join(
            classify(b"1...............", set),
            classify(b"...............2", set),
        );
        assert_eq!(joined.digit, 1 | 1 << 31);
    }

    #[test]
    fn avx2_and_sse2_chunks_agree() {
        if !avx2_available() {
            return;
        }
        let set = TriggerSet::new(true, false, true);
        let text: Vec<u8> = (0..=255u8).chain(0..=255u8).rev().collect();
        for from in (0..text.len()).step_by(7) {
            // SAFETY: AVX2 checked above.
            let wide = unsafe { classify_chunk::<true>(&text, from, set) };
            // SAFETY: no AVX2 needed.
            let narrow = unsafe { classify_chunk::<false>(&text, from, set) };
            assert_eq!(wide, narrow, "from {from}");
            // SAFETY: as above.
            let quick = unsafe {
                (
                    quick_chunk::<true>(&text, from, set),
                    quick_chunk::<false>(&text, from, set),
                )
            };
            assert_eq!(quick.0, (wide.triggers, wide.base64));
            assert_eq!(quick.1, (wide.triggers, wide.base64));
            let expected = Masks {
                triggers: 0,
                base64: 0,
                ..wide
            };
            // SAFETY: as above.
            let detail = unsafe {
                (
                    detail_chunk::<true>(&text, from),
                    detail_chunk::<false>(&text, from),
                )
            };
            assert_eq!(detail, (expected, expected), "from {from}");
        }
    }

    #[test]
    fn load_pads_with_zeros() {
        assert_eq!(load(b"abc", 1)[..3], [b'b', b'c', 0]);
        assert_eq!(load(b"abc", 3), [0; BLOCK]);
    }
}
