//! False positives of the built-in detectors on clean text full of numbers (code, order ids,
//! timestamps, prices, ISO dates, UUIDs, versions, log lines; see `support/clean_corpus.rs`).
//!
//! `cargo test -p llmscope-runtime --test false_positives -- --nocapture` prints the rate per MB
//! and per line by detector; the figures are in `BENCHMARKS.md` and the redaction docs.
//!
//! The bound, derived from how the corpus is generated rather than from a measured run:
//!
//! - Every detector but two must find nothing: the corpus holds no address, key, token, IBAN,
//!   dashed SSN or separated phone number, and never names an SSN.
//! - Payment card: the corpus holds `long_numbers` random ids of 13 to 19 digits starting with 2
//!   to 6. A uniformly random digit string passes the Luhn check with probability 1/10, so the
//!   expected count is `long_numbers / 10`, binomial; the bound is that plus five standard
//!   deviations. (No card detector can do better on such ids without context.)
//! - Phone: in `phone_words` lines a word naming a phone (`mobile`, `cell`) precedes a number
//!   of 4 to 11 digits (length uniform over 8 values, first digit 1 to 9, others 0 to 9). It is
//!   read as a compact phone number when it has 10 digits with area code and exchange starting
//!   2 to 9 — probability 1/8 · 8/9 · 8/10 — or 11 digits starting with 1, then the same —
//!   1/8 · 1/9 · 8/10 · 8/10. Bound: expected plus five standard deviations.

#[path = "support/secrets.rs"]
mod secrets;

#[path = "support/clean_corpus.rs"]
mod clean_corpus;

use std::collections::BTreeMap;

use llmscope_runtime::redact::{Detector, FindingKind, Redactor};

/// About 4 MB of text.
const CORPUS_BYTES: usize = 4 << 20;

fn bound(trials: usize, probability: f64) -> f64 {
    let expected = trials as f64 * probability;
    let deviation = (trials as f64 * probability * (1.0 - probability)).sqrt();
    expected + 5.0 * deviation
}

#[test]
fn false_positives_on_clean_numeric_text_stay_within_their_derived_bound() {
    let corpus = clean_corpus::corpus(0x0F00_D5EE_D000_0001, CORPUS_BYTES);
    let redactor = Redactor::builder().build();
    let mut per_detector: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut examples: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    for line in &corpus.lines {
        for finding in redactor.find(line) {
            let FindingKind::Builtin(detector) = finding.kind else {
                unreachable!("no custom patterns")
            };
            *per_detector.entry(detector.name()).or_default() += 1;
            let seen = examples.entry(detector.name()).or_default();
            if seen.len() < 3 {
                seen.push(line[finding.range].to_owned());
            }
        }
    }

    let megabytes = corpus.bytes as f64 / (1 << 20) as f64;
    let lines = corpus.lines.len();
    let total: usize = per_detector.values().sum();
    println!(
        "clean corpus: {:.2} MB, {lines} lines, {} random 13-19 digit ids, {} lines naming a phone",
        megabytes, corpus.long_numbers, corpus.phone_words
    );
    println!("| detector | findings | per MB | per 10,000 lines | examples |");
    println!("|---|---:|---:|---:|---|");
    for (name, count) in &per_detector {
        println!(
            "| {name} | {count} | {:.1} | {:.2} | {:?} |",
            *count as f64 / megabytes,
            *count as f64 * 10_000.0 / lines as f64,
            examples[name]
        );
    }
    println!(
        "| all | {total} | {:.1} | {:.2} | |",
        total as f64 / megabytes,
        total as f64 * 10_000.0 / lines as f64
    );

    let card_bound = bound(corpus.long_numbers, 0.1);
    let phone_probability = 1.0 / 8.0 * 8.0 / 9.0 * 0.8 + 1.0 / 8.0 * 1.0 / 9.0 * 0.8 * 0.8;
    let phone_bound = bound(corpus.phone_words, phone_probability);
    for detector in Detector::ALL {
        let count = per_detector.get(detector.name()).copied().unwrap_or(0) as f64;
        let limit = match detector {
            Detector::PaymentCard => card_bound,
            Detector::Phone => phone_bound,
            _ => 0.0,
        };
        assert!(
            count <= limit,
            "{detector}: {count} false positives, bound {limit:.1}; examples {:?}",
            examples.get(detector.name())
        );
    }
    // The corpus does exercise both chance paths.
    assert!(corpus.long_numbers > 1_000 && corpus.phone_words > 1_000);
}
