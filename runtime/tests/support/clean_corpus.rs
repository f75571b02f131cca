//! Deterministic corpus of clean text full of numbers, for measuring false positives: Rust and
//! Python code, order ids, invoice and tracking numbers, timestamps (ISO 8601, epoch seconds and
//! milliseconds), prices in several notations, ISO dates, UUIDs, git hashes, version strings, log
//! and HTTP access lines, sizes, coordinates, ISBNs, and long numeric ids (decimal trace ids,
//! snowflakes). Nothing in it is personal data or a credential; no phone or SSN is *named* in
//! it. Generated here (nothing downloaded); the same seed gives the same text.

#![allow(dead_code)] // each including test uses part of it

use super::secrets::{Rng, HEX};

/// A line, and what in it a detector may flag by chance:
///
/// - `long_numbers`: random ids of 13 to 19 digits starting with 2 to 6, without separators.
///   One in ten passes the Luhn check, and a card detector cannot tell those from a card.
/// - `phone_words`: lines where a word that names a phone (`mobile`, `cell`) comes right before
///   an unrelated number of 4 to 11 digits; it is a compact phone number when it has 10 digits
///   and a plausible area code and exchange, or 11 digits starting with `1` and the same.
pub(crate) struct Line {
    pub(crate) text: String,
    pub(crate) long_numbers: usize,
    pub(crate) phone_words: usize,
}

fn date(rng: &mut Rng) -> String {
    format!(
        "{}-{:02}-{:02}",
        rng.range(1990, 2030),
        rng.range(1, 12),
        rng.range(1, 28)
    )
}

fn time(rng: &mut Rng) -> String {
    format!(
        "{:02}:{:02}:{:02}",
        rng.range(0, 23),
        rng.range(0, 59),
        rng.range(0, 59)
    )
}

fn uuid(rng: &mut Rng) -> String {
    format!(
        "{}-{}-4{}-{}{}-{}",
        rng.chars(HEX, 8),
        rng.chars(HEX, 4),
        rng.chars(HEX, 3),
        rng.pick(&["8", "9", "a", "b"]),
        rng.chars(HEX, 3),
        rng.chars(HEX, 12)
    )
}

fn number(rng: &mut Rng, low_digits: usize, high_digits: usize) -> String {
    let len = rng.range(low_digits, high_digits);
    format!("{}{}", rng.range(1, 9), rng.digits(len - 1))
}

/// A 13 to 19 digit id starting with 2 to 6.
fn long_id(rng: &mut Rng) -> String {
    let len = rng.range(13, 19);
    format!("{}{}", rng.range(2, 6), rng.digits(len - 1))
}

fn price(rng: &mut Rng) -> String {
    let units = rng.range(0, 99_999);
    let cents = rng.range(0, 99);
    match rng.below(5) {
        0 => format!("${}.{cents:02}", thousands(units, ',')),
        1 => format!("€ {},{cents:02}", thousands(units, '.')),
        2 => format!("{units}.{cents:02} USD"),
        3 => format!("CHF {}.{cents:02}", thousands(units, '\'')),
        _ => format!("£{units}"),
    }
}

fn thousands(value: usize, separator: char) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(separator);
        }
        out.push(c);
    }
    out
}

fn version(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => format!(
            "v{}.{}.{}",
            rng.range(0, 9),
            rng.range(0, 40),
            rng.range(0, 20)
        ),
        1 => format!(
            "{}.{}.{}-beta.{}",
            rng.range(0, 5),
            rng.range(0, 30),
            rng.range(0, 9),
            rng.range(1, 9)
        ),
        2 => format!("10.0.{}.{}", rng.range(10_000, 22_999), rng.range(1, 3000)),
        _ => format!(
            "rustc 1.{}.{} ({} {})",
            rng.range(60, 95),
            rng.range(0, 3),
            rng.chars(HEX, 9),
            date(rng)
        ),
    }
}

/// One line of the corpus.
pub(crate) fn line(rng: &mut Rng) -> Line {
    let mut long_numbers = 0;
    let mut phone_words = 0;
    let text = match rng.below(25) {
        0 => format!("let timeout = Duration::from_millis({});", number(rng, 1, 6)),
        1 => format!("const MAX_SIZE: usize = {};", number(rng, 3, 10)),
        2 => format!(
            "assert_eq!(hash, 0x{}_{}); // seed {}",
            rng.chars(HEX, 8).to_uppercase(),
            rng.chars(HEX, 8).to_uppercase(),
            number(rng, 6, 12)
        ),
        3 => format!(
            "for i in 0..{} {{ buf[i % {}] ^= {}; }}",
            number(rng, 2, 9),
            number(rng, 1, 4),
            number(rng, 1, 3)
        ),
        4 => format!(
            "def retry(max_attempts={}, backoff={}.{}):",
            rng.range(1, 9),
            rng.range(0, 9),
            rng.digits(2)
        ),
        5 => format!(
            "df = df[df[\"order_id\"] > {}]  # {} rows",
            number(rng, 6, 10),
            number(rng, 4, 9)
        ),
        6 => format!(
            "x = np.array([{}, {}, {}], dtype=np.int64)",
            number(rng, 1, 10),
            number(rng, 1, 10),
            number(rng, 1, 10)
        ),
        7 => format!(
            "Order #{} shipped on {} — {} items, total {}",
            number(rng, 7, 10),
            date(rng),
            rng.range(1, 40),
            price(rng)
        ),
        8 => format!(
            "ORD-{}-{} / invoice INV{} / tracking 1Z{}{}",
            rng.range(2015, 2030),
            rng.digits(6),
            rng.digits(8),
            rng.chars(b"ABCDEFGHJKLMNPRSTUVWXYZ0123456789", 6),
            rng.digits(10)
        ),
        9 => format!(
            "{}T{}.{}Z created_at={} updated_ms=1{}",
            date(rng),
            time(rng),
            rng.digits(3),
            rng.range(1_000_000_000, 1_999_999_999),
            rng.digits(12)
        ),
        10 => format!(
            "[{} {},{}] INFO worker-{} processed {} records in {}ms (batch {})",
            date(rng),
            time(rng),
            rng.digits(3),
            rng.range(1, 64),
            number(rng, 1, 9),
            number(rng, 1, 6),
            number(rng, 1, 9)
        ),
        11 => format!(
            "GET /api/v1/orders/{}?page={}&limit={} 200 {}ms {}B",
            number(rng, 5, 10),
            rng.range(1, 500),
            rng.range(10, 100),
            rng.range(1, 9999),
            number(rng, 3, 8)
        ),
        12 => format!(
            "request_id={} trace={} span={}",
            uuid(rng),
            rng.chars(HEX, 32),
            rng.chars(HEX, 16)
        ),
        13 => format!(
            "commit {} (short {}) bumped {} to {}",
            rng.chars(HEX, 40),
            rng.chars(HEX, 7),
            version(rng),
            version(rng)
        ),
        14 => format!(
            "Price: {} (was {}), save {}% until {}",
            price(rng),
            price(rng),
            rng.range(5, 70),
            date(rng)
        ),
        15 => format!(
            "pid={} tid={} rss={}kB vsz={}kB cpu={}.{}%",
            rng.range(1, 4_194_304),
            rng.range(1, 4_194_304),
            number(rng, 4, 8),
            number(rng, 5, 9),
            rng.range(0, 100),
            rng.digits(1)
        ),
        16 => format!(
            "resolution {}x{} at {} Hz, {} MB, sha256 {}",
            rng.range(320, 7680),
            rng.range(240, 4320),
            rng.pick(&["60", "120", "144"]),
            number(rng, 1, 5),
            rng.chars(HEX, 64)
        ),
        17 => format!(
            "lat {}.{} lon -{}.{} alt {} m",
            rng.range(0, 89),
            rng.digits(4),
            rng.range(0, 179),
            rng.digits(4),
            rng.range(0, 8848)
        ),
        18 => format!(
            "ISBN 978-{}-{}-{}-{} printed in {}",
            rng.range(0, 9),
            rng.digits(2),
            rng.digits(6),
            rng.digits(1),
            rng.range(1950, 2025)
        ),
        19 => {
            long_numbers += 2;
            format!(
                "span_id(dec)={} snowflake={} ok",
                long_id(rng),
                long_id(rng)
            )
        }
        20 => format!(
            "took {} ns; {} bytes; {} ops/s; p99 {} µs",
            number(rng, 6, 11),
            number(rng, 6, 11),
            number(rng, 3, 8),
            number(rng, 1, 6)
        ),
        21 => format!(
            "Between {} and {} the team shipped {} releases ({} of {} tests green, build #{}).",
            rng.range(1990, 2010),
            rng.range(2011, 2025),
            rng.range(2, 90),
            number(rng, 3, 5),
            number(rng, 3, 5),
            number(rng, 4, 7)
        ),
        22 => format!(
            "{{\"id\": {}, \"amount\": {}.{}, \"currency\": \"EUR\", \"at\": \"{}T{}Z\", \"ref\": \"{}\"}}",
            number(rng, 5, 12),
            rng.range(0, 99_999),
            rng.digits(2),
            date(rng),
            time(rng),
            uuid(rng)
        ),
        23 => {
            phone_words += 1;
            let len = rng.range(4, 11);
            format!(
                "{} build {} ({}{} bytes) uploaded",
                rng.pick(&["mobile", "Mobile", "cell"]),
                version(rng),
                rng.range(1, 9),
                rng.digits(len - 1)
            )
        }
        _ => format!(
            "Die Lieferung {} kommt am {}. März, Kosten {} — 注文番号 {} は {} に発送されました。",
            number(rng, 6, 10),
            rng.range(1, 31),
            price(rng),
            number(rng, 6, 11),
            date(rng)
        ),
    };
    Line {
        text,
        long_numbers,
        phone_words,
    }
}

/// A corpus of at least `bytes` bytes.
pub(crate) struct Corpus {
    pub(crate) lines: Vec<String>,
    pub(crate) bytes: usize,
    pub(crate) long_numbers: usize,
    pub(crate) phone_words: usize,
}

/// At least `bytes` bytes of lines, from `seed`.
pub(crate) fn corpus(seed: u64, bytes: usize) -> Corpus {
    let mut rng = Rng(seed);
    let mut corpus = Corpus {
        lines: Vec::new(),
        bytes: 0,
        long_numbers: 0,
        phone_words: 0,
    };
    while corpus.bytes < bytes {
        let line = line(&mut rng);
        corpus.bytes += line.text.len() + 1;
        corpus.long_numbers += line.long_numbers;
        corpus.phone_words += line.phone_words;
        corpus.lines.push(line.text);
    }
    corpus
}
