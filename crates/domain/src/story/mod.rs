//! Stories: the model, its identifier and genre, and the validated inputs that create and
//! change one.

mod genre;
mod id;
mod input;
mod model;

pub use genre::Genre;
pub use id::StoryId;
pub use input::{NewStory, StoryChanges, StoryDraft, StoryPatch, ValidatedPatch};
pub use model::{
    CHAPTER_COUNT_RANGE, DEFAULT_CHAPTER_COUNT, DEFAULT_TARGET_WORDS, PREMISE_MAX_CHARS, Story,
    TARGET_WORDS_RANGE, TITLE_MAX_CHARS,
};
