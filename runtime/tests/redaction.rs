//! Behaviour of the redaction engine: every detector with true and false positives, user patterns
//! and deny-lists, the keyed hasher, and a generated-text property test.

use std::borrow::Cow;

use llmscope_runtime::redact::{
    ContentHasher, Detector, Finding, FindingKind, HashKeyProblem, RedactError, Redactor,
};

fn redactor() -> Redactor {
    Redactor::builder().build()
}

/// Asserts that each `(input, expected)` redacts exactly to `expected`.
fn assert_redacts(cases: &[(&str, &str)]) {
    let redactor = redactor();
    for (input, expected) in cases {
        assert_eq!(redactor.redact(input), *expected, "input: {input:?}");
    }
}

/// Asserts that nothing in `inputs` is redacted, by any detector.
fn assert_clean(inputs: &[&str]) {
    let redactor = redactor();
    for input in inputs {
        let redacted = redactor.redact(input);
        assert!(
            matches!(redacted, Cow::Borrowed(_)),
            "false positive: {input:?} became {redacted:?} ({:?})",
            redactor.find(input)
        );
    }
}

#[test]
fn email() {
    assert_redacts(&[
        ("mail jane.doe+tag@mail.example.co.uk.", "mail [EMAIL]."),
        ("<bob_99@example.org>", "<[EMAIL]>"),
        ("Grüße, jörg.x@example.de!", "Grüße, [EMAIL]!"),
        ("josé.garcía@ejemplo.es", "[EMAIL]"),
        (
            "écrire à «josé.garcía@correo.españa.es»",
            "écrire à «[EMAIL]»",
        ),
        ("почта: иван@пример.рф.", "почта: [EMAIL]."),
        ("連絡先：太郎@example.jp", "連絡先：[EMAIL]"),
        ("'ñandú@пример.рфですv2", "'[EMAIL]v2"),
        // Letters of another script right after the top-level domain are taken in with it.
        ("taro@example.jpです", "[EMAIL]"),
        ("連絡先：taro@example.jp です", "連絡先：[EMAIL] です"),
        ("a@b-c.io,x@y.dev", "[EMAIL],[EMAIL]"),
    ]);
    assert_clean(&[
        "ping @username",
        "user@localhost",
        "a @ b.com",
        "foo@bar",
        "email@123.456",
        "@",
        "trailing@",
        "x@-bad.com",
    ]);
}

#[test]
fn phone() {
    assert_redacts(&[
        ("call +1 (415) 555-2671 now", "call [PHONE] now"),
        ("UK: +44 20 7946 0958.", "UK: [PHONE]."),
        ("FR +33 1 23 45 67 89", "FR [PHONE]"),
        ("e164 +14155552671", "e164 [PHONE]"),
        ("(415) 555-2671", "[PHONE]"),
        ("415-555-2671 or 415.555.2671", "[PHONE] or [PHONE]"),
        ("toll free 1-800-555-0199", "toll free [PHONE]"),
        ("電話 415 555 2671 まで", "電話 [PHONE] まで"),
        // Compact: only where the words before it name a phone.
        ("call me at 2025550143", "call me at [PHONE]"),
        ("phone: +12025550143", "phone: [PHONE]"),
        ("Phone: 12025550143", "Phone: [PHONE]"),
        ("mobile 2025550143, thanks", "mobile [PHONE], thanks"),
        (
            "{\"phone_number\": 2025550143}",
            "{\"phone_number\": [PHONE]}",
        ),
    ]);
    assert_clean(&[
        "took 2025550143 ns",
        "call 2 functions, 2025550143 bytes",
        "telemetry 2025550143",
        "phone 1025550143",
        "phone 2021550143",
        "phone 20255501430",
    ]);
    assert_clean(&[
        "on 2024-01-15 at 12:30:45",
        "version 1.2.3 and 10.0.19041.1",
        "ISBN 978-3-16-148410-0",
        "order 123-456-789",
        "page 12 of 345",
        "$1,234,567.89",
        "+1 2",
        "area code 055-555-2671",
        "between 1998 and 2004 (ca. 3000 items)",
    ]);
}

#[test]
fn us_ssn() {
    assert_redacts(&[
        ("SSN 123-45-6789.", "SSN [SSN]."),
        ("ssn:078-05-1120", "ssn:[SSN]"),
        // Compact: only where the words before it name an SSN.
        ("SSN 078051120", "SSN [SSN]"),
        ("ssn: 078051120.", "ssn: [SSN]."),
        (
            "my social security number is 078051120",
            "my social security number is [SSN]",
        ),
        ("SS# 078051120", "SS# [SSN]"),
    ]);
    assert_clean(&[
        "order 078051120",
        "lessons 078051120",
        "SSN 000051120",
        "SSN 078001120",
        "SSN 0780511200",
        "SSN 078051120.5",
    ]);
    assert_clean(&[
        "000-12-3456",
        "666-12-3456",
        "900-12-3456",
        "123-00-4567",
        "123-45-0000",
        "12-345-6789",
        "123-45-67890",
        "1123-45-6789",
    ]);
}

#[test]
fn payment_card() {
    let visa = with_luhn_digit("411111111111111");
    assert_eq!(visa, "4111111111111111");
    let mastercard = with_luhn_digit("555555555555444");
    let amex = with_luhn_digit("37828224631000");
    let discover = with_luhn_digit("601111111111111");
    let grouped = format!(
        "{} {} {} {}",
        &mastercard[..4],
        &mastercard[4..8],
        &mastercard[8..12],
        &mastercard[12..]
    );
    let dashed = format!(
        "{}-{}-{}-{}",
        &visa[..4],
        &visa[4..8],
        &visa[8..12],
        &visa[12..]
    );
    let amex_grouped = format!("{} {} {}", &amex[..4], &amex[4..10], &amex[10..]);
    let redactor = redactor();
    for card in [
        &visa,
        &mastercard,
        &amex,
        &discover,
        &grouped,
        &dashed,
        &amex_grouped,
    ] {
        let text = format!("pay with {card}, thanks — 有難う");
        assert_eq!(
            redactor.redact(&text),
            "pay with [CARD], thanks — 有難う",
            "{card}"
        );
    }
    // A number written just before a grouped card must not hide it (even if the two together
    // pass the Luhn check).
    for prefix in ["2024-01-15", "1234", "6011 0000"] {
        let text = format!("ref {prefix} {grouped} end");
        let redacted = redactor.redact(&text);
        assert!(
            redacted.ends_with("[CARD] end"),
            "{text:?} became {redacted:?}"
        );
    }
    // Luhn failures: the last digit changed.
    let mut wrong = visa.clone();
    wrong.replace_range(15.., if visa.ends_with('1') { "2" } else { "1" });
    let wrong_grouped = format!(
        "{} {} {} {}",
        &wrong[..4],
        &wrong[4..8],
        &wrong[8..12],
        &wrong[12..]
    );
    assert_clean(&[
        &wrong,
        &wrong_grouped,
        "0000000000000000",
        "12345678901234567890123",
        "order 4111-11",
        &format!("x{visa}"),
    ]);
}

#[test]
fn iban_detector() {
    // Registry examples, and the reference agrees with them.
    assert_eq!(iban("DE", "370400440532013000"), "DE89370400440532013000");
    assert_eq!(iban("GB", "WEST12345698765432"), "GB82WEST12345698765432");
    assert_eq!(iban("NL", "ABNA0417164300"), "NL91ABNA0417164300");
    let fr = iban("FR", "20041010050500013M02606");
    assert_redacts(&[
        (
            "IBAN DE89 3704 0044 0532 0130 00 bitte",
            "IBAN [IBAN] bitte",
        ),
        ("IBAN: DE89370400440532013000.", "IBAN: [IBAN]."),
        ("GB82 WEST 1234 5698 7654 32", "[IBAN]"),
        ("(GB82WEST12345698765432)", "([IBAN])"),
        ("NL91ABNA0417164300 とか", "[IBAN] とか"),
        ("BE71 0961 2345 6769 THE END", "[IBAN] THE END"),
    ]);
    assert_eq!(redactor().redact(&fr), "[IBAN]");
    assert_eq!(redactor().redact(&grouped_by_four(&fr)), "[IBAN]");
    assert_clean(&[
        "DE88 3704 0044 0532 0130 00",
        "GB82WEST12345698765433",
        "DE89",
        "XDE89370400440532013000",
        "AB12 CDEF",
    ]);
}

#[test]
fn ip_addresses() {
    assert_redacts(&[
        ("host 192.168.1.10 up", "host [IP] up"),
        ("connect 10.0.0.1:8080", "connect [IP]:8080"),
        ("end 8.8.8.8.", "end [IP]."),
        ("v6 2001:db8::8a2e:370:7334 ok", "v6 [IP] ok"),
        ("2001:0db8:85a3:0000:0000:8a2e:0370:7334", "[IP]"),
        ("link fe80::1ff:fe23:4567:890a%eth0", "link [IP]%eth0"),
        ("mapped ::ffff:192.0.2.128", "mapped [IP]"),
        ("[2001:db8::1]:443", "[[IP]]:443"),
        ("addr:2001:db8::1", "addr:[IP]"),
        ("サーバー2001:db8::1です", "サーバー[IP]です"),
    ]);
    assert_clean(&[
        "1.2.3",
        "1.2.3.4.5",
        "256.1.1.1",
        "10.0.19041.1",
        "v1.2.3.4",
        "at 12:30:45",
        "mac 00:1A:2B:3C:4D:5E",
        "std::vec::Vec and a::b",
        "loopback ::1",
        "1:2:3:4:5:6:7",
    ]);
}

const JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

#[test]
fn jwt() {
    let redactor = redactor();
    assert_eq!(
        redactor.redact(&format!("Authorization: Bearer {JWT}\n")),
        "Authorization: Bearer [JWT]\n"
    );
    assert_eq!(redactor.redact(&format!("「{JWT}」")), "「[JWT]」");
    assert_clean(&[
        "eyJ",
        "heyJude",
        "eyJhbGciOiJIUzI1NiJ9",
        "eyJhbGciOiJIUzI1NiJ9.x",
    ]);
}

#[test]
fn openai_and_anthropic_keys() {
    let openai = "sk-proj-Xy7aB3cD9eF1gH5iJ2kL8mN4oP6qR0sT-uV_wX3yZ";
    let legacy = "sk-3kPq9ZmW1xYv7RtB2nLs4JhG8fDc6aEe0uIoTyHgFb5Q1w2E";
    let anthropic =
        "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AA";
    assert_redacts(&[
        (
            &format!("OPENAI_API_KEY={openai}"),
            "OPENAI_API_KEY=[API_KEY]",
        ),
        (&format!("key '{legacy}'"), "key '[API_KEY]'"),
        (&format!("x-api-key: {anthropic}"), "x-api-key: [API_KEY]"),
    ]);
    assert_clean(&[
        "a risk-free, desk-top task",
        "pip install sk-learn",
        "sk-abcdefghijklmnopqrstuvwxyz",
        "sk-ant-short",
        "task-3kPq9ZmW1xYv7RtB2nLs4JhG8fDc6aEe0uIoTyHgFb5Q",
    ]);
    let openai_only = Redactor::builder().without(Detector::AnthropicKey).build();
    assert_eq!(openai_only.redact(anthropic), anthropic);
    assert_eq!(openai_only.redact(legacy), "[API_KEY]");
}

#[test]
fn aws_keys() {
    assert_redacts(&[
        (
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
            "aws_access_key_id = [AWS_KEY]",
        ),
        ("ASIAY34FZKBOKMUTVV7A,", "[AWS_KEY],"),
        (
            "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
            "aws_secret_access_key=[AWS_SECRET]\n",
        ),
        (
            "「wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY」",
            "「[AWS_SECRET]」",
        ),
    ]);
    let camel = "ThisIsAVeryLongCamelCaseIdentifierNameXy";
    let path = "api/v1/users/Profile/settings/update/abc";
    let base64 = "SGVsbG8gd29ybGQhIFRoaXMgaXMgYmFzZTY0IQ==";
    assert_eq!((camel.len(), path.len(), base64.len()), (40, 40, 40));
    assert_clean(&[
        "AKIA",
        "AKIAIOSFODNN7EXAMPL",
        "AKIAIOSFODNN7EXAMPLEX",
        "xAKIAIOSFODNN7EXAMPLE",
        "commit da39a3ee5e6b4b0d3255bfef95601890afd80709",
        camel,
        path,
        base64,
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYx",
        "_wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ]);
}

#[test]
fn github_google_and_slack_tokens() {
    let classic = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789";
    let fine =
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW012345";
    let google = "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe";
    let slack = "xoxb-263594206564-2343594206574-FGqddMF8t08v8N7Oq4i57vs1";
    assert_redacts(&[
        (&format!("token {classic}"), "token [GITHUB_TOKEN]"),
        (
            &format!("GH_TOKEN=\"{fine}\""),
            "GH_TOKEN=\"[GITHUB_TOKEN]\"",
        ),
        (&format!("?key={google}&q=1"), "?key=[API_KEY]&q=1"),
        (&format!("slack: {slack}"), "slack: [SLACK_TOKEN]"),
        (&format!("ghs_{}", &classic[4..]), "[GITHUB_TOKEN]"),
    ]);
    assert_clean(&[
        "ghp_short",
        "aghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
        "github_pat_short",
        "AIzaShort",
        "xoxb-hello",
        "xoxo and hugs",
        "xoxb-abcdefghijklmnop",
    ]);
}

#[test]
fn private_key_blocks() {
    let body = "MIIEowIBAAKCAQEAx4U5fG8a\nQ2fz0jK1Xq0xN3y+/Zb7c9Tq==\n";
    let rsa = format!("-----BEGIN RSA PRIVATE KEY-----\n{body}-----END RSA PRIVATE KEY-----");
    let openssh =
        format!("-----BEGIN OPENSSH PRIVATE KEY-----\n{body}-----END OPENSSH PRIVATE KEY-----");
    let escaped = "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----";
    let truncated = format!("-----BEGIN EC PRIVATE KEY-----\n{body}");
    assert_redacts(&[
        (
            &format!("key:\n{rsa}\nthanks"),
            "key:\n[PRIVATE_KEY]\nthanks",
        ),
        (&format!("鍵「{openssh}」"), "鍵「[PRIVATE_KEY]」"),
        (
            &format!("{{\"pem\": \"{escaped}\"}}"),
            "{\"pem\": \"[PRIVATE_KEY]\"}",
        ),
        (&truncated, "[PRIVATE_KEY]"),
    ]);
    assert_clean(&[
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----",
        "-----BEGIN",
    ]);
}

#[test]
fn every_detector_can_be_turned_off() {
    let samples: [(Detector, &str); 16] = [
        (Detector::Email, "jane@example.com"),
        (Detector::Phone, "+44 20 7946 0958"),
        (Detector::UsSsn, "123-45-6789"),
        (Detector::PaymentCard, "4111111111111111"),
        (Detector::Iban, "DE89370400440532013000"),
        (Detector::Ipv4, "192.168.1.10"),
        (Detector::Ipv6, "2001:db8::1"),
        (Detector::Jwt, JWT),
        (
            Detector::OpenAiKey,
            "sk-3kPq9ZmW1xYv7RtB2nLs4JhG8fDc6aEe0uIoTyHgFb5Q1w2E",
        ),
        (
            Detector::AnthropicKey,
            "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AA",
        ),
        (Detector::AwsAccessKeyId, "AKIAIOSFODNN7EXAMPLE"),
        (
            Detector::AwsSecretKey,
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
        (
            Detector::GitHubToken,
            "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
        ),
        (
            Detector::GoogleApiKey,
            "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe",
        ),
        (
            Detector::SlackToken,
            "xoxb-263594206564-2343594206574-FGqddMF8t08v8N7Oq4i57vs1",
        ),
        (
            Detector::PrivateKeyBlock,
            "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----",
        ),
    ];
    for (detector, sample) in samples {
        let text = format!("x {sample} y");
        let only = Redactor::builder()
            .without_builtins()
            .with(detector)
            .build();
        assert_eq!(
            only.redact(&text),
            format!("x {} y", detector.placeholder()),
            "{detector}"
        );
        assert_eq!(
            only.find(&text),
            vec![Finding {
                kind: FindingKind::Builtin(detector),
                range: 2..2 + sample.len()
            }]
        );
        let without = Redactor::builder().without(detector).build();
        assert_eq!(
            without.redact(&text),
            text,
            "{detector} still redacted when off"
        );
    }
}

#[test]
fn user_patterns_and_deny_lists() {
    let redactor = Redactor::builder()
        .with_pattern("ticket id", r"(?-u:\b)TCK-[0-9]{5}(?-u:\b)")
        .unwrap()
        .with_deny_list("codename", ["Project Falcon", "Bluebird", ""])
        .with_deny_list("person", vec!["Zoë Müller".to_string()])
        .build();
    let text = "Zoë Müller asked about project FALCON and bluebirds in TCK-12345; TCK-1 is fine";
    assert_eq!(
        redactor.redact(text),
        "[PERSON] asked about [CODENAME] and [CODENAME]s in [TICKET_ID]; TCK-1 is fine"
    );
    let findings = redactor.find(text);
    assert_eq!(findings[0].kind, FindingKind::Custom("person".into()));
    assert_eq!(findings[0].kind.placeholder(), "[PERSON]");
    assert_eq!(&text[findings[0].range.clone()], "Zoë Müller");
    assert_eq!(findings.last().unwrap().kind.name(), "ticket id");
}

#[test]
fn overlapping_findings_merge_into_their_union() {
    // The deny-listed word straddles the end of an email: the union is redacted, labelled by the
    // finding that starts first.
    let redactor = Redactor::builder()
        .with_deny_list("word", ["comet"])
        .build();
    assert_eq!(redactor.redact("to a@b.comet now"), "to [EMAIL] now");
    let redactor = Redactor::builder().with_deny_list("word", ["o xa"]).build();
    let findings = redactor.find("to xa@b.com");
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].range, 1..11);
    assert_eq!(findings[0].kind, FindingKind::Custom("word".into()));
}

#[test]
fn invalid_user_pattern_names_the_pattern() {
    let err = Redactor::builder()
        .with_pattern("order number", "ORD-[0-9")
        .unwrap_err();
    match &err {
        RedactError::InvalidPattern { name, message } => {
            assert_eq!(name, "order number");
            assert!(message.contains("unclosed character class"), "{message}");
        }
        other => panic!("unexpected error {other:?}"),
    }
    assert!(
        err.to_string()
            .starts_with("invalid pattern `order number`: "),
        "{err}"
    );
}

#[test]
fn clean_text_is_borrowed_and_findings_are_char_aligned() {
    let redactor = redactor();
    let clean = "Übermorgen treffen wir uns in 東京 um 15 Uhr — risk-free, version 1.2.3.";
    assert!(matches!(redactor.redact(clean), Cow::Borrowed(_)));
    assert!(redactor.is_clean(clean));
    let text = "メール🙂a@b.jp🙂と4111111111111111の件";
    for finding in redactor.find(text) {
        assert!(text.is_char_boundary(finding.range.start));
        assert!(text.is_char_boundary(finding.range.end));
    }
    assert_eq!(redactor.redact(text), "メール🙂[EMAIL]🙂と[CARD]の件");
}

// --- ContentHasher ----------------------------------------------------------------------------

#[test]
fn hasher_matches_rfc_4231_test_vectors() {
    // RFC 4231 §4.2 (test case 1) and §4.3 (test case 2), HMAC-SHA-256.
    let case1 = ContentHasher::new(&[0x0b; 20]).hash("Hi There");
    assert_eq!(
        case1,
        "hmac-sha256:b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
    );
    let case2 = ContentHasher::new(b"Jefe").hash("what do ya want for nothing?");
    assert_eq!(
        case2,
        "hmac-sha256:5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn hasher_is_keyed_and_deterministic() {
    let a = ContentHasher::new(b"key number one, long enough");
    let b = ContentHasher::new(b"key number two, long enough");
    assert_eq!(a.hash("prompt"), a.clone().hash("prompt"));
    assert_ne!(a.hash("prompt"), b.hash("prompt"));
    assert_ne!(a.hash("prompt"), a.hash("prompt "));
    assert_eq!(a.hash("prompt"), a.hash_bytes(b"prompt"));
    assert!(!format!("{a:?}").contains("key number"));
}

#[test]
fn hasher_from_hex() {
    let hex = "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b";
    assert_eq!(
        ContentHasher::from_hex(hex).unwrap().hash("Hi There"),
        ContentHasher::new(&[0x0b; 20]).hash("Hi There")
    );
    assert_eq!(
        ContentHasher::from_hex("0b0b").unwrap_err(),
        RedactError::InvalidHashKey {
            variable: None,
            problem: HashKeyProblem::TooShort { bytes: 2 }
        }
    );
}

// --- Property test ----------------------------------------------------------------------------

#[path = "support/secrets.rs"]
mod secrets;
use secrets::{generate, grouped_by_four, iban, with_luhn_digit, Rng};

#[test]
fn generated_texts_never_leak_secret_bytes() {
    const TEXTS: usize = 100_000;
    let redactor = redactor();
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let mut kinds = Detector::ALL.into_iter().cycle();
    let mut per_kind = [0usize; 16];
    for round in 0..TEXTS {
        let count = 1 + rng.below(3);
        let (text, secrets) = generate(&mut rng, &mut kinds, count);
        let findings = redactor.find(&text);
        let redacted = redactor.redact(&text);
        for (kind, range) in &secrets {
            per_kind[kind.index_for_test()] += 1;
            // Every byte of the secret lies in one finding (findings are merged, so one covers it).
            let covered = findings
                .iter()
                .any(|f| f.range.start <= range.start && range.end <= f.range.end);
            let value = &text[range.clone()];
            assert!(
                covered,
                "round {round}: {kind} secret {value:?} not covered in {text:?}; findings {findings:?}"
            );
            assert!(
                !redacted.contains(value),
                "round {round}: {kind} secret {value:?} leaked into {redacted:?}"
            );
        }
    }
    assert!(per_kind.iter().all(|&n| n >= TEXTS / 16), "{per_kind:?}");
}

/// `Detector::index` is crate-private; the position in `Detector::ALL` is the same thing.
trait IndexForTest {
    fn index_for_test(self) -> usize;
}

impl IndexForTest for Detector {
    fn index_for_test(self) -> usize {
        Detector::ALL.iter().position(|&d| d == self).unwrap()
    }
}

/// A secret right after a JSON or C escape is found in plain text (escapes are boundaries), and
/// in JSON content on the decoded values.
#[test]
fn escapes_are_boundaries_and_json_content_is_decoded() {
    let redactor = redactor();
    let card = "5105 1051 0510 5100";
    for escape in [
        r"\n", r"\t", r"\r", r#"\""#, r"\\", r"\/", r"\u00a0", r"\b", r"\f", r"\\n",
    ] {
        let text = format!(r#"{{"q":"Line one{escape}{card}"}}"#);
        let expected = format!(r#"{{"q":"Line one{escape}[CARD]"}}"#);
        assert_eq!(redactor.redact(&text), expected, "plain text {text}");
        // Re-encoded strings may write an escape differently (`\/` as `/`): compare decoded.
        let value = |json: &str| serde_json::from_str::<serde_json::Value>(json).unwrap();
        assert_eq!(
            value(&redactor.redact_content(&text)),
            value(&expected),
            "json {text}"
        );
        // Not valid JSON (cut off): the escape is still a boundary.
        let cut = format!(r#"{{"q":"Line one{escape}{card}, and"#);
        assert!(!redactor.redact_content(&cut).contains(card), "{cut}");
    }
    // Secrets written with escapes are only visible decoded.
    let escaped_digits = r#"{"card":"\u0035105 1051 0510 5100"}"#;
    assert_eq!(
        redactor.redact_content(escaped_digits),
        r#"{"card":"[CARD]"}"#
    );
    let escaped_at = r#"["jane\u0040example.com"]"#;
    assert_eq!(redactor.redact_content(escaped_at), r#"["[EMAIL]"]"#);
    // Keys, numbers, and JSON inside a JSON string (escaped twice).
    assert_eq!(
        redactor.redact_content(r#"{"jane@example.com": 5105105105105100}"#),
        r#"{"[EMAIL]": "[CARD]"}"#
    );
    let twice = serde_json::to_string(&format!(r#"{{"q":"x\n{card}"}}"#)).unwrap();
    let redacted = redactor.redact_content(&twice);
    let decoded: String = serde_json::from_str(&redacted).unwrap();
    assert_eq!(decoded, r#"{"q":"x\n[CARD]"}"#);
    // A member's key is context for its value.
    assert_eq!(
        redactor.redact_content(r#"{"ssn": "078051120", "order": "078051120"}"#),
        r#"{"ssn": "[SSN]", "order": "078051120"}"#
    );
    // Untouched JSON is borrowed, its formatting kept.
    let clean = "{ \"a\" : [1, 2.5e3, true, null], \"b\": \"line\\nbreak\" }";
    assert!(matches!(redactor.redact_content(clean), Cow::Borrowed(_)));
}
