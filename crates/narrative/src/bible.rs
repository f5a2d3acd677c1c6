//! The story bible: who and where the story is about, and the facts established so far.

use serde::{Deserialize, Serialize};

use crate::story::{Character, Place, PremiseAnalysis, WrittenChapter};

/// Characters, places and facts established so far; kept in the job's metadata and shown to
/// every chapter prompt.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct StoryBible {
    /// The cast.
    pub characters: Vec<Character>,
    /// The named places.
    pub places: Vec<Place>,
    /// Facts in chapter order.
    pub facts: Vec<Fact>,
}

/// Something a chapter established.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Fact {
    /// The chapter that established it.
    pub chapter: u32,
    /// The fact, one sentence.
    pub text: String,
}

impl StoryBible {
    /// A bible holding the analysis's characters and places and no facts yet.
    pub fn from_analysis(analysis: &PremiseAnalysis) -> Self {
        Self {
            characters: analysis.characters.clone(),
            places: analysis.places.clone(),
            facts: Vec::new(),
        }
    }

    /// Records a written chapter's facts. Recording a chapter again (a redelivered step or a
    /// rewrite) replaces its earlier facts, and facts stay in chapter order.
    pub fn record_chapter(&mut self, chapter: &WrittenChapter) {
        self.facts.retain(|f| f.chapter != chapter.number);
        let at = self.facts.partition_point(|f| f.chapter < chapter.number);
        let new = chapter.facts.iter().map(|text| Fact {
            chapter: chapter.number,
            text: text.clone(),
        });
        self.facts.splice(at..at, new);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(number: u32, facts: &[&str]) -> WrittenChapter {
        WrittenChapter {
            number,
            facts: facts.iter().map(|f| (*f).to_owned()).collect(),
            ..WrittenChapter::default()
        }
    }

    fn facts(bible: &StoryBible) -> Vec<(u32, &str)> {
        bible
            .facts
            .iter()
            .map(|f| (f.chapter, f.text.as_str()))
            .collect()
    }

    #[test]
    fn starts_from_the_analysis_cast_and_places() {
        let analysis = PremiseAnalysis {
            characters: vec![Character {
                name: "Mara".into(),
                ..Character::default()
            }],
            places: vec![Place {
                name: "Saltmere".into(),
                description: String::new(),
            }],
            ..PremiseAnalysis::default()
        };
        let bible = StoryBible::from_analysis(&analysis);
        assert_eq!(bible.characters, analysis.characters);
        assert_eq!(bible.places, analysis.places);
        assert!(bible.facts.is_empty());
    }

    #[test]
    fn records_facts_with_chapter_numbers_in_order_and_idempotently() {
        let mut bible = StoryBible::default();
        bible.record_chapter(&written(1, &["Mara leaves."]));
        bible.record_chapter(&written(3, &["Ivo lies."]));
        bible.record_chapter(&written(2, &["A storm.", "The map tears."]));
        bible.record_chapter(&written(2, &["A storm.", "The map tears."]));
        assert_eq!(
            facts(&bible),
            [
                (1, "Mara leaves."),
                (2, "A storm."),
                (2, "The map tears."),
                (3, "Ivo lies.")
            ]
        );
        bible.record_chapter(&written(1, &["Mara stays."]));
        assert_eq!(facts(&bible)[0], (1, "Mara stays."));
        assert_eq!(bible.facts.len(), 4);
    }
}
