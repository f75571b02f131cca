//! Message helpers shared by every error of the macros: backticked name lists and "did you
//! mean" suggestions for misspelled names.

/// Formats names as "`a`, `b` or `c`".
pub(crate) fn backticked(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

/// "; did you mean `near`?" when a candidate is close to `input`, else the empty string.
pub(crate) fn hint<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    did_you_mean(input, candidates)
        .map(|near| format!("; did you mean `{near}`?"))
        .unwrap_or_default()
}

/// "; did you mean `near`?" when a candidate is close to `input`, else `otherwise()` (what
/// was expected, or how to write what was meant).
pub(crate) fn hint_or<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    otherwise: impl FnOnce() -> String,
) -> String {
    did_you_mean(input, candidates)
        .map(|near| format!("; did you mean `{near}`?"))
        .unwrap_or_else(otherwise)
}

/// "unknown `label` argument `name`" with a suggestion among `candidates`.
pub(crate) fn unknown_argument<'a>(
    label: &str,
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    format!(
        "unknown `{label}` argument `{name}`{}",
        hint(name, candidates)
    )
}

/// The candidate closest to `input` by optimal-string-alignment distance (Levenshtein plus
/// transposition of adjacent characters), if it is within `max(1, len / 3)` edits, where `len`
/// is the number of characters of `input`.
///
/// On a tie the earliest candidate wins. A candidate equal to `input` is returned as is (distance
/// 0), so callers only ask once an exact lookup has failed.
pub(crate) fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let input: Vec<char> = input.chars().collect();
    let threshold = (input.len() / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        let chars: Vec<char> = candidate.chars().collect();
        // Each edit changes the length by at most one.
        if chars.len().abs_diff(input.len()) > threshold {
            continue;
        }
        let distance = edit_distance(&input, &chars);
        if distance <= threshold && best.is_none_or(|(best, _)| distance < best) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// Optimal-string-alignment distance: insertions, deletions, substitutions and transpositions of
/// adjacent characters each cost one (no substring is edited twice).
fn edit_distance(a: &[char], b: &[char]) -> usize {
    // rows[i][j] = distance between a[..i] and b[..j]
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let substitution = usize::from(a[i - 1] != b[j - 1]);
            let mut distance = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + substitution);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                distance = distance.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = distance;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::{backticked, did_you_mean, edit_distance};
    use crate::registry::ATTRIBUTES;

    const ARGUMENTS: &[&str] = &[
        "provider",
        "model",
        "operation",
        "temperature",
        "top_p",
        "top_k",
        "max_tokens",
        "seed",
    ];

    fn distance(a: &str, b: &str) -> usize {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        edit_distance(&a, &b)
    }

    fn attribute_names() -> impl Iterator<Item = &'static str> {
        ATTRIBUTES.iter().map(|attribute| attribute.name)
    }

    #[test]
    fn backticked_joins_with_commas_and_or() {
        assert_eq!(backticked(&[]), "");
        assert_eq!(backticked(&["a"]), "`a`");
        assert_eq!(backticked(&["a", "b", "c"]), "`a`, `b` or `c`");
    }

    #[test]
    fn distance_counts_each_kind_of_edit_once() {
        assert_eq!(distance("model", "model"), 0);
        assert_eq!(distance("modle", "model"), 1); // transposition
        assert_eq!(distance("mode", "model"), 1); // insertion
        assert_eq!(distance("models", "model"), 1); // deletion
        assert_eq!(distance("modal", "model"), 1); // substitution
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("ca", "abc"), 3); // OSA, not unrestricted Damerau (which gives 2)
    }

    #[test]
    fn suggests_transposed_argument() {
        assert_eq!(
            did_you_mean("modle", ARGUMENTS.iter().copied()),
            Some("model")
        );
    }

    #[test]
    fn suggests_misspelled_attribute() {
        assert_eq!(
            did_you_mean("gen_ai.request.temprature", attribute_names()),
            Some("gen_ai.request.temperature")
        );
        assert_eq!(
            did_you_mean("gen_ai.request.max_token", attribute_names()),
            Some("gen_ai.request.max_tokens")
        );
        assert_eq!(
            did_you_mean("gen_ai.provider_name", attribute_names()),
            Some("gen_ai.provider.name")
        );
    }

    #[test]
    fn suggestion_for_a_wrong_usage_key_stays_in_its_namespace() {
        let suggestion = did_you_mean("gen_ai.usage.cached_tokens", attribute_names());
        if let Some(suggestion) = suggestion {
            assert!(
                suggestion.starts_with("gen_ai.usage."),
                "absurd suggestion {suggestion}"
            );
        }
    }

    #[test]
    fn nothing_close_gives_no_suggestion() {
        assert_eq!(did_you_mean("xyz", ARGUMENTS.iter().copied()), None);
        assert_eq!(did_you_mean("app.tenant", attribute_names()), None);
        assert_eq!(did_you_mean("gen_ai.foo", attribute_names()), None);
        assert_eq!(did_you_mean("modle", std::iter::empty()), None);
    }

    #[test]
    fn threshold_grows_with_length() {
        // 5 characters: one edit allowed, two are too many.
        assert_eq!(did_you_mean("modal", ["model"]), Some("model"));
        assert_eq!(did_you_mean("mdoal", ["model"]), None);
        // 12 characters: up to four edits allowed.
        assert_eq!(
            did_you_mean("mxx_tokenzzz", ["max_tokens"]),
            Some("max_tokens")
        );
    }

    #[test]
    fn nearest_candidate_wins_and_ties_keep_the_first() {
        assert_eq!(did_you_mean("top_q", ["top_k", "top_p"]), Some("top_k"));
        assert_eq!(did_you_mean("seeds", ["speed", "seed"]), Some("seed"));
    }
}
