//! Outline adherence: which beats of the chapter plan appear in the text.
//!
//! Matching rule. A beat's *key words* are its words (see [`crate::tokenize::words`])
//! without English function words and without words shorter than 3 characters, reduced to
//! their Snowball (Porter 2) English stems and de-duplicated: "Mara finds the hidden map"
//! → {mara, find, hidden, map}. The text is cut into sentences and scanned with a window of
//! [`WINDOW_SENTENCES`] consecutive sentences (the whole text if it is shorter). A beat's
//! coverage is the largest share of its key words whose stems occur in one window; the beat
//! is *matched* when its coverage is at least [`MIN_COVERAGE`]. A beat without key words
//! cannot be checked and is left out of the share. Paraphrases with other words
//! (synonyms) are not recognised.

use std::collections::HashSet;
use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};
use serde::{Deserialize, Serialize};

use crate::tokenize::{sentences, words};

/// Sentences per window.
pub const WINDOW_SENTENCES: usize = 3;
/// Smallest coverage that counts as a match.
pub const MIN_COVERAGE: f64 = 0.5;

static STEMMER: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));

/// English function words left out of key words.
#[rustfmt::skip]
const STOPWORDS: &[&str] = &[
    "the", "and", "but", "for", "nor", "yet", "not", "with", "from", "into", "onto", "upon",
    "about", "above", "after", "again", "against", "all", "any", "are", "was", "were", "been",
    "being", "have", "has", "had", "having", "does", "did", "doing", "done", "will", "would",
    "shall", "should", "can", "could", "may", "might", "must", "this", "that", "these", "those",
    "there", "here", "then", "than", "when", "where", "while", "who", "whom", "whose", "which",
    "what", "why", "how", "her", "hers", "herself", "him", "his", "himself", "its", "itself",
    "our", "ours", "ourselves", "their", "theirs", "them", "themselves", "they", "she", "you",
    "your", "yours", "yourself", "mine", "myself", "each", "every", "both", "either", "neither",
    "some", "such", "only", "own", "same", "too", "very", "just", "also", "before", "below",
    "between", "during", "off", "out", "over", "under", "until", "through", "toward", "towards",
    "once", "more", "most", "other", "another", "one", "finally", "chapter", "scene", "begins",
    "ends", "because", "though", "although", "whether", "via", "per",
];

/// Whether a beat was found in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BeatStatus {
    /// Coverage reached the threshold.
    Matched,
    /// Coverage stayed below the threshold.
    Missing,
    /// The beat has no key words to look for.
    Uncheckable,
}

/// One beat of the chapter plan and how well the text covers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BeatMatch {
    /// The beat as planned.
    pub beat: String,
    /// Matched, missing or uncheckable.
    pub status: BeatStatus,
    /// Best share of key words found in one window; `None` when uncheckable.
    pub coverage: Option<f64>,
    /// Key words (as written in the beat) absent from the best window.
    pub missing_words: Vec<String>,
}

/// Outline adherence of one chapter (or, aggregated, of a book).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Adherence {
    /// Every beat, in plan order.
    pub beats: Vec<BeatMatch>,
    /// Beats matched.
    pub matched: usize,
    /// Beats that could be checked (matched + missing).
    pub checkable: usize,
    /// `matched / checkable`; `None` when no beat could be checked.
    pub share: Option<f64>,
}

impl Adherence {
    /// Builds the totals from beat results.
    pub fn from_beats(beats: Vec<BeatMatch>) -> Self {
        let matched = count(&beats, BeatStatus::Matched);
        let checkable = matched + count(&beats, BeatStatus::Missing);
        Self {
            share: (checkable > 0).then(|| matched as f64 / checkable as f64),
            beats,
            matched,
            checkable,
        }
    }
}

fn count(beats: &[BeatMatch], status: BeatStatus) -> usize {
    beats.iter().filter(|b| b.status == status).count()
}

/// Checks every beat against the text (see the module doc).
pub fn beat_adherence(beats: &[String], text: &str) -> Adherence {
    let sentence_stems: Vec<HashSet<String>> = sentences(text)
        .into_iter()
        .map(|s| words(s).iter().map(|w| stem(w)).collect())
        .collect();
    let windows: Vec<HashSet<&str>> = if sentence_stems.len() <= WINDOW_SENTENCES {
        vec![
            sentence_stems
                .iter()
                .flatten()
                .map(String::as_str)
                .collect(),
        ]
    } else {
        sentence_stems
            .windows(WINDOW_SENTENCES)
            .map(|w| w.iter().flatten().map(String::as_str).collect())
            .collect()
    };
    Adherence::from_beats(beats.iter().map(|b| match_beat(b, &windows)).collect())
}

fn match_beat(beat: &str, windows: &[HashSet<&str>]) -> BeatMatch {
    let keys = key_words(beat);
    if keys.is_empty() {
        return BeatMatch {
            beat: beat.to_owned(),
            status: BeatStatus::Uncheckable,
            coverage: None,
            missing_words: Vec::new(),
        };
    }
    let found_in = |w: &HashSet<&str>| keys.iter().filter(|(s, _)| w.contains(s.as_str())).count();
    let best = windows.iter().max_by_key(|w| found_in(w));
    let found = best.map_or(0, found_in);
    let coverage = found as f64 / keys.len() as f64;
    BeatMatch {
        beat: beat.to_owned(),
        status: if coverage >= MIN_COVERAGE {
            BeatStatus::Matched
        } else {
            BeatStatus::Missing
        },
        coverage: Some(coverage),
        missing_words: keys
            .iter()
            .filter(|(s, _)| !best.is_some_and(|w| w.contains(s.as_str())))
            .map(|(_, word)| word.clone())
            .collect(),
    }
}

/// A beat's key words as (stem, surface word) pairs, first occurrence of each stem.
fn key_words(beat: &str) -> Vec<(String, String)> {
    let mut seen = HashSet::new();
    words(beat)
        .into_iter()
        .filter(|w| w.chars().count() >= 3 && !STOPWORDS.contains(&w.as_str()))
        .filter_map(|w| {
            let s = stem(&w);
            seen.insert(s.clone()).then_some((s, w))
        })
        .collect()
}

fn stem(word: &str) -> String {
    STEMMER.stem(word).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EPS: f64 = 1e-9;

    fn beats(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn inflected_words_match_and_absent_beats_miss() {
        let text = "Rain fell on the harbour. Mara found a hidden map inside the lighthouse. \
                    She ran home. Tom slept. The gulls cried.";
        let plan = beats(&[
            // keys {mara, find, hidden, map}: "found" ≠ "find" (irregular) → 3/4 = 0.75
            "Mara finds the hidden map",
            // keys {tom, confront, smuggler}: only "tom" → 1/3 < 0.5
            "Tom confronts the smugglers",
            // no key words
            "It is over",
        ]);
        let a = beat_adherence(&plan, text);
        assert_eq!(a.beats[0].status, BeatStatus::Matched);
        assert!((a.beats[0].coverage.unwrap() - 0.75).abs() < EPS);
        assert_eq!(a.beats[0].missing_words, ["finds"]);
        assert_eq!(a.beats[1].status, BeatStatus::Missing);
        assert!((a.beats[1].coverage.unwrap() - 1.0 / 3.0).abs() < EPS);
        assert_eq!(a.beats[1].missing_words, ["confronts", "smugglers"]);
        assert_eq!(a.beats[2].status, BeatStatus::Uncheckable);
        // 1 matched of 2 checkable
        assert_eq!((a.matched, a.checkable), (1, 2));
        assert_eq!(a.share, Some(0.5));
    }

    #[test]
    fn key_words_must_meet_within_one_window() {
        // "storm" is in sentence 1, "lighthouse" in sentence 5: no window of 3 holds both.
        let text = "A storm rose. One. Two. Three. They reached the lighthouse.";
        let a = beat_adherence(&beats(&["storm lighthouse"]), text);
        assert_eq!(a.beats[0].coverage, Some(0.5));
        let a = beat_adherence(
            &beats(&["storm lighthouse"]),
            "A storm rose. They reached the lighthouse.",
        );
        assert_eq!(a.beats[0].coverage, Some(1.0));
    }

    #[test]
    fn empty_inputs() {
        assert_eq!(beat_adherence(&[], "Some text.").share, None);
        let a = beat_adherence(&beats(&["Mara sails"]), "");
        assert_eq!(a.beats[0].status, BeatStatus::Missing);
        assert_eq!(a.share, Some(0.0));
    }
}
