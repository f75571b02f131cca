//! Check digits that tell real identifiers from look-alike digit runs.

/// Whether `digits` (values 0–9, most significant first) pass the Luhn check used by payment
/// cards (ISO/IEC 7812-1).
pub(crate) fn luhn_valid(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (position, &digit) in digits.iter().rev().enumerate() {
        let mut value = u32::from(digit);
        if position % 2 == 1 {
            value *= 2;
            if value > 9 {
                value -= 9;
            }
        }
        sum += value;
    }
    sum % 10 == 0
}

/// The ISO 7064 mod-97-10 remainder of an IBAN given as its parts: the basic bank account number
/// (upper-case letters and digits), the two-letter country code and the two check digits. A valid
/// IBAN has remainder 1.
pub(crate) fn iban_remainder(bban: &[u8], country: [u8; 2], check: [u8; 2]) -> u32 {
    // The IBAN is rotated so the country code and check digits come last, letters become two
    // digits (A = 10 … Z = 35), and the resulting number is taken mod 97 digit by digit.
    let mut remainder = 0u32;
    for &c in bban.iter().chain(&country).chain(&check) {
        remainder = if c.is_ascii_digit() {
            (remainder * 10 + u32::from(c - b'0')) % 97
        } else {
            (remainder * 100 + u32::from(c - b'A') + 10) % 97
        };
    }
    remainder
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_accepts_known_test_numbers_and_rejects_one_digit_changes() {
        let visa: Vec<u8> = b"4111111111111111".iter().map(|d| d - b'0').collect();
        assert!(luhn_valid(&visa));
        let amex: Vec<u8> = b"378282246310005".iter().map(|d| d - b'0').collect();
        assert!(luhn_valid(&amex));
        let mut broken = visa.clone();
        broken[15] = 2;
        assert!(!luhn_valid(&broken));
    }

    #[test]
    fn iban_remainder_is_one_for_the_standard_examples() {
        // Examples from the ISO 13616 registry (German and British sample IBANs).
        assert_eq!(iban_remainder(b"370400440532013000", *b"DE", *b"89"), 1);
        assert_eq!(iban_remainder(b"WEST12345698765432", *b"GB", *b"82"), 1);
        assert_ne!(iban_remainder(b"370400440532013000", *b"DE", *b"88"), 1);
    }
}
