//! What each stage does with its step, apart from storage: the prompt it sends and what
//! it makes of the answer. Pure functions over the loaded job.
//!
//! - premise: `premise_prompt` → `parse_premise` → analysis, story bible, decisions;
//! - outline: `outline_prompt` → `parse_outline` → outline, decisions;
//! - chapter N: `chapter_prompt` (earlier summaries within the token budget) →
//!   `finish_chapter` → the chapter, recorded in the bible;
//! - quality N: see [`super::quality`] (several calls: critique and rewrite);
//! - assembly: `synopsis_prompt` over every chapter summary → the synopsis.

use super::quality::ChapterText;
use fabula_domain::pipeline::{Event, FailureCode, JobMetadata, JobSpec, Step, StepFailure};
use fabula_narrative::{
    ChapterSummary, NarrativeError, Outline, PremiseAnalysis, RenderedPrompt, StoryBible,
    WrittenChapter, chapter_prompt, finish_chapter, outline_prompt, parse_outline, parse_premise,
    premise_prompt, synopsis_prompt,
};

/// Everything a step needs, loaded before its call.
#[derive(Debug, Clone)]
pub(super) struct StepInput {
    /// The step.
    pub step: Step,
    /// The job's spec.
    pub spec: JobSpec,
    /// The job's metadata as the previous step left it.
    pub metadata: JobMetadata,
    /// Summaries of the chapters before this one (chapter), or of all (assembly).
    pub earlier: Vec<ChapterSummary>,
    /// Tokens of earlier-chapter context a chapter prompt may carry.
    pub context_token_budget: u32,
    /// The texts of chapters 1..=N (quality step N only).
    pub texts: Vec<ChapterText>,
}

/// What a step produced, to commit.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct StepOutput {
    /// The job's metadata after this step.
    pub metadata: JobMetadata,
    /// The chapter written (chapter steps).
    pub chapter: Option<WrittenChapter>,
    /// The revision that replaces the chapter's text (quality steps).
    pub revised: Option<WrittenChapter>,
    /// The synopsis (assembly).
    pub synopsis: Option<String>,
    /// Events of the step's own, recorded after `stage_completed`.
    pub events: Vec<Event>,
}

/// The prompt of a single-call step; a failure when an earlier step's output is missing.
/// (Quality steps make their own calls: [`super::quality::check_chapter`].)
pub(super) fn prompt(input: &StepInput) -> Result<RenderedPrompt, StepFailure> {
    let spec = &input.spec.generation;
    Ok(match input.step {
        Step::Premise => premise_prompt(spec),
        Step::Outline => outline_prompt(spec, analysis(input)?),
        Step::Chapter(number) => chapter_prompt(
            spec,
            analysis(input)?,
            outline(input)?,
            &bible(input),
            &input.earlier,
            number,
            input.context_token_budget,
        ),
        Step::Assembly => synopsis_prompt(spec, analysis(input)?, &input.earlier),
        Step::Quality(_) => return Err(missing("a quality step has no single prompt".into())),
    })
}

/// What the step makes of the model's `answer`; a failure when it is unusable.
pub(super) fn finish(input: &StepInput, answer: &str) -> Result<StepOutput, StepFailure> {
    let spec = &input.spec.generation;
    let mut metadata = input.metadata.clone();
    let output = |metadata| StepOutput {
        metadata,
        chapter: None,
        revised: None,
        synopsis: None,
        events: Vec::new(),
    };
    match input.step {
        Step::Premise => {
            let (analysis, decisions) = parse_premise(spec, answer).map_err(malformed)?;
            metadata.bible = Some(StoryBible::from_analysis(&analysis));
            metadata.premise_analysis = Some(analysis);
            metadata.decisions.extend(decisions);
            Ok(output(metadata))
        }
        Step::Outline => {
            let (outline, decisions) = parse_outline(spec, answer).map_err(malformed)?;
            metadata.outline = Some(outline);
            metadata.decisions.extend(decisions);
            Ok(output(metadata))
        }
        Step::Chapter(number) => {
            let plan = outline(input)?
                .chapter(number)
                .cloned()
                .ok_or_else(|| missing(format!("the outline has no plan for chapter {number}")))?;
            let chapter = finish_chapter(&plan, answer);
            if chapter.word_count == 0 {
                return Err(empty("the chapter"));
            }
            let mut bible = bible(input);
            bible.record_chapter(&chapter);
            metadata.bible = Some(bible);
            Ok(StepOutput {
                chapter: Some(chapter),
                ..output(metadata)
            })
        }
        Step::Quality(_) => Err(missing("a quality step has no single answer".into())),
        Step::Assembly => {
            let synopsis = answer.trim();
            if synopsis.is_empty() {
                return Err(empty("the synopsis"));
            }
            Ok(StepOutput {
                synopsis: Some(synopsis.to_owned()),
                ..output(metadata)
            })
        }
    }
}

/// The premise analysis, or a missing-input failure.
pub(super) fn analysis(input: &StepInput) -> Result<&PremiseAnalysis, StepFailure> {
    input
        .metadata
        .premise_analysis
        .as_ref()
        .ok_or_else(|| missing("the premise analysis is missing".into()))
}

/// The outline, or a missing-input failure.
pub(super) fn outline(input: &StepInput) -> Result<&Outline, StepFailure> {
    input
        .metadata
        .outline
        .as_ref()
        .ok_or_else(|| missing("the outline is missing".into()))
}

/// The bible so far (rebuilt from the analysis if the premise step kept none).
pub(super) fn bible(input: &StepInput) -> StoryBible {
    match (&input.metadata.bible, &input.metadata.premise_analysis) {
        (Some(bible), _) => bible.clone(),
        (None, Some(analysis)) => StoryBible::from_analysis(analysis),
        (None, None) => StoryBible::default(),
    }
}

fn malformed(error: NarrativeError) -> StepFailure {
    StepFailure {
        code: FailureCode::MalformedOutput,
        message: error.to_string(),
        retry_after_ms: None,
    }
}

fn empty(what: &str) -> StepFailure {
    StepFailure {
        code: FailureCode::MalformedOutput,
        message: format!("the model's answer for {what} is empty"),
        retry_after_ms: None,
    }
}

/// A failure for an earlier step's output that is not there (not retried).
pub(super) fn missing(message: String) -> StepFailure {
    StepFailure {
        code: FailureCode::MissingInput,
        message,
        retry_after_ms: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fabula_domain::pipeline::StageModels;
    use fabula_narrative::{GenerationSpec, StyleOptions};

    fn input(step: Step, metadata: JobMetadata) -> StepInput {
        StepInput {
            step,
            spec: JobSpec {
                generation: GenerationSpec {
                    title: "The Long Night".into(),
                    premise: "A lamplighter keeps a city without dawn alive.".into(),
                    genre: "fantasy".into(),
                    chapters: 2,
                    words_per_chapter: 500,
                    style: StyleOptions::default(),
                    seed: 1,
                },
                models: StageModels::default(),
                quality: Default::default(),
            },
            metadata,
            earlier: Vec::new(),
            context_token_budget: 2000,
            texts: Vec::new(),
        }
    }

    const ANALYSIS: &str = r#"{"title": "The Long Night", "logline": "A lamplighter fights the dark.",
        "genre": "fantasy", "tone": "hopeful", "setting": "Vell, a city without dawn",
        "themes": ["hope"], "characters": [{"name": "Mara Vell", "role": "protagonist",
        "description": "a lamplighter", "traits": ["stubborn"]}],
        "places": [{"name": "The Spire", "description": "the last lit tower"}]}"#;
    const OUTLINE: &str = r#"{"chapters": [
        {"number": 1, "title": "Embers", "summary": "Mara finds the lamps failing.",
         "beats": ["Mara climbs the Spire."], "word_budget": 500},
        {"number": 2, "title": "Flame", "summary": "Mara relights the city.",
         "beats": ["Mara lights the last lamp."], "word_budget": 500}]}"#;

    /// Runs premise then outline and returns the metadata after both.
    fn planned() -> JobMetadata {
        let premise = finish(&input(Step::Premise, JobMetadata::default()), ANALYSIS).unwrap();
        assert!(premise.metadata.bible.is_some());
        finish(&input(Step::Outline, premise.metadata), OUTLINE)
            .unwrap()
            .metadata
    }

    #[test]
    fn steps_chain_their_outputs_through_the_metadata() {
        let metadata = planned();
        assert_eq!(metadata.outline.as_ref().unwrap().chapters.len(), 2);
        let chapter_input = input(Step::Chapter(1), metadata);
        let prompt = prompt(&chapter_input).unwrap();
        assert_eq!(prompt.template, "chapter@1");
        let written = finish(
            &chapter_input,
            "Mara climbed the Spire.\n\nThe lamps flickered and held.",
        )
        .unwrap();
        let chapter = written.chapter.unwrap();
        assert_eq!((chapter.number, chapter.title.as_str()), (1, "Embers"));
        assert!(chapter.word_count > 0);
        assert_eq!(written.synopsis, None);
    }

    #[test]
    fn later_steps_without_earlier_outputs_fail_as_missing_input() {
        for step in [Step::Outline, Step::Chapter(1), Step::Assembly] {
            let failure = prompt(&input(step, JobMetadata::default())).unwrap_err();
            assert_eq!(failure.code, FailureCode::MissingInput, "{step}");
            assert!(!failure.code.is_retryable());
        }
        let beyond = input(Step::Chapter(3), planned());
        let failure = finish(&beyond, "Some prose.").unwrap_err();
        assert_eq!(failure.code, FailureCode::MissingInput);
    }

    #[test]
    fn unusable_answers_are_retryable_malformed_output() {
        let premise = finish(
            &input(Step::Premise, JobMetadata::default()),
            "no json here",
        );
        assert_eq!(premise.unwrap_err().code, FailureCode::MalformedOutput);
        let empty_chapter = finish(&input(Step::Chapter(1), planned()), "   ");
        assert_eq!(
            empty_chapter.unwrap_err().code,
            FailureCode::MalformedOutput
        );
        let assembly = input(Step::Assembly, planned());
        assert_eq!(
            finish(&assembly, "\n").unwrap_err().code,
            FailureCode::MalformedOutput
        );
        assert_eq!(
            finish(&assembly, " Back-cover copy. ")
                .unwrap()
                .synopsis
                .as_deref(),
            Some("Back-cover copy.")
        );
        assert!(FailureCode::MalformedOutput.is_retryable());
    }
}
