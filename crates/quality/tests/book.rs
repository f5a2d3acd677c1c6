//! A three-chapter book whose every metric is computed by hand.
//!
//! Tokens (lowercase `\w+`):
//! - ch1 (12): the tide is turning mara said | the boats waited in the cove
//! - ch2 (16): the boats waited in the cove | the boats waited in the cove | mara sailed at dawn
//! - ch3 (17): a storm is coming tom said | he was a testament to courage and the tension was palpable

use fabula_quality::adherence::BeatStatus;
use fabula_quality::dialogue::DialogueVerdict;
use fabula_quality::distinct::RepeatedNgram;
use fabula_quality::self_bleu::{bleu_4, self_bleu_4};
use fabula_quality::tokenize::words;
use fabula_quality::{
    BookReport, ChapterInput, GateMetric, GateThresholds, QualitySettings, evaluate_book,
    evaluate_chapter,
};

const CH1: &str = "“The tide is turning,” Mara said. The boats waited in the cove.";
const CH2: &str =
    "The boats waited in the cove. The boats waited in the cove. Mara sailed at dawn.";
const CH3: &str =
    "“A storm is coming,” Tom said. He was a testament to courage, and the tension was palpable.";

fn chapter(number: u32, text: &str, word_budget: u32, beats: &[&str]) -> ChapterInput {
    ChapterInput {
        number,
        text: text.to_owned(),
        word_budget,
        beats: beats.iter().map(|b| b.to_string()).collect(),
    }
}

fn book() -> Vec<ChapterInput> {
    vec![
        chapter(1, CH1, 12, &["Mara watches the tide turning"]),
        chapter(2, CH2, 30, &["Mara sails at dawn", "Tom mends the nets"]),
        chapter(3, CH3, 10, &["A storm is coming"]),
    ]
}

fn report() -> BookReport {
    evaluate_book(&book(), &QualitySettings::default())
}

#[test]
fn chapter_one_passes_with_hand_computed_values() {
    let r = &report().chapters[0];
    let m = &r.metrics;
    assert_eq!(m.words, 12);
    // 10 word types (the ×3) / 12; every 2-, 3- and 4-gram is different.
    assert_eq!(m.diversity.distinct_1, Some(0.8333));
    assert_eq!(m.diversity.distinct_2, Some(1.0));
    assert_eq!(m.diversity.distinct_4, Some(1.0));
    assert_eq!(m.diversity.rep_4, Some(0.0));
    assert!(m.top_repeated_4grams.is_empty());
    // First chapter: nothing earlier to repeat.
    assert_eq!(m.cross_chapter.share, Some(0.0));
    // Sentences "the tide is turning mara said" / "the boats waited in the cove": each
    // against the other matches only "the" once: p1 = 1/6, p2..4 smoothed 0.1/5, 0.1/4,
    // 0.1/3; both 6 tokens → BP = 1. Both directions give the same score.
    let s =
        (0.25 * ((1.0f64 / 6.0).ln() + 0.02f64.ln() + 0.025f64.ln() + (0.1f64 / 3.0).ln())).exp();
    let raw = self_bleu_4(&[
        &words("“The tide is turning,” Mara said."),
        &words("The boats waited in the cove."),
    ]);
    assert!((raw.unwrap() - s).abs() < 1e-9);
    assert_eq!(m.self_bleu_4_sentences, Some(0.0408));
    assert_eq!(m.slop.index, Some(0.0));
    assert_eq!(m.length.score, Some(100.0));
    // beat keys {mara, watch, tide, turn}: "watches" is missing → 3/4
    assert_eq!(m.adherence.beats[0].coverage, Some(0.75));
    assert_eq!(m.adherence.share, Some(1.0));
    // "The tide is turning" quoted: 4/12
    assert_eq!(m.dialogue.share, Some(0.3333));
    assert_eq!(m.dialogue.verdict, Some(DialogueVerdict::Within));
    assert!(r.gate.passed, "{:?}", r.gate.failures);
}

#[test]
fn chapter_two_fails_on_repetition_length_and_dialogue() {
    let r = &report().chapters[1];
    let m = &r.metrics;
    assert_eq!(m.words, 16);
    // 1-grams: 9 types / 16. 2-grams: 10 types / 15. 3-grams: 10 / 14. 4-grams: 13
    // occurrences, 3 of them repeats ("the boats waited in", "boats waited in the",
    // "waited in the cove" twice each) → distinct-4 10/13, rep-4 3/13 = 0.2308.
    assert_eq!(m.diversity.distinct_1, Some(0.5625));
    assert_eq!(m.diversity.distinct_2, Some(0.6667));
    assert_eq!(m.diversity.distinct_3, Some(0.7143));
    assert_eq!(m.diversity.distinct_4, Some(0.7692));
    assert_eq!(m.diversity.rep_4, Some(0.2308));
    let rep = |s: &str| RepeatedNgram {
        ngram: s.to_owned(),
        count: 2,
    };
    assert_eq!(
        m.top_repeated_4grams,
        [
            rep("boats waited in the"),
            rep("the boats waited in"),
            rep("waited in the cove")
        ]
    );
    // The three repeated 4-grams (×2 each) also occur in chapter 1: 6/13.
    assert_eq!((m.cross_chapter.seen, m.cross_chapter.total), (6, 13));
    assert_eq!(m.cross_chapter.share, Some(0.4615));
    // Sentences: two identical (BLEU 1 each), "mara sailed at dawn" shares no word with
    // them (BLEU 0) → (1 + 1 + 0) / 3.
    assert_eq!(m.self_bleu_4_sentences, Some(0.6667));
    // 16 words for 30: x/y = 1.875 → 100·(1 − 0.875/2) = 56.25
    assert_eq!(m.length.score, Some(56.25));
    // "Mara sails at dawn" {mara, sail, dawn} 3/3; "Tom mends the nets" {tom, mend, net} 0/3.
    assert_eq!(m.adherence.beats[0].status, BeatStatus::Matched);
    assert_eq!(m.adherence.beats[1].status, BeatStatus::Missing);
    assert_eq!(m.adherence.share, Some(0.5));
    assert_eq!(m.dialogue.share, Some(0.0));
    let failed: Vec<GateMetric> = r.gate.failures.iter().map(|f| f.metric).collect();
    assert_eq!(
        failed,
        [
            GateMetric::Distinct3,
            GateMetric::Rep4,
            GateMetric::CrossChapterRep4,
            GateMetric::LengthScore,
            GateMetric::DialogueShare
        ]
    );
    let rep4 = &r.gate.failures[1];
    assert_eq!((rep4.value, rep4.threshold), (0.2308, 0.10));
    assert_eq!(
        rep4.message,
        "repeats 4-word sequences: 23.1% of its 4-word sequences repeat one used earlier in the chapter \
         (rep-4 0.23, maximum 0.10); most repeated: \"boats waited in the\" ×2, \"the boats waited in\" ×2, \
         \"waited in the cove\" ×2"
    );
    assert_eq!(
        r.gate.failures[2].message,
        "retells earlier chapters: 46.2% of its 4-word sequences already appeared in earlier chapters \
         (maximum 20%); for example \"boats waited in the\", \"the boats waited in\", \"waited in the cove\""
    );
    assert_eq!(
        r.gate.failures[3].message,
        "is too short: 16 words for a budget of 30 (length score 56.2, minimum 70.0); develop the scenes further"
    );
    assert_eq!(
        r.gate.failures[4].message,
        "has too little dialogue for the story's balanced dialogue setting: 0% of its words are inside \
         quotation marks (target 15%–45%)"
    );
}

#[test]
fn chapter_three_fails_on_slop_only() {
    let r = &report().chapters[2];
    let m = &r.metrics;
    // word hits "testament", "palpable"; trigram hits "a testament to", "tension was
    // palpable" → (2 + 2·0 + 8·2) / 17 × 1000 = 1058.82…
    assert_eq!(
        (m.slop.word_hits, m.slop.bigram_hits, m.slop.trigram_hits),
        (2, 0, 2)
    );
    assert_eq!(m.slop.index, Some(1058.82));
    assert_eq!(m.slop.list_version, "slop-v1");
    // 17 words for 10: 100·(1 − 0.7/3) = 76.67
    assert_eq!(m.length.score, Some(76.67));
    // "A storm is coming" quoted: 4/17
    assert_eq!(m.dialogue.share, Some(0.2353));
    assert_eq!(m.cross_chapter.share, Some(0.0));
    assert_eq!(r.gate.failures.len(), 1);
    let f = &r.gate.failures[0];
    assert_eq!(f.metric, GateMetric::SlopIndex);
    assert_eq!(
        f.message,
        "leans on stock phrases: slop index 1058.8 per 1000 words (maximum 12.0); replace \"a testament to\" ×1, \
         \"tension was palpable\" ×1, \"palpable\" ×1, \"testament\" ×1"
    );
}

#[test]
fn whole_book_metrics_by_hand() {
    let report = report();
    let b = &report.book;
    assert_eq!((b.chapters, b.words), (3, 45));
    // Pooled without crossing chapters: 1-grams 25/45, 2-grams 32/42, 3-grams 31/39,
    // 4-grams 30/36 (ch2 adds 7 new 4-gram types to ch1's 9, ch3 adds 14).
    assert_eq!(b.diversity.distinct_1, Some(0.5556));
    assert_eq!(b.diversity.distinct_2, Some(0.7619));
    assert_eq!(b.diversity.distinct_3, Some(0.7949));
    assert_eq!(b.diversity.distinct_4, Some(0.8333));
    assert_eq!(b.diversity.rep_4, Some(0.1667));
    // Chapters 2..3: seen (6 + 0) / total (13 + 14) = 6/27
    assert_eq!(b.cross_chapter_rep_4, Some(0.2222));
    // Self-BLEU-4 over chapters, each against the other two:
    // ch1 (c=12, closest ref 16 → BP e^(1−16/12)): p = 10/12, 5/11, 4/10, 3/9
    // ch2 (c=16, closest ref 17 → BP e^(1−17/16)): p = 8/16, 5/15, 4/14, 3/13
    // ch3 (c=17, closest ref 16 → BP 1): p = 3/17, 0.1/16, 0.1/15, 0.1/14 (smoothed)
    let bleu = |bp: f64, p: [f64; 4]| bp * (0.25 * p.iter().map(|x| x.ln()).sum::<f64>()).exp();
    let b1 = bleu(
        (1.0f64 - 16.0 / 12.0).exp(),
        [10.0 / 12.0, 5.0 / 11.0, 4.0 / 10.0, 3.0 / 9.0],
    );
    let b2 = bleu(
        (1.0f64 - 17.0 / 16.0).exp(),
        [8.0 / 16.0, 5.0 / 15.0, 4.0 / 14.0, 3.0 / 13.0],
    );
    let b3 = bleu(1.0, [3.0 / 17.0, 0.1 / 16.0, 0.1 / 15.0, 0.1 / 14.0]);
    let [t1, t2, t3] = [CH1, CH2, CH3].map(words);
    assert!((bleu_4(&t1, &[&t2, &t3]).unwrap() - b1).abs() < 1e-9);
    assert!((bleu_4(&t2, &[&t1, &t3]).unwrap() - b2).abs() < 1e-9);
    assert!((bleu_4(&t3, &[&t1, &t2]).unwrap() - b3).abs() < 1e-9);
    assert!((self_bleu_4(&[&t1, &t2, &t3]).unwrap() - (b1 + b2 + b3) / 3.0).abs() < 1e-9);
    assert_eq!(b.self_bleu_4_chapters, Some(0.2197));
    // (2 + 8·2) / 45 × 1000 = 400
    assert_eq!(b.slop.index, Some(400.0));
    // 45 words for 12 + 30 + 10 = 52: 100·(1 − (52/45 − 1)/2) = 92.22
    assert_eq!(b.length.score, Some(92.22));
    // 3 of 4 checkable beats
    assert_eq!(b.beat_adherence, Some(0.75));
    // (4 + 0 + 4) / 45
    assert_eq!(b.dialogue.share, Some(0.1778));
    assert_eq!(report.failing_chapters, [2, 3]);
    assert_eq!(report.slop_list_version, "slop-v1");
}

#[test]
fn evaluate_chapter_matches_the_book_evaluation() {
    let chapters = book();
    let alone = evaluate_chapter(&chapters[1], &[CH1], &QualitySettings::default());
    assert_eq!(alone, report().chapters[1]);
}

#[test]
fn story_thresholds_change_the_verdict() {
    let lenient = QualitySettings {
        thresholds: GateThresholds {
            max_slop_index: 2000.0,
            ..GateThresholds::default()
        },
        ..QualitySettings::default()
    };
    let r = evaluate_book(&book(), &lenient);
    assert!(r.chapters[2].gate.passed);
    assert_eq!(r.failing_chapters, [2]);
}

#[test]
fn reports_round_trip_through_json() {
    let report = report();
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(
        json["chapters"][1]["gate"]["failures"][1]["metric"],
        "rep_4"
    );
    assert_eq!(json["chapters"][1]["metrics"]["diversity"]["rep_4"], 0.2308);
    assert_eq!(json["book"]["dialogue"]["level"], "balanced");
    let back: BookReport = serde_json::from_value(json).unwrap();
    assert_eq!(back, report);
}

#[test]
fn empty_and_tiny_chapters_do_not_panic() {
    let settings = QualitySettings::default();
    let empty = evaluate_chapter(&chapter(1, "", 100, &["Mara sails"]), &[], &settings);
    let m = &empty.metrics;
    assert_eq!(m.words, 0);
    assert_eq!(m.diversity.distinct_1, None);
    assert_eq!(
        (m.self_bleu_4_sentences, m.slop.index, m.dialogue.share),
        (None, None, None)
    );
    assert_eq!(m.length.score, Some(0.0));
    let failed: Vec<GateMetric> = empty.gate.failures.iter().map(|f| f.metric).collect();
    assert_eq!(failed, [GateMetric::LengthScore, GateMetric::BeatAdherence]);

    let one = evaluate_chapter(&chapter(1, "Hello.", 0, &[]), &[], &settings);
    assert_eq!(one.metrics.diversity.distinct_1, Some(1.0));
    assert_eq!(one.metrics.diversity.distinct_2, None);
    assert_eq!(one.metrics.cross_chapter.share, None);
    assert_eq!(one.metrics.length.score, None);

    let none = evaluate_book(&[], &settings);
    assert_eq!(
        (
            none.book.words,
            none.book.self_bleu_4_chapters,
            none.book.cross_chapter_rep_4
        ),
        (0, None, None)
    );
}
