//! `docs/openapi.json` against the code: the document is OpenAPI 3.1, every route in
//! `spin.toml` is documented with exactly the methods its component serves, every documented
//! operation is routed, and live responses conform to the documented schemas (checked by a
//! small JSON Schema subset validator below; serde_json only).

use std::collections::BTreeSet;

use fabula_tests::{TestApp, TestAppBuilder, TestResponse, repo_root};
use serde_json::{Value, json};

/// The HTTP methods a path item can hold, lowercase as OpenAPI spells them.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Components whose routes the document must cover.
const DOCUMENTED_COMPONENTS: [&str; 2] = ["health", "stories-api"];

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
    /// `pattern`.
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

fn create_story(app: &TestApp, title: &str) -> String {
    let r = app.post_json(
        "/api/v1/stories",
        &json!({"title": title, "premise": "A keeper finds a map inside the lamp.", "genre": "mystery"}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["id"].as_str().expect("id").to_owned()
}

/// A documented path with `{id}` replaced by a real story id.
fn concrete(path: &str, id: &str) -> String {
    path.replace("{id}", id)
}

/// `POST path` declaring a `Content-Length` of `declared` bytes but sending none: the
/// server must refuse on the declared length alone. Over raw TCP, because a client that
/// really sends an oversized body races the early 413 (and may see a broken pipe).
fn post_declaring_length(app: &TestApp, path: &str, declared: usize) -> TestResponse {
    use std::io::{Read, Write};
    let addr = app.base.strip_prefix("http://").expect("http base");
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         content-length: {declared}\r\nconnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).expect("send");
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
/// documented headers present, body valid against the documented schema (or empty when
/// the response has no content), error codes from the documented list.
fn assert_conforms(doc: &Doc, path: &str, method: &str, r: &TestResponse, case: &str) {
    let documented = doc.response(path, method, r.status).unwrap_or_else(|| {
        panic!(
            "{case}: {method} {path} does not document status {}: {}",
            r.status,
            r.text()
        )
    });
    for name in documented
        .get("headers")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(n, _)| n)
    {
        assert!(
            r.header(name).is_some(),
            "{case}: documented header `{name}` missing ({})",
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
    }

    // spin.toml routes of the documented components <-> documented paths.
    let routes: Vec<(String, String)> = spin_http_routes()
        .into_iter()
        .filter(|(_, c)| DOCUMENTED_COMPONENTS.contains(&c.as_str()))
        .collect();
    assert!(
        routes.len() >= 4,
        "expected the health and stories routes in spin.toml: {routes:?}"
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
    let app = TestAppBuilder::fabula().start();
    let method_not_allowed = doc.resolve(&doc.0["components"]["responses"]["MethodNotAllowed"]);
    let schema_405 = method_not_allowed
        .pointer("/content/application~1json/schema")
        .expect("405 schema");

    // The methods each path serves, as the routers report them in `Allow` on a 405.
    for path in doc.paths().keys() {
        let id = create_story(&app, "Allow probe");
        let r = app.request("OPTIONS", &concrete(path, &id), &[], None);
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

    // Every documented operation, sent with its documented example body, reaches its
    // handler (no routing 404, no 405), answers a documented status and conforms to it;
    // at least one example per operation succeeds.
    for (path, method, op) in doc.operations() {
        let mut succeeded = false;
        for body in request_examples(&doc, op) {
            let id = create_story(&app, "Operation probe");
            let target = concrete(path, &id);
            let bytes = body.as_ref().map(|b| serde_json::to_vec(b).unwrap());
            let headers: &[(&str, &str)] = if bytes.is_some() {
                &[("content-type", "application/json")]
            } else {
                &[]
            };
            let r = app.request(&method.to_uppercase(), &target, headers, bytes.as_deref());
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
    let app = TestAppBuilder::fabula().start();
    let stories = "/api/v1/stories";
    let item = "/api/v1/stories/{id}";

    // 201: exactly the documented (required) properties, plus Location and ETag.
    let created = app.post_json(
        stories,
        &json!({"title": "The Lighthouse", "premise": "A keeper finds a map inside the lamp.", "genre": "mystery"}),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    assert_conforms(&doc, stories, "post", &created, "create");
    let story_schema = doc.component_schema("Story");
    let required: BTreeSet<&str> = story_schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let documented: BTreeSet<&str> = story_schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let body = created.json();
    let actual: BTreeSet<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        required, documented,
        "every Story property is always present"
    );
    assert_eq!(
        actual, required,
        "the created story has exactly the documented properties"
    );
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.header("location"),
        Some(format!("{stories}/{id}").as_str())
    );
    assert_eq!(created.header("etag"), Some("\"1\""));

    // 422: the envelope with details, as documented.
    let invalid = app.post_json(
        stories,
        &json!({"title": "", "premise": "p", "genre": "nope", "target_words": 5, "chapter_count": 0, "extra": 1}),
    );
    assert_eq!(invalid.status, 422, "{}", invalid.text());
    assert_conforms(&doc, stories, "post", &invalid, "create 422");
    let error = &invalid.json()["error"];
    assert_eq!(error["code"], "validation_failed");
    assert!(error["details"].as_array().is_some_and(|d| !d.is_empty()));

    // List: items + next_cursor, following cursors to the last page (next_cursor null).
    create_story(&app, "Second");
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

    // 413 on the declared length (1 MiB + 1), before the body is read.
    let too_large = post_declaring_length(&app, stories, (1 << 20) + 1);
    assert_eq!(too_large.status, 413, "{}", too_large.text());
    assert_conforms(&doc, stories, "post", &too_large, "too large");
    // ... on any route, before routing (as the document's description says).
    let too_large = post_declaring_length(&app, &at(unknown), 2 << 20);
    assert_eq!(too_large.status, 413, "{}", too_large.text());

    // The host's own 404 for a path no route matches uses the same envelope.
    let unrouted = app.get("/api/v2/nothing");
    assert!(is_routing_404(&unrouted), "{}", unrouted.text());
    let violations = doc.violations(doc.component_schema("ErrorEnvelope"), &unrouted.json());
    assert!(violations.is_empty(), "{violations:?}");
}
