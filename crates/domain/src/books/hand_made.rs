//! Hand-made chapters with known repetitions and contradictions, checked against the
//! quality crate: the values asserted here are computed by hand (see the comments), and
//! `tests/books.rs` expects the same values end to end (its texts are these texts).

use fabula_export::{Chapter, Format, import_json, write_book};
use fabula_narrative::{
    ChapterPlan, Character, GenerationSpec, Outline, Place, PremiseAnalysis, StyleOptions,
};
use fabula_quality::continuity::AlertKind;
use fabula_quality::{ChapterInput, evaluate_chapter};

use super::*;
use crate::pipeline::{
    ChapterQuality, Continuity, JobId, JobMetadata, JobSpec, ManuscriptView, QualityAttempt,
    QualityPolicy, StageModels,
};
use crate::time::Timestamp;

/// Chapter 1 repeats one sentence three times and states Elena's eye colour.
pub(crate) const CH1: &str = "Elena Reyes had green eyes. The bell rang twice. The bell rang twice. \
The bell rang twice. Marcus Vale mended the nets by the harbor.";
/// Chapter 2 reuses chapter 1's last sentence and records Marcus's death.
pub(crate) const CH2: &str = "Marcus Vale mended the nets by the harbor. At midnight Marcus Vale \
died in the storm. Elena Reyes stood alone on the harbor wall.";
/// Chapter 3: the dead Marcus speaks, Elena's eyes change colour, a stranger appears.
pub(crate) const CH3: &str = "\"Keep the lamp lit,\" said Marcus. Elena's eyes were brown in the \
lamplight. Captain Jonah Hale rowed into the harbor at dawn.";
/// Every chapter's word budget.
const BUDGET: u32 = 60;

fn spec() -> JobSpec {
    JobSpec {
        generation: GenerationSpec {
            title: "The Lamp at Port Lumen".into(),
            premise: "A harbor keeper loses her friend to a storm.".into(),
            genre: "literary".into(),
            chapters: 3,
            words_per_chapter: 200,
            style: StyleOptions::default(),
            seed: 1,
        },
        models: StageModels::default(),
        quality: QualityPolicy {
            max_revisions: 0,
            ..QualityPolicy::default()
        },
    }
}

fn premise_analysis() -> PremiseAnalysis {
    let character = |name: &str, role: &str| Character {
        name: name.into(),
        role: role.into(),
        ..Character::default()
    };
    PremiseAnalysis {
        title: "The Lamp at Port Lumen".into(),
        logline: "A harbor keeper keeps the lamp lit after the storm.".into(),
        characters: vec![
            character("Elena Reyes", "protagonist"),
            character("Marcus Vale", "mentor"),
        ],
        places: vec![Place {
            name: "Port Lumen".into(),
            description: String::new(),
        }],
        ..PremiseAnalysis::default()
    }
}

fn outline() -> Outline {
    let plan = |number: u32, title: &str, beats: &[&str]| ChapterPlan {
        number,
        title: title.into(),
        summary: String::new(),
        beats: beats.iter().map(|b| (*b).to_owned()).collect(),
        word_budget: BUDGET,
    };
    Outline {
        chapters: vec![
            plan(1, "The Bell", &["The bell rings twice over the harbor."]),
            plan(2, "The Storm", &["Marcus Vale dies in the storm."]),
            plan(3, "The Lamp", &["Elena keeps the lamp lit until dawn."]),
        ],
    }
}

pub(crate) fn chapters() -> Vec<Chapter> {
    [
        (1, "The Bell", CH1),
        (2, "The Storm", CH2),
        (3, "The Lamp", CH3),
    ]
    .into_iter()
    .map(|(number, title, text)| Chapter {
        number,
        title: title.into(),
        text: text.into(),
    })
    .collect()
}

/// The metadata the quality step leaves: one attempt per chapter (no revisions) and the
/// continuity ledger after every chapter.
fn metadata(spec: &JobSpec) -> JobMetadata {
    let analysis = premise_analysis();
    let outline = outline();
    let mut continuity = Continuity::seeded(&analysis);
    let mut quality = Vec::new();
    let texts: Vec<&str> = [CH1, CH2, CH3].into();
    for (i, text) in texts.iter().enumerate() {
        let number = u32::try_from(i + 1).unwrap();
        let plan = outline.chapter(number).unwrap();
        let input = ChapterInput {
            number,
            text: (*text).to_owned(),
            word_budget: plan.word_budget,
            beats: plan.beats.clone(),
        };
        let report = evaluate_chapter(&input, &texts[..i], &spec.quality_settings());
        quality.push(ChapterQuality::new(
            number,
            vec![QualityAttempt::new(0, &report)],
        ));
        continuity.ingest(number, text);
    }
    JobMetadata {
        premise_analysis: Some(analysis),
        outline: Some(outline),
        continuity: Some(continuity),
        quality,
        ..JobMetadata::default()
    }
}

const STORY: &str = "0190f5a0-0000-7000-8000-000000000001";

fn view() -> AnalysisView {
    let spec = spec();
    let metadata = metadata(&spec);
    let source = BookSource {
        story_id: STORY,
        job_id: JobId::generate(),
        spec: &spec,
        metadata: &metadata,
        finished_at: None,
    };
    analyse(&source, "The Lamp at Port Lumen", &chapters())
}

#[test]
fn chapter_one_repeats_a_sentence() {
    let view = view();
    let m = &view.chapters[0].report.metrics;
    // elena reyes had green eyes | the bell rang twice ×3 | marcus vale mended the nets
    // by the harbor: 5 + 3×4 + 8 = 25 words.
    assert_eq!(m.words, 25);
    let d = m.diversity;
    // 15 types (elena reyes had green eyes the bell rang twice marcus vale mended nets by
    // harbor) / 25 tokens = 0.6
    assert_eq!(d.distinct_1, Some(0.6));
    // 24 bigrams; repeats: the-bell ×3, bell-rang ×3, rang-twice ×3, twice-the ×2 →
    // 24 − 7 = 17 types; 17/24 = 0.70833 → 0.7083
    assert_eq!(d.distinct_2, Some(0.7083));
    // 23 trigrams; repeats: the-bell-rang ×3, bell-rang-twice ×3, rang-twice-the ×2,
    // twice-the-bell ×2 → 23 − 6 = 17 types; 17/23 = 0.73913 → 0.7391
    assert_eq!(d.distinct_3, Some(0.7391));
    // 22 4-grams; the windows starting at words 10–14 repeat those at 6–9 (the bell rang
    // twice ×3, bell rang twice the ×2, rang twice the bell ×2, twice the bell rang ×2):
    // 5 repeats → 17 types; distinct-4 = 17/22 = 0.77273 → 0.7727, rep-4 = 5/22 = 0.2273
    assert_eq!(d.distinct_4, Some(0.7727));
    assert_eq!(d.rep_4, Some(0.2273));
    let top: Vec<(&str, usize)> = m
        .top_repeated_4grams
        .iter()
        .map(|r| (r.ngram.as_str(), r.count))
        .collect();
    assert_eq!(
        top,
        [
            ("the bell rang twice", 3),
            ("bell rang twice the", 2),
            ("rang twice the bell", 2),
            ("twice the bell rang", 2),
        ]
    );
    // Nothing before chapter 1: 0 of its 22 4-grams are re-used.
    assert_eq!((m.cross_chapter.seen, m.cross_chapter.total), (0, 22));
    // S_l, 25 words for 60: 100·(1 − (60/25 − 1)/2) = 100·(1 − 0.7) = 30
    assert_eq!(m.length.score, Some(30.0));
    // No word of the slop list: 0 hits → index 0.
    assert_eq!(m.slop.index, Some(0.0));
    let failed: Vec<_> = view.chapters[0]
        .report
        .gate
        .failures
        .iter()
        .map(|f| f.metric)
        .collect();
    use fabula_quality::GateMetric::*;
    assert_eq!(failed, [Distinct3, Rep4, LengthScore, DialogueShare]);
}

#[test]
fn chapter_two_reuses_chapter_one() {
    let view = view();
    let m = &view.chapters[1].report.metrics;
    // marcus vale mended the nets by the harbor | at midnight marcus vale died in the
    // storm | elena reyes stood alone on the harbor wall: 8 + 8 + 8 = 24 words.
    assert_eq!(m.words, 24);
    // 21 4-grams; the first five (marcus vale mended the … nets by the harbor) are
    // chapter 1's: 5/21 = 0.238095 → 0.2381
    assert_eq!((m.cross_chapter.seen, m.cross_chapter.total), (5, 21));
    assert_eq!(m.cross_chapter.share, Some(0.2381));
    assert_eq!(
        m.cross_chapter.examples,
        [
            "marcus vale mended the",
            "mended the nets by",
            "nets by the harbor",
            "the nets by the",
            "vale mended the nets",
        ]
    );
    // 18 types / 24 tokens (marcus ×2, vale ×2, the ×4, harbor ×2) = 0.75; no 4-gram
    // repeats inside the chapter.
    assert_eq!(m.diversity.distinct_1, Some(0.75));
    assert_eq!(m.diversity.rep_4, Some(0.0));
    // S_l, 24 words for 60: 100·(1 − (60/24 − 1)/2) = 100·(1 − 0.75) = 25
    assert_eq!(m.length.score, Some(25.0));
}

#[test]
fn chapter_three_has_some_dialogue() {
    let view = view();
    let m = &view.chapters[2].report.metrics;
    // keep the lamp lit said marcus (6) | elena s eyes were brown in the lamplight (8) |
    // captain jonah hale rowed into the harbor at dawn (9) = 23 words.
    assert_eq!(m.words, 23);
    // "Keep the lamp lit," → 4 quoted words; 4/23 = 0.173913 → 0.1739, inside 0.15–0.45.
    assert_eq!(m.dialogue.quoted_words, 4);
    assert_eq!(m.dialogue.share, Some(0.1739));
    // Its 20 4-grams share nothing with chapters 1–2.
    assert_eq!((m.cross_chapter.seen, m.cross_chapter.total), (0, 20));
    // S_l, 23 words for 60: 100·(1 − (60/23 − 1)/2) = 100·9/46 = 19.565 → 19.57
    assert_eq!(m.length.score, Some(19.57));
}

#[test]
fn the_whole_book_pools_the_chapters() {
    let view = view();
    let book = &view.book;
    // 25 + 24 + 23 words.
    assert_eq!((book.chapters, book.words), (3, 72));
    // Types: chapter 1's 15, chapter 2 adds 9 (at midnight died in storm stood alone on
    // wall), chapter 3 adds 14 (keep lamp lit said s were brown lamplight captain jonah
    // hale rowed into dawn) = 38; 38/72 = 0.52778 → 0.5278
    assert_eq!(book.diversity.distinct_1, Some(0.5278));
    // 4-grams: 22 + 21 + 20 = 63; repeats: 5 inside chapter 1, 5 of chapter 2 repeating
    // chapter 1 → 53 types; 53/63 = 0.84127 → 0.8413, rep-4 = 10/63 = 0.15873 → 0.1587
    assert_eq!(book.diversity.distinct_4, Some(0.8413));
    assert_eq!(book.diversity.rep_4, Some(0.1587));
    // Chapters 2–3 pooled: (5 + 0) / (21 + 20) = 5/41 = 0.12195 → 0.122
    assert_eq!(book.cross_chapter_rep_4, Some(0.122));
    // S_l, 72 words for 3 × 60 = 180: 100·(1 − (180/72 − 1)/2) = 100·(1 − 0.75) = 25
    assert_eq!(book.length.score, Some(25.0));
    // 4 quoted words of 72: 0.05556 → 0.0556
    assert_eq!(book.dialogue.share, Some(0.0556));
    let top: Vec<(&str, usize)> = book
        .top_repeated_4grams
        .iter()
        .map(|r| (r.ngram.as_str(), r.count))
        .collect();
    // ×3 first, then the ×2 ones alphabetically: chapter 1's own repeats and the five
    // 4-grams chapter 2 took from chapter 1.
    assert_eq!(
        top,
        [
            ("the bell rang twice", 3),
            ("bell rang twice the", 2),
            ("marcus vale mended the", 2),
            ("mended the nets by", 2),
            ("nets by the harbor", 2),
        ]
    );
    assert_eq!(view.failing_chapters, [1, 2, 3]);
    assert_eq!(view.slop_list_version, "slop-v1");
}

#[test]
fn continuity_alerts_cite_chapter_sentence_and_kind() {
    let view = view();
    let alerts: Vec<(u32, &str, AlertKind)> = view
        .continuity_alerts
        .iter()
        .map(|a| (a.chapter, a.sentence.as_str(), a.kind()))
        .collect();
    assert_eq!(
        alerts,
        [
            // Marcus died in chapter 2 ("At midnight Marcus Vale died in the storm.").
            (
                3,
                "\"Keep the lamp lit,\" said Marcus.",
                AlertKind::ActsAfterDeath
            ),
            // Canon green since chapter 1 ("Elena Reyes had green eyes.").
            (
                3,
                "Elena's eyes were brown in the lamplight.",
                AlertKind::AttributeContradiction
            ),
            // Never in the bible, never introduced.
            (
                3,
                "Captain Jonah Hale rowed into the harbor at dawn.",
                AlertKind::NameFromNowhere
            ),
        ]
    );
    let json = serde_json::to_value(&view.continuity_alerts).unwrap();
    assert_eq!(json[0]["death"]["chapter"], 2);
    assert_eq!(json[1]["established"]["chapter"], 1);
    assert_eq!(json[2]["name"], "Jonah Hale");
}

#[test]
fn recorded_attempts_sit_next_to_the_reports() {
    let view = view();
    for chapter in &view.chapters {
        assert_eq!(chapter.kept, Some(0));
        assert_eq!(chapter.attempts.len(), 1, "no revisions allowed");
        let attempt = &chapter.attempts[0];
        assert!(!attempt.passed);
        assert_eq!(attempt.scores.rep_4, chapter.report.metrics.diversity.rep_4);
        assert_eq!(attempt.failures, chapter.report.gate.failures);
    }
    let json = serde_json::to_value(&view).unwrap();
    let first = &json["chapters"][0];
    assert_eq!(first["number"], 1);
    assert_eq!(first["title"], "The Bell");
    assert_eq!(first["metrics"]["words"], 25);
    assert_eq!(first["gate"]["passed"], false);
    assert_eq!(first["kept"], 0);
    assert_eq!(json["dialogue"], "balanced");
    assert_eq!(json["max_revisions"], 0);
    assert_eq!(json["thresholds"]["max_rep_4"], 0.1);
}

#[test]
fn a_job_without_quality_records_still_gets_a_report() {
    let spec = spec();
    let metadata = JobMetadata::default();
    let source = BookSource {
        story_id: STORY,
        job_id: JobId::generate(),
        spec: &spec,
        metadata: &metadata,
        finished_at: None,
    };
    let view = analyse(&source, "T", &chapters());
    assert_eq!(view.chapters.len(), 3);
    assert!(
        view.chapters
            .iter()
            .all(|c| c.attempts.is_empty() && c.kept.is_none())
    );
    assert!(view.continuity_alerts.is_empty());
    // Without an outline the job's words per chapter is the budget.
    assert_eq!(view.chapters[0].report.metrics.length.budget, 200);
}

fn details() -> BookDetails {
    let manuscript = ManuscriptView {
        title: "The Lamp at Port Lumen".into(),
        synopsis: "A keeper, a storm, a lamp.".into(),
        chapters: 3,
        word_count: 72,
        created_at: Timestamp::parse("2025-03-01T10:00:00Z").unwrap(),
    };
    BookDetails::new(
        "Story title",
        Timestamp::parse("2025-02-01T09:00:00Z").unwrap(),
        Some(&manuscript),
        Some(Timestamp::parse("2025-03-01T10:00:05Z").unwrap()),
    )
}

#[test]
fn details_prefer_the_manuscript_and_the_completion() {
    let d = details();
    assert_eq!(d.title, "The Lamp at Port Lumen");
    assert_eq!(d.synopsis.as_deref(), Some("A keeper, a storm, a lamp."));
    assert_eq!(d.modified_at.to_string(), "2025-03-01T10:00:05.000Z");
    let created = Timestamp::parse("2025-02-01T09:00:00Z").unwrap();
    let bare = BookDetails::new("  Story title ", created, None, None);
    assert_eq!(bare.title, "Story title");
    assert_eq!(bare.synopsis, None);
    assert_eq!(bare.modified_at, created);
}

#[test]
fn a_json_export_re_imports_with_its_history() {
    let spec = spec();
    let metadata = metadata(&spec);
    let job_id = JobId::generate();
    let source = BookSource {
        story_id: STORY,
        job_id,
        spec: &spec,
        metadata: &metadata,
        finished_at: Some(Timestamp::parse("2025-03-01T10:00:05Z").unwrap()),
    };
    let book = book(&source, &details(), chapters());
    assert_eq!(
        book.info.subtitle.as_deref(),
        Some("A harbor keeper keeps the lamp lit after the storm.")
    );
    assert_eq!(book.info.genre.as_deref(), Some("literary"));
    let bytes = write_book(Format::Json, &book, Vec::new()).unwrap();
    let imported = import_json(bytes.as_slice()).unwrap();
    assert_eq!(imported, book);
    let history: ExportMetadata = serde_json::from_value(imported.metadata).unwrap();
    assert_eq!(history.job_id, job_id);
    assert_eq!(history.story_id, STORY);
    assert_eq!(history.spec, spec);
    assert_eq!(history.job, metadata);
    let header = book_header(&source, &details(), book.header().contents);
    assert_eq!(header, book.header());
}

#[test]
fn a_markdown_export_has_a_title_page_contents_and_every_chapter_once() {
    let spec = spec();
    let metadata = metadata(&spec);
    let source = BookSource {
        story_id: STORY,
        job_id: JobId::generate(),
        spec: &spec,
        metadata: &metadata,
        finished_at: None,
    };
    let bytes = write_book(
        Format::Markdown,
        &book(&source, &details(), chapters()),
        Vec::new(),
    )
    .unwrap();
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with("# The Lamp at Port Lumen\n"), "{text}");
    for (number, title) in [(1, "The Bell"), (2, "The Storm"), (3, "The Lamp")] {
        let entry = format!("- [Chapter {number}: {title}](#chapter-{number})");
        assert_eq!(text.matches(&entry).count(), 1, "{entry}\n{text}");
        let heading = format!("## Chapter {number}: {title}\n");
        assert_eq!(text.matches(&heading).count(), 1, "{heading}\n{text}");
    }
    assert!(text.contains("Elena Reyes had green eyes."), "{text}");
}
