//! What the quality step does with chapter N, apart from storage: evaluate the draft
//! against the job's gate, revise a failing chapter (`critique@1`, then `rewrite@1`) while
//! [`revision_due`], keep [`best_attempt`](fabula_domain::pipeline::best_attempt), and read
//! the kept text into the continuity ledger. Pure over the loaded job and a `call`
//! function that asks the provider.

use fabula_domain::pipeline::{
    ChapterQuality, Continuity, Event, QualityAttempt, StepFailure, revision_due,
};
use fabula_narrative::{
    ChapterPlan, Critique, RenderedPrompt, StoryBible, WrittenChapter, critique_prompt,
    finish_chapter, parse_critique, rewrite_prompt,
};
use fabula_quality::{ChapterInput, ChapterReport, evaluate_chapter};

use super::work::{StepInput, StepOutput, analysis, bible, missing, outline};

/// One chapter's text as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ChapterText {
    /// Chapter number.
    pub number: u32,
    /// Its prose.
    pub text: String,
}

/// Runs the quality step for chapter `number`: `input.texts` holds chapters 1..=number.
/// `call` sends one prompt and returns the answer.
pub(super) fn check_chapter(
    input: &StepInput,
    number: u32,
    call: &mut dyn FnMut(&RenderedPrompt) -> Result<String, StepFailure>,
) -> Result<StepOutput, StepFailure> {
    let spec = &input.spec;
    let plan = outline(input)?
        .chapter(number)
        .cloned()
        .ok_or_else(|| missing(format!("the outline has no plan for chapter {number}")))?;
    let (draft, earlier) = match input.texts.split_last() {
        Some((last, earlier)) if last.number == number => (last.text.as_str(), earlier),
        _ => return Err(missing(format!("chapter {number} has not been written"))),
    };
    let earlier: Vec<&str> = earlier.iter().map(|c| c.text.as_str()).collect();
    let settings = spec.quality_settings();
    let evaluate = |text: &str| {
        let chapter = ChapterInput {
            number,
            text: text.to_owned(),
            word_budget: plan.word_budget,
            beats: plan.beats.clone(),
        };
        evaluate_chapter(&chapter, &earlier, &settings)
    };

    let mut reports = vec![evaluate(draft)];
    let mut attempts = vec![QualityAttempt::new(0, &reports[0])];
    let mut revisions: Vec<WrittenChapter> = Vec::new();
    while revision_due(&attempts, spec.quality.max_revisions) {
        let current = revisions.last().map_or(draft, |r| r.text.as_str());
        let last_report = reports.last().unwrap_or(&reports[0]);
        let rewrite = revise(input, &plan, current, last_report, call)?;
        let Some(rewrite) = rewrite else { break };
        let report = evaluate(&rewrite.text);
        attempts.push(QualityAttempt::new(
            u32::try_from(attempts.len()).unwrap_or(u32::MAX),
            &report,
        ));
        reports.push(report);
        revisions.push(rewrite);
    }

    let record = ChapterQuality::new(number, attempts);
    let revised = record
        .kept
        .checked_sub(1)
        .and_then(|i| revisions.get(i as usize).cloned());
    let kept_text = revised.as_ref().map_or(draft, |r| r.text.as_str());
    let kept_words = revised
        .as_ref()
        .map_or_else(|| reports[0].metrics.words, |r| r.word_count as usize);

    let mut metadata = input.metadata.clone();
    let mut continuity = match metadata.continuity.take() {
        Some(continuity) => continuity,
        None => Continuity::seeded(analysis(input)?),
    };
    let alerts = continuity.ingest(number, kept_text);
    metadata.continuity = Some(continuity);
    if let Some(revised) = &revised {
        let mut bible: StoryBible = bible(input);
        bible.record_chapter(revised);
        metadata.bible = Some(bible);
    }
    let checked = Event::ChapterChecked {
        number,
        passed: record.passed,
        attempts: u32::try_from(record.attempts.len()).unwrap_or(u32::MAX),
        kept: record.kept,
        word_count: u32::try_from(kept_words).unwrap_or(u32::MAX),
        continuity_alerts: u32::try_from(alerts.len()).unwrap_or(u32::MAX),
    };
    metadata.quality.retain(|q| q.chapter != number);
    let at = metadata.quality.partition_point(|q| q.chapter < number);
    metadata.quality.insert(at, record);
    Ok(StepOutput {
        metadata,
        chapter: None,
        revised,
        synopsis: None,
        events: vec![checked],
    })
}

/// One revision of `text`: a critique of the gate's failures, then a rewrite. `None` when
/// the rewrite came back empty (the loop stops; the attempts so far stand).
fn revise(
    input: &StepInput,
    plan: &ChapterPlan,
    text: &str,
    report: &ChapterReport,
    call: &mut dyn FnMut(&RenderedPrompt) -> Result<String, StepFailure>,
) -> Result<Option<WrittenChapter>, StepFailure> {
    let spec = &input.spec.generation;
    let problems: Vec<String> = report
        .gate
        .failures
        .iter()
        .map(|f| f.message.clone())
        .collect();
    let answer = call(&critique_prompt(spec, plan, text, &problems))?;
    // An unreadable critique still leaves the gate's own findings to act on.
    let critique = parse_critique(&answer).unwrap_or_else(|_| Critique {
        issues: problems,
        suggestions: Vec::new(),
    });
    let answer = call(&rewrite_prompt(
        spec,
        analysis(input)?,
        plan,
        text,
        &critique,
    ))?;
    let rewrite = finish_chapter(plan, &answer);
    Ok((rewrite.word_count > 0).then_some(rewrite))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fabula_domain::pipeline::{JobMetadata, JobSpec, QualityPolicy, StageModels, Step};
    use fabula_narrative::{Character, GenerationSpec, Outline, PremiseAnalysis, StyleOptions};

    const LOOPING: &str = "The bell rang and the bell rang and the bell rang and the bell \
        rang and the bell rang and the bell rang and the bell rang and the bell rang.";
    const VARIED: &str = "Mara climbed the crooked stair of the lamp while gulls argued \
        over the harbour. At the top she found a ledger, its pages swollen with salt and \
        older grief. \"Who kept this ledger so carefully, and why up here?\" she whispered.";

    fn input(max_revisions: u32, draft: &str) -> StepInput {
        let analysis = PremiseAnalysis {
            characters: vec![Character {
                name: "Mara Vell".into(),
                ..Character::default()
            }],
            ..PremiseAnalysis::default()
        };
        let outline: Outline = serde_json::from_value(serde_json::json!({"chapters": [
            {"number": 1, "title": "The Lamp", "summary": "Mara finds a ledger.",
             "beats": ["Mara finds the ledger."], "word_budget": 45}]}))
        .unwrap();
        StepInput {
            step: Step::Quality(1),
            spec: JobSpec {
                generation: GenerationSpec {
                    title: "The Lamp".into(),
                    premise: "A keeper finds a ledger.".into(),
                    genre: "fantasy".into(),
                    chapters: 1,
                    words_per_chapter: 45,
                    style: StyleOptions::default(),
                    seed: 1,
                },
                models: StageModels::default(),
                quality: QualityPolicy {
                    max_revisions,
                    ..QualityPolicy::default()
                },
            },
            metadata: JobMetadata {
                premise_analysis: Some(analysis),
                outline: Some(outline),
                ..JobMetadata::default()
            },
            earlier: Vec::new(),
            context_token_budget: 0,
            texts: vec![ChapterText {
                number: 1,
                text: draft.into(),
            }],
        }
    }

    /// A provider answering critiques with `critique` and rewrites with the next of
    /// `rewrites`; records the templates it was asked for.
    fn provider<'a>(
        critique: &'a str,
        rewrites: &'a [&'a str],
        asked: &'a mut Vec<String>,
    ) -> impl FnMut(&RenderedPrompt) -> Result<String, StepFailure> + 'a {
        let mut next = rewrites.iter();
        move |prompt| {
            asked.push(prompt.template.clone());
            Ok(match prompt.template.as_str() {
                "critique@1" => critique.to_owned(),
                _ => next.next().copied().unwrap_or_default().to_owned(),
            })
        }
    }

    #[test]
    fn a_passing_draft_costs_no_call() {
        let mut asked = Vec::new();
        let output = check_chapter(&input(2, VARIED), 1, &mut provider("", &[], &mut asked));
        let output = output.unwrap();
        assert!(asked.is_empty());
        assert_eq!(output.revised, None);
        let record = &output.metadata.quality[0];
        assert_eq!(
            (record.kept, record.passed, record.attempts.len()),
            (0, true, 1)
        );
        assert!(output.metadata.continuity.is_some());
    }

    #[test]
    fn a_failing_draft_is_critiqued_rewritten_and_the_pass_kept() {
        let mut asked = Vec::new();
        let critique = r#"{"issues": ["the bell line repeats"], "suggestions": []}"#;
        let mut call = provider(critique, &[LOOPING, VARIED], &mut asked);
        let output = check_chapter(&input(3, LOOPING), 1, &mut call).unwrap();
        drop(call);
        assert_eq!(
            asked,
            ["critique@1", "rewrite@1", "critique@1", "rewrite@1"],
            "two revisions, the second passes"
        );
        let record = &output.metadata.quality[0];
        assert_eq!(
            (record.kept, record.passed, record.attempts.len()),
            (2, true, 3)
        );
        let revised = output
            .revised
            .expect("the passing rewrite replaces the draft");
        assert!(revised.text.contains("crooked stair"), "{}", revised.text);
        assert!(matches!(
            output.events.as_slice(),
            [Event::ChapterChecked {
                number: 1,
                passed: true,
                attempts: 3,
                kept: 2,
                ..
            }]
        ));
    }

    #[test]
    fn the_budget_bounds_the_loop_and_an_unreadable_critique_still_revises() {
        let mut asked = Vec::new();
        let mut call = provider("no bullets, no JSON", &[LOOPING, LOOPING], &mut asked);
        let output = check_chapter(&input(2, LOOPING), 1, &mut call).unwrap();
        drop(call);
        assert_eq!(
            asked.len(),
            4,
            "exactly max_revisions (2) revisions: {asked:?}"
        );
        let record = &output.metadata.quality[0];
        assert_eq!(
            (record.kept, record.passed),
            (0, false),
            "the earliest least failing"
        );
        assert_eq!(output.revised, None);
    }

    #[test]
    fn an_empty_rewrite_ends_the_loop_and_provider_failures_propagate() {
        let mut asked = Vec::new();
        let mut call = provider("- repeats itself", &[""], &mut asked);
        let output = check_chapter(&input(2, LOOPING), 1, &mut call).unwrap();
        drop(call);
        assert_eq!(asked.len(), 2);
        assert_eq!(output.metadata.quality[0].attempts.len(), 1);

        let mut failing = |_: &RenderedPrompt| -> Result<String, StepFailure> {
            Err(StepFailure {
                code: fabula_domain::pipeline::FailureCode::Unavailable,
                message: "down".into(),
                retry_after_ms: None,
            })
        };
        let failure = check_chapter(&input(2, LOOPING), 1, &mut failing).unwrap_err();
        assert_eq!(failure.message, "down");
    }

    #[test]
    fn a_chapter_that_was_not_written_is_missing_input() {
        let mut asked = Vec::new();
        let mut no_text = input(2, VARIED);
        no_text.texts.clear();
        let failure = check_chapter(&no_text, 1, &mut provider("", &[], &mut asked)).unwrap_err();
        assert!(!failure.code.is_retryable());
    }
}
