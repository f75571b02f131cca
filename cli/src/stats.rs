//! Statistics with bounded memory: quantiles from a log-bucket sketch, samples from a seeded
//! reservoir, and the tests `diff` uses (Mann–Whitney U, Fisher's exact test).

use std::collections::HashMap;

/// Quantiles within 0.1 % relative error from a sparse log-bucket histogram (the DDSketch
/// idea): memory grows with the spread of the values (≤ ~7,000 buckets per factor 10^6), not
/// with their number.
#[derive(Debug, Clone, Default)]
pub(crate) struct Quantiles {
    buckets: HashMap<i32, u64>,
    zeros: u64,
    count: u64,
    sum: f64,
}

/// Bucket growth factor: a value is reported as its bucket's centre, within ±0.1 %.
const GAMMA: f64 = 1.002;

impl Quantiles {
    /// Adds a value (negative and non-finite values are ignored).
    pub(crate) fn add(&mut self, value: f64) {
        if !value.is_finite() || value < 0.0 {
            return;
        }
        self.count += 1;
        self.sum += value;
        if value < 1e-12 {
            self.zeros += 1;
            return;
        }
        let index = (value.ln() / GAMMA.ln()).ceil() as i32;
        *self.buckets.entry(index).or_insert(0) += 1;
    }

    /// Number of values.
    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    /// Mean, if any value.
    pub(crate) fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }

    /// The nearest-rank `q` quantile (0 < q ≤ 1), if any value.
    pub(crate) fn quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        if rank <= self.zeros {
            return Some(0.0);
        }
        let mut indexes: Vec<(&i32, &u64)> = self.buckets.iter().collect();
        indexes.sort_unstable_by_key(|(index, _)| **index);
        let mut seen = self.zeros;
        for (index, count) in indexes {
            seen += count;
            if seen >= rank {
                // The bucket (γ^(i-1), γ^i] reported by its centre.
                return Some(2.0 * GAMMA.powi(*index) / (GAMMA + 1.0));
            }
        }
        None
    }
}

/// A uniform sample of at most `capacity` values (Vitter's algorithm R) with a fixed seed, so
/// the same input gives the same sample.
#[derive(Debug, Clone)]
pub(crate) struct Reservoir {
    values: Vec<f64>,
    seen: u64,
    capacity: usize,
    state: u64,
}

impl Reservoir {
    /// An empty reservoir keeping `capacity` values.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            values: Vec::new(),
            seen: 0,
            capacity,
            state: 0x5eed_11a5_c0fe_e000,
        }
    }

    fn next(&mut self) -> u64 {
        // SplitMix64.
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Offers a value.
    pub(crate) fn add(&mut self, value: f64) {
        if !value.is_finite() {
            return;
        }
        self.seen += 1;
        if self.values.len() < self.capacity {
            self.values.push(value);
        } else {
            let slot = self.next() % self.seen;
            if let Some(kept) = self.values.get_mut(slot as usize) {
                *kept = value;
            }
        }
    }

    /// The kept values.
    pub(crate) fn values(&self) -> &[f64] {
        &self.values
    }
}

/// Exact quantile (nearest rank) of a sample.
pub(crate) fn sample_quantile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

/// Mean of a sample.
pub(crate) fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Two-sided p-value of the Mann–Whitney U test (normal approximation with tie correction and
/// continuity correction; good from ~8 values per side, and `diff` requires more).
pub(crate) fn mann_whitney(before: &[f64], after: &[f64]) -> f64 {
    let (n1, n2) = (before.len() as f64, after.len() as f64);
    if before.is_empty() || after.is_empty() {
        return 1.0;
    }
    let mut all: Vec<(f64, bool)> = before
        .iter()
        .map(|v| (*v, false))
        .chain(after.iter().map(|v| (*v, true)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = all.len();
    let mut rank_sum_after = 0.0;
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let tied = (j - i + 1) as f64;
        let average_rank = (i + j) as f64 / 2.0 + 1.0;
        for item in &all[i..=j] {
            if item.1 {
                rank_sum_after += average_rank;
            }
        }
        tie_term += tied * tied * tied - tied;
        i = j + 1;
    }
    let u = rank_sum_after - n2 * (n2 + 1.0) / 2.0;
    let mean_u = n1 * n2 / 2.0;
    let total = n1 + n2;
    let variance = n1 * n2 / 12.0 * ((total + 1.0) - tie_term / (total * (total - 1.0)));
    if variance <= 0.0 {
        return 1.0;
    }
    let z = ((u - mean_u).abs() - 0.5).max(0.0) / variance.sqrt();
    (2.0 * normal_upper_tail(z)).min(1.0)
}

/// P(Z > z) for a standard normal (Abramowitz–Stegun 7.1.26 erfc, error < 1.5e-7).
fn normal_upper_tail(z: f64) -> f64 {
    let x = z / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    0.5 * poly * (-x * x).exp()
}

fn ln_factorial(n: u64) -> f64 {
    (2..=n).map(|k| (k as f64).ln()).sum()
}

/// Two-sided p-value of Fisher's exact test on a 2×2 table: `errors_before` of `n_before`
/// against `errors_after` of `n_after` (exact at any sample size, which error counts need).
pub(crate) fn fisher_exact(
    errors_before: u64,
    n_before: u64,
    errors_after: u64,
    n_after: u64,
) -> f64 {
    let errors = errors_before + errors_after;
    let total = n_before + n_after;
    if total == 0 || errors == 0 || errors == total {
        return 1.0;
    }
    let base = ln_factorial(errors)
        + ln_factorial(total - errors)
        + ln_factorial(n_before)
        + ln_factorial(n_after)
        - ln_factorial(total);
    let probability = |a: u64| -> f64 {
        // a errors before, errors - a after.
        let b = errors - a;
        (base
            - ln_factorial(a)
            - ln_factorial(n_before - a)
            - ln_factorial(b)
            - ln_factorial(n_after - b))
        .exp()
    };
    let low = errors.saturating_sub(n_after);
    let high = errors.min(n_before);
    let observed = probability(errors_before);
    (low..=high)
        .map(probability)
        .filter(|p| *p <= observed * (1.0 + 1e-7))
        .sum::<f64>()
        .min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_within_a_tenth_of_a_percent() {
        let mut sketch = Quantiles::default();
        let values: Vec<f64> = (1..=1000).map(|i| f64::from(i) * 0.37).collect();
        for v in &values {
            sketch.add(*v);
        }
        for q in [0.5, 0.95, 0.99] {
            let exact = sample_quantile(&values, q).unwrap();
            let approx = sketch.quantile(q).unwrap();
            assert!(
                (approx - exact).abs() / exact < 0.001,
                "{q}: {approx} vs {exact}"
            );
        }
    }

    #[test]
    fn mann_whitney_matches_a_hand_computed_case() {
        // before 1..=10, after 11..=20: U(after) = 100, mean 50, variance 10*10*21/12 = 175,
        // z = (50 - 0.5)/sqrt(175) = 3.742, two-sided p = 1.83e-4.
        let before: Vec<f64> = (1..=10).map(f64::from).collect();
        let after: Vec<f64> = (11..=20).map(f64::from).collect();
        let p = mann_whitney(&before, &after);
        assert!((p - 1.83e-4).abs() < 0.02e-4, "{p}");
        assert!(mann_whitney(&before, &before) > 0.9);
    }

    #[test]
    fn fisher_exact_matches_a_hand_computed_case() {
        // Table [[1, 9], [11, 3]] (errors, ok): the textbook tea-tasting-style example,
        // two-sided p = 0.002759 (sum of the tables at least as extreme).
        let p = fisher_exact(1, 10, 11, 14);
        assert!((p - 0.002759).abs() < 1e-5, "{p}");
    }
}
