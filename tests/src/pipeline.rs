//! Helpers for driving the novel pipeline over HTTP: stories, generation jobs, chapters and
//! events, as a client of the public API sees them.

use std::time::Duration;

use serde_json::{Value, json};

use crate::TestApp;

/// Statuses after which a job no longer changes by itself.
const TERMINAL: [&str; 3] = ["completed", "failed", "cancelled"];

/// Creates a story with `chapter_count` chapters and returns its id.
pub fn create_story(app: &TestApp, title: &str, chapter_count: u32) -> String {
    let story = app.post_json(
        "/api/v1/stories",
        &json!({
            "title": title,
            "premise": "Mara Venn, a lighthouse keeper on the island of Skerry, finds a drowned \
                        map that points to the sunken city of Ys, and must decide whether to \
                        follow it before the winter storms close the sea.",
            "genre": "fantasy",
            "chapter_count": chapter_count,
            "target_words": (chapter_count * 400).max(1000),
        }),
    );
    assert_eq!(story.status, 201, "creating a story: {}", story.text());
    story.json()["id"].as_str().expect("story id").to_owned()
}

/// Starts a generation of `story` with `body`; asserts the 202 and returns the job.
pub fn start_generation(app: &TestApp, story: &str, body: &Value) -> Value {
    let job = app.post_json(&format!("/api/v1/stories/{story}/generations"), body);
    assert_eq!(job.status, 202, "starting a generation: {}", job.text());
    job.json()
}

/// The job as `GET /api/v1/jobs/{id}` shows it.
pub fn job(app: &TestApp, id: &str) -> Value {
    let job = app.get(&format!("/api/v1/jobs/{id}"));
    assert_eq!(job.status, 200, "reading job {id}: {}", job.text());
    job.json()
}

/// Polls the job until it is terminal; returns it.
pub fn wait_until_terminal(app: &TestApp, id: &str, limit: Duration) -> Value {
    app.wait_for(limit, &format!("job {id} to finish"), || {
        let job = job(app, id);
        let status = job["status"].as_str().unwrap_or_default();
        TERMINAL.contains(&status).then_some(job)
    })
}

/// Every item of a cursor-paginated list at `path`, following `next_cursor`.
pub fn all_items(app: &TestApp, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let separator = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(c) => format!("{path}{separator}cursor={c}"),
            None => path.to_owned(),
        };
        let page = app.get(&url);
        assert_eq!(page.status, 200, "GET {url}: {}", page.text());
        let page = page.json();
        items.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return items,
        }
    }
}

/// The job's written chapters, in the order the API lists them.
pub fn chapters(app: &TestApp, id: &str) -> Vec<Value> {
    all_items(app, &format!("/api/v1/jobs/{id}/chapters"))
}

/// The job's events as JSON, from the first.
pub fn events(app: &TestApp, id: &str) -> Vec<Value> {
    let mut events = Vec::new();
    let mut after = 0;
    loop {
        let page = app.get(&format!("/api/v1/jobs/{id}/events?after={after}"));
        assert_eq!(page.status, 200, "reading events: {}", page.text());
        let page = page.json();
        let items = page["items"].as_array().expect("items").clone();
        if items.is_empty() {
            return events;
        }
        after = items.last().expect("an item")["seq"].as_u64().expect("seq");
        events.extend(items);
    }
}

/// How many events of `kind` there are.
pub fn count_kind(events: &[Value], kind: &str) -> usize {
    events.iter().filter(|e| e["kind"] == kind).count()
}

/// The unsigned number at JSON `pointer` in `value`; panics naming the pointer if there is
/// none.
pub fn u64_at(value: &Value, pointer: &str) -> u64 {
    value
        .pointer(pointer)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("{pointer} is not a number in {value}"))
}
