//! Stories: the model, its identifier and genre, the validated inputs that create and
//! change one, and how its quality gate policy is changed and stored.

mod genre;
mod id;
mod input;
mod model;
mod quality;

pub use genre::Genre;
pub use id::StoryId;
pub use input::{NewStory, StoryChanges, StoryDraft, StoryPatch, ValidatedPatch};
pub use model::{
    CHAPTER_COUNT_RANGE, DEFAULT_CHAPTER_COUNT, DEFAULT_TARGET_WORDS, PREMISE_MAX_CHARS, Story,
    TARGET_WORDS_RANGE, TITLE_MAX_CHARS,
};
pub use quality::{StoredQualityError, quality_from_column, quality_to_column};
