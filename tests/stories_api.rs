//! The stories API on the real app (`spin.toml`, real `health` and `stories-api` components):
//! CRUD, optimistic concurrency, the KV-cached read path, pagination, bad input, and each
//! story's quality gate policy.

use fabula_tests::pipeline::{job, start_generation};
use fabula_tests::{TestApp, TestAppBuilder, TestResponse, redact};
use serde_json::{Value, json};

/// The real app, signed in with a user key of a fresh `standard` tenant.
fn fabula() -> TestApp {
    let mut app = TestAppBuilder::fabula().with_operator().start();
    app.sign_in_as_new_tenant("standard", "user");
    app
}

fn create(app: &TestApp, title: &str) -> Value {
    let r = app.post_json(
        "/api/v1/stories",
        &json!({"title": title, "premise": "A keeper finds a map inside the lamp.", "genre": "mystery"}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

fn patch(app: &TestApp, id: &str, if_match: Option<&str>, body: Value) -> TestResponse {
    let bytes = serde_json::to_vec(&body).unwrap();
    let mut headers = vec![("content-type", "application/json")];
    if let Some(tag) = if_match {
        headers.push(("if-match", tag));
    }
    app.request(
        "PATCH",
        &format!("/api/v1/stories/{id}"),
        &headers,
        Some(&bytes),
    )
}

/// Every error carries the envelope: code, message and the response's request id.
fn assert_error(r: &TestResponse, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    let body = r.json();
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert_eq!(
        body["error"]["request_id"].as_str(),
        r.header("x-request-id"),
        "{body}"
    );
}

#[test]
fn health_and_readiness() {
    let app = fabula();
    assert_eq!(app.get("/healthz").json()["status"], "ok");
    let ready = app.get("/readyz");
    assert_eq!(ready.status, 200);
    insta::assert_json_snapshot!("readyz", ready.json());
}

#[test]
fn create_then_read() {
    let app = fabula();
    let r = app.post_json(
        "/api/v1/stories",
        &json!({"title": "The Lighthouse", "premise": "A keeper finds a map inside the lamp.", "genre": "mystery", "chapter_count": 12}),
    );
    assert_eq!(r.status, 201);
    let story = r.json();
    let id = story["id"].as_str().unwrap();
    assert_eq!(
        r.header("location"),
        Some(format!("/api/v1/stories/{id}").as_str())
    );
    assert_eq!(r.header("etag"), Some("\"1\""));
    insta::assert_json_snapshot!("create_story", redact(&story));

    let read = app.get(&format!("/api/v1/stories/{id}"));
    assert_eq!(read.status, 200);
    assert_eq!(read.json(), story, "the read path returns what was stored");
    let not_modified = app.request(
        "GET",
        &format!("/api/v1/stories/{id}"),
        &[("if-none-match", "\"1\"")],
        None,
    );
    assert_eq!(not_modified.status, 304);
}

#[test]
fn patch_uses_optimistic_concurrency_and_refreshes_the_cache() {
    let app = fabula();
    let id = create(&app, "Draft")["id"].as_str().unwrap().to_owned();
    app.get(&format!("/api/v1/stories/{id}")); // warm the KV cache

    let ok = patch(&app, &id, Some("\"1\""), json!({"title": "Final"}));
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(ok.json()["version"], 2);
    assert_eq!(ok.header("etag"), Some("\"2\""));
    assert_eq!(
        app.get(&format!("/api/v1/stories/{id}")).json()["title"],
        "Final",
        "no stale cache"
    );

    assert_error(
        &patch(&app, &id, Some("\"1\""), json!({"title": "Lost update"})),
        412,
        "version_conflict",
    );
    assert_error(
        &patch(&app, &id, None, json!({"title": "No precondition"})),
        428,
        "precondition_required",
    );
    let by_body = patch(
        &app,
        &id,
        None,
        json!({"title": "Body version", "version": 2}),
    );
    assert_eq!(
        by_body.status,
        200,
        "`version` in the body works like If-Match: {}",
        by_body.text()
    );
    assert_eq!(
        app.get(&format!("/api/v1/stories/{id}")).json()["title"],
        "Body version"
    );
}

#[test]
fn delete_removes_the_story_and_its_cache_entry() {
    let app = fabula();
    let id = create(&app, "Doomed")["id"].as_str().unwrap().to_owned();
    app.get(&format!("/api/v1/stories/{id}"));
    let r = app.request("DELETE", &format!("/api/v1/stories/{id}"), &[], None);
    assert_eq!(r.status, 204);
    assert_error(&app.get(&format!("/api/v1/stories/{id}")), 404, "not_found");
    assert_error(
        &app.request("DELETE", &format!("/api/v1/stories/{id}"), &[], None),
        404,
        "not_found",
    );
}

#[test]
fn pagination_is_stable_under_inserts() {
    let app = fabula();
    let created: Vec<String> = (0..5)
        .map(|i| {
            create(&app, &format!("Story {i}"))["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let first = app.get("/api/v1/stories?limit=2").json();
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"]
        .as_str()
        .expect("more pages")
        .to_owned();
    create(&app, "Inserted between pages");

    let mut seen: Vec<String> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    let mut next = Some(cursor);
    while let Some(c) = next {
        let page = app
            .get(&format!("/api/v1/stories?limit=2&cursor={c}"))
            .json();
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_owned()),
        );
        next = page["next_cursor"].as_str().map(str::to_owned);
    }
    for id in &created {
        assert_eq!(
            seen.iter().filter(|s| *s == id).count(),
            1,
            "every story exactly once"
        );
    }
    let mut dedup = seen.clone();
    dedup.dedup();
    assert_eq!(dedup.len(), seen.len(), "no duplicates across pages");
}

#[test]
fn validation_reports_every_field() {
    let app = fabula();
    let r = app.post_json(
        "/api/v1/stories",
        &json!({"title": "", "premise": "p", "genre": "nope", "target_words": 5, "chapter_count": 0}),
    );
    assert_error(&r, 422, "validation_failed");
    let fields: Vec<String> = r.json()["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap().to_owned())
        .collect();
    for f in ["title", "genre", "target_words", "chapter_count"] {
        assert!(
            fields.contains(&f.to_owned()),
            "{f} missing from {fields:?}"
        );
    }
    insta::assert_json_snapshot!("validation_failed", redact(&r.json()));
}

#[test]
fn bad_input_gets_a_clear_4xx_never_a_500() {
    let app = fabula();
    let id = create(&app, "Target")["id"].as_str().unwrap().to_owned();
    let json_ct = [("content-type", "application/json")];
    let post = |body: &[u8]| app.request("POST", "/api/v1/stories", &json_ct, Some(body));

    assert_error(&post(b"{not json"), 400, "invalid_json");
    assert_error(&post(b"[1,2,3]"), 400, "invalid_json");
    assert_error(
        &post(br#"{"title": 7, "premise": "p", "genre": "mystery"}"#),
        422,
        "validation_failed",
    );
    assert_error(
        &post(br#"{"title": "t", "premise": "p", "genre": "mystery", "surprise": true}"#),
        422,
        "validation_failed",
    );
    let huge = format!(
        r#"{{"title": "t", "premise": "{}", "genre": "mystery"}}"#,
        "x".repeat(2 << 20)
    );
    let too_large =
        app.request_tolerating_early_answer("POST", "/api/v1/stories", &json_ct, huge.as_bytes());
    assert_error(&too_large, 413, "payload_too_large");
    assert_error(
        &app.request(
            "POST",
            "/api/v1/stories",
            &[("content-type", "text/plain")],
            Some(b"hi"),
        ),
        415,
        "unsupported_media_type",
    );
    assert_error(
        &app.get("/api/v1/stories?cursor=%%%not-a-cursor"),
        400,
        "invalid_cursor",
    );
    assert_error(
        &app.get("/api/v1/stories?limit=0"),
        422,
        "validation_failed",
    );
    assert_error(
        &app.get("/api/v1/stories?limit=abc"),
        422,
        "validation_failed",
    );
    assert_error(&app.get("/api/v1/stories/not-a-uuid"), 404, "not_found");
    assert_error(
        &app.request("PUT", &format!("/api/v1/stories/{id}"), &[], None),
        405,
        "method_not_allowed",
    );
    assert_error(
        &patch(&app, &id, Some("\"1\""), json!({})),
        422,
        "validation_failed",
    );
    assert_error(
        &patch(&app, &id, Some("garbage"), json!({"title": "x"})),
        412,
        "version_conflict",
    );
}

/// Creates a story with the fields of `extra` besides a title, premise and genre; asserts
/// the 201 and returns the story.
fn create_with(app: &TestApp, title: &str, extra: Value) -> Value {
    let mut body = json!({"title": title, "premise": "A keeper finds a map inside the lamp.", "genre": "mystery"});
    for (key, value) in extra.as_object().expect("an object") {
        body[key] = value.clone();
    }
    let r = app.post_json("/api/v1/stories", &body);
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

/// The story as the list shows it: read from SQLite, never from the key-value cache.
fn stored(app: &TestApp, id: &str) -> Value {
    let page = app.get("/api/v1/stories?limit=100").json();
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|s| s["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("{id} is not listed: {page}"))
}

/// The `field` and `code` of every rejected field of a 422.
fn rejected(r: &TestResponse) -> Vec<(String, String)> {
    assert_error(r, 422, "validation_failed");
    r.json()["error"]["details"]
        .as_array()
        .expect("details")
        .iter()
        .map(|d| {
            let text = |k: &str| d[k].as_str().unwrap_or_default().to_owned();
            (text("field"), text("code"))
        })
        .collect()
}

#[test]
fn a_story_keeps_its_quality_policy_merged_on_the_defaults() {
    let app = fabula();
    let defaults = create(&app, "Defaults")["quality"].clone();
    assert_eq!(defaults["max_revisions"], 2, "{defaults}");
    let story = create_with(
        &app,
        "Strict",
        json!({"quality": {"max_revisions": 1, "thresholds": {"max_rep_4": 0.2}}}),
    );
    let id = story["id"].as_str().unwrap().to_owned();
    let mut expected = defaults.clone();
    expected["max_revisions"] = json!(1);
    expected["thresholds"]["max_rep_4"] = json!(0.2);
    assert_eq!(story["quality"], expected, "the full policy is served");
    let path = format!("/api/v1/stories/{id}");
    assert_eq!(app.get(&path).json()["quality"], expected, "cached read");
    assert_eq!(stored(&app, &id)["quality"], expected, "stored in SQLite");

    let changed = patch(
        &app,
        &id,
        Some("\"1\""),
        json!({"quality": {"thresholds": {"min_distinct_2": 0.5}}}),
    );
    assert_eq!(changed.status, 200, "{}", changed.text());
    expected["thresholds"]["min_distinct_2"] = json!(0.5);
    assert_eq!(
        changed.json()["quality"],
        expected,
        "one threshold changed, the rest kept"
    );
    assert_eq!(changed.json()["version"], 2);
    assert_eq!(app.get(&path).json()["quality"], expected);
    assert_eq!(stored(&app, &id)["quality"], expected);

    let reset = patch(&app, &id, Some("\"2\""), json!({"quality": null}));
    assert_eq!(reset.status, 200, "{}", reset.text());
    assert_eq!(
        reset.json()["quality"],
        defaults,
        "null resets to the default"
    );
    assert_eq!(stored(&app, &id)["quality"], defaults);
}

#[test]
fn bad_quality_values_are_422_naming_the_field() {
    let app = fabula();
    for (quality, field, code) in [
        (
            json!({"thresholds": {"max_rep_4": 1.5}}),
            "quality.thresholds.max_rep_4",
            "invalid_value",
        ),
        (
            json!({"thresholds": {"min_length_score": -1}}),
            "quality.thresholds.min_length_score",
            "invalid_value",
        ),
        (
            json!({"max_revisions": 6}),
            "quality.max_revisions",
            "invalid_value",
        ),
        (
            json!({"max_revisions": "two"}),
            "quality.max_revisions",
            "invalid_value",
        ),
        (
            json!({"thresholds": {"max_rep_5": 0.1}}),
            "quality.thresholds.max_rep_5",
            "invalid_value",
        ),
        (json!("strict"), "quality", "invalid_type"),
    ] {
        let body = json!({"title": "T", "premise": "P", "genre": "mystery", "quality": quality});
        let r = app.post_json("/api/v1/stories", &body);
        assert_eq!(
            rejected(&r),
            [(field.to_owned(), code.to_owned())],
            "{quality}"
        );
    }

    let id = create(&app, "Target")["id"].as_str().unwrap().to_owned();
    let r = patch(
        &app,
        &id,
        Some("\"1\""),
        json!({"title": "", "quality": {"max_revisions": 6}}),
    );
    assert_eq!(
        rejected(&r),
        [
            ("title".to_owned(), "too_short".to_owned()),
            (
                "quality.max_revisions".to_owned(),
                "invalid_value".to_owned()
            ),
        ],
        "reported with the other fields"
    );
    // The default `rich` range ends at 0.75: a lone `min` above it is refused against the
    // story's own policy.
    let r = patch(
        &app,
        &id,
        Some("\"1\""),
        json!({"quality": {"thresholds": {"dialogue": {"rich": {"min": 0.8}}}}}),
    );
    assert_eq!(
        rejected(&r),
        [(
            "quality.thresholds.dialogue.rich.max".to_owned(),
            "invalid_value".to_owned()
        )]
    );
    let unchanged = stored(&app, &id);
    assert_eq!(unchanged["version"], 1, "{unchanged}");
}

#[test]
fn generation_jobs_start_from_the_story_policy() {
    let mut app = TestAppBuilder::fabula().with_operator().start();
    app.sign_in_as_new_tenant("enterprise", "user");
    let story = create_with(
        &app,
        "Strict",
        json!({"chapter_count": 1, "target_words": 1000,
               "quality": {"max_revisions": 1, "thresholds": {"max_rep_4": 0.2}}}),
    );
    let id = story["id"].as_str().unwrap();
    let started = start_generation(&app, id, &json!({}));
    let spec = &job(&app, started["id"].as_str().unwrap())["spec"];
    assert_eq!(spec["quality"], story["quality"], "{spec}");

    let started = start_generation(
        &app,
        id,
        &json!({"quality": {"thresholds": {"min_distinct_2": 0.5}}}),
    );
    let spec = &job(&app, started["id"].as_str().unwrap())["spec"];
    let mut expected = story["quality"].clone();
    expected["thresholds"]["min_distinct_2"] = json!(0.5);
    assert_eq!(
        spec["quality"], expected,
        "the request's changes on top of the story's"
    );
}

#[test]
fn stored_policies_read_null_as_the_default_and_fail_cleanly_when_unreadable() {
    let state = tempfile::tempdir().unwrap();
    let builder = || {
        TestAppBuilder::fabula()
            .with_operator()
            .state_dir(state.path())
    };
    let mut app = builder().start();
    app.sign_in_as_new_tenant("standard", "user");
    let defaults = create(&app, "Defaults")["quality"].clone();
    let public = json!({"public": true, "quality": {"max_revisions": 1}});
    let legacy = create_with(&app, "Legacy", public.clone())["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let corrupt = create_with(&app, "Corrupt", public)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.stop();

    // Rows as written before the column existed, and a value that no longer parses (the
    // ids are UUIDs the service issued).
    let app = builder()
        .sqlite(&format!(
            "UPDATE stories SET quality = NULL WHERE id = '{legacy}'"
        ))
        .sqlite(&format!(
            "UPDATE stories SET quality = '{{\"max_revisions\": \"many\"}}' WHERE id = '{corrupt}'"
        ))
        .start();
    // Anonymous reads of public stories always go to SQLite.
    let read = app.get(&format!("/api/v1/stories/{legacy}"));
    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(read.json()["quality"], defaults);
    assert_error(
        &app.get(&format!("/api/v1/stories/{corrupt}")),
        500,
        "internal",
    );
}
