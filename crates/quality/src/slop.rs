//! The slop index (EQ-Bench): how densely a text uses over-used words and phrases.
//!
//! `index = (word_hits + 2·bigram_hits + 8·trigram_hits) / total_words × 1000`, where a hit
//! is one occurrence in the text's token stream of a listed word, bigram or trigram. The
//! three kinds are counted independently (a listed trigram containing a listed word scores
//! both). The list ships as data (`data/slop-v1.txt`, see its header for the format) and
//! every score records the list's version.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::tokenize::words;

/// Weight of a bigram hit.
pub const BIGRAM_WEIGHT: usize = 2;
/// Weight of a trigram hit.
pub const TRIGRAM_WEIGHT: usize = 8;

const BUILTIN_TEXT: &str = include_str!("../data/slop-v1.txt");
static BUILTIN: LazyLock<SlopList> = LazyLock::new(|| {
    SlopList::parse(BUILTIN_TEXT).expect("the shipped slop list is valid (tested)")
});

/// A slop list that cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlopListError {
    /// No `version: <name>` line before the first entry.
    #[error("the slop list has no `version:` line before its first entry")]
    MissingVersion,
    /// An entry is not 1 to 3 words long once tokenised.
    #[error("slop list line {line}: {entry:?} has {words} words (1 to 3 allowed)")]
    BadEntry {
        /// 1-based line number.
        line: usize,
        /// The line's text.
        entry: String,
        /// Its number of words.
        words: usize,
    },
}

/// A versioned list of over-used words, bigrams and trigrams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlopList {
    version: String,
    words: HashSet<Vec<String>>,
    bigrams: HashSet<Vec<String>>,
    trigrams: HashSet<Vec<String>>,
}

impl SlopList {
    /// The list shipped with this crate (`data/slop-v1.txt`).
    pub fn builtin() -> &'static SlopList {
        &BUILTIN
    }

    /// Parses a list: `#` comments, blank lines, one `version: <name>` line, then one entry
    /// per line whose word count (1, 2 or 3) gives its kind.
    pub fn parse(text: &str) -> Result<Self, SlopListError> {
        let mut version = None;
        let mut list = Self {
            version: String::new(),
            words: HashSet::new(),
            bigrams: HashSet::new(),
            trigrams: HashSet::new(),
        };
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if version.is_none() {
                match line.strip_prefix("version:").map(str::trim) {
                    Some(v) if !v.is_empty() => {
                        version = Some(v.to_owned());
                        continue;
                    }
                    _ => return Err(SlopListError::MissingVersion),
                }
            }
            let tokens = words(line);
            let set = match tokens.len() {
                1 => &mut list.words,
                2 => &mut list.bigrams,
                3 => &mut list.trigrams,
                n => {
                    return Err(SlopListError::BadEntry {
                        line: i + 1,
                        entry: line.to_owned(),
                        words: n,
                    });
                }
            };
            set.insert(tokens);
        }
        list.version = version.ok_or(SlopListError::MissingVersion)?;
        Ok(list)
    }

    /// The list's version, e.g. `slop-v1`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Number of (words, bigrams, trigrams) in the list.
    pub fn sizes(&self) -> (usize, usize, usize) {
        (self.words.len(), self.bigrams.len(), self.trigrams.len())
    }

    /// Scores a tokenised text (lowercase words, see [`crate::tokenize::words`]).
    pub fn score(&self, tokens: &[String]) -> SlopScore {
        self.score_units(&[tokens])
    }

    /// Scores several units (e.g. a book's chapters) together; no phrase spans two units.
    pub fn score_units(&self, units: &[&[String]]) -> SlopScore {
        let mut found: HashMap<&[String], usize> = HashMap::new();
        let mut hits = [0usize; 3];
        for (n, set) in [&self.words, &self.bigrams, &self.trigrams]
            .into_iter()
            .enumerate()
        {
            for gram in units.iter().flat_map(|u| u.windows(n + 1)) {
                if set.contains(gram) {
                    hits[n] += 1;
                    *found.entry(gram).or_insert(0) += 1;
                }
            }
        }
        let total_words: usize = units.iter().map(|u| u.len()).sum();
        let weighted = hits[0] + BIGRAM_WEIGHT * hits[1] + TRIGRAM_WEIGHT * hits[2];
        let mut top: Vec<SlopHit> = found
            .into_iter()
            .map(|(gram, count)| SlopHit {
                phrase: gram.join(" "),
                count,
            })
            .collect();
        top.sort_by(|a, b| {
            let weight = |h: &SlopHit| h.count * phrase_weight(&h.phrase);
            weight(b)
                .cmp(&weight(a))
                .then_with(|| a.phrase.cmp(&b.phrase))
        });
        top.truncate(5);
        SlopScore {
            list_version: self.version.clone(),
            total_words,
            word_hits: hits[0],
            bigram_hits: hits[1],
            trigram_hits: hits[2],
            index: (total_words > 0).then(|| weighted as f64 / total_words as f64 * 1000.0),
            top_hits: top,
        }
    }
}

fn phrase_weight(phrase: &str) -> usize {
    match phrase.split(' ').count() {
        1 => 1,
        2 => BIGRAM_WEIGHT,
        _ => TRIGRAM_WEIGHT,
    }
}

/// One listed word or phrase found in a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlopHit {
    /// The listed word or phrase.
    pub phrase: String,
    /// Occurrences in the text.
    pub count: usize,
}

/// The slop index of one text and what produced it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlopScore {
    /// Version of the list used (e.g. `slop-v1`).
    pub list_version: String,
    /// Words in the text.
    pub total_words: usize,
    /// Occurrences of listed words.
    pub word_hits: usize,
    /// Occurrences of listed bigrams.
    pub bigram_hits: usize,
    /// Occurrences of listed trigrams.
    pub trigram_hits: usize,
    /// Weighted hits per 1000 words; `None` for a text without words.
    pub index: Option<f64>,
    /// Up to five hits with the largest weighted count, for critique messages.
    pub top_hits: Vec<SlopHit>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const EPS: f64 = 1e-9;

    fn list() -> SlopList {
        SlopList::parse("# test\nversion: test-v1\ntapestry\nbarely audible\na testament to\n")
            .unwrap()
    }

    #[test]
    fn builtin_list_parses_and_has_all_three_kinds() {
        let builtin = SlopList::builtin();
        assert_eq!(builtin.version(), "slop-v1");
        let (w, b, t) = builtin.sizes();
        assert!(w > 50 && b > 30 && t > 40, "sizes {w} {b} {t}");
    }

    #[test]
    fn index_by_hand() {
        // 20 words; hits: "tapestry" ×2 (words), "barely audible" ×1 (bigram),
        // "a testament to" ×1 (trigram) → (2 + 2·1 + 8·1) / 20 × 1000 = 600.
        // Top hits by weighted count: trigram 8, then ties at 2 alphabetically.
        let text = "A tapestry of sound, barely audible, was a testament to the tapestry \
                    that hung in the hall of the keep";
        let tokens = words(text);
        assert_eq!(tokens.len(), 20);
        let s = list().score(&tokens);
        assert_eq!((s.word_hits, s.bigram_hits, s.trigram_hits), (2, 1, 1));
        assert!((s.index.unwrap() - 600.0).abs() < EPS);
        assert_eq!(s.list_version, "test-v1");
        assert_eq!(
            s.top_hits,
            [
                SlopHit {
                    phrase: "a testament to".into(),
                    count: 1
                },
                SlopHit {
                    phrase: "barely audible".into(),
                    count: 1
                },
                SlopHit {
                    phrase: "tapestry".into(),
                    count: 2
                },
            ]
        );
    }

    #[test]
    fn clean_and_empty_texts() {
        let s = list().score(&words("The boat left at dawn."));
        assert_eq!(s.index, Some(0.0));
        assert!(s.top_hits.is_empty());
        assert_eq!(list().score(&[]).index, None);
    }

    #[test]
    fn units_are_scored_without_crossing_boundaries() {
        // "… a testament" | "to …": the trigram spans the boundary and does not count.
        let a = words("It was a testament");
        let b = words("to them");
        let s = list().score_units(&[&a, &b]);
        assert_eq!((s.trigram_hits, s.total_words), (0, 6));
        assert_eq!(s.index, Some(0.0));
    }

    #[test]
    fn malformed_lists_are_rejected() {
        assert_eq!(
            SlopList::parse("tapestry\n"),
            Err(SlopListError::MissingVersion)
        );
        assert_eq!(
            SlopList::parse("# only comments\n"),
            Err(SlopListError::MissingVersion)
        );
        assert_eq!(
            SlopList::parse("version: x\nfour words in line\n"),
            Err(SlopListError::BadEntry {
                line: 2,
                entry: "four words in line".into(),
                words: 4
            })
        );
        assert!(matches!(
            SlopList::parse("version: x\n—\n"),
            Err(SlopListError::BadEntry { words: 0, .. })
        ));
    }
}
