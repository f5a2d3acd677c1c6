//! The book routes end to end: `GET /api/v1/stories/{id}/analysis` and
//! `GET /api/v1/stories/{id}/export?format=markdown|epub|json`.
//!
//! - A 12-chapter book generated with the offline provider: its quality report, its
//!   Markdown (title page, contents, every chapter once and in order), its JSON (re-imports
//!   to the chapters the jobs API serves) and its EPUB (passes epubcheck).
//! - A book of hand-made chapters, written through provider-openai by a fake
//!   OpenAI-compatible server in this process: the report's values are the ones computed
//!   by hand (the same texts are checked natively in `crates/domain/src/books/hand_made.rs`)
//!   and the continuity alerts cite the right chapter, sentence and kind.
//! - Every way a request can fail, with its status and code.

use std::time::Duration;

use fabula_tests::books::run_epubcheck;
use fabula_tests::fake_llm::{FakeLlm, Prompt, Reply};
use fabula_tests::manifest::PatchedManifest;
use fabula_tests::pipeline::{
    chapters, create_story, start_generation, u64_at, wait_until_terminal,
};
use fabula_tests::{OPERATOR_TOKEN, TestApp, TestResponse};
use serde_json::{Value, json};

/// Long enough for a 12-chapter offline job on a slow CI machine.
const JOB_LIMIT: Duration = Duration::from_secs(240);

/// The app (sources from the wasm target folder the harness builds into), signed in as a
/// new tenant's user.
fn app(manifest: &PatchedManifest, variables: &[(&str, &str)]) -> TestApp {
    let mut builder = manifest.builder().with_operator();
    for (name, value) in variables {
        builder = builder.variable(name, value);
    }
    let mut app = builder.start();
    app.sign_in_as_new_tenant("enterprise", "user");
    app
}

fn analysis_path(story: &str) -> String {
    format!("/api/v1/stories/{story}/analysis")
}

fn export_path(story: &str, format: &str) -> String {
    format!("/api/v1/stories/{story}/export?format={format}")
}

/// Asserts an error response: status, code, and the envelope's message and request id.
fn assert_error(response: &TestResponse, status: u16, code: &str) -> String {
    assert_eq!(response.status, status, "{}", response.text());
    let body = response.json();
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["request_id"].as_str().is_some(), "{body}");
    body["error"]["message"]
        .as_str()
        .expect("message")
        .to_owned()
}

/// `Chapter N: Title` as the exports write headings.
fn heading(number: u64, title: &str) -> String {
    match title.trim() {
        "" => format!("Chapter {number}"),
        title => format!("Chapter {number}: {title}"),
    }
}

/// Markdown inline text with its backslash escapes removed.
fn unescape(markdown: &str) -> String {
    let mut out = String::new();
    let mut chars = markdown.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

fn f64_at(value: &Value, pointer: &str) -> f64 {
    value
        .pointer(pointer)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("{pointer} is not a number in {value}"))
}

/// Asserts a rounded metric (JSON floats parse to within an ulp).
fn assert_metric(value: &Value, pointer: &str, expected: f64) {
    let actual = f64_at(value, pointer);
    assert!(
        (actual - expected).abs() < 1e-9,
        "{pointer}: {actual}, expected {expected}"
    );
}

// --- a generated 12-chapter book -----------------------------------------------------------

#[test]
fn a_generated_twelve_chapter_book_is_analysed_and_exported() {
    let manifest = PatchedManifest::fabula(&[]);
    let mut app = app(&manifest, &[]);
    let story = create_story(&app, "The Drowned Map", 12);

    // No book before a job completes.
    assert_error(&app.get(&analysis_path(&story)), 404, "no_manuscript");
    assert_error(
        &app.get(&export_path(&story, "markdown")),
        404,
        "no_manuscript",
    );
    let started = start_generation(
        &app,
        &story,
        &json!({"chapters": 12, "words_per_chapter": 300, "seed": 7}),
    );
    let id = started["id"].as_str().expect("job id").to_owned();
    let early = app.get(&format!("{}?job_id={id}", analysis_path(&story)));
    let message = assert_error(&early, 404, "no_manuscript");
    assert!(message.contains(&id), "{message}");
    let done = wait_until_terminal(&app, &id, JOB_LIMIT);
    assert_eq!(done["status"], "completed", "{done}");
    let written = chapters(&app, &id);
    assert_eq!(written.len(), 12);

    // The analysis: 12 chapter reports with their recorded attempts, and the whole book.
    let response = app.get(&analysis_path(&story));
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(
        response
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json"))
    );
    let analysis = response.json();
    assert_eq!(analysis["story_id"], story.as_str());
    assert_eq!(analysis["job_id"], id.as_str());
    assert_eq!(analysis["slop_list_version"], "slop-v1");
    assert!(
        analysis["thresholds"]["max_rep_4"].is_number(),
        "{analysis}"
    );
    let reports = analysis["chapters"].as_array().expect("chapters");
    assert_eq!(reports.len(), 12);
    for (report, chapter) in reports.iter().zip(&written) {
        assert_eq!(report["number"], chapter["number"]);
        assert_eq!(report["title"], chapter["title"]);
        assert_eq!(
            report["metrics"]["words"], chapter["word_count"],
            "{report}"
        );
        assert!(report["gate"]["passed"].is_boolean(), "{report}");
        let attempts = report["attempts"].as_array().expect("attempts");
        assert!(
            !attempts.is_empty(),
            "chapter {} has no recorded attempts (the quality step records them)",
            report["number"]
        );
        assert_eq!(attempts[0]["attempt"], 0);
        let kept = u64_at(report, "/kept");
        assert!(kept < attempts.len() as u64, "{report}");
    }
    let book = &analysis["book"];
    assert_eq!(u64_at(book, "/chapters"), 12);
    let words: u64 = written.iter().map(|c| u64_at(c, "/word_count")).sum();
    assert_eq!(u64_at(book, "/words"), words);
    for metric in [
        "/diversity/distinct_2",
        "/cross_chapter_rep_4",
        "/self_bleu_4_chapters",
        "/slop/index",
        "/length/score",
    ] {
        assert!(
            book.pointer(metric).is_some_and(Value::is_number),
            "{metric}: {book}"
        );
    }
    assert!(analysis["failing_chapters"].is_array());
    assert!(analysis["continuity_alerts"].is_array());
    // Naming the job gives the same report.
    let named = app.get(&format!("{}?job_id={id}", analysis_path(&story)));
    assert_eq!(named.status, 200, "{}", named.text());
    assert_eq!(named.json(), analysis);
    let title = analysis["title"].as_str().expect("title").to_owned();

    check_markdown(&app, &story, &title, &written);
    check_json(&app, &story, &id, &title, &written);
    check_epub(&app, &story);

    // Bad requests for this book.
    let bad = app.get(&export_path(&story, "pdf"));
    let message = assert_error(&bad, 400, "unsupported_format");
    assert!(message.contains("markdown, epub, json"), "{message}");
    let missing = app.get(&format!("/api/v1/stories/{story}/export"));
    assert_error(&missing, 400, "unsupported_format");
    let malformed = app.get(&format!("{}?job_id=42", analysis_path(&story)));
    assert_error(&malformed, 400, "invalid_job_id");
    let unknown_job = "0190f5a0-0000-7000-8000-000000000000";
    let unknown = app.get(&format!("{}?job_id={unknown_job}", analysis_path(&story)));
    assert_error(&unknown, 404, "not_found");
    // The job belongs to another story.
    let other = create_story(&app, "Another Story", 2);
    let foreign = app.get(&format!("{}?job_id={id}", analysis_path(&other)));
    assert_error(&foreign, 404, "not_found");
    let foreign = app.get(&format!("{}&job_id={id}", export_path(&other, "json")));
    assert_error(&foreign, 404, "not_found");

    // A private story's book is its tenant's: another tenant and anonymous callers get the
    // same 404 as for a story that does not exist.
    let anonymous = TestApp::attach(&app.base, None);
    assert_error(&anonymous.get(&analysis_path(&story)), 404, "not_found");
    assert_error(
        &anonymous.get(&export_path(&story, "json")),
        404,
        "not_found",
    );
    let operator = [("authorization", format!("Bearer {OPERATOR_TOKEN}"))];
    let operator: Vec<(&str, &str)> = operator.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = app.request("GET", &analysis_path(&story), &operator, None);
    assert_error(&refused, 403, "forbidden");
    app.sign_in_as_new_tenant("enterprise", "user");
    assert_error(&app.get(&analysis_path(&story)), 404, "not_found");
    assert_error(&app.get(&export_path(&story, "epub")), 404, "not_found");
}

/// The Markdown export: the title page, a table of contents listing the 12 chapters, and
/// every chapter exactly once, in order.
fn check_markdown(app: &TestApp, story: &str, title: &str, written: &[Value]) {
    let response = app.get(&export_path(story, "markdown"));
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.header("content-type"),
        Some("text/markdown; charset=utf-8")
    );
    let disposition = response.header("content-disposition").expect("disposition");
    assert!(
        disposition.starts_with("attachment; filename=\"") && disposition.ends_with(".md\""),
        "{disposition}"
    );
    assert!(
        response.header("content-length").is_none(),
        "the export is streamed, not sent whole: {:?}",
        response.headers
    );
    let text = response.text();
    let mut lines = text.lines();
    assert_eq!(
        unescape(lines.next().expect("a first line")),
        format!("# {title}")
    );
    let contents_at = text.find("\n## Contents\n").expect("a table of contents");
    let expected: Vec<String> = written
        .iter()
        .map(|c| heading(u64_at(c, "/number"), c["title"].as_str().expect("title")))
        .collect();
    let listed: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("- ["))
        .filter_map(|l| l.rsplit_once("](#chapter-"))
        .map(|(entry, _)| unescape(entry))
        .collect();
    assert_eq!(listed, expected, "the table of contents");
    let headings: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("## Chapter "))
        .map(|l| unescape(&format!("Chapter {l}")))
        .collect();
    assert_eq!(headings, expected, "each chapter once, in order");
    let mut last = contents_at;
    for number in 1..=12 {
        let anchor = format!("<a id=\"chapter-{number}\"></a>");
        assert_eq!(text.matches(&anchor).count(), 1, "{anchor}");
        let at = text.find(&anchor).expect("anchor");
        assert!(at > last, "chapter {number} out of order");
        last = at;
    }
}

/// The JSON export re-imports to the chapters the jobs API serves.
fn check_json(app: &TestApp, story: &str, job: &str, title: &str, written: &[Value]) {
    let response = app.get(&export_path(story, "json"));
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert!(
        response
            .header("content-disposition")
            .is_some_and(|d| d.ends_with(".json\"")),
        "{:?}",
        response.headers
    );
    let book = fabula_export::import_json(response.body.as_slice()).expect("a fabula-book");
    assert_eq!(book.info.id, story);
    assert_eq!(book.info.title, title);
    assert_eq!(book.chapters.len(), written.len());
    for (imported, chapter) in book.chapters.iter().zip(written) {
        assert_eq!(u64::from(imported.number), u64_at(chapter, "/number"));
        assert_eq!(imported.title, chapter["title"].as_str().expect("title"));
        assert_eq!(imported.text, chapter["text"].as_str().expect("text"));
    }
    // Everything needed to re-import: the job, its spec and its metadata.
    assert_eq!(book.metadata["job_id"], job);
    assert_eq!(book.metadata["story_id"], story);
    assert_eq!(book.metadata["spec"]["generation"]["chapters"], 12);
    assert_eq!(
        book.metadata["outline"]["chapters"]
            .as_array()
            .map(Vec::len),
        Some(12)
    );
    assert!(book.metadata["premise_analysis"].is_object());
    assert!(book.metadata["bible"].is_object());
}

/// The EPUB export passes epubcheck (required where `CI` is set).
fn check_epub(app: &TestApp, story: &str) {
    let response = app.get(&export_path(story, "epub"));
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.header("content-type"),
        Some("application/epub+zip")
    );
    assert!(
        response
            .header("content-disposition")
            .is_some_and(|d| d.ends_with(".epub\"")),
        "{:?}",
        response.headers
    );
    assert_eq!(&response.body[..4], b"PK\x03\x04");
    assert_eq!(&response.body[30..58], b"mimetypeapplication/epub+zip");
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{story}.epub"));
    std::fs::write(&path, &response.body).expect("write the EPUB");
    match run_epubcheck(&path) {
        Some((passed, report)) => {
            println!("epubcheck:\n{report}");
            assert!(passed, "epubcheck: {report}");
        }
        None => {
            assert!(
                std::env::var_os("CI").is_none(),
                "epubcheck is not on PATH (run scripts/install-test-deps.sh)"
            );
            eprintln!("note: epubcheck is not on PATH; skipping the EPUB validation");
        }
    }
}

// --- hand-made chapters --------------------------------------------------------------------

// The same texts as `crates/domain/src/books/hand_made.rs`, where the values below are
// also checked natively against the quality crate.

/// Chapter 1 repeats one sentence three times and states Elena's eye colour.
const CH1: &str = "Elena Reyes had green eyes. The bell rang twice. The bell rang twice. \
The bell rang twice. Marcus Vale mended the nets by the harbor.";
/// Chapter 2 reuses chapter 1's last sentence and records Marcus's death.
const CH2: &str = "Marcus Vale mended the nets by the harbor. At midnight Marcus Vale \
died in the storm. Elena Reyes stood alone on the harbor wall.";
/// Chapter 3: the dead Marcus speaks, Elena's eyes change colour, a stranger appears.
const CH3: &str = "\"Keep the lamp lit,\" said Marcus. Elena's eyes were brown in the \
lamplight. Captain Jonah Hale rowed into the harbor at dawn.";
const TITLES: [&str; 3] = ["The Bell", "The Storm", "The Lamp"];

/// The fake model's answers: a fixed analysis (the ledger is seeded with its names only),
/// a 3-chapter outline with budgets of 60 words, the hand-made chapters, and the same
/// chapter again for a rewrite (so the hand-made text is kept whatever the gate says).
fn canned(prompt: &Prompt) -> Reply {
    let chapter_text = || match prompt.chapter() {
        Some(1) => Reply::completion(CH1),
        Some(2) => Reply::completion(CH2),
        Some(3) => Reply::completion(CH3),
        other => Reply::error(400, &format!("no chapter {other:?}")),
    };
    let json = |value: Value| Reply::completion(&value.to_string());
    match prompt.task.as_str() {
        "premise-analysis@1" => json(json!({
            "title": "The Lamp at Port Lumen",
            "logline": "A harbor keeper keeps the lamp lit after the storm.",
            "genre": "literary",
            "tone": "quiet",
            "setting": "A fishing harbor",
            "themes": ["grief"],
            "characters": [
                {"name": "Elena Reyes", "role": "protagonist", "description": "the keeper",
                 "traits": ["stubborn"]},
                {"name": "Marcus Vale", "role": "mentor", "description": "a fisherman",
                 "traits": ["patient"]}
            ],
            "places": [{"name": "Port Lumen", "description": "the harbor town"}]
        })),
        "outline@1" => json(json!({"chapters": [
            {"number": 1, "title": TITLES[0], "summary": "The bell rings.",
             "beats": ["The bell rings twice over the harbor."], "word_budget": 60},
            {"number": 2, "title": TITLES[1], "summary": "Marcus dies.",
             "beats": ["Marcus Vale dies in the storm."], "word_budget": 60},
            {"number": 3, "title": TITLES[2], "summary": "Elena keeps the lamp.",
             "beats": ["Elena keeps the lamp lit until dawn."], "word_budget": 60}
        ]})),
        "chapter@1" | "rewrite@1" => chapter_text(),
        "critique@1" => json(json!({"issues": ["Too short."], "suggestions": ["Keep it."]})),
        "synopsis@1" => Reply::completion(
            "A harbor keeper keeps the lamp lit after a storm takes her friend, until a \
             stranger rows in at dawn.",
        ),
        other => Reply::error(400, &format!("unexpected task {other:?}")),
    }
}

#[test]
fn hand_made_chapters_give_the_hand_computed_report() {
    let server = FakeLlm::start(canned);
    let manifest = PatchedManifest::fabula(&[("llm-provider", "provider_openai.wasm")]);
    let origin = server.origin();
    let mut app = app(
        &manifest,
        &[
            ("llm_api_origin", origin.as_str()),
            ("llm_max_retries", "0"),
        ],
    );
    let story = app.post_json(
        "/api/v1/stories",
        &json!({
            "title": "The Lamp",
            "premise": "A harbor keeper loses her friend to a storm and keeps the lamp lit.",
            "genre": "literary",
            "chapter_count": 3,
            "target_words": 1000,
            "public": true
        }),
    );
    assert_eq!(story.status, 201, "{}", story.text());
    let story = story.json()["id"].as_str().expect("story id").to_owned();
    let started = start_generation(
        &app,
        &story,
        &json!({"chapters": 3, "words_per_chapter": 200, "seed": 5,
                "quality": {"max_revisions": 0}}),
    );
    let id = started["id"].as_str().expect("job id").to_owned();
    let done = wait_until_terminal(&app, &id, Duration::from_secs(90));
    assert_eq!(done["status"], "completed", "{done}");
    let mut tasks: Vec<String> = server.prompts().into_iter().map(|p| p.task).collect();
    tasks.sort();
    assert_eq!(
        tasks,
        [
            "chapter@1",
            "chapter@1",
            "chapter@1",
            "outline@1",
            "premise-analysis@1",
            "synopsis@1"
        ],
        "no revision with max_revisions 0"
    );
    let stored: Vec<String> = chapters(&app, &id)
        .iter()
        .map(|c| c["text"].as_str().expect("text").to_owned())
        .collect();
    assert_eq!(
        stored,
        [CH1, CH2, CH3],
        "the hand-made texts are kept as written"
    );

    let response = app.get(&analysis_path(&story));
    assert_eq!(response.status, 200, "{}", response.text());
    let analysis = response.json();
    let reports = analysis["chapters"].as_array().expect("chapters");
    let titles: Vec<&str> = reports
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, TITLES);

    // Chapter 1: elena reyes had green eyes | the bell rang twice ×3 | marcus vale mended
    // the nets by the harbor → 5 + 3×4 + 8 = 25 words.
    let ch1 = &reports[0]["metrics"];
    assert_eq!(u64_at(ch1, "/words"), 25);
    // 15 types (elena reyes had green eyes the bell rang twice marcus vale mended nets by
    // harbor) / 25 tokens = 0.6
    assert_metric(ch1, "/diversity/distinct_1", 0.6);
    // 24 bigrams; the-bell ×3, bell-rang ×3, rang-twice ×3, twice-the ×2 repeat 7 times →
    // 17 types; 17/24 = 0.70833 → 0.7083
    assert_metric(ch1, "/diversity/distinct_2", 0.7083);
    // 23 trigrams; the-bell-rang ×3, bell-rang-twice ×3, rang-twice-the ×2,
    // twice-the-bell ×2 repeat 6 times → 17 types; 17/23 = 0.73913 → 0.7391
    assert_metric(ch1, "/diversity/distinct_3", 0.7391);
    // 22 4-grams; the windows at words 10–14 repeat those at 6–9 → 17 types;
    // distinct-4 = 17/22 = 0.77273 → 0.7727, rep-4 = 5/22 = 0.22727 → 0.2273
    assert_metric(ch1, "/diversity/distinct_4", 0.7727);
    assert_metric(ch1, "/diversity/rep_4", 0.2273);
    assert_eq!(
        ch1["top_repeated_4grams"],
        json!([
            {"ngram": "the bell rang twice", "count": 3},
            {"ngram": "bell rang twice the", "count": 2},
            {"ngram": "rang twice the bell", "count": 2},
            {"ngram": "twice the bell rang", "count": 2}
        ])
    );
    // S_l, 25 words for a budget of 60: 100·(1 − (60/25 − 1)/2) = 100·(1 − 0.7) = 30
    assert_metric(ch1, "/length/score", 30.0);
    // No word of the slop list: 0 hits → 0 per 1000 words.
    assert_metric(ch1, "/slop/index", 0.0);
    let failed: Vec<&str> = reports[0]["gate"]["failures"]
        .as_array()
        .expect("failures")
        .iter()
        .map(|f| f["metric"].as_str().expect("metric"))
        .collect();
    // distinct-3 0.7391 < 0.80, rep-4 0.2273 > 0.10, S_l 30 < 70, no dialogue < 15 %.
    assert_eq!(
        failed,
        ["distinct_3", "rep_4", "length_score", "dialogue_share"]
    );

    // Chapter 2: marcus vale mended the nets by the harbor | at midnight marcus vale died
    // in the storm | elena reyes stood alone on the harbor wall → 24 words.
    let ch2 = &reports[1]["metrics"];
    assert_eq!(u64_at(ch2, "/words"), 24);
    // 21 4-grams; the first five (marcus vale mended the … nets by the harbor) are
    // chapter 1's: 5/21 = 0.238095 → 0.2381
    assert_eq!(u64_at(ch2, "/cross_chapter/seen"), 5);
    assert_eq!(u64_at(ch2, "/cross_chapter/total"), 21);
    assert_metric(ch2, "/cross_chapter/share", 0.2381);
    assert_eq!(
        ch2["cross_chapter"]["examples"],
        json!([
            "marcus vale mended the",
            "mended the nets by",
            "nets by the harbor",
            "the nets by the",
            "vale mended the nets"
        ])
    );
    // 18 types / 24 tokens (marcus ×2, vale ×2, the ×4, harbor ×2) = 0.75
    assert_metric(ch2, "/diversity/distinct_1", 0.75);
    // S_l, 24 words for 60: 100·(1 − (60/24 − 1)/2) = 100·(1 − 0.75) = 25
    assert_metric(ch2, "/length/score", 25.0);

    // Chapter 3: keep the lamp lit said marcus (6) | elena s eyes were brown in the
    // lamplight (8) | captain jonah hale rowed into the harbor at dawn (9) → 23 words.
    let ch3 = &reports[2]["metrics"];
    assert_eq!(u64_at(ch3, "/words"), 23);
    // "Keep the lamp lit," → 4 quoted words; 4/23 = 0.173913 → 0.1739 (within 15–45 %)
    assert_eq!(u64_at(ch3, "/dialogue/quoted_words"), 4);
    assert_metric(ch3, "/dialogue/share", 0.1739);
    assert_eq!(ch3["dialogue"]["verdict"], "within");
    // Its 20 4-grams share nothing with chapters 1–2.
    assert_eq!(u64_at(ch3, "/cross_chapter/seen"), 0);
    assert_eq!(u64_at(ch3, "/cross_chapter/total"), 20);
    // S_l, 23 words for 60: 100·(1 − (60/23 − 1)/2) = 100·9/46 = 19.565 → 19.57
    assert_metric(ch3, "/length/score", 19.57);

    // The whole book: 25 + 24 + 23 = 72 words.
    let book = &analysis["book"];
    assert_eq!(u64_at(book, "/chapters"), 3);
    assert_eq!(u64_at(book, "/words"), 72);
    // Types: chapter 1's 15, + 9 new in chapter 2 (at midnight died in storm stood alone on
    // wall), + 14 new in chapter 3 (keep lamp lit said s were brown lamplight captain
    // jonah hale rowed into dawn) = 38; 38/72 = 0.52778 → 0.5278
    assert_metric(book, "/diversity/distinct_1", 0.5278);
    // 4-grams: 22 + 21 + 20 = 63; repeats: 5 inside chapter 1 and chapter 2's 5 taken
    // from chapter 1 → 53 types; 53/63 = 0.84127 → 0.8413, rep-4 = 10/63 = 0.15873 → 0.1587
    assert_metric(book, "/diversity/distinct_4", 0.8413);
    assert_metric(book, "/diversity/rep_4", 0.1587);
    // Chapters 2–3 pooled: (5 + 0) / (21 + 20) = 5/41 = 0.12195 → 0.122
    assert_metric(book, "/cross_chapter_rep_4", 0.122);
    // S_l, 72 words for 3 × 60 = 180: 100·(1 − (180/72 − 1)/2) = 100·(1 − 0.75) = 25
    assert_metric(book, "/length/score", 25.0);
    // 4 quoted words of 72: 0.05556 → 0.0556
    assert_metric(book, "/dialogue/share", 0.0556);
    // ×3 first, then the ×2 ones alphabetically.
    assert_eq!(
        book["top_repeated_4grams"],
        json!([
            {"ngram": "the bell rang twice", "count": 3},
            {"ngram": "bell rang twice the", "count": 2},
            {"ngram": "marcus vale mended the", "count": 2},
            {"ngram": "mended the nets by", "count": 2},
            {"ngram": "nets by the harbor", "count": 2}
        ])
    );
    assert_eq!(analysis["failing_chapters"], json!([1, 2, 3]));

    // The attempts the quality step recorded: the draft only (no revisions), kept.
    for report in reports {
        let attempts = report["attempts"].as_array().expect("attempts");
        assert_eq!(attempts.len(), 1, "{report}");
        assert_eq!(report["kept"], 0, "{report}");
        assert_eq!(attempts[0]["passed"], false);
        assert_eq!(
            attempts[0]["scores"]["rep_4"],
            report["metrics"]["diversity"]["rep_4"]
        );
    }

    // The continuity alerts cite the chapter, the sentence and the kind.
    let alerts = analysis["continuity_alerts"].as_array().expect("alerts");
    let cited: Vec<(u64, &str, &str)> = alerts
        .iter()
        .map(|a| {
            (
                u64_at(a, "/chapter"),
                a["sentence"].as_str().expect("sentence"),
                a["kind"].as_str().expect("kind"),
            )
        })
        .collect();
    assert_eq!(
        cited,
        [
            (3, "\"Keep the lamp lit,\" said Marcus.", "acts_after_death"),
            (
                3,
                "Elena's eyes were brown in the lamplight.",
                "attribute_contradiction"
            ),
            (
                3,
                "Captain Jonah Hale rowed into the harbor at dawn.",
                "name_from_nowhere"
            ),
        ],
        "{alerts:?}"
    );
    // Marcus died in chapter 2; Elena's eyes were green since chapter 1.
    assert_eq!(alerts[0]["character"], "Marcus Vale");
    assert_eq!(
        alerts[0]["death"],
        json!({"source": "chapter", "chapter": 2,
               "sentence": "At midnight Marcus Vale died in the storm."})
    );
    assert_eq!(alerts[1]["canon"], "green");
    assert_eq!(alerts[1]["stated"], "brown");
    assert_eq!(
        alerts[1]["established"],
        json!({"source": "chapter", "chapter": 1, "sentence": "Elena Reyes had green eyes."})
    );
    assert_eq!(alerts[2]["name"], "Jonah Hale");

    // A public story's book is readable by anyone, like the story.
    let anonymous = TestApp::attach(&app.base, None);
    let public = anonymous.get(&analysis_path(&story));
    assert_eq!(public.status, 200, "{}", public.text());
    assert_eq!(public.json(), analysis);
    let exported = anonymous.get(&export_path(&story, "md"));
    assert_eq!(exported.status, 200, "{}", exported.text());
    assert!(exported.text().contains("Elena Reyes had green eyes."));
    app.sign_in_as_new_tenant("enterprise", "user");
    let other_tenant = app.get(&export_path(&story, "json"));
    assert_eq!(other_tenant.status, 200, "{}", other_tenant.text());
    let book = fabula_export::import_json(other_tenant.body.as_slice()).expect("a book");
    let texts: Vec<&str> = book.chapters.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, [CH1, CH2, CH3]);
}

// --- requests that cannot be served ---------------------------------------------------------

#[test]
fn requests_for_missing_books_fail_with_clear_codes() {
    let manifest = PatchedManifest::fabula(&[]);
    let app = app(&manifest, &[]);
    let unknown = "0190f5a0-0000-7000-8000-000000000000";
    assert_error(&app.get(&analysis_path(unknown)), 404, "not_found");
    assert_error(&app.get(&export_path(unknown, "epub")), 404, "not_found");
    assert_error(&app.get(&analysis_path("not-an-id")), 404, "not_found");
    // The format is checked before the story is looked up.
    let message = assert_error(
        &app.get(&export_path(unknown, "docx")),
        400,
        "unsupported_format",
    );
    assert!(message.contains("markdown, epub, json"), "{message}");

    let story = create_story(&app, "Unwritten", 3);
    let message = assert_error(&app.get(&analysis_path(&story)), 404, "no_manuscript");
    assert!(message.contains("no completed generation"), "{message}");
    assert_error(&app.get(&export_path(&story, "json")), 404, "no_manuscript");
    assert_error(
        &app.get(&format!("{}?job_id=x", analysis_path(&story))),
        400,
        "invalid_job_id",
    );
    assert_error(
        &app.get(&format!("{}&job_id={unknown}", export_path(&story, "json"))),
        404,
        "not_found",
    );
    let post = app.post_json(&analysis_path(&story), &json!({}));
    assert_error(&post, 405, "method_not_allowed");
}
