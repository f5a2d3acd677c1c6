//! The novel pipeline end to end on the embedded default (offline provider, embedded queue):
//! a premise becomes a 12-chapter book through the Redis-triggered stages, with progress,
//! events (JSON and Server-Sent Events), and accounting that adds up from call to tenant.

use std::collections::BTreeSet;
use std::time::Duration;

use fabula_tests::pipeline::{
    chapters, count_kind, create_story, events, job, start_generation, u64_at, wait_until_terminal,
};
use fabula_tests::{TestApp, TestAppBuilder};
use serde_json::{Value, json};

/// Long enough for a 12-chapter offline job on a slow CI machine.
const JOB_LIMIT: Duration = Duration::from_secs(180);

fn app() -> TestApp {
    app_with(|b| b)
}

fn app_with(configure: impl FnOnce(TestAppBuilder) -> TestAppBuilder) -> TestApp {
    let mut app = configure(TestAppBuilder::fabula().with_operator()).start();
    app.sign_in_as_new_tenant("enterprise", "user");
    app
}

#[test]
fn a_twelve_chapter_novel_generates_end_to_end() {
    let app = app();
    let story = create_story(&app, "The Drowned Map", 12);
    let started = start_generation(
        &app,
        &story,
        &json!({"chapters": 12, "words_per_chapter": 350, "seed": 7}),
    );
    let id = started["id"].as_str().expect("job id").to_owned();
    assert!(
        ["queued", "running"].contains(&started["status"].as_str().unwrap()),
        "{started}"
    );

    let done = wait_until_terminal(&app, &id, JOB_LIMIT);
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(u64_at(&done, "/progress/chapters_done"), 12);
    assert_eq!(u64_at(&done, "/progress/chapters_total"), 12);

    // Every chapter exactly once, in order, with prose near its budget.
    let written = chapters(&app, &id);
    let numbers: Vec<u64> = written.iter().map(|c| u64_at(c, "/number")).collect();
    assert_eq!(numbers, (1..=12).collect::<Vec<_>>());
    for chapter in &written {
        let words = u64_at(chapter, "/word_count");
        assert!(
            (250..=450).contains(&words),
            "chapter {} has {words} words for a budget of 350",
            chapter["number"]
        );
        let text = chapter["text"].as_str().expect("text");
        assert_eq!(word_count(text), words, "word_count counts `\\w+` runs");
    }
    let titles: BTreeSet<&str> = written
        .iter()
        .map(|c| c["title"].as_str().expect("title"))
        .collect();
    assert_eq!(titles.len(), 12, "chapter titles repeat: {titles:?}");

    // The event log: contiguous sequence numbers, one job_started and one job_completed,
    // one chapter_written per chapter.
    let log = events(&app, &id);
    let seqs: Vec<u64> = log.iter().map(|e| u64_at(e, "/seq")).collect();
    assert_eq!(seqs, (1..=log.len() as u64).collect::<Vec<_>>());
    assert_eq!(count_kind(&log, "job_started"), 1);
    assert_eq!(count_kind(&log, "chapter_written"), 12);
    assert_eq!(count_kind(&log, "chapter_checked"), 12);
    assert_eq!(count_kind(&log, "job_completed"), 1);
    assert_eq!(log.last().unwrap()["kind"], "job_completed");
    assert_eq!(count_kind(&log, "stage_failed"), 0);

    // Accounting: steps add up to the job, the job to the story and the tenant.
    let steps = done["steps"].as_array().expect("steps");
    assert_eq!(
        steps.len(),
        27,
        "premise, outline, 12 chapters and their quality checks, assembly: {steps:?}"
    );
    let checked = done["metadata"]["quality"].as_array().expect("quality");
    let numbers: Vec<u64> = checked.iter().map(|q| u64_at(q, "/chapter")).collect();
    assert_eq!(
        numbers,
        (1..=12).collect::<Vec<_>>(),
        "one record per chapter"
    );
    for field in ["/tokens/prompt", "/tokens/completion", "/cost_nanos"] {
        let sum: u64 = steps.iter().map(|s| u64_at(s, field)).sum();
        assert_eq!(sum, u64_at(&done, field), "steps' {field} vs the job's");
        assert!(sum > 0, "{field} is zero");
    }
    let usage = app.get("/api/v1/usage");
    assert_eq!(usage.status, 200, "{}", usage.text());
    let usage = usage.json();
    for field in ["/tokens/prompt", "/tokens/completion", "/cost_nanos"] {
        assert_eq!(
            u64_at(&usage, field),
            u64_at(&done, field),
            "tenant {field}"
        );
        let story_row = usage["stories"]
            .as_array()
            .expect("stories")
            .iter()
            .find(|s| s["story_id"] == story.as_str())
            .expect("the story's usage");
        assert_eq!(
            u64_at(story_row, field),
            u64_at(&done, field),
            "story {field}"
        );
    }
}

#[test]
fn progress_streams_live_over_sse_and_resumes_after_last_event_id() {
    let app = app();
    let story = create_story(&app, "Streaming", 4);
    let started = start_generation(
        &app,
        &story,
        &json!({"chapters": 4, "words_per_chapter": 300, "seed": 11}),
    );
    let id = started["id"].as_str().unwrap().to_owned();

    // One connection opened right away follows the job live to its end.
    let sse = [("accept", "text/event-stream")];
    let live = app.request("GET", &format!("/api/v1/jobs/{id}/events"), &sse, None);
    assert_eq!(live.status, 200, "{}", live.text());
    assert!(
        live.header("content-type")
            .unwrap()
            .starts_with("text/event-stream")
    );
    let streamed = parse_sse(&live.text());
    let kinds: Vec<&str> = streamed.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(kinds.last(), Some(&"job_completed"), "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "chapter_written").count(), 4);
    let ids: Vec<u64> = streamed.iter().map(|e| e.id).collect();
    assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>());
    // The SSE events are the events the JSON API serves: same ids, kinds and data.
    let log = events(&app, &id);
    assert_eq!(log.len(), streamed.len());
    for (json_event, sse_event) in log.iter().zip(&streamed) {
        let data: Value = serde_json::from_str(&sse_event.data).expect("data is JSON");
        assert_eq!(data, json_event["data"]);
        assert_eq!(sse_event.event, json_event["kind"].as_str().unwrap());
        assert_eq!(sse_event.id, u64_at(json_event, "/seq"));
    }

    // A reconnect with Last-Event-ID gets only what came after, then ends (the job is done).
    let resumed = app.request(
        "GET",
        &format!("/api/v1/jobs/{id}/events"),
        &[("accept", "text/event-stream"), ("last-event-id", "5")],
        None,
    );
    assert_eq!(resumed.status, 200);
    let rest: Vec<u64> = parse_sse(&resumed.text()).iter().map(|e| e.id).collect();
    assert_eq!(rest, (6..=ids.len() as u64).collect::<Vec<_>>());
}

#[test]
fn an_sse_stream_that_ends_early_resumes_without_gaps_or_duplicates() {
    let app = app_with(|b| b.variable("sse_max_seconds", "1"));
    let story = create_story(&app, "Short streams", 8);
    let started = start_generation(
        &app,
        &story,
        &json!({"chapters": 8, "words_per_chapter": 600, "seed": 5}),
    );
    let id = started["id"].as_str().unwrap().to_owned();
    let mut seen: Vec<u64> = Vec::new();
    let mut connections = 0;
    loop {
        connections += 1;
        assert!(connections < 200, "the stream never reached job_completed");
        let last = seen.last().map(|id| id.to_string());
        let mut headers = vec![("accept", "text/event-stream")];
        if let Some(last) = &last {
            headers.push(("last-event-id", last.as_str()));
        }
        let response = app.request("GET", &format!("/api/v1/jobs/{id}/events"), &headers, None);
        assert_eq!(response.status, 200);
        let batch = parse_sse(&response.text());
        let done = batch.iter().any(|e| e.event == "job_completed");
        seen.extend(batch.iter().map(|e| e.id));
        if done {
            break;
        }
    }
    assert_eq!(seen, (1..=seen.len() as u64).collect::<Vec<_>>());
}

#[test]
fn a_repeated_idempotency_key_starts_one_job() {
    let app = app();
    let story = create_story(&app, "Once", 2);
    let body = serde_json::to_vec(&json!({"chapters": 2, "words_per_chapter": 250})).unwrap();
    let path = format!("/api/v1/stories/{story}/generations");
    let headers = [
        ("content-type", "application/json"),
        ("idempotency-key", "generate-once-1"),
    ];
    let first = app.request("POST", &path, &headers, Some(&body));
    let second = app.request("POST", &path, &headers, Some(&body));
    assert_eq!(first.status, 202, "{}", first.text());
    assert_eq!(second.status, 202, "{}", second.text());
    assert_eq!(first.json()["id"], second.json()["id"]);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    let jobs = fabula_tests::pipeline::all_items(&app, &format!("/api/v1/jobs?story_id={story}"));
    assert_eq!(jobs.len(), 1, "{jobs:?}");
}

#[test]
fn a_cancelled_job_stops_and_keeps_what_it_wrote() {
    let app = app();
    let story = create_story(&app, "Stop", 40);
    let started = start_generation(
        &app,
        &story,
        &json!({"chapters": 40, "words_per_chapter": 800, "seed": 3}),
    );
    let id = started["id"].as_str().unwrap().to_owned();
    app.wait_for(JOB_LIMIT, "the first chapter", || {
        (u64_at(&job(&app, &id), "/progress/chapters_done") >= 1).then_some(())
    });
    let cancel = app.post_json(&format!("/api/v1/jobs/{id}/cancel"), &json!({}));
    assert_eq!(cancel.status, 200, "{}", cancel.text());
    assert_eq!(cancel.json()["status"], "cancelled");

    // Whatever was in flight settles; nothing is written after that.
    std::thread::sleep(Duration::from_millis(1500));
    let settled = chapters(&app, &id).len();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(chapters(&app, &id).len(), settled);
    assert!(settled < 40, "the job ran to the end despite the cancel");
    let after = job(&app, &id);
    assert_eq!(after["status"], "cancelled");
    let log = events(&app, &id);
    assert_eq!(count_kind(&log, "job_cancelled"), 1);
    assert_eq!(count_kind(&log, "job_completed"), 0);

    // A cancelled job can be resumed, and finishes with every chapter exactly once.
    let retry = app.post_json(&format!("/api/v1/jobs/{id}/retry"), &json!({}));
    assert_eq!(retry.status, 202, "{}", retry.text());
    let done = wait_until_terminal(&app, &id, JOB_LIMIT);
    assert_eq!(done["status"], "completed", "{done}");
    let numbers: Vec<u64> = chapters(&app, &id)
        .iter()
        .map(|c| u64_at(c, "/number"))
        .collect();
    assert_eq!(numbers, (1..=40).collect::<Vec<_>>());
}

#[test]
fn bad_generation_requests_get_clear_errors() {
    let mut app = app();
    let story = create_story(&app, "Errors", 3);
    let path = format!("/api/v1/stories/{story}/generations");
    for (body, code) in [
        (json!({"chapters": 0}), "validation_failed"),
        (json!({"chapters": 1000}), "validation_failed"),
        (json!({"words_per_chapter": 5}), "validation_failed"),
        (json!({"chapters": "twelve"}), "validation_failed"),
        (json!({"surprise": true}), "validation_failed"),
        (
            json!({"style": {"pov": "fourth-person"}}),
            "validation_failed",
        ),
        (
            json!({"quality": {"max_revisions": 9}}),
            "validation_failed",
        ),
        (
            json!({"quality": {"thresholds": {"max_rep_4": 2}}}),
            "validation_failed",
        ),
        (
            json!({"quality": {"thresholds": {"max_rep_5": 0.1}}}),
            "validation_failed",
        ),
        (json!({"quality": 3}), "validation_failed"),
    ] {
        let response = app.post_json(&path, &body);
        assert!(
            [400, 422].contains(&response.status),
            "{body}: {} {}",
            response.status,
            response.text()
        );
        let error = &response.json()["error"];
        assert_eq!(error["code"], code, "{body}: {error}");
        assert!(error["request_id"].is_string());
    }
    let missing = app.post_json(
        "/api/v1/stories/0190f5a0-0000-7000-8000-000000000000/generations",
        &json!({}),
    );
    assert_eq!(missing.status, 404, "{}", missing.text());
    let no_job = app.get("/api/v1/jobs/0190f5a0-0000-7000-8000-000000000000");
    assert_eq!(no_job.status, 404);
    let not_an_id = app.get("/api/v1/jobs/not-a-job");
    assert!(
        [400, 404].contains(&not_an_id.status),
        "{}",
        not_an_id.text()
    );

    // Another tenant sees neither the story's generations nor the jobs.
    let started = start_generation(
        &app,
        &story,
        &json!({"chapters": 1, "words_per_chapter": 200}),
    );
    let id = started["id"].as_str().unwrap().to_owned();
    app.sign_in_as_new_tenant("enterprise", "admin");
    assert_eq!(app.get(&format!("/api/v1/jobs/{id}")).status, 404);
    assert_eq!(app.get(&format!("/api/v1/jobs/{id}/events")).status, 404);
    assert_eq!(
        app.post_json(&format!("/api/v1/jobs/{id}/cancel"), &json!({}))
            .status,
        404
    );
    assert_eq!(app.post_json(&path, &json!({})).status, 404);
    assert!(fabula_tests::pipeline::all_items(&app, "/api/v1/jobs").is_empty());
}

/// Words as the API counts them: runs of letters, digits and `_` (the `\b\w+\b` rule).
fn word_count(text: &str) -> u64 {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .count() as u64
}

/// One Server-Sent Event.
#[derive(Debug)]
struct SseEvent {
    id: u64,
    event: String,
    data: String,
}

/// Parses an SSE body into its events (comments and `retry:` lines are skipped).
fn parse_sse(body: &str) -> Vec<SseEvent> {
    let mut events = Vec::new();
    for block in body.split("\n\n") {
        let (mut id, mut event, mut data) = (None, None, Vec::new());
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("id:") {
                id = Some(v.trim().parse::<u64>().expect("numeric event id"));
            } else if let Some(v) = line.strip_prefix("event:") {
                event = Some(v.trim().to_owned());
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push(v.strip_prefix(' ').unwrap_or(v).to_owned());
            }
        }
        if let (Some(id), Some(event)) = (id, event) {
            events.push(SseEvent {
                id,
                event,
                data: data.join("\n"),
            });
        }
    }
    events
}
