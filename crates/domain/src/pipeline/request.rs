//! The body of `POST /api/v1/stories/{id}/generations`, its validation against the story's
//! defaults, and the warnings a valid but unusual request gets.
//!
//! ```json
//! {"chapters": 12, "words_per_chapter": 2500, "seed": 42,
//!  "style": {"pov": "first-person", "tense": "present", "tone": "wry", "dialogue": "rich"},
//!  "models": {"chapter": "gpt-4o-mini"},
//!  "quality": {"max_revisions": 1, "thresholds": {"max_rep_4": 0.15}}}
//! ```
//! Every field is optional; unknown fields are rejected.

use std::ops::RangeInclusive;

use fabula_narrative::{DialogueLevel, GenerationSpec, StyleOptions};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::job::JobId;
use super::quality::QualityPolicy;
use super::step::Stage;
use crate::validation::{FieldCode, ValidationError, Violations};

/// Allowed number of chapters in one job.
pub const CHAPTERS_RANGE: RangeInclusive<u32> = 1..=100;
/// Allowed words per chapter.
pub const WORDS_PER_CHAPTER_RANGE: RangeInclusive<u32> = 200..=20_000;
/// Above this average chapter length a job gets a `long_chapters` warning.
const LONG_CHAPTER_WORDS: u32 = 8_000;
/// Above this many chapters a job gets a `many_chapters` warning.
const MANY_CHAPTERS: u32 = 40;
/// Longest `style.tone`, in characters.
const TONE_MAX_CHARS: usize = 100;
/// Longest model name, in characters.
const MODEL_MAX_CHARS: usize = 100;

/// What a job takes from its story when the request leaves it out.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryDefaults {
    /// The story's title.
    pub title: String,
    /// The story's premise.
    pub premise: String,
    /// The story's genre (kebab-case key).
    pub genre: String,
    /// The story's chapter count (the default `chapters`).
    pub chapter_count: u32,
    /// The story's target length in words (divided by `chapters` for the default
    /// `words_per_chapter`).
    pub target_words: u32,
    /// The story's quality gate policy (the default `quality`).
    pub quality: QualityPolicy,
}

/// The request body as received; [`GenerationRequest::validate`] checks it.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerationRequest {
    /// Number of chapters (1..=100); default: the story's `chapter_count`.
    pub chapters: Option<i64>,
    /// Words per chapter (200..=20000); default: the story's `target_words / chapters`.
    pub words_per_chapter: Option<i64>,
    /// Writing style; every part optional.
    pub style: Option<StyleInput>,
    /// Seed for reproducible output; default: derived from the job id.
    pub seed: Option<u64>,
    /// Model per stage, overriding the stage's configured `llm_model`.
    pub models: Option<StageModels>,
    /// Changes to the story's quality policy for this job (a partial [`QualityPolicy`]).
    pub quality: Option<serde_json::Value>,
}

/// `style` as received.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StyleInput {
    /// `first-person`, `third-limited` (default), `third-omniscient` or `second-person`.
    pub pov: Option<String>,
    /// `past` (default) or `present`.
    pub tense: Option<String>,
    /// Free text, up to 100 characters.
    pub tone: Option<String>,
    /// `sparse`, `balanced` (default) or `rich`.
    pub dialogue: Option<String>,
}

/// A model name per stage; `None`: the stage's configured model.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageModels {
    /// For premise analysis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub premise: Option<String>,
    /// For the outline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outline: Option<String>,
    /// For chapters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chapter: Option<String>,
    /// For critiques and rewrites of chapters that fail the quality gate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<String>,
    /// For the synopsis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assembly: Option<String>,
}

impl StageModels {
    /// The model requested for `stage`, if any.
    pub fn for_stage(&self, stage: Stage) -> Option<&str> {
        match stage {
            Stage::Premise => self.premise.as_deref(),
            Stage::Outline => self.outline.as_deref(),
            Stage::Chapter => self.chapter.as_deref(),
            Stage::Quality => self.quality.as_deref(),
            Stage::Assembly => self.assembly.as_deref(),
        }
    }
}

/// What a job generates: the narrative spec and the per-stage models. Stored as the job's
/// `spec` JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobSpec {
    /// Title, premise, genre, chapters, words per chapter, style and seed.
    pub generation: GenerationSpec,
    /// Model overrides per stage.
    #[serde(default)]
    pub models: StageModels,
    /// The quality gate's thresholds and revision budget.
    #[serde(default)]
    pub quality: QualityPolicy,
}

/// Something about a valid request worth telling the caller (kept in the job's metadata).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// `long_chapters` or `many_chapters`.
    pub code: String,
    /// What it means.
    pub message: String,
}

/// A valid request: the job's spec and its warnings.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatedRequest {
    /// What the job generates.
    pub spec: JobSpec,
    /// Warnings to record and show.
    pub warnings: Vec<Warning>,
}

impl GenerationRequest {
    /// Checks every field (all problems reported together) and fills the rest from
    /// `story`; a job without a seed gets `job`'s default seed.
    pub fn validate(
        self,
        story: &StoryDefaults,
        job: JobId,
    ) -> Result<ValidatedRequest, ValidationError> {
        let mut v = Violations::new();
        let chapters = match self.chapters {
            Some(n) => v.in_range("chapters", n, CHAPTERS_RANGE),
            None => Some(clamp(story.chapter_count, &CHAPTERS_RANGE)),
        };
        let words_per_chapter = match (self.words_per_chapter, chapters) {
            (Some(n), _) => v.in_range("words_per_chapter", n, WORDS_PER_CHAPTER_RANGE),
            (None, Some(chapters)) => Some(clamp(
                story.target_words / chapters.max(1),
                &WORDS_PER_CHAPTER_RANGE,
            )),
            (None, None) => None,
        };
        let style = style(&mut v, self.style.unwrap_or_default());
        let models = self
            .models
            .map(|m| models(&mut v, m))
            .unwrap_or(Some(StageModels::default()));
        let quality = match &self.quality {
            Some(changes) => story.quality.with_changes(&mut v, "quality", changes),
            None => Some(story.quality),
        };
        let spec = match (chapters, words_per_chapter, style, models, quality) {
            (Some(chapters), Some(words_per_chapter), Some(style), Some(models), Some(quality)) => {
                Some(JobSpec {
                    generation: GenerationSpec {
                        title: story.title.clone(),
                        premise: story.premise.clone(),
                        genre: story.genre.clone(),
                        chapters,
                        words_per_chapter,
                        style,
                        seed: self.seed.unwrap_or_else(|| job.default_seed()),
                    },
                    models,
                    quality,
                })
            }
            _ => None,
        };
        let spec = v.finish(spec)?;
        let warnings = warnings(&spec.generation);
        Ok(ValidatedRequest { spec, warnings })
    }
}

/// The warnings for a valid spec: chapters averaging over 8,000 words, over 40 chapters.
fn warnings(spec: &GenerationSpec) -> Vec<Warning> {
    let mut warnings = Vec::new();
    if spec.words_per_chapter > LONG_CHAPTER_WORDS {
        warnings.push(Warning {
            code: "long_chapters".into(),
            message: format!(
                "chapters average {} words (over {LONG_CHAPTER_WORDS}): models \
                 often write less than asked, and each chapter costs more",
                spec.words_per_chapter
            ),
        });
    }
    if spec.chapters > MANY_CHAPTERS {
        warnings.push(Warning {
            code: "many_chapters".into(),
            message: format!(
                "{} chapters (over {MANY_CHAPTERS}): continuity gets harder to keep and the \
                 job takes long",
                spec.chapters
            ),
        });
    }
    warnings
}

fn clamp(value: u32, range: &RangeInclusive<u32>) -> u32 {
    value.clamp(*range.start(), *range.end())
}

fn style(v: &mut Violations, input: StyleInput) -> Option<StyleOptions> {
    let defaults = StyleOptions::default();
    let pov = choice(
        v,
        "style.pov",
        input.pov,
        defaults.pov,
        "first-person, third-limited, third-omniscient or second-person",
    );
    let tense = choice(
        v,
        "style.tense",
        input.tense,
        defaults.tense,
        "past or present",
    );
    let dialogue = choice::<DialogueLevel>(
        v,
        "style.dialogue",
        input.dialogue,
        defaults.dialogue,
        "sparse, balanced or rich",
    );
    let tone = match input.tone {
        None => Some(None),
        Some(tone) => v.text("style.tone", tone, TONE_MAX_CHARS).map(Some),
    };
    Some(StyleOptions {
        pov: pov?,
        tense: tense?,
        tone: tone?,
        dialogue: dialogue?,
    })
}

/// An enum value named in kebab-case (as the narrative crate's serde names them).
fn choice<T: DeserializeOwned>(
    v: &mut Violations,
    field: &str,
    input: Option<String>,
    default: T,
    allowed: &str,
) -> Option<T> {
    let Some(name) = input else {
        return Some(default);
    };
    match serde_json::from_value(serde_json::Value::String(name)) {
        Ok(value) => Some(value),
        Err(_) => {
            v.push(field, FieldCode::InvalidValue, format!("must be {allowed}"));
            None
        }
    }
}

fn models(v: &mut Violations, input: StageModels) -> Option<StageModels> {
    let mut check = |field: &str, name: Option<String>| -> Option<Option<String>> {
        let Some(name) = name else {
            return Some(None);
        };
        let valid = !name.is_empty()
            && name.chars().count() <= MODEL_MAX_CHARS
            && name.bytes().all(|b| b.is_ascii_graphic());
        if valid {
            Some(Some(name))
        } else {
            v.push(
                field,
                FieldCode::InvalidValue,
                format!("must be 1 to {MODEL_MAX_CHARS} printable ASCII characters, no spaces"),
            );
            None
        }
    };
    let premise = check("models.premise", input.premise);
    let outline = check("models.outline", input.outline);
    let chapter = check("models.chapter", input.chapter);
    let quality = check("models.quality", input.quality);
    let assembly = check("models.assembly", input.assembly);
    Some(StageModels {
        premise: premise?,
        outline: outline?,
        chapter: chapter?,
        quality: quality?,
        assembly: assembly?,
    })
}

impl From<&crate::Story> for StoryDefaults {
    fn from(story: &crate::Story) -> Self {
        Self {
            title: story.title.clone(),
            premise: story.premise.clone(),
            genre: story.genre.as_str().to_owned(),
            chapter_count: story.chapter_count,
            target_words: story.target_words,
            quality: story.quality,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::from_json_object;
    use fabula_narrative::{Pov, Tense};

    fn story() -> StoryDefaults {
        StoryDefaults {
            title: "The Long Night".into(),
            premise: "A city without dawn.".into(),
            genre: "fantasy".into(),
            chapter_count: 12,
            target_words: 36_000,
            quality: QualityPolicy::default(),
        }
    }

    fn job() -> JobId {
        JobId::parse("0190f5a0-0000-7000-8000-00000000002a").unwrap()
    }

    fn validate(body: &str) -> Result<ValidatedRequest, ValidationError> {
        let request: GenerationRequest = from_json_object(body.as_bytes()).unwrap();
        request.validate(&story(), job())
    }

    fn fields(body: &str) -> Vec<(String, FieldCode)> {
        validate(body)
            .unwrap_err()
            .fields
            .into_iter()
            .map(|f| (f.field, f.code))
            .collect()
    }

    #[test]
    fn an_empty_request_takes_everything_from_the_story() {
        let valid = validate("{}").unwrap();
        let spec = &valid.spec.generation;
        assert_eq!(spec.title, "The Long Night");
        assert_eq!(spec.genre, "fantasy");
        assert_eq!(spec.chapters, 12);
        assert_eq!(spec.words_per_chapter, 3_000);
        assert_eq!(spec.style, StyleOptions::default());
        assert_eq!(spec.seed, job().default_seed());
        assert_eq!(valid.spec.models, StageModels::default());
        assert!(valid.warnings.is_empty());
    }

    #[test]
    fn given_fields_override_the_defaults() {
        let valid = validate(
            r#"{"chapters": 3, "seed": 7, "models": {"chapter": "gpt-4o-mini"},
                "style": {"pov": "first-person", "tense": "present", "tone": " wry ",
                          "dialogue": "rich"}}"#,
        )
        .unwrap();
        let spec = &valid.spec.generation;
        assert_eq!(spec.chapters, 3);
        assert_eq!(
            spec.words_per_chapter, 12_000,
            "target words over 3 chapters"
        );
        assert_eq!(spec.seed, 7);
        assert_eq!(spec.style.pov, Pov::FirstPerson);
        assert_eq!(spec.style.tense, Tense::Present);
        assert_eq!(spec.style.tone.as_deref(), Some("wry"));
        assert_eq!(spec.style.dialogue, DialogueLevel::Rich);
        assert_eq!(
            valid.spec.models.for_stage(Stage::Chapter),
            Some("gpt-4o-mini")
        );
        assert_eq!(valid.spec.models.for_stage(Stage::Premise), None);
    }

    #[test]
    fn derived_chapter_lengths_stay_within_limits() {
        let tiny = StoryDefaults {
            target_words: 1_000,
            chapter_count: 100,
            ..story()
        };
        let spec = GenerationRequest::default().validate(&tiny, job()).unwrap();
        assert_eq!(spec.spec.generation.words_per_chapter, 200);
    }

    #[test]
    fn every_bad_field_is_reported() {
        assert_eq!(
            fields(
                r#"{"chapters": 0, "words_per_chapter": 20001,
                    "style": {"pov": "omniscient", "tense": "future", "dialogue": "none",
                              "tone": "   "},
                    "models": {"premise": "has space", "outline": ""}}"#
            ),
            [
                ("chapters".into(), FieldCode::OutOfRange),
                ("words_per_chapter".into(), FieldCode::OutOfRange),
                ("style.pov".into(), FieldCode::InvalidValue),
                ("style.tense".into(), FieldCode::InvalidValue),
                ("style.dialogue".into(), FieldCode::InvalidValue),
                ("style.tone".into(), FieldCode::TooShort),
                ("models.premise".into(), FieldCode::InvalidValue),
                ("models.outline".into(), FieldCode::InvalidValue),
            ]
        );
        assert_eq!(
            fields(r#"{"chapters": 101}"#),
            [("chapters".into(), FieldCode::OutOfRange)]
        );
        assert_eq!(
            fields(r#"{"words_per_chapter": 199}"#),
            [("words_per_chapter".into(), FieldCode::OutOfRange)]
        );
    }

    #[test]
    fn unknown_fields_and_wrong_types_are_refused_when_parsing() {
        for body in [
            r#"{"chapterz": 3}"#,
            r#"{"style": {"voice": "x"}}"#,
            r#"{"models": {"critic": "x"}}"#,
            r#"{"seed": -1}"#,
            r#"{"seed": 1.5}"#,
            r#"{"chapters": "3"}"#,
        ] {
            assert!(
                from_json_object::<GenerationRequest>(body.as_bytes()).is_err(),
                "{body}"
            );
        }
    }

    #[test]
    fn long_chapters_and_many_chapters_warn() {
        let codes = |body: &str| -> Vec<String> {
            validate(body)
                .unwrap()
                .warnings
                .into_iter()
                .map(|w| w.code)
                .collect()
        };
        assert!(codes(r#"{"words_per_chapter": 8000, "chapters": 40}"#).is_empty());
        assert_eq!(codes(r#"{"words_per_chapter": 8001}"#), ["long_chapters"]);
        assert_eq!(
            codes(r#"{"chapters": 41, "words_per_chapter": 1000}"#),
            ["many_chapters"]
        );
        assert_eq!(
            codes(r#"{"chapters": 100, "words_per_chapter": 9000}"#),
            ["long_chapters", "many_chapters"]
        );
    }

    #[test]
    fn specs_round_trip_through_json() {
        let spec = validate(r#"{"models": {"premise": "m1"}}"#).unwrap().spec;
        let json = serde_json::to_string(&spec).unwrap();
        assert_eq!(serde_json::from_str::<JobSpec>(&json).unwrap(), spec);
    }
}
