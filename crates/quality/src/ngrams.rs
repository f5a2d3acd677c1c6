//! N-gram counting over token sequences.
//!
//! An n-gram is a window of `n` consecutive tokens of one unit (a chapter or a sentence);
//! no n-gram spans two units. N-grams are borrowed slices of the token vector, so counting
//! allocates only the map.

use std::collections::HashMap;

/// Occurrence counts of each distinct n-gram.
pub type NgramCounts<'a> = HashMap<&'a [String], usize>;

/// Number of n-grams in a unit of `len` tokens (0 when `n` is 0 or exceeds `len`).
pub fn ngram_total(len: usize, n: usize) -> usize {
    if n == 0 || len < n { 0 } else { len - n + 1 }
}

/// Counts the n-grams of one unit; empty when `n` is 0 or the unit is shorter than `n`.
pub fn ngram_counts(tokens: &[String], n: usize) -> NgramCounts<'_> {
    let mut counts = NgramCounts::new();
    add_ngrams(&mut counts, tokens, n);
    counts
}

/// Adds one unit's n-grams to `counts` (pooling several units without crossing them).
pub fn add_ngrams<'a>(counts: &mut NgramCounts<'a>, tokens: &'a [String], n: usize) {
    if n == 0 {
        return;
    }
    for gram in tokens.windows(n) {
        *counts.entry(gram).or_insert(0) += 1;
    }
}

/// Joins an n-gram's tokens with single spaces, for reports.
pub fn join(gram: &[String]) -> String {
    gram.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenize::words;

    #[test]
    fn counts_windows_within_a_unit() {
        let t = words("a b a b a");
        let c = ngram_counts(&t, 2);
        // windows: ab, ba, ab, ba → {ab: 2, ba: 2}
        assert_eq!(c.len(), 2);
        assert_eq!(c[&t[0..2]], 2);
        assert_eq!(c[&t[1..3]], 2);
        assert_eq!(ngram_total(t.len(), 2), 4);
    }

    #[test]
    fn too_short_units_and_zero_n_have_no_ngrams() {
        let t = words("one two three");
        assert!(ngram_counts(&t, 4).is_empty());
        assert!(ngram_counts(&t, 0).is_empty());
        assert_eq!(ngram_total(3, 4), 0);
        assert_eq!(ngram_total(3, 0), 0);
        assert_eq!(ngram_total(0, 1), 0);
    }
}
