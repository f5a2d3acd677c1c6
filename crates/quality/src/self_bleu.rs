//! BLEU-4 and Self-BLEU-4 (Texygen), with Chen & Cherry smoothing method 1.
//!
//! For a hypothesis `h` and references `R` (token sequences):
//!
//! - modified n-gram precision, n = 1..4: `m_n = Σ_g min(c_h(g), max_{r∈R} c_r(g))` over the
//!   n-grams `g` of `h`, `t_n` = number of n-grams in `h`;
//! - smoothing (Chen & Cherry 2014, method 1, as NLTK's `SmoothingFunction().method1`, which
//!   Texygen uses): `p_n = m_n / t_n` if `m_n > 0`, else `p_n = ε / t_n` with `ε = 0.1`;
//! - brevity penalty: `c = |h|`, `r` = length of the reference closest to `c` (ties → the
//!   shorter); `BP = 1` if `c > r`, else `exp(1 − r/c)`;
//! - `BLEU-4 = BP · exp(¼ · Σ_{n=1..4} ln p_n)`, and 0 when no unigram matches (`m_1 = 0`),
//!   as in NLTK.
//!
//! Self-BLEU-4 of a set of units = the mean over units of BLEU-4 of the unit against all the
//! other units as references. Units with fewer than 4 tokens have no 4-gram and are left
//! out (as hypotheses and as references); with fewer than 2 units left it is `None`.
//! Lower is more diverse.

use std::collections::HashMap;

use crate::ngrams::{NgramCounts, ngram_counts, ngram_total};

/// ε of smoothing method 1.
pub const EPSILON: f64 = 0.1;

/// BLEU-4 of `hypothesis` against `references` (see the module doc); `None` when the
/// hypothesis has fewer than 4 tokens or no reference has at least 4.
pub fn bleu_4(hypothesis: &[String], references: &[&[String]]) -> Option<f64> {
    if hypothesis.len() < 4 {
        return None;
    }
    let refs: Vec<Unit<'_>> = references
        .iter()
        .filter(|r| r.len() >= 4)
        .map(|r| Unit::new(r))
        .collect();
    if refs.is_empty() {
        return None;
    }
    let index = RefIndex::new(&refs);
    let ref_lens: Vec<usize> = refs.iter().map(|r| r.len).collect();
    Some(score(&Unit::new(hypothesis), None, &index, &ref_lens))
}

/// Self-BLEU-4 over the units (see the module doc).
pub fn self_bleu_4(units: &[&[String]]) -> Option<f64> {
    let units: Vec<Unit<'_>> = units
        .iter()
        .filter(|u| u.len() >= 4)
        .map(|u| Unit::new(u))
        .collect();
    if units.len() < 2 {
        return None;
    }
    let index = RefIndex::new(&units);
    let sum: f64 = (0..units.len())
        .map(|i| {
            let ref_lens: Vec<usize> = units
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(_, u)| u.len)
                .collect();
            score(&units[i], Some(i), &index, &ref_lens)
        })
        .sum();
    Some(sum / units.len() as f64)
}

/// A token sequence with its 1..4-gram counts.
struct Unit<'a> {
    len: usize,
    counts: [NgramCounts<'a>; 4],
}

impl<'a> Unit<'a> {
    fn new(tokens: &'a [String]) -> Self {
        Self {
            len: tokens.len(),
            counts: [1, 2, 3, 4].map(|n| ngram_counts(tokens, n)),
        }
    }
}

/// The two largest counts of an n-gram over all units, and the unit with the largest, so
/// "the largest count in any *other* unit" costs one lookup.
#[derive(Clone, Copy, Default)]
struct Top2 {
    best: usize,
    best_unit: usize,
    second: usize,
}

/// Per order, the top-two counts of every n-gram of the reference units.
struct RefIndex<'a> {
    orders: [HashMap<&'a [String], Top2>; 4],
}

impl<'a> RefIndex<'a> {
    fn new(units: &[Unit<'a>]) -> Self {
        let mut orders: [HashMap<&'a [String], Top2>; 4] = Default::default();
        for (u, unit) in units.iter().enumerate() {
            for (n, counts) in unit.counts.iter().enumerate() {
                for (&gram, &c) in counts {
                    let top = orders[n].entry(gram).or_default();
                    if c > top.best {
                        top.second = top.best;
                        top.best = c;
                        top.best_unit = u;
                    } else if c > top.second {
                        top.second = c;
                    }
                }
            }
        }
        Self { orders }
    }

    /// Largest count of `gram` among the units, leaving out unit `except`.
    fn max_count(&self, n: usize, gram: &[String], except: Option<usize>) -> usize {
        match self.orders[n].get(gram) {
            Some(top) if Some(top.best_unit) == except => top.second,
            Some(top) => top.best,
            None => 0,
        }
    }
}

/// BLEU-4 of `hyp` against the indexed units other than `except`, whose lengths are
/// `ref_lens`.
fn score(hyp: &Unit<'_>, except: Option<usize>, index: &RefIndex<'_>, ref_lens: &[usize]) -> f64 {
    let mut log_sum = 0.0;
    for n in 0..4 {
        let matched: usize = hyp.counts[n]
            .iter()
            .map(|(gram, &count)| count.min(index.max_count(n, gram, except)))
            .sum();
        if n == 0 && matched == 0 {
            return 0.0;
        }
        let total = ngram_total(hyp.len, n + 1) as f64;
        let p = if matched > 0 {
            matched as f64 / total
        } else {
            EPSILON / total
        };
        log_sum += p.ln();
    }
    brevity_penalty(hyp.len, ref_lens) * (log_sum / 4.0).exp()
}

fn brevity_penalty(hyp_len: usize, ref_lens: &[usize]) -> f64 {
    let closest = ref_lens
        .iter()
        .copied()
        .min_by_key(|&r| (r.abs_diff(hyp_len), r))
        .unwrap_or(hyp_len);
    if hyp_len > closest || hyp_len == 0 {
        1.0
    } else {
        (1.0 - closest as f64 / hyp_len as f64).exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenize::words;

    const EPS: f64 = 1e-9;

    #[test]
    fn identical_units_score_one() {
        let a = words("the old man and the sea");
        assert!((bleu_4(&a, &[&a]).unwrap() - 1.0).abs() < EPS);
        assert!((self_bleu_4(&[&a, &a, &a]).unwrap() - 1.0).abs() < EPS);
    }

    #[test]
    fn bleu_by_hand_with_smoothing_and_brevity_penalty() {
        // h = a b c d e (5 tokens), r = a b c x y z (6 tokens)
        // 1-grams: a b c match → m1 = 3, t1 = 5
        // 2-grams: ab bc match (cd, de don't) → m2 = 2, t2 = 4
        // 3-grams: abc matches → m3 = 1, t3 = 3
        // 4-grams: abcd, bcde: none → m4 = 0 → smoothed 0.1 / 2
        // BP: c = 5 ≤ r = 6 → exp(1 − 6/5) = exp(−0.2)
        let h = words("a b c d e");
        let r = words("a b c x y z");
        let expected = (-0.2f64).exp()
            * (0.25
                * ((3.0f64 / 5.0).ln()
                    + (2.0f64 / 4.0).ln()
                    + (1.0f64 / 3.0).ln()
                    + (0.1f64 / 2.0).ln()))
            .exp();
        assert!((bleu_4(&h, &[&r]).unwrap() - expected).abs() < EPS);
    }

    #[test]
    fn self_bleu_is_the_mean_over_units() {
        // Unit r as hypothesis against h: 1-grams a b c match → 3/6; 2-grams ab bc → 2/5;
        // 3-grams abc → 1/4; 4-grams abcx, bcxy, cxyz: none → 0.1/3.
        // c = 6 > r = 5 → BP = 1.
        let h = words("a b c d e");
        let r = words("a b c x y z");
        let h_vs_r = bleu_4(&h, &[&r]).unwrap();
        let r_vs_h = (0.25
            * ((3.0f64 / 6.0).ln()
                + (2.0f64 / 5.0).ln()
                + (1.0f64 / 4.0).ln()
                + (0.1f64 / 3.0).ln()))
        .exp();
        assert!((bleu_4(&r, &[&h]).unwrap() - r_vs_h).abs() < EPS);
        let got = self_bleu_4(&[&h, &r]).unwrap();
        assert!((got - (h_vs_r + r_vs_h) / 2.0).abs() < EPS);
    }

    #[test]
    fn closest_reference_length_and_clipping() {
        // h = a a a a (4 tokens); refs: "a a b b" (4) and "a b c d e f g h" (8).
        // 1-grams: c_h(a) = 4, max ref count of a = 2 → m1 = 2, t1 = 4
        // 2-grams: "a a" ×3 in h, max ref count 1 → m2 = 1, t2 = 3
        // 3-grams: "a a a" ×2, no ref has it → 0.1/2; 4-grams: "a a a a" → 0.1/1
        // closest ref length to 4 is 4 → BP = exp(1 − 4/4) = 1
        let h = words("a a a a");
        let r1 = words("a a b b");
        let r2 = words("a b c d e f g h");
        let expected = (0.25
            * ((2.0f64 / 4.0).ln() + (1.0f64 / 3.0).ln() + (0.1f64 / 2.0).ln() + 0.1f64.ln()))
        .exp();
        assert!((bleu_4(&h, &[&r1, &r2]).unwrap() - expected).abs() < EPS);
    }

    #[test]
    fn no_unigram_match_scores_zero() {
        let h = words("a b c d");
        let r = words("w x y z");
        assert_eq!(bleu_4(&h, &[&r]), Some(0.0));
        assert_eq!(self_bleu_4(&[&h, &r]), Some(0.0));
    }

    #[test]
    fn short_or_single_units_are_undefined() {
        let long = words("a b c d e");
        let short = words("a b c");
        assert_eq!(bleu_4(&short, &[&long]), None);
        assert_eq!(bleu_4(&long, &[&short]), None);
        assert_eq!(self_bleu_4(&[&long, &short]), None);
        assert_eq!(self_bleu_4(&[]), None);
    }
}
