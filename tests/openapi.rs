//! `docs/openapi.json` against the code: the document is OpenAPI 3.1, every route in
//! `spin.toml` is documented with exactly the methods its component serves, every documented
//! operation is routed, and live responses (of authenticated, anonymous and refused callers)
//! conform to the documented schemas, media types and headers (checked by a small JSON
//! Schema subset validator below; serde_json only). The generation routes are checked on
//! real jobs (queued, running, cancelled, completed) and the book routes on a completed
//! generation.

use std::cell::OnceCell;
use std::collections::BTreeSet;
use std::time::Duration;

use fabula_narrative::step_seed;
use fabula_tests::pipeline::wait_until_terminal;
use fabula_tests::{OPERATOR_TOKEN, TestApp, TestAppBuilder, TestResponse, repo_root};
use serde_json::{Value, json};

/// The HTTP methods a path item can hold, lowercase as OpenAPI spells them.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Components whose routes the document must cover.
const DOCUMENTED_COMPONENTS: [&str; 5] = [
    "health",
    "stories-api",
    "tenants-api",
    "generations-api",
    "books-api",
];

/// Response headers whose presence means something: a response that carries one must
/// document it.
const MEANINGFUL_HEADERS: [&str; 11] = [
    "location",
    "content-disposition",
    "etag",
    "allow",
    "www-authenticate",
    "retry-after",
    "idempotent-replayed",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "x-request-id",
];

/// How long a generation job of a few short chapters may take on a slow CI machine.
const JOB_LIMIT: Duration = Duration::from_secs(180);

/// Messages of the two routing 404s (host: no route in spin.toml; component: no route in
/// its router). A 404 with either means a documented path is not actually served.
const ROUTING_404_MESSAGES: [&str; 2] = ["no route matches", "no resource at this path"];

// --- the document ---------------------------------------------------------------------------

struct Doc(Value);

impl Doc {
    fn load() -> Self {
        let path = repo_root().join("docs/openapi.json");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Doc(serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("docs/openapi.json is not JSON: {e}")))
    }

    /// Follows `$ref`s (`#/a/b`) until a non-reference object.
    fn resolve<'a>(&'a self, mut value: &'a Value) -> &'a Value {
        for _ in 0..32 {
            let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
                return value;
            };
            value = self
                .pointer(reference)
                .unwrap_or_else(|| panic!("unresolvable $ref {reference}"));
        }
        panic!("$ref cycle at {value}");
    }

    fn pointer(&self, reference: &str) -> Option<&Value> {
        self.0.pointer(reference.strip_prefix('#')?)
    }

    fn paths(&self) -> &serde_json::Map<String, Value> {
        self.0["paths"].as_object().expect("`paths` is an object")
    }

    /// Documented methods of a path, uppercase.
    fn methods(&self, path: &str) -> BTreeSet<String> {
        let item = &self.paths()[path];
        METHODS
            .iter()
            .filter(|m| item.get(**m).is_some())
            .map(|m| m.to_uppercase())
            .collect()
    }

    /// Every operation: (path, lowercase method, operation object).
    fn operations(&self) -> Vec<(&str, &str, &Value)> {
        let mut out = Vec::new();
        for (path, item) in self.paths() {
            for method in METHODS {
                if let Some(op) = item.get(method) {
                    out.push((path.as_str(), method, op));
                }
            }
        }
        out
    }

    /// The (resolved) documented response of an operation for a status.
    fn response(&self, path: &str, method: &str, status: u16) -> Option<&Value> {
        let op = self.paths().get(path)?.get(method)?;
        op["responses"]
            .get(status.to_string())
            .map(|r| self.resolve(r))
    }

    fn component_schema(&self, name: &str) -> &Value {
        self.0["components"]["schemas"]
            .get(name)
            .unwrap_or_else(|| panic!("no schema {name}"))
    }

    /// The values of a string enum schema.
    fn enum_values(&self, name: &str) -> BTreeSet<String> {
        self.component_schema(name)["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} has no enum"))
            .iter()
            .map(|v| v.as_str().expect("string enum").to_owned())
            .collect()
    }

    /// Validates `instance` against `schema`; returns every violation found.
    fn violations(&self, schema: &Value, instance: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        self.check(schema, instance, "$", &mut errors);
        errors
    }

    /// A subset of JSON Schema 2020-12: `$ref`, `allOf`/`anyOf`/`oneOf`, `type`, `const`,
    /// `enum`, `properties`, `required`, `additionalProperties`, `items`, `minItems`,
    /// `maxItems`, `minimum`, `maximum`, `minLength`, `maxLength`, and the `uuid` and
    /// `date-time` formats (shape only). That is every keyword the document uses except
    /// `pattern` and `default`.
    fn check(&self, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
        let schema = self.resolve(schema);
        let Some(schema) = schema.as_object() else {
            if schema == &Value::Bool(false) {
                errors.push(format!("{at}: not allowed"));
            }
            return;
        };
        let mut own: Vec<String> = Vec::new();
        for sub in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.check(sub, value, at, errors);
        }
        let matching = |subs: &Vec<Value>| {
            subs.iter()
                .filter(|s| self.violations(s, value).is_empty())
                .count()
        };
        if let Some(any) = schema.get("anyOf").and_then(Value::as_array)
            && matching(any) == 0
        {
            own.push(format!("matches none of anyOf: {value}"));
        }
        if let Some(one) = schema.get("oneOf").and_then(Value::as_array)
            && matching(one) != 1
        {
            own.push(format!(
                "matches {} of oneOf, not exactly one",
                matching(one)
            ));
        }
        let type_ok = match schema.get("type") {
            Some(Value::String(t)) => has_type(value, t),
            Some(Value::Array(ts)) => ts
                .iter()
                .filter_map(Value::as_str)
                .any(|t| has_type(value, t)),
            _ => true,
        };
        if !type_ok {
            own.push(format!("{value} is not of type {}", schema["type"]));
        } else {
            self.check_value(schema, value, at, &mut own, errors);
        }
        errors.extend(own.into_iter().map(|m| format!("{at}: {m}")));
    }

    /// The keywords that apply once the type is right.
    fn check_value(
        &self,
        schema: &serde_json::Map<String, Value>,
        value: &Value,
        at: &str,
        own: &mut Vec<String>,
        errors: &mut Vec<String>,
    ) {
        let number = |k: &str| schema.get(k).and_then(Value::as_f64);
        let count = |k: &str| schema.get(k).and_then(Value::as_u64);
        if let Some(expected) = schema.get("const")
            && expected != value
        {
            own.push(format!("{value} is not {expected}"));
        }
        if let Some(options) = schema.get("enum").and_then(Value::as_array)
            && !options.contains(value)
        {
            own.push(format!("{value} is not one of {options:?}"));
        }
        if let Some(n) = value.as_f64() {
            if number("minimum").is_some_and(|min| n < min) {
                own.push(format!("{n} is below the minimum {}", schema["minimum"]));
            }
            if number("maximum").is_some_and(|max| n > max) {
                own.push(format!("{n} is above the maximum {}", schema["maximum"]));
            }
        }
        if let Some(s) = value.as_str() {
            let chars = s.chars().count() as u64;
            if count("minLength").is_some_and(|min| chars < min)
                || count("maxLength").is_some_and(|max| chars > max)
            {
                own.push(format!("{chars} characters is outside minLength/maxLength"));
            }
            match schema.get("format").and_then(Value::as_str) {
                Some("uuid") if !is_uuid(s) => own.push(format!("{s:?} is not a UUID")),
                Some("date-time") if !is_date_time(s) => {
                    own.push(format!("{s:?} is not a date-time"))
                }
                _ => {}
            }
        }
        if let Some(items) = value.as_array() {
            let n = items.len() as u64;
            if count("minItems").is_some_and(|min| n < min)
                || count("maxItems").is_some_and(|max| n > max)
            {
                own.push(format!("{n} items is outside minItems/maxItems"));
            }
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    self.check(item_schema, item, &format!("{at}[{i}]"), errors);
                }
            }
        }
        if let Some(object) = value.as_object() {
            for name in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !object.contains_key(name) {
                    own.push(format!("required property `{name}` is missing"));
                }
            }
            let properties = schema.get("properties").and_then(Value::as_object);
            for (name, member) in object {
                let member_at = format!("{at}.{name}");
                match properties.and_then(|p| p.get(name)) {
                    Some(member_schema) => self.check(member_schema, member, &member_at, errors),
                    None => match schema.get("additionalProperties") {
                        Some(Value::Bool(false)) => {
                            errors.push(format!("{member_at}: undocumented property"))
                        }
                        Some(extra @ Value::Object(_)) => {
                            self.check(extra, member, &member_at, errors)
                        }
                        _ => {}
                    },
                }
            }
        }
    }
}

fn has_type(value: &Value, name: &str) -> bool {
    match name {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        _ => false,
    }
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`, shape only.
fn is_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && matches!(b[10], b'T' | b't')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && (b[b.len() - 1].eq_ignore_ascii_case(&b'Z') || matches!(b[b.len() - 6], b'+' | b'-'))
}

// --- spin.toml ------------------------------------------------------------------------------

/// `(route, component)` of every `[[trigger.http]]` in the repository's `spin.toml`.
fn spin_http_routes() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(repo_root().join("spin.toml")).expect("spin.toml");
    let mut routes = Vec::new();
    let mut current: Option<(Option<String>, Option<String>)> = None;
    let mut flush = |current: &mut Option<(Option<String>, Option<String>)>| {
        if let Some((Some(route), Some(component))) = current.take() {
            routes.push((route, component));
        }
    };
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            flush(&mut current);
            if line == "[[trigger.http]]" {
                current = Some((None, None));
            }
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"').to_owned();
        if let Some((route, component)) = current.as_mut() {
            match key.trim() {
                "route" => *route = Some(value),
                "component" => *component = Some(value),
                _ => {}
            }
        }
    }
    flush(&mut current);
    routes
}

/// Whether a spin.toml route (exact, with `:name` segments, or `prefix/...`) serves a
/// documented path template. A `:name` segment stands for one templated `{...}` segment.
fn spin_route_serves(route: &str, path: &str) -> bool {
    match route.strip_suffix("/...") {
        Some(prefix) => path == prefix || path.starts_with(&format!("{prefix}/")),
        None => {
            let segments = |p: &str| -> Vec<String> {
                p.trim_end_matches('/')
                    .split('/')
                    .map(str::to_owned)
                    .collect()
            };
            let (route, path) = (segments(route), segments(path));
            route.len() == path.len()
                && route.iter().zip(&path).all(|(r, p)| {
                    r == p || (r.starts_with(':') && p.starts_with('{') && p.ends_with('}'))
                })
        }
    }
}

// --- the live app ---------------------------------------------------------------------------

/// `Bearer <operator token>`.
fn operator() -> String {
    format!("Bearer {OPERATOR_TOKEN}")
}

/// A running Fabula signed in (as its default credential) with a `user` key of a fresh
/// `standard` tenant, plus an `admin` key of the same tenant for the platform routes a
/// user may not call, and (made on first use) a book: a public story of that tenant with
/// a completed generation.
struct Live {
    app: TestApp,
    tenant: String,
    /// `Bearer <admin key>` of `tenant`.
    admin: String,
    book: OnceCell<Book>,
}

/// A public story whose two-chapter generation job has completed; its first chapter's
/// draft was repetitive, so the quality step failed it and revised it.
#[derive(Clone)]
struct Book {
    story: String,
    job: String,
}

impl Live {
    fn start(builder: TestAppBuilder) -> Self {
        let mut app = builder.with_operator().start();
        let tenant = app.sign_in_as_new_tenant("standard", "user");
        let (_, admin) = issue_key(&app, &tenant, "admin");
        Live {
            app,
            tenant,
            admin: format!("Bearer {admin}"),
            book: OnceCell::new(),
        }
    }

    /// The book, generated (and waited for) on first use.
    fn book(&self) -> &Book {
        self.book.get_or_init(|| {
            let app = &self.app;
            let r = app.post_json(
                "/api/v1/stories",
                &json!({"title": "The Drowned Map", "premise": "A keeper finds a map inside the lamp.",
                        "genre": "mystery", "chapter_count": 2, "target_words": 1000, "public": true}),
            );
            assert_eq!(r.status, 201, "{}", r.text());
            let story = r.json()["id"].as_str().expect("id").to_owned();
            let body = json!({"chapters": 2, "words_per_chapter": 200, "seed": revised_seed()});
            let job = start_job(app, &story, &body);
            let done = wait_until_terminal(app, &job, JOB_LIMIT);
            assert_eq!(done["status"], "completed", "{done}");
            Book { story, job }
        })
    }

    /// The credential a documented operation is sent with: `None` for the default user
    /// key (stories, generations, jobs, usage, books, `/me`; health ignores it), the
    /// operator token for tenants, the tenant's admin key for keys, the audit log,
    /// metrics and the sweep.
    fn credential(&self, path: &str) -> Option<String> {
        if path.starts_with("/api/v1/tenants") {
            Some(operator())
        } else if path.starts_with("/api/v1/api-keys")
            || path == "/api/v1/audit-log"
            || path == "/api/v1/system/metrics"
            || path == "/api/v1/system/sweep"
        {
            Some(self.admin.clone())
        } else {
            None
        }
    }

    /// A documented path, for `method`, with `{id}` replaced by a real id its operation
    /// can succeed on: a fresh story (to delete), a fresh one-chapter story (to generate),
    /// the signed-in tenant, a fresh key of it (to revoke), a running job (to cancel), a
    /// cancelled one (to retry), otherwise the book's story or job. The export gets a
    /// `format`.
    fn concrete(&self, method: &str, path: &str) -> String {
        let posting = method.eq_ignore_ascii_case("POST");
        let id = match path {
            "/api/v1/stories/{id}" => create_story(&self.app, "Probe"),
            "/api/v1/stories/{id}/generations" if posting => short_story(&self.app, false),
            "/api/v1/stories/{id}/export" => {
                return path.replace("{id}", &self.book().story) + "?format=json";
            }
            p if p.starts_with("/api/v1/stories/{id}/") => self.book().story.clone(),
            "/api/v1/tenants/{id}" => self.tenant.clone(),
            "/api/v1/api-keys/{id}" => issue_key(&self.app, &self.tenant, "user").0,
            "/api/v1/jobs/{id}/cancel" if posting => running_job(&self.app),
            "/api/v1/jobs/{id}/retry" if posting => cancelled_job(&self.app),
            p if p.starts_with("/api/v1/jobs/{id}") => self.book().job.clone(),
            _ => return path.to_owned(),
        };
        path.replace("{id}", &id)
    }
}

/// The first job seed whose first chapter's draft the offline provider writes
/// repetitively (its chapter seed is a multiple of 16) and whose second chapter's it does
/// not: the quality step fails the draft of chapter 1 and revises it.
fn revised_seed() -> u64 {
    (1..)
        .find(|&s| {
            step_seed(s, "chapter:1").is_multiple_of(16)
                && !step_seed(s, "chapter:2").is_multiple_of(16)
        })
        .expect("some seed")
}

/// A private story of the signed-in tenant with one chapter of 1,000 words (or `public`).
fn short_story(app: &TestApp, public: bool) -> String {
    let r = app.post_json(
        "/api/v1/stories",
        &json!({"title": "Short", "premise": "A keeper finds a map inside the lamp.",
                "genre": "mystery", "chapter_count": 1, "target_words": 1000, "public": public}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["id"].as_str().expect("id").to_owned()
}

/// Starts a generation of `story` with `body`; returns the job id.
fn start_job(app: &TestApp, story: &str, body: &Value) -> String {
    let r = app.post_json(&format!("/api/v1/stories/{story}/generations"), body);
    assert_eq!(r.status, 202, "{}", r.text());
    r.json()["id"].as_str().expect("id").to_owned()
}

/// A fresh job of a fresh story, long enough (20 chapters) to be still queued or running
/// when the next request arrives.
fn running_job(app: &TestApp) -> String {
    let story = short_story(app, false);
    start_job(
        app,
        &story,
        &json!({"chapters": 20, "words_per_chapter": 200}),
    )
}

/// A fresh job, cancelled.
fn cancelled_job(app: &TestApp) -> String {
    let id = running_job(app);
    let r = app.post_json(&format!("/api/v1/jobs/{id}/cancel"), &json!({}));
    assert_eq!(r.status, 200, "{}", r.text());
    id
}

fn create_story(app: &TestApp, title: &str) -> String {
    let r = app.post_json(
        "/api/v1/stories",
        &json!({"title": title, "premise": "A keeper finds a map inside the lamp.", "genre": "mystery"}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["id"].as_str().expect("id").to_owned()
}

/// With the operator token, issues a key of `role` in `tenant`: (id, secret).
fn issue_key(app: &TestApp, tenant: &str, role: &str) -> (String, String) {
    let body = json!({"name": format!("{role} key"), "role": role, "tenant_id": tenant});
    let auth = operator();
    let r = app.request(
        "POST",
        "/api/v1/api-keys",
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        Some(&serde_json::to_vec(&body).unwrap()),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let key = r.json();
    (
        key["id"].as_str().unwrap().to_owned(),
        key["key"].as_str().unwrap().to_owned(),
    )
}

/// With the operator token, creates a tenant of `tier`; returns its id.
fn create_tenant(app: &TestApp, tier: &str) -> String {
    let auth = operator();
    let body = json!({"name": "Another", "tier": tier});
    let r = app.request(
        "POST",
        "/api/v1/tenants",
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        Some(&serde_json::to_vec(&body).unwrap()),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_owned()
}

/// Sends raw HTTP/1.1 bytes and reads one response, over a fresh TCP connection (no
/// default credentials, and no client-side body handling).
fn exchange(app: &TestApp, request: &[u8]) -> TestResponse {
    use std::io::{Read, Write};
    let addr = app.base.strip_prefix("http://").expect("http base");
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    stream.write_all(request).expect("send");
    let mut raw = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(response) = parse_http_response(&raw) {
            return response;
        }
        let n = stream.read(&mut chunk).expect("read the response");
        assert!(
            n > 0,
            "connection closed mid-response: {}",
            String::from_utf8_lossy(&raw)
        );
        raw.extend_from_slice(&chunk[..n]);
    }
}

/// An anonymous request: no `Authorization` header at all.
fn anonymous(app: &TestApp, method: &str, path: &str, body: Option<&[u8]>) -> TestResponse {
    let addr = app.base.strip_prefix("http://").expect("http base");
    let body = body.unwrap_or_default();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    exchange(app, &request)
}

/// `POST path` declaring a `Content-Length` of `declared` bytes but sending none: the
/// server must refuse on the declared length alone. Over raw TCP, because a client that
/// really sends an oversized body races the early 413 (and may see a broken pipe).
fn post_declaring_length(app: &TestApp, path: &str, declared: usize) -> TestResponse {
    let addr = app.base.strip_prefix("http://").expect("http base");
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         content-length: {declared}\r\nconnection: close\r\n\r\n"
    );
    exchange(app, head.as_bytes())
}

/// A complete HTTP/1.1 response (`content-length` or chunked body), or `None` if more
/// bytes are needed.
fn parse_http_response(raw: &[u8]) -> Option<TestResponse> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_owned()))
        .collect();
    let mut rest = &raw[end + 4..];
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let body = if let Some(length) = header("content-length") {
        rest.get(..length.parse::<usize>().ok()?)?.to_vec()
    } else if header("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        let mut body = Vec::new();
        loop {
            let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
            let size = usize::from_str_radix(
                String::from_utf8_lossy(&rest[..line_end])
                    .split(';')
                    .next()?
                    .trim(),
                16,
            )
            .ok()?;
            rest = &rest[line_end + 2..];
            if size == 0 {
                break;
            }
            body.extend_from_slice(rest.get(..size)?);
            rest = rest.get(size + 2..)?;
        }
        body
    } else {
        Vec::new()
    };
    Some(TestResponse {
        status,
        headers,
        body,
    })
}

fn is_routing_404(r: &TestResponse) -> bool {
    r.status == 404
        && serde_json::from_slice::<Value>(&r.body).is_ok_and(|b| {
            b["error"]["code"] == "not_found"
                && b["error"]["message"]
                    .as_str()
                    .is_some_and(|m| ROUTING_404_MESSAGES.iter().any(|p| m.starts_with(p)))
        })
}

/// Asserts that `r` is documented for the operation and conforms to it: status listed,
/// required headers present, the headers it carries documented and valid, its media type
/// one of the documented ones (exactly `application/json` for JSON), a JSON body valid
/// against the documented schema, any other body not empty (and UTF-8 for `text/*`), no
/// body when the response has no content, every error an envelope with error codes from
/// the documented lists.
fn assert_conforms(doc: &Doc, path: &str, method: &str, r: &TestResponse, case: &str) {
    let documented = doc.response(path, method, r.status).unwrap_or_else(|| {
        panic!(
            "{case}: {method} {path} does not document status {}: {}",
            r.status,
            r.text()
        )
    });
    let headers = documented.get("headers").and_then(Value::as_object);
    for (name, header) in headers.into_iter().flatten() {
        let header = doc.resolve(header);
        let Some(value) = r.header(name) else {
            assert!(
                header["required"] != true,
                "{case}: required header `{name}` missing ({})",
                r.status
            );
            continue;
        };
        // Header values are text; integer headers are checked as numbers.
        let schema = &header["schema"];
        let instance = match schema["type"].as_str() {
            Some("integer") => value
                .parse::<u64>()
                .map_or_else(|_| Value::from(value), Value::from),
            _ => Value::from(value),
        };
        let violations = doc.violations(schema, &instance);
        assert!(
            violations.is_empty(),
            "{case}: header `{name}: {value}`: {violations:?}"
        );
    }
    for name in MEANINGFUL_HEADERS {
        assert!(
            r.header(name).is_none() || headers.is_some_and(|h| h.contains_key(name)),
            "{case}: {} carries `{name}`, which is not documented for it",
            r.status
        );
    }
    assert!(
        r.header("x-request-id").is_some(),
        "{case}: every response has x-request-id"
    );
    let Some(content) = documented.get("content").and_then(Value::as_object) else {
        assert!(
            r.body.is_empty(),
            "{case}: {} is documented without a body: {}",
            r.status,
            r.text()
        );
        return;
    };
    let content_type = r
        .header("content-type")
        .unwrap_or_else(|| panic!("{case}: {} without content-type", r.status));
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let media = content.get(&media_type).unwrap_or_else(|| {
        panic!(
            "{case}: {} answered {content_type}, documented: {:?}",
            r.status,
            content.keys().collect::<Vec<_>>()
        )
    });
    if media_type == "application/json" {
        let schema = media
            .get("schema")
            .unwrap_or_else(|| panic!("{case}: application/json without a schema"));
        assert_eq!(content_type, "application/json", "{case}");
        let body = r.json();
        let violations = doc.violations(schema, &body);
        assert!(
            violations.is_empty(),
            "{case}: body does not match the documented schema:\n{}\n{body:#}",
            violations.join("\n")
        );
        if r.status >= 400 {
            assert_error_envelope(doc, &body["error"], r, case);
        }
    } else {
        assert!(!r.body.is_empty(), "{case}: an empty {media_type} body");
        assert!(
            !media_type.starts_with("text/") || std::str::from_utf8(&r.body).is_ok(),
            "{case}: a {media_type} body that is not UTF-8"
        );
    }
}

/// The error envelope: documented properties only, every required one present, the code
/// and field codes from the documented lists, request id equal to the header.
fn assert_error_envelope(doc: &Doc, error: &Value, r: &TestResponse, case: &str) {
    let error_schema = &doc.component_schema("ErrorEnvelope")["properties"]["error"];
    let documented: BTreeSet<&str> = error_schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let required: BTreeSet<&str> = error_schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let actual: BTreeSet<&str> = error
        .as_object()
        .expect("error is an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert!(
        required.is_subset(&actual),
        "{case}: {actual:?} lacks some of {required:?}"
    );
    assert!(
        actual.is_subset(&documented),
        "{case}: {actual:?} has members beyond {documented:?}"
    );
    let code = error["code"].as_str().unwrap();
    assert!(
        doc.enum_values("ErrorCode").contains(code),
        "{case}: code {code} is not in ErrorCode"
    );
    for detail in error["details"].as_array().into_iter().flatten() {
        let field_code = detail["code"].as_str().unwrap();
        assert!(
            doc.enum_values("FieldCode").contains(field_code),
            "{case}: field code {field_code} not in FieldCode"
        );
    }
    assert_eq!(
        error["request_id"].as_str(),
        r.header("x-request-id"),
        "{case}"
    );
}

/// The example bodies of an operation's request (all of them), or `[None]` without a body.
fn request_examples(doc: &Doc, op: &Value) -> Vec<Option<Value>> {
    let Some(content) = op.pointer("/requestBody/content/application~1json") else {
        return vec![None];
    };
    let mut bodies: Vec<Option<Value>> = content
        .get("example")
        .cloned()
        .map(Some)
        .into_iter()
        .collect();
    for example in content
        .get("examples")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(_, e)| doc.resolve(e))
    {
        bodies.push(Some(example["value"].clone()));
    }
    assert!(
        !bodies.is_empty(),
        "a request body without an example: {op}"
    );
    bodies
}

/// A live case: (name, method, url, request headers, body, documented path, expected status).
type Case<'a> = (
    &'a str,
    &'a str,
    String,
    Vec<(&'a str, &'a str)>,
    Option<Vec<u8>>,
    &'a str,
    u16,
);

/// Who sends a live request.
#[derive(Clone, Copy)]
enum Auth<'a> {
    /// The app's default credential (the signed-in user key).
    Default,
    /// This `Authorization` value.
    Header(&'a str),
    /// No `Authorization` header at all.
    Anonymous,
}

/// One live request.
struct Req<'a> {
    method: &'a str,
    url: String,
    auth: Auth<'a>,
    /// Body bytes and their content type.
    body: Option<(Vec<u8>, &'a str)>,
    headers: Vec<(&'a str, &'a str)>,
}

fn req<'a>(method: &'a str, url: impl Into<String>) -> Req<'a> {
    Req {
        method,
        url: url.into(),
        auth: Auth::Default,
        body: None,
        headers: Vec::new(),
    }
}

impl<'a> Req<'a> {
    fn auth(mut self, authorization: &'a str) -> Self {
        self.auth = Auth::Header(authorization);
        self
    }

    fn anonymous(mut self) -> Self {
        self.auth = Auth::Anonymous;
        self
    }

    fn json(self, body: Value) -> Self {
        self.raw(serde_json::to_vec(&body).unwrap(), "application/json")
    }

    fn raw(mut self, body: Vec<u8>, content_type: &'a str) -> Self {
        self.body = Some((body, content_type));
        self
    }

    fn header(mut self, name: &'a str, value: &'a str) -> Self {
        self.headers.push((name, value));
        self
    }
}

/// Sends live requests and checks their answers against the document.
struct Probe<'a> {
    doc: &'a Doc,
    app: &'a TestApp,
}

impl Probe<'_> {
    /// Sends `req`, asserts `status`, and that the response conforms to the documented
    /// operation `req.method path`.
    fn check(&self, case: &str, req: Req<'_>, path: &str, status: u16) -> TestResponse {
        let body = req.body.as_ref().map(|(bytes, _)| bytes.as_slice());
        let r = match req.auth {
            Auth::Anonymous => {
                assert!(
                    req.headers.is_empty(),
                    "{case}: anonymous requests take no headers"
                );
                anonymous(self.app, req.method, &req.url, body)
            }
            Auth::Default | Auth::Header(_) => {
                let mut headers = req.headers.clone();
                if let Auth::Header(value) = req.auth {
                    headers.push(("authorization", value));
                }
                if let Some((_, content_type)) = &req.body {
                    headers.push(("content-type", content_type));
                }
                self.app.request(req.method, &req.url, &headers, body)
            }
        };
        assert_eq!(r.status, status, "{case}: {}", r.text());
        assert_conforms(self.doc, path, &req.method.to_lowercase(), &r, case);
        r
    }
}

/// The error code of an error response.
fn code(r: &TestResponse) -> String {
    r.json()["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// `value` has exactly the properties of schema `name`, all of which are required.
fn assert_exact_properties(doc: &Doc, name: &str, value: &Value) {
    let schema = doc.component_schema(name);
    let names = |v: &Value| -> BTreeSet<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .or_else(|| v.as_object().map(|o| o.keys().cloned().collect()))
            .unwrap_or_default()
    };
    let required = names(&schema["required"]);
    assert_eq!(
        required,
        names(&schema["properties"]),
        "every {name} property is always present"
    );
    assert_eq!(names(value), required, "{name}: {value}");
}

// --- the tests ------------------------------------------------------------------------------

#[test]
fn document_is_openapi_3_1_and_covers_every_spin_route() {
    let doc = Doc::load();
    let version = doc.0["openapi"].as_str().expect("`openapi` field");
    assert!(
        version.starts_with("3.1."),
        "OpenAPI 3.1 expected, got {version}"
    );
    assert!(doc.0["info"]["title"].is_string() && doc.0["info"]["version"].is_string());

    // Every $ref resolves.
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => m.iter().for_each(|(k, v)| match (k.as_str(), v) {
                ("$ref", Value::String(r)) => out.push(r),
                _ => refs(v, out),
            }),
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc.0, &mut all);
    for r in all {
        assert!(doc.pointer(r).is_some(), "unresolvable $ref {r}");
    }

    // Operations are well-formed; templated segments have path parameters.
    let schemes = doc.0["components"]["securitySchemes"]
        .as_object()
        .expect("components.securitySchemes");
    for (path, method, op) in doc.operations() {
        let responses = op["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{method} {path}: no responses"));
        assert!(!responses.is_empty());
        for status in responses.keys() {
            assert!(
                status.len() == 3 && status.parse::<u16>().is_ok(),
                "{method} {path}: status {status}"
            );
        }
        let params: Vec<&Value> = doc.paths()[path]
            .get("parameters")
            .into_iter()
            .chain(op.get("parameters"))
            .flat_map(|p| p.as_array().unwrap())
            .map(|p| doc.resolve(p))
            .collect();
        for segment in path.split('/').filter(|s| s.starts_with('{')) {
            let name = segment.trim_matches(['{', '}']);
            assert!(
                params
                    .iter()
                    .any(|p| p["in"] == "path" && p["name"] == name && p["required"] == true),
                "{method} {path}: no required path parameter `{name}`"
            );
        }

        // Security: stated per operation, naming defined schemes only. The probes need
        // none; every API route authenticates, rate limits and can fail.
        let security = op["security"]
            .as_array()
            .unwrap_or_else(|| panic!("{method} {path}: no `security`"));
        for requirement in security {
            for scheme in requirement.as_object().expect("requirement object").keys() {
                assert!(
                    schemes.contains_key(scheme),
                    "{method} {path}: scheme {scheme}"
                );
            }
        }
        if path.starts_with("/api/") {
            assert!(
                !security.is_empty(),
                "{method} {path}: API routes authenticate"
            );
            for status in ["401", "429", "500"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path}: no {status}"
                );
            }
        } else {
            assert!(
                security.is_empty(),
                "{method} {path}: probes need no credentials"
            );
        }
        // Every POST creates or starts something, and the pipeline makes every POST
        // idempotent: it takes `Idempotency-Key`, has the idempotency answers, and its one
        // success (201 created, 202 accepted, or 200 done at once) can be a replay.
        if method == "post" {
            assert!(
                params
                    .iter()
                    .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header"),
                "{method} {path}: no Idempotency-Key"
            );
            for status in ["400", "409", "422"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path}: no {status}"
                );
            }
            let successes: Vec<&str> = responses
                .keys()
                .map(String::as_str)
                .filter(|s| s.starts_with('2'))
                .collect();
            assert!(
                matches!(successes.as_slice(), ["200" | "201" | "202"]),
                "{method} {path}: one success status of 200, 201, 202 expected: {successes:?}"
            );
            let status = successes[0].parse().unwrap();
            let success = doc.response(path, method, status).unwrap();
            assert!(
                success["headers"].get("idempotent-replayed").is_some(),
                "{method} {path}: {status} without Idempotent-Replayed"
            );
        }
    }

    // Every example is valid against its schema: schema examples, and the examples of
    // request and response bodies.
    fn examples<'a>(v: &'a Value, out: &mut Vec<(&'a Value, &'a Value)>) {
        match v {
            Value::Object(m) => {
                if let (Some(schema), Some(example)) = (m.get("schema"), m.get("example")) {
                    out.push((schema, example));
                }
                if let (Some(schema), Some(named)) = (m.get("schema"), m.get("examples")) {
                    for example in named.as_object().into_iter().flat_map(|n| n.values()) {
                        out.push((schema, &example["value"]));
                    }
                }
                m.values().for_each(|v| examples(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| examples(v, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    examples(&doc.0["paths"], &mut found);
    examples(&doc.0["components"]["responses"], &mut found);
    for (name, schema) in doc.0["components"]["schemas"].as_object().unwrap() {
        if let Some(example) = schema.get("example") {
            let violations = doc.violations(schema, example);
            assert!(violations.is_empty(), "example of {name}: {violations:?}");
        }
    }
    assert!(found.len() > 20, "examples found: {}", found.len());
    for (schema, example) in found {
        let violations = doc.violations(schema, example);
        assert!(violations.is_empty(), "example {example}: {violations:?}");
    }

    // spin.toml routes of the documented components <-> documented paths.
    let routes: Vec<(String, String)> = spin_http_routes()
        .into_iter()
        .filter(|(_, c)| DOCUMENTED_COMPONENTS.contains(&c.as_str()))
        .collect();
    assert!(
        routes.len() >= 18,
        "expected the health, stories, tenancy, generation and book routes in spin.toml: \
         {routes:?}"
    );
    for component in DOCUMENTED_COMPONENTS {
        assert!(
            routes.iter().any(|(_, c)| c == component),
            "no spin.toml route of {component}"
        );
    }
    for (route, component) in &routes {
        assert!(
            doc.paths().keys().any(|p| spin_route_serves(route, p)),
            "spin.toml route {route} ({component}) has no path item in docs/openapi.json"
        );
    }
    for path in doc.paths().keys() {
        assert!(
            routes
                .iter()
                .any(|(route, _)| spin_route_serves(route, path)),
            "documented path {path} is not routed by spin.toml to {DOCUMENTED_COMPONENTS:?}"
        );
    }
}

#[test]
fn documented_methods_are_exactly_the_served_ones_and_every_operation_is_routed() {
    let doc = Doc::load();
    let live = Live::start(TestAppBuilder::fabula());
    let app = &live.app;
    let method_not_allowed = doc.resolve(&doc.0["components"]["responses"]["MethodNotAllowed"]);
    let schema_405 = method_not_allowed
        .pointer("/content/application~1json/schema")
        .expect("405 schema");

    // The methods each path serves, as the routers report them in `Allow` on a 405. Sent
    // with the signed-in user key: it authenticates, is far from its rate limit, and the
    // router runs before any permission check, so every path reaches its router (an
    // anonymous caller or a bad key could be refused by the pipeline first).
    for path in doc.paths().keys() {
        let r = app.request("OPTIONS", &live.concrete("OPTIONS", path), &[], None);
        assert_eq!(r.status, 405, "OPTIONS {path}: {}", r.text());
        let violations = doc.violations(schema_405, &r.json());
        assert!(violations.is_empty(), "405 body: {violations:?}");
        let allow: BTreeSet<String> = r
            .header("allow")
            .unwrap_or_else(|| panic!("405 on {path} without Allow"))
            .split(',')
            .map(|m| m.trim().to_uppercase())
            .collect();
        assert_eq!(
            doc.methods(path),
            allow,
            "{path}: documented methods vs the router's Allow"
        );
    }

    // Every documented operation, sent with its documented example body by a principal
    // allowed to call it (`Live::credential`), reaches its handler (no routing 404, no
    // 405), answers a documented status and conforms to it; at least one example per
    // operation succeeds.
    for (path, method, op) in doc.operations() {
        let credential = live.credential(path);
        let mut succeeded = false;
        for body in request_examples(&doc, op) {
            let target = live.concrete(method, path);
            let bytes = body.as_ref().map(|b| serde_json::to_vec(b).unwrap());
            let mut headers: Vec<(&str, &str)> = Vec::new();
            if let Some(credential) = &credential {
                headers.push(("authorization", credential));
            }
            if bytes.is_some() {
                headers.push(("content-type", "application/json"));
            }
            let r = app.request(&method.to_uppercase(), &target, &headers, bytes.as_deref());
            let case = format!("{} {target} {body:?}", method.to_uppercase());
            assert_ne!(
                r.status,
                405,
                "{case}: documented but not served: {}",
                r.text()
            );
            assert!(
                !is_routing_404(&r),
                "{case}: documented but unrouted: {}",
                r.text()
            );
            assert_conforms(&doc, path, method, &r, &case);
            succeeded |= (200..300).contains(&r.status);
        }
        assert!(
            succeeded,
            "{method} {path}: no documented example request succeeded"
        );
    }
}

#[test]
fn live_responses_conform_to_the_documented_shapes() {
    let doc = Doc::load();
    let live = Live::start(TestAppBuilder::fabula());
    let app = &live.app;
    let stories = "/api/v1/stories";
    let item = "/api/v1/stories/{id}";

    // 201: exactly the documented (required) properties, plus Location and ETag.
    let created = app.post_json(
        stories,
        &json!({"title": "The Lighthouse", "premise": "A keeper finds a map inside the lamp.", "genre": "mystery"}),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    assert_conforms(&doc, stories, "post", &created, "create");
    let body = created.json();
    assert_exact_properties(&doc, "Story", &body);
    assert_eq!(
        body["public"], false,
        "stories are private unless marked public"
    );
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.header("location"),
        Some(format!("{stories}/{id}").as_str())
    );
    assert_eq!(created.header("etag"), Some("\"1\""));
    for name in ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"] {
        assert!(
            created.header(name).is_some(),
            "a key's responses carry {name}"
        );
    }

    // 422: the envelope with details, as documented.
    let invalid = app.post_json(
        stories,
        &json!({"title": "", "premise": "p", "genre": "nope", "target_words": 5, "chapter_count": 0, "public": "yes", "extra": 1}),
    );
    assert_eq!(invalid.status, 422, "{}", invalid.text());
    assert_conforms(&doc, stories, "post", &invalid, "create 422");
    let error = &invalid.json()["error"];
    assert_eq!(error["code"], "validation_failed");
    assert!(error["details"].as_array().is_some_and(|d| !d.is_empty()));

    // List: items + next_cursor, following cursors to the last page (next_cursor null).
    create_story(app, "Second");
    let first = app.get("/api/v1/stories?limit=1");
    assert_conforms(&doc, stories, "get", &first, "list page 1");
    let page = first.json();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let mut cursor = page["next_cursor"]
        .as_str()
        .expect("a second page")
        .to_owned();
    loop {
        let next = app.get(&format!("/api/v1/stories?limit=1&cursor={cursor}"));
        assert_conforms(&doc, stories, "get", &next, "list next page");
        match next.json()["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }

    // Documented error and conditional cases: (case, method, url, headers, body, path, status).
    let json_ct = ("content-type", "application/json");
    let unknown = "0190f5a0-0000-7000-8000-000000000000";
    let at = |i: &str| format!("/api/v1/stories/{i}");
    let cases: Vec<Case<'_>> = vec![
        (
            "healthz",
            "GET",
            "/healthz".into(),
            vec![],
            None,
            "/healthz",
            200,
        ),
        (
            "readyz",
            "GET",
            "/readyz".into(),
            vec![],
            None,
            "/readyz",
            200,
        ),
        (
            "invalid json",
            "POST",
            stories.into(),
            vec![json_ct],
            Some(b"{not json".to_vec()),
            stories,
            400,
        ),
        (
            "not an object",
            "POST",
            stories.into(),
            vec![json_ct],
            Some(b"[1]".to_vec()),
            stories,
            400,
        ),
        (
            "media type",
            "POST",
            stories.into(),
            vec![("content-type", "text/plain")],
            Some(b"hi".to_vec()),
            stories,
            415,
        ),
        (
            "bad cursor",
            "GET",
            format!("{stories}?cursor=%%%nope"),
            vec![],
            None,
            stories,
            400,
        ),
        (
            "bad limit",
            "GET",
            format!("{stories}?limit=101"),
            vec![],
            None,
            stories,
            422,
        ),
        ("show", "GET", at(&id), vec![], None, item, 200),
        (
            "not modified",
            "GET",
            at(&id),
            vec![("if-none-match", "\"1\"")],
            None,
            item,
            304,
        ),
        ("unknown id", "GET", at(unknown), vec![], None, item, 404),
        ("not a uuid", "GET", at("42"), vec![], None, item, 404),
        (
            "no precondition",
            "PATCH",
            at(&id),
            vec![json_ct],
            Some(br#"{"title": "x"}"#.to_vec()),
            item,
            428,
        ),
        (
            "stale if-match",
            "PATCH",
            at(&id),
            vec![json_ct, ("if-match", "\"7\"")],
            Some(br#"{"title": "x"}"#.to_vec()),
            item,
            412,
        ),
        (
            "empty patch",
            "PATCH",
            at(&id),
            vec![json_ct, ("if-match", "\"1\"")],
            Some(b"{}".to_vec()),
            item,
            422,
        ),
        (
            "patch",
            "PATCH",
            at(&id),
            vec![json_ct, ("if-match", "\"1\"")],
            Some(br#"{"chapter_count": 16}"#.to_vec()),
            item,
            200,
        ),
        (
            "patch unknown",
            "PATCH",
            at(unknown),
            vec![json_ct],
            Some(br#"{"title": "x", "version": 1}"#.to_vec()),
            item,
            404,
        ),
        (
            "stale delete",
            "DELETE",
            at(&id),
            vec![("if-match", "\"1\"")],
            None,
            item,
            412,
        ),
        (
            "delete",
            "DELETE",
            at(&id),
            vec![("if-match", "\"2\"")],
            None,
            item,
            204,
        ),
        ("delete again", "DELETE", at(&id), vec![], None, item, 404),
    ];
    for (case, method, url, headers, body, path, status) in cases {
        let r = app.request(method, &url, &headers, body.as_deref());
        assert_eq!(r.status, status, "{case}: {}", r.text());
        assert_conforms(&doc, path, &method.to_lowercase(), &r, case);
    }

    // Credentials, visibility and idempotency.
    let probe = Probe { doc: &doc, app };
    let operator = operator();
    let bad_key = "Bearer fab_AAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
    let story = |title: &str, public: bool| json!({"title": title, "premise": "A premise.", "genre": "fantasy", "public": public});
    let public = probe.check(
        "create public",
        req("POST", stories).json(story("Open", true)),
        stories,
        201,
    );
    assert_eq!(public.json()["public"], true);
    let public_id = public.json()["id"].as_str().unwrap().to_owned();
    let private_id = create_story(app, "Closed");
    let r = probe.check(
        "anonymous read of a public story",
        req("GET", at(&public_id)).anonymous(),
        item,
        200,
    );
    assert!(
        r.header("ratelimit-limit").is_some(),
        "anonymous callers have a bucket"
    );
    probe.check(
        "anonymous read of a private story",
        req("GET", at(&private_id)).anonymous(),
        item,
        404,
    );
    let listed = probe.check(
        "anonymous list",
        req("GET", stories).anonymous(),
        stories,
        200,
    );
    for story in listed.json()["items"].as_array().unwrap() {
        assert_eq!(
            story["public"], true,
            "anonymous callers list public stories only"
        );
    }
    let r = probe.check(
        "anonymous create",
        req("POST", stories).anonymous().json(story("Nope", false)),
        stories,
        401,
    );
    assert_eq!(code(&r), "unauthenticated");
    assert_eq!(
        r.header("www-authenticate"),
        Some("Bearer realm=\"fabula\"")
    );
    probe.check(
        "anonymous patch",
        req("PATCH", at(&public_id))
            .anonymous()
            .json(json!({"title": "x", "version": 1})),
        item,
        401,
    );
    probe.check(
        "anonymous delete",
        req("DELETE", at(&public_id)).anonymous(),
        item,
        401,
    );
    let r = probe.check(
        "operator list",
        req("GET", stories).auth(&operator),
        stories,
        403,
    );
    assert_eq!(code(&r), "forbidden");
    assert!(
        r.header("ratelimit-limit").is_none(),
        "the operator is never limited"
    );
    probe.check(
        "operator create",
        req("POST", stories)
            .auth(&operator)
            .json(story("Op", false)),
        stories,
        403,
    );
    probe.check(
        "operator show",
        req("GET", at(&public_id)).auth(&operator),
        item,
        403,
    );
    probe.check(
        "operator patch",
        req("PATCH", at(&public_id))
            .auth(&operator)
            .json(json!({"title": "x", "version": 1})),
        item,
        403,
    );
    probe.check(
        "operator delete",
        req("DELETE", at(&public_id)).auth(&operator),
        item,
        403,
    );
    let r = probe.check(
        "unknown key, list",
        req("GET", stories).auth(bad_key),
        stories,
        401,
    );
    assert_eq!(code(&r), "invalid_api_key");
    assert_eq!(
        r.header("www-authenticate"),
        Some("Bearer realm=\"fabula\", error=\"invalid_token\"")
    );
    probe.check(
        "not bearer, show",
        req("GET", at(&public_id)).auth("Basic dXNlcjpwYXNz"),
        item,
        401,
    );
    probe.check(
        "unknown key, create",
        req("POST", stories).auth(bad_key).json(story("x", false)),
        stories,
        401,
    );
    let r = probe.check(
        "make private",
        req("PATCH", at(&public_id))
            .header("if-match", "\"1\"")
            .json(json!({"public": false})),
        item,
        200,
    );
    assert_eq!(
        (r.json()["public"].clone(), r.json()["version"].clone()),
        (json!(false), json!(2))
    );
    probe.check(
        "null visibility",
        req("PATCH", at(&public_id)).json(json!({"public": null, "version": 2})),
        item,
        422,
    );

    let first = probe.check(
        "idempotent create",
        req("POST", stories)
            .header("idempotency-key", "story-once")
            .json(story("Once", false)),
        stories,
        201,
    );
    assert!(first.header("idempotent-replayed").is_none());
    let replay = probe.check(
        "replayed create",
        req("POST", stories)
            .header("idempotency-key", "story-once")
            .json(story("Once", false)),
        stories,
        201,
    );
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        replay.json(),
        first.json(),
        "the original response, body and all"
    );
    assert_eq!(replay.header("location"), first.header("location"));
    assert_eq!(replay.header("etag"), first.header("etag"));
    let r = probe.check(
        "reused idempotency key",
        req("POST", stories)
            .header("idempotency-key", "story-once")
            .json(story("Twice", false)),
        stories,
        422,
    );
    assert_eq!(code(&r), "idempotency_key_reused");
    let long_key = "k".repeat(256);
    let r = probe.check(
        "bad idempotency key",
        req("POST", stories)
            .header("idempotency-key", &long_key)
            .json(story("x", false)),
        stories,
        400,
    );
    assert_eq!(code(&r), "invalid_idempotency_key");

    // 413 on the declared length (1 MiB + 1), before the body is read.
    let too_large = post_declaring_length(app, stories, (1 << 20) + 1);
    assert_eq!(too_large.status, 413, "{}", too_large.text());
    assert_conforms(&doc, stories, "post", &too_large, "too large");
    // ... on any route, before routing (as the document's description says).
    let too_large = post_declaring_length(app, &at(unknown), 2 << 20);
    assert_eq!(too_large.status, 413, "{}", too_large.text());

    // The host's own 404 for a path no route matches uses the same envelope.
    let unrouted = app.get("/api/v2/nothing");
    assert!(is_routing_404(&unrouted), "{}", unrouted.text());
    let violations = doc.violations(doc.component_schema("ErrorEnvelope"), &unrouted.json());
    assert!(violations.is_empty(), "{violations:?}");
}

#[test]
fn tenancy_responses_conform_to_the_documented_shapes() {
    let doc = Doc::load();
    // Keys of enterprise tenants get a burst of 2 here, to see a 429.
    let limits = json!({"enterprise": {"key": {"per_minute": 1, "burst": 2}}});
    let live = Live::start(TestAppBuilder::fabula().variable("tier_limits", &limits.to_string()));
    let app = &live.app;
    let probe = Probe { doc: &doc, app };
    let operator = operator();
    let admin = live.admin.as_str();
    let own = live.tenant.as_str();
    let (tenants, tenant) = ("/api/v1/tenants", "/api/v1/tenants/{id}");
    let (keys, key) = ("/api/v1/api-keys", "/api/v1/api-keys/{id}");
    let (me, audit, metrics) = ("/api/v1/me", "/api/v1/audit-log", "/api/v1/system/metrics");

    // Tenants.
    let created = probe.check(
        "create tenant",
        req("POST", tenants)
            .auth(&operator)
            .json(json!({"name": "  Acme ", "tier": "standard"})),
        tenants,
        201,
    );
    let body = created.json();
    assert_exact_properties(&doc, "Tenant", &body);
    assert_eq!(body["name"], "Acme");
    let other = body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.header("location"),
        Some(format!("{tenants}/{other}").as_str())
    );
    let once = json!({"name": "Once", "tier": "demo"});
    let first = probe.check(
        "idempotent tenant",
        req("POST", tenants)
            .auth(&operator)
            .header("idempotency-key", "t-1")
            .json(once.clone()),
        tenants,
        201,
    );
    let replay = probe.check(
        "replayed tenant",
        req("POST", tenants)
            .auth(&operator)
            .header("idempotency-key", "t-1")
            .json(once),
        tenants,
        201,
    );
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.json(), first.json());
    let r = probe.check(
        "reused key, tenant",
        req("POST", tenants)
            .auth(&operator)
            .header("idempotency-key", "t-1")
            .json(json!({"name": "Twice", "tier": "demo"})),
        tenants,
        422,
    );
    assert_eq!(code(&r), "idempotency_key_reused");
    let r = probe.check(
        "user creates tenant",
        req("POST", tenants).json(json!({"name": "x", "tier": "demo"})),
        tenants,
        403,
    );
    assert_eq!(code(&r), "forbidden");
    probe.check(
        "admin creates tenant",
        req("POST", tenants)
            .auth(admin)
            .json(json!({"name": "x", "tier": "demo"})),
        tenants,
        403,
    );
    let r = probe.check(
        "anonymous creates tenant",
        req("POST", tenants)
            .anonymous()
            .json(json!({"name": "x", "tier": "demo"})),
        tenants,
        401,
    );
    assert_eq!(code(&r), "unauthenticated");
    let r = probe.check(
        "bad tenant",
        req("POST", tenants)
            .auth(&operator)
            .json(json!({"name": "", "tier": "platinum", "x": 1})),
        tenants,
        422,
    );
    assert_eq!(code(&r), "validation_failed");
    probe.check(
        "tenant as text",
        req("POST", tenants)
            .auth(&operator)
            .raw(b"hi".to_vec(), "text/plain"),
        tenants,
        415,
    );
    probe.check(
        "tenant not json",
        req("POST", tenants)
            .auth(&operator)
            .raw(b"{nope".to_vec(), "application/json"),
        tenants,
        400,
    );
    let r = probe.check(
        "tenant over 16 KiB",
        req("POST", tenants)
            .auth(&operator)
            .json(json!({"name": "n".repeat(17 * 1024), "tier": "demo"})),
        tenants,
        413,
    );
    assert_eq!(code(&r), "payload_too_large");

    let page = probe.check(
        "list tenants",
        req("GET", format!("{tenants}?limit=1")).auth(&operator),
        tenants,
        200,
    );
    let cursor = page.json()["next_cursor"]
        .as_str()
        .expect("more tenants")
        .to_owned();
    probe.check(
        "next tenants",
        req("GET", format!("{tenants}?limit=100&cursor={cursor}")).auth(&operator),
        tenants,
        200,
    );
    let mine = probe.check(
        "admin lists tenants",
        req("GET", tenants).auth(admin),
        tenants,
        200,
    );
    assert_eq!(mine.json()["items"][0]["id"], own);
    assert_eq!(
        mine.json()["items"].as_array().unwrap().len(),
        1,
        "only its own tenant"
    );
    probe.check("user lists tenants", req("GET", tenants), tenants, 403);
    probe.check(
        "bad tenant cursor",
        req("GET", format!("{tenants}?cursor=%%%nope")).auth(&operator),
        tenants,
        400,
    );
    probe.check(
        "bad tenant limit",
        req("GET", format!("{tenants}?limit=0")).auth(&operator),
        tenants,
        422,
    );
    let r = probe.check(
        "anonymous lists tenants",
        req("GET", tenants).anonymous(),
        tenants,
        401,
    );
    assert_eq!(
        r.header("www-authenticate"),
        Some("Bearer realm=\"fabula\"")
    );
    let r = probe.check(
        "own tenant",
        req("GET", format!("{tenants}/{own}")),
        tenant,
        200,
    );
    assert_exact_properties(&doc, "Tenant", &r.json());
    probe.check(
        "other tenant",
        req("GET", format!("{tenants}/{other}")),
        tenant,
        404,
    );
    probe.check(
        "operator reads tenant",
        req("GET", format!("{tenants}/{other}")).auth(&operator),
        tenant,
        200,
    );
    probe.check(
        "malformed tenant id",
        req("GET", format!("{tenants}/Not:Valid")).auth(&operator),
        tenant,
        404,
    );
    probe.check(
        "anonymous reads tenant",
        req("GET", format!("{tenants}/{own}")).anonymous(),
        tenant,
        401,
    );
    let deeper = app.request(
        "GET",
        &format!("{tenants}/{own}/x"),
        &[("authorization", &operator)],
        None,
    );
    assert!(is_routing_404(&deeper), "{}", deeper.text());

    // API keys.
    let issued = probe.check(
        "issue key",
        req("POST", keys)
            .auth(admin)
            .json(json!({"name": "ci", "role": "service"})),
        keys,
        201,
    );
    let issued = issued.json();
    assert_exact_properties(&doc, "IssuedApiKey", &issued);
    assert_eq!(
        issued["tenant_id"], own,
        "a tenant admin's keys are its tenant's"
    );
    let secret = issued["key"].as_str().unwrap();
    assert!(secret.starts_with(&format!("fab_{}_", issued["prefix"].as_str().unwrap())));
    let service = format!("Bearer {secret}");
    let service_id = issued["id"].as_str().unwrap().to_owned();
    let r = probe.check(
        "operator names no tenant",
        req("POST", keys)
            .auth(&operator)
            .json(json!({"name": "k", "role": "user"})),
        keys,
        422,
    );
    assert_eq!(r.json()["error"]["details"][0]["field"], "tenant_id");
    assert_eq!(r.json()["error"]["details"][0]["code"], "required");
    probe.check(
        "operator, unknown tenant",
        req("POST", keys)
            .auth(&operator)
            .json(json!({"name": "k", "role": "user", "tenant_id": "no-such-tenant"})),
        keys,
        404,
    );
    probe.check(
        "operator, expiring key",
        req("POST", keys).auth(&operator).json(
            json!({"name": "k", "role": "admin", "tenant_id": other, "expires_at": "2999-01-01T00:00:00Z"}),
        ),
        keys,
        201,
    );
    probe.check(
        "admin names another tenant",
        req("POST", keys)
            .auth(admin)
            .json(json!({"name": "k", "role": "user", "tenant_id": other})),
        keys,
        404,
    );
    probe.check(
        "expired at birth",
        req("POST", keys)
            .auth(admin)
            .json(json!({"name": "k", "role": "root", "expires_at": "2001-01-01T00:00:00Z"})),
        keys,
        422,
    );
    probe.check(
        "user issues key",
        req("POST", keys).json(json!({"name": "k", "role": "user"})),
        keys,
        403,
    );
    probe.check(
        "anonymous issues key",
        req("POST", keys)
            .anonymous()
            .json(json!({"name": "k", "role": "user"})),
        keys,
        401,
    );
    let listed = probe.check("list keys", req("GET", keys).auth(admin), keys, 200);
    for item in listed.json()["items"].as_array().unwrap() {
        assert_exact_properties(&doc, "ApiKey", item);
        assert_eq!(item["tenant_id"], own);
    }
    let filtered = probe.check(
        "operator lists one tenant's keys",
        req("GET", format!("{keys}?tenant_id={other}&limit=100")).auth(&operator),
        keys,
        200,
    );
    assert_eq!(filtered.json()["items"].as_array().unwrap().len(), 1);
    probe.check(
        "bad tenant filter",
        req("GET", format!("{keys}?tenant_id=Not%20Valid")).auth(&operator),
        keys,
        422,
    );
    probe.check(
        "admin filters another tenant",
        req("GET", format!("{keys}?tenant_id={other}")).auth(admin),
        keys,
        404,
    );
    probe.check(
        "bad key limit",
        req("GET", format!("{keys}?limit=1000")).auth(admin),
        keys,
        422,
    );
    probe.check(
        "bad key cursor",
        req("GET", format!("{keys}?cursor=%%%nope")).auth(admin),
        keys,
        400,
    );
    probe.check("user lists keys", req("GET", keys), keys, 403);
    probe.check(
        "service lists keys",
        req("GET", keys).auth(&service),
        keys,
        403,
    );

    // Who am I.
    let r = probe.check("me, user", req("GET", me), me, 200);
    let body = r.json();
    assert_exact_properties(&doc, "Me", &body);
    assert_eq!(
        (body["role"].as_str(), body["tenant"]["id"].as_str()),
        (Some("user"), Some(own))
    );
    assert!(body["limits"]["key"].is_object() && body["limits"]["address"].is_null());
    let r = probe.check("me, operator", req("GET", me).auth(&operator), me, 200);
    assert_eq!(
        r.json()["limits"],
        json!({"key": null, "tenant": null, "address": null})
    );
    assert!(r.header("ratelimit-limit").is_none());
    let r = probe.check("me, anonymous", req("GET", me).anonymous(), me, 200);
    assert_eq!(r.json()["role"], "anonymous");
    assert!(r.json()["limits"]["address"].is_object());
    let r = probe.check("me, bad key", req("GET", me).auth("Bearer nope"), me, 401);
    assert_eq!(code(&r), "invalid_api_key");

    // Audit log and metrics.
    let log = probe.check(
        "audit log",
        req("GET", format!("{audit}?limit=100")).auth(admin),
        audit,
        200,
    );
    let entries = log.json()["items"].as_array().unwrap().clone();
    assert!(!entries.is_empty(), "the key issued above was audited");
    for entry in &entries {
        assert_exact_properties(&doc, "AuditEntry", entry);
        assert_eq!(
            entry["tenant_id"], own,
            "a tenant admin sees its own tenant's"
        );
    }
    probe.check(
        "operator audit log",
        req("GET", audit).auth(&operator),
        audit,
        200,
    );
    probe.check("user audit log", req("GET", audit), audit, 403);
    probe.check(
        "audit limit",
        req("GET", format!("{audit}?limit=101")).auth(admin),
        audit,
        422,
    );
    probe.check(
        "audit cursor",
        req("GET", format!("{audit}?cursor=garbage!")).auth(admin),
        audit,
        400,
    );
    probe.check(
        "anonymous audit log",
        req("GET", audit).anonymous(),
        audit,
        401,
    );
    for (case, auth) in [
        ("admin", admin),
        ("operator", operator.as_str()),
        ("service", service.as_str()),
    ] {
        let r = probe.check(
            &format!("metrics, {case}"),
            req("GET", metrics).auth(auth),
            metrics,
            200,
        );
        assert_exact_properties(&doc, "Metrics", &r.json());
    }
    probe.check("metrics, user", req("GET", metrics), metrics, 403);
    probe.check(
        "metrics, anonymous",
        req("GET", metrics).anonymous(),
        metrics,
        401,
    );

    // Revocation.
    let revoke = format!("{keys}/{service_id}");
    probe.check("user revokes", req("DELETE", revoke.clone()), key, 403);
    probe.check(
        "revoke",
        req("DELETE", revoke.clone()).auth(admin),
        key,
        204,
    );
    probe.check(
        "revoke again",
        req("DELETE", revoke.clone()).auth(admin),
        key,
        204,
    );
    let r = probe.check("revoked key", req("GET", me).auth(&service), me, 401);
    assert_eq!(code(&r), "api_key_revoked");
    let r = probe.check(
        "revoked key, keys",
        req("GET", keys).auth(&service),
        keys,
        401,
    );
    assert_eq!(code(&r), "api_key_revoked");
    let unknown = format!("{keys}/0190f5a0-0000-7000-8000-000000000000");
    probe.check(
        "unknown key id",
        req("DELETE", unknown).auth(&operator),
        key,
        404,
    );
    probe.check(
        "not a key id",
        req("DELETE", format!("{keys}/42")).auth(admin),
        key,
        404,
    );
    probe.check(
        "anonymous revokes",
        req("DELETE", revoke).anonymous(),
        key,
        401,
    );

    // Rate limits: a key with a burst of 2.
    let limited_tenant = create_tenant(app, "enterprise");
    let (_, limited) = issue_key(app, &limited_tenant, "user");
    let limited = format!("Bearer {limited}");
    for n in 0..2 {
        let r = probe.check(
            &format!("within the burst ({n})"),
            req("GET", me).auth(&limited),
            me,
            200,
        );
        assert_eq!(r.header("ratelimit-limit"), Some("2"));
    }
    let r = probe.check("over the burst", req("GET", me).auth(&limited), me, 429);
    assert_eq!(code(&r), "rate_limited");
    assert_eq!(r.header("ratelimit-remaining"), Some("0"));
    probe.check(
        "over the burst, create",
        req("POST", "/api/v1/stories")
            .auth(&limited)
            .json(json!({"title": "t", "premise": "p", "genre": "other"})),
        "/api/v1/stories",
        429,
    );
}

/// The field and code of every detail of a 422.
fn details(r: &TestResponse) -> Vec<(String, String)> {
    r.json()["error"]["details"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            (
                d["field"].as_str().unwrap_or_default().to_owned(),
                d["code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// `value` validates against component schema `name`.
fn assert_valid(doc: &Doc, name: &str, value: &Value) {
    let violations = doc.violations(doc.component_schema(name), value);
    assert!(violations.is_empty(), "{name}: {violations:?}\n{value:#}");
}

#[test]
fn generation_responses_conform_to_the_documented_shapes() {
    let doc = Doc::load();
    let live = Live::start(TestAppBuilder::fabula());
    let app = &live.app;
    let probe = Probe { doc: &doc, app };
    let operator = operator();
    let admin = live.admin.as_str();
    let bad_key = "Bearer fab_AAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
    let unknown = "0190f5a0-0000-7000-8000-000000000000";
    let generations = "/api/v1/stories/{id}/generations";
    let (jobs, job, chapters, events) = (
        "/api/v1/jobs",
        "/api/v1/jobs/{id}",
        "/api/v1/jobs/{id}/chapters",
        "/api/v1/jobs/{id}/events",
    );
    let (cancel, retry) = ("/api/v1/jobs/{id}/cancel", "/api/v1/jobs/{id}/retry");
    let (usage, sweep) = ("/api/v1/usage", "/api/v1/system/sweep");
    let at = |id: &str, rest: &str| format!("/api/v1/jobs/{id}{rest}");
    let other_tenant = create_tenant(app, "standard");
    let other = format!("Bearer {}", issue_key(app, &other_tenant, "user").1);

    // 202: exactly the documented properties and Location; the job's quality policy is
    // the story's with the request's changes merged in, key by key.
    let story = short_story(app, false);
    let start = format!("/api/v1/stories/{story}/generations");
    let started = probe.check(
        "start",
        req("POST", start.clone()).json(json!({
            "chapters": 20, "words_per_chapter": 200,
            "models": {"quality": "fabula-offline-1"},
            "quality": {"max_revisions": 1,
                        "thresholds": {"max_rep_4": 0.15, "dialogue": {"rich": {"min": 0.3}}}}
        })),
        generations,
        202,
    );
    let body = started.json();
    assert_exact_properties(&doc, "Job", &body);
    assert_exact_properties(&doc, "JobSpec", &body["spec"]);
    assert_exact_properties(&doc, "JobMetadata", &body["metadata"]);
    assert!(
        ["queued", "running"].contains(&body["status"].as_str().unwrap()),
        "{body}"
    );
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        started.header("location"),
        Some(format!("/api/v1/jobs/{id}").as_str())
    );
    let mut policy = app.get(&format!("/api/v1/stories/{story}")).json()["quality"].clone();
    policy["max_revisions"] = json!(1);
    policy["thresholds"]["max_rep_4"] = json!(0.15);
    policy["thresholds"]["dialogue"]["rich"]["min"] = json!(0.3);
    assert_eq!(
        body["spec"]["quality"], policy,
        "the story's policy with the request's changes"
    );
    assert_eq!(
        body["spec"]["models"],
        json!({"quality": "fabula-offline-1"})
    );

    // Cancel (200) and retry (202) as the job's status allows; 409 otherwise. A cancel
    // under an Idempotency-Key is replayed.
    let r = probe.check("cancel", req("POST", at(&id, "/cancel")), cancel, 200);
    assert_exact_properties(&doc, "Job", &r.json());
    assert_eq!(r.json()["status"], "cancelled");
    let r = probe.check("cancel again", req("POST", at(&id, "/cancel")), cancel, 409);
    assert_eq!(code(&r), "invalid_transition");
    let r = probe.check("retry", req("POST", at(&id, "/retry")), retry, 202);
    assert_exact_properties(&doc, "Job", &r.json());
    assert_eq!(r.json()["status"], "running");
    let r = probe.check("retry again", req("POST", at(&id, "/retry")), retry, 409);
    assert_eq!(code(&r), "invalid_transition");
    let first = probe.check(
        "idempotent cancel",
        req("POST", at(&id, "/cancel")).header("idempotency-key", "cancel-once"),
        cancel,
        200,
    );
    assert!(first.header("idempotent-replayed").is_none());
    let replay = probe.check(
        "replayed cancel",
        req("POST", at(&id, "/cancel")).header("idempotency-key", "cancel-once"),
        cancel,
        200,
    );
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.json(), first.json());

    // Idempotent start: one job, the 202 replayed with its Location.
    let once = json!({"chapters": 1, "words_per_chapter": 200});
    let first = probe.check(
        "idempotent start",
        req("POST", start.clone())
            .header("idempotency-key", "start-once")
            .json(once.clone()),
        generations,
        202,
    );
    let replay = probe.check(
        "replayed start",
        req("POST", start.clone())
            .header("idempotency-key", "start-once")
            .json(once),
        generations,
        202,
    );
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.json(), first.json());
    assert_eq!(replay.header("location"), first.header("location"));
    let r = probe.check(
        "reused key, start",
        req("POST", start.clone())
            .header("idempotency-key", "start-once")
            .json(json!({"chapters": 2, "words_per_chapter": 200})),
        generations,
        422,
    );
    assert_eq!(code(&r), "idempotency_key_reused");
    let long_key = "k".repeat(256);
    let r = probe.check(
        "bad idempotency key, start",
        req("POST", start.clone())
            .header("idempotency-key", &long_key)
            .json(json!({})),
        generations,
        400,
    );
    assert_eq!(code(&r), "invalid_idempotency_key");

    // Refused starts.
    for (case, body, content_type, status, expected) in [
        (
            "not json",
            &b"{nope"[..],
            "application/json",
            400,
            "invalid_json",
        ),
        (
            "not an object",
            &b"[1]"[..],
            "application/json",
            400,
            "invalid_json",
        ),
        (
            "text",
            &b"hi"[..],
            "text/plain",
            415,
            "unsupported_media_type",
        ),
    ] {
        let r = probe.check(
            &format!("start, {case}"),
            req("POST", start.clone()).raw(body.to_vec(), content_type),
            generations,
            status,
        );
        assert_eq!(code(&r), expected, "{case}");
    }
    let r = probe.check(
        "start over 16 KiB",
        req("POST", start.clone()).json(json!({"style": {"tone": "t".repeat(17 * 1024)}})),
        generations,
        413,
    );
    assert_eq!(code(&r), "payload_too_large");
    for (body, expected) in [
        (
            json!({"chapters": 0, "models": {"quality": "has space"},
                   "quality": {"thresholds": {"max_rep_4": 2}}}),
            vec![
                ("chapters", "out_of_range"),
                ("models.quality", "invalid_value"),
                ("quality.thresholds.max_rep_4", "invalid_value"),
            ],
        ),
        (json!({"quality": 3}), vec![("quality", "invalid_type")]),
        (
            json!({"quality": {"max_revisions": 6}}),
            vec![("quality.max_revisions", "invalid_value")],
        ),
        (
            json!({"quality": {"thresholds": {"max_rep_5": 0.1}}}),
            vec![("quality.thresholds.max_rep_5", "invalid_value")],
        ),
        (
            json!({"surprise": true}),
            vec![("surprise", "unknown_field")],
        ),
    ] {
        let r = probe.check(
            &format!("start, invalid {body}"),
            req("POST", start.clone()).json(body.clone()),
            generations,
            422,
        );
        assert_eq!(code(&r), "validation_failed");
        let expected: Vec<(String, String)> = expected
            .into_iter()
            .map(|(f, c)| (f.to_owned(), c.to_owned()))
            .collect();
        assert_eq!(details(&r), expected, "{body}");
    }
    let r = probe.check(
        "anonymous start",
        req("POST", start.clone()).anonymous().json(json!({})),
        generations,
        401,
    );
    assert_eq!(code(&r), "unauthenticated");
    let r = probe.check(
        "operator start",
        req("POST", start.clone()).auth(&operator).json(json!({})),
        generations,
        403,
    );
    assert_eq!(code(&r), "forbidden");
    let r = probe.check(
        "unknown key, start",
        req("POST", start.clone()).auth(bad_key).json(json!({})),
        generations,
        401,
    );
    assert_eq!(code(&r), "invalid_api_key");
    for (case, url, auth) in [
        (
            "unknown story",
            format!("/api/v1/stories/{unknown}/generations"),
            None,
        ),
        (
            "not a story id",
            "/api/v1/stories/42/generations".into(),
            None,
        ),
        (
            "another tenant's story",
            start.clone(),
            Some(other.as_str()),
        ),
    ] {
        let mut request = req("POST", url).json(json!({}));
        if let Some(auth) = auth {
            request = request.auth(auth);
        }
        let r = probe.check(&format!("start, {case}"), request, generations, 404);
        assert_eq!(code(&r), "not_found");
    }

    // A story's jobs, newest first, page by page.
    let page = probe.check(
        "story's jobs",
        req("GET", format!("{start}?limit=1")),
        generations,
        200,
    );
    let items = page.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_exact_properties(&doc, "JobSummary", &items[0]);
    let cursor = page.json()["next_cursor"]
        .as_str()
        .expect("a second page")
        .to_owned();
    probe.check(
        "story's jobs, next page",
        req("GET", format!("{start}?limit=100&cursor={cursor}")),
        generations,
        200,
    );
    let r = probe.check(
        "story's jobs, bad cursor",
        req("GET", format!("{start}?cursor=%%%nope")),
        generations,
        400,
    );
    assert_eq!(code(&r), "invalid_cursor");
    probe.check(
        "story's jobs, bad limit",
        req("GET", format!("{start}?limit=0")),
        generations,
        422,
    );
    probe.check(
        "story's jobs, unknown story",
        req("GET", format!("/api/v1/stories/{unknown}/generations")),
        generations,
        404,
    );
    probe.check(
        "story's jobs, another tenant",
        req("GET", start.clone()).auth(&other),
        generations,
        404,
    );
    probe.check(
        "story's jobs, anonymous",
        req("GET", start.clone()).anonymous(),
        generations,
        401,
    );
    probe.check(
        "story's jobs, operator",
        req("GET", start.clone()).auth(&operator),
        generations,
        403,
    );

    // The tenant's jobs, filtered.
    let book = live.book().clone();
    let r = probe.check(
        "completed jobs of the book's story",
        req(
            "GET",
            format!("{jobs}?status=completed&story_id={}", book.story),
        ),
        jobs,
        200,
    );
    let items = r.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["id"], book.job.as_str());
    assert_exact_properties(&doc, "JobSummary", &items[0]);
    for (case, query, field) in [
        ("bad status", "status=done", "status"),
        ("bad story", "story_id=42", "story_id"),
        ("bad limit", "limit=101", "limit"),
    ] {
        let r = probe.check(
            &format!("jobs, {case}"),
            req("GET", format!("{jobs}?{query}")),
            jobs,
            422,
        );
        assert_eq!(details(&r)[0].0, field, "{case}");
    }
    probe.check(
        "jobs, bad cursor",
        req("GET", format!("{jobs}?cursor=%%%nope")),
        jobs,
        400,
    );
    probe.check("jobs, anonymous", req("GET", jobs).anonymous(), jobs, 401);
    probe.check(
        "jobs, operator",
        req("GET", jobs).auth(&operator),
        jobs,
        403,
    );

    // The completed job: its steps (each chapter followed by its quality step), and the
    // quality records and continuity alerts in its metadata. Chapter 1's repetitive draft
    // failed the gate and was revised, so failures are checked live too.
    let r = probe.check("completed job", req("GET", at(&book.job, "")), job, 200);
    let done = r.json();
    assert_exact_properties(&doc, "Job", &done);
    assert_exact_properties(&doc, "JobSpec", &done["spec"]);
    assert_exact_properties(&doc, "JobMetadata", &done["metadata"]);
    assert_eq!(done["status"], "completed");
    let steps: Vec<&str> = done["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            assert_exact_properties(&doc, "JobStep", s);
            s["step"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        steps,
        [
            "premise",
            "outline",
            "chapter:1",
            "quality:1",
            "chapter:2",
            "quality:2",
            "assembly"
        ]
    );
    let quality = done["metadata"]["quality"].as_array().unwrap().clone();
    assert_eq!(quality.len(), 2, "one record per chapter: {quality:?}");
    for (n, record) in quality.iter().enumerate() {
        assert_exact_properties(&doc, "ChapterQuality", record);
        assert_eq!(record["chapter"], n + 1);
        for attempt in record["attempts"].as_array().unwrap() {
            assert_exact_properties(&doc, "QualityAttempt", attempt);
            assert_exact_properties(&doc, "AttemptScores", &attempt["scores"]);
            for failure in attempt["failures"].as_array().unwrap() {
                assert_exact_properties(&doc, "GateFailure", failure);
            }
        }
    }
    let revised = quality[0]["attempts"].as_array().unwrap();
    assert!(
        revised.len() >= 2
            && revised[0]["passed"] == false
            && !revised[0]["failures"].as_array().unwrap().is_empty(),
        "chapter 1's draft failed and was revised: {revised:?}"
    );
    for (case, url, auth, status) in [
        ("unknown job", at(unknown, ""), None, 404),
        ("not a job id", at("not-a-job", ""), None, 404),
        (
            "another tenant's job",
            at(&book.job, ""),
            Some(other.as_str()),
            404,
        ),
        (
            "job, operator",
            at(&book.job, ""),
            Some(operator.as_str()),
            403,
        ),
    ] {
        let mut request = req("GET", url);
        if let Some(auth) = auth {
            request = request.auth(auth);
        }
        probe.check(case, request, job, status);
    }
    probe.check(
        "job, anonymous",
        req("GET", at(&book.job, "")).anonymous(),
        job,
        401,
    );

    // Chapters, page by page.
    let page = probe.check(
        "chapters",
        req("GET", at(&book.job, "/chapters?limit=1")),
        chapters,
        200,
    );
    let first = &page.json()["items"][0];
    assert_exact_properties(&doc, "Chapter", first);
    assert_eq!(first["number"], 1);
    let cursor = page.json()["next_cursor"]
        .as_str()
        .expect("a second page")
        .to_owned();
    let next = probe.check(
        "chapters, next page",
        req("GET", at(&book.job, &format!("/chapters?cursor={cursor}"))),
        chapters,
        200,
    );
    assert_eq!(next.json()["items"][0]["number"], 2);
    probe.check(
        "chapters, bad limit",
        req("GET", at(&book.job, "/chapters?limit=0")),
        chapters,
        422,
    );
    probe.check(
        "chapters, bad cursor",
        req("GET", at(&book.job, "/chapters?cursor=%%%nope")),
        chapters,
        400,
    );
    probe.check(
        "chapters, unknown job",
        req("GET", at(unknown, "/chapters")),
        chapters,
        404,
    );

    // Events: every kind documented; one chapter_checked per chapter, its data as
    // documented and matching the job's quality record.
    let r = probe.check(
        "events",
        req("GET", at(&book.job, "/events?limit=100")),
        events,
        200,
    );
    let log = r.json()["items"].as_array().unwrap().clone();
    let kinds = doc.enum_values("EventKind");
    for event in &log {
        assert_exact_properties(&doc, "JobEvent", event);
        assert!(
            kinds.contains(event["kind"].as_str().unwrap()),
            "undocumented event kind: {event}"
        );
    }
    let checked: Vec<&Value> = log
        .iter()
        .filter(|e| e["kind"] == "chapter_checked")
        .map(|e| &e["data"])
        .collect();
    assert_eq!(checked.len(), 2, "{log:?}");
    for (data, record) in checked.iter().zip(&quality) {
        assert_valid(&doc, "ChapterCheckedData", data);
        assert_exact_properties(&doc, "ChapterCheckedData", data);
        assert_eq!(data["number"], record["chapter"]);
        assert_eq!(data["passed"], record["passed"]);
        assert_eq!(data["kept"], record["kept"]);
        assert_eq!(
            data["attempts"],
            record["attempts"].as_array().unwrap().len()
        );
    }
    let page = probe.check(
        "events after 3",
        req("GET", at(&book.job, "/events?after=3&limit=2")),
        events,
        200,
    );
    let seqs: Vec<Value> = page.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].clone())
        .collect();
    assert_eq!(seqs, [json!(4), json!(5)]);
    assert_eq!(page.json()["next_cursor"], 5);
    for (case, query, status) in [
        ("bad after", "after=-1", 422),
        ("bad limit", "limit=0", 422),
        ("bad cursor", "cursor=%%%nope", 400),
    ] {
        probe.check(
            &format!("events, {case}"),
            req("GET", at(&book.job, &format!("/events?{query}"))),
            events,
            status,
        );
    }
    probe.check(
        "events, unknown job",
        req("GET", at(unknown, "/events")),
        events,
        404,
    );
    let sse = probe.check(
        "events as SSE",
        req("GET", at(&book.job, "/events")).header("accept", "text/event-stream"),
        events,
        200,
    );
    let text = sse.text();
    assert!(
        text.contains("event: chapter_checked\n") && text.contains("event: job_completed\n"),
        "{text}"
    );
    assert_eq!(sse.header("cache-control"), Some("no-cache"));
    let resumed = probe.check(
        "events as SSE after Last-Event-ID",
        req("GET", at(&book.job, "/events"))
            .header("accept", "text/event-stream")
            .header("last-event-id", "3"),
        events,
        200,
    );
    assert!(
        resumed.text().contains("id: 4\n") && !resumed.text().contains("id: 3\n"),
        "{}",
        resumed.text()
    );

    // A completed job can be neither cancelled nor retried.
    for (case, path, template) in [
        ("cancel a completed job", "/cancel", cancel),
        ("retry a completed job", "/retry", retry),
    ] {
        let r = probe.check(case, req("POST", at(&book.job, path)), template, 409);
        assert_eq!(code(&r), "invalid_transition");
    }
    for (path, template) in [("/cancel", cancel), ("/retry", retry)] {
        probe.check(
            &format!("{path}, unknown job"),
            req("POST", at(unknown, path)),
            template,
            404,
        );
        probe.check(
            &format!("{path}, another tenant's job"),
            req("POST", at(&book.job, path)).auth(&other),
            template,
            404,
        );
        probe.check(
            &format!("{path}, anonymous"),
            req("POST", at(&book.job, path)).anonymous(),
            template,
            401,
        );
        probe.check(
            &format!("{path}, operator"),
            req("POST", at(&book.job, path)).auth(&operator),
            template,
            403,
        );
    }

    // Usage.
    let r = probe.check("usage", req("GET", usage), usage, 200);
    assert_exact_properties(&doc, "Usage", &r.json());
    for story in r.json()["stories"].as_array().unwrap() {
        assert_exact_properties(&doc, "StoryUsage", story);
    }
    probe.check(
        "usage, operator",
        req("GET", usage).auth(&operator),
        usage,
        403,
    );
    probe.check(
        "usage, anonymous",
        req("GET", usage).anonymous(),
        usage,
        401,
    );

    // The sweep: admins and operators; replayed under an Idempotency-Key.
    for (case, auth) in [("admin", admin), ("operator", operator.as_str())] {
        let r = probe.check(
            &format!("sweep, {case}"),
            req("POST", sweep).auth(auth),
            sweep,
            200,
        );
        assert_exact_properties(&doc, "SweepResult", &r.json());
    }
    let first = probe.check(
        "idempotent sweep",
        req("POST", sweep)
            .auth(admin)
            .header("idempotency-key", "sweep-once"),
        sweep,
        200,
    );
    let replay = probe.check(
        "replayed sweep",
        req("POST", sweep)
            .auth(admin)
            .header("idempotency-key", "sweep-once"),
        sweep,
        200,
    );
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.json(), first.json());
    let r = probe.check("sweep, user", req("POST", sweep), sweep, 403);
    assert_eq!(code(&r), "forbidden");
    let r = probe.check(
        "sweep, anonymous",
        req("POST", sweep).anonymous(),
        sweep,
        401,
    );
    assert_eq!(code(&r), "unauthenticated");
}

/// `attachment; filename="<lowercase ASCII slug>.<extension>"`.
fn is_attachment(disposition: Option<&str>, extension: &str) -> bool {
    disposition
        .and_then(|d| d.strip_prefix("attachment; filename=\""))
        .and_then(|d| d.strip_suffix(&format!(".{extension}\"")))
        .is_some_and(|slug| {
            !slug.is_empty()
                && slug
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

#[test]
fn book_responses_conform_to_the_documented_shapes() {
    let doc = Doc::load();
    let live = Live::start(TestAppBuilder::fabula());
    let app = &live.app;
    let probe = Probe { doc: &doc, app };
    let operator = operator();
    let bad_key = "Bearer fab_AAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
    let unknown = "0190f5a0-0000-7000-8000-000000000000";
    let (analysis, export) = (
        "/api/v1/stories/{id}/analysis",
        "/api/v1/stories/{id}/export",
    );
    let of =
        |story: &str, route: &str, query: &str| format!("/api/v1/stories/{story}/{route}{query}");
    let book = live.book().clone();
    let job = app.get(&format!("/api/v1/jobs/{}", book.job)).json();
    let written = fabula_tests::pipeline::chapters(app, &book.job);

    // The report: exactly the documented properties, over the job's chapters, with the
    // thresholds, attempts and alerts the job recorded.
    let r = probe.check(
        "analysis",
        req("GET", of(&book.story, "analysis", "")),
        analysis,
        200,
    );
    let report = r.json();
    assert_exact_properties(&doc, "StoryAnalysis", &report);
    assert_eq!(report["story_id"], book.story.as_str());
    assert_eq!(report["job_id"], book.job.as_str());
    let spec = &job["spec"];
    assert_eq!(report["thresholds"], spec["quality"]["thresholds"]);
    assert_eq!(report["max_revisions"], spec["quality"]["max_revisions"]);
    assert_eq!(report["dialogue"], spec["generation"]["style"]["dialogue"]);
    assert_eq!(
        report["continuity_alerts"],
        job["metadata"]["continuity_alerts"]
    );
    let chapters = report["chapters"].as_array().unwrap();
    let records = job["metadata"]["quality"].as_array().unwrap();
    assert_eq!(chapters.len(), 2);
    let mut failing = Vec::new();
    for (chapter, record) in chapters.iter().zip(records) {
        assert_exact_properties(&doc, "ChapterAnalysis", chapter);
        assert_exact_properties(&doc, "ChapterMetrics", &chapter["metrics"]);
        assert_exact_properties(&doc, "GateResult", &chapter["gate"]);
        assert_eq!(chapter["number"], record["chapter"]);
        assert_eq!(chapter["attempts"], record["attempts"]);
        assert_eq!(chapter["kept"], record["kept"]);
        if chapter["gate"]["passed"] == false {
            failing.push(chapter["number"].clone());
        }
    }
    assert_eq!(report["failing_chapters"], Value::from(failing));
    assert_exact_properties(&doc, "BookMetrics", &report["book"]);
    let named = probe.check(
        "analysis of a named job",
        req(
            "GET",
            of(&book.story, "analysis", &format!("?job_id={}", book.job)),
        ),
        analysis,
        200,
    );
    assert_eq!(named.json(), report);
    probe.check(
        "analysis, anonymous, public story",
        req("GET", of(&book.story, "analysis", "")).anonymous(),
        analysis,
        200,
    );

    // Exports: each format's media type, an attachment, and its content.
    for (format, media_type, extension) in [
        ("markdown", "text/markdown", "md"),
        ("MD", "text/markdown", "md"),
        ("epub", "application/epub+zip", "epub"),
        ("json", "application/json", "json"),
    ] {
        let r = probe.check(
            &format!("export {format}"),
            req(
                "GET",
                of(&book.story, "export", &format!("?format={format}")),
            ),
            export,
            200,
        );
        let content_type = r.header("content-type").unwrap();
        assert!(content_type.starts_with(media_type), "{content_type}");
        assert!(
            is_attachment(r.header("content-disposition"), extension),
            "{:?}",
            r.header("content-disposition")
        );
        match extension {
            "md" => {
                let text = r.text();
                assert!(text.starts_with("# "), "{text}");
                assert!(text.contains("## Contents"), "{text}");
                assert!(text.contains("## Chapter 2"), "{text}");
            }
            "epub" => {
                assert!(r.body.starts_with(b"PK\x03\x04"), "a ZIP");
                assert_eq!(
                    r.body.get(30..58),
                    Some(&b"mimetypeapplication/epub+zip"[..]),
                    "the OCF mimetype entry comes first, stored"
                );
            }
            _ => {
                let exported = r.json();
                assert_exact_properties(&doc, "BookExport", &exported);
                let texts: Vec<&Value> = exported["chapters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| &c["text"])
                    .collect();
                let expected: Vec<&Value> = written.iter().map(|c| &c["text"]).collect();
                assert_eq!(texts, expected, "the kept chapter texts");
                let metadata = &exported["metadata"];
                assert_eq!(metadata["job_id"], book.job.as_str());
                assert_eq!(metadata["spec"], job["spec"]);
                assert_eq!(metadata["quality"], job["metadata"]["quality"]);
            }
        }
    }
    probe.check(
        "export of a named job",
        req(
            "GET",
            of(
                &book.story,
                "export",
                &format!("?format=json&job_id={}", book.job),
            ),
        ),
        export,
        200,
    );
    probe.check(
        "export, anonymous, public story",
        req("GET", of(&book.story, "export", "?format=markdown")).anonymous(),
        export,
        200,
    );

    // Refused: bad query parameters (the format first), stories and jobs without a book.
    for (case, query, expected) in [
        ("no format", "", "unsupported_format"),
        ("empty format", "?format=", "unsupported_format"),
        ("unknown format", "?format=pdf", "unsupported_format"),
        (
            "format first",
            "?format=pdf&job_id=nope",
            "unsupported_format",
        ),
        ("bad job id", "?format=json&job_id=nope", "invalid_job_id"),
    ] {
        let r = probe.check(
            &format!("export, {case}"),
            req("GET", of(&book.story, "export", query)),
            export,
            400,
        );
        assert_eq!(code(&r), expected, "{case}");
    }
    let r = probe.check(
        "analysis, bad job id",
        req("GET", of(&book.story, "analysis", "?job_id=42")),
        analysis,
        400,
    );
    assert_eq!(code(&r), "invalid_job_id");
    let unfinished = start_job(
        app,
        &book.story,
        &json!({"chapters": 1, "words_per_chapter": 200}),
    );
    let r = app.post_json(&format!("/api/v1/jobs/{unfinished}/cancel"), &json!({}));
    assert_eq!(r.status, 200, "{}", r.text());
    let elsewhere = cancelled_job(app);
    let fresh = short_story(app, false);
    for (case, story, query, expected) in [
        (
            "unknown job",
            book.story.as_str(),
            format!("job_id={unknown}"),
            "not_found",
        ),
        (
            "another story's job",
            book.story.as_str(),
            format!("job_id={elsewhere}"),
            "not_found",
        ),
        (
            "a cancelled job",
            book.story.as_str(),
            format!("job_id={unfinished}"),
            "no_manuscript",
        ),
        (
            "no generation",
            fresh.as_str(),
            String::new(),
            "no_manuscript",
        ),
        ("unknown story", unknown, String::new(), "not_found"),
        ("not a story id", "42", String::new(), "not_found"),
    ] {
        for (route, template, format) in [
            ("analysis", analysis, ""),
            ("export", export, "format=epub&"),
        ] {
            let r = probe.check(
                &format!("{route}, {case}"),
                req("GET", of(story, route, &format!("?{format}{query}"))),
                template,
                404,
            );
            assert_eq!(code(&r), expected, "{route}, {case}");
        }
    }

    // Who may read: the story's visibility.
    for (route, template, query) in [
        ("analysis", analysis, ""),
        ("export", export, "?format=json"),
    ] {
        let r = probe.check(
            &format!("{route}, anonymous, private story"),
            req("GET", of(&fresh, route, query)).anonymous(),
            template,
            404,
        );
        assert_eq!(code(&r), "not_found");
        let r = probe.check(
            &format!("{route}, operator"),
            req("GET", of(&book.story, route, query)).auth(&operator),
            template,
            403,
        );
        assert_eq!(code(&r), "forbidden");
        let r = probe.check(
            &format!("{route}, unknown key"),
            req("GET", of(&book.story, route, query)).auth(bad_key),
            template,
            401,
        );
        assert_eq!(code(&r), "invalid_api_key");
    }
}
