//! Lexical diversity: distinct-n, rep-n, the most repeated n-grams and cross-chapter
//! repetition.
//!
//! - distinct-n = number of different n-grams / number of n-gram occurrences
//!   (Li et al. 2016), pooled over the given units without crossing unit boundaries.
//! - rep-n = 1 − distinct-n: the share of n-gram occurrences that repeat an earlier one.
//! - cross-chapter rep-4 of chapter k = occurrences of chapter k's 4-grams whose 4-gram
//!   occurs anywhere in chapters 1..k−1 / all 4-gram occurrences of chapter k
//!   (0 for the first chapter).
//!
//! A ratio over zero n-grams is undefined and reported as `None`.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::ngrams::{NgramCounts, add_ngrams, join};

/// distinct-1..4 and rep-1..4 of a text (`None` where it has no n-gram of that order).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Diversity {
    /// distinct-1 (type/token ratio).
    pub distinct_1: Option<f64>,
    /// distinct-2.
    pub distinct_2: Option<f64>,
    /// distinct-3.
    pub distinct_3: Option<f64>,
    /// distinct-4.
    pub distinct_4: Option<f64>,
    /// rep-1 = 1 − distinct-1.
    pub rep_1: Option<f64>,
    /// rep-2 = 1 − distinct-2.
    pub rep_2: Option<f64>,
    /// rep-3 = 1 − distinct-3.
    pub rep_3: Option<f64>,
    /// rep-4 = 1 − distinct-4.
    pub rep_4: Option<f64>,
}

impl Diversity {
    /// Computes all eight values over the units pooled (see the module doc).
    pub fn of(units: &[&[String]]) -> Self {
        let [d1, d2, d3, d4] = [1, 2, 3, 4].map(|n| distinct_n(units, n));
        let rep = |d: Option<f64>| d.map(|d| 1.0 - d);
        Self {
            distinct_1: d1,
            distinct_2: d2,
            distinct_3: d3,
            distinct_4: d4,
            rep_1: rep(d1),
            rep_2: rep(d2),
            rep_3: rep(d3),
            rep_4: rep(d4),
        }
    }

    /// The same values rounded to `places` decimals (for JSON reports).
    pub fn rounded(self, places: u32) -> Self {
        let r = |v: Option<f64>| v.map(|v| crate::round(v, places));
        Self {
            distinct_1: r(self.distinct_1),
            distinct_2: r(self.distinct_2),
            distinct_3: r(self.distinct_3),
            distinct_4: r(self.distinct_4),
            rep_1: r(self.rep_1),
            rep_2: r(self.rep_2),
            rep_3: r(self.rep_3),
            rep_4: r(self.rep_4),
        }
    }
}

/// distinct-n over the units pooled; `None` when they hold no n-gram.
pub fn distinct_n(units: &[&[String]], n: usize) -> Option<f64> {
    let counts = pooled(units, n);
    let total: usize = counts.values().sum();
    (total > 0).then(|| counts.len() as f64 / total as f64)
}

/// One n-gram that occurs more than once, with its number of occurrences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepeatedNgram {
    /// The n-gram's words joined by single spaces.
    pub ngram: String,
    /// How many times it occurs.
    pub count: usize,
}

/// The `limit` most frequent n-grams occurring at least twice (ties in alphabetical order).
pub fn repeated_ngrams(units: &[&[String]], n: usize, limit: usize) -> Vec<RepeatedNgram> {
    let mut repeated: Vec<RepeatedNgram> = pooled(units, n)
        .into_iter()
        .filter(|&(_, count)| count > 1)
        .map(|(gram, count)| RepeatedNgram {
            ngram: join(gram),
            count,
        })
        .collect();
    repeated.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.ngram.cmp(&b.ngram)));
    repeated.truncate(limit);
    repeated
}

/// How much of a chapter's 4-gram stream already appeared in earlier chapters.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CrossChapterRepeat {
    /// 4-gram occurrences of this chapter whose 4-gram occurs in an earlier chapter.
    pub seen: usize,
    /// All 4-gram occurrences of this chapter.
    pub total: usize,
    /// `seen / total`; `None` when the chapter has no 4-gram.
    pub share: Option<f64>,
    /// Up to five of the re-used 4-grams, most frequent in this chapter first.
    pub examples: Vec<String>,
}

/// Cross-chapter rep-4 of `chapter` against the `earlier` chapters (see the module doc).
pub fn cross_chapter_rep_4(chapter: &[String], earlier: &[&[String]]) -> CrossChapterRepeat {
    let earlier_grams: HashSet<&[String]> = earlier.iter().flat_map(|u| u.windows(4)).collect();
    let mut own = NgramCounts::new();
    add_ngrams(&mut own, chapter, 4);
    let total: usize = own.values().sum();
    let mut reused: Vec<(&[String], usize)> = own
        .into_iter()
        .filter(|(gram, _)| earlier_grams.contains(gram))
        .collect();
    let seen = reused.iter().map(|&(_, c)| c).sum();
    reused.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    CrossChapterRepeat {
        seen,
        total,
        share: (total > 0).then(|| seen as f64 / total as f64),
        examples: reused.iter().take(5).map(|&(g, _)| join(g)).collect(),
    }
}

fn pooled<'a>(units: &[&'a [String]], n: usize) -> NgramCounts<'a> {
    let mut counts = NgramCounts::new();
    for unit in units {
        add_ngrams(&mut counts, unit, n);
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenize::words;

    const EPS: f64 = 1e-9;

    #[test]
    fn distinct_and_rep_by_hand() {
        // "the cat sat on the mat the cat sat" → 9 tokens:
        // the cat sat on the mat the cat sat
        let t = words("The cat sat on the mat, the cat sat.");
        let d = Diversity::of(&[&t]);
        // 1-grams: 9 occurrences; types {the, cat, sat, on, mat} = 5 → 5/9
        assert!((d.distinct_1.unwrap() - 5.0 / 9.0).abs() < EPS);
        // 2-grams: 8 occurrences: the-cat, cat-sat, sat-on, on-the, the-mat, mat-the,
        // the-cat, cat-sat → 6 types → 6/8
        assert!((d.distinct_2.unwrap() - 0.75).abs() < EPS);
        // 3-grams: 7 occurrences; "the cat sat" twice → 6 types → 6/7
        assert!((d.distinct_3.unwrap() - 6.0 / 7.0).abs() < EPS);
        // 4-grams: 6 occurrences, all different → 1, rep-4 = 0
        assert!((d.distinct_4.unwrap() - 1.0).abs() < EPS);
        assert!(d.rep_4.unwrap().abs() < EPS);
        assert!((d.rep_2.unwrap() - 0.25).abs() < EPS);
    }

    #[test]
    fn pooled_units_do_not_create_boundary_ngrams() {
        let a = words("a b");
        let b = words("c d");
        // Within units: bigrams "a b" and "c d" only (no "b c") → 2/2.
        assert_eq!(distinct_n(&[&a, &b], 2), Some(1.0));
        assert_eq!(distinct_n(&[&a, &b], 3), None);
    }

    #[test]
    fn edge_cases_are_none_not_nan() {
        let empty: Vec<String> = Vec::new();
        assert_eq!(Diversity::of(&[&empty]), Diversity::default());
        let one = words("word");
        let d = Diversity::of(&[&one]);
        assert_eq!(d.distinct_1, Some(1.0));
        assert_eq!(d.rep_1, Some(0.0));
        assert_eq!(d.distinct_2, None);
        assert_eq!(d.rep_4, None);
    }

    #[test]
    fn repeated_ngrams_sorted_by_count_then_text() {
        let t = words("x y z w x y z w x y z w q r s t q r s t");
        let top = repeated_ngrams(&[&t], 4, 2);
        assert_eq!(
            top,
            [
                RepeatedNgram {
                    ngram: "x y z w".into(),
                    count: 3
                },
                RepeatedNgram {
                    ngram: "q r s t".into(),
                    count: 2
                },
            ]
        );
    }

    #[test]
    fn cross_chapter_share_by_hand() {
        let ch1 = words("a b c d e f");
        // ch2 4-grams: [a b c d] [b c d x] [c d x a] [d x a b] [x a b c] [a b c d] = 6,
        // of which "a b c d" (×2) occurs in ch1 → 2/6.
        let ch2 = words("a b c d x a b c d");
        let r = cross_chapter_rep_4(&ch2, &[&ch1]);
        assert_eq!((r.seen, r.total), (2, 6));
        assert!((r.share.unwrap() - 1.0 / 3.0).abs() < EPS);
        assert_eq!(r.examples, ["a b c d"]);
        assert_eq!(cross_chapter_rep_4(&ch1, &[]).share, Some(0.0));
        assert_eq!(cross_chapter_rep_4(&words("a b"), &[&ch1]).share, None);
    }
}
