//! `docs/openapi.json` against the code: the document is OpenAPI 3.1, every route in
//! `spin.toml` is documented with exactly the methods its component serves, every documented
//! operation is routed, and live responses (of authenticated, anonymous and refused callers)
//! conform to the documented schemas and headers (checked by a small JSON Schema subset
//! validator below; serde_json only).

use std::collections::BTreeSet;

use fabula_tests::{OPERATOR_TOKEN, TestApp, TestAppBuilder, TestResponse, repo_root};
use serde_json::{Value, json};

/// The HTTP methods a path item can hold, lowercase as OpenAPI spells them.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Components whose routes the document must cover.
const DOCUMENTED_COMPONENTS: [&str; 3] = ["health", "stories-api", "tenants-api"];

/// Response headers whose presence means something: a response that carries one must
/// document it.
const MEANINGFUL_HEADERS: [&str; 10] = [
    "location",
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

/// Whether a spin.toml route (exact, or `prefix/...`) serves a documented path template.
fn spin_route_serves(route: &str, path: &str) -> bool {
    match route.strip_suffix("/...") {
        Some(prefix) => path == prefix || path.starts_with(&format!("{prefix}/")),
        None => route.trim_end_matches('/') == path.trim_end_matches('/'),
    }
}

// --- the live app ---------------------------------------------------------------------------

/// `Bearer <operator token>`.
fn operator() -> String {
    format!("Bearer {OPERATOR_TOKEN}")
}

/// A running Fabula signed in (as its default credential) with a `user` key of a fresh
/// `standard` tenant, plus an `admin` key of the same tenant for the platform routes a
/// user may not call.
struct Live {
    app: TestApp,
    tenant: String,
    /// `Bearer <admin key>` of `tenant`.
    admin: String,
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
        }
    }

    /// The credential a documented operation is sent with: `None` for the default user
    /// key (stories, `/me`; health ignores it), the operator token for tenants, the
    /// tenant's admin key for keys, the audit log and metrics.
    fn credential(&self, path: &str) -> Option<String> {
        if path.starts_with("/api/v1/tenants") {
            Some(operator())
        } else if path.starts_with("/api/v1/api-keys")
            || path == "/api/v1/audit-log"
            || path == "/api/v1/system/metrics"
        {
            Some(self.admin.clone())
        } else {
            None
        }
    }

    /// A documented path with `{id}` replaced by a real id: a fresh story, the signed-in
    /// tenant, or a fresh key of it.
    fn concrete(&self, path: &str) -> String {
        let id = match path {
            "/api/v1/stories/{id}" => create_story(&self.app, "Probe"),
            "/api/v1/tenants/{id}" => self.tenant.clone(),
            "/api/v1/api-keys/{id}" => issue_key(&self.app, &self.tenant, "user").0,
            _ => return path.to_owned(),
        };
        path.replace("{id}", &id)
    }
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
/// required headers present, the headers it carries documented and valid, body valid
/// against the documented schema (or empty when the response has no content), error codes
/// from the documented list.
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
    match documented.pointer("/content/application~1json/schema") {
        Some(schema) => {
            assert_eq!(r.header("content-type"), Some("application/json"), "{case}");
            let body = r.json();
            let violations = doc.violations(schema, &body);
            assert!(
                violations.is_empty(),
                "{case}: body does not match the documented schema:\n{}\n{body:#}",
                violations.join("\n")
            );
            if let Some(error) = body.get("error") {
                assert_error_envelope(doc, error, r, case);
            }
        }
        None => assert!(
            r.body.is_empty(),
            "{case}: {} is documented without a body: {}",
            r.status,
            r.text()
        ),
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
        // Every POST creates: idempotent, with the pipeline's idempotency answers.
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
            let created = doc.response(path, method, 201).expect("201");
            assert!(
                created["headers"].get("idempotent-replayed").is_some(),
                "{method} {path}: 201 without Idempotent-Replayed"
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
        routes.len() >= 11,
        "expected the health, stories and tenancy routes in spin.toml: {routes:?}"
    );
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
        let r = app.request("OPTIONS", &live.concrete(path), &[], None);
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
            let target = live.concrete(path);
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
