//! Deterministic generator of texts with embedded secrets of every built-in kind, shared by the
//! redaction property test and the capture property test (which checks exported bytes).

#![allow(dead_code)] // each including test uses part of it

use llmscope_runtime::redact::Detector;

/// SplitMix64: small, deterministic, good enough to generate test text.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub(crate) fn range(&mut self, low: usize, high_inclusive: usize) -> usize {
        low + self.below(high_inclusive - low + 1)
    }

    pub(crate) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    pub(crate) fn chars(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| char::from(alphabet[self.below(alphabet.len())]))
            .collect()
    }

    pub(crate) fn chars_between(
        &mut self,
        alphabet: &[u8],
        low: usize,
        high_inclusive: usize,
    ) -> String {
        let len = self.range(low, high_inclusive);
        self.chars(alphabet, len)
    }

    pub(crate) fn digits(&mut self, len: usize) -> String {
        self.chars(DIGITS, len)
    }
}

pub(crate) const DIGITS: &[u8] = b"0123456789";
pub(crate) const UPPER_DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
pub(crate) const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
pub(crate) const BASE64URL: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
pub(crate) const BASE64: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
pub(crate) const HEX: &[u8] = b"0123456789abcdef";

/// A secret of the given kind, in one of the shapes its detector documents.
pub(crate) fn secret(rng: &mut Rng, kind: Detector) -> String {
    match kind {
        Detector::Email if rng.below(4) == 0 => {
            // Internationalised: non-ASCII letters in the local part, sometimes the domain.
            let local = rng.pick(&[
                "josé.garcía",
                "zoë",
                "müller",
                "иван.петров",
                "太郎",
                "søren.kierkegård",
                "ñandú",
            ]);
            let domain = rng.pick(&[
                "ejemplo.es",
                "example.com",
                "bücher.de",
                "correo.españa.es",
                "пример.рф",
            ]);
            let digits = rng.below(3);
            format!("{local}{}@{domain}", rng.digits(digits))
        }
        Detector::Email => {
            let local = format!(
                "{}{}",
                rng.chars(b"abcdefghijklmnopqrstuvwxyz", 1),
                rng.chars_between(b"abcdefghijklmnopqrstuvwxyz0123456789._+-", 0, 12)
            );
            let domain = rng.chars_between(b"abcdefghijklmnopqrstuvwxyz0123456789", 1, 10);
            let tld = rng.pick(&["com", "org", "de", "io", "co.uk", "jp"]);
            format!("{local}@{domain}.{tld}")
        }
        Detector::Phone => {
            let area = format!("{}{}", rng.range(2, 9), rng.digits(2));
            let exchange = format!("{}{}", rng.range(2, 9), rng.digits(2));
            let line = rng.digits(4);
            match rng.below(5) {
                0 => format!("({area}) {exchange}-{line}"),
                1 => format!("{area}-{exchange}-{line}"),
                2 => format!("+1 {area} {exchange} {line}"),
                3 => format!("+44 {} {} {}", rng.digits(2), rng.digits(4), rng.digits(4)),
                _ => format!("+{}{}", rng.range(1, 9), rng.chars_between(DIGITS, 9, 12)),
            }
        }
        Detector::UsSsn => {
            let area = loop {
                let area = rng.range(1, 899);
                if area != 666 {
                    break area;
                }
            };
            format!(
                "{area:03}-{:02}-{:04}",
                rng.range(1, 99),
                rng.range(1, 9999)
            )
        }
        Detector::PaymentCard => {
            let (prefix, len) = match rng.below(4) {
                0 => ("4".to_string(), 16),
                1 => (format!("5{}", rng.range(1, 5)), 16),
                2 => (rng.pick(&["34", "37"]).to_string(), 15),
                _ => ("6011".to_string(), 16),
            };
            let payload = format!("{prefix}{}", rng.digits(len - 1 - prefix.len()));
            let card = with_luhn_digit(&payload);
            match rng.below(3) {
                0 => card,
                1 => grouped_by_four(&card),
                _ => grouped_by_four(&card).replace(' ', "-"),
            }
        }
        Detector::Iban => {
            let (country, bban) = match rng.below(5) {
                0 => ("DE", rng.digits(18)),
                1 => (
                    "GB",
                    format!(
                        "{}{}",
                        rng.chars(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", 4),
                        rng.digits(14)
                    ),
                ),
                2 => (
                    "NL",
                    format!(
                        "{}{}",
                        rng.chars(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", 4),
                        rng.digits(10)
                    ),
                ),
                3 => (
                    "FR",
                    format!(
                        "{}{}{}",
                        rng.digits(10),
                        rng.chars(UPPER_DIGITS, 11),
                        rng.digits(2)
                    ),
                ),
                _ => ("NO", rng.digits(11)),
            };
            let compact = iban(country, &bban);
            if rng.below(2) == 0 {
                compact
            } else {
                grouped_by_four(&compact)
            }
        }
        Detector::Ipv4 => format!(
            "{}.{}.{}.{}",
            rng.range(0, 255),
            rng.range(0, 255),
            rng.range(0, 255),
            rng.range(0, 255)
        ),
        Detector::Ipv6 => {
            let groups: Vec<String> = (0..8).map(|_| rng.chars_between(HEX, 1, 4)).collect();
            match rng.below(3) {
                0 => groups.join(":"),
                1 => format!("{}::{}", groups[..2].join(":"), groups[5..].join(":")),
                _ => format!(
                    "::ffff:{}.{}.{}.{}",
                    rng.range(0, 255),
                    rng.range(0, 255),
                    rng.range(0, 255),
                    rng.range(0, 255)
                ),
            }
        }
        Detector::Jwt => format!(
            "eyJ{}.eyJ{}.{}",
            rng.chars_between(BASE64URL, 16, 40),
            rng.chars_between(BASE64URL, 8, 80),
            rng.chars(BASE64URL, 43)
        ),
        Detector::OpenAiKey => {
            let prefix = rng.pick(&["sk-", "sk-proj-"]);
            format!("{prefix}{}", rng.chars(ALNUM, 48))
        }
        Detector::AnthropicKey => format!("sk-ant-api03-{}AA", rng.chars(BASE64URL, 93)),
        Detector::AwsAccessKeyId => format!(
            "{}{}",
            rng.pick(&["AKIA", "ASIA"]),
            rng.chars(UPPER_DIGITS, 16)
        ),
        Detector::AwsSecretKey => loop {
            // Drawn from the documented shape: 40 base64 characters with upper, lower and digit,
            // at most three `/`, none at either end.
            let key = rng.chars(BASE64, 40);
            let ok = key.bytes().any(|b| b.is_ascii_uppercase())
                && key.bytes().any(|b| b.is_ascii_lowercase())
                && key.bytes().any(|b| b.is_ascii_digit())
                && key.bytes().filter(|&b| b == b'/').count() <= 3
                && !key.starts_with('/')
                && !key.ends_with('/');
            if ok {
                break key;
            }
        },
        Detector::GitHubToken => {
            if rng.below(2) == 0 {
                format!(
                    "{}{}",
                    rng.pick(&["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]),
                    rng.chars(ALNUM, 36)
                )
            } else {
                format!(
                    "github_pat_{}_{}",
                    rng.chars(ALNUM, 22),
                    rng.chars(ALNUM, 59)
                )
            }
        }
        Detector::GoogleApiKey => format!("AIza{}", rng.chars(BASE64URL, 35)),
        Detector::SlackToken => format!(
            "{}{}-{}-{}",
            rng.pick(&["xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-"]),
            rng.digits(12),
            rng.digits(13),
            rng.chars(ALNUM, 24)
        ),
        Detector::PrivateKeyBlock => {
            let label = rng.pick(&[
                "RSA PRIVATE KEY",
                "PRIVATE KEY",
                "EC PRIVATE KEY",
                "OPENSSH PRIVATE KEY",
            ]);
            let lines: Vec<String> = (0..rng.range(1, 3))
                .map(|_| rng.chars(BASE64, 64))
                .collect();
            let newline = rng.pick(&["\n", "\\n", "\r\n"]);
            let body = lines.join(newline);
            if rng.below(4) == 0 {
                // Truncated: no end line.
                format!("-----BEGIN {label}-----{newline}{body}")
            } else {
                format!("-----BEGIN {label}-----{newline}{body}{newline}-----END {label}-----")
            }
        }
        other => panic!("no generator for {other}"),
    }
}

/// A secret and the words written right before it: empty for most, the words that name it for
/// the compact forms that are only detected in context (`SSN 078051120`, `call me at
/// 2025550143`).
pub(crate) fn secret_in_context(rng: &mut Rng, kind: Detector) -> (&'static str, String) {
    match kind {
        Detector::UsSsn if rng.below(3) == 0 => {
            let prefix = rng.pick(&[
                "SSN ",
                "ssn: ",
                "social security number ",
                "SSN#",
                "my SSN is ",
            ]);
            let ssn = secret(rng, kind).replace('-', "");
            (prefix, ssn)
        }
        Detector::Phone if rng.below(3) == 0 => {
            let prefix = rng.pick(&[
                "call me at ",
                "phone: ",
                "Phone ",
                "mobile: ",
                "tel. ",
                "whatsapp ",
            ]);
            let trunk = if rng.below(2) == 0 { "1" } else { "" };
            let number = format!(
                "{trunk}{}{}{}{}{}",
                rng.range(2, 9),
                rng.digits(2),
                rng.range(2, 9),
                rng.digits(2),
                rng.digits(4)
            );
            (prefix, number)
        }
        _ => ("", secret(rng, kind)),
    }
}

/// Filler words: prose in several scripts, and near misses of the detectors.
pub(crate) const FILLER: &[&str] = &[
    "the",
    "model",
    "answered",
    "prompt",
    "risk-free",
    "desk-top",
    "version",
    "1.2.3",
    "2024-01-15",
    "12:30",
    "C++",
    "std::vec",
    "e-mail",
    "@team",
    "eyes",
    "heyJ",
    "AKIA",
    "ghp",
    "sk",
    "xoxo",
    "page 12",
    "3 items",
    "-----",
    "Grüße",
    "Straße",
    "schön",
    "Übermorgen",
    "東京",
    "こんにちは",
    "日本語のテキスト",
    "、",
    "🙂",
    "привет",
    "naïve",
    "ÅÄÖ",
    "42",
    "v2",
    "x",
    "DE",
    "AB12",
];
pub(crate) const BEFORE: &[&str] = &[
    " ",
    "\n",
    "\t",
    "\"",
    "'",
    "(",
    "<",
    ": ",
    "=",
    "= ",
    "ü",
    "日本語",
    "—",
    "「",
    "key:",
];
pub(crate) const AFTER: &[&str] = &[
    " ", "\n", "\"", "'", ")", ">", ". ", ", ", "; ", "! ", "ü", "です", "—", "」", "\r\n",
];

/// Generates one text with `count` secrets; returns it and each secret's byte range.
pub(crate) fn generate(
    rng: &mut Rng,
    kinds: &mut impl Iterator<Item = Detector>,
    count: usize,
) -> (String, Vec<(Detector, std::ops::Range<usize>)>) {
    let mut text = String::new();
    let mut secrets = Vec::new();
    for _ in 0..count {
        for _ in 0..rng.below(6) {
            text.push_str(rng.pick(FILLER));
            text.push_str(rng.pick(&[" ", " ", "", "\n", ", "]));
        }
        text.push_str(rng.pick(BEFORE));
        let kind = kinds.next().unwrap();
        let (context, value) = secret_in_context(rng, kind);
        text.push_str(context);
        let start = text.len();
        text.push_str(&value);
        secrets.push((kind, start..text.len()));
        text.push_str(rng.pick(AFTER));
    }
    for _ in 0..rng.below(4) {
        text.push_str(rng.pick(FILLER));
        text.push(' ');
    }
    (text, secrets)
}

/// Appends the Luhn check digit to `payload` (the reference algorithm, written independently of
/// the crate's).
pub(crate) fn with_luhn_digit(payload: &str) -> String {
    let sum: u32 = payload
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let doubled = d * 2;
                doubled / 10 + doubled % 10
            } else {
                d
            }
        })
        .sum();
    format!("{payload}{}", (10 - sum % 10) % 10)
}

/// An IBAN from its country and BBAN, check digits computed per ISO 7064 mod 97-10 (reference
/// written here with decimal string arithmetic, independently of the crate).
pub(crate) fn iban(country: &str, bban: &str) -> String {
    let rearranged: String = format!("{bban}{country}00")
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                c.to_string()
            } else {
                (c as u32 - 'A' as u32 + 10).to_string()
            }
        })
        .collect();
    let remainder = rearranged.as_bytes().chunks(7).fold(0u64, |acc, chunk| {
        let chunk = std::str::from_utf8(chunk).unwrap();
        let scale = 10u64.pow(chunk.len() as u32);
        (acc * scale + chunk.parse::<u64>().unwrap()) % 97
    });
    format!("{country}{:02}{bban}", 98 - remainder)
}

pub(crate) fn grouped_by_four(compact: &str) -> String {
    compact
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(" ")
}
