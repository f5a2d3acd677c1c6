//! End-to-end tests of [`crate::generate`] over rendered prompts.

use serde_json::Value;

use crate::tasks::{TASKS, distinct_4grams};
use crate::{Error, FinishReason, Message, Request, Role, generate};

fn request(system: &str, user: &str, seed: u64) -> Request {
    Request {
        model: "fabula-offline-1".into(),
        messages: vec![
            Message {
                role: Role::System,
                content: system.into(),
            },
            Message {
                role: Role::User,
                content: user.into(),
            },
        ],
        temperature: Some(0.8),
        max_tokens: None,
        stop: Vec::new(),
        seed: Some(seed),
    }
}

const CAST: &str = "## Characters\n- Mara Quill — protagonist: a cartographer who has lost her nerve\n- Ivo Marsh — ally: a river pilot who owes her his life\n- Serafine Voss — antagonist: the harbour warden, patient and ruthless\n\n## Places\n- Saltmere — a harbour of leaning towers\n- The Lantern Archive — a library carved into a cliff\n";

const BEATS: [&str; 4] = [
    "Mara Quill finds a torn chart hidden in the spine of an atlas.",
    "Ivo Marsh warns Mara Quill that the harbour warden is watching the archive.",
    "Serafine Voss seals the gates of Saltmere at dusk.",
    "Mara Quill and Ivo Marsh escape through the flooded cellars of the Lantern Archive.",
];

fn chapter_prompt(budget: u32, pov: &str, tense: &str) -> String {
    let beats: String = BEATS.iter().map(|b| format!("- {b}\n")).collect();
    format!(
        "Title: The Salt Road\nGenre: fantasy\nPoint of view: {pov}\nTense: {tense}\nChapter number: 3\nChapter title: The Archive\nWord budget: {budget}\n\n{CAST}\n## Beats\n{beats}\n## Earlier chapters\n- Chapter 1: Mara arrives in Saltmere.\n- Chapter 2: Ivo agrees to help.\n"
    )
}

fn chapter(seed: u64, budget: u32) -> String {
    generate(&request(
        "Task: chapter@1\nWrite the chapter.",
        &chapter_prompt(budget, "third-limited", "past"),
        seed,
    ))
    .unwrap()
    .text
}

fn words(text: &str) -> usize {
    text.split_whitespace().count()
}

#[test]
fn the_same_request_gives_the_same_text_and_another_seed_another() {
    let a = chapter(7, 800);
    assert_eq!(a, chapter(7, 800));
    assert_ne!(a, chapter(8, 800));
    let outline = |seed| {
        generate(&request(
            "Task: outline@1",
            "Chapters: 5\nTotal words: 10000\nGenre: mystery",
            seed,
        ))
        .unwrap()
        .text
    };
    assert_eq!(outline(3), outline(3));
    assert_ne!(outline(3), outline(4));
}

#[test]
fn chapters_land_within_ten_percent_of_the_budget() {
    for budget in [300u32, 800, 1500, 3000, 6000] {
        for seed in [1u64, 2, 3, 16, 32] {
            let n = words(&chapter(seed, budget)) as f64;
            let b = f64::from(budget);
            assert!(
                (n - b).abs() <= b * 0.1,
                "seed {seed}: {n} words for a budget of {budget}"
            );
        }
    }
}

#[test]
fn chapters_follow_the_beats_in_order() {
    for (pov, tense) in [
        ("third-limited", "past"),
        ("first-person", "present"),
        ("second-person", "past"),
    ] {
        for seed in [1u64, 5, 16] {
            let text = generate(&request(
                "Task: chapter@1",
                &chapter_prompt(1200, pov, tense),
                seed,
            ))
            .unwrap()
            .text;
            // The beats' objects survive the change of voice verbatim.
            let markers = [
                "a torn chart hidden in the spine of an atlas",
                "the harbour warden is watching the archive",
                "the gates of Saltmere at dusk",
                "through the flooded cellars of the Lantern Archive",
            ];
            let positions: Vec<usize> = markers
                .iter()
                .map(|m| {
                    text.find(m)
                        .unwrap_or_else(|| panic!("{pov}/{seed}: no {m:?} in\n{text}"))
                })
                .collect();
            assert!(
                positions.windows(2).all(|w| w[0] < w[1]),
                "{pov}: {positions:?}"
            );
        }
    }
}

#[test]
fn beats_take_the_chapters_voice() {
    let first = generate(&request(
        "Task: chapter@1",
        &chapter_prompt(600, "first person", "past"),
        1,
    ))
    .unwrap()
    .text;
    assert!(first.contains("I found a torn chart"), "{first}");
    let present = generate(&request(
        "Task: chapter@1",
        &chapter_prompt(600, "third", "present"),
        1,
    ))
    .unwrap()
    .text;
    assert!(
        present.contains("Mara Quill finds a torn chart"),
        "{present}"
    );
    let past = chapter(1, 600);
    assert!(past.contains("Mara Quill found a torn chart"), "{past}");
    assert!(past.contains("Serafine Voss sealed the gates"), "{past}");
}

#[test]
fn chapters_use_the_given_names_and_no_invented_ones() {
    let text = chapter(11, 2000);
    for name in ["Mara", "Ivo", "Serafine", "Saltmere", "Lantern Archive"] {
        assert!(text.contains(name), "{name} missing");
    }
    // Every capitalised word that does not start a sentence or a quotation is a given name
    // (or `I`).
    let allowed = [
        "Mara", "Quill", "Ivo", "Marsh", "Serafine", "Voss", "Saltmere", "Lantern", "Archive", "I",
    ];
    let tokens: Vec<&str> = text.split_whitespace().collect();
    for pair in tokens.windows(2) {
        let starts_sentence = pair[0].ends_with(['.', '!', '?', '\u{201d}', ','])
            && pair[0].ends_with(['.', '!', '?', '\u{201d}'])
            || pair[1].starts_with('\u{201c}');
        let word = pair[1].trim_matches(|c: char| !c.is_alphanumeric());
        let word = word.strip_suffix("\u{2019}s").unwrap_or(word);
        if !starts_sentence && word.chars().next().is_some_and(char::is_uppercase) {
            assert!(
                allowed.contains(&word),
                "unexpected name {word:?} after {:?}",
                pair[0]
            );
        }
    }
}

#[test]
fn seeds_divisible_by_16_give_repetitive_drafts_and_rewrites_never_do() {
    for seed in [16u64, 32, 160] {
        let repetitive = distinct_4grams(&chapter(seed, 2000));
        assert!(repetitive < 0.5, "seed {seed}: distinct-4 {repetitive}");
    }
    // The quality gate's default ceiling on rep-4 (1 - distinct-4) is 0.10.
    for seed in [1u64, 15, 17, 33] {
        let varied = distinct_4grams(&chapter(seed, 2000));
        assert!(varied > 0.95, "seed {seed}: distinct-4 {varied}");
    }
    let draft = chapter(16, 1500);
    let rewrite = generate(&request(
        "Task: rewrite@1",
        &format!(
            "{}\n## Critique\nToo repetitive.\n\n## Text\n{draft}",
            chapter_prompt(1500, "third", "past")
        ),
        16,
    ))
    .unwrap()
    .text;
    assert!(distinct_4grams(&rewrite) > 0.95, "{rewrite}");
    let n = words(&rewrite) as f64;
    assert!((n - 1500.0).abs() <= 150.0, "{n}");
    assert!(rewrite.contains("the gates of Saltmere at dusk"));
}

#[test]
fn a_missing_seed_is_not_repetitive() {
    let mut r = request("Task: chapter@1", &chapter_prompt(1500, "third", "past"), 0);
    r.seed = None;
    let text = generate(&r).unwrap().text;
    assert!(distinct_4grams(&text) > 0.8);
}

#[test]
fn premise_analysis_is_valid_json_with_the_premises_names() {
    let answer = generate(&request(
        "Task: premise-analysis@1\nAnalyse the premise.",
        "Title: The Salt Road\nPremise: Mara Quill, a cartographer in the drowned city of Saltmere, finds a map that redraws itself. When Ivo steals it, she follows him to High Corrin.\nGenre: fantasy\nTone: wry\nChapters: 12",
        42,
    ))
    .unwrap();
    let v: Value = serde_json::from_str(&answer.text).unwrap();
    assert_eq!(v["title"], "The Salt Road");
    assert_eq!(v["genre"], "fantasy");
    assert_eq!(v["tone"], "wry");
    for key in ["logline", "setting"] {
        assert!(v[key].as_str().is_some_and(|s| !s.is_empty()), "{key}");
    }
    assert!(!v["themes"].as_array().unwrap().is_empty());
    let names: Vec<&str> = v["characters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(&names[..2], &["Mara Quill", "Ivo"]);
    assert!(names.len() >= 3);
    for c in v["characters"].as_array().unwrap() {
        for key in ["role", "description"] {
            assert!(c[key].as_str().is_some_and(|s| !s.is_empty()));
        }
        assert!(!c["traits"].as_array().unwrap().is_empty());
    }
    let places: Vec<&str> = v["places"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(&places[..2], &["Saltmere", "High Corrin"]);
}

#[test]
fn premise_analysis_invents_names_when_the_premise_has_none() {
    let answer = generate(&request(
        "Task: premise-analysis@1",
        "Premise: A lighthouse keeper finds a message in a bottle.\nGenre: science fiction",
        5,
    ))
    .unwrap();
    let v: Value = serde_json::from_str(&answer.text).unwrap();
    assert_eq!(v["characters"].as_array().unwrap().len(), 3);
    assert_eq!(v["places"].as_array().unwrap().len(), 3);
    assert!(v["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(
        v["logline"],
        "A lighthouse keeper finds a message in a bottle."
    );
}

#[test]
fn outlines_have_exactly_the_requested_chapters_and_budgets() {
    let answer = generate(&request(
        "Task: outline@1",
        &format!(
            "Title: The Salt Road\nGenre: fantasy\nChapters: 12\nTotal words: 30001\n\n{CAST}"
        ),
        9,
    ))
    .unwrap();
    let v: Value = serde_json::from_str(&answer.text).unwrap();
    let chapters = v["chapters"].as_array().unwrap();
    assert_eq!(chapters.len(), 12);
    let total: u64 = chapters
        .iter()
        .map(|c| c["word_budget"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 30001);
    let mut titles = std::collections::HashSet::new();
    for (i, c) in chapters.iter().enumerate() {
        assert_eq!(c["number"], i as u64 + 1);
        assert!(
            titles.insert(c["title"].as_str().unwrap().to_owned()),
            "duplicate title"
        );
        let beats = c["beats"].as_array().unwrap();
        assert!((3..=4).contains(&beats.len()));
        assert!(c["summary"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(
            beats
                .iter()
                .all(|b| b.as_str().unwrap().contains("Mara Quill")
                    || b.as_str().unwrap().contains("Ivo Marsh")
                    || b.as_str().unwrap().contains("Serafine Voss"))
        );
    }
    let each = generate(&request(
        "Task: outline@1",
        "Chapters: 3\nWord budget: 900",
        1,
    ))
    .unwrap();
    let v: Value = serde_json::from_str(&each.text).unwrap();
    assert!(
        v["chapters"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["word_budget"] == 900)
    );
}

#[test]
fn an_outline_chapter_can_be_written() {
    // The offline model's own outline beats come back voiced in the chapter.
    let outline = generate(&request(
        "Task: outline@1",
        &format!("Genre: fantasy\nChapters: 6\nTotal words: 6000\n\n{CAST}"),
        2,
    ))
    .unwrap();
    let v: Value = serde_json::from_str(&outline.text).unwrap();
    for chapter in v["chapters"].as_array().unwrap() {
        let beats: Vec<&str> = chapter["beats"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_str().unwrap())
            .collect();
        let user = format!(
            "Genre: fantasy\nWord budget: 1000\n\n{CAST}\n## Beats\n{}",
            beats.iter().map(|b| format!("- {b}\n")).collect::<String>()
        );
        let text = generate(&request("Task: chapter@1", &user, 3))
            .unwrap()
            .text;
        assert!(!text.contains(['{', '[']), "{text}");
        let n = words(&text);
        assert!((900..=1100).contains(&n), "{n}");
    }
}

#[test]
fn synopsis_is_one_or_two_paragraphs_naming_the_cast() {
    let answer = generate(&request(
        "Task: synopsis@1",
        &format!("Title: The Salt Road\nPremise: A cartographer finds a map that redraws itself.\nGenre: fantasy\n\n{CAST}\n## Earlier chapters\n- Chapter 12: The warden falls and the harbour is free.\n"),
        4,
    ))
    .unwrap();
    let paragraphs: Vec<&str> = answer.text.split("\n\n").collect();
    assert!((1..=2).contains(&paragraphs.len()));
    assert!(answer.text.contains("Mara Quill") && answer.text.contains("The Salt Road"));
    assert!(!answer.text.contains('{'));
}

#[test]
fn critique_reports_repetition_and_missing_beats_as_json() {
    let draft = chapter(16, 1200);
    let user = format!(
        "Word budget: 1200\n\n{CAST}\n## Beats\n- Mara Quill burns the lighthouse logbook.\n\n## Problems\n- distinct-4 below threshold\n\n## Text\n{draft}"
    );
    let answer = generate(&request("Task: critique@1", &user, 1)).unwrap();
    let v: Value = serde_json::from_str(&answer.text).unwrap();
    let issues: Vec<&str> = v["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap())
        .collect();
    assert!(issues.contains(&"distinct-4 below threshold"));
    assert!(
        issues.iter().any(|i| i.contains("repeats itself")),
        "{issues:?}"
    );
    assert!(issues.iter().any(|i| i.contains("Beat 1")), "{issues:?}");
    assert!(!v["suggestions"].as_array().unwrap().is_empty());
    let missing = generate(&request("Task: critique@1", "Word budget: 10", 1));
    assert!(matches!(missing, Err(Error::InvalidRequest(_))));
}

#[test]
fn max_tokens_cuts_the_text_with_finish_reason_length() {
    let mut r = request("Task: chapter@1", &chapter_prompt(1000, "third", "past"), 3);
    r.max_tokens = Some(50);
    let c = generate(&r).unwrap();
    assert_eq!(c.finish_reason, FinishReason::Length);
    assert!(c.usage.completion_tokens <= 50);
    assert!(c.text.chars().count() <= 200 && c.text.chars().count() > 150);
    r.max_tokens = Some(100_000);
    let c = generate(&r).unwrap();
    assert_eq!(c.finish_reason, FinishReason::Stop);
}

#[test]
fn stop_sequences_end_the_text() {
    let mut r = request("Task: chapter@1", &chapter_prompt(600, "third", "past"), 3);
    let full = generate(&r).unwrap().text;
    r.stop = vec!["Saltmere".into()];
    let c = generate(&r).unwrap();
    assert_eq!(c.finish_reason, FinishReason::Stop);
    assert_eq!(c.text, full[..full.find("Saltmere").unwrap()]);
}

#[test]
fn usage_counts_characters_over_four() {
    let r = request("Task: synopsis@1", "Title: X", 1);
    let c = generate(&r).unwrap();
    let prompt_chars = "Task: synopsis@1".chars().count() + "Title: X".chars().count();
    assert_eq!(c.usage.prompt_tokens as usize, prompt_chars.div_ceil(4));
    assert_eq!(
        c.usage.completion_tokens as usize,
        c.text.chars().count().div_ceil(4)
    );
    assert!(!c.usage.estimated);
    assert_eq!((c.attempts, c.model.as_str()), (1, "fabula-offline-1"));
    let mut unnamed = r.clone();
    unnamed.model.clear();
    assert_eq!(generate(&unnamed).unwrap().model, crate::MODEL);
}

#[test]
fn unknown_tasks_are_invalid_requests() {
    for system in ["Task: poem@1", "Task: chapter@2", "no task line"] {
        assert!(matches!(
            generate(&request(system, "Title: x", 1)),
            Err(Error::InvalidRequest(_))
        ));
    }
    assert_eq!(TASKS.len(), 6);
}

#[test]
fn absurd_chapter_counts_are_invalid_requests() {
    for chapters in ["0", "100000", "many"] {
        let r = request("Task: outline@1", &format!("Chapters: {chapters}"), 1);
        assert!(
            matches!(generate(&r), Err(Error::InvalidRequest(_))),
            "{chapters}"
        );
    }
}

/// Lowercase `\w+` words, as the quality metrics count them.
fn metric_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Share of words inside curly quotation marks.
fn dialogue_share(text: &str) -> f64 {
    let (mut spoken, mut all, mut inside) = (0usize, 0usize, false);
    for token in text.split_whitespace() {
        if token.contains('\u{201c}') {
            inside = true;
        }
        let n = metric_words(token).len();
        all += n;
        if inside {
            spoken += n;
        }
        if token.contains('\u{201d}') {
            inside = false;
        }
    }
    spoken as f64 / all.max(1) as f64
}

#[test]
fn dialogue_follows_the_requested_level() {
    let levels = [
        ("Use dialogue sparingly: mostly narration.", 0.0, 0.20),
        ("Balance narration and dialogue.", 0.15, 0.45),
        (
            "Lean on dialogue: let most scenes unfold through conversation.",
            0.35,
            0.75,
        ),
    ];
    for (instruction, low, high) in levels {
        for seed in 1..=5u64 {
            let text = generate(&request(
                &format!("Task: chapter@1\n{instruction}"),
                &chapter_prompt(2000, "third", "past"),
                seed,
            ))
            .unwrap()
            .text;
            let share = dialogue_share(&text);
            assert!(
                (low..=high).contains(&share),
                "{instruction} seed {seed}: dialogue share {share:.2}"
            );
        }
    }
}

#[test]
fn a_book_repeats_little_across_chapters() {
    // A six-chapter book written from the offline model's own outline: every chapter's
    // cross-chapter rep-4 (its 4-grams already used in earlier chapters) stays under the
    // quality gate's default ceiling of 0.12.
    let outline = generate(&request(
        "Task: outline@1",
        &format!("Genre: fantasy\nChapters: 6\nTotal words: 12000\n\n{CAST}"),
        77,
    ))
    .unwrap();
    let v: Value = serde_json::from_str(&outline.text).unwrap();
    let mut seen: std::collections::HashSet<Vec<String>> = std::collections::HashSet::new();
    for (n, chapter) in v["chapters"].as_array().unwrap().iter().enumerate() {
        let beats: String = chapter["beats"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| format!("- {}\n", b.as_str().unwrap()))
            .collect();
        let user = format!("Genre: fantasy\nWord budget: 2000\n\n{CAST}\n## Beats\n{beats}");
        let text = generate(&request("Task: chapter@1", &user, 1000 + n as u64))
            .unwrap()
            .text;
        let words = metric_words(&text);
        let grams: Vec<&[String]> = words.windows(4).collect();
        let repeated = grams.iter().filter(|g| seen.contains(**g)).count();
        let share = repeated as f64 / grams.len() as f64;
        assert!(
            share <= 0.12,
            "chapter {}: cross-chapter rep-4 {share:.3}",
            n + 1
        );
        seen.extend(grams.into_iter().map(<[String]>::to_vec));
    }
}

#[test]
fn answers_a_chapter_prompt_as_the_narrative_crate_renders_it() {
    // Shape of `crates/narrative`'s chapter@1 prompt (its insta snapshot, abridged).
    let system = "Task: chapter@1\nYou are a novelist writing chapter 3 of 4 of a fantasy novel.\nNarrate in the third person (he, she, they). Write in the past tense.\nBalance narration and dialogue; let conversations carry conflict and reveal character.\nWrite the chapter's prose only. Aim for about 1550 words.";
    let user = "Title: The Salt Road\nPremise: Mara Quill must map a road that moves each night.\nGenre: fantasy\nTone: wistful and eerie\nPoint of view: third person limited\nTense: past\nChapters: 4\nChapter number: 3\nChapter title: Ivo's Survey\nWord budget: 1550\n\n## Beats\n- Ivo Brand shows Mara his survey of the fixed road.\n- Mara compares the survey with Tamsin's ledger.\n- Mara decides to follow the road at night.\n\n## Characters\n- Mara Quill — protagonist: A stubborn young cartographer. (stubborn, precise)\n- Ivo Brand — rival: The town surveyor who insists the road is fixed.\n- Tamsin Quill — brother\n\n## Places\n- Saltmere — A lamp-lit town on the flats.\n- The Lantern Archive — Where every map of the road is kept.\n\n## Earlier chapters\n- Chapter 1: Mara wakes to find the road has moved west.\n\n## Facts\n- Mara Quill notices the road has shifted west overnight.\n";
    let c = generate(&request(system, user, 3)).unwrap();
    let text = &c.text;
    let first = text
        .find("Ivo Brand showed Mara his survey of the fixed road.")
        .expect(text);
    let second = text
        .find("Mara compared the survey with Tamsin's ledger.")
        .expect(text);
    let third = text
        .find("Mara decided to follow the road at night.")
        .expect(text);
    assert!(first < second && second < third);
    let n = words(text) as f64;
    assert!((n - 1550.0).abs() <= 155.0, "{n}");
    assert!(text.contains("Tamsin") && text.contains("Saltmere"));
    assert!(
        c.usage.completion_tokens < 3356,
        "fits the prompt's max_tokens"
    );
}
