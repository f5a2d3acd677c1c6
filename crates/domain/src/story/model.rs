//! The story record and its limits.

use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

use super::{Genre, StoryChanges, StoryDraft, StoryId};
use crate::pipeline::QualityPolicy;
use crate::time::Timestamp;
use crate::validation::ValidationError;

/// Longest title, in characters (after trimming).
pub const TITLE_MAX_CHARS: usize = 200;
/// Longest premise, in characters (after trimming).
pub const PREMISE_MAX_CHARS: usize = 10_000;
/// Allowed target length of the finished story, in words.
pub const TARGET_WORDS_RANGE: RangeInclusive<u32> = 1_000..=500_000;
/// Target length when none is given.
pub const DEFAULT_TARGET_WORDS: u32 = 80_000;
/// Allowed number of chapters.
pub const CHAPTER_COUNT_RANGE: RangeInclusive<u32> = 1..=100;
/// Chapter count when none is given.
pub const DEFAULT_CHAPTER_COUNT: u32 = 12;

/// A story as stored and served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Story {
    /// Time-ordered id (UUID v7).
    pub id: StoryId,
    /// Trimmed title, 1..=200 characters.
    pub title: String,
    /// Trimmed premise, 1..=10 000 characters.
    pub premise: String,
    /// Genre.
    pub genre: Genre,
    /// Target length in words, within [`TARGET_WORDS_RANGE`].
    pub target_words: u32,
    /// Number of chapters, within [`CHAPTER_COUNT_RANGE`].
    pub chapter_count: u32,
    /// Whether every caller (also anonymous ones and other tenants) may read it.
    pub public: bool,
    /// The quality gate policy its generation jobs start from (served in full, so clients
    /// see the effective thresholds; missing in JSON written before it existed, read as
    /// the default).
    #[serde(default)]
    pub quality: QualityPolicy,
    /// Optimistic-concurrency version: 1 on creation, +1 on every change.
    pub version: u64,
    /// When the story was created.
    pub created_at: Timestamp,
    /// When the story last changed.
    pub updated_at: Timestamp,
}

impl Story {
    /// A new story (version 1) from a validated draft.
    pub fn new(id: StoryId, draft: StoryDraft, now: Timestamp) -> Self {
        Self {
            id,
            title: draft.title,
            premise: draft.premise,
            genre: draft.genre,
            target_words: draft.target_words,
            chapter_count: draft.chapter_count,
            public: draft.public,
            quality: draft.quality,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    /// This story with `changes` applied, the version bumped and `updated_at` set to `now`.
    ///
    /// Fails (with a `quality.…` field error) only when a quality change that
    /// [`StoryPatch::validate`](super::StoryPatch::validate) could not check without the
    /// story does not fit this story's policy: a dialogue range bound given alone that
    /// crosses the other bound.
    pub fn apply(&self, changes: StoryChanges, now: Timestamp) -> Result<Self, ValidationError> {
        let quality = match &changes.quality {
            None => self.quality,
            Some(change) => change.apply_to(&self.quality)?,
        };
        Ok(Self {
            id: self.id,
            title: changes.title.unwrap_or_else(|| self.title.clone()),
            premise: changes.premise.unwrap_or_else(|| self.premise.clone()),
            genre: changes.genre.unwrap_or(self.genre),
            target_words: changes.target_words.unwrap_or(self.target_words),
            chapter_count: changes.chapter_count.unwrap_or(self.chapter_count),
            public: changes.public.unwrap_or(self.public),
            quality,
            version: self.version.saturating_add(1),
            created_at: self.created_at,
            updated_at: now.max(self.created_at),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::story::{NewStory, StoryPatch};

    fn draft() -> StoryDraft {
        NewStory {
            title: Some(" The Long Night ".into()),
            premise: Some("A city without dawn.".into()),
            genre: Some("fantasy".into()),
            ..NewStory::default()
        }
        .validate()
        .unwrap()
    }

    #[test]
    fn new_story_starts_at_version_one_with_defaults() {
        let now = Timestamp::now();
        let story = Story::new(StoryId::generate(), draft(), now);
        assert_eq!(story.title, "The Long Night");
        assert_eq!(story.version, 1);
        assert_eq!(story.target_words, DEFAULT_TARGET_WORDS);
        assert_eq!(story.chapter_count, DEFAULT_CHAPTER_COUNT);
        assert_eq!((story.created_at, story.updated_at), (now, now));
    }

    #[test]
    fn apply_changes_only_given_fields_and_bumps_version() {
        let created = Timestamp::parse("2025-01-01T00:00:00Z").unwrap();
        let later = Timestamp::parse("2025-01-02T00:00:00Z").unwrap();
        let story = Story::new(StoryId::generate(), draft(), created);
        let patch: StoryPatch = serde_json::from_str(r#"{"chapter_count": 30}"#).unwrap();
        let updated = story
            .apply(patch.validate().unwrap().changes, later)
            .unwrap();
        assert_eq!(updated.chapter_count, 30);
        assert_eq!(updated.title, story.title);
        assert_eq!(updated.version, 2);
        assert_eq!(updated.created_at, created);
        assert_eq!(updated.updated_at, later);
    }

    #[test]
    fn apply_merges_quality_changes_into_the_story_policy() {
        let now = Timestamp::now();
        let mut story = Story::new(StoryId::generate(), draft(), now);
        story.quality.max_revisions = 4;
        let changes = |json: &str| {
            let patch: StoryPatch = serde_json::from_str(json).unwrap();
            patch.validate().unwrap().changes
        };
        let updated = story
            .apply(
                changes(r#"{"quality": {"thresholds": {"max_rep_4": 0.25}}}"#),
                now,
            )
            .unwrap();
        assert_eq!(updated.quality.thresholds.max_rep_4, 0.25);
        assert_eq!(updated.quality.max_revisions, 4, "the rest is kept");
        assert_eq!(updated.version, 2);
        let reset = updated.apply(changes(r#"{"quality": null}"#), now).unwrap();
        assert_eq!(reset.quality, QualityPolicy::default());
        let untouched = updated.apply(changes(r#"{"title": "X"}"#), now).unwrap();
        assert_eq!(untouched.quality, updated.quality);
    }

    #[test]
    fn apply_refuses_a_dialogue_bound_that_crosses_the_story_range() {
        let story = Story::new(StoryId::generate(), draft(), Timestamp::now());
        let patch: StoryPatch = serde_json::from_str(
            r#"{"quality": {"thresholds": {"dialogue": {"sparse": {"min": 0.5}}}}}"#,
        )
        .unwrap();
        let err = story
            .apply(patch.validate().unwrap().changes, Timestamp::now())
            .unwrap_err();
        assert_eq!(err.fields.len(), 1);
        assert_eq!(
            err.fields[0].field,
            "quality.thresholds.dialogue.sparse.max"
        );
    }

    #[test]
    fn a_story_without_quality_reads_as_the_default_policy() {
        let at = Timestamp::parse("2025-01-01T00:00:00Z").unwrap();
        let story = Story::new(StoryId::generate(), draft(), at);
        let mut json = serde_json::to_value(&story).unwrap();
        json.as_object_mut().unwrap().remove("quality");
        let read: Story = serde_json::from_value(json).unwrap();
        assert_eq!(read.quality, QualityPolicy::default());
    }

    #[test]
    fn serialises_with_the_documented_shape() {
        let at = Timestamp::parse("2025-01-01T00:00:00Z").unwrap();
        let id = StoryId::parse("0190f5a0-0000-7000-8000-000000000000").unwrap();
        let mut story = Story::new(id, draft(), at);
        story.genre = Genre::ScienceFiction;
        let json = serde_json::to_value(&story).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "id": "0190f5a0-0000-7000-8000-000000000000",
                "title": "The Long Night",
                "premise": "A city without dawn.",
                "genre": "science-fiction",
                "target_words": 80000,
                "chapter_count": 12,
                "public": false,
                // The full policy (its values are the quality crate's defaults).
                "quality": serde_json::to_value(QualityPolicy::default()).unwrap(),
                "version": 1,
                "created_at": "2025-01-01T00:00:00.000Z",
                "updated_at": "2025-01-01T00:00:00.000Z",
            })
        );
        assert_eq!(
            json["quality"]["thresholds"]["max_rep_4"], 0.1,
            "thresholds are served in full"
        );
        assert_eq!(json["quality"]["max_revisions"], 2);
        assert_eq!(serde_json::from_value::<Story>(json).unwrap(), story);
    }
}
