//! Classification of 16-byte blocks into bit masks: SSE2 on x86_64 (part of its baseline, so no
//! runtime detection), a plain loop elsewhere.

/// Bytes classified per step.
pub(crate) const BLOCK: usize = 16;

/// Which trigger bytes a scan wants, as all-ones or all-zeros lane selectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TriggerSet {
    digits: u8,
    colon: u8,
    at: u8,
}

impl TriggerSet {
    pub(crate) fn new(digits: bool, colon: bool, at: bool) -> TriggerSet {
        let select = |on: bool| if on { 0xFF } else { 0 };
        TriggerSet {
            digits: select(digits),
            colon: select(colon),
            at: select(at),
        }
    }

    pub(crate) fn is_empty(self) -> bool {
        self.digits | self.colon | self.at == 0
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

#[cfg(target_arch = "x86_64")]
mod imp {
    use super::{NumericMasks, TriggerSet, BLOCK};
    use core::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8,
        _mm_or_si128, _mm_set1_epi8, _mm_sub_epi8,
    };

    // SAFETY (for every `unsafe` below): SSE2 is part of the x86_64 baseline, so its intrinsics
    // are always available; the only memory access is the unaligned load of exactly the 16 bytes
    // of a `&[u8; 16]`.

    #[inline(always)]
    unsafe fn splat(byte: u8) -> __m128i {
        _mm_set1_epi8(byte as i8)
    }

    #[inline(always)]
    unsafe fn load(block: &[u8; BLOCK]) -> __m128i {
        _mm_loadu_si128(block.as_ptr().cast())
    }

    /// Lanes equal to all-ones where `x - low` (wrapping) is at most `span`.
    #[inline(always)]
    unsafe fn in_range(x: __m128i, low: u8, span: u8) -> __m128i {
        let offset = _mm_sub_epi8(x, splat(low));
        _mm_cmpeq_epi8(_mm_min_epu8(offset, splat(span)), offset)
    }

    #[inline(always)]
    pub(crate) fn triggers(block: &[u8; BLOCK], set: TriggerSet) -> u32 {
        // SAFETY: see above.
        unsafe {
            let x = load(block);
            let digit = _mm_and_si128(in_range(x, b'0', 9), splat(set.digits));
            let colon = _mm_and_si128(_mm_cmpeq_epi8(x, splat(b':')), splat(set.colon));
            let at = _mm_and_si128(_mm_cmpeq_epi8(x, splat(b'@')), splat(set.at));
            _mm_movemask_epi8(_mm_or_si128(digit, _mm_or_si128(colon, at))) as u32
        }
    }

    #[inline(always)]
    pub(crate) fn numeric(block: &[u8; BLOCK]) -> NumericMasks {
        // SAFETY: see above.
        unsafe {
            let x = load(block);
            let digit = in_range(x, b'0', 9);
            let dot = _mm_cmpeq_epi8(x, splat(b'.'));
            let space = _mm_cmpeq_epi8(x, splat(b' '));
            let parens = in_range(x, b'(', 1); // `(` and `)`
            let plus = _mm_cmpeq_epi8(x, splat(b'+'));
            let dash = _mm_cmpeq_epi8(x, splat(b'-'));
            let separator = _mm_or_si128(_mm_or_si128(dot, space), _mm_or_si128(parens, plus));
            let class = _mm_or_si128(_mm_or_si128(separator, dash), digit);
            let hex_letter = in_range(_mm_or_si128(x, splat(0x20)), b'a', 5);
            let colon = _mm_cmpeq_epi8(x, splat(b':'));
            let ipv6 = _mm_or_si128(_mm_or_si128(hex_letter, digit), _mm_or_si128(colon, dot));
            NumericMasks {
                digit: _mm_movemask_epi8(digit) as u32,
                class: _mm_movemask_epi8(class) as u32,
                dot: _mm_movemask_epi8(dot) as u32,
                ipv6: _mm_movemask_epi8(ipv6) as u32,
                upper: _mm_movemask_epi8(in_range(x, b'A', 25)) as u32,
            }
        }
    }

    #[inline(always)]
    pub(crate) fn base64(block: &[u8; BLOCK]) -> u32 {
        // SAFETY: see above.
        unsafe {
            let x = load(block);
            let letter = in_range(_mm_or_si128(x, splat(0x20)), b'a', 25);
            let digit = in_range(x, b'0', 9);
            let slash = _mm_cmpeq_epi8(x, splat(b'/'));
            let plus = _mm_cmpeq_epi8(x, splat(b'+'));
            let class = _mm_or_si128(_mm_or_si128(letter, digit), _mm_or_si128(slash, plus));
            _mm_movemask_epi8(class) as u32
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod imp {
    use super::{NumericMasks, TriggerSet, BLOCK};

    #[inline(always)]
    pub(crate) fn numeric(block: &[u8; BLOCK]) -> NumericMasks {
        let mut masks = NumericMasks {
            digit: 0,
            class: 0,
            dot: 0,
            ipv6: 0,
            upper: 0,
        };
        for (i, &b) in block.iter().enumerate() {
            let digit = b.is_ascii_digit();
            let class = digit || matches!(b, b' ' | b'(' | b')' | b'+' | b'-' | b'.');
            masks.digit |= u32::from(digit) << i;
            masks.class |= u32::from(class) << i;
            masks.dot |= u32::from(b == b'.') << i;
            masks.ipv6 |= u32::from(b.is_ascii_hexdigit() || b == b':' || b == b'.') << i;
            masks.upper |= u32::from(b.is_ascii_uppercase()) << i;
        }
        masks
    }

    #[inline(always)]
    pub(crate) fn triggers(block: &[u8; BLOCK], set: TriggerSet) -> u32 {
        let mut mask = 0;
        for (i, &b) in block.iter().enumerate() {
            let wanted = (b.is_ascii_digit() && set.digits != 0)
                || (b == b':' && set.colon != 0)
                || (b == b'@' && set.at != 0);
            mask |= u32::from(wanted) << i;
        }
        mask
    }

    #[inline(always)]
    pub(crate) fn base64(block: &[u8; BLOCK]) -> u32 {
        let mut mask = 0;
        for (i, &b) in block.iter().enumerate() {
            let class = b.is_ascii_alphanumeric() || b == b'/' || b == b'+';
            mask |= u32::from(class) << i;
        }
        mask
    }
}

/// Bit `i` set when byte `i` of `block` is a trigger byte wanted by `set` (a digit, `:` or `@`).
#[inline(always)]
pub(crate) fn triggers(block: &[u8; BLOCK], set: TriggerSet) -> u32 {
    imp::triggers(block, set)
}

/// Masks of the bytes that make up numbers written with separators, and IP addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NumericMasks {
    /// ASCII digits.
    pub(crate) digit: u32,
    /// Digits and the separators ` ()+-.` (the numeric window class of `matchers`).
    pub(crate) class: u32,
    /// `.`
    pub(crate) dot: u32,
    /// Hex digits, `:` and `.` (the IPv6 class of `matchers`).
    pub(crate) ipv6: u32,
    /// Upper-case ASCII letters.
    pub(crate) upper: u32,
}

/// Numeric masks of `block`.
#[inline(always)]
pub(crate) fn numeric(block: &[u8; BLOCK]) -> NumericMasks {
    imp::numeric(block)
}

/// Bit `i` set when byte `i` of `block` is in `[A-Za-z0-9/+]`.
#[inline(always)]
pub(crate) fn base64(block: &[u8; BLOCK]) -> u32 {
    imp::base64(block)
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
                let mut block = [b' '; BLOCK];
                block[lane] = byte;
                let bit = 1u32 << lane;
                let trigger = byte.is_ascii_digit() || byte == b':' || byte == b'@';
                assert_eq!(triggers(&block, all), if trigger { bit } else { 0 }, "{byte:#04x}");
                let digit = byte.is_ascii_digit();
                assert_eq!(triggers(&block, digits_only), if digit { bit } else { 0 });
                let class = byte.is_ascii_alphanumeric() || byte == b'/' || byte == b'+';
                assert_eq!(base64(&block), if class { bit } else { 0 }, "{byte:#04x}");
                let numeric_class = digit || b" ()+-.".contains(&byte);
                let mut block = [b'x'; BLOCK];
                block[lane] = byte;
                let masks = numeric(&block);
                assert_eq!(masks.digit, if digit { bit } else { 0 });
                assert_eq!(masks.class, if numeric_class { bit } else { 0 }, "{byte:#04x}");
                assert_eq!(masks.dot, if byte == b'.' { bit } else { 0 });
                let ipv6 = byte.is_ascii_hexdigit() || byte == b':' || byte == b'.';
                assert_eq!(masks.ipv6, if ipv6 { bit } else { 0 }, "{byte:#04x}");
                assert_eq!(masks.upper, if byte.is_ascii_uppercase() { bit } else { 0 });
            }
        }
    }

    #[test]
    fn load_pads_with_zeros() {
        assert_eq!(load(b"abc", 1)[..3], [b'b', b'c', 0]);
        assert_eq!(load(b"abc", 3), [0; BLOCK]);
    }
}
