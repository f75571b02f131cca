//! The built-in detectors: their names, placeholders and what each one matches.

use std::fmt;

/// A built-in detector of sensitive content.
///
/// Every detector matches ASCII text only, so a finding always starts and ends on a UTF-8 character
/// boundary whatever surrounds it. The exact shape each one accepts is documented on its variant;
/// the placeholder that replaces a finding is given by [`Detector::placeholder`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Detector {
    /// An email address `local@domain.tld`: the local part in `[A-Za-z0-9._%+-]` or non-ASCII
    /// letters and digits (`josé.garcía@…`, RFC 6531), two or more domain labels of letters,
    /// digits and `-` (non-ASCII letters too: `correo.españa.es`), and a top-level domain of two
    /// or more letters (`es`, `рф`) or punycode. Text of another script glued to either end
    /// (`日本語jane@example.jpです`) is taken in with the address rather than cut inside it.
    /// `[EMAIL]`.
    Email,
    /// A phone number: international (`+` and a country code, 8 to 15 digits in groups separated
    /// by single spaces, dashes, dots or parentheses) or North American (`(415) 555-2671`,
    /// `415-555-2671`, `415.555.2671`, `415 555 2671`). Dates, times and version numbers do not
    /// match. A North American number without separators (`2025550143`, `12025550143`) matches
    /// only when, within the 32 bytes before it, a word names a phone: `phone`, `telephone`,
    /// `cellphone`, `tel`, `mobile`, `cell`, `fax`, `sms`, `whatsapp`, `call me`/`us`/`him`/
    /// `her`/`them`/`at`, `calling`, `text me`, `reach me`, `dial` (any case, starting a word).
    /// `[PHONE]`.
    Phone,
    /// A US social security number `123-45-6789`, excluding the never-issued areas `000`, `666`
    /// and `9xx`, group `00` and serial `0000`. Nine digits without dashes (`078051120`) match
    /// only when, within the 32 bytes before them, `SSN`, `social security` or `SS#` names
    /// one (any case, starting a word). `[SSN]`.
    UsSsn,
    /// A payment card number: 13 to 19 digits starting with 2 to 6 and passing the Luhn check,
    /// compact or in groups separated by one space or one dash throughout, every group but the
    /// last at least four digits long (`4111 1111 1111 1111`, `3782 822463 10005`). `[CARD]`.
    PaymentCard,
    /// An IBAN in upper case, compact (`DE89370400440532013000`) or printed in groups of four
    /// (`DE89 3704 0044 0532 0130 00`), 15 to 34 characters, with a valid ISO 7064 mod-97
    /// checksum. `[IBAN]`.
    Iban,
    /// A dotted-quad IPv4 address with every part at most 255, not part of a longer dotted
    /// number such as a version `1.2.3.4.5`. `[IP]`.
    Ipv4,
    /// An IPv6 address of at least six characters, full or `::`-compressed, optionally ending in
    /// an embedded IPv4 address. `[IP]`.
    Ipv6,
    /// A JSON Web Token: three base64url segments separated by dots, the first starting `eyJ`.
    /// `[JWT]`.
    Jwt,
    /// An OpenAI API key `sk-…` (including `sk-proj-…`): at least 20 characters of
    /// `[A-Za-z0-9_-]` after `sk-` mixing at least two of upper case, lower case and digits.
    /// `[API_KEY]`.
    OpenAiKey,
    /// An Anthropic API key `sk-ant-…`: at least 20 characters of `[A-Za-z0-9_-]` after
    /// `sk-ant-`, mixing at least two of upper case, lower case and digits. `[API_KEY]`.
    AnthropicKey,
    /// An AWS access key id: `AKIA`, `ASIA`, `ABIA` or `ACCA` followed by 16 characters of
    /// `[A-Z0-9]`. `[AWS_KEY]`.
    AwsAccessKeyId,
    /// An AWS secret access key: a standalone run of exactly 40 characters of `[A-Za-z0-9/+]`
    /// containing an upper-case letter, a lower-case letter and a digit, with at most three `/`,
    /// not starting or ending with `/` and not followed by base64 padding `=`. Lower-case hex
    /// (a git commit id) never matches. `[AWS_SECRET]`.
    AwsSecretKey,
    /// A GitHub token: `ghp_`, `gho_`, `ghu_`, `ghs_` or `ghr_` followed by at least 30
    /// alphanumerics, or `github_pat_` followed by at least 22 characters of `[A-Za-z0-9_]`.
    /// `[GITHUB_TOKEN]`.
    GitHubToken,
    /// A Google API key: `AIza` followed by at least 35 characters of `[A-Za-z0-9_-]`.
    /// `[API_KEY]`.
    GoogleApiKey,
    /// A Slack token: `xoxa-`, `xoxb-`, `xoxp-`, `xoxr-` or `xoxs-` followed by at least 10
    /// characters of `[A-Za-z0-9-]` including a digit. `[SLACK_TOKEN]`.
    SlackToken,
    /// A PEM private key block from `-----BEGIN … PRIVATE KEY-----` to the matching
    /// `-----END … PRIVATE KEY-----` line. When the end line is missing (truncated text) the
    /// block runs to the end of the base64 body that follows the header. `[PRIVATE_KEY]`.
    PrivateKeyBlock,
}

impl Detector {
    /// Every built-in detector, in declaration order.
    pub const ALL: [Detector; 16] = [
        Detector::Email,
        Detector::Phone,
        Detector::UsSsn,
        Detector::PaymentCard,
        Detector::Iban,
        Detector::Ipv4,
        Detector::Ipv6,
        Detector::Jwt,
        Detector::OpenAiKey,
        Detector::AnthropicKey,
        Detector::AwsAccessKeyId,
        Detector::AwsSecretKey,
        Detector::GitHubToken,
        Detector::GoogleApiKey,
        Detector::SlackToken,
        Detector::PrivateKeyBlock,
    ];

    /// The typed placeholder that replaces this detector's findings, e.g. `[EMAIL]`.
    pub const fn placeholder(self) -> &'static str {
        match self {
            Detector::Email => "[EMAIL]",
            Detector::Phone => "[PHONE]",
            Detector::UsSsn => "[SSN]",
            Detector::PaymentCard => "[CARD]",
            Detector::Iban => "[IBAN]",
            Detector::Ipv4 | Detector::Ipv6 => "[IP]",
            Detector::Jwt => "[JWT]",
            Detector::OpenAiKey | Detector::AnthropicKey | Detector::GoogleApiKey => "[API_KEY]",
            Detector::AwsAccessKeyId => "[AWS_KEY]",
            Detector::AwsSecretKey => "[AWS_SECRET]",
            Detector::GitHubToken => "[GITHUB_TOKEN]",
            Detector::SlackToken => "[SLACK_TOKEN]",
            Detector::PrivateKeyBlock => "[PRIVATE_KEY]",
        }
    }

    /// The detector's stable snake_case name, e.g. `payment_card`.
    pub const fn name(self) -> &'static str {
        match self {
            Detector::Email => "email",
            Detector::Phone => "phone",
            Detector::UsSsn => "us_ssn",
            Detector::PaymentCard => "payment_card",
            Detector::Iban => "iban",
            Detector::Ipv4 => "ipv4",
            Detector::Ipv6 => "ipv6",
            Detector::Jwt => "jwt",
            Detector::OpenAiKey => "openai_key",
            Detector::AnthropicKey => "anthropic_key",
            Detector::AwsAccessKeyId => "aws_access_key_id",
            Detector::AwsSecretKey => "aws_secret_key",
            Detector::GitHubToken => "github_token",
            Detector::GoogleApiKey => "google_api_key",
            Detector::SlackToken => "slack_token",
            Detector::PrivateKeyBlock => "private_key_block",
        }
    }

    /// The detector with the given [`name`](Detector::name), if any.
    pub fn from_name(name: &str) -> Option<Detector> {
        Detector::ALL.into_iter().find(|d| d.name() == name)
    }

    /// Index of this detector in [`Detector::ALL`], used as a bit position and table index.
    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Detector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_in_declaration_order_and_names_round_trip() {
        for (i, d) in Detector::ALL.into_iter().enumerate() {
            assert_eq!(d.index(), i);
            assert_eq!(Detector::from_name(d.name()), Some(d));
            let p = d.placeholder();
            assert!(p.starts_with('[') && p.ends_with(']'), "{p}");
        }
        assert_eq!(Detector::from_name("e-mail"), None);
    }
}
