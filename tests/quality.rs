//! The quality step end to end on the embedded default (offline provider): every chapter
//! is checked against the story's gate, a failing chapter is revised (critique → rewrite)
//! up to the policy's `max_revisions`, every attempt's scores are recorded, the best attempt
//! is kept, and the loop never runs past its budget.

use std::time::Duration;

use fabula_narrative::step_seed;
use fabula_tests::pipeline::{
    chapters, count_kind, create_story, events, start_generation, wait_until_terminal,
};
use fabula_tests::{TestApp, TestAppBuilder};
use serde_json::{Value, json};

const JOB_LIMIT: Duration = Duration::from_secs(180);

fn app() -> TestApp {
    let mut app = TestAppBuilder::fabula().with_operator().start();
    app.sign_in_as_new_tenant("enterprise", "user");
    app
}

/// Generates `chapters` chapters of `story` with `body` and waits for the job.
fn generate(app: &TestApp, title: &str, body: Value) -> Value {
    let chapters = body["chapters"].as_u64().expect("chapters") as u32;
    let story = create_story(app, title, chapters);
    let job = start_generation(app, &story, &body);
    let done = wait_until_terminal(app, job["id"].as_str().expect("id"), JOB_LIMIT);
    assert_eq!(done["status"], "completed", "{done}");
    done
}

/// The offline provider writes a deliberately repetitive draft when the chapter call's
/// seed is a multiple of 16: the first job seed whose chapter 1 gets such a draft and
/// chapter 2 does not.
fn seed_with_a_repetitive_first_chapter() -> u64 {
    (1..)
        .find(|&s| step_seed(s, "chapter:1") % 16 == 0 && step_seed(s, "chapter:2") % 16 != 0)
        .expect("some seed")
}

fn attempts(record: &Value) -> &Vec<Value> {
    record["attempts"].as_array().expect("attempts")
}

fn metrics_failed(attempt: &Value) -> Vec<&str> {
    attempt["failures"]
        .as_array()
        .expect("failures")
        .iter()
        .map(|f| f["metric"].as_str().expect("metric"))
        .collect()
}

fn step<'a>(job: &'a Value, name: &str) -> &'a Value {
    job["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["step"] == name)
        .unwrap_or_else(|| panic!("no step {name} in {}", job["steps"]))
}

#[test]
fn a_repetitive_draft_is_revised_and_the_passing_revision_kept() {
    let app = app();
    let seed = seed_with_a_repetitive_first_chapter();
    let done = generate(
        &app,
        "Revisions",
        json!({"chapters": 2, "words_per_chapter": 400, "seed": seed}),
    );
    let quality = done["metadata"]["quality"].as_array().expect("quality");
    assert_eq!(quality.len(), 2, "{quality:?}");

    let first = &quality[0];
    let tries = attempts(first);
    let draft = &tries[0];
    assert_eq!(draft["attempt"], 0);
    assert_eq!(
        draft["passed"], false,
        "the repetitive draft fails: {draft}"
    );
    let failed = metrics_failed(draft);
    assert!(
        failed
            .iter()
            .any(|m| ["rep_4", "distinct_2", "distinct_3"].contains(m)),
        "it fails for repetition: {failed:?}"
    );
    assert!(tries.len() >= 2, "a revision was made: {first}");
    assert!(
        tries.len() <= 3,
        "at most max_revisions (2) revisions: {first}"
    );
    let kept = first["kept"].as_u64().expect("kept") as usize;
    assert!(kept >= 1, "a revision is kept: {first}");
    assert_eq!(first["passed"], true, "{first}");
    assert_eq!(tries[kept]["passed"], true);
    assert_eq!(kept, tries.len() - 1, "the loop stops at the first pass");

    // The chapter now holds the kept revision, and its quality step paid for the calls.
    let written = chapters(&app, done["id"].as_str().unwrap());
    assert_eq!(
        written[0]["word_count"], tries[kept]["scores"]["words"],
        "the stored chapter is the kept attempt"
    );
    let check = step(&done, "quality:1");
    assert!(
        check["tokens"]["completion"].as_u64().unwrap() > 0,
        "{check}"
    );
    assert_eq!(step(&done, "quality:2")["tokens"]["completion"], 0);

    let log = events(&app, done["id"].as_str().unwrap());
    let checked: Vec<&Value> = log
        .iter()
        .filter(|e| e["kind"] == "chapter_checked")
        .collect();
    assert_eq!(checked.len(), 2);
    assert_eq!(checked[0]["data"]["number"], 1);
    assert_eq!(checked[0]["data"]["kept"], kept as u64);
    assert_eq!(checked[0]["data"]["attempts"], tries.len() as u64);
    assert_eq!(checked[0]["data"]["passed"], true);
}

#[test]
fn an_unreachable_gate_stops_after_max_revisions_and_keeps_the_least_failing() {
    let app = app();
    // Every 2-gram distinct cannot be met by 300 words of prose.
    let done = generate(
        &app,
        "Impossible",
        json!({"chapters": 2, "words_per_chapter": 300, "seed": 5,
               "quality": {"max_revisions": 2, "thresholds": {"min_distinct_2": 1.0}}}),
    );
    for record in done["metadata"]["quality"].as_array().expect("quality") {
        let tries = attempts(record);
        assert_eq!(
            tries.len(),
            3,
            "the draft and exactly two revisions: {record}"
        );
        assert!(tries.iter().all(|a| a["passed"] == false), "{record}");
        assert_eq!(record["passed"], false);
        let fewest = tries.iter().map(|a| metrics_failed(a).len()).min().unwrap();
        let kept = record["kept"].as_u64().unwrap() as usize;
        assert_eq!(metrics_failed(&tries[kept]).len(), fewest, "{record}");
        assert!(
            tries[..kept]
                .iter()
                .all(|a| metrics_failed(a).len() > fewest),
            "the earliest of the least failing is kept: {record}"
        );
    }
    let log = events(&app, done["id"].as_str().unwrap());
    assert_eq!(count_kind(&log, "chapter_checked"), 2);
}

#[test]
fn a_story_without_revisions_only_measures() {
    let app = app();
    let seed = seed_with_a_repetitive_first_chapter();
    let done = generate(
        &app,
        "Measured",
        json!({"chapters": 2, "words_per_chapter": 300, "seed": seed,
               "quality": {"max_revisions": 0}}),
    );
    let first = &done["metadata"]["quality"][0];
    assert_eq!(attempts(first).len(), 1, "{first}");
    assert_eq!(
        first["passed"], false,
        "the repetitive draft is kept and flagged"
    );
    assert_eq!(done["spec"]["quality"]["max_revisions"], 0);
    for name in ["quality:1", "quality:2"] {
        assert_eq!(
            step(&done, name)["tokens"]["prompt"],
            0,
            "{name} made no call"
        );
    }
}
